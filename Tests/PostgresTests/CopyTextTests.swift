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

    @Test func reusedFieldsSplitDecodeTextAndIntegersAndSeeNulls() {
        var split = CopyFields()
        let first = Array("42\t-7\t\\\\N\t\\N\t采购\\t单\t\t9223372036854775807\t-9223372036854775808\t9223372036854775808\t1x".utf8)
        first.withUnsafeBufferPointer { line in
            split.split(line)
            #expect(split.count == 10)
            #expect(split.int64(0, in: line) == 42)
            #expect(split.int64(1, in: line) == -7)
            #expect(split.string(2, in: line) == "\\N", "an escaped backslash before N is text")
            #expect(split.isNull(2, in: line) == false)
            #expect(split.isNull(3, in: line) && split.string(3, in: line) == nil && split.int64(3, in: line) == nil)
            #expect(split.string(4, in: line) == "采购\t单")
            #expect(split.string(5, in: line) == "" && split.int64(5, in: line) == nil)
            #expect(split.int64(6, in: line) == Int64.max)
            #expect(split.int64(7, in: line) == Int64.min)
            #expect(split.int64(8, in: line) == nil, "one past Int64.max")
            #expect(split.int64(9, in: line) == nil, "not a number")
            #expect(split.string(10, in: line) == nil && split.isNull(10, in: line), "past the last field")
        }
        let second = Array("7".utf8)
        second.withUnsafeBufferPointer { line in
            split.split(line)
            #expect(split.count == 1 && split.int64(0, in: line) == 7)
        }
    }
}

/// Hex: pure, no database.
@Suite("hex")
struct HexTests {
    @Test func everyFormOfEncodeAgreesAndDecodeRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 31, 32, 33, 257] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let fromPointer = bytes.withUnsafeBufferPointer { Hex.encode($0) }
            let fromArray = Hex.encode(bytes)
            let fromSequence = Hex.encode(bytes.lazy.map { $0 })
            #expect(fromPointer == fromArray)
            #expect(fromPointer == fromSequence)
            #expect(fromPointer.utf8.count == length * 2)
            #expect(fromPointer.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(Hex.decode(fromPointer) == bytes)
        }
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
    }
}
