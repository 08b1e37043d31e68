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
    public static func next(previous: [UInt8], canonicalBytes: UnsafeBufferPointer<UInt8>, into hash: inout [UInt8]) {
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
            bookCode: bookCode, seq: seq, period: period, voucherNumber: voucherNumber, date: date, reversesSeq: reversesSeq,
            createdAtMicroseconds: createdAtMicroseconds, createdBy: createdBy, idempotencyKey: idempotencyKey,
            description: description)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// One posting line.
    public static func posting(line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: [String?], memo: String?) -> String {
        var writer = CanonicalWriter()
        writer.posting(line: line, accountCode: accountCode, side: side, amountFen: amountFen, dimensions: dimensions, memo: memo)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Header plus postings of a draft once the database has numbered it.
    public static func entry(
        _ draft: EntryDraft, bookCode: String, seq: Int64, voucherNumber: Int, createdAtMicroseconds: Int64, createdBy: String
    ) -> String {
        var writer = CanonicalWriter()
        writer.header(
            bookCode: bookCode, seq: seq, period: draft.date.period, voucherNumber: voucherNumber, date: draft.date,
            reversesSeq: draft.reversesSeq, createdAtMicroseconds: createdAtMicroseconds, createdBy: createdBy,
            idempotencyKey: draft.idempotencyKey, description: draft.description)
        for (index, posting) in draft.postings.enumerated() {
            writer.posting(
                line: index + 1, accountCode: posting.accountCode, side: posting.side, amountFen: posting.amount.fen,
                dimensions: posting.dimensions, memo: posting.memo)
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Writes canonical text (docs/CHAIN.md) as UTF-8 bytes into one buffer that callers reuse from
/// entry to entry (``reset()``), so that checking a chain of millions of entries builds no
/// intermediate Strings.
public struct CanonicalWriter: Sendable {
    /// The text written since the last ``reset()``.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() { bytes.reserveCapacity(1_024) }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

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
                            bookCode: book, seq: seq, period: period, voucherNumber: voucherNumber, date: date,
                            reversesSeq: reversesSeq, createdAtMicroseconds: createdAtMicroseconds, createdBy: by,
                            idempotencyKey: key, description: text)
                    }
                }
            }
        }
    }

    /// The entry line from UTF-8 bytes as stored (a COPY row's fields), escaped as they are
    /// written: what ``header(bookCode:seq:period:voucherNumber:date:reversesSeq:createdAtMicroseconds:createdBy:idempotencyKey:description:)``
    /// writes for the same text, without a String in between.
    public mutating func header(
        bookCode: UnsafeBufferPointer<UInt8>, seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        reversesSeq: Int64?, createdAtMicroseconds: Int64, createdBy: UnsafeBufferPointer<UInt8>,
        idempotencyKey: UnsafeBufferPointer<UInt8>, description: UnsafeBufferPointer<UInt8>
    ) {
        bytes.append(UInt8(ascii: "E"))
        separator()
        text(utf8: bookCode)
        separator()
        integer(seq)
        separator()
        month(year: period.year, month: period.month)
        separator()
        integer(Int64(voucherNumber))
        separator()
        day(date)
        separator()
        if let reversesSeq { integer(reversesSeq) }
        separator()
        timestamp(microseconds: createdAtMicroseconds)
        separator()
        text(utf8: createdBy)
        separator()
        text(utf8: idempotencyKey)
        separator()
        text(utf8: description)
        bytes.append(0x0a)
    }

    /// One posting line: `P|line|account|side|amount|six dimensions|memo`; `dimensions` in
    /// ``Dimensions/ordered`` order.
    public mutating func posting(line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: [String?], memo: String?) {
        postingStart(line: line, accountCode: accountCode, side: side, amountFen: amountFen)
        for value in dimensions { optional(value) }
        endPosting(memo: memo)
    }

    /// One posting line (``posting(line:accountCode:side:amountFen:dimensions:memo:)`` without
    /// building the array of dimensions).
    public mutating func posting(line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: Dimensions, memo: String?) {
        postingStart(line: line, accountCode: accountCode, side: side, amountFen: amountFen)
        optional(dimensions.enterprise)
        optional(dimensions.supplier)
        optional(dimensions.township)
        optional(dimensions.category)
        optional(dimensions.channel)
        optional(dimensions.program)
        endPosting(memo: memo)
    }

    /// The start of a posting line, `P|line|account|side|amount`, the account code as UTF-8
    /// bytes: follow it with six ``field(utf8:)`` (the dimensions in ``Dimensions/ordered``
    /// order) and ``endPosting(memo:)``.
    public mutating func beginPosting(line: Int, accountCode: UnsafeBufferPointer<UInt8>, side: Side, amountFen: Int64) {
        bytes.append(UInt8(ascii: "P"))
        separator()
        integer(Int64(line))
        separator()
        text(utf8: accountCode)
        separator()
        bytes.append(side == .debit ? UInt8(ascii: "D") : UInt8(ascii: "C"))
        separator()
        integer(amountFen)
    }

    /// A separator, then the field's UTF-8 bytes escaped (nothing for nil).
    public mutating func field(utf8 value: UnsafeBufferPointer<UInt8>?) {
        separator()
        if let value { text(utf8: value) }
    }

    /// The memo field and the end of the posting line.
    public mutating func endPosting(memo: UnsafeBufferPointer<UInt8>?) {
        field(utf8: memo)
        bytes.append(0x0a)
    }

    private mutating func postingStart(line: Int, accountCode: String, side: Side, amountFen: Int64) {
        UTF8Bytes.with(accountCode) { beginPosting(line: line, accountCode: $0, side: side, amountFen: amountFen) }
    }

    /// The memo field and the end of the posting line, from a String.
    public mutating func endPosting(memo: String?) {
        optional(memo)
        bytes.append(0x0a)
    }

    /// A separator, then the field (empty for nil).
    private mutating func optional(_ value: String?) {
        separator()
        if let value { text(value) }
    }

    /// A text field, escaped: `\` → `\\`, `|` → `\|`, LF → `\n`, CR → `\r`.
    public mutating func text(_ value: String) {
        UTF8Bytes.with(value) { text(utf8: $0) }
    }

    /// A text field from its UTF-8 bytes, escaped (byte by byte: the four escaped characters are
    /// ASCII and never part of a longer UTF-8 sequence).
    public mutating func text(utf8: UnsafeBufferPointer<UInt8>) {
        // Most text has nothing to escape: one copy.
        guard utf8.contains(where: { $0 == 0x5c || $0 == 0x7c || $0 == 0x0a || $0 == 0x0d }) else {
            bytes.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case 0x5c: bytes.append(0x5c); bytes.append(0x5c)
            case 0x7c: bytes.append(0x5c); bytes.append(0x7c)
            case 0x0a: bytes.append(0x5c); bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(0x5c); bytes.append(UInt8(ascii: "r"))
            default: bytes.append(byte)
            }
        }
    }

    /// A decimal integer, `-` for negatives.
    public mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        } while divisor > 0
    }

    private mutating func separator() { bytes.append(0x7c) }

    /// `value` in exactly `width` digits (zero-padded; values are never wider).
    private mutating func padded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    private mutating func month(year: Int, month: Int) {
        padded(year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        padded(month, width: 2)
    }

    private mutating func day(_ date: LocalDate) {
        month(year: date.year, month: date.month)
        bytes.append(UInt8(ascii: "-"))
        padded(date.day, width: 2)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, always six fraction digits.
    mutating func timestamp(microseconds: Int64) {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        if let date = LocalDate(daysSinceEpoch: Int(days)) { day(date) } else { bytes.append(contentsOf: Array("0000-00-00".utf8)) }
        let seconds = Int(rest / 1_000_000)
        bytes.append(UInt8(ascii: "T"))
        padded(seconds / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(seconds / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(seconds % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        padded(Int(rest % 1_000_000), width: 6)
        bytes.append(UInt8(ascii: "Z"))
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
