import Foundation
import ZIPFoundation

/// One cell of a worksheet written by ``XLSXWriter``.
public enum XLSXCell: Sendable, Equatable {
    /// Text, kept as text by Excel even when it is all digits (invoice numbers, credit codes).
    case text(String)
    /// A number written as a decimal literal such as `12.5`, `-3` or `1.5E-3`, with at most 15
    /// significant digits (all that Excel keeps).
    case number(String)
}

/// Why ``XLSXWriter`` could not write a workbook.
public struct XLSXWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in English.
    public var message: String

    /// Makes an error with a message.
    public init(message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// Writes minimal, valid .xlsx workbooks (one worksheet) in memory for auditors to download.
///
/// Text cells are inline strings (`t="inlineStr"`), so long digit strings stay text; control
/// characters that XML 1.0 does not allow are written with the OOXML escape `_xHHHH_`, as Excel
/// does (Excel and ``TableReader`` decode it; some other readers, such as openpyxl, show it as
/// written). The output is deterministic: the same rows give the same bytes.
public enum XLSXWriter {
    /// The most rows in a worksheet (Excel's limit).
    static let maximumRows = 1_048_576
    /// The most columns in a worksheet (Excel's limit, column XFD).
    static let maximumColumns = 16_384
    /// The longest text in a cell, in UTF-16 code units (Excel's limit).
    static let maximumCellCharacters = 32_767
    /// The longest sheet name, in UTF-16 code units (Excel's limit).
    static let maximumSheetNameCharacters = 31
    /// The most significant digits in a number cell (Excel keeps no more).
    static let maximumSignificantDigits = 15
    /// The longest number literal accepted.
    static let maximumNumberCharacters = 64
    /// The modification time stamped on every part (2000-01-01), so that output is reproducible.
    private static let partDate = Date(timeIntervalSince1970: 946_684_800)

    /// The bytes of an .xlsx workbook whose only worksheet, named `sheetName`, holds `rows`
    /// from cell A1 on.
    ///
    /// - Throws: ``XLSXWriteError`` when the sheet name is not one Excel accepts (1–31
    ///   characters, none of `: \ / ? * [ ]`, not starting or ending with `'`), when there are
    ///   too many rows or columns, a text is longer than 32,767 characters, or a number is not a
    ///   decimal literal with at most 15 significant digits.
    public static func write(sheetName: String, rows: [[XLSXCell]]) throws(XLSXWriteError) -> [UInt8] {
        try checkSheetName(sheetName)
        let sheet = try worksheet(rows)
        let parts: [(String, String)] = [
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", packageRelationships),
            ("xl/workbook.xml", workbook(sheetName: sheetName)),
            ("xl/_rels/workbook.xml.rels", workbookRelationships),
            ("xl/worksheets/sheet1.xml", sheet),
            ("xl/styles.xml", styles),
        ]
        do {
            let archive = try Archive(accessMode: .create)
            for (path, text) in parts {
                let data = Data(text.utf8)
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: partDate,
                    compressionMethod: .deflate
                ) { position, size in
                    data.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
            guard let data = archive.data else {
                throw XLSXWriteError(message: "the in-memory ZIP archive has no data")
            }
            return [UInt8](data)
        } catch let error as XLSXWriteError {
            throw error
        } catch {
            throw XLSXWriteError(message: "could not build the ZIP archive: \(error)")
        }
    }

    // MARK: - Checks

    private static func checkSheetName(_ name: String) throws(XLSXWriteError) {
        let forbidden: Set<Character> = [":", "\\", "/", "?", "*", "[", "]"]
        guard !name.isEmpty, name.utf16.count <= maximumSheetNameCharacters else {
            throw XLSXWriteError(
                message: "a sheet name must have 1 to \(maximumSheetNameCharacters) characters: \"\(name)\"")
        }
        guard !name.contains(where: { forbidden.contains($0) }), !name.hasPrefix("'"), !name.hasSuffix("'"),
            !name.unicodeScalars.contains(where: { !isAllowedInXML($0) })
        else {
            throw XLSXWriteError(
                message: "a sheet name must not contain : \\ / ? * [ ] or control characters, "
                    + "nor start or end with ': \"\(name)\"")
        }
    }

    /// Whether `text` is a decimal literal (`-12.5`, `3`, `1.5E-3`) with at most
    /// ``maximumSignificantDigits`` significant digits.
    static func isNumberLiteral(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumNumberCharacters else {
            return false
        }
        var index = 0
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        var mantissa: [UInt8] = []
        var sawPoint = false
        var digitsAfterPoint = 0
        // Bounded by maximumNumberCharacters.
        while index < bytes.count {
            let byte = bytes[index]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                mantissa.append(byte)
                if sawPoint {
                    digitsAfterPoint += 1
                }
            } else if byte == UInt8(ascii: "."), !sawPoint, !mantissa.isEmpty {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard !mantissa.isEmpty, !sawPoint || digitsAfterPoint > 0 else {
            return false
        }
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "E") || bytes[index] == UInt8(ascii: "e") else {
                return false
            }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            let exponent = bytes[index...]
            guard !exponent.isEmpty,
                exponent.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else {
                return false
            }
        }
        let significant = mantissa.drop { $0 == UInt8(ascii: "0") }.reversed().drop {
            $0 == UInt8(ascii: "0")
        }
        guard significant.count <= maximumSignificantDigits, let value = Double(text), value.isFinite else {
            return false
        }
        return true
    }

    // MARK: - XML

    /// Whether XML 1.0 allows a character (tab, line feed, carriage return, and from U+0020 on,
    /// less U+FFFE and U+FFFF; Swift strings hold no lone surrogates).
    private static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20...0xFFFD, 0x10000...: true
        default: false
        }
    }

    /// `text` escaped for XML character data or an attribute value.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Cell text escaped for XML, with the OOXML `_xHHHH_` escape for characters that XML 1.0
    /// does not allow (as Excel writes them), `&#13;` for carriage returns (which XML parsers
    /// would otherwise turn into line feeds), and `_x005F_` before any literal `_xHHHH_` so that
    /// Excel does not take it for an escape.
    static func cellEscaped(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var result = ""
        result.reserveCapacity(text.utf8.count)
        // Bounded by the text's length, at most maximumCellCharacters.
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\r": result += "&#13;"
            case "_" where looksLikeEscape(scalars, at: index): result += "_x005F_"
            case _ where !isAllowedInXML(scalar):
                result += "_x" + hex4(UInt16(truncatingIfNeeded: scalar.value)) + "_"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func looksLikeEscape(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        guard index + 6 < scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_" else {
            return false
        }
        return scalars[(index + 2)..<(index + 6)].allSatisfy { $0.properties.isASCIIHexDigit }
    }

    private static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private static let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
    private static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    private static let relationshipsNamespace =
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    private static let packageRelationshipsNamespace =
        "http://schemas.openxmlformats.org/package/2006/relationships"

    private static let contentTypes =
        header
        + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        + #"<Default Extension="xml" ContentType="application/xml"/>"#
        + #"<Override PartName="/xl/workbook.xml" "#
        + #"ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        + #"<Override PartName="/xl/worksheets/sheet1.xml" "#
        + #"ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        + #"<Override PartName="/xl/styles.xml" "#
        + #"ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        + "</Types>"

    private static let packageRelationships =
        header
        + #"<Relationships xmlns="\#(packageRelationshipsNamespace)">"#
        + #"<Relationship Id="rId1" Type="\#(relationshipsNamespace)/officeDocument" Target="xl/workbook.xml"/>"#
        + "</Relationships>"

    private static let workbookRelationships =
        header
        + #"<Relationships xmlns="\#(packageRelationshipsNamespace)">"#
        + #"<Relationship Id="rId1" Type="\#(relationshipsNamespace)/worksheet" Target="worksheets/sheet1.xml"/>"#
        + #"<Relationship Id="rId2" Type="\#(relationshipsNamespace)/styles" Target="styles.xml"/>"#
        + "</Relationships>"

    private static let styles =
        header
        + #"<styleSheet xmlns="\#(mainNamespace)">"#
        + #"<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>"#
        + #"<fills count="2"><fill><patternFill patternType="none"/></fill>"#
        + #"<fill><patternFill patternType="gray125"/></fill></fills>"#
        + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
        + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
        + #"<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>"#
        + #"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#
        + "</styleSheet>"

    private static func workbook(sheetName: String) -> String {
        header
            + #"<workbook xmlns="\#(mainNamespace)" xmlns:r="\#(relationshipsNamespace)">"#
            + #"<sheets><sheet name="\#(escaped(sheetName))" sheetId="1" r:id="rId1"/></sheets>"#
            + "</workbook>"
    }

    private static func worksheet(_ rows: [[XLSXCell]]) throws(XLSXWriteError) -> String {
        guard rows.count <= maximumRows else {
            throw XLSXWriteError(message: "more than \(maximumRows) rows (Excel's limit)")
        }
        let width = rows.map(\.count).max() ?? 0
        guard width <= maximumColumns else {
            throw XLSXWriteError(message: "more than \(maximumColumns) columns (Excel's limit)")
        }
        var xml = header + #"<worksheet xmlns="\#(mainNamespace)">"#
        if width > 0 {
            xml += #"<dimension ref="A1:\#(XLSXReader.columnName(width - 1))\#(rows.count)"/>"#
        }
        xml += "<sheetData>"
        let columnNames = (0..<width).map(XLSXReader.columnName)
        for (rowIndex, row) in rows.enumerated() {
            let rowNumber = String(rowIndex + 1)
            xml += #"<row r="\#(rowNumber)">"#
            for (columnIndex, cell) in row.enumerated() {
                let reference = columnNames[columnIndex] + rowNumber
                switch cell {
                case .text(let text):
                    guard text.utf16.count <= maximumCellCharacters else {
                        throw XLSXWriteError(
                            message: "cell \(reference) has more than \(maximumCellCharacters) characters")
                    }
                    xml += #"<c r="\#(reference)" t="inlineStr"><is><t xml:space="preserve">"#
                    xml += cellEscaped(text)
                    xml += "</t></is></c>"
                case .number(let text):
                    guard isNumberLiteral(text) else {
                        throw XLSXWriteError(
                            message: "cell \(reference): \"\(text)\" is not a decimal number with at most "
                                + "\(maximumSignificantDigits) significant digits; write it as text")
                    }
                    xml += #"<c r="\#(reference)"><v>\#(text)</v></c>"#
                }
            }
            xml += "</row>"
        }
        xml += "</sheetData></worksheet>"
        return xml
    }
}
