import Foundation
import Testing

@testable import ReliefCore

/// A file read row by row (`TableReader.forEachRow`, what a purchase import uses) must hand over
/// exactly the rows `TableReader.read` returns, and fail with exactly its error: the bulk import
/// reads this way so as not to hold the file as a table, and nothing else may change.
@Suite("Spreadsheet read row by row")
struct StreamingReadTests {
    /// What a read gave: the table's parts, or its error.
    enum Outcome: Equatable {
        case table(headers: [String], rows: [TableRow], encoding: TextEncoding?)
        case failed(TableReadError)
    }

    static func whole(_ bytes: [UInt8], _ fileName: String) -> Outcome {
        do {
            let table = try TableReader.read(bytes, fileName: fileName)
            return .table(headers: table.headers, rows: table.rows, encoding: table.encoding)
        } catch {
            return .failed(error)
        }
    }

    static func byRow(_ bytes: [UInt8], _ fileName: String) -> Outcome {
        var headers: [String] = []
        var rows: [TableRow] = []
        var headerCalls = 0
        do {
            let encoding = try TableReader.forEachRow(
                bytes, fileName: fileName,
                header: {
                    headers = $0; headerCalls += 1
                }, row: { rows.append($0) })
            #expect(headerCalls == 1, "the header is handed over once")
            return .table(headers: headers, rows: rows, encoding: encoding)
        } catch {
            return .failed(error)
        }
    }

    static let gb18030Header: [UInt8] = [0x61, 0x2C, 0xC3, 0xFB, 0xB3, 0xC6, 0x0A, 0x31, 0x2C, 0x32, 0x0A]

    static let inputs: [(String, [UInt8])] = [
        ("plain.csv", Array(" 企业 ,\t发票号码,金额\r\n甲公司, 1234 ,18000.00\r\n".utf8)),
        ("bom.csv", [0xEF, 0xBB, 0xBF] + Array("企业,金额\n甲公司,1\n".utf8)),
        ("gb18030.csv", gb18030Header),
        ("quoted.csv", Array("a,b\n\"x\ny\",2\n3,\"q\"\"q\"\n\"4,5\",6\n".utf8)),
        ("empty-inside-and-after.csv", Array("a,b\n1,2\n\n3,4\n\n\n,\n".utf8)),
        ("empty-rows-at-end.csv", Array("a,b\n1,2\n,\n , \n".utf8)),
        ("wide-empty-row-at-end.csv", Array("a,b\n1,2\n,,\n".utf8)),
        ("wide-empty-row-inside.csv", Array("a,b\n,,\n1,2\n".utf8)),
        ("wide.csv", Array("a,b\n1,2\n1,2,3\n4,5\n".utf8)),
        ("short.csv", Array("a,b\n1\n".utf8)),
        ("unterminated.csv", Array("a,b\n1,2\n\"3,4\n".utf8)),
        ("nul.csv", Array("a,b\n1,2\n1,x\u{0}y\n".utf8)),
        ("nul-header.csv", Array("a,b\u{0}\n1,2\n".utf8)),
        ("empty.csv", []),
        ("blank-header.csv", Array(" , \n1,2\n".utf8)),
        ("only-header.csv", Array("a,b\n".utf8)),
        ("cr.csv", Array("a,b\r1,2\r3,\"x\"y\r".utf8)),
        ("utf16.csv", [0xFF, 0xFE, 0x61, 0x00]),
        ("old.xls", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
        ("named-like-a-workbook.xlsx", Array("a,b\n1,2,3\n".utf8)),
        ("bad-utf8.csv", Array("企业,金额\n甲公司,1\n".utf8) + [0xFF, 0x2C, 0x32, 0x0A]),
    ]

    @Test("every CSV input: the same rows in the same order, or the same error", arguments: 0..<inputs.count)
    func csvInput(_ index: Int) {
        let (name, bytes) = Self.inputs[index]
        #expect(Self.byRow(bytes, name) == Self.whole(bytes, name), "\(name)")
    }

    @Test("the inputs include both outcomes, so the comparison can fail either way")
    func inputsCoverRowsAndErrors() {
        let outcomes = Self.inputs.map { Self.whole($0.1, $0.0) }
        #expect(outcomes.contains { if case .failed = $0 { true } else { false } })
        #expect(outcomes.contains { if case .table(_, let rows, _) = $0 { rows.count > 1 } else { false } })
    }

    @Test("an XLSX workbook is handed over row by row as read")
    func workbook() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/purchases.xlsx")
        let bytes = try [UInt8](Data(contentsOf: url))
        let outcome = Self.byRow(bytes, "purchases.xlsx")
        #expect(outcome == Self.whole(bytes, "purchases.xlsx"))
        guard case .table(_, let rows, nil) = outcome else {
            Issue.record("the workbook did not read: \(outcome)")
            return
        }
        #expect(rows.count == 5)
    }

    @Test("purchase rows parsed one at a time give the records and problems of the whole table")
    func purchaseRecordsIncrementally() throws {
        let data = DemoData()
        var table = data.purchasesMay
        // Two wrong rows among good ones: a bad amount and an empty invoice.
        table.rows[1].cells[table.headers.firstIndex(of: "金额（元）")!] = "1.005"
        table.rows[3].cells[table.headers.firstIndex(of: "发票号码")!] = ""
        let (rows, problems) = ImportLayouts.purchases.map(table)
        #expect(problems.isEmpty)
        let whole = RecordParser.purchases(rows)
        let (mapping, mappingProblems) = ImportLayouts.purchases.mapping(headers: table.headers)
        #expect(mappingProblems.isEmpty)
        var parser = RecordParser.purchaseParser()
        for row in table.rows { parser.add(mapping.row(row)) }
        let incremental = parser.finish()
        #expect(parser.rowCount == table.rows.count)
        #expect(incremental.0 == whole.0)
        #expect(incremental.1 == whole.1)
        #expect(whole.1.count >= 2, "the wrong rows are problems")
        #expect(whole.0.count == table.rows.count - 2)
    }
}
