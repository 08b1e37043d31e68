import Postgres
import ReliefCore

/// Entries as `relief verify` checks them, many to a value: each entry's canonical text in one
/// shared buffer, its stored hash in another, and the facts the checks need (chain position,
/// month, voucher number, date, and per posting the account, side and amount) in arrays of plain
/// values. Handing one of these to the checking thread costs a few reference counts per batch,
/// not several per entry as an ``ExportEntry`` with its Strings does.
struct ChainBatch: Sendable {
    /// One entry: where its text, stored hash and postings end in the batch's buffers.
    struct Entry: Sendable {
        var seq: Int64
        var period: Period
        var voucherNumber: Int
        var date: LocalDate
        var textEnd: Int
        var hashEnd: Int
        var postingsEnd: Int
    }

    /// One posting, as the balance checks need it.
    struct Posting: Sendable {
        var accountID: Int
        var isDebit: Bool
        var isRed: Bool
        var amountFen: Int64
    }

    /// The entries' canonical texts, one after another.
    var text: CanonicalWriter
    /// The entries' stored hashes, one after another (32 bytes each unless tampered with).
    var hashes: [UInt8] = []
    /// The entries in chain order.
    var entries: [Entry] = []
    /// The entries' postings in line order, one entry's after another's.
    var postings: [Posting] = []

    /// An empty batch with room for `textBytes` of canonical text before it grows.
    init(textBytes: Int = 1_024) { text = CanonicalWriter(capacity: textBytes) }

    /// Appends `entry`, read by another path than the two COPY streams.
    mutating func append(_ entry: borrowing ExportEntry) {
        entry.writeCanonicalText(into: &text)
        hashes.append(contentsOf: Hex.decode(entry.hashHex) ?? [])
        for index in entry.postings.indices {
            postings.append(Posting(
                accountID: entry.postings[index].account.id, isDebit: entry.postings[index].side == .debit,
                isRed: entry.postings[index].isRed, amountFen: entry.postings[index].amountFen))
        }
        entries.append(Entry(
            seq: entry.seq, period: entry.period, voucherNumber: entry.voucherNumber, date: entry.date,
            textEnd: text.count, hashEnd: hashes.count, postingsEnd: postings.count))
    }

    /// Appends the entry of an entries COPY row (``JournalStream/entriesCopyQuery(bookID:)``)
    /// with its posting rows in line order, writing its canonical text from the rows' bytes. A
    /// posting whose account or side is unknown is left out, as ``JournalStream/forEach(_:bookCode:periods:_:)``
    /// leaves it out of an ``ExportEntry``: the recomputed hash then differs from the stored one.
    mutating func append(entryRow row: UnsafeBufferPointer<UInt8>, _ fields: CopyBinaryFields, lookups: JournalStream.Lookups, postings rows: [JournalStream.PostingRow]) {
        let head = JournalStream.EntryRowHead(fields, row: row, offset: 1)
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        lookups.bookCodeBytes.withUnsafeBufferPointer { book in
            text.header(
                bookCode: book, seq: head.seq, period: head.period, voucherNumber: head.voucherNumber, date: head.date,
                reversesSeq: head.reversesSeq, createdAtMicroseconds: head.createdAtMicroseconds,
                createdBy: fields.bytes(7, in: row) ?? empty, idempotencyKey: fields.bytes(8, in: row) ?? empty,
                description: fields.bytes(9, in: row) ?? empty)
        }
        let isRed = !fields.isNull(5)
        lookups.accountCodeBytes.withBytes { accountCodes in
            lookups.codeBytes.withBytes { codes in
                func code(_ id: Int64?) -> UnsafeBufferPointer<UInt8>? {
                    lookups.codeBytes.range(id).map { UnsafeBufferPointer(rebasing: codes[$0]) }
                }
                for index in rows.indices {
                    guard let account = lookups.accountCodeBytes.range(Int64(rows[index].accountID)), let side = rows[index].side else { continue }
                    let d = rows[index].dimensions
                    let dimensions = (code(d.0), code(d.1), code(d.2), code(d.3), code(d.4), code(d.5))
                    let accountCode = UnsafeBufferPointer(rebasing: accountCodes[account])
                    text.posting(
                        line: rows[index].line, accountCode: accountCode, side: side, amountFen: rows[index].amountFen,
                        dimensions: dimensions, memo: rows[index].memo)
                    postings.append(Posting(accountID: rows[index].accountID, isDebit: side == .debit, isRed: isRed, amountFen: rows[index].amountFen))
                }
            }
        }
        if let hash = fields.bytes(10, in: row) { hashes.append(contentsOf: hash) }
        entries.append(Entry(
            seq: head.seq, period: head.period, voucherNumber: head.voucherNumber, date: head.date,
            textEnd: text.count, hashEnd: hashes.count, postingsEnd: postings.count))
    }
}

/// Codes by small integer id as UTF-8 bytes, all in one buffer: looking one up is an index
/// probe and a range, with no String to retain and release.
struct ByteCodes: Sendable {
    private let bytes: [UInt8]
    private let ranges: JournalStream.IDTable<Range<Int>>

    init(_ pairs: [(Int, String)]) {
        var bytes: [UInt8] = []
        var ranges: [(Int, Range<Int>)] = []
        ranges.reserveCapacity(pairs.count)
        for (id, code) in pairs {
            let start = bytes.count
            bytes.append(contentsOf: code.utf8)
            ranges.append((id, start..<bytes.count))
        }
        self.bytes = bytes
        self.ranges = JournalStream.IDTable(ranges)
    }

    /// Where the code of `id` lies in the buffer ``withBytes(_:)`` lends; nil for nil or an
    /// unknown id.
    func range(_ id: Int64?) -> Range<Int>? {
        guard let id, let index = Int(exactly: id) else { return nil }
        return ranges[index]
    }

    /// Calls `body` with the buffer the ranges point into.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try bytes.withUnsafeBufferPointer(body)
    }
}
