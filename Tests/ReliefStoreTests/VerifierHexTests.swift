import ReliefCore
@testable import ReliefStore
import Testing

/// The verifier's comparison of a stored hash (hex) with a recomputed one: pure, no database.
@Suite("Verifier hex comparison")
struct VerifierHexTests {
    typealias State = Verifier.StreamState

    @Test func aHashMatchesItsHexInEitherCase() {
        let hash = Chain.sha256(Array("E|main|1".utf8))
        let lower = Chain.hex(hash)
        #expect(State.hex(lower, spells: hash))
        #expect(State.hex(lower.uppercased(), spells: hash))
    }

    @Test func anyDifferenceIsAMismatch() {
        let hash = Chain.sha256(Array("E|main|1".utf8))
        let lower = Chain.hex(hash)
        // Each position changed to another hex digit, and to a non-digit.
        for index in [0, 1, 31, 62, 63] {
            var changed = Array(lower.utf8)
            changed[index] = changed[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(!State.hex(String(decoding: changed, as: UTF8.self), spells: hash))
            changed[index] = UInt8(ascii: "g")
            #expect(!State.hex(String(decoding: changed, as: UTF8.self), spells: hash))
        }
        #expect(!State.hex(String(lower.dropLast(2)), spells: hash))
        #expect(!State.hex(lower + "00", spells: hash))
        #expect(!State.hex("", spells: hash))
        #expect(State.hex("", spells: []))
        // A multi-byte character where a digit should be.
        #expect(!State.hex("é" + String(lower.dropFirst(2)), spells: hash))
    }
}
