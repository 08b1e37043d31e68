#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The text encoding of a CSV journal.
public enum CSVEncoding: String, Sendable, Hashable {
    /// UTF-8 with a byte order mark (EF BB BF), which Excel and WPS on Chinese Windows open correctly.
    case utf8BOM
    /// GB18030, the encoding that older Chinese Windows software expects for "CSV"; no BOM.
    case gb18030
}

/// Why a journal chunk could not be encoded.
public struct JournalEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in English.
    public var message: String

    /// Makes an error.
    public init(message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// A journal writer whose chunks are bytes, ready to be written to a file as they come.
///
/// The protocol mirrors ``JournalWriter``: ``headerBytes(accounts:)`` once, ``entryBytes(_:)`` for
/// each entry in chain order, ``footerBytes()`` once. Writers that also conform to
/// ``JournalWriter`` get a default that encodes their text as UTF-8 (no BOM added);
/// ``CSVJournalWriter`` replaces it to honour its ``CSVEncoding``.
public protocol ByteJournalWriter {
    /// Bytes before the first entry.
    mutating func headerBytes(accounts: [Account]) throws(JournalEncodingError) -> [UInt8]
    /// The bytes of one entry.
    mutating func entryBytes(_ entry: ExportEntry) throws(JournalEncodingError) -> [UInt8]
    /// Bytes after the last entry.
    mutating func footerBytes() throws(JournalEncodingError) -> [UInt8]
    /// Appends the bytes of one entry to `buffer`: ``entryBytes(_:)`` without an array per entry.
    mutating func appendEntryBytes(_ entry: ExportEntry, to buffer: inout [UInt8])
        throws(JournalEncodingError)
}

extension ByteJournalWriter {
    /// ``entryBytes(_:)`` appended.
    public mutating func appendEntryBytes(_ entry: ExportEntry, to buffer: inout [UInt8])
        throws(JournalEncodingError)
    {
        buffer += try entryBytes(entry)
    }
}

extension ByteJournalWriter where Self: JournalWriter {
    /// ``JournalWriter/header(accounts:)`` as UTF-8.
    public mutating func headerBytes(accounts: [Account]) throws(JournalEncodingError) -> [UInt8] {
        Array(header(accounts: accounts).utf8)
    }

    /// ``JournalWriter/entry(_:)`` as UTF-8.
    public mutating func entryBytes(_ entry: ExportEntry) throws(JournalEncodingError) -> [UInt8] {
        Array(self.entry(entry).utf8)
    }

    /// ``JournalWriter/footer()`` as UTF-8.
    public mutating func footerBytes() throws(JournalEncodingError) -> [UInt8] {
        Array(footer().utf8)
    }
}

/// The journal as CSV for auditors (序时账明细): one row per posting, RFC 4180 quoting, CRLF line
/// ends, amounts in yuan with two decimals and the red-reversal flag in its own column.
///
/// Columns: 链序号, 凭证号, 日期, 摘要, 分录行, 科目编码, 科目名称, 方向, 金额, 红字, 企业, 供应商,
/// 乡镇, 品类, 渠道, 项目, 备注, 冲销链序号, 录入人, 幂等键, 哈希. 金额 is the positive amount as
/// posted (`1800.00`); a red posting has 红字 `是` and counts negative on its side.
///
/// Write the file with the byte methods (``ByteJournalWriter``): they apply ``encoding``. The
/// text methods (``JournalWriter``) return the same content as `String`: with ``CSVEncoding/utf8BOM``
/// the header starts with U+FEFF (so its UTF-8 is the file); with ``CSVEncoding/gb18030`` there is
/// no BOM and the text still has to be encoded, which only the byte methods do.
public struct CSVJournalWriter: JournalWriter, ByteJournalWriter, Sendable {
    /// The column headers, in order.
    public static let headers = [
        "链序号", "凭证号", "日期", "摘要", "分录行", "科目编码", "科目名称", "方向", "金额", "红字",
        "企业", "供应商", "乡镇", "品类", "渠道", "项目", "备注", "冲销链序号", "录入人", "幂等键", "哈希",
    ]

    /// The encoding of the bytes the writer produces.
    public var encoding: CSVEncoding
    /// Cells reused from entry to entry by ``appendEntryBytes(_:to:)``.
    private var scratch = Scratch()

    /// Makes a writer; UTF-8 with BOM unless told otherwise.
    public init(encoding: CSVEncoding = .utf8BOM) {
        self.encoding = encoding
    }

    /// The header row, preceded by the BOM for ``CSVEncoding/utf8BOM``.
    public mutating func header(accounts: [Account]) -> String {
        (encoding == .utf8BOM ? CSV.byteOrderMark : "") + CSV.row(Self.headers)
    }

    /// One row per posting of the entry.
    public mutating func entry(_ entry: ExportEntry) -> String {
        var text = ""
        for posting in entry.postings {
            text += CSV.row(Self.cells(entry, posting))
        }
        return text
    }

    /// Nothing: CSV has no footer.
    public mutating func footer() -> String {
        ""
    }

    /// The header row in ``encoding``.
    public mutating func headerBytes(accounts: [Account]) throws(JournalEncodingError) -> [UInt8] {
        try encode(header(accounts: accounts))
    }

    /// The entry's rows in ``encoding`` (UTF-8 rows are written as bytes from the start).
    public mutating func entryBytes(_ entry: ExportEntry) throws(JournalEncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entry.postings.count * 256)
        try appendEntryBytes(entry, to: &bytes)
        return bytes
    }

    /// UTF-8 rows straight into `buffer`, with the writer's scratch cells reused (perf of a 2M-row
    /// export: an array per entry and three per call were a tenth of the formatting thread).
    public mutating func appendEntryBytes(_ entry: ExportEntry, to buffer: inout [UInt8])
        throws(JournalEncodingError)
    {
        guard encoding == .utf8BOM else {
            buffer += try encode(self.entry(entry))
            return
        }
        Self.appendRows(entry, to: &buffer, scratch: &scratch)
    }

    /// Appends the entry's rows as UTF-8 to `bytes`: the same bytes as ``CSV/appendRow(_:to:)`` of
    /// each posting's ``cells(_:_:)`` (tested against it), written by ``CSVRowsWriter``, the
    /// writer of the export's rows from the COPY bytes, so the layout is written in one place.
    public static func appendRows(_ entry: ExportEntry, to bytes: inout [UInt8]) {
        var scratch = Scratch()
        appendRows(entry, to: &bytes, scratch: &scratch)
    }

    /// The rows writer, kept between entries with its buffers.
    public struct Scratch: Sendable {
        var rows = CSVRowsWriter()

        /// An empty writer.
        public init() {}
    }

    /// ``appendRows(_:to:)`` with `scratch`'s writer.
    static func appendRows(_ entry: ExportEntry, to bytes: inout [UInt8], scratch: inout Scratch) {
        scratch.rows.reset()
        scratch.rows.append(entry)
        scratch.rows.withBytes { bytes.append(contentsOf: $0) }
    }

    /// Nothing.
    public mutating func footerBytes() throws(JournalEncodingError) -> [UInt8] {
        try encode(footer())
    }

    /// The cells of one posting's row, in the order of ``headers``.
    static func cells(_ entry: ExportEntry, _ posting: ExportPosting) -> [String] {
        let dimensions = posting.dimensions
        return [
            String(entry.seq), entry.voucherReference, entry.date.description, entry.description,
            String(posting.line), posting.account.code, posting.account.name, posting.side.chinese,
            Money(fen: posting.amountFen).plain, posting.isRed ? "是" : "否",
            dimensions.enterprise ?? "", dimensions.supplier ?? "", dimensions.township ?? "",
            dimensions.category ?? "", dimensions.channel ?? "", dimensions.program ?? "",
            posting.memo ?? "", entry.reversesSeq.map { String($0) } ?? "", entry.createdBy,
            entry.idempotencyKey, entry.hashHex,
        ]
    }

    private func encode(_ text: String) throws(JournalEncodingError) -> [UInt8] {
        switch encoding {
        case .utf8BOM: return Array(text.utf8)
        case .gb18030: return try GB18030Encoder.encode(text)
        }
    }
}

/// The CSV journal's rows written from their parts as UTF-8 bytes, without an ``ExportEntry``:
/// what `relief export journal --format csv` writes from the COPY rows (the same bytes as
/// ``CSVJournalWriter/appendRows(_:to:)``, tested against it). Call ``beginEntry(seq:period:voucherNumber:date:description:reversesSeq:createdBy:idempotencyKey:hash:)``,
/// then ``posting(line:accountCode:accountName:side:amountFen:isRed:dimensions:memo:)`` for each
/// posting in line order; the rows accumulate in ``bytes``.
public struct CSVRowsWriter: Sendable {
    /// The six dimension codes of a posting as UTF-8 bytes, in ``Dimensions/ordered`` order (nil: none).
    public typealias DimensionBytes = CanonicalWriter.DimensionBytes

    private var rows = ByteOutput(capacity: 1 << 16)
    /// The entry's cells before and after each posting's, written once per entry.
    private var head = ByteOutput(capacity: 256)
    private var tail = ByteOutput(capacity: 256)
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let debit = Array("借".utf8)
    private static let credit = Array("贷".utf8)
    private static let yes = Array("是".utf8)
    private static let no = Array("否".utf8)

    /// The rows written since the last ``reset()`` (a copy).
    public var bytes: [UInt8] { rows.array }

    /// How many bytes of rows were written since the last ``reset()``.
    public var count: Int { rows.count }

    /// An empty writer.
    public init() {}

    /// Empties ``bytes``, keeping its capacity.
    public mutating func reset() { rows.removeAll() }

    /// Calls `body` with the rows written since the last ``reset()``.
    public func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try rows.withBytes(body)
    }

    /// Appends the rows of `entry`, read by another path than the COPY rows: its hash is the
    /// entry's hex text, written as a CSV field.
    public mutating func append(_ entry: ExportEntry) {
        UTF8Bytes.with(entry.description) { description in
            UTF8Bytes.with(entry.createdBy) { createdBy in
                UTF8Bytes.with(entry.idempotencyKey) { key in
                    UTF8Bytes.with(entry.hashHex) { hashHex in
                        beginEntry(
                            seq: entry.seq, period: entry.period, voucherNumber: entry.voucherNumber, date: entry.date,
                            description: description, reversesSeq: entry.reversesSeq, createdBy: createdBy, idempotencyKey: key,
                            hash: .hexText(hashHex))
                    }
                }
            }
        }
        entry.postings.withUnsafeBufferPointer { postings in
            for index in postings.indices { append(postings[index]) }
        }
    }

    /// One posting of an ``ExportEntry``'s rows.
    private mutating func append(_ p: borrowing ExportPosting) {
        UTF8Bytes.with(p.account.code) { code in
            UTF8Bytes.with(p.account.name) { name in
                p.dimensions.withUTF8Bytes { dimensions in
                    posting(
                        line: p.line, accountCode: code, accountName: name, side: p.side, amountFen: p.amountFen, isRed: p.isRed,
                        dimensions: dimensions, memo: p.memo)
                }
            }
        }
    }

    /// The most bytes of an entry's cells before a posting's besides the description: seven
    /// numbers of at most 20 bytes (chain position, the period's year and month, voucher number,
    /// the date's year, month and day), eight separators, the description's two quotes.
    static let headFixedBytes = 7 * 20 + 8 + 2

    /// The most bytes of an entry's cells after a posting's besides its two texts and hash: the
    /// reversed chain position, four commas, two pairs of quotes, the line end.
    static let tailFixedBytes = 20 + 4 + 4 + 2

    /// The entry's cells, written before and after each of its postings' cells. `hash` is the
    /// stored hash's bytes, written as lower-case hex.
    public mutating func beginEntry(
        seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        description: UnsafeBufferPointer<UInt8>,
        reversesSeq: Int64?, createdBy: UnsafeBufferPointer<UInt8>,
        idempotencyKey: UnsafeBufferPointer<UInt8>,
        hash: UnsafeBufferPointer<UInt8>
    ) {
        beginEntry(
            seq: seq, period: period, voucherNumber: voucherNumber, date: date, description: description, reversesSeq: reversesSeq,
            createdBy: createdBy, idempotencyKey: idempotencyKey, hash: .bytes(hash))
    }

    /// How an entry's hash reaches its cell.
    enum HashCell {
        /// The stored bytes, written as lower-case hex (2 bytes each).
        case bytes(UnsafeBufferPointer<UInt8>)
        /// Hex text already, written as a CSV field (at most 2 + 2 bytes each).
        case hexText(UnsafeBufferPointer<UInt8>)

        /// The most bytes its cell takes.
        var maximumBytes: Int {
            switch self {
            case .bytes(let hash): 2 * hash.count
            case .hexText(let text): 2 + 2 * text.count
            }
        }
    }

    private mutating func beginEntry(
        seq: Int64, period: Period, voucherNumber: Int, date: LocalDate, description: UnsafeBufferPointer<UInt8>,
        reversesSeq: Int64?, createdBy: UnsafeBufferPointer<UInt8>, idempotencyKey: UnsafeBufferPointer<UInt8>, hash: HashCell
    ) {
        head.removeAll()
        tail.removeAll()
        head.write(maximum: Self.headFixedBytes + 2 * description.count) { c in
            c.integer(seq)
            c.byte(0x2C)
            c.csvPadded(period.year, width: 4)
            c.byte(UInt8(ascii: "-"))
            c.csvPadded(period.month, width: 2)
            c.byte(UInt8(ascii: "/"))
            c.integer(Int64(voucherNumber))
            c.byte(0x2C)
            c.csvPadded(date.year, width: 4)
            c.byte(UInt8(ascii: "-"))
            c.csvPadded(date.month, width: 2)
            c.byte(UInt8(ascii: "-"))
            c.csvPadded(date.day, width: 2)
            c.byte(0x2C)
            c.csvField(description)
            c.byte(0x2C)
        }
        tail.write(maximum: Self.tailFixedBytes + 2 * (createdBy.count + idempotencyKey.count) + hash.maximumBytes) {
            c in
            c.byte(0x2C)
            if let reversesSeq { c.integer(reversesSeq) }
            c.byte(0x2C)
            c.csvField(createdBy)
            c.byte(0x2C)
            c.csvField(idempotencyKey)
            c.byte(0x2C)
            switch hash {
            case .bytes(let hash):
                for byte in hash {
                    c.byte(Self.hexDigits[Int(byte >> 4)])
                    c.byte(Self.hexDigits[Int(byte & 0x0f)])
                }
            case .hexText(let text):
                c.csvField(text)
            }
            c.byte(0x0D)
            c.byte(0x0A)
        }
    }

    /// The most bytes of a posting's own cells besides its texts: the line (20), the side (3),
    /// the amount (22), the red flag (3), twelve commas, two quotes around each of the nine texts.
    static let postingFixedBytes = 20 + 3 + 22 + 3 + 12 + 2 * 9

    /// One posting's row of the entry begun last. `dimensions` are the six codes in
    /// ``Dimensions/ordered`` order, nil for none.
    public mutating func posting(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, accountName: UnsafeBufferPointer<UInt8>,
        side: Side, amountFen: Int64,
        isRed: Bool, dimensions: DimensionBytes, memo: String?
    ) {
        guard let memo else {
            return posting(
                line: line, accountCode: accountCode, accountName: accountName, side: side,
                amountFen: amountFen,
                isRed: isRed, dimensions: dimensions, memoBytes: nil)
        }
        UTF8Bytes.with(memo) {
            posting(
                line: line, accountCode: accountCode, accountName: accountName, side: side,
                amountFen: amountFen,
                isRed: isRed, dimensions: dimensions, memoBytes: $0)
        }
    }

    private mutating func posting(
        line: Int, accountCode: UnsafeBufferPointer<UInt8>, accountName: UnsafeBufferPointer<UInt8>,
        side: Side, amountFen: Int64,
        isRed: Bool, dimensions d: DimensionBytes, memoBytes memo: UnsafeBufferPointer<UInt8>?
    ) {
        let textBytes =
            accountCode.count + accountName.count + (d.0?.count ?? 0) + (d.1?.count ?? 0) + (d.2?.count ?? 0)
            + (d.3?.count ?? 0) + (d.4?.count ?? 0) + (d.5?.count ?? 0) + (memo?.count ?? 0)
        let maximum = head.count + tail.count + Self.postingFixedBytes + 2 * textBytes
        head.withBytes { head in
            tail.withBytes { tail in
                rows.write(maximum: maximum) { c in
                    c.append(head)
                    c.integer(Int64(line))
                    c.byte(0x2C)
                    c.csvField(accountCode)
                    c.byte(0x2C)
                    c.csvField(accountName)
                    c.byte(0x2C)
                    c.append(side == .debit ? Self.debit : Self.credit)
                    c.byte(0x2C)
                    c.money(amountFen)
                    c.byte(0x2C)
                    c.append(isRed ? Self.yes : Self.no)
                    c.csvCell(d.0)
                    c.csvCell(d.1)
                    c.csvCell(d.2)
                    c.csvCell(d.3)
                    c.csvCell(d.4)
                    c.csvCell(d.5)
                    c.csvCell(memo)
                    c.append(tail)
                }
            }
        }
    }
}

extension ByteCursor {
    /// A comma, then the cell (empty for nil): at most 3 + 2 × its bytes.
    @inline(__always)
    mutating func csvCell(_ field: UnsafeBufferPointer<UInt8>?) {
        byte(0x2C)
        if let field { csvField(field) }
    }

    /// A CSV field: as is, or in double quotes with quotes doubled when it holds a comma, quote,
    /// CR or LF (``CSV/appendField(utf8:to:)`` writes through this): at most 2 + 2 × its bytes.
    @inline(__always)
    mutating func csvField(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            append(utf8)
            return
        }
        byte(0x22)
        for value in utf8 {
            if value == 0x22 { byte(0x22) }
            byte(value)
        }
        byte(0x22)
    }

    /// The calendar's zero padding (`pad` in Calendar.swift): the decimal text of `value`, zeros
    /// in front up to `width` characters (a minus sign counts): at most max(`width`, 20) bytes.
    mutating func csvPadded(_ value: Int, width: Int) {
        guard value >= 0 else {
            let text = Array(String(value).utf8)
            for _ in 0..<max(0, width - text.count) { byte(UInt8(ascii: "0")) }
            append(text)
            return
        }
        decimal(UInt64(value), width: width)
    }

    /// ``Money/plain``: `-` for negatives, yuan, `.`, two digits of fen: at most 22 bytes.
    mutating func money(_ fen: Int64) {
        if fen < 0 { byte(UInt8(ascii: "-")) }
        let magnitude = fen.magnitude
        decimal(magnitude / 100)
        byte(UInt8(ascii: "."))
        decimal(magnitude % 100, width: 2)
    }
}

/// UTF-8 to GB18030 through the C library's iconv (Foundation on Linux lacks GB18030); the
/// mirror of the decoder in CSVReader.
enum GB18030Encoder {
    /// The text in GB18030. Every Unicode scalar has a GB18030 encoding, so this throws only
    /// when the C library lacks the converter or rejects a character.
    static func encode(_ text: String) throws(JournalEncodingError) -> [UInt8] {
        var input = Array(text.utf8)
        guard !input.isEmpty else {
            return []
        }
        let converter = iconv_open("GB18030", "UTF-8")
        guard Int(bitPattern: converter) != -1 else {
            throw JournalEncodingError(
                message: "the C library has no UTF-8 to GB18030 converter (iconv_open: \(lastError()))")
        }
        defer { iconv_close(converter) }
        // A UTF-8 sequence of n bytes becomes at most max(n, 4) ≤ 2n GB18030 bytes (1→1, 2→2 or 4,
        // 3→2 or 4, 4→4): twice the input always suffices.
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        let outcome: Result<Int, JournalEncodingError> = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inputPointer = UnsafeMutableRawPointer(inputBuffer.baseAddress)?
                    .assumingMemoryBound(to: CChar.self)
                var inputLeft = inputBuffer.count
                var outputPointer = UnsafeMutableRawPointer(outputBuffer.baseAddress)?
                    .assumingMemoryBound(to: CChar.self)
                var outputLeft = outputBuffer.count
                let result = iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
                guard result != -1, inputLeft == 0 else {
                    let reason = lastError()
                    let offset = inputBuffer.count - inputLeft
                    return .failure(failure(at: offset, in: inputBuffer, reason: reason))
                }
                guard iconv(converter, nil, nil, &outputPointer, &outputLeft) != -1 else {
                    return .failure(
                        JournalEncodingError(message: "cannot finish GB18030 output (iconv: \(lastError()))"))
                }
                return .success(outputBuffer.count - outputLeft)
            }
        }
        switch outcome {
        case .success(let written):
            output.removeLast(output.count - written)
            return output
        case .failure(let error):
            throw error
        }
    }

    /// The error for the character at a byte offset of the UTF-8 input.
    private static func failure(
        at offset: Int, in input: UnsafeMutableBufferPointer<UInt8>, reason: String
    ) -> JournalEncodingError {
        let end = min(offset + 4, input.count)
        let scalar = String(decoding: input[offset..<end], as: UTF8.self).unicodeScalars.first
        let shown = scalar.map { "U+" + String($0.value, radix: 16, uppercase: true) } ?? "end of text"
        return JournalEncodingError(
            message: "cannot encode \(shown) at byte \(offset) in GB18030 (iconv: \(reason))")
    }

    /// The C library's message for `errno`.
    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
