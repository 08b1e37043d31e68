@testable import ReliefCore
import Testing

/// Tables mapped onto an import layout, and cells trimmed: pure, no database.
@Suite("import layout")
struct ImportLayoutTests {
    static let layout = ImportLayout([
        .init("code", ["编码", "Code"]),
        .init("name", ["名称", "Name", "编码"]),  // 编码 is the first column's: the first column wins
        .init("memo", ["备注"], required: false),
    ])

    func table(_ headers: [String], _ cells: [String]) -> Table {
        Table(fileName: "t.csv", headers: headers, rows: [TableRow(line: 2, cells: cells)])
    }

    @Test func headersAreMatchedIgnoringCaseAndTheFirstColumnWins() {
        let (rows, problems) = Self.layout.map(table(["CODE", "名称"], [" A-1 ", "甲"]))
        #expect(problems.isEmpty)
        #expect(rows.first?["code"] == "A-1" && rows.first?["name"] == "甲" && rows.first?["memo"] == "")
        #expect(rows.first?.headers["code"] == "CODE")
        let (byChinese, _) = Self.layout.map(table(["编码", "Name"], ["x", "y"]))
        #expect(byChinese.first?["code"] == "x" && byChinese.first?["name"] == "y")
    }

    @Test func unknownDuplicateAndMissingColumnsAreProblems() {
        let (_, problems) = Self.layout.map(table(["code", "Code", "颜色"], ["1", "2", "3"]))
        #expect(problems.contains { $0.column == "Code" && $0.message == "appears twice" })
        #expect(problems.contains { $0.column == "颜色" && $0.message.hasPrefix("is not a known column; expected: 编码, 名称, 备注") })
        #expect(problems.contains { $0.column == "名称" && $0.message == "required column is missing" })
        #expect(!problems.contains { $0.column == "备注" })
    }

    @Test func aChangedLayoutMapsByItsNewColumns() {
        var layout = Self.layout
        layout.columns.append(.init("unit", ["单位"]))
        let (rows, problems) = layout.map(table(["编码", "名称", "单位"], ["1", "2", "斤"]))
        #expect(problems.isEmpty && rows.first?["unit"] == "斤")
    }

    @Test func cellsAreTrimmedOfSpacesTabsFullWidthSpacesAndLineEnds() {
        #expect("".trimmingWhitespace() == "")
        #expect("   ".trimmingWhitespace() == "")
        #expect("采购".trimmingWhitespace() == "采购")
        #expect(" \t采购单\u{3000}\r\n".trimmingWhitespace() == "采购单")
        #expect("\r\n采购单\n".trimmingWhitespace() == "采购单")
        #expect("\u{3000}a b\u{3000}".trimmingWhitespace() == "a b")
        #expect("x ".trimmingWhitespace() == "x" && " x".trimmingWhitespace() == "x")
        // A space carrying a combining mark is one Character that is not a space: kept, as before.
        #expect(" \u{301}a".trimmingWhitespace() == " \u{301}a")
        #expect("a\u{3000}\u{301}".trimmingWhitespace() == "a\u{3000}\u{301}")
    }
}
