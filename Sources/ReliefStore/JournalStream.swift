public import Postgres
public import ReliefCore

/// Streams a book's entries with their postings, in chain order, through COPY: memory does not
/// grow with the number of entries. Exports and `relief verify` read the books through this.
public enum JournalStream {
    /// Calls `body` for every entry of `bookCode` whose period lies in `periods` (all when nil).
    /// An entry without postings (only possible by tampering) arrives with an empty posting list.
    ///
    /// The whole book, read on a connection outside any transaction, comes as two COPYs in one
    /// snapshot, in index order and without a join or a sort: the entries in chain order on `c`,
    /// and all postings in (entry_id, line) order on a second connection (``SideCopy``), merged
    /// here. That relies on entry ids rising with the chain position within a book, which holds
    /// because `post_entries` draws the id (`nextval`, cache 1) under the book's row lock. It is
    /// checked on every entry: at the first entry whose id does not rise, the rest of the book is
    /// read by the single-connection query from that position on, in the same snapshot. Inside a
    /// caller's transaction (row-level security, a role of its own), for a period range, or when
    /// no second connection can be opened, the single-connection query (``copyQuery(bookID:periods:)``)
    /// reads everything.
    public static func forEach(
        _ c: isolated Connection, bookCode: String, periods: ClosedRange<Period>? = nil, _ body: (consuming ExportEntry) throws -> Void
    ) throws {
        try read(
            c, bookCode: bookCode, periods: periods, exportEntry: body,
            entryRow: { row, fields, lookups, rows in
                var postings: [ExportPosting] = []
                postings.reserveCapacity(rows.count)
                for index in rows.indices {
                    guard let account = lookups.accounts[rows[index].accountID], let postingSide = rows[index].side else { continue }
                    let d = rows[index].dimensions
                    postings.append(ExportPosting(
                        line: rows[index].line, account: account, side: postingSide, amountFen: rows[index].amountFen,
                        isRed: !fields.isNull(5),
                        dimensions: Dimensions(
                            enterprise: lookups.code(d.0), supplier: lookups.code(d.1), township: lookups.code(d.2),
                            category: lookups.code(d.3), channel: lookups.code(d.4), program: lookups.code(d.5)),
                        memo: rows[index].memo))
                }
                try body(makeEntry(fields, row: row, offset: 1, bookCode: lookups.bookCode, postings: postings))
            })
    }

    /// What ``forEach(_:bookCode:periods:_:)`` and the two byte readers below share: on the
    /// two-stream path (a whole book, `c` outside a transaction, a second connection to be had)
    /// `entryRow` gets each entries COPY row with its posting rows in line order, in a REPEATABLE
    /// READ snapshot; on every other path, and from where the two streams stop, `exportEntry` gets
    /// each entry as an ``ExportEntry``.
    private static func read(
        _ c: isolated Connection, bookCode: String, periods: ClosedRange<Period>?,
        exportEntry: (consuming ExportEntry) throws -> Void,
        entryRow: (UnsafeBufferPointer<UInt8>, CopyBinaryFields, Lookups, [PostingRow]) throws -> Void
    ) throws {
        guard periods == nil, c.isIdle, let configuration = c.configuration else {
            let lookups = try Lookups(c, bookCode: bookCode)
            try withoutJIT(c) { try nestedLoop(c, lookups: lookups, periods: periods, fromSeq: nil, exportEntry) }
            return
        }
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            try twoStreams(
                c, configuration: configuration, bookCode: bookCode,
                fallback: { lookups, fromSeq in
                    try withoutJIT(c) { try nestedLoop(c, lookups: lookups, periods: nil, fromSeq: fromSeq, exportEntry) }
                },
                entry: entryRow)
            try c.execute("COMMIT")
        } catch {
            _ = try? c.execute("ROLLBACK")
            throw error
        }
    }

    /// Calls `body` with the whole book in batches of about `entriesPerBatch` entries, each entry
    /// as its chain facts and canonical text (``ChainBatch``): what `relief verify` checks. Reads
    /// as ``forEach(_:bookCode:periods:_:)`` does, but on the two-stream path the canonical text
    /// is written straight from the COPY rows' bytes, with no String, array or entry value per
    /// entry (perf of `relief verify`: allocation and reference counting were a third of its
    /// samples). The other paths convert each ``ExportEntry`` (``ChainBatch/append(_:)``).
    static func forEachChainBatch(
        _ c: isolated Connection, bookCode: String, entriesPerBatch: Int, _ body: (consuming ChainBatch) throws -> Void
    ) throws {
        precondition(entriesPerBatch >= 1, "a batch holds at least one entry")
        var batch = ChainBatch()
        func append(_ entry: consuming ExportEntry) throws {
            batch.append(entry)
            if batch.entries.count >= entriesPerBatch { try hand() }
        }
        func hand() throws {
            let full = batch
            // Room for as much text as the batch before: growing from empty cost a zero-filled
            // doubling and a copy, nine times a batch.
            batch = ChainBatch(textBytes: full.text.count + full.text.count / 8)
            try body(full)
        }
        try read(
            c, bookCode: bookCode, periods: nil, exportEntry: append,
            entryRow: { row, fields, lookups, rows in
                batch.append(entryRow: row, fields, lookups: lookups, postings: rows)
                if batch.entries.count >= entriesPerBatch { try hand() }
            })
        if !batch.entries.isEmpty { try hand() }
    }

    /// Streams the whole book as the CSV journal's rows (UTF-8, header not included) in chunks of
    /// at least `chunkBytes` (the last may be shorter), each handed to `body`; returns the
    /// entries written. Reads as ``forEach(_:bookCode:periods:_:)`` does, but on the two-stream
    /// path each row is written straight from the COPY rows' bytes (``CSVRowsWriter``), with no
    /// entry value per entry, as ``forEachChainBatch(_:bookCode:entriesPerBatch:_:)`` does for
    /// `relief verify`. The other paths write each ``ExportEntry`` as the CSV writer does.
    static func forEachCSVChunk(
        _ c: isolated Connection, bookCode: String, chunkBytes: Int, _ body: ([UInt8]) throws -> Void
    ) throws -> Int {
        precondition(chunkBytes >= 1, "a chunk holds at least one byte")
        var writer = CSVRowsWriter()
        var entries = 0
        func hand() throws {
            try body(writer.bytes)
            writer.reset()
        }
        func append(_ entry: consuming ExportEntry) throws {
            entries += 1
            writer.append(entry)
            if writer.count >= chunkBytes { try hand() }
        }
        try read(
            c, bookCode: bookCode, periods: nil, exportEntry: append,
            entryRow: { row, fields, lookups, rows in
                entries += 1
                writeCSVRows(entryRow: row, fields, lookups: lookups, postings: rows, into: &writer)
                if writer.count >= chunkBytes { try hand() }
            })
        if writer.count > 0 { try hand() }
        return entries
    }

    /// The CSV rows of the entry of an entries COPY row with its posting rows in line order. A
    /// posting whose account or side is unknown is left out, as from an ``ExportEntry``.
    private static func writeCSVRows(
        entryRow row: UnsafeBufferPointer<UInt8>, _ fields: CopyBinaryFields, lookups: Lookups, postings rows: [PostingRow],
        into writer: inout CSVRowsWriter
    ) {
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        let head = EntryRowHead(fields, row: row, offset: 1)
        writer.beginEntry(
            seq: head.seq, period: head.period, voucherNumber: head.voucherNumber, date: head.date,
            description: fields.bytes(9, in: row) ?? empty, reversesSeq: head.reversesSeq,
            createdBy: fields.bytes(7, in: row) ?? empty, idempotencyKey: fields.bytes(8, in: row) ?? empty,
            hash: fields.bytes(10, in: row) ?? empty)
        let isRed = !fields.isNull(5)
        lookups.accountCodeBytes.withBytes { accountCodes in
            lookups.accountNameBytes.withBytes { accountNames in
                lookups.codeBytes.withBytes { codes in
                    func code(_ id: Int64?) -> UnsafeBufferPointer<UInt8>? {
                        lookups.codeBytes.range(id).map { UnsafeBufferPointer(rebasing: codes[$0]) }
                    }
                    for index in rows.indices {
                        let accountID = Int64(rows[index].accountID)
                        guard let codeRange = lookups.accountCodeBytes.range(accountID), let nameRange = lookups.accountNameBytes.range(accountID),
                            let side = rows[index].side
                        else { continue }
                        let d = rows[index].dimensions
                        writer.posting(
                            line: rows[index].line, accountCode: UnsafeBufferPointer(rebasing: accountCodes[codeRange]),
                            accountName: UnsafeBufferPointer(rebasing: accountNames[nameRange]), side: side, amountFen: rows[index].amountFen,
                            isRed: isRed, dimensions: (code(d.0), code(d.1), code(d.2), code(d.3), code(d.4), code(d.5)), memo: rows[index].memo)
                    }
                }
            }
        }
    }

    /// The book's id, accounts and dimension codes, read once.
    struct Lookups {
        let bookID: Int
        let bookCode: String
        let accounts: IDTable<Account>
        let codes: IDTable<String>
        /// The same codes as UTF-8 bytes, for writing canonical text without Strings.
        let bookCodeBytes: [UInt8]
        let accountCodeBytes: ByteCodes
        let accountNameBytes: ByteCodes
        let codeBytes: ByteCodes

        init(_ c: isolated Connection, bookCode: String) throws {
            self.bookCode = bookCode
            bookID = try Reports.bookID(c, code: bookCode)
            let chart = try Reports.accounts(c, bookID: bookID)
            accounts = IDTable(chart.map { ($0.id, $0) })
            accountCodeBytes = ByteCodes(chart.map { ($0.id, $0.code) })
            accountNameBytes = ByteCodes(chart.map { ($0.id, $0.name) })
            bookCodeBytes = Array(bookCode.utf8)
            // Dimension codes by id, read once: cheaper than six joins per posting row.
            var codeRows: [(Int, String)] = []
            for row in try c.query("SELECT id, code FROM relief.dimension_values").rows {
                codeRows.append((try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1)))
            }
            codes = IDTable(codeRows)
            codeBytes = ByteCodes(codeRows)
        }

        func code(_ id: Int64?) -> String? { id.flatMap { codes[Int($0)] } }
    }

    /// Room reserved for an entry's postings before they are read: a purchase entry has two or
    /// four, and growing the array from empty cost two allocations per entry.
    static let usualPostingsPerEntry = 4

    /// One posting row of the postings COPY, parsed on the second connection's thread.
    struct PostingRow: Sendable {
        var entryID: Int64
        var line: Int
        var accountID: Int
        var side: Side?
        var amountFen: Int64
        var dimensions: (Int64?, Int64?, Int64?, Int64?, Int64?, Int64?)
        var memo: String?

        init(_ row: UnsafeBufferPointer<UInt8>, _ fields: CopyBinaryFields) {
            entryID = fields.int64(0, in: row) ?? -1
            line = Int(fields.int64(1, in: row) ?? 0)
            accountID = Int(fields.int64(2, in: row) ?? -1)
            let sideByte = fields.bytes(3, in: row)
            side = sideByte?.count == 1 ? (sideByte![0] == UInt8(ascii: "D") ? .debit : sideByte![0] == UInt8(ascii: "C") ? .credit : nil) : nil
            amountFen = fields.int64(4, in: row) ?? 0
            dimensions = (fields.int64(5, in: row), fields.int64(6, in: row), fields.int64(7, in: row),
                          fields.int64(8, in: row), fields.int64(9, in: row), fields.int64(10, in: row))
            memo = fields.string(11, in: row)
        }
    }

    /// Thrown inside the entries COPY to stop it where entry ids stop rising.
    private struct IDsOutOfOrder: Error { let seq: Int64 }

    /// The two-stream read (see ``forEach(_:bookCode:periods:_:)``): `entry` gets each entries
    /// COPY row with its posting rows, in line order; `fallback` reads the rest on this
    /// connection alone, from a chain position (nil: all) on, when the two streams cannot be used.
    private static func twoStreams(
        _ c: isolated Connection, configuration: ConnectionConfiguration, bookCode: String,
        fallback: (Lookups, Int64?) throws -> Void,
        entry: (UnsafeBufferPointer<UInt8>, CopyBinaryFields, Lookups, [PostingRow]) throws -> Void
    ) throws {
        let snapshot = try c.query("SELECT pg_export_snapshot()").single().decode(String.self, at: 0)
        let lookups = try Lookups(c, bookCode: bookCode)
        // The second connection must read as this one does: same role, and no row-level security
        // setting of a session (none is set outside a transaction today; if one ever is, read here).
        let identity = try c.query("SELECT current_user::text, coalesce(current_setting('relief.enterprise_id', true), '')").single()
        let user = try identity.decode(String.self, at: 0)
        let enterprise = try identity.decode(String.self, at: 1)
        guard snapshot.allSatisfy({ $0.isHexDigit || $0 == "-" }), enterprise.isEmpty,
            !user.isEmpty, user.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            try fallback(lookups, nil)
            return
        }
        let side: SideCopy<PostingRow>
        do {
            side = try SideCopy(
                configuration: configuration,
                setup: [
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SET TRANSACTION SNAPSHOT '\(snapshot)'",
                    "DO $$BEGIN IF current_user <> '\(user)' THEN RAISE EXCEPTION 'another role'; END IF; END$$",
                ],
                sql: postingsCopyQuery, parse: { PostingRow($0, $1) })
        } catch {
            // No second connection (connection limit, authentication): one connection, same snapshot.
            try fallback(lookups, nil)
            return
        }
        defer { side.close() }
        var lookahead: PostingRow?
        func nextPosting() throws -> PostingRow? {
            if let row = lookahead {
                lookahead = nil
                return row
            }
            return try side.next()
        }
        var lastID = Int64.min
        // One array for every entry's posting rows, emptied and refilled.
        var rows: [PostingRow] = []
        rows.reserveCapacity(EntryDraft.maximumPostings)
        // A cancelled COPY aborts the transaction; rolling back to here keeps its snapshot.
        try c.execute("SAVEPOINT journal_stream")
        do {
            try c.copyOutBinary(entriesCopyQuery(bookID: lookups.bookID)) { row, fields in
                let id = fields.int64(0, in: row) ?? Int64.min
                let seq = fields.int64(1, in: row) ?? -1
                guard id > lastID else { throw IDsOutOfOrder(seq: seq) }
                lastID = id
                rows.removeAll(keepingCapacity: true)
                while let posting = try nextPosting() {
                    // Lower ids are other books' postings; a higher id is a later entry's.
                    if posting.entryID < id { continue }
                    if posting.entryID > id {
                        lookahead = posting
                        break
                    }
                    rows.append(posting)
                }
                // The COPY's ORDER BY delivers them in line order; this keeps the promise if not.
                if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].line <= rows[$0].line }) { rows.sort { $0.line < $1.line } }
                try entry(row, fields, lookups, rows)
            }
        } catch let stop as IDsOutOfOrder {
            side.close()
            try c.execute("ROLLBACK TO SAVEPOINT journal_stream")
            try fallback(lookups, stop.seq)
        }
    }

    /// The entry columns of a row, starting at field `offset`: seq, period, voucher, date,
    /// reversed seq, created at, created by, key, description, hash.
    private static func makeEntry(
        _ fields: CopyBinaryFields, row: UnsafeBufferPointer<UInt8>, offset o: Int, bookCode: String, postings: [ExportPosting]
    ) -> ExportEntry {
        let head = EntryRowHead(fields, row: row, offset: o)
        return ExportEntry(
            seq: head.seq, period: head.period, voucherNumber: head.voucherNumber, date: head.date,
            description: fields.string(o + 8, in: row) ?? "", idempotencyKey: fields.string(o + 7, in: row) ?? "",
            createdBy: fields.string(o + 6, in: row) ?? "", reversesSeq: head.reversesSeq,
            hashHex: fields.bytes(o + 9, in: row).map { Hex.encode($0) } ?? "",
            postings: postings, createdAtMicroseconds: head.createdAtMicroseconds, bookCode: bookCode)
    }

    /// The plain columns of an entry row, starting at field `offset` (seq, period, voucher,
    /// date, reversed seq, created at), with the defaults every reader gives a NULL; the text
    /// columns follow: created by at `offset + 6`, key `+ 7`, description `+ 8`, hash `+ 9`.
    struct EntryRowHead {
        var seq: Int64
        var period: Period
        var voucherNumber: Int
        var date: LocalDate
        var reversesSeq: Int64?
        var createdAtMicroseconds: Int64

        init(_ fields: CopyBinaryFields, row: UnsafeBufferPointer<UInt8>, offset o: Int) {
            seq = fields.int64(o, in: row) ?? -1
            period = Period(yyyymm: Int(fields.int64(o + 1, in: row) ?? 0)) ?? Period(year: 1, month: 1)!
            voucherNumber = Int(fields.int64(o + 2, in: row) ?? 0)
            date =
                fields.int64(o + 3, in: row).flatMap { LocalDate(daysSinceEpoch: Int($0) + postgresEpochDays) }
                ?? LocalDate(year: 1, month: 1, day: 1)!
            reversesSeq = fields.int64(o + 4, in: row)
            createdAtMicroseconds = (fields.int64(o + 5, in: row) ?? 0) &+ postgresEpochMicroseconds
        }
    }

    /// The single-connection read: ``copyQuery(bookID:periods:)``, from chain position `fromSeq` on.
    private static func nestedLoop(
        _ c: isolated Connection, lookups: Lookups, periods: ClosedRange<Period>?, fromSeq: Int64?, _ body: (consuming ExportEntry) throws -> Void
    ) throws {
        var current: ExportEntry?
        var failure: (any Error)?
        try c.copyOutBinary(copyQuery(bookID: lookups.bookID, periods: periods, fromSeq: fromSeq)) { row, fields in
            guard failure == nil else { return }
            let seq = fields.int64(0, in: row) ?? -1
            if current?.seq != seq {
                if let entry = current {
                    do { try body(inLineOrder(entry)) } catch { failure = error }
                }
                // The entry's columns repeat on each of its posting rows: decoded once per entry.
                current = makeEntry(fields, row: row, offset: 0, bookCode: lookups.bookCode, postings: [])
            }
            guard let lineNumber = fields.int64(10, in: row), let accountID = fields.int64(11, in: row),
                let account = lookups.accounts[Int(accountID)], let sideByte = fields.bytes(12, in: row), sideByte.count == 1,
                let side = Side(rawValue: String(UnicodeScalar(sideByte[0]))), let amount = fields.int64(13, in: row)
            else { return }
            current?.postings.append(ExportPosting(
                line: Int(lineNumber), account: account, side: side, amountFen: amount, isRed: !fields.isNull(4),
                dimensions: Dimensions(
                    enterprise: lookups.code(fields.int64(14, in: row)), supplier: lookups.code(fields.int64(15, in: row)),
                    township: lookups.code(fields.int64(16, in: row)), category: lookups.code(fields.int64(17, in: row)),
                    channel: lookups.code(fields.int64(18, in: row)), program: lookups.code(fields.int64(19, in: row))),
                memo: fields.string(20, in: row)))
        }
        if let failure { throw failure }
        if let entry = current { try body(inLineOrder(entry)) }
    }

    /// Streams what ``forEach(_:bookCode:periods:_:)`` reads for a whole book, the two COPYs at
    /// once in one snapshot, and discards it: PostgreSQL's share of an export, for `relief bench`.
    /// Returns the entry and posting rows streamed. `c` must be outside a transaction.
    public static func streamAndDiscard(_ c: isolated Connection, bookCode: String) throws -> (entries: Int, postings: Int) {
        guard let configuration = c.configuration else { throw LedgerError.unknownBook(bookCode) }
        let bookID = try Reports.bookID(c, code: bookCode)
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? c.execute("COMMIT") }
        let snapshot = try c.query("SELECT pg_export_snapshot()").single().decode(String.self, at: 0)
        let side = try SideCopy(
            configuration: configuration,
            setup: ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SET TRANSACTION SNAPSHOT '\(snapshot.filter { $0.isHexDigit || $0 == "-" })'"],
            sql: postingsCopyQuery, parse: { _, _ in 0 })
        defer { side.close() }
        var entries = 0
        try c.copyOutBinary(entriesCopyQuery(bookID: bookID)) { _, _ in entries += 1 }
        var postings = 0
        while try side.next() != nil { postings += 1 }
        return (entries, postings)
    }

    /// Book `bookID`'s entries in chain order (the index on (book_id, seq)), binary, each with its
    /// id first; the reversed entry's chain position is looked up only for a reversal.
    public static func entriesCopyQuery(bookID: Int) -> String {
        """
        COPY (SELECT e.id, e.seq, e.period, e.voucher_no, e.entry_date,
                     CASE WHEN e.reverses_id IS NOT NULL THEN (SELECT r.seq FROM relief.entries r WHERE r.id = e.reverses_id) END,
                     e.created_at, e.created_by, e.idempotency_key, e.description, e.hash
              FROM relief.entries e WHERE e.book_id = \(bookID) ORDER BY e.seq) TO STDOUT (FORMAT binary)
        """
    }

    /// Every posting in primary-key order (entry_id, line), binary.
    public static let postingsCopyQuery = """
        COPY (SELECT entry_id, line, account_id, side, amount_fen, enterprise_id, supplier_id, township_id, category_id,
                     channel_id, program_id, memo
              FROM relief.postings ORDER BY entry_id, line) TO STDOUT (FORMAT binary)
        """

    /// The entry with its postings in line order. The nested loop delivers them so (the primary
    /// key's order); SQL does not promise it across a join, so it is checked, and sorted if not.
    /// Takes the entry by `consuming`: a copy of it was a retain and a release per string
    /// (perf of a 2M-row export).
    static func inLineOrder(_ entry: consuming ExportEntry) -> ExportEntry {
        var inOrder = true
        var index = 1
        while index < entry.postings.count {
            if entry.postings[index - 1].line > entry.postings[index].line {
                inOrder = false
                break
            }
            index += 1
        }
        if !inOrder { entry.postings.sort { $0.line < $1.line } }
        return entry
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
    struct IDTable<Value>: Sendable where Value: Sendable {
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

    /// The single-connection COPY statement that streams book `bookID`'s posting rows in chain
    /// order, in binary format, for the entries in `periods` (integers) from chain position
    /// `fromSeq` on.
    ///
    /// Nothing is sorted and nothing is hashed: entries come in chain order from the index on
    /// (book_id, seq), and each entry's postings from the primary key (entry_id, line) by a
    /// nested loop (the ORDER BY keeps the lateral subquery from being flattened into a hash join).
    /// The reversed entry's chain position is looked up only for a reversal. An entry without
    /// postings (only possible by tampering) still gives one row, with NULL posting columns.
    public static func copyQuery(bookID: Int, periods: ClosedRange<Period>? = nil, fromSeq: Int64? = nil) -> String {
        let range = (periods.map { "AND e.period BETWEEN \($0.lowerBound.yyyymm) AND \($0.upperBound.yyyymm)" } ?? "")
            + (fromSeq.map { " AND e.seq >= \($0)" } ?? "")
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
