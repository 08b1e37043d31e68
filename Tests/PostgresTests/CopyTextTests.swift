import Postgres
import Testing

/// COPY text-format parsing: pure, no database.
@Suite("COPY text fields")
struct CopyTextTests {
    func fields(_ text: String) -> [String?] {
        Array(text.utf8).withUnsafeBufferPointer { CopyText.fields($0) }
    }

    @Test func plainFieldsNullsAndEmptyFieldsSplitOnTabs() {
        #expect(fields("1\t采购\t\\N\t\t2") == ["1", "采购", nil, "", "2"])
        #expect(fields("") == [""])
        #expect(fields("\t") == ["", ""])
    }

    @Test func escapesAreUndoneAndAnEscapedBackslashNIsText() {
        #expect(fields("a\\tb\t\\\\N\tx\\ny\\rz") == ["a\tb", "\\N", "x\ny\rz"])
        #expect(fields("\\b\\f\\v\\\\") == ["\u{08}\u{0C}\u{0B}\\"])
    }

    @Test func encodeThenSplitRoundTrips() {
        let values = ["tab\there", "line\nbreak", "back\\slash", "普通文本", "cr\rlf\r\n"]
        var line: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { line.append(0x09) }
            CopyText.escape(value, into: &line)
        }
        #expect(line.withUnsafeBufferPointer { CopyText.fields($0) } == values)
    }
}
