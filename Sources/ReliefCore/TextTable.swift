/// The number of terminal columns a string occupies, so that Chinese text lines up.
///
/// Each `Character` (grapheme cluster) is measured by its widest Unicode scalar:
/// - 2 for East Asian Wide and Fullwidth scalars: U+1100–U+115F, U+2E80–U+303E, U+3041–U+33FF,
///   U+3400–U+4DBF, U+4E00–U+9FFF, U+A000–U+A4CF, U+AC00–U+D7A3, U+F900–U+FAFF, U+FE30–U+FE4F,
///   U+FF00–U+FF60, U+FFE0–U+FFE6, U+20000–U+2FFFD, U+30000–U+3FFFD;
/// - 0 for combining marks (general category Mn and Me), U+200B–U+200D (zero width space,
///   non-joiner, joiner), U+2060 (word joiner), U+FEFF and variation selectors U+FE00–U+FE0F;
/// - 1 for everything else.
///
/// So `é` written as `e` + U+0301 is 1, and a Hangul syllable written as conjoining jamo is 2.
public enum DisplayWidth {
    /// The display width of `s` in terminal columns, e.g. `银行存款` → 8, `abc` → 3, `１２` → 4.
    public static func of(_ s: String) -> Int {
        var total = 0
        for character in s {
            var widest = 0
            for scalar in character.unicodeScalars {
                widest = max(widest, width(of: scalar))
            }
            total += widest
        }
        return total
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    private static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        switch value {
        case 0x200B...0x200D, 0x2060, 0xFEFF, 0xFE00...0xFE0F:
            return 0
        default:
            break
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark:
            return 0
        default:
            break
        }
        for range in wideRanges where range.contains(value) {
            return 2
        }
        return 1
    }
}

/// A plain-text table for terminals whose columns line up by ``DisplayWidth``, so that Chinese
/// and ASCII text align.
///
/// ```
/// 科目           金额
/// --------  ---------
/// 银行存款  18,000.00
/// cash           5.00
/// ```
///
/// Columns are separated by two spaces; a line of `-` as wide as each column follows the
/// header. A left-aligned last column is not padded, so lines carry no trailing spaces.
/// Cells should be single-line.
public struct TextTable: Sendable {
    /// How the cells of a column are placed within its width.
    public enum Alignment: Sendable, Hashable {
        /// Text starts at the left edge (for names).
        case left
        /// Text ends at the right edge (for amounts).
        case right
    }

    /// The column titles.
    public let headers: [String]
    /// The alignment of each column.
    public let alignments: [Alignment]
    /// The rows appended so far.
    public private(set) var rows: [[String]] = []

    /// Creates an empty table. `headers` and `alignments` must have the same count.
    public init(headers: [String], alignments: [Alignment]) {
        precondition(
            headers.count == alignments.count,
            "TextTable: \(headers.count) headers but \(alignments.count) alignments")
        self.headers = headers
        self.alignments = alignments
    }

    /// Appends a row, which must have one cell per header.
    public mutating func append(_ row: [String]) {
        precondition(
            row.count == headers.count, "TextTable: row has \(row.count) cells, expected \(headers.count)")
        rows.append(row)
    }

    /// The table as text: header, separator and rows, each line ending in `"\n"`.
    public func render() -> String {
        var widths = headers.map(DisplayWidth.of)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], DisplayWidth.of(cell))
            }
        }
        var lines: [String] = []
        lines.append(line(headers, widths: widths))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows {
            lines.append(line(row, widths: widths))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (column, cell) in cells.enumerated() {
            let padding = String(repeating: " ", count: max(0, widths[column] - DisplayWidth.of(cell)))
            switch alignments[column] {
            case .left:
                parts.append(column == cells.count - 1 ? cell : cell + padding)
            case .right:
                parts.append(padding + cell)
            }
        }
        return parts.joined(separator: "  ")
    }
}
