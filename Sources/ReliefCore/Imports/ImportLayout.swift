/// One problem in an import file: where and what.
public struct ImportProblem: Sendable, Hashable, CustomStringConvertible {
    /// Line (CSV) or row (XLSX) number; nil for problems of the whole file.
    public var line: Int?
    /// The column's header as it appears in the file (Chinese where the file is Chinese).
    public var column: String?
    /// What is wrong and how to fix it.
    public var message: String

    /// Makes a problem.
    public init(line: Int?, column: String?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place: [String] = []
        if let line { place.append("line \(line)") }
        if let column { place.append("column \(column)") }
        return (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + message
    }
}

/// Every problem found in a file. Nothing was written.
public struct ImportErrors: Error, Sendable, CustomStringConvertible {
    /// The most problems listed; the count says how many there were.
    public static let maximumListed = 200

    /// The file's name.
    public var fileName: String
    /// The problems, in file order.
    public var problems: [ImportProblem]

    /// Makes the error.
    public init(fileName: String, problems: [ImportProblem]) {
        self.fileName = fileName
        self.problems = problems
    }

    public var description: String {
        let listed = problems.prefix(Self.maximumListed).map { "  \(fileName) \($0)" }
        let more = problems.count > Self.maximumListed ? ["  … and \(problems.count - Self.maximumListed) more"] : []
        return (["\(fileName): \(problems.count) problem(s); nothing was imported"] + listed + more).joined(separator: "\n")
    }
}

/// The columns an import expects: each has a key and the headers it is recognised by.
public struct ImportLayout: Sendable {
    /// One column.
    public struct Column: Sendable {
        /// Stable key used by code.
        public var key: String
        /// Accepted headers, Chinese first (the first is the documented one).
        public var headers: [String]
        /// Whether the column must be present.
        public var required: Bool

        /// Makes a column.
        public init(_ key: String, _ headers: [String], required: Bool = true) {
            self.key = key
            self.headers = headers
            self.required = required
        }
    }

    /// The columns.
    public var columns: [Column] {
        didSet { columnByHeader = Self.columnByHeader(columns) }
    }
    /// Each accepted header, lower-cased, to the first column that accepts it: ``map(_:)`` looks
    /// each header of a table up once instead of lower-casing every accepted header for it (9% of
    /// the server's CPU under purchase POSTs, where each request's table is mapped).
    private var columnByHeader: [String: Int]

    /// Makes a layout.
    public init(_ columns: [Column]) {
        self.columns = columns
        columnByHeader = Self.columnByHeader(columns)
    }

    private static func columnByHeader(_ columns: [Column]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, column) in columns.enumerated() {
            for header in column.headers where index[header.lowercased()] == nil { index[header.lowercased()] = position }
        }
        return index
    }

    /// A row with cells by key, trimmed of surrounding white space.
    public struct Row: Sendable {
        /// Line or row number in the file.
        public var line: Int
        /// Cell text by column key ("" when the column is absent or the cell is empty).
        public var values: [String: String]
        /// The header used in the file for each key (for error messages).
        public var headers: [String: String]

        /// The cell of `key`.
        public subscript(_ key: String) -> String { values[key] ?? "" }

        /// A problem at this row in column `key`.
        public func problem(_ key: String, _ message: String) -> ImportProblem {
            ImportProblem(line: line, column: headers[key] ?? key, message: message)
        }
    }

    /// Maps a table onto the layout; missing required columns and unknown columns are problems.
    public func map(_ table: Table) -> (rows: Rows, problems: [ImportProblem]) {
        let (mapping, problems) = mapping(headers: table.headers)
        return (Rows(tableRows: table.rows, mapping: mapping), problems)
    }

    /// Where the layout's columns are among `headers` (a file's header row); missing required
    /// columns and unknown columns are problems. The mapping makes each row of that file.
    public func mapping(headers: [String]) -> (mapping: Mapping, problems: [ImportProblem]) {
        var problems: [ImportProblem] = []
        var indexByKey: [String: Int] = [:]
        var headerByKey: [String: String] = [:]
        for (index, header) in headers.enumerated() {
            if let position = columnByHeader[header.lowercased()] {
                let column = columns[position]
                if indexByKey[column.key] != nil {
                    problems.append(ImportProblem(line: 1, column: header, message: "appears twice"))
                }
                indexByKey[column.key] = index
                headerByKey[column.key] = header
            } else if !header.isEmpty {
                let known = columns.map { $0.headers[0] }.joined(separator: ", ")
                problems.append(ImportProblem(line: 1, column: header, message: "is not a known column; expected: \(known)"))
            }
        }
        for column in columns where column.required && indexByKey[column.key] == nil {
            problems.append(ImportProblem(line: 1, column: column.headers[0], message: "required column is missing"))
        }
        return (Mapping(indexByKey: indexByKey, headers: headerByKey), problems)
    }

    /// A file's columns by key: makes a ``Row`` of each of its rows.
    public struct Mapping: Sendable {
        let indexByKey: [String: Int]
        let headers: [String: String]

        /// The row's cells by key, trimmed.
        public func row(_ tableRow: TableRow) -> Row {
            var values: [String: String] = [:]
            values.reserveCapacity(indexByKey.count)
            for (key, index) in indexByKey where index < tableRow.cells.count {
                values[key] = tableRow.cells[index].trimmingWhitespace()
            }
            return Row(line: tableRow.line, values: values, headers: headers)
        }
    }

    /// A mapped table's rows, each made when it is read: a file's rows are not all held as
    /// dictionaries at once (a 180,000-line purchase file took 366 MiB when they were).
    public struct Rows: RandomAccessCollection, Sendable {
        let tableRows: [TableRow]
        let mapping: Mapping

        /// The first row's position.
        public var startIndex: Int { tableRows.startIndex }
        /// The position after the last row.
        public var endIndex: Int { tableRows.endIndex }

        /// The row at `position`, its cells by key and trimmed.
        public subscript(position: Int) -> Row { mapping.row(tableRows[position]) }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, and full-width spaces.
    func trimmingWhitespace() -> String {
        // Most cells have nothing to trim: when neither the first nor the last scalar is one of
        // the five, neither is the first or last Character (each of the five is a Character of
        // one scalar), so the cell is returned without walking its Characters.
        let isSpaceScalar: (Unicode.Scalar) -> Bool = {
            switch $0.value {
            case 0x20, 0x09, 0x3000, 0x0D, 0x0A: return true
            default: return false
            }
        }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return "" }
        if !isSpaceScalar(first) && !isSpaceScalar(last) { return self }
        // "\r\n" is one Character, neither "\r" nor "\n": listed so that a cell ending in a line
        // break from a quoted CSV field is trimmed like one ending in "\n".
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\u{3000}" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
