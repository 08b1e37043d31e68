import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads the first worksheet of an Office Open XML workbook (.xlsx) held in memory.
///
/// Cells come back as the text a clerk would expect: shared and inline strings as written
/// (rich-text runs joined, phonetic guides left out, `_xHHHH_` escapes decoded), numbers as
/// stored in `<v>` (e.g. `12.5`, `1800000`), booleans as `TRUE`/`FALSE`, error values such as
/// `#N/A` as written, and numbers in a date format as `YYYY-MM-DD` (with ` HH:MM:SS` when the
/// serial has a time of day; time-only formats give `HH:MM:SS`).
enum XLSXReader {
    /// The most bytes decompressed from all the parts read, together.
    static let maximumDecompressedBytes = 200 * 1024 * 1024
    /// The most entries in the shared-string table.
    static let maximumSharedStrings = 4_000_000
    /// The most styles (cell formats) in `styles.xml`.
    static let maximumCellFormats = 65_536
    /// The most relationships in one `.rels` part, and sheets in the workbook.
    static let maximumRelationships = 65_536
    /// The most segments in a relationship target path.
    static let maximumPathComponents = 64
    /// The most letters in a column reference (XFD is the last column).
    static let maximumColumnLetters = 3

    /// The days from 1970-01-01 back to 1899-12-30, the day before serial 1 in Excel's
    /// 1900 date system once serial 60 (the non-existent 1900-02-29) is behind.
    private static let daysFrom1970To18991230 = -25_569
    /// The days from 1970-01-01 back to 1904-01-01, serial 0 in the 1904 date system.
    private static let daysFrom1970To19040101 = -24_107
    /// Serial 2958465 is 9999-12-31, the last day Excel shows.
    private static let maximumSerialDays = 2_958_465
    private static let secondsPerDay = 86_400

    /// Reads the first worksheet of the workbook in `bytes`.
    static func read(_ bytes: [UInt8], fileName: String) throws(TableReadError) -> Table {
        var package = try Package(bytes, fileName: fileName)
        let workbookPath = try package.officeDocumentPath()
        let workbook = try package.workbook(at: workbookPath)
        let relationships = try package.relationships(of: workbookPath)

        var sheetPath = "xl/worksheets/sheet1.xml"
        let worksheetRelationship = workbook.sheetRelationshipIDs.lazy
            .compactMap { relationships[$0] }
            .first { $0.type.hasSuffix("/worksheet") }
        if let worksheetRelationship {
            sheetPath = try resolve(worksheetRelationship.target, from: workbookPath, fileName: fileName)
        }
        guard package.contains(sheetPath) else {
            throw TableReadError(
                fileName: fileName,
                message: "this ZIP file is not an .xlsx workbook with a worksheet (.xlsb, .ods and .numbers "
                    + "files are not supported); save it as .xlsx or as CSV UTF-8",
                chineseMessage: "这个 ZIP 文件不是含工作表的 .xlsx 工作簿（不支持 .xlsb、.ods、.numbers）；"
                    + "请另存为 .xlsx 或“CSV UTF-8”")
        }

        var sharedStrings: [String] = []
        if let path = try partPath(
            ofType: "/sharedStrings", in: relationships, from: workbookPath,
            fallback: "xl/sharedStrings.xml", package: package)
        {
            sharedStrings = try package.sharedStrings(at: path)
        }
        var formats = CellFormats()
        if let path = try partPath(
            ofType: "/styles", in: relationships, from: workbookPath,
            fallback: "xl/styles.xml", package: package)
        {
            formats = try package.cellFormats(at: path)
        }

        let context = CellContext(sharedStrings: sharedStrings, formats: formats, date1904: workbook.date1904)
        let records = try package.worksheetRows(at: sheetPath, context: context)
        guard
            let headerIndex = records.firstIndex(where: { row in
                row.cells.contains { !TableReader.trimmed($0).isEmpty }
            })
        else {
            throw TableReadError(
                fileName: fileName, message: "the first worksheet is empty",
                chineseMessage: "第一个工作表是空的")
        }
        var header = records[headerIndex]
        while let last = header.cells.last, TableReader.trimmed(last).isEmpty {
            header.cells.removeLast()
        }
        let data = Array(records[(headerIndex + 1)...])
        return try TableReader.makeTable(
            fileName: fileName, header: header.cells, records: data, encoding: nil, padShortRows: true)
    }

    /// The path of the part that `relationships` names with a type ending in `typeSuffix`, or
    /// `fallback` when there is no such relationship; `nil` when that part is not in the package.
    private static func partPath(
        ofType typeSuffix: String, in relationships: [String: Relationship], from source: String,
        fallback: String, package: Package
    ) throws(TableReadError) -> String? {
        var path = fallback
        if let relationship = relationships.values.first(where: { $0.type.hasSuffix(typeSuffix) }) {
            path = try resolve(relationship.target, from: source, fileName: package.fileName)
        }
        return package.contains(path) ? path : nil
    }

    /// The name of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`, 16383 → `XFD`.
    static func columnName(_ index: Int) -> String {
        var number = index + 1
        var letters: [Character] = []
        // At most maximumColumnLetters rounds for indexes below TableReader.maximumColumns.
        while number > 0, letters.count < maximumColumnLetters + 4 {
            let remainder = (number - 1) % 26
            letters.append(Character(Unicode.Scalar(UInt8(65 + remainder))))
            number = (number - 1) / 26
        }
        return String(letters.reversed())
    }

    // MARK: - Package parts

    /// A relationship from a `.rels` part.
    struct Relationship {
        var type: String
        var target: String
    }

    /// What the workbook part says about the sheets.
    struct Workbook {
        var sheetRelationshipIDs: [String] = []
        var date1904 = false
    }

    /// The path of a relationship target relative to the part `source` (or absolute with `/`).
    static func resolve(_ target: String, from source: String, fileName: String) throws(TableReadError)
        -> String
    {
        var components: [Substring] = []
        if !target.hasPrefix("/") {
            components = source.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        }
        let parts = target.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count + components.count <= maximumPathComponents else {
            throw TableReadError(
                fileName: fileName, message: "the workbook names a part with too long a path",
                chineseMessage: "工作簿中的部件路径过长")
        }
        for part in parts {
            switch part {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(part)
            }
        }
        return components.joined(separator: "/")
    }

    /// The ZIP archive of an .xlsx, with a budget for the bytes decompressed from it.
    struct Package {
        let fileName: String
        private let archive: Archive
        private var remainingBytes = XLSXReader.maximumDecompressedBytes

        init(_ bytes: [UInt8], fileName: String) throws(TableReadError) {
            self.fileName = fileName
            // ZIPFoundation traps on offsets past the end of an in-memory archive: check first.
            switch ZIPLayout.problem(in: bytes) {
            case .damaged:
                throw TableReadError(
                    fileName: fileName,
                    message:
                        "the file starts like an .xlsx workbook (a ZIP archive) but the archive is damaged",
                    chineseMessage: "文件开头像 .xlsx 工作簿（ZIP 压缩包），但压缩包已损坏")
            case .zip64:
                throw TableReadError(
                    fileName: fileName,
                    message: "the workbook is a ZIP64 archive, which is only needed for files over 4 GB "
                        + "and is not supported; open it in Excel or WPS and save it again as .xlsx",
                    chineseMessage: "工作簿是 ZIP64 格式的压缩包（仅大于 4 GB 的文件需要），不受支持；"
                        + "请用 Excel 或 WPS 打开后重新保存为 .xlsx")
            case .tooLarge:
                throw TableReadError(
                    fileName: fileName,
                    message: "the workbook decompresses to more than "
                        + "\(XLSXReader.maximumDecompressedBytes / 1024 / 1024) MB",
                    chineseMessage: "工作簿解压后超过 \(XLSXReader.maximumDecompressedBytes / 1024 / 1024) MB")
            case nil:
                break
            }
            do {
                archive = try Archive(data: Data(bytes), accessMode: .read)
            } catch {
                throw TableReadError(
                    fileName: fileName,
                    message:
                        "the file starts like an .xlsx workbook (a ZIP archive) but the archive is damaged",
                    chineseMessage: "文件开头像 .xlsx 工作簿（ZIP 压缩包），但压缩包已损坏")
            }
        }

        /// Whether the archive holds a part at `path`.
        func contains(_ path: String) -> Bool {
            archive[path] != nil
        }

        /// The decompressed bytes of the part at `path`, or `nil` when there is no such part.
        mutating func data(at path: String) throws(TableReadError) -> Data? {
            guard let entry = archive[path], entry.type == .file else {
                return nil
            }
            let tooLarge = TableReadError(
                fileName: fileName,
                message: "the workbook decompresses to more than "
                    + "\(XLSXReader.maximumDecompressedBytes / 1024 / 1024) MB",
                chineseMessage: "工作簿解压后超过 \(XLSXReader.maximumDecompressedBytes / 1024 / 1024) MB")
            guard entry.uncompressedSize <= UInt64(remainingBytes) else {
                throw tooLarge
            }
            var data = Data()
            let budget = remainingBytes
            do {
                _ = try archive.extract(entry) { chunk in
                    // The declared size may lie (a ZIP bomb): count what is really produced.
                    guard data.count + chunk.count <= budget else {
                        throw SizeLimitExceeded()
                    }
                    data.append(chunk)
                }
            } catch is SizeLimitExceeded {
                throw tooLarge
            } catch {
                throw TableReadError(
                    fileName: fileName, message: "the part \(path) of the workbook is damaged (\(error))",
                    chineseMessage: "工作簿中的 \(path) 已损坏（\(error)）")
            }
            remainingBytes -= data.count
            return data
        }

        /// The path of the main workbook part, from `_rels/.rels`, else `xl/workbook.xml`.
        mutating func officeDocumentPath() throws(TableReadError) -> String {
            let relationships = try relationships(of: "")
            if let document = relationships.values.first(where: { $0.type.hasSuffix("/officeDocument") }) {
                let path = try XLSXReader.resolve(document.target, from: "", fileName: fileName)
                if contains(path) {
                    return path
                }
            }
            return "xl/workbook.xml"
        }

        /// The relationships of the part at `source` (`""` for the package), by id.
        mutating func relationships(of source: String) throws(TableReadError) -> [String: Relationship] {
            var components = source.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            let partName = components.popLast() ?? ""
            let path = (components + ["_rels", partName + ".rels"]).joined(separator: "/")
            guard let data = try data(at: path) else {
                return [:]
            }
            var relationships: [String: Relationship] = [:]
            let fileName = fileName
            try XMLEvents.parse(data, part: path, fileName: fileName) {
                name, attributes throws(TableReadError) in
                guard name == "Relationship", let id = attributes.value("Id"),
                    let type = attributes.value("Type"), let target = attributes.value("Target"),
                    attributes.value("TargetMode") != "External"
                else {
                    return
                }
                guard relationships.count < XLSXReader.maximumRelationships else {
                    throw TableReadError(
                        fileName: fileName, message: "too many relationships in \(path)",
                        chineseMessage: "\(path) 中的关系过多")
                }
                relationships[id] = Relationship(type: type, target: target)
            }
            return relationships
        }

        /// The sheets and date system of the workbook part at `path`.
        mutating func workbook(at path: String) throws(TableReadError) -> Workbook {
            var workbook = Workbook()
            guard let data = try data(at: path) else {
                return workbook
            }
            let fileName = fileName
            try XMLEvents.parse(data, part: path, fileName: fileName) {
                name, attributes throws(TableReadError) in
                switch name {
                case "workbookPr":
                    let value = attributes.value("date1904")
                    workbook.date1904 = value == "1" || value == "true"
                case "sheet":
                    guard workbook.sheetRelationshipIDs.count < XLSXReader.maximumRelationships else {
                        throw TableReadError(
                            fileName: fileName, message: "too many sheets in the workbook",
                            chineseMessage: "工作簿中的工作表过多")
                    }
                    if let id = attributes.value("id") {
                        workbook.sheetRelationshipIDs.append(id)
                    }
                default:
                    break
                }
            }
            return workbook
        }

        /// The shared-string table at `path`: each `<si>`'s text runs joined, phonetic runs left out.
        mutating func sharedStrings(at path: String) throws(TableReadError) -> [String] {
            guard let data = try data(at: path) else {
                return []
            }
            var strings: [String] = []
            var current = ""
            var inItem = false
            var inText = false
            var phoneticDepth = 0
            let fileName = fileName
            try XMLEvents.parse(
                data, part: path, fileName: fileName,
                start: { name, _ throws(TableReadError) in
                    switch name {
                    case "si":
                        guard strings.count < XLSXReader.maximumSharedStrings else {
                            throw TableReadError(
                                fileName: fileName,
                                message: "more than \(XLSXReader.maximumSharedStrings) shared strings",
                                chineseMessage: "共享字符串超过 \(XLSXReader.maximumSharedStrings) 个")
                        }
                        inItem = true
                        current = ""
                    case "rPh": phoneticDepth += 1
                    case "t": inText = inItem && phoneticDepth == 0
                    default: break
                    }
                },
                end: { name throws(TableReadError) in
                    switch name {
                    case "si":
                        strings.append(XLSXReader.unescaped(current))
                        inItem = false
                    case "rPh": phoneticDepth -= 1
                    case "t": inText = false
                    default: break
                    }
                },
                text: { text throws(TableReadError) in
                    guard inText else {
                        return
                    }
                    guard current.utf8.count + text.utf8.count <= TableReader.maximumCellBytes else {
                        throw TableReadError(
                            fileName: fileName,
                            message: "shared string \(strings.count) is longer than "
                                + "\(TableReader.maximumCellBytes) bytes",
                            chineseMessage: "第 \(strings.count) 个共享字符串超过 \(TableReader.maximumCellBytes) 字节")
                    }
                    current += text
                })
            return strings
        }

        /// The number formats of the cell formats (`cellXfs`) in the styles part at `path`.
        mutating func cellFormats(at path: String) throws(TableReadError) -> CellFormats {
            guard let data = try data(at: path) else {
                return CellFormats()
            }
            var formats = CellFormats()
            var inCellFormats = false
            let fileName = fileName
            try XMLEvents.parse(
                data, part: path, fileName: fileName,
                start: { name, attributes throws(TableReadError) in
                    switch name {
                    case "numFmt":
                        guard formats.codes.count < XLSXReader.maximumCellFormats else {
                            throw TableReadError(
                                fileName: fileName, message: "too many number formats in \(path)",
                                chineseMessage: "\(path) 中的数字格式过多")
                        }
                        if let id = attributes.value("numFmtId").flatMap({ Int($0) }),
                            let code = attributes.value("formatCode")
                        {
                            formats.codes[id] = code
                        }
                    case "cellXfs":
                        inCellFormats = true
                    case "xf" where inCellFormats:
                        guard formats.numberFormatIDs.count < XLSXReader.maximumCellFormats else {
                            throw TableReadError(
                                fileName: fileName, message: "too many cell formats in \(path)",
                                chineseMessage: "\(path) 中的单元格格式过多")
                        }
                        formats.numberFormatIDs.append(attributes.value("numFmtId").flatMap { Int($0) } ?? 0)
                    default:
                        break
                    }
                },
                end: { name throws(TableReadError) in
                    if name == "cellXfs" {
                        inCellFormats = false
                    }
                },
                text: { _ throws(TableReadError) in })
            return formats
        }

        /// The rows of the worksheet at `path`, each with its Excel row number and its cells from
        /// column A on (gaps as empty strings).
        mutating func worksheetRows(at path: String, context: CellContext) throws(TableReadError)
            -> [TableRow]
        {
            guard let data = try data(at: path) else {
                return []
            }
            var parser = WorksheetParser(fileName: fileName, context: context)
            try XMLEvents.parse(
                data, part: path, fileName: fileName,
                start: { name, attributes throws(TableReadError) in try parser.start(name, attributes) },
                end: { name throws(TableReadError) in try parser.end(name) },
                text: { text throws(TableReadError) in try parser.text(text) })
            return parser.rows
        }
    }

    /// Thrown inside ZIPFoundation's consumer closure when the size budget runs out.
    private struct SizeLimitExceeded: Error {}

    // MARK: - Cells

    /// How a number format shows a number.
    enum NumberFormatKind: Equatable {
        case date, time, other
    }

    /// The number format ids of the cell formats, and the workbook's own format codes.
    struct CellFormats {
        /// `cellXfs` in order: the `s` attribute of a cell is an index here.
        var numberFormatIDs: [Int] = []
        /// Custom (and overridden built-in) format codes by id.
        var codes: [Int: String] = [:]

        /// How the cell format (style index) `style` shows numbers.
        func kind(ofStyle style: Int) -> NumberFormatKind {
            guard style >= 0, style < numberFormatIDs.count else {
                return .other
            }
            let id = numberFormatIDs[style]
            if let code = codes[id] {
                return XLSXReader.kind(ofFormatCode: code)
            }
            return XLSXReader.kind(ofBuiltInFormat: id)
        }
    }

    /// How a built-in number format shows numbers. Ids 27–36 and 50–58 are the East Asian
    /// date and time formats (in zh-CN: 27 `yyyy"年"m"月"`, 32 `h"时"mm"分"`, …).
    static func kind(ofBuiltInFormat id: Int) -> NumberFormatKind {
        switch id {
        case 14...17, 22, 27...31, 36, 50...54, 57, 58: .date
        case 18...21, 32...35, 45...47, 55, 56: .time
        default: .other
        }
    }

    /// How a format code shows numbers: a date when it has `y`, `d`, or `m` without `h`/`s`
    /// outside quoted text, `[…]` sections and escaped characters; a time when it has `h` or `s`
    /// (or an elapsed-time section such as `[h]`).
    static func kind(ofFormatCode code: String) -> NumberFormatKind {
        var hasYear = false
        var hasDay = false
        var hasMonthOrMinute = false
        var hasHourOrSecond = false
        var inQuotes = false
        var inBrackets = false
        var bracketed: [Unicode.Scalar] = []
        var skipNext = false
        // Format codes are at most 255 characters in Excel; allow some slack, then stop.
        for scalar in code.unicodeScalars.prefix(1_024) {
            if skipNext {
                skipNext = false
                continue
            }
            if inQuotes {
                inQuotes = scalar != "\""
                continue
            }
            if inBrackets {
                if scalar == "]" {
                    inBrackets = false
                    // [h], [mm], [ss]: elapsed time; other sections are colours, locales, conditions.
                    if !bracketed.isEmpty, bracketed.allSatisfy({ "hHmMsS".unicodeScalars.contains($0) }) {
                        hasHourOrSecond = true
                    }
                } else if bracketed.count < 16 {
                    bracketed.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"": inQuotes = true
            case "[":
                inBrackets = true
                bracketed = []
            case "\\", "_", "*": skipNext = true
            case "y", "Y": hasYear = true
            case "d", "D": hasDay = true
            case "m", "M": hasMonthOrMinute = true
            case "h", "H", "s", "S": hasHourOrSecond = true
            default: break
            }
        }
        if hasYear || hasDay || (hasMonthOrMinute && !hasHourOrSecond) {
            return .date
        }
        return hasHourOrSecond ? .time : .other
    }

    /// What turning cell values into text needs from the rest of the workbook.
    struct CellContext {
        var sharedStrings: [String]
        var formats: CellFormats
        var date1904: Bool
    }

    /// The text of a serial date-time number in a date or time format, or `nil` when it is
    /// out of the range Excel shows as a date (then the number is given back as written).
    static func dateTimeText(serial: Double, kind: NumberFormatKind, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < Double(maximumSerialDays + 1) else {
            return nil
        }
        var days = Int(serial.rounded(.down))
        var seconds = Int(((serial - Double(days)) * Double(secondsPerDay)).rounded())
        if seconds >= secondsPerDay {
            days += 1
            seconds -= secondsPerDay
        }
        let clock =
            twoDigits(seconds / 3_600) + ":" + twoDigits(seconds / 60 % 60) + ":" + twoDigits(seconds % 60)
        if kind == .time {
            guard days == 0 else {
                // An elapsed time such as [h]:mm:ss past a day.
                return String(days * 24 + seconds / 3_600) + ":" + twoDigits(seconds / 60 % 60) + ":"
                    + twoDigits(seconds % 60)
            }
            return clock
        }
        let date: String
        if date1904 {
            date = civilDate(daysSince1970: daysFrom1970To19040101 + days)
        } else if days == 0 {
            return nil  // Excel's "1900-01-00".
        } else if days == 60 {
            date = "1900-02-29"  // Excel's leap-year bug: shown by Excel, though no such day exists.
        } else {
            // Serials 1…59 are one day later than the 1899-12-30 origin suggests.
            date = civilDate(daysSince1970: daysFrom1970To18991230 + days + (days < 60 ? 1 : 0))
        }
        return seconds == 0 ? date : date + " " + clock
    }

    /// `YYYY-MM-DD` for a count of days since 1970-01-01 (proleptic Gregorian calendar).
    static func civilDate(daysSince1970: Int) -> String {
        // Howard Hinnant's civil_from_days.
        let shifted = daysSince1970 + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(year) + "-" + twoDigits(month) + "-" + twoDigits(day)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0" + String(value) : String(value)
    }

    /// Text with the OOXML escapes `_xHHHH_` (used for control characters, e.g. `_x000D_`)
    /// decoded; `_x005F_` is a literal underscore, so `_x005F_x0041_` stays `_x0041_`.
    static func unescaped(_ text: String) -> String {
        guard text.contains("_x") else {
            return text
        }
        let units = Array(text.utf16)
        var result: [UInt16] = []
        result.reserveCapacity(units.count)
        var index = 0
        // Bounded by the text's length, at most TableReader.maximumCellBytes.
        while index < units.count {
            if units[index] == 0x5F, index + 6 < units.count, units[index + 1] == 0x78,
                units[index + 6] == 0x5F, let value = UInt16(hex: units[(index + 2)..<(index + 6)])
            {
                result.append(value)
                index += 7
            } else {
                result.append(units[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF16.self)
    }

    /// Parses the rows and cells of a worksheet part from XML events.
    struct WorksheetParser {
        let fileName: String
        let context: CellContext
        private(set) var rows: [TableRow] = []

        private var rowNumber = 0
        private var cells: [String] = []
        private var column = -1
        private var reference = ""
        private var type = "n"
        private var style = 0
        private var value = ""
        private var inlineText = ""
        private var sawValue = false
        private var sawFormula = false
        private var inInlineString = false
        private var phoneticDepth = 0
        private var capture = Capture.none

        private enum Capture {
            case none, value, inlineText
        }

        init(fileName: String, context: CellContext) {
            self.fileName = fileName
            self.context = context
        }

        mutating func start(_ name: Substring, _ attributes: [String: String]) throws(TableReadError) {
            switch name {
            case "row":
                guard rows.count < TableReader.maximumRows else {
                    throw TableReadError(
                        fileName: fileName, message: "more than \(TableReader.maximumRows) rows",
                        chineseMessage: "超过 \(TableReader.maximumRows) 行")
                }
                if let number = attributes.value("r").flatMap({ Int($0) }), number > 0 {
                    rowNumber = number
                } else {
                    rowNumber += 1
                }
                cells = []
                column = -1
            case "c":
                if let text = attributes.value("r") {
                    guard let index = XLSXReader.columnIndex(ofReference: text) else {
                        throw TableReadError(
                            fileName: fileName, line: rowNumber,
                            message: "the cell reference \"\(text)\" is not valid",
                            chineseMessage: "单元格引用“\(text)”无效")
                    }
                    column = index
                } else {
                    column += 1
                }
                guard column < TableReader.maximumColumns else {
                    throw TableReadError(
                        fileName: fileName, line: rowNumber,
                        message:
                            "a cell lies past column \(XLSXReader.columnName(TableReader.maximumColumns - 1))",
                        chineseMessage: "有单元格超出第 \(XLSXReader.columnName(TableReader.maximumColumns - 1)) 列")
                }
                reference = XLSXReader.columnName(column) + String(rowNumber)
                type = attributes.value("t") ?? "n"
                style = attributes.value("s").flatMap { Int($0) } ?? 0
                value = ""
                inlineText = ""
                sawValue = false
                sawFormula = false
                phoneticDepth = 0
            case "v":
                capture = .value
                sawValue = true
            case "f":
                sawFormula = true
            case "is":
                inInlineString = true
            case "rPh":
                phoneticDepth += 1
            case "t" where inInlineString && phoneticDepth == 0:
                capture = .inlineText
            default:
                break
            }
        }

        mutating func end(_ name: Substring) throws(TableReadError) {
            switch name {
            case "v", "t":
                capture = .none
            case "is":
                inInlineString = false
            case "rPh":
                phoneticDepth -= 1
            case "c":
                // A cell that ends after a <row> began inside it (`<c><row/></c>`, or what
                // libxml2 recovers from broken XML) has no column in that row. Found by fuzzing.
                guard column >= 0 else {
                    throw TableReadError(
                        fileName: fileName, line: rowNumber,
                        message: "the worksheet has a cell that is not inside a row; "
                            + "open the file in Excel or WPS and save it again as .xlsx",
                        chineseMessage: "工作表中有不在行内的单元格；请用 Excel 或 WPS 打开后重新保存为 .xlsx")
                }
                let text = try cellText()
                if column >= cells.count {
                    cells += Array(repeating: "", count: column - cells.count + 1)
                }
                cells[column] = text
            case "row":
                rows.append(TableRow(line: rowNumber, cells: cells))
            default:
                break
            }
        }

        mutating func text(_ text: String) throws(TableReadError) {
            switch capture {
            case .none:
                return
            case .value:
                value += text
            case .inlineText:
                inlineText += text
            }
            guard value.utf8.count + inlineText.utf8.count <= TableReader.maximumCellBytes else {
                throw TableReadError(
                    fileName: fileName, line: rowNumber,
                    message: "cell \(reference) is longer than \(TableReader.maximumCellBytes) bytes",
                    chineseMessage: "单元格 \(reference) 超过 \(TableReader.maximumCellBytes) 字节")
            }
        }

        /// The text of the cell just ended.
        private func cellText() throws(TableReadError) -> String {
            switch type {
            case "s":
                guard let index = Int(value.trimmingCharacters(in: .whitespaces)), index >= 0,
                    index < context.sharedStrings.count
                else {
                    throw TableReadError(
                        fileName: fileName, line: rowNumber,
                        message: "cell \(reference) refers to a shared string that does not exist",
                        chineseMessage: "单元格 \(reference) 引用的共享字符串不存在")
                }
                return context.sharedStrings[index]
            case "inlineStr":
                return XLSXReader.unescaped(inlineText)
            case "str":
                return XLSXReader.unescaped(value)
            case "b":
                switch value {
                case "1": return "TRUE"
                case "0": return "FALSE"
                default: return value
                }
            case "e":
                return value
            case "d":
                // An ISO 8601 date-time; midnight is shown as the date alone.
                if value.count >= 10, let separator = value.firstIndex(of: "T") {
                    let time = value[value.index(after: separator)...]
                    if time.allSatisfy({ "0:.Z".contains($0) }) {
                        return String(value[..<separator])
                    }
                }
                return value
            default:
                if sawFormula && !sawValue {
                    throw TableReadError(
                        fileName: fileName, line: rowNumber,
                        message: "cell \(reference) holds a formula whose result was not saved; "
                            + "open the file in Excel or WPS and save it again",
                        chineseMessage: "单元格 \(reference) 是公式，但文件中没有保存计算结果；"
                            + "请用 Excel 或 WPS 打开后重新保存")
                }
                let kind = context.formats.kind(ofStyle: style)
                if kind != .other, let serial = Double(value),
                    let text = XLSXReader.dateTimeText(serial: serial, kind: kind, date1904: context.date1904)
                {
                    return text
                }
                return value
            }
        }
    }

    /// The 0-based column of a cell reference such as `C7` (`nil` when it is not one).
    static func columnIndex(ofReference reference: String) -> Int? {
        var column = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            switch scalar {
            case "A"..."Z", "a"..."z":
                letters += 1
                guard letters <= maximumColumnLetters else {
                    return nil
                }
                column = column * 26 + Int(scalar.value & 0xDF) - 64  // & 0xDF: ASCII upper case
            case "0"..."9" where letters > 0:
                return column - 1
            default:
                return nil
            }
        }
        return letters > 0 ? column - 1 : nil
    }
}

extension UInt16 {
    /// The value of exactly four hexadecimal digits given as UTF-16 code units.
    fileprivate init?(hex units: ArraySlice<UInt16>) {
        var value: UInt16 = 0
        for unit in units {
            let digit: UInt16
            switch unit {
            case 0x30...0x39: digit = unit - 0x30
            case 0x41...0x46: digit = unit - 0x41 + 10
            case 0x61...0x66: digit = unit - 0x61 + 10
            default: return nil
            }
            value = value << 4 | digit
        }
        self = value
    }
}

extension [String: String] {
    /// The value of an XML attribute by local name, whatever prefix it was written with.
    fileprivate func value(_ localName: String) -> String? {
        if let value = self[localName] {
            return value
        }
        let suffix = ":" + localName
        return first { $0.key.hasSuffix(suffix) }?.value
    }
}

/// Forwards `XMLParser` events, with element names stripped of their prefix, to closures.
private final class XMLEvents: NSObject, XMLParserDelegate {
    typealias Start = (_ name: Substring, _ attributes: [String: String]) throws(TableReadError) -> Void
    typealias End = (_ name: Substring) throws(TableReadError) -> Void
    typealias Text = (_ text: String) throws(TableReadError) -> Void

    private let start: Start
    private let end: End
    private let text: Text
    private(set) var failure: TableReadError?

    private init(start: @escaping Start, end: @escaping End, text: @escaping Text) {
        self.start = start
        self.end = end
        self.text = text
    }

    /// Parses `data` (the part at `part`), calling `start` for each element opened.
    static func parse(
        _ data: Data, part: String, fileName: String, start: @escaping Start
    ) throws(TableReadError) {
        try parse(data, part: part, fileName: fileName, start: start, end: { _ in }, text: { _ in })
    }

    /// Parses `data` (the part at `part`), forwarding element starts, ends and text.
    static func parse(
        _ data: Data, part: String, fileName: String, start: @escaping Start, end: @escaping End,
        text: @escaping Text
    ) throws(TableReadError) {
        // FoundationXML force-unwraps element and attribute names as UTF-8, and libxml2 (in the
        // recovery mode XMLParser uses) hands it the raw bytes of a part that claims UTF-8 but
        // is not: that traps. Office parts are UTF-8, so anything else is refused first.
        // Found by fuzzing (docs/FUZZING.md).
        let bytes = [UInt8](data)
        if let offset = CSVReader.UTF8Scan(bytes).firstInvalidOffset {
            throw TableReadError(
                fileName: fileName,
                message: "the part \(part) of the workbook is not UTF-8 text (byte \(offset + 1)); "
                    + "open the file in Excel or WPS and save it again as .xlsx",
                chineseMessage: "工作簿中的 \(part) 不是 UTF-8 文本（第 \(offset + 1) 个字节）；"
                    + "请用 Excel 或 WPS 打开后重新保存为 .xlsx")
        }
        // FoundationXML reads a processing instruction's data through a pointer libxml2 leaves
        // null when there is none (`<?pi?>`): a segmentation fault. Office parts have neither
        // processing instructions (past the XML declaration) nor DTDs, whose entities could
        // bring one in, so both are refused. Found by fuzzing (docs/FUZZING.md).
        if let offset = forbiddenMarkupOffset(bytes) {
            throw TableReadError(
                fileName: fileName,
                message: "the part \(part) of the workbook has a processing instruction or a DTD (byte "
                    + "\(offset + 1)), which workbooks do not; open the file in Excel or WPS and save it again as .xlsx",
                chineseMessage: "工作簿中的 \(part) 含有处理指令或 DTD（第 \(offset + 1) 个字节），正常工作簿中没有；"
                    + "请用 Excel 或 WPS 打开后重新保存为 .xlsx")
        }
        let events = XMLEvents(start: start, end: end, text: text)
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = events
        let parsed = parser.parse()
        if let failure = events.failure {
            throw failure
        }
        guard parsed else {
            let code = (parser.parserError as NSError?)?.code ?? 0
            let reason = " (XML error \(code) at line \(parser.lineNumber), column \(parser.columnNumber))"
            throw TableReadError(
                fileName: fileName,
                message: "the part \(part) of the workbook is not well-formed XML\(reason)",
                chineseMessage: "工作簿中的 \(part) 不是格式正确的 XML\(reason)")
        }
    }

    /// The offset of the first `<?` other than an XML declaration at the start (after an
    /// optional byte-order mark), or of the first `<!DOCTYPE`; `nil` when there is neither.
    static func forbiddenMarkupOffset(_ bytes: [UInt8]) -> Int? {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let doctype = Array("<!DOCTYPE".utf8)
        var index = 0
        // Bounded by the part's size, itself within XLSXReader.maximumDecompressedBytes.
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                if bytes[index + 1] == UInt8(ascii: "?") {
                    let declaration = bytes[(index + 2)...].starts(with: Array("xml".utf8))
                        && index + 5 < bytes.count && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index + 5])
                    if !(index == start && declaration) {
                        return index
                    }
                } else if bytes[index...].starts(with: doctype) {
                    return index
                }
            }
            index += 1
        }
        return nil
    }

    private static func localName(_ name: String) -> Substring {
        guard let colon = name.lastIndex(of: ":") else {
            return name[...]
        }
        return name[name.index(after: colon)...]
    }

    private func run(_ parser: XMLParser, _ body: () throws(TableReadError) -> Void) {
        guard failure == nil else {
            return
        }
        do {
            try body()
        } catch {
            failure = error
            parser.abortParsing()
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        run(parser) { () throws(TableReadError) in try start(Self.localName(elementName), attributeDict) }
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        run(parser) { () throws(TableReadError) in try end(Self.localName(elementName)) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        run(parser) { () throws(TableReadError) in try text(string) }
    }

    func parser(_ parser: XMLParser, foundCDATA cdataBlock: Data) {
        run(parser) { () throws(TableReadError) in try text(String(decoding: cdataBlock, as: UTF8.self)) }
    }
}
