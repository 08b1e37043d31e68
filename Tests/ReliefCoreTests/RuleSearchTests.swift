import Testing

@testable import ReliefCore

/// The byte-level fast path of the seller tax id rule agrees with the Unicode-level rule it
/// stands before.
@Suite("eligibility fast paths")
struct RuleSearchTests {
    @Test func taxIdsAreTrimmedAndUpperCasedWhateverTheirCharacters() {
        #expect(EligibilityRules.normalizedTaxId(" 91350200776049653a ") == "91350200776049653A")
        #expect(EligibilityRules.normalizedTaxId("abcxyz{}`@") == "ABCXYZ{}`@")
        #expect(EligibilityRules.normalizedTaxId("  ") == "")
        // Not ASCII: only ASCII letters change, as before.
        #expect(EligibilityRules.normalizedTaxId("税号ab\u{E9}") == "税号AB\u{E9}")
    }
}
