import Crypto

/// The hash chain: `hash_n = SHA-256(hash_{n-1} ‖ UTF-8(canonical_text(entry_n)))`, per book,
/// starting from 32 zero bytes. docs/CHAIN.md specifies the canonical text; PostgreSQL's
/// `relief.canon_header` / `relief.canon_postings` implement the same text.
public enum Chain {
    /// The hash before the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The next hash in the chain.
    public static func next(previous: [UInt8], canonicalText: String) -> [UInt8] {
        next(previous: previous, canonicalBytes: Array(canonicalText.utf8))
    }

    /// The next hash in the chain, from canonical text already written as UTF-8 bytes.
    public static func next(previous: [UInt8], canonicalBytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonicalBytes)
        return Array(hasher.finalize())
    }

    /// The next hash in the chain written into `hash`, which is reused from entry to entry (made
    /// 32 bytes long if it is not): the verifier's loop, without an array per entry.
    public static func next(
        previous: [UInt8], canonicalBytes: UnsafeBufferPointer<UInt8>, into hash: inout [UInt8]
    ) {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(bufferPointer: UnsafeRawBufferPointer(canonicalBytes))
        let digest = hasher.finalize()
        if hash.count != SHA256.byteCount { hash = [UInt8](repeating: 0, count: SHA256.byteCount) }
        hash.withUnsafeMutableBytes { target in digest.withUnsafeBytes { target.copyMemory(from: $0) } }
    }

    /// SHA-256 of bytes.
    public static func sha256(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }

    /// Lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}

/// The canonical text of an entry: what the chain hashes. Written as UTF-8 bytes by
/// ``CanonicalWriter``; the String forms here are for tests, tools and messages.
public enum CanonicalText {
    /// Escapes a text field: `\` → `\\`, `|` → `\|`, LF → `\n`, CR → `\r`.
    public static func escape(_ text: String) -> String {
        var writer = CanonicalWriter()
        writer.text(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The entry line.
    public static func header(
        bookCode: String, seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        reversesSeq: Int64?, createdAtMicroseconds: Int64, createdBy: String, idempotencyKey: String,
        description: String
    ) -> String {
        var writer = CanonicalWriter()
        writer.header(
            bookCode: bookCode, seq: seq, period: period, voucherNumber: voucherNumber, date: date,
            reversesSeq: reversesSeq,
            createdAtMicroseconds: createdAtMicroseconds, createdBy: createdBy,
            idempotencyKey: idempotencyKey,
            description: description)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// One posting line.
    public static func posting(
        line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: [String?], memo: String?
    ) -> String {
        var writer = CanonicalWriter()
        writer.posting(
            line: line, accountCode: accountCode, side: side, amountFen: amountFen, dimensions: dimensions,
            memo: memo)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Header plus postings of a draft once the database has numbered it.
    public static func entry(
        _ draft: EntryDraft, bookCode: String, seq: Int64, voucherNumber: Int, createdAtMicroseconds: Int64,
        createdBy: String
    ) -> String {
        var writer = CanonicalWriter()
        writer.header(
            bookCode: bookCode, seq: seq, period: draft.date.period, voucherNumber: voucherNumber,
            date: draft.date,
            reversesSeq: draft.reversesSeq, createdAtMicroseconds: createdAtMicroseconds,
            createdBy: createdBy,
            idempotencyKey: draft.idempotencyKey, description: draft.description)
        for (index, posting) in draft.postings.enumerated() {
            writer.posting(
                line: index + 1, accountCode: posting.accountCode, side: posting.side,
                amountFen: posting.amount.fen,
                dimensions: posting.dimensions, memo: posting.memo)
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Writes canonical text (docs/CHAIN.md) as UTF-8 bytes into one buffer that callers reuse from
/// entry to entry (``reset()``), so that checking a chain of millions of entries builds no
/// intermediate Strings. Each line, or each field of a posting written field by field, is one
/// stretch written through a pointer (``ByteOutput``), not a byte at a time.
public struct CanonicalWriter: Sendable {
    /// Dimension values of a posting as UTF-8 bytes, in ``Dimensions/ordered`` order (nil: none).
    public typealias DimensionBytes = (
        UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?,
        UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?
    )

    private var output: ByteOutput

    /// The text written since the last ``reset()`` (a copy: hot paths use ``withBytes(_:)``).
    public var bytes: [UInt8] { output.array }

    /// How many bytes were written since the last ``reset()``.
    public var count: Int { output.count }

    /// An empty writer with room for `capacity` bytes before it grows.
    public init(capacity: Int = 1_024) { output = ByteOutput(capacity: capacity) }

    /// Calls `body` with the text written since the last ``reset()``.
    public func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try output.withBytes(body)
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() { output.removeAll() }

    /// The entry line: `E|book|seq|YYYY-MM|voucher|YYYY-MM-DD|reverses|timestamp|by|key|description`.
    public mutating func header(
        bookCode: String, seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        reversesSeq: Int64?, createdAtMicroseconds: Int64, createdBy: String, idempotencyKey: String,
        description: String
    ) {
        UTF8Bytes.with(bookCode) { book in
            UTF8Bytes.with(createdBy) { by in
                UTF8Bytes.with(idempotencyKey) { key in
                    UTF8Bytes.with(description) { text in
                        header(
                            bookCode: book, seq: seq, period: period, voucherNumber: voucherNumber,
                            date: date,
                            reversesSeq: reversesSeq, createdAtMicroseconds: createdAtMicroseconds,
                            createdBy: by,
                            idempotencyKey: key, description: text)
                    }
                }
            }
        }
    }

    /// The most bytes of an entry line besides its four text fields: `E`, ten separators, four
    /// integers of at most 20 bytes, the month (7), the day (10), the timestamp (27), the line end.
    static let headerFixedBytes = 1 + 10 + 4 * 20 + 7 + 10 + 27 + 1

    /// The entry line from UTF-8 bytes as stored (a COPY row's fields), escaped as they are
    /// written: what ``header(bookCode:seq:period:voucherNumber:date:reversesSeq:createdAtMicroseconds:createdBy:idempotencyKey:description:)``
    /// writes for the same text, without a String in between.
    public mutating func header(
        bookCode: UnsafeBufferPointer<UInt8>, seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        reversesSeq: Int64?, createdAtMicroseconds: Int64, createdBy: UnsafeBufferPointer<UInt8>,
        idempotencyKey: UnsafeBufferPointer<UInt8>, description: UnsafeBufferPointer<UInt8>
    ) {
        let textBytes = bookCode.count + createdBy.count + idempotencyKey.count + description.count
        output.write(maximum: Self.headerFixedBytes + 2 * textBytes) { c in
            c.byte(UInt8(ascii: "E"))
            c.byte(Self.separator)
            Self.escape(bookCode, into: &c)
            c.byte(Self.separator)
            c.integer(seq)
            c.byte(Self.separator)
            Self.month(year: period.year, month: period.month, into: &c)
            c.byte(Self.separator)
            c.integer(Int64(voucherNumber))
            c.byte(Self.separator)
            Self.day(date, into: &c)
            c.byte(Self.separator)
            if let reversesSeq { c.integer(reversesSeq) }
            c.byte(Self.separator)
            Self.timestamp(microseconds: createdAtMicroseconds, into: &c)
            c.byte(Self.separator)
            Self.escape(createdBy, into: &c)
            c.byte(Self.separator)
            Self.escape(idempotencyKey, into: &c)
            c.byte(Self.separator)
            Self.escape(description, into: &c)
            c.byte(0x0a)
        }
    }

    /// One posting line: `P|line|account|side|amount|six dimensions|memo`; `dimensions` in
    /// ``Dimensions/ordered`` order.
    public mutating func posting(
        line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: [String?], memo: String?
    ) {
        postingStart(line: line, accountCode: accountCode, side: side, amountFen: amountFen)
        for value in dimensions { optional(value) }
        endPosting(memo: memo)
    }

    /// One posting line (``posting(line:accountCode:side:amountFen:dimensions:memo:)`` without
    /// building the array of dimensions).
    public mutating func posting(
        line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: Dimensions, memo: String?
    ) {
        postingStart(line: line, accountCode: accountCode, side: side, amountFen: amountFen)
        optional(dimensions.enterprise)
        optional(dimensions.supplier)
        optional(dimensions.township)
        optional(dimensions.category)
        optional(dimensions.channel)
        optional(dimensions.program)
        endPosting(memo: memo)
    }

    /// The most bytes of a posting line's start besides its account code: `P`, four separators,
    /// two integers of at most 20 bytes, the side.
    static let postingStartFixedBytes = 1 + 4 + 2 * 20 + 1

    /// One whole posting line from UTF-8 bytes, in one stretch: what ``beginPosting(line:accountCode:side:amountFen:)``,
    /// six ``field(utf8:)`` and ``endPosting(memo:)`` write.
    public mutating func posting(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, side: Side, amountFen: Int64,
        dimensions: DimensionBytes,
        memo: UnsafeBufferPointer<UInt8>?
    ) {
        let d = dimensions
        let fieldBytes =
            (d.0?.count ?? 0) + (d.1?.count ?? 0) + (d.2?.count ?? 0) + (d.3?.count ?? 0) + (d.4?.count ?? 0)
            + (d.5?.count ?? 0) + (memo?.count ?? 0)
        output.write(maximum: Self.postingStartFixedBytes + 7 + 1 + 2 * (accountCode.count + fieldBytes)) {
            c in
            Self.postingStart(
                line: line, accountCode: accountCode, side: side, amountFen: amountFen, into: &c)
            Self.field(d.0, into: &c)
            Self.field(d.1, into: &c)
            Self.field(d.2, into: &c)
            Self.field(d.3, into: &c)
            Self.field(d.4, into: &c)
            Self.field(d.5, into: &c)
            Self.field(memo, into: &c)
            c.byte(0x0a)
        }
    }

    /// ``posting(line:accountCode:side:amountFen:dimensions:memo:)-(_,UnsafeBufferPointer<UInt8>,_,_,_,_)``
    /// with the memo as a String.
    public mutating func posting(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, side: Side, amountFen: Int64,
        dimensions: DimensionBytes,
        memo: String?
    ) {
        guard let memo else {
            return posting(
                line: line, accountCode: accountCode, side: side, amountFen: amountFen,
                dimensions: dimensions,
                memo: nil as UnsafeBufferPointer<UInt8>?)
        }
        UTF8Bytes.with(memo) {
            posting(
                line: line, accountCode: accountCode, side: side, amountFen: amountFen,
                dimensions: dimensions, memo: $0)
        }
    }

    /// The start of a posting line, `P|line|account|side|amount`, the account code as UTF-8
    /// bytes: follow it with six ``field(utf8:)`` (the dimensions in ``Dimensions/ordered``
    /// order) and ``endPosting(memo:)``.
    public mutating func beginPosting(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, side: Side, amountFen: Int64
    ) {
        output.write(maximum: Self.postingStartFixedBytes + 2 * accountCode.count) { c in
            Self.postingStart(
                line: line, accountCode: accountCode, side: side, amountFen: amountFen, into: &c)
        }
    }

    /// A separator, then the field's UTF-8 bytes escaped (nothing for nil).
    public mutating func field(utf8 value: UnsafeBufferPointer<UInt8>?) {
        output.write(maximum: 1 + 2 * (value?.count ?? 0)) { Self.field(value, into: &$0) }
    }

    /// The memo field and the end of the posting line.
    public mutating func endPosting(memo: UnsafeBufferPointer<UInt8>?) {
        output.write(maximum: 2 + 2 * (memo?.count ?? 0)) { c in
            Self.field(memo, into: &c)
            c.byte(0x0a)
        }
    }

    private mutating func postingStart(line: Int, accountCode: String, side: Side, amountFen: Int64) {
        UTF8Bytes.with(accountCode) {
            beginPosting(line: line, accountCode: $0, side: side, amountFen: amountFen)
        }
    }

    /// The memo field and the end of the posting line, from a String.
    public mutating func endPosting(memo: String?) {
        guard let memo else { return endPosting(memo: nil as UnsafeBufferPointer<UInt8>?) }
        UTF8Bytes.with(memo) { endPosting(memo: $0) }
    }

    /// A separator, then the field (empty for nil).
    private mutating func optional(_ value: String?) {
        guard let value else { return field(utf8: nil) }
        UTF8Bytes.with(value) { field(utf8: $0) }
    }

    /// A text field, escaped: `\` → `\\`, `|` → `\|`, LF → `\n`, CR → `\r`.
    public mutating func text(_ value: String) {
        UTF8Bytes.with(value) { text(utf8: $0) }
    }

    /// A text field from its UTF-8 bytes, escaped (byte by byte: the four escaped characters are
    /// ASCII and never part of a longer UTF-8 sequence).
    public mutating func text(utf8: UnsafeBufferPointer<UInt8>) {
        output.write(maximum: 2 * utf8.count) { Self.escape(utf8, into: &$0) }
    }

    /// A decimal integer, `-` for negatives.
    public mutating func integer(_ value: Int64) {
        output.write(maximum: 20) { $0.integer(value) }
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, always six fraction digits.
    mutating func timestamp(microseconds: Int64) {
        output.write(maximum: 27) { Self.timestamp(microseconds: microseconds, into: &$0) }
    }

    // MARK: - Writing through a cursor

    private static let separator = UInt8(ascii: "|")

    private static func postingStart(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, side: Side, amountFen: Int64,
        into c: inout ByteCursor
    ) {
        c.byte(UInt8(ascii: "P"))
        c.byte(separator)
        c.integer(Int64(line))
        c.byte(separator)
        escape(accountCode, into: &c)
        c.byte(separator)
        c.byte(side == .debit ? UInt8(ascii: "D") : UInt8(ascii: "C"))
        c.byte(separator)
        c.integer(amountFen)
    }

    /// A separator, then the field escaped (nothing for nil): at most 1 + 2 × its bytes.
    @inline(__always)
    private static func field(_ value: UnsafeBufferPointer<UInt8>?, into c: inout ByteCursor) {
        c.byte(separator)
        if let value { escape(value, into: &c) }
    }

    /// The text escaped: at most twice its bytes.
    @inline(__always)
    private static func escape(_ utf8: UnsafeBufferPointer<UInt8>, into c: inout ByteCursor) {
        // Most text has nothing to escape: one copy.
        guard utf8.contains(where: { $0 == 0x5c || $0 == 0x7c || $0 == 0x0a || $0 == 0x0d }) else {
            c.append(utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x5c: c.byte(0x5c); c.byte(0x5c)
            case 0x7c: c.byte(0x5c); c.byte(0x7c)
            case 0x0a: c.byte(0x5c); c.byte(UInt8(ascii: "n"))
            case 0x0d: c.byte(0x5c); c.byte(UInt8(ascii: "r"))
            default: c.byte(byte)
            }
        }
    }

    /// `YYYY-MM`: 7 bytes.
    private static func month(year: Int, month: Int, into c: inout ByteCursor) {
        c.lastDigits(year, width: 4)
        c.byte(UInt8(ascii: "-"))
        c.lastDigits(month, width: 2)
    }

    /// `YYYY-MM-DD`: 10 bytes.
    private static func day(_ date: LocalDate, into c: inout ByteCursor) {
        month(year: date.year, month: date.month, into: &c)
        c.byte(UInt8(ascii: "-"))
        c.lastDigits(date.day, width: 2)
    }

    private static let unknownDay = Array("0000-00-00".utf8)

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, always six fraction digits: 27 bytes.
    private static func timestamp(microseconds: Int64, into c: inout ByteCursor) {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        if let date = LocalDate(daysSinceEpoch: Int(days)) {
            day(date, into: &c)
        } else {
            c.append(unknownDay)
        }
        let seconds = Int(rest / 1_000_000)
        c.byte(UInt8(ascii: "T"))
        c.lastDigits(seconds / 3600, width: 2)
        c.byte(UInt8(ascii: ":"))
        c.lastDigits(seconds / 60 % 60, width: 2)
        c.byte(UInt8(ascii: ":"))
        c.lastDigits(seconds % 60, width: 2)
        c.byte(UInt8(ascii: "."))
        c.lastDigits(Int(rest % 1_000_000), width: 6)
        c.byte(UInt8(ascii: "Z"))
    }
}

/// UTC timestamps as integer microseconds since 1970-01-01T00:00:00Z.
public enum Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always six fraction digits.
    public static func iso8601(microseconds: Int64) -> String {
        var writer = CanonicalWriter()
        writer.timestamp(microseconds: microseconds)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
