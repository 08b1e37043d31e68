import Foundation
import Testing

@testable import ReliefCore

/// The JSON writer of the hot paths: string escaping, separators, nesting, and the same text as
/// Foundation's encoder where both apply.
@Suite("JSON bytes")
struct JSONBytesTests {
    /// Strings that need each kind of escape, and some that need none.
    static let awkward = [
        "", "plain", "采购单 CG-2026-0001", "a\"quote", "back\\slash", "a/slash", "line\nfeed", "cr\rtab\t",
        "\u{08}\u{0C}", "\u{00}\u{01}\u{1F}", "\u{7F}del", "emoji 🍎 and 宣恩县", "sep\u{2028}arators\u{2029}",
        "\u{E2}", "…ellipsis € ‧",
    ]

    private func decoded(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    @Test func everyStringReadsBackAsItself() throws {
        for text in Self.awkward {
            var bytes: [UInt8] = []
            JSONBytes.appendString(text, to: &bytes)
            #expect(try decoded(bytes) as? String == text, "\(Array(text.unicodeScalars))")
        }
    }

    @Test func escapesAsFoundationDoesExceptTheLineSeparators() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for text in Self.awkward
        where !text.contains("\u{2028}")
            && !text.unicodeScalars.contains(where: {
                $0.value < 0x20 && !"\n\r\t\u{08}\u{0C}".unicodeScalars.contains($0)
            })
        {
            #expect(JSONBytes.quoted(text) == String(decoding: try encoder.encode(text), as: UTF8.self))
        }
        #expect(JSONBytes.quoted("a\u{2028}b\u{2029}") == #""a\u2028b\u2029""#)
        #expect(JSONBytes.quoted("\u{00}\u{1F}") == #""\u0000\u001f""#)
    }

    @Test func separatesMembersAndElements() {
        var json = JSONBytes()
        json.beginObject()
        json.key("a")
        json.strings([])
        json.key("b")
        json.strings(["x", "y"])
        json.key("c")
        json.beginArray()
        json.beginObject()
        json.key("n")
        json.integer(-12)
        json.endObject()
        json.beginObject()
        json.endObject()
        json.bool(true)
        json.integer(Int64.max)
        json.endArray()
        json.key("d")
        json.bool(false)
        json.endObject()
        #expect(
            String(decoding: json.bytes, as: UTF8.self)
                == #"{"a":[],"b":["x","y"],"c":[{"n":-12},{},true,9223372036854775807],"d":false}"#)
    }

    @Test func anObjectOfStringsHasItsKeysInByteOrder() throws {
        let members = [
            "program": "XE-2026", "enterprise": "91420100MA4K0001X0", "Zeta": "大写", "a_b": "1", "ab": "/",
        ]
        let text = JSONBytes.object(members)
        #expect(
            text == #"{"Zeta":"大写","a_b":"1","ab":"/","enterprise":"91420100MA4K0001X0","program":"XE-2026"}"#
        )
        #expect(try decoded(Array(text.utf8)) as? [String: String] == members)
        #expect(JSONBytes.object([:]) == "{}")
    }

    @Test func theJournalWritersQuoteThroughIt() {
        for text in Self.awkward {
            #expect(JSONJournalWriter.quoted(text) == JSONBytes.quoted(text))
        }
    }
}
