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
        let accounts = IDTable(try Reports.accounts(c, bookID: bookID).map { ($0.id, $0) })
        // Dimension codes by id, read once: cheaper than six joins per posting row.
        var codeRows: [(Int, String)] = []
        for row in try c.query("SELECT id, code FROM relief.dimension_values").rows {
            codeRows.append((try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1)))
        }
        let codes = IDTable(codeRows)
        func code(_ id: Int64?) -> String? { id.flatMap { codes[Int($0)] } }
        var current: ExportEntry?
        var failure: (any Error)?
        try withoutJIT(c) {
            try c.copyOutBinary(copyQuery(bookID: bookID, periods: periods)) { row, fields in
                guard failure == nil else { return }
                let seq = fields.int64(0, in: row) ?? -1
                if current?.seq != seq {
                    if let entry = current {
                        do { try body(inLineOrder(entry)) } catch { failure = error }
                    }
                    // The entry's columns repeat on each of its posting rows: decoded once per entry.
                    let days = fields.int64(3, in: row).map { Int($0) + postgresEpochDays }
                    current = ExportEntry(
                        seq: seq, period: Period(yyyymm: Int(fields.int64(1, in: row) ?? 0)) ?? Period(year: 1, month: 1)!,
                        voucherNumber: Int(fields.int64(2, in: row) ?? 0),
                        date: days.flatMap { LocalDate(daysSinceEpoch: $0) } ?? LocalDate(year: 1, month: 1, day: 1)!,
                        description: fields.string(8, in: row) ?? "", idempotencyKey: fields.string(7, in: row) ?? "",
                        createdBy: fields.string(6, in: row) ?? "", reversesSeq: fields.int64(4, in: row),
                        hashHex: fields.bytes(9, in: row).map { Hex.encode($0) } ?? "",
                        postings: [], createdAtMicroseconds: (fields.int64(5, in: row) ?? 0) &+ postgresEpochMicroseconds, bookCode: bookCode)
                }
                guard let lineNumber = fields.int64(10, in: row), let accountID = fields.int64(11, in: row),
                    let account = accounts[Int(accountID)], let sideByte = fields.bytes(12, in: row), sideByte.count == 1,
                    let side = Side(rawValue: String(UnicodeScalar(sideByte[0]))), let amount = fields.int64(13, in: row)
                else { return }
                current?.postings.append(ExportPosting(
                    line: Int(lineNumber), account: account, side: side, amountFen: amount, isRed: !fields.isNull(4),
                    dimensions: Dimensions(
                        enterprise: code(fields.int64(14, in: row)), supplier: code(fields.int64(15, in: row)),
                        township: code(fields.int64(16, in: row)), category: code(fields.int64(17, in: row)),
                        channel: code(fields.int64(18, in: row)), program: code(fields.int64(19, in: row))),
                    memo: fields.string(20, in: row)))
            }
        }
        if let failure { throw failure }
        if let entry = current { try body(inLineOrder(entry)) }
    }

    /// The entry with its postings in line order. The nested loop delivers them so (the primary
    /// key's order); SQL does not promise it across a join, so it is checked, and sorted if not.
    static func inLineOrder(_ entry: ExportEntry) -> ExportEntry {
        let postings = entry.postings
        guard postings.count > 1, zip(postings, postings.dropFirst()).contains(where: { $0.line > $1.line }) else { return entry }
        var sorted = entry
        sorted.postings.sort { $0.line < $1.line }
        return sorted
    }

    /// Runs `body` with PostgreSQL's JIT compilation off, then restores the setting. The nested
    /// loop of ``copyQuery(bookID:periods:)`` is estimated at a cost far above `jit_above_cost`,
    /// and compiling it took longer than it saved: 0.87–1.01 s with JIT against 0.67–0.71 s
    /// without, for 145,000 entries.
    public static func withoutJIT<T>(_ c: isolated Connection, _ body: () throws -> T) throws -> T {
        let jit = try c.query("SELECT current_setting('jit')").single().decode(String.self, at: 0)
        try c.execute("SET jit = off")
        defer { _ = try? c.execute("SET jit = \(jit == "on" ? "on" : "off")") }
        return try body()
    }

    /// Values by small integer id: an array when the ids are dense enough, a dictionary otherwise.
    struct IDTable<Value> {
        private var array: [Value?] = []
        private var dictionary: [Int: Value] = [:]

        init(_ pairs: [(Int, Value)]) {
            let maximum = pairs.map(\.0).max() ?? -1
            if pairs.allSatisfy({ $0.0 >= 0 }) && maximum < max(1 << 16, pairs.count * 4) {
                array = Array(repeating: nil, count: maximum + 1)
                for (id, value) in pairs { array[id] = value }
            } else {
                dictionary = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
            }
        }

        subscript(id: Int) -> Value? {
            if !array.isEmpty { return id >= 0 && id < array.count ? array[id] : nil }
            return dictionary[id]
        }
    }

    /// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for binary dates.
    static let postgresEpochDays = 10_957
    /// Microseconds from 1970-01-01 to 2000-01-01 UTC, PostgreSQL's epoch for binary timestamps.
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// The COPY statement that streams book `bookID`'s posting rows in chain order, in binary
    /// format (also timed on its own by `relief bench`, as PostgreSQL's share of an export). The
    /// periods are integers.
    ///
    /// Nothing is sorted and nothing is hashed: entries come in chain order from the index on
    /// (book_id, seq), and each entry's postings from the primary key (entry_id, line) by a
    /// nested loop (the ORDER BY keeps the lateral subquery from being flattened into a hash join).
    /// The reversed entry's chain position is looked up only for a reversal. An entry without
    /// postings (only possible by tampering) still gives one row, with NULL posting columns.
    public static func copyQuery(bookID: Int, periods: ClosedRange<Period>? = nil) -> String {
        let range = periods.map { "AND e.period BETWEEN \($0.lowerBound.yyyymm) AND \($0.upperBound.yyyymm)" } ?? ""
        return """
            COPY (SELECT e.seq, e.period, e.voucher_no, e.entry_date,
                         CASE WHEN e.reverses_id IS NOT NULL THEN (SELECT r.seq FROM relief.entries r WHERE r.id = e.reverses_id) END,
                         e.created_at, e.created_by, e.idempotency_key, e.description, e.hash,
                         p.line, p.account_id, p.side, p.amount_fen,
                         p.enterprise_id, p.supplier_id, p.township_id, p.category_id, p.channel_id, p.program_id, p.memo
                  FROM relief.entries e
                  LEFT JOIN LATERAL (SELECT q.* FROM relief.postings q WHERE q.entry_id = e.id ORDER BY q.line) p ON true
                  WHERE e.book_id = \(bookID) \(range)
                  ORDER BY e.seq) TO STDOUT (FORMAT binary)
            """
    }

    /// The text-format COPY statement that streamed the journal before ``copyQuery(bookID:periods:)``:
    /// entries joined to the reversed entry and to their postings, sorted by chain position and line.
    /// Kept for `relief bench`, which times it beside the new one.
    public static func joinedCopyQuery(bookID: Int, periods: ClosedRange<Period>? = nil) -> String {
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
