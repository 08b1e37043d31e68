import Foundation
import Testing

@testable import ReliefCore

/// The bytes of a CSV file written as UTF-8.
private func utf8(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// Reads bytes and returns the error `TableReader` throws (or records an issue if it does not).
private func readError(_ bytes: [UInt8], fileName: String = "purchases.csv") -> TableReadError? {
    do {
        let table = try TableReader.read(bytes, fileName: fileName)
        Issue.record("expected an error, read \(table)")
        return nil
    } catch {
        return error
    }
}

@Suite("Spreadsheet CSV")
struct SpreadsheetCSVTests {
    @Test("UTF-8 without BOM: headers trimmed, cells kept as written, CRLF")
    func utf8WithoutBOM() throws {
        let table = try TableReader.read(
            utf8(" 企业 ,\t发票号码,金额\r\n甲公司, 12345678901234567890 ,18000.00\r\n"), fileName: "purchases.csv")
        #expect(table.encoding == .utf8)
        #expect(table.fileName == "purchases.csv")
        #expect(table.headers == ["企业", "发票号码", "金额"])
        #expect(table.rows == [TableRow(line: 2, cells: ["甲公司", " 12345678901234567890 ", "18000.00"])])
    }

    @Test("UTF-8 with BOM: the BOM is stripped and reported")
    func utf8WithBOM() throws {
        let table = try TableReader.read([0xEF, 0xBB, 0xBF] + utf8("企业,金额\n甲公司,1\n"), fileName: "a.csv")
        #expect(table.encoding == .utf8WithBOM)
        #expect(table.headers == ["企业", "金额"])
        #expect(table.rows == [TableRow(line: 2, cells: ["甲公司", "1"])])
    }

    @Test("GB18030 from Chinese Excel/WPS is decoded, including four-byte sequences")
    func gb18030() throws {
        // 银行 = D2 F8 D0 D0, 金额 = BD F0 B6 EE, 企业 = C6 F3 D2 B5, 甲公司 = BC D7 B9 AB CB BE,
        // 𠀀 (U+20000) = 95 32 82 36, € = A2 E3.
        let bytes: [UInt8] =
            [0xC6, 0xF3, 0xD2, 0xB5, 0x2C, 0xD2, 0xF8, 0xD0, 0xD0, 0x2C, 0xBD, 0xF0, 0xB6, 0xEE, 0x0D, 0x0A]
            + [0xBC, 0xD7, 0xB9, 0xAB, 0xCB, 0xBE, 0x2C, 0x95, 0x32, 0x82, 0x36, 0x2C, 0xA2, 0xE3, 0x31]
            + [0x0D, 0x0A]
        let table = try TableReader.read(bytes, fileName: "gbk.csv")
        #expect(table.encoding == .gb18030)
        #expect(table.headers == ["企业", "银行", "金额"])
        #expect(table.rows == [TableRow(line: 2, cells: ["甲公司", "𠀀", "€1"])])
    }

    @Test("bytes that are neither UTF-8 nor GB18030 name the line and byte")
    func invalidBytes() throws {
        let bytes = utf8("企业,金额\n甲公司,1\nab,") + [0xFF, 0x31] + utf8("\n")
        let error = try #require(readError(bytes))
        #expect(error.line == 3)
        #expect(error.message.contains("byte 4"))
        #expect(error.message.contains("UTF-8 (CSV UTF-8) or GB18030"))
        #expect(error.description.hasPrefix("purchases.csv line 3: invalid UTF-8 at byte 4"))
        #expect(error.chineseDescription.hasPrefix("purchases.csv 第 3 行：该行第 4 个字节"))
    }

    @Test("mostly UTF-8 text with a stray GB18030 character is an error, not GB18030 mojibake")
    func damagedUTF8() throws {
        var text = "企业,开户银行,金额\n"
        for index in 1...20 {
            text += "甲公司\(index),中国农业银行,\(index)\n"
        }
        // "银行" in GB18030 pasted into line 22 of a UTF-8 file.
        let bytes = utf8(text + "乙公司,") + [0xD2, 0xF8, 0xD0, 0xD0] + utf8(",5\n")
        let error = try #require(readError(bytes))
        #expect(error.line == 22)
        #expect(error.message.contains("byte 11"))
    }

    @Test("quoted commas, doubled quotes and line breaks; line numbers of later records stay right")
    func quotedFields() throws {
        let text =
            "企业,备注,金额\n"
            + "甲,\"第一行\n第二行\",1\n"
            + "乙,\"a \"\"quoted\"\" word, with comma\",2\r\n"
            + "丙,\"three\r\nline\r\nnote\",3\r\n"
            + "丁,plain,4"
        let table = try TableReader.read(utf8(text), fileName: "q.csv")
        #expect(
            table.rows == [
                TableRow(line: 2, cells: ["甲", "第一行\n第二行", "1"]),
                TableRow(line: 4, cells: ["乙", "a \"quoted\" word, with comma", "2"]),
                TableRow(line: 5, cells: ["丙", "three\r\nline\r\nnote", "3"]),
                TableRow(line: 8, cells: ["丁", "plain", "4"]),
            ])
    }

    @Test("a record with the wrong number of cells names its line and both counts")
    func wrongColumnCount() throws {
        let text = "企业,备注,金额\n甲,\"two\nlines\",1\n乙,2\n"
        let error = try #require(readError(utf8(text)))
        #expect(error.line == 4)
        #expect(error.message == "expected 3 cells as in the header, found 2")
        #expect(error.description == "purchases.csv line 4: expected 3 cells as in the header, found 2")
        #expect(error.chineseDescription == "purchases.csv 第 4 行：应有 3 个单元格（与表头相同），实际为 2 个")
    }

    @Test("an unterminated quote names the line where the quoted field began")
    func unterminatedQuote() throws {
        let text = "企业,备注\n甲,ok\n乙,\"never\nclosed,\n丙,x\n"
        let error = try #require(readError(utf8(text)))
        #expect(error.line == 3)
        #expect(error.message.contains("no closing quote"))
    }

    @Test("empty trailing lines and rows are dropped; empty lines inside are empty rows")
    func emptyLines() throws {
        let table = try TableReader.read(utf8("a,b\n1,2\n\n3,4\n,\n\n\r\n"), fileName: "e.csv")
        #expect(
            table.rows == [
                TableRow(line: 2, cells: ["1", "2"]),
                TableRow(line: 3, cells: ["", ""]),
                TableRow(line: 4, cells: ["3", "4"]),
            ])
    }

    @Test("old Mac line ends (CR) and quotes inside unquoted fields")
    func carriageReturnsAndLooseQuotes() throws {
        let table = try TableReader.read(utf8("a,b\r5\" pipe,x\"y\r\"q\"z,\"\"\r"), fileName: "cr.csv")
        #expect(
            table.rows == [
                TableRow(line: 2, cells: ["5\" pipe", "x\"y"]),
                TableRow(line: 3, cells: ["qz", ""]),
            ])
    }

    @Test("a runaway quoted field is stopped at the cell limit and blamed on its opening line")
    func runawayQuote() throws {
        let text = "a,b\n1,2\n3,\"" + String(repeating: "x,\n", count: 50_000) + "\"\n"
        let error = try #require(readError(utf8(text)))
        #expect(error.line == 3)
        #expect(error.message.contains("stray quote"))
    }

    @Test("an empty file, a header of blanks, UTF-16 and .xls are errors with a reason")
    func unreadableFiles() throws {
        #expect(readError([])?.message.contains("empty") == true)
        #expect(readError([0xEF, 0xBB, 0xBF])?.message.contains("empty") == true)
        #expect(readError(utf8(" , \n1,2\n"))?.message.contains("header row is empty") == true)
        #expect(readError([0xFF, 0xFE, 0x41, 0x00])?.message.contains("UTF-16") == true)
        let xls: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0]
        #expect(readError(xls, fileName: "old.xls")?.message.contains(".xls") == true)
    }

    @Test("a CSV error in a file named .xlsx says it was read as CSV")
    func misnamedWorkbook() throws {
        let error = try #require(readError(utf8("a,b\n1\n"), fileName: "purchases.xlsx"))
        #expect(error.line == 2)
        #expect(error.message.contains("not an .xlsx file"))
    }

    @Test("error descriptions in English and Chinese name the file, line and column")
    func errorDescriptions() {
        let error = TableReadError(
            fileName: "purchases.csv", line: 7, column: "发票号码", message: "the invoice number is empty",
            chineseMessage: "发票号码为空")
        #expect(error.description == "purchases.csv line 7, column 发票号码: the invoice number is empty")
        #expect(error.chineseDescription == "purchases.csv 第 7 行，「发票号码」列：发票号码为空")
        let whole = TableReadError(fileName: "x.csv", message: "bad")
        #expect(whole.description == "x.csv: bad")
        #expect(whole.chineseDescription == "x.csv：bad")
    }
}

@Suite("Spreadsheet XLSX")
struct SpreadsheetXLSXTests {
    /// The bytes of `Fixtures/purchases.xlsx`, written by XlsxWriter (see make_fixtures.py).
    private func fixture() throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/purchases.xlsx")
        return try [UInt8](Data(contentsOf: url))
    }

    @Test("a workbook written by XlsxWriter reads as the strings a clerk sees")
    func fixtureWorkbook() throws {
        let table = try TableReader.read(fixture(), fileName: "purchases.xlsx")
        #expect(table.fileName == "purchases.xlsx")
        #expect(table.encoding == nil)
        #expect(table.headers == ["企业", "日期", "数量", "单价", "发票号码"])
        let expected = [
            TableRow(line: 2, cells: ["甲公司", "2020-05-12", "1800000", "12.5", "12345678901234567890"]),
            TableRow(line: 3, cells: ["甲公司", "", "3", "0.1", "00098765432109876543"]),
            TableRow(line: 4, cells: ["乙农业合作社", "2021-01-31", "2.75", "1234.5678", "04400000000012345678"]),
            TableRow(line: 5, cells: ["  丙公司 ", "2020-02-29 13:30:00", "-5", "100", "1"]),
            TableRow(line: 6, cells: ["丁公司", "1900-01-01", "TRUE", "25", "44000000000000000001"]),
        ]
        #expect(table.rows.count == expected.count)
        for (row, want) in zip(table.rows, expected) {
            #expect(row == want)
        }
    }

    @Test("XLSXWriter → TableReader round trip keeps long digit strings, Chinese and odd characters")
    func roundTrip() throws {
        let awkward = "a & b < c > \"d\" 'e'\r\nline 2\u{1}\ttab _x0041_ _x005F_ \u{FFFE}end  "
        let rows: [[XLSXCell]] = [
            [.text("企业"), .text(" 发票号码 "), .text("金额"), .text("备注")],
            [.text("甲公司"), .text("12345678901234567890"), .number("1800000"), .text(awkward)],
            [.text("91350100M000100Y43"), .text(""), .number("-12.5"), .text("  leading and trailing  ")],
            [.text("乙")],
            [],
            [.text("丙"), .text("00001"), .number("1.5E-3")],
        ]
        let bytes = try XLSXWriter.write(sheetName: "审计导出", rows: rows)
        #expect(bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]))
        #expect(try XLSXWriter.write(sheetName: "审计导出", rows: rows) == bytes)
        let table = try TableReader.read(bytes, fileName: "export.xlsx")
        #expect(table.headers == ["企业", "发票号码", "金额", "备注"])
        #expect(
            table.rows == [
                TableRow(line: 2, cells: ["甲公司", "12345678901234567890", "1800000", awkward]),
                TableRow(line: 3, cells: ["91350100M000100Y43", "", "-12.5", "  leading and trailing  "]),
                TableRow(line: 4, cells: ["乙", "", "", ""]),
                TableRow(line: 5, cells: ["", "", "", ""]),
                TableRow(line: 6, cells: ["丙", "00001", "1.5E-3", ""]),
            ])
    }

    @Test("blank rows above the header are skipped; rows keep their Excel row numbers")
    func headerBelowBlankRows() throws {
        let bytes = try XLSXWriter.write(
            sheetName: "Sheet1",
            rows: [
                [], [.text(" "), .text("")], [.text("企业"), .text("金额"), .text("")],
                [.text("甲"), .number("1")],
            ])
        let table = try TableReader.read(bytes, fileName: "late.xlsx")
        #expect(table.headers == ["企业", "金额"])
        #expect(table.rows == [TableRow(line: 4, cells: ["甲", "1"])])
    }

    @Test("a value past the header's last column is an error naming the cell")
    func valuePastHeader() throws {
        let bytes = try XLSXWriter.write(
            sheetName: "Sheet1",
            rows: [[.text("a"), .text("b")], [.text("1"), .text("2"), .text(""), .text("x")]])
        let error = try #require(readError(bytes, fileName: "wide.xlsx"))
        #expect(error.line == 2)
        #expect(error.message == "cell D2 has a value but the header has only 2 columns")
    }

    @Test("a damaged ZIP and an empty worksheet are errors")
    func damagedWorkbooks() throws {
        let damaged = readError(
            [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0x41, count: 64), fileName: "x.xlsx")
        #expect(damaged?.message.contains("damaged") == true)
        let empty = try XLSXWriter.write(sheetName: "Sheet1", rows: [])
        #expect(readError(empty, fileName: "empty.xlsx")?.message == "the first worksheet is empty")
    }

    @Test("XLSXWriter refuses sheet names and numbers that Excel would reject or alter")
    func writerChecks() {
        for name in ["", "a/b", "[x]", "'quoted'", String(repeating: "长", count: 32)] {
            #expect(throws: XLSXWriteError.self) { try XLSXWriter.write(sheetName: name, rows: []) }
        }
        for number in ["12345678901234567890", "1,000", "", "-", "1.", ".5", "1e", "0x10", "NaN", "1e999"] {
            #expect(throws: XLSXWriteError.self) {
                try XLSXWriter.write(sheetName: "S", rows: [[.number(number)]])
            }
        }
        for number in ["0", "-0.5", "123456789012345", "1800000000000000000", "0.000000000000001", "2E+10"] {
            #expect(throws: Never.self) { try XLSXWriter.write(sheetName: "S", rows: [[.number(number)]]) }
        }
    }
}

@Suite("Spreadsheet dates")
struct SpreadsheetDateTests {
    @Test(
        "1900 date system serials, with Excel's fictitious 1900-02-29",
        arguments: [
            (1.0, "1900-01-01"), (59, "1900-02-28"), (60, "1900-02-29"), (61, "1900-03-01"),
            (43_963, "2020-05-12"), (43_963.5, "2020-05-12 12:00:00"), (43_963.999_999_9, "2020-05-13"),
            (2_958_465, "9999-12-31"),
        ])
    func serials1900(serial: Double, text: String) {
        #expect(XLSXReader.dateTimeText(serial: serial, kind: .date, date1904: false) == text)
    }

    @Test("serials outside Excel's date range are left as numbers")
    func outOfRange() {
        #expect(XLSXReader.dateTimeText(serial: 0, kind: .date, date1904: false) == nil)
        #expect(XLSXReader.dateTimeText(serial: -1, kind: .date, date1904: false) == nil)
        #expect(XLSXReader.dateTimeText(serial: 2_958_466, kind: .date, date1904: false) == nil)
    }

    @Test("1904 date system and time-only formats")
    func serials1904AndTimes() {
        #expect(XLSXReader.dateTimeText(serial: 0, kind: .date, date1904: true) == "1904-01-01")
        #expect(XLSXReader.dateTimeText(serial: 42_501, kind: .date, date1904: true) == "2020-05-12")
        #expect(XLSXReader.dateTimeText(serial: 0.5625, kind: .time, date1904: false) == "13:30:00")
        #expect(XLSXReader.dateTimeText(serial: 1.25, kind: .time, date1904: false) == "30:00:00")
    }

    @Test(
        "number format codes: dates have y, d or m outside quotes and brackets",
        arguments: [
            ("yyyy-mm-dd", XLSXReader.NumberFormatKind.date), ("yyyy\"年\"m\"月\"d\"日\"", .date),
            ("[$-804]yyyy年m月d日", .date), ("mmm-yy", .date), ("m/d/yy h:mm", .date), ("h:mm:ss", .time),
            ("[h]:mm", .time), ("mm:ss", .time), ("General", .other), ("0.00", .other),
            ("#,##0.00_);[Red](#,##0.00)", .other), ("0.00\"days\"", .other), ("\\d0", .other), ("@", .other),
        ])
    func formatCodes(code: String, kind: XLSXReader.NumberFormatKind) {
        #expect(XLSXReader.kind(ofFormatCode: code) == kind)
    }

    @Test("built-in date and time formats")
    func builtInFormats() {
        for id in [14, 15, 16, 17, 22, 27, 31, 36, 50, 57, 58] {
            #expect(XLSXReader.kind(ofBuiltInFormat: id) == .date)
        }
        for id in [18, 21, 32, 35, 45, 46, 47, 55, 56] {
            #expect(XLSXReader.kind(ofBuiltInFormat: id) == .time)
        }
        for id in [0, 1, 2, 9, 10, 11, 12, 13, 23, 37, 44, 48, 49, 59, 164] {
            #expect(XLSXReader.kind(ofBuiltInFormat: id) == .other)
        }
    }

    @Test("column names and references")
    func columns() {
        #expect(XLSXReader.columnName(0) == "A")
        #expect(XLSXReader.columnName(25) == "Z")
        #expect(XLSXReader.columnName(26) == "AA")
        #expect(XLSXReader.columnName(16_383) == "XFD")
        #expect(XLSXReader.columnIndex(ofReference: "C7") == 2)
        #expect(XLSXReader.columnIndex(ofReference: "xfd1048576") == 16_383)
        #expect(XLSXReader.columnIndex(ofReference: "ABCD1") == nil)
        #expect(XLSXReader.columnIndex(ofReference: "7") == nil)
    }
}
