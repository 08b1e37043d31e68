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
        func code(_ field: String?) -> String? { field.flatMap { Int($0) }.flatMap { codes[$0] } }
        var current: ExportEntry?
        var failure: (any Error)?
        try c.copyOut(copyQuery(bookID: bookID, periods: periods)) { line in
            guard failure == nil else { return }
            let f = CopyText.fields(line)
            let seq = Int64(f[0] ?? "") ?? -1
            if current?.seq != seq {
                if let entry = current {
                    do { try body(entry) } catch { failure = error }
                }
                current = ExportEntry(
                    seq: seq, period: Period(yyyymm: Int(f[1] ?? "") ?? 0) ?? Period(year: 1, month: 1)!,
                    voucherNumber: Int(f[2] ?? "") ?? 0, date: LocalDate(parsing: f[3] ?? "") ?? LocalDate(year: 1, month: 1, day: 1)!,
                    description: f[8] ?? "", idempotencyKey: f[7] ?? "", createdBy: f[6] ?? "",
                    reversesSeq: f[4].flatMap { Int64($0) }, hashHex: f[9] ?? "", postings: [],
                    createdAtMicroseconds: Int64(f[5] ?? "") ?? 0, bookCode: bookCode)
            }
            guard let lineText = f[10], let lineNumber = Int(lineText), let accountID = f[11].flatMap({ Int($0) }),
                let account = accounts[accountID], let side = f[12].flatMap({ Side(rawValue: $0) }), let amount = f[13].flatMap({ Int64($0) })
            else { return }
            current?.postings.append(ExportPosting(
                line: lineNumber, account: account, side: side, amountFen: amount, isRed: f[4] != nil,
                dimensions: Dimensions(
                    enterprise: code(f[14]), supplier: code(f[15]), township: code(f[16]), category: code(f[17]), channel: code(f[18]),
                    program: code(f[19])),
                memo: f[20]))
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
