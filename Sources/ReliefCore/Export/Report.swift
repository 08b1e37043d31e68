import Foundation

/// A report as rows and typed columns, rendered as a terminal table, CSV, JSON or XLSX from one
/// model so the formats never disagree.
public struct Report: Sendable {
    /// What a column holds; decides alignment and cell types.
    public enum Kind: Sendable {
        /// Free text.
        case text
        /// A code that must stay text in spreadsheets (invoice numbers, credit codes, accounts).
        case code
        /// Money in fen, shown as yuan.
        case money
        /// A plain number (counts, percentages written as text like 85.3%).
        case number
    }

    /// A column.
    public struct Column: Sendable {
        /// Stable key (JSON).
        public var key: String
        /// Header (Chinese).
        public var title: String
        /// What it holds.
        public var kind: Kind

        /// Makes a column.
        public init(_ key: String, _ title: String, _ kind: Kind = .text) {
            self.key = key
            self.title = title
            self.kind = kind
        }
    }

    /// A cell value.
    public enum Value: Sendable, Hashable {
        case text(String)
        case fen(Int64)
        case number(String)
        case empty
    }

    /// Title line, e.g. 科目余额表 2020-05.
    public var title: String
    /// Columns.
    public var columns: [Column]
    /// Rows (cells in column order).
    public var rows: [[Value]]
    /// A totals row, if any.
    public var totals: [Value]?
    /// Lines printed under the table (e.g. 大写 totals, warnings).
    public var notes: [String]

    /// Makes a report.
    public init(title: String, columns: [Column], rows: [[Value]] = [], totals: [Value]? = nil, notes: [String] = []) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.totals = totals
        self.notes = notes
    }

    /// A cell as shown on screen (money as 1,234.56).
    public func display(_ value: Value) -> String {
        switch value {
        case .text(let text): return text
        case .fen(let fen): return Money(fen: fen).formatted
        case .number(let text): return text
        case .empty: return ""
        }
    }

    func plain(_ value: Value) -> String {
        switch value {
        case .fen(let fen): return Money(fen: fen).plain
        default: return display(value)
        }
    }

    /// A terminal table aligned by display width, then the notes.
    public func renderTable() -> String {
        var table = TextTable(
            headers: columns.map(\.title),
            alignments: columns.map { $0.kind == .money || $0.kind == .number ? .right : .left })
        for row in rows { table.append(row.map(display)) }
        if let totals { table.append(totals.map(display)) }
        return ([title, table.render()] + notes).joined(separator: "\n") + (notes.isEmpty ? "" : "\n")
    }

    /// CSV with a UTF-8 BOM; money in yuan with two decimals; notes after a blank line.
    public func renderCSV() -> String {
        var text = CSV.byteOrderMark + CSV.row(columns.map(\.title))
        for row in rows + (totals.map { [$0] } ?? []) { text += CSV.row(row.map(plain)) }
        if !notes.isEmpty { text += "\r\n" + notes.map { CSV.row([$0]) }.joined() }
        return text
    }

    /// JSON: {"title", "rows": [{key: value}], "totals", "notes"}; money as integer fen.
    public func renderJSON() throws -> String {
        func object(_ row: [Value]) -> [String: Any] {
            var object: [String: Any] = [:]
            for (column, value) in zip(columns, row) {
                switch value {
                case .text(let text): object[column.key] = text
                case .fen(let fen): object[column.key + (column.key.hasSuffix("_fen") ? "" : "_fen")] = fen
                case .number(let text): object[column.key] = text
                case .empty: object[column.key] = NSNull()
                }
            }
            return object
        }
        var root: [String: Any] = ["title": title, "rows": rows.map(object), "notes": notes]
        if let totals { root["totals"] = object(totals) }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// XLSX: codes and text as text cells (so 20-digit numbers survive), money as numbers.
    public func renderXLSX() throws -> [UInt8] {
        func cell(_ value: Value, _ column: Column) -> XLSXCell {
            switch value {
            case .fen(let fen): return .number(Money(fen: fen).plain)
            case .number(let text) where Int64(text) != nil: return .number(text)
            default: return .text(display(value))
            }
        }
        // Headers in the first row, so the sheet reads back as a table; the title names the sheet.
        var sheet: [[XLSXCell]] = [columns.map { .text($0.title) }]
        for row in rows + (totals.map { [$0] } ?? []) { sheet.append(zip(row, columns).map { cell($0, $1) }) }
        for note in notes { sheet.append([.text(note)] + Array(repeating: .text(""), count: columns.count - 1)) }
        let forbidden: Set<Character> = ["/", "\\", "?", "*", "[", "]", ":"]
        return try XLSXWriter.write(sheetName: String(String(title.map { forbidden.contains($0) ? "-" : $0 }).prefix(31)), rows: sheet)
    }
}
