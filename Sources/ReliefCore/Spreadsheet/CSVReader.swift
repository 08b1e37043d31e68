#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads RFC 4180 CSV (comma-delimited; quotes, doubled quotes, commas and line breaks inside
/// quotes; CRLF, LF or CR line ends) in UTF-8, UTF-8 with BOM, or GB18030.
///
/// Beyond RFC 4180 it is as lenient as Excel: a quote inside an unquoted field is an ordinary
/// character, and characters after a closing quote are appended to the field.
enum CSVReader {
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    /// Reads the header and records of a CSV file.
    static func read(_ bytes: [UInt8], fileName: String) throws(TableReadError) -> Table {
        var headers: [String] = []
        var rows: [TableRow] = []
        let encoding = try forEachRow(bytes, fileName: fileName, header: { headers = $0 }, row: { rows.append($0) })
        return Table(fileName: fileName, headers: headers, rows: rows, encoding: encoding)
    }

    /// Reads a CSV file record by record: `header` gets the trimmed header once, then `row`
    /// each data row as ``read(_:fileName:)`` would keep it (checked, trailing empty rows
    /// dropped), without the rows ever being held together. Returns the encoding found.
    static func forEachRow(
        _ bytes: [UInt8], fileName: String, header: ([String]) -> Void, row: (TableRow) -> Void
    ) throws(TableReadError) -> TextEncoding {
        let (text, encoding) = try decode(bytes, fileName: fileName)
        var checker: TableReader.RowChecker?
        try parse(text, fileName: fileName) { (record: TableRow) throws(TableReadError) in
            guard let width = checker?.headers.count else {
                let made = try TableReader.RowChecker(fileName: fileName, header: record.cells, padShortRows: false)
                header(made.headers)
                checker = made
                return
            }
            // A line with nothing on it at all is an empty row, whatever the header's width.
            let data = record.cells == [""] ? TableRow(line: record.line, cells: Array(repeating: "", count: width)) : record
            try checker!.take(data, row)  // in place: the held-back rows are not copied per row
        }
        guard checker != nil else {
            throw TableReadError(
                fileName: fileName, message: "the file is empty; the first line must hold the column names",
                chineseMessage: "文件为空；第一行必须是列名")
        }
        return encoding
    }

    // MARK: - Encoding

    /// The file's text as valid UTF-8 and the encoding it was found in.
    static func decode(_ bytes: [UInt8], fileName: String) throws(TableReadError) -> ([UInt8], TextEncoding) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            let body = Array(bytes.dropFirst(3))
            if let offset = UTF8Scan(body).firstInvalidOffset {
                throw invalidUTF8(bytes, at: offset + 3, fileName: fileName)
            }
            return (body, .utf8WithBOM)
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw TableReadError(
                fileName: fileName,
                message: "the file is UTF-16 (Excel's \"Unicode text\"); save it as CSV UTF-8 instead",
                chineseMessage: "文件是 UTF-16 编码（Excel 的“Unicode 文本”）；请另存为“CSV UTF-8”")
        }
        let scan = UTF8Scan(bytes)
        guard let offset = scan.firstInvalidOffset else {
            return (bytes, .utf8)
        }
        // Text that is mostly well-formed UTF-8 with a few bad bytes is damaged UTF-8, not
        // GB18030: decoding it as GB18030 would silently turn every Chinese character into
        // mojibake. Real GB18030 text has far more invalid UTF-8 sequences than valid ones.
        let looksLikeDamagedUTF8 = scan.validMultibyteCount >= 4 * scan.invalidCount
        if !looksLikeDamagedUTF8 {
            switch GB18030.convert(bytes) {
            case .decoded(let decoded): return (decoded, .gb18030)
            // Mostly not UTF-8, and at least the first line reads as GB18030: GB18030 text with a
            // bad byte. Name where GB18030 fails, not where UTF-8 first failed (the first Chinese
            // character, usually in the header). Binary junk fails on its first line.
            case .invalid(let gbOffset) where position(of: gbOffset, in: bytes).line > 1:
                throw invalidGB18030(bytes, at: gbOffset, fileName: fileName)
            case .invalid: break
            case .unavailable: break
            }
        }
        throw invalidUTF8(bytes, at: offset, fileName: fileName)
    }

    /// The error for an invalid UTF-8 sequence at a byte offset of the file.
    private static func invalidUTF8(_ bytes: [UInt8], at offset: Int, fileName: String) -> TableReadError {
        let (line, column) = position(of: offset, in: bytes)
        return TableReadError(
            fileName: fileName, line: line,
            message: "invalid UTF-8 at byte \(column) of the line, and the file is not GB18030 either; "
                + "save the file as UTF-8 (CSV UTF-8) or GB18030",
            chineseMessage: "该行第 \(column) 个字节不是有效的 UTF-8，文件也不是 GB18030 编码；"
                + "请将文件另存为 UTF-8（“CSV UTF-8”）或 GB18030")
    }

    /// The error for text that reads as GB18030 up to a byte that is no GB18030 character.
    private static func invalidGB18030(_ bytes: [UInt8], at offset: Int, fileName: String) -> TableReadError {
        let (line, column) = position(of: offset, in: bytes)
        return TableReadError(
            fileName: fileName, line: line,
            message: "the file is GB18030 (as Chinese Excel and WPS save CSV), but byte \(column) of the line is not "
                + "a GB18030 character (a damaged or mixed-encoding file); fix that line, or save the file again as CSV UTF-8",
            chineseMessage: "文件为 GB18030 编码，但该行第 \(column) 个字节不是有效的 GB18030 字符（文件损坏或混用了编码）；"
                + "请修改该行，或重新另存为“CSV UTF-8”")
    }

    /// The 1-based line and byte within the line of a byte offset (LF, CRLF and CR end lines;
    /// in GB18030 no byte of a multi-byte character is CR or LF either).
    private static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        var index = 0
        // Bounded by the offset, itself below TableReader.maximumInputBytes.
        while index < offset {
            let isBreak =
                bytes[index] == lineFeed
                || (bytes[index] == carriageReturn
                    && (index + 1 >= bytes.count || bytes[index + 1] != lineFeed))
            index += 1
            if isBreak {
                line += 1
                lineStart = index
            }
        }
        return (line, offset - lineStart + 1)
    }

    // MARK: - Records

    /// The records of valid UTF-8 CSV text, each with the line on which it starts.
    static func parse(_ text: [UInt8], fileName: String) throws(TableReadError) -> [TableRow] {
        var records: [TableRow] = []
        try parse(text, fileName: fileName) { (record: TableRow) throws(TableReadError) in records.append(record) }
        return records
    }

    /// The records of `text`, each handed to `body` as soon as it ends.
    static func parse(
        _ text: [UInt8], fileName: String, _ body: (TableRow) throws(TableReadError) -> Void
    ) throws(TableReadError) {
        var recordCount = 0
        var cells: [String] = []
        var cell: [UInt8] = []
        var line = 1
        var recordLine = 1
        var recordStarted = false
        var atFieldStart = true
        var inQuotes = false
        var quoteLine = 1

        func endField() throws(TableReadError) {
            guard cells.count < TableReader.maximumColumns else {
                throw TableReadError(
                    fileName: fileName, line: recordLine,
                    message: "more than \(TableReader.maximumColumns) cells in one record",
                    chineseMessage: "一行超过 \(TableReader.maximumColumns) 个单元格")
            }
            cells.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
            atFieldStart = true
        }

        func endRecord() throws(TableReadError) {
            guard recordCount < TableReader.maximumRows else {
                throw TableReadError(
                    fileName: fileName, line: recordLine,
                    message: "more than \(TableReader.maximumRows) lines",
                    chineseMessage: "超过 \(TableReader.maximumRows) 行")
            }
            recordCount += 1
            try body(TableRow(line: recordLine, cells: cells))
            cells.removeAll(keepingCapacity: true)
            recordStarted = false
        }

        func append(_ byte: UInt8) throws(TableReadError) {
            guard cell.count < TableReader.maximumCellBytes else {
                let start = inQuotes ? quoteLine : recordLine
                throw TableReadError(
                    fileName: fileName, line: start,
                    message:
                        "a cell starting on this line is longer than \(TableReader.maximumCellBytes) bytes"
                        + (inQuotes ? "; check for a stray quote (\")" : ""),
                    chineseMessage: "从该行开始的一个单元格超过 \(TableReader.maximumCellBytes) 字节"
                        + (inQuotes ? "；请检查是否有多余的引号（\"）" : ""))
            }
            cell.append(byte)
        }

        var index = 0
        // Bounded by text.count, itself below TableReader.maximumInputBytes.
        while index < text.count {
            let byte = text[index]
            let next: UInt8? = index + 1 < text.count ? text[index + 1] : nil
            index += 1
            if inQuotes {
                if byte == quote {
                    if next == quote {
                        try append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                    continue
                }
                if byte == lineFeed || (byte == carriageReturn && next != lineFeed) {
                    line += 1
                }
                try append(byte)
                continue
            }
            switch byte {
            case comma:
                recordStarted = true
                try endField()
            case carriageReturn, lineFeed:
                try endField()
                try endRecord()
                if byte == carriageReturn, next == lineFeed {
                    index += 1
                }
                line += 1
                recordLine = line
            case quote where atFieldStart:
                recordStarted = true
                atFieldStart = false
                inQuotes = true
                quoteLine = line
            default:
                recordStarted = true
                atFieldStart = false
                try append(byte)
            }
        }
        if inQuotes {
            throw TableReadError(
                fileName: fileName, line: quoteLine,
                message: "a quoted field starting on this line has no closing quote (\")",
                chineseMessage: "从该行开始的带引号字段缺少结尾的引号（\"）")
        }
        if recordStarted {
            try endField()
            try endRecord()
        }
    }

    /// One pass over bytes that checks them as UTF-8 (Unicode 15, table 3-7).
    struct UTF8Scan {
        /// The offset of the first byte that does not start a well-formed sequence, if any.
        var firstInvalidOffset: Int?
        /// How many ill-formed sequences there are (each skipped one byte at a time).
        var invalidCount = 0
        /// How many well-formed sequences of two to four bytes there are.
        var validMultibyteCount = 0

        /// Scans `bytes` (at most ``TableReader/maximumInputBytes``, as ``TableReader`` checks).
        init(_ bytes: [UInt8]) {
            var index = 0
            // Bounded by bytes.count, at most TableReader.maximumInputBytes.
            while index < bytes.count {
                let length = Self.sequenceLength(bytes, at: index)
                if length == 0 {
                    if firstInvalidOffset == nil {
                        firstInvalidOffset = index
                    }
                    invalidCount += 1
                    index += 1
                } else {
                    if length > 1 {
                        validMultibyteCount += 1
                    }
                    index += length
                }
            }
        }

        /// The length of the well-formed sequence at `index`, or 0 when it is ill-formed.
        private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
            let lead = bytes[index]
            if lead < 0x80 {
                return 1
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return 0
            }
            guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else {
                return 0
            }
            for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
                return 0
            }
            return length
        }
    }

    /// GB18030 to UTF-8 through the C library's iconv (Foundation on Linux lacks GB18030).
    enum GB18030 {
        /// What converting bytes from GB18030 gave.
        enum Outcome: Equatable {
            /// The text as UTF-8.
            case decoded([UInt8])
            /// Not GB18030: the byte offset of the first sequence that is no character.
            case invalid(offset: Int)
            /// iconv has no GB18030 converter.
            case unavailable
        }

        /// What one iconv run did: bytes written, or the input offset where it stopped.
        private enum Conversion {
            case written(Int)
            case failedAt(Int)
        }

        /// The bytes decoded to UTF-8, or `nil` when they are not valid GB18030 (or iconv lacks it).
        static func decode(_ bytes: [UInt8]) -> [UInt8]? {
            if case .decoded(let text) = convert(bytes) { return text }
            return nil
        }

        /// The bytes decoded to UTF-8, or where decoding failed.
        static func convert(_ bytes: [UInt8]) -> Outcome {
            guard !bytes.isEmpty else {
                return .decoded([])
            }
            let converter = iconv_open("UTF-8", "GB18030")
            guard Int(bitPattern: converter) != -1 else {
                return .unavailable
            }
            defer { iconv_close(converter) }
            var input = bytes
            // One to four GB18030 bytes become at most four UTF-8 bytes: twice the input suffices.
            var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
            let written: Conversion = input.withUnsafeMutableBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    var inputPointer = UnsafeMutableRawPointer(inputBuffer.baseAddress)?
                        .assumingMemoryBound(to: CChar.self)
                    var inputLeft = inputBuffer.count
                    var outputPointer = UnsafeMutableRawPointer(outputBuffer.baseAddress)?
                        .assumingMemoryBound(to: CChar.self)
                    var outputLeft = outputBuffer.count
                    let result = iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
                    guard result != -1, inputLeft == 0 else {
                        // iconv stops at the sequence it cannot convert (or an incomplete one at the end).
                        return .failedAt(inputBuffer.count - inputLeft)
                    }
                    guard iconv(converter, nil, nil, &outputPointer, &outputLeft) != -1 else {
                        return .failedAt(inputBuffer.count)
                    }
                    return .written(outputBuffer.count - outputLeft)
                }
            }
            switch written {
            case .failedAt(let offset):
                return .invalid(offset: min(offset, bytes.count - 1))
            case .written(let count):
                output.removeLast(output.count - count)
                return .decoded(output)
            }
        }
    }
}
