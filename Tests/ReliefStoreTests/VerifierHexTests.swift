import Postgres
import ReliefCore
import Testing

/// The comparison the verifier makes of a stored hash (hex) with a recomputed one (`Hex.spells`):
/// pure, no database.
@Suite("Verifier hex comparison")
struct VerifierHexTests {
    @Test func aHashMatchesItsHexInEitherCase() {
        let hash = Chain.sha256(Array("E|main|1".utf8))
        let lower = Chain.hex(hash)
        #expect(Hex.spells(lower, hash))
        #expect(Hex.spells(lower.uppercased(), hash))
    }

    @Test func anyDifferenceIsAMismatch() {
        let hash = Chain.sha256(Array("E|main|1".utf8))
        let lower = Chain.hex(hash)
        // Each position changed to another hex digit, and to a non-digit.
        for index in [0, 1, 31, 62, 63] {
            var changed = Array(lower.utf8)
            changed[index] = changed[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(!Hex.spells(String(decoding: changed, as: UTF8.self), hash))
            changed[index] = UInt8(ascii: "g")
            #expect(!Hex.spells(String(decoding: changed, as: UTF8.self), hash))
        }
        #expect(!Hex.spells(String(lower.dropLast(2)), hash))
        #expect(!Hex.spells(lower + "00", hash))
        #expect(!Hex.spells("", hash))
        #expect(Hex.spells("", []))
        // A multi-byte character where a digit should be.
        #expect(!Hex.spells("é" + String(lower.dropFirst(2)), hash))
    }
}
