import Foundation
import Postgres
import ReliefCore

/// The bulk path of a purchase import (migration 0024): Swift numbers, resolves and hashes each
/// chunk on the prefetcher's thread, COPY stages its rows in temporary tables, and
/// `relief.post_staged_purchases` moves them into the books, recomputing every hash and running
/// every trigger of the books. Used for relief_app's imports of files of at least
/// ``Purchases/bulkMinimumPurchases`` purchases; a clerk's import (row-level security) and
/// small ones go through `post_entries`.
extension Purchases {
    /// Purchases in a file from which its import takes the bulk path (when the role may).
    public static let bulkMinimumPurchases = 1_024
    /// Purchases staged and moved per `post_staged_purchases` call.
    public static let bulkChunkPurchases = 8_192
    /// Purchases of the first chunk: PostgreSQL waits while it is staged, so it is small.
    public static let bulkFirstChunkPurchases = 1_024

    /// The chunks of `count` purchases: a small first one, then ``bulkChunkPurchases`` each.
    static func bulkChunks(_ count: Int) -> [Range<Int>] {
        var chunks: [Range<Int>] = []
        var start = 0
        var size = bulkFirstChunkPurchases
        while start < count {
            chunks.append(start..<min(start + size, count))
            start = chunks.last!.upperBound
            size = bulkChunkPurchases
        }
        return chunks
    }

    /// Where the book's chain and voucher counters stood when the import locked the book, and the
    /// ids the staged rows name.
    struct BulkStart: Sendable {
        var bookCode: String
        var chainSeq: Int64
        var chainHead: [UInt8]
        var createdAtMicroseconds: Int64
        var voucherCounters: [Int: Int]
        var accountIDs: [String: Int]
        /// Dimension value ids by kind, then code.
        var dimensionIDs: [String: [String: Int]]
    }

    /// What a bulk import reads once it holds the book's lock: the chain (``beginStatement``),
    /// the voucher counters, the two memorandum accounts, the dimension values, and the file's
    /// keys already recorded (read under the lock: another import may have committed since the file
    /// was checked).
    static func bulkStartStatements(bookCode: String, programCode: String, keys: [String])
        -> [PipelineStatement]
    {
        [
            PipelineStatement(
                "SELECT book_id, tenant_id, chain_seq, chain_head, closed_through, created_at_us FROM relief.begin_purchase_import($1)",
                [bookCode], prepared: false),
            PipelineStatement(
                "SELECT period, last_no FROM relief.voucher_counters WHERE book_id = (SELECT id FROM relief.books WHERE code = $1)",
                [bookCode], prepared: false),
            PipelineStatement(
                "SELECT code, id FROM relief.accounts WHERE book_id = (SELECT id FROM relief.books WHERE code = $1) AND code IN ('901', '902')",
                [bookCode], prepared: false),
            PipelineStatement(
                "SELECT kind, code, id FROM relief.dimension_values WHERE tenant_id = $1",
                [MasterData.tenantID], prepared: false),
            existingKeysStatement(programCode: programCode, keys: keys),
        ]
    }

    /// The start of a bulk import from the results of ``bulkStartStatements(bookCode:programCode:keys:)``.
    static func decodeBulkStart(_ results: [PostgresResult], bookCode: String) throws -> (
        start: BulkStart, existingKeys: Set<String>
    ) {
        guard let book = results[0].rows.first else {
            throw SubsidyError(message: "relief.begin_purchase_import returned no row for book \(bookCode)")
        }
        var counters: [Int: Int] = [:]
        for row in results[1].rows {
            counters[try row.decode(Int.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        var accounts: [String: Int] = [:]
        for row in results[2].rows {
            accounts[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        var dimensions: [String: [String: Int]] = [:]
        for row in results[3].rows {
            dimensions[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] =
                try row.decode(Int.self, at: 2)
        }
        let start = BulkStart(
            bookCode: bookCode, chainSeq: try book.decode(Int64.self, at: 2),
            chainHead: try book.decode(PostgresBytes.self, at: 3).bytes,
            createdAtMicroseconds: try book.decode(Int64.self, at: 5), voucherCounters: counters,
            accountIDs: accounts,
            dimensionIDs: dimensions)
        return (start, Set(try results[4].rows.map { try $0.decode(String.self, at: 0) }))
    }

    /// The chain and voucher numbers as the chunks are staged: carried from one chunk to the
    /// next by the one thread that stages them, in order (``Prefetcher`` makes its items one
    /// after another on its thread), so it needs no lock.
    final class BulkChain: @unchecked Sendable {
        var seq: Int64
        var head: [UInt8]
        var voucherCounters: [Int: Int]

        init(_ start: BulkStart) {
            seq = start.chainSeq
            head = start.chainHead
            voucherCounters = start.voucherCounters
        }
    }

    /// One chunk staged as COPY text rows for the four staging tables, with what PostgreSQL must
    /// answer when it has moved them.
    struct StagedChunk: Sendable {
        var entries: [UInt8] = []
        var postings: [UInt8] = []
        var purchases: [UInt8] = []
        var lines: [UInt8] = []
        var entryCount = 0
        var postingCount = 0
        var lineCount = 0
        var ineligibleLines = 0
        /// The chain's position and head after this chunk.
        var lastSeq: Int64 = 0
        var lastHash: [UInt8] = []
    }

    /// Judges, drafts, numbers and hashes the purchases of `keys`, continuing `chain`, and
    /// encodes their rows. Throws when a draft breaks an entry invariant or names an account or
    /// dimension value the books do not have.
    static func stageChunk(
        keys: ArraySlice<String>, groups: [String: [Int]], records: [PurchaseRowRecord],
        master: MasterSnapshot, program: ProgramContext,
        invoicesInUse: [String: String], actorName: String, start: BulkStart, chain: BulkChain
    ) throws -> StagedChunk {
        var chunk = StagedChunk()
        var row = CopyRow()
        var text = CanonicalWriter()
        for key in keys {
            let (lines, judgments) = judgedLines(
                key, groups: groups, records: records, master: master, program: program,
                invoicesInUse: invoicesInUse)
            let draft = memorandumEntry(program: program, key: key, lines: lines, master: master)
            try draft.validate()
            chain.seq += 1
            let period = draft.date.period
            let voucher = chain.voucherCounters[period.yyyymm, default: 0] + 1
            chain.voucherCounters[period.yyyymm] = voucher
            text.reset()
            text.header(
                bookCode: start.bookCode, seq: chain.seq, period: period, voucherNumber: voucher,
                date: draft.date, reversesSeq: nil,
                createdAtMicroseconds: start.createdAtMicroseconds, createdBy: actorName,
                idempotencyKey: draft.idempotencyKey,
                description: draft.description)
            for (index, posting) in draft.postings.enumerated() {
                text.posting(
                    line: index + 1, accountCode: posting.accountCode, side: posting.side,
                    amountFen: posting.amount.fen,
                    dimensions: posting.dimensions, memo: posting.memo)
                try stagePosting(posting, line: index + 1, seq: chain.seq, start: start, row: &row)
            }
            let previous = chain.head
            text.withBytes { Chain.next(previous: previous, canonicalBytes: $0, into: &chain.head) }
            row.integer(chain.seq)
            row.integer(Int64(period.yyyymm))
            row.integer(Int64(voucher))
            row.text(draft.date.description)
            row.text(draft.idempotencyKey)
            row.text(draft.description)
            row.bytea(chain.head)
            row.end(into: &chunk.entries)
            stagePurchase(
                key: key, lines: lines, judgments: judgments, seq: chain.seq, master: master, row: &row,
                chunk: &chunk)
            chunk.entryCount += 1
            chunk.postingCount += draft.postings.count
        }
        chunk.postings = row.takePostings()
        chunk.lastSeq = chain.seq
        chunk.lastHash = chain.head
        return chunk
    }

    private static func stagePosting(
        _ posting: PostingDraft, line: Int, seq: Int64, start: BulkStart, row: inout CopyRow
    ) throws {
        guard let account = start.accountIDs[posting.accountCode] else {
            throw SubsidyError(
                message: "book \(start.bookCode) has no account \(posting.accountCode); nothing was imported")
        }
        row.integer(seq)
        row.integer(Int64(line))
        row.integer(Int64(account))
        row.text(posting.side.rawValue)
        row.integer(posting.amount.fen)
        let d = posting.dimensions
        for (kind, code) in zip(
            Dimensions.kinds, [d.enterprise, d.supplier, d.township, d.category, d.channel, d.program])
        {
            guard let code else {
                row.null()
                continue
            }
            guard let id = start.dimensionIDs[kind]?[code] else {
                throw SubsidyError(message: "the books have no \(kind) \(code); nothing was imported")
            }
            row.integer(Int64(id))
        }
        if let memo = posting.memo { row.text(memo) } else { row.null() }
        row.endPosting()
    }

    private static func stagePurchase(
        key: String, lines: [PurchaseRowRecord], judgments: [Judgment], seq: Int64, master: MasterSnapshot,
        row: inout CopyRow,
        chunk: inout StagedChunk
    ) {
        let first = lines[0]
        row.integer(seq)
        row.text(key)
        row.integer(Int64(master.enterprises[first.enterpriseCreditCode]!.id))
        row.integer(Int64(master.suppliers[first.supplierCreditCode]!.id))
        row.text(first.date.description)
        row.text(first.channel)
        row.text(first.purpose)
        row.text(first.invoiceNumber)
        row.text(first.invoiceDate.description)
        row.text(first.sellerTaxId)
        row.end(into: &chunk.purchases)
        for (index, (line, judgment)) in zip(lines, judgments).enumerated() {
            row.integer(seq)
            row.integer(Int64(index + 1))
            row.integer(Int64(master.products[line.productCode]!.id))
            row.text(line.quantity.description)
            row.text(line.unit)
            row.integer(line.unitPrice.tenThousandthsOfYuan)
            row.integer(line.amount.fen)
            row.text(judgment.isEligible ? "t" : "f")
            // Reason codes are upper-case letters and digits: an array literal needs no quoting.
            row.text("{" + reasonCodes(judgment) + "}")
            row.text(reasonText(judgment))
            row.end(into: &chunk.lines)
            chunk.lineCount += 1
            if !judgment.isEligible { chunk.ineligibleLines += 1 }
        }
    }

    /// Stages `chunk` by COPY and moves it into the books; checks PostgreSQL's counts and chain
    /// head against the chunk's own. Throws (and so rolls the import back) on any difference.
    static func writeStaged(
        _ t: isolated Connection, _ chunk: StagedChunk, bookCode: String, programID: Int, actorName: String
    ) throws {
        let copied = [
            try t.copyIn("COPY pg_temp.bulk_entries FROM STDIN") {
                try $0.append(encodedRows: chunk.entries)
            },
            try t.copyIn("COPY pg_temp.bulk_postings FROM STDIN") {
                try $0.append(encodedRows: chunk.postings)
            },
            try t.copyIn("COPY pg_temp.bulk_purchases FROM STDIN") {
                try $0.append(encodedRows: chunk.purchases)
            },
            try t.copyIn("COPY pg_temp.bulk_lines FROM STDIN") { try $0.append(encodedRows: chunk.lines) },
        ]
        guard copied == [chunk.entryCount, chunk.postingCount, chunk.entryCount, chunk.lineCount] else {
            throw SubsidyError(
                message:
                    "PostgreSQL staged \(copied) rows for \(chunk.entryCount) purchases; nothing was imported"
            )
        }
        let moved = try t.query(
            "SELECT entries, postings, purchases, lines, chain_seq, chain_head FROM relief.post_staged_purchases($1, $2, $3)",
            [bookCode, programID, actorName]
        ).single()
        let counts = [
            try moved.decode(Int.self, at: 0), try moved.decode(Int.self, at: 1),
            try moved.decode(Int.self, at: 2), try moved.decode(Int.self, at: 3),
        ]
        let head = try moved.decode(PostgresBytes.self, at: 5).bytes
        guard counts == [chunk.entryCount, chunk.postingCount, chunk.entryCount, chunk.lineCount],
            try moved.decode(Int64.self, at: 4) == chunk.lastSeq, head == chunk.lastHash
        else {
            throw LedgerError.chainMismatch(
                seq: chunk.lastSeq,
                detail:
                    "PostgreSQL moved \(counts) rows ending at head \(Chain.hex(head)); Swift staged \(chunk.entryCount) entries ending at \(Chain.hex(chunk.lastHash))"
            )
        }
    }
}

/// Rows in COPY text format, encoded field by field into byte buffers: tab between fields, `\N`
/// for NULL, text escaped by ``CopyText/escape(_:into:)``. The postings of a chunk collect in
/// ``postings`` (written row by row while the entry's own row is being built in ``current``).
struct CopyRow {
    private var current: [UInt8] = []
    private var fields = 0
    var postings: [UInt8] = []

    private mutating func separate() {
        if fields > 0 { current.append(0x09) }
        fields += 1
    }

    mutating func integer(_ value: Int64) {
        separate()
        current.append(contentsOf: String(value).utf8)
    }

    mutating func text(_ value: String) {
        separate()
        CopyText.escape(value, into: &current)
    }

    mutating func null() {
        separate()
        current.append(contentsOf: [0x5c, 0x4e])
    }

    /// A `bytea` in hex input form (`\\x…` once COPY's own escape is undone).
    mutating func bytea(_ bytes: [UInt8]) {
        separate()
        current.append(contentsOf: [0x5c, 0x5c, 0x78])
        let digits = Array("0123456789abcdef".utf8)
        for byte in bytes {
            current.append(digits[Int(byte >> 4)])
            current.append(digits[Int(byte & 0x0f)])
        }
    }

    /// Ends the row being built and appends it to `buffer`.
    mutating func end(into buffer: inout [UInt8]) {
        current.append(0x0a)
        buffer.append(contentsOf: current)
        current.removeAll(keepingCapacity: true)
        fields = 0
    }

    /// Ends the row being built and appends it to ``postings``.
    mutating func endPosting() {
        var buffer = takePostings()  // moved out and back: no copy of the buffer
        end(into: &buffer)
        postings = buffer
    }

    /// The postings collected so far, leaving none.
    mutating func takePostings() -> [UInt8] {
        let taken = postings
        postings = []
        return taken
    }
}

/// One file's bulk write (``Purchases/WritePath/bulk``), once its rows passed every check of the
/// file: the book locked and read, then chunk after chunk staged on the prefetcher's thread and
/// moved on the connection's.
struct BulkImport: Sendable {
    /// The file's purchase keys in file order, each once.
    var keys: [String]
    var groups: [String: [Int]]
    var records: [PurchaseRowRecord]
    var master: MasterSnapshot
    var program: ProgramContext
    var invoicesInUse: [String: String]
    var actorName: String

    /// Writes the purchases the books do not have yet, inside the caller's transaction.
    func write(
        _ t: isolated Connection, dimensions: PipelineStatement?, summary: inout ImportSummary,
        progress: @Sendable (_ done: Int, _ total: Int) -> Void
    ) throws {
        let statements = Purchases.bulkStartStatements(
            bookCode: program.bookCode, programCode: program.code, keys: keys)
        let results = try t.pipeline((dimensions.map { [$0] } ?? []) + statements)
        let (start, existing) = try Purchases.decodeBulkStart(
            Array(results.suffix(statements.count)), bookCode: program.bookCode)
        let newKeys = keys.filter { !existing.contains($0) }
        summary.unchanged = existing.count
        let chain = Purchases.BulkChain(start)
        let chunks = Purchases.bulkChunks(newKeys.count)
        let chunkCount = chunks.count
        let stage: @Sendable (Int) throws -> Purchases.StagedChunk = { [self] index in
            try Purchases.stageChunk(
                keys: newKeys[chunks[index]], groups: groups, records: records, master: master,
                program: program, invoicesInUse: invoicesInUse, actorName: actorName, start: start,
                chain: chain)
        }
        // Each chunk is staged on a thread of its own while PostgreSQL moves the one before.
        let prefetcher = Prefetcher(count: chunkCount, depth: 2, name: "relief.import.bulk", make: stage)
        defer { prefetcher.stop() }
        var written = 0
        for _ in 0..<chunkCount {
            guard let chunk = try prefetcher.next() else { break }
            try Purchases.writeStaged(
                t, chunk, bookCode: program.bookCode, programID: program.id, actorName: actorName)
            summary.created += chunk.entryCount
            summary.entriesPosted += chunk.entryCount
            summary.ineligibleLines += chunk.ineligibleLines
            written += chunk.entryCount
            progress(written, newKeys.count)
        }
        guard written == newKeys.count else {
            throw SubsidyError(
                message:
                    "the bulk import wrote \(written) of \(newKeys.count) purchases; nothing was imported")
        }
    }
}
