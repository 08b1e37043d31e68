@testable import Postgres
import Testing

/// Binary COPY rows split into fields: pure, no database.
@Suite("COPY binary fields")
struct CopyBinaryFieldsTests {
    /// One row in COPY's binary layout: the field count, then each field's length and bytes
    /// (length −1 for NULL).
    static func row(_ fields: [[UInt8]?]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(fields.count >> 8), UInt8(fields.count & 0xFF)]
        for field in fields {
            let length = Int32(field?.count ?? -1)
            let bits = UInt32(bitPattern: length)
            bytes += [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
            bytes += field ?? []
        }
        return bytes
    }

    static let endOfData: [UInt8] = [0xFF, 0xFF]

    @Test func rowsOfDifferentWidthsEachReportTheirOwnFields() throws {
        let wide = Self.row([[0, 0, 0, 0, 0, 0, 0, 42], nil, Array("采购".utf8)])
        let narrow = Self.row([[0, 7]])
        let data = wide + narrow + wide + Self.endOfData
        var fields = CopyBinaryFields()
        try data.withUnsafeBufferPointer { data in
            var offset = 0
            // The wide row: an 8-byte integer, a NULL, text.
            offset = try #require(try fields.split(data, at: offset))
            #expect(fields.count == 3)
            #expect(fields.int64(0, in: data) == 42)
            #expect(fields.isNull(1) && fields.int64(1, in: data) == nil && fields.string(1, in: data) == nil)
            #expect(fields.string(2, in: data) == "采购")
            // The narrow row after it: only its one field exists, the wider row's are gone.
            offset = try #require(try fields.split(data, at: offset))
            #expect(fields.count == 1)
            #expect(fields.int64(0, in: data) == 7)
            #expect(fields.isNull(1) && fields.string(2, in: data) == nil)
            // The wide row again reads as before.
            offset = try #require(try fields.split(data, at: offset))
            #expect(fields.count == 3 && fields.int64(0, in: data) == 42 && fields.string(2, in: data) == "采购")
            #expect(try fields.split(data, at: offset) == nil)
        }
    }

    @Test func aRowCutShortThrowsAndLeavesNoFields() {
        let whole = Self.row([[0, 0, 0, 1], Array("备注".utf8)])
        var fields = CopyBinaryFields()
        for cut in [1, 4, 9, whole.count - 1] {
            let outcome = Array(whole.prefix(cut)).withUnsafeBufferPointer { data in
                Result { () throws(PostgresError) -> Int? in try fields.split(data, at: 0) }
            }
            guard case .failure(let error) = outcome else {
                Issue.record("a row cut to \(cut) of \(whole.count) bytes was split")
                continue
            }
            #expect(error.message.contains("cut short"))
            #expect(fields.count == 0)
        }
        let (end, firstText) = whole.withUnsafeBufferPointer { data in
            (Result { () throws(PostgresError) -> Int? in try fields.split(data, at: 0) }, fields.string(1, in: data))
        }
        #expect((try? end.get()) == whole.count)
        #expect(fields.count == 2 && firstText == "备注")
    }
}
