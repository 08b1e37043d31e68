/// A spreadsheet as read from a clerk's upload: one header row and the data rows below it.
///
/// Headers are trimmed of surrounding whitespace; cells are exactly as stored (the importer
/// decides what to trim). Completely empty rows at the end are dropped.
public struct Table: Sendable, Equatable {
    /// The name of the uploaded file, used in error messages.
    public var fileName: String
    /// The header cells, trimmed of surrounding whitespace.
    public var headers: [String]
    /// The data rows; each has exactly `headers.count` cells.
    public var rows: [TableRow]
    /// The text encoding detected in a CSV file; `nil` for an XLSX workbook.
    public var encoding: TextEncoding?

    /// Makes a table from its parts.
    public init(fileName: String, headers: [String], rows: [TableRow], encoding: TextEncoding? = nil) {
        self.fileName = fileName
        self.headers = headers
        self.rows = rows
        self.encoding = encoding
    }
}

/// One data row of a ``Table``.
public struct TableRow: Sendable, Equatable {
    /// Where the row is in the file: the 1-based line on which the record starts in a CSV file,
    /// or the Excel row number in an XLSX workbook. The header is normally line (row) 1.
    public var line: Int
    /// The cells, one per header, untrimmed.
    public var cells: [String]

    /// Makes a row from its line number and cells.
    public init(line: Int, cells: [String]) {
        self.line = line
        self.cells = cells
    }
}

/// The text encodings that ``TableReader`` recognises in CSV files.
public enum TextEncoding: String, Sendable {
    /// UTF-8 without a byte-order mark.
    case utf8
    /// UTF-8 with a leading byte-order mark (EF BB BF), as Excel's "CSV UTF-8" writes it.
    case utf8WithBOM
    /// GB18030 (a superset of GBK and GB2312), as Chinese Windows Excel and WPS write "CSV".
    case gb18030
}

/// Why a spreadsheet could not be read, with the place in the file where that was found.
///
/// ``description`` reads like `purchases.csv line 7, column 发票号码: …`;
/// ``chineseDescription`` gives the same in Chinese for clerks.
public struct TableReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name of the file that could not be read.
    public var fileName: String
    /// The 1-based line (CSV) or row (XLSX) of the problem, when it has one.
    public var line: Int?
    /// The column (header name) of the problem, when it has one.
    public var column: String?
    /// What is wrong, in English.
    public var message: String
    /// What is wrong, in Chinese; ``chineseDescription`` falls back to ``message`` when `nil`.
    public var chineseMessage: String?

    /// Makes an error for a place in a file.
    public init(
        fileName: String, line: Int? = nil, column: String? = nil, message: String,
        chineseMessage: String? = nil
    ) {
        self.fileName = fileName
        self.line = line
        self.column = column
        self.message = message
        self.chineseMessage = chineseMessage
    }

    /// The error in English, e.g. `purchases.csv line 7, column 发票号码: the invoice number is empty`.
    public var description: String {
        var place = fileName
        if let line {
            place += " line \(line)"
        }
        if let column {
            place += (line == nil ? " " : ", ") + "column \(column)"
        }
        return place + ": " + message
    }

    /// The error in Chinese, e.g. `purchases.csv 第 7 行，「发票号码」列：发票号码为空`.
    public var chineseDescription: String {
        var place = fileName
        if let line {
            place += " 第 \(line) 行"
        }
        if let column {
            place += (line == nil ? " " : "，") + "「\(column)」列"
        }
        return place + "：" + (chineseMessage ?? message)
    }
}

/// Reads the CSV files and XLSX workbooks that clerks upload.
public enum TableReader {
    /// The largest input accepted, in bytes (also the largest total of decompressed XLSX parts).
    static let maximumInputBytes = 200 * 1024 * 1024
    /// The most rows (records) accepted, header included.
    static let maximumRows = 2_000_000
    /// The most columns accepted (Excel's own limit, column XFD).
    static let maximumColumns = 16_384
    /// The longest cell accepted, in UTF-8 bytes: Excel's 32,767 characters of up to 4 bytes.
    static let maximumCellBytes = 32_767 * 4

    /// Reads a table from the bytes of an uploaded file.
    ///
    /// The format is decided by content: bytes that start with a ZIP local header (`PK\u{3}\u{4}`)
    /// are read as an XLSX workbook (its first worksheet), anything else as CSV. The file
    /// name's extension is only used to make error messages more helpful.
    ///
    /// - Throws: ``TableReadError`` naming the line (or row) and what is wrong.
    public static func read(_ bytes: [UInt8], fileName: String) throws(TableReadError) -> Table {
        if let workbook = try readUnlessCSV(bytes, fileName: fileName) { return workbook }
        do {
            return try CSVReader.read(bytes, fileName: fileName)
        } catch {
            throw hinted(error, fileName: fileName)
        }
    }

    /// Reads the bytes of an uploaded file as ``read(_:fileName:)`` does, handing over the
    /// trimmed header and then each data row instead of returning a table: a CSV file's rows are
    /// parsed and handed over one at a time and never held together, so an importer that keeps
    /// only what it makes of each row holds the file once. An XLSX workbook is read whole first.
    /// Returns the text encoding of a CSV file, nil for a workbook.
    ///
    /// - Throws: ``TableReadError`` as ``read(_:fileName:)`` does; rows before the error have
    ///   been handed over by then.
    public static func forEachRow(
        _ bytes: [UInt8], fileName: String, header: ([String]) -> Void, row: (TableRow) -> Void
    ) throws(TableReadError) -> TextEncoding? {
        if let workbook = try readUnlessCSV(bytes, fileName: fileName) {
            header(workbook.headers)
            for tableRow in workbook.rows { row(tableRow) }
            return nil
        }
        do {
            return try CSVReader.forEachRow(bytes, fileName: fileName, header: header, row: row)
        } catch {
            throw hinted(error, fileName: fileName)
        }
    }

    /// What the file is, decided by content: an XLSX workbook's table, or nil for CSV. Throws
    /// for a file too large, and for an old .xls or encrypted workbook.
    private static func readUnlessCSV(_ bytes: [UInt8], fileName: String) throws(TableReadError) -> Table? {
        guard bytes.count <= maximumInputBytes else {
            throw TableReadError(
                fileName: fileName,
                message: "the file is larger than \(maximumInputBytes / 1024 / 1024) MB",
                chineseMessage: "文件超过 \(maximumInputBytes / 1024 / 1024) MB")
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return try XLSXReader.read(bytes, fileName: fileName)
        }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw TableReadError(
                fileName: fileName,
                message: "this is an old Excel 97–2003 (.xls) or password-protected workbook; "
                    + "save it as .xlsx without a password, or as CSV UTF-8",
                chineseMessage: "这是旧版 Excel 97–2003（.xls）文件或加了密码的工作簿；"
                    + "请另存为无密码的 .xlsx，或另存为“CSV UTF-8”")
        }
        return nil
    }

    /// Adds a hint to a CSV error when the file's name says it should have been a workbook.
    private static func hinted(_ error: TableReadError, fileName: String) -> TableReadError {
        let lowercased = fileName.lowercased()
        guard lowercased.hasSuffix(".xlsx") || lowercased.hasSuffix(".xls") else {
            return error
        }
        var error = error
        error.message +=
            " (the file is named like a workbook but is not an .xlsx file, so it was read as CSV)"
        if let chinese = error.chineseMessage {
            error.chineseMessage = chinese + "（文件名像工作簿，但内容不是 .xlsx，因此按 CSV 读取）"
        }
        return error
    }

    /// The table made from a header record and data records, with the header trimmed, trailing
    /// empty rows dropped and every row checked to have as many cells as the header.
    ///
    /// - Parameter padShortRows: when true (XLSX), rows shorter than the header get empty cells
    ///   and longer rows are an error only if a cell past the header is non-empty.
    static func makeTable(
        fileName: String, header: [String], records: [TableRow], encoding: TextEncoding?,
        padShortRows: Bool
    ) throws(TableReadError) -> Table {
        var checker = try RowChecker(fileName: fileName, header: header, padShortRows: padShortRows)
        var rows: [TableRow] = []
        rows.reserveCapacity(records.count)
        for record in records { try checker.take(record) { rows.append($0) } }
        return Table(fileName: fileName, headers: checker.headers, rows: rows, encoding: encoding)
    }

    /// The checks of ``makeTable(fileName:header:records:encoding:padShortRows:)`` one record at
    /// a time, for a file read as a stream: a row of empty cells is held back until a row with
    /// something in it follows, so that empty rows at the end are dropped.
    struct RowChecker {
        let fileName: String
        /// The header cells, trimmed.
        let headers: [String]
        let padShortRows: Bool
        /// Empty rows not yet known to be followed by a non-empty one.
        private var heldBack: [TableRow] = []

        /// Checks the header record.
        init(fileName: String, header: [String], padShortRows: Bool) throws(TableReadError) {
            self.fileName = fileName
            self.padShortRows = padShortRows
            headers = header.map(TableReader.trimmed)
            guard headers.contains(where: { !$0.isEmpty }) else {
                throw TableReadError(
                    fileName: fileName, line: 1,
                    message: "the header row is empty; the first row must hold the column names",
                    chineseMessage: "表头为空；第一行必须是列名")
            }
            if let index = headers.firstIndex(where: TableReader.containsNUL) {
                throw TableReader.nulError(fileName: fileName, line: 1, column: headers[index])
            }
        }

        /// Hands `record` to `body` once checked, after any empty rows held back before it.
        mutating func take(_ record: TableRow, _ body: (TableRow) -> Void) throws(TableReadError) {
            if record.cells.allSatisfy(\.isEmpty) {
                heldBack.append(record)
                return
            }
            for empty in heldBack { body(try checked(empty)) }
            heldBack.removeAll()
            body(try checked(record))
        }

        private func checked(_ record: TableRow) throws(TableReadError) -> TableRow {
            var record = record
            if record.cells.count != headers.count {
                if padShortRows, record.cells.count < headers.count {
                    record.cells += Array(repeating: "", count: headers.count - record.cells.count)
                } else if padShortRows, record.cells[headers.count...].allSatisfy(\.isEmpty) {
                    record.cells.removeLast(record.cells.count - headers.count)
                } else if padShortRows {
                    let extra = record.cells[headers.count...].firstIndex { !$0.isEmpty } ?? headers.count
                    let cell = XLSXReader.columnName(extra) + String(record.line)
                    throw TableReadError(
                        fileName: fileName, line: record.line,
                        message: "cell \(cell) has a value but the header has only \(headers.count) columns",
                        chineseMessage: "单元格 \(cell) 有内容，但表头只有 \(headers.count) 列")
                } else {
                    throw TableReadError(
                        fileName: fileName, line: record.line,
                        message:
                            "expected \(headers.count) cells as in the header, found \(record.cells.count)",
                        chineseMessage: "应有 \(headers.count) 个单元格（与表头相同），实际为 \(record.cells.count) 个")
                }
            }
            if let index = record.cells.firstIndex(where: TableReader.containsNUL) {
                throw TableReader.nulError(fileName: fileName, line: record.line, column: headers[index].isEmpty ? nil : headers[index])
            }
            return record
        }
    }

    /// True when `cell` holds U+0000. PostgreSQL text cannot hold it (and a C string would end
    /// at it), so such a cell is refused rather than silently cut. Other control characters are
    /// read as they are.
    static func containsNUL(_ cell: String) -> Bool {
        cell.utf8.contains(0)
    }

    static func nulError(fileName: String, line: Int, column: String?) -> TableReadError {
        TableReadError(
            fileName: fileName, line: line, column: column,
            message: "the cell holds the NUL character U+0000, which the database cannot store; remove it "
                + "(a file padded with NUL bytes was probably exported as UTF-16 or fixed-width; save it as CSV UTF-8)",
            chineseMessage: "单元格含有空字符 U+0000，数据库无法保存；请删除（如为导出时补齐的空字节，请另存为“CSV UTF-8”）")
    }

    /// The string without leading and trailing whitespace (including U+3000 and U+FEFF).
    static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{FEFF}" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
            let last = text.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(text[first...last])
    }
}
