import ReliefCore
import Testing

@Suite("DisplayWidth and TextTable")
struct TextTableTests {
    @Test(
        "display widths",
        arguments: [
            ("银行存款", 8), ("abc", 3), ("１２", 4), ("", 0), ("a银b", 4), ("（）", 4), ("，。", 4),
            ("￥", 2), ("¥", 1), ("한국", 4), ("カタカナ", 8), ("\u{3000}", 2), ("𠀀", 2),
            ("e\u{301}", 1),  // e + combining acute accent (Mn) in one Character
            ("\u{301}", 0),  // a lone combining mark
            ("a\u{200D}b", 2),  // zero width joiner
            ("\u{1100}\u{1161}\u{11A8}", 2),  // 각 as conjoining jamo: one Character, widest scalar
            ("1\u{20DD}", 1),  // enclosing circle (Me)
            ("18,000.00", 9),
        ])
    func widths(text: String, width: Int) {
        #expect(DisplayWidth.of(text) == width)
    }

    @Test("right-aligned columns line up by display width")
    func alignment() {
        var table = TextTable(headers: ["科目", "金额"], alignments: [.left, .right])
        table.append(["银行存款", "18,000.00"])
        table.append(["cash", "5.00"])
        table.append(["应付账款：帮扶", "-1.00"])
        let text = table.render()
        #expect(text.hasSuffix("\n"))
        #expect(!text.hasSuffix("\n\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == 5)
        let widths = Set(lines.map(DisplayWidth.of))
        #expect(widths.count == 1, "\(lines)")
        #expect(widths.first == 14 + 2 + 9)
        #expect(lines[1] == String(repeating: "-", count: 14) + "  " + String(repeating: "-", count: 9))
        #expect(lines[2] == "银行存款" + String(repeating: " ", count: 6) + "  " + "18,000.00")
        #expect(lines[3] == "cash" + String(repeating: " ", count: 10) + "  " + "     5.00")
        #expect(lines[0].hasSuffix("     金额"))
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    @Test("exact rendering with three columns")
    func exactRendering() {
        var table = TextTable(headers: ["代码", "名称", "余额"], alignments: [.left, .left, .right])
        table.append(["1002", "银行存款", "18,000.00"])
        table.append(["2202", "AP", "0.05"])
        let expected = """
            代码  名称           余额
            ----  --------  ---------
            1002  银行存款  18,000.00
            2202  AP             0.05

            """
        #expect(table.render() == expected)
    }

    @Test("a left-aligned last column is not padded")
    func leftLastColumn() {
        var table = TextTable(headers: ["金额", "名称"], alignments: [.right, .left])
        table.append(["1.00", "银行存款"])
        table.append(["100.00", "x"])
        #expect(table.render() == "  金额  名称\n------  --------\n  1.00  银行存款\n100.00  x\n")
    }

    @Test("a table without rows has header and separator")
    func emptyTable() {
        let table = TextTable(headers: ["日期", "摘要"], alignments: [.left, .left])
        #expect(table.render() == "日期  摘要\n----  ----\n")
        #expect(table.rows.isEmpty)
    }
}
