import Foundation
import Testing

@testable import ReliefCore

/// The pointer-written buffer under the canonical text and the CSV rows: numbers, growth past
/// the first capacity, and the same bytes as the String forms they replace.
@Suite("byte output")
struct ByteOutputTests {
    private func written(maximum: Int = 64, _ body: (inout ByteCursor) -> Void) -> String {
        var output = ByteOutput(capacity: 1)
        output.write(maximum: maximum, body)
        return String(decoding: output.array, as: UTF8.self)
    }

    @Test func numbersAsStringWritesThem() {
        let values: [Int64] = [0, 7, 9, 10, 99, 100, 12_345, -1, -10, -987_654_321, .max, .min]
        for value in values {
            #expect(written { $0.integer(value) } == String(value))
        }
        #expect(written { $0.decimal(42, width: 5) } == "00042")
        #expect(written { $0.decimal(123_456, width: 2) } == "123456")
        #expect(written { $0.lastDigits(2020, width: 4) } == "2020")
        #expect(written { $0.lastDigits(7, width: 2) } == "07")
        #expect(written { $0.lastDigits(12_345, width: 4) } == "2345")
        #expect(written { $0.lastDigits(5, width: 6) } == "000005")
        #expect(written { $0.money(-123_456) } == Money(fen: -123_456).plain)
        #expect(written { $0.money(5) } == Money(fen: 5).plain)
        #expect(written { $0.csvPadded(2020, width: 4) } == "2020")
        #expect(written { $0.csvPadded(-5, width: 4) } == "00-5")
    }

    @Test func growsPastItsCapacityAndKeepsWhatWasWritten() {
        var output = ByteOutput(capacity: 8)
        var expected: [UInt8] = []
        for round in 0..<2_000 {
            let value = Int64(round * 7_919 - 3_000_000)
            output.write(maximum: 21) { c in
                c.integer(value)
                c.byte(UInt8(ascii: ","))
            }
            expected += Array("\(value),".utf8)
        }
        #expect(output.count == expected.count)
        #expect(output.array == expected)
        output.withBytes { #expect(Array($0) == expected) }
        output.removeAll()
        #expect(output.count == 0)
        let tail: [UInt8] = Array("尾".utf8)
        tail.withUnsafeBufferPointer { output.append($0) }
        #expect(output.array == tail)
    }

    @Test func longTextsAreEscapedAsTheStringFormsSay() {
        let piece = "采购|发票\\编号\r\n\"引号\",逗号 "
        let text = String(repeating: piece, count: 300)
        let escaped =
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        var writer = CanonicalWriter()
        writer.text(text)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == escaped)
        #expect(writer.count == escaped.utf8.count)
        var csv: [UInt8] = []
        CSV.appendField(text, to: &csv)
        let cursorCSV = Array(text.utf8).withUnsafeBufferPointer { utf8 in
            written(maximum: 2 + 2 * utf8.count) { $0.csvField(utf8) }
        }
        #expect(cursorCSV == String(decoding: csv, as: UTF8.self))
    }

    @Test func aStretchLongerThanItsBoundStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var output = ByteOutput(capacity: 64)
            output.write(maximum: 3) { $0.integer(12_345) }
        }
    }
}
