public import Postgres
public import ReliefCore

/// Streams a book's entries with their postings, in chain order, through COPY: memory does not
/// grow with the number of entries. Exports and `relief verify` read the books through this.
public enum JournalStream {
    /// Calls `body` for every entry of `bookCode` whose period lies in `periods` (all when nil).
    /// An entry without postings (only possible by tampering) arrives with an empty posting list.
    public static func forEach(
        _ c: isolated Connection, bookCode: String, periods: ClosedRange<Period>? = nil, _ body: (ExportEntry) throws -> Void
    ) throws {
        let bookID = try Reports.bookID(c, code: bookCode)
        let accounts = Dictionary(uniqueKeysWithValues: try Reports.accounts(c, bookID: bookID).map { ($0.id, $0) })
        // Dimension codes by id, read once: cheaper than six joins per posting row.
        var codes: [Int: String] = [:]
        for row in try c.query("SELECT id, code FROM relief.dimension_values").rows {
            codes[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        func code(_ id: Int64?) -> String? { id.flatMap { codes[Int($0)] } }
        var current: ExportEntry?
        var failure: (any Error)?
        var fields = CopyFields()
        try c.copyOut(copyQuery(bookID: bookID, periods: periods)) { line in
            guard failure == nil else { return }
            fields.split(line)
            let seq = fields.int64(0, in: line) ?? -1
            if current?.seq != seq {
                if let entry = current {
                    do { try body(entry) } catch { failure = error }
                }
                // The entry's columns repeat on each of its posting rows: decoded once per entry.
                current = ExportEntry(
                    seq: seq, period: Period(yyyymm: Int(fields.int64(1, in: line) ?? 0)) ?? Period(year: 1, month: 1)!,
                    voucherNumber: Int(fields.int64(2, in: line) ?? 0),
                    date: LocalDate(parsing: fields.string(3, in: line) ?? "") ?? LocalDate(year: 1, month: 1, day: 1)!,
                    description: fields.string(8, in: line) ?? "", idempotencyKey: fields.string(7, in: line) ?? "",
                    createdBy: fields.string(6, in: line) ?? "", reversesSeq: fields.int64(4, in: line), hashHex: fields.string(9, in: line) ?? "",
                    postings: [], createdAtMicroseconds: fields.int64(5, in: line) ?? 0, bookCode: bookCode)
            }
            guard let lineNumber = fields.int64(10, in: line), let accountID = fields.int64(11, in: line),
                let account = accounts[Int(accountID)], let side = fields.string(12, in: line).flatMap({ Side(rawValue: $0) }),
                let amount = fields.int64(13, in: line)
            else { return }
            current?.postings.append(ExportPosting(
                line: Int(lineNumber), account: account, side: side, amountFen: amount, isRed: !fields.isNull(4, in: line),
                dimensions: Dimensions(
                    enterprise: code(fields.int64(14, in: line)), supplier: code(fields.int64(15, in: line)),
                    township: code(fields.int64(16, in: line)), category: code(fields.int64(17, in: line)),
                    channel: code(fields.int64(18, in: line)), program: code(fields.int64(19, in: line))),
                memo: fields.string(20, in: line)))
        }
        if let failure { throw failure }
        if let entry = current { try body(entry) }
    }

    /// The COPY statement that streams book `bookID`'s posting rows in chain order (also timed on
    /// its own by `relief bench`, as PostgreSQL's share of an export). The periods are integers.
    public static func copyQuery(bookID: Int, periods: ClosedRange<Period>? = nil) -> String {
        let range = periods.map { "AND e.period BETWEEN \($0.lowerBound.yyyymm) AND \($0.upperBound.yyyymm)" } ?? ""
        return """
            COPY (SELECT e.seq, e.period, e.voucher_no, e.entry_date, r.seq,
                         (extract(epoch FROM e.created_at) * 1000000)::bigint, e.created_by, e.idempotency_key,
                         e.description, encode(e.hash, 'hex'), p.line, p.account_id, p.side, p.amount_fen,
                         p.enterprise_id, p.supplier_id, p.township_id, p.category_id, p.channel_id, p.program_id, p.memo
                  FROM relief.entries e
                  LEFT JOIN relief.entries r ON r.id = e.reverses_id
                  LEFT JOIN relief.postings p ON p.entry_id = e.id
                  WHERE e.book_id = \(bookID) \(range)
                  ORDER BY e.seq, p.line) TO STDOUT
            """
    }
}
