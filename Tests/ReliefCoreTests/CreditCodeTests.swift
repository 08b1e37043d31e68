import ReliefCore
import Testing

@Suite("CreditCode")
struct CreditCodeTests {
    static let known = "91350200776049653A"

    @Test("a published code is valid")
    func knownCode() throws {
        #expect(CreditCode.isValid(Self.known))
        #expect(CreditCode.checkCharacter(forFirst17: String(Self.known.prefix(17))) == "A")
        #expect(try CreditCode.validate(Self.known, field: "credit code") == Self.known)
        #expect(try CreditCode.validate("  \(Self.known)\n", field: "credit code") == Self.known)
    }

    @Test("every other last character is invalid")
    func wrongCheckCharacter() {
        for character in CreditCode.alphabet where character != "A" {
            #expect(!CreditCode.isValid(String(Self.known.prefix(17)) + String(character)))
        }
        let mistyped = "91350200776049653B"
        #expect(
            throws: CreditCodeError(
                field: "credit code", value: mistyped, reason: .wrongCheckCharacter(expected: "A", found: "B")
            )
        ) {
            try CreditCode.validate(mistyped, field: "credit code")
        }
    }

    @Test("a changed body character is detected")
    func changedBody() {
        // The weights are all non-zero mod 31, so any single substitution changes the check.
        var body = Array(Self.known)
        for position in 0..<17 {
            let original = body[position]
            for character in CreditCode.alphabet where character != original {
                body[position] = character
                #expect(!CreditCode.isValid(String(body)), "\(String(body))")
            }
            body[position] = original
        }
    }

    @Test("wrong lengths", arguments: ["", "9135020077604965", "91350200776049653", "91350200776049653A0"])
    func wrongLength(text: String) {
        #expect(!CreditCode.isValid(text))
        #expect(throws: CreditCodeError(field: "f", value: text, reason: .wrongLength(text.count))) {
            try CreditCode.validate(text, field: "f")
        }
        #expect(CreditCode.checkCharacter(forFirst17: text) == nil || text.count == 17)
    }

    @Test("surrounding whitespace is not ignored by isValid")
    func whitespace() {
        #expect(!CreditCode.isValid(" " + Self.known))
    }

    @Test("lowercase is rejected with a hint")
    func lowercase() {
        let text = "91350200776049653a"
        #expect(!CreditCode.isValid(text))
        #expect(CreditCode.checkCharacter(forFirst17: "9135020077604965a") == nil)
        let error = CreditCodeError(
            field: "credit code", value: text, reason: .invalidCharacter("a", position: 18))
        #expect(throws: error) { try CreditCode.validate(text, field: "credit code") }
        #expect(error.description.contains("character 18 is lowercase \"a\"; write \"A\""))
        #expect(error.chineseDescription.contains("第 18 位 \"a\" 是小写字母"))
    }

    @Test("forbidden letters I O Z S V", arguments: ["I", "O", "Z", "S", "V"])
    func forbiddenLetters(letter: String) throws {
        #expect(!CreditCode.alphabet.contains(letter))
        // Put the letter in the body and in the check position.
        let body = "9135020077604965" + letter
        #expect(CreditCode.checkCharacter(forFirst17: body) == nil)
        #expect(!CreditCode.isValid(body + "A"))
        #expect(!CreditCode.isValid(String(Self.known.prefix(17)) + letter))
        let text = "9" + letter + String(Self.known.dropFirst(2))
        let character = try #require(letter.first)
        let error = CreditCodeError(
            field: "f", value: text, reason: .invalidCharacter(character, position: 2))
        #expect(throws: error) { try CreditCode.validate(text, field: "f") }
        #expect(error.description.contains("I, O, Z, S and V are never used"))
        #expect(error.chineseDescription.contains("不使用字母 I、O、Z、S、V"))
    }

    @Test("other characters are rejected", arguments: ["-", "中", "Ａ", " "])
    func otherCharacters(character: String) {
        let text = String(Self.known.prefix(5)) + character + String(Self.known.dropFirst(6))
        #expect(!CreditCode.isValid(text))
        #expect(throws: CreditCodeError.self) { try CreditCode.validate(text, field: "f") }
    }

    @Test(
        "constructed codes round-trip",
        arguments: [
            ("91110000600037341", Character("L")),
            ("91310000MA1FL0000", "N"),
            ("12100000400000000", "W"),
            ("00000000000000000", "0"),  // Σ mod 31 = 0: check value 31 is written 0
            ("10000000000000000", "Y"),  // Σ mod 31 = 1: check value 30
        ])
    func constructed(body: String, check: Character) {
        #expect(CreditCode.checkCharacter(forFirst17: body) == check)
        #expect(CreditCode.isValid(body + String(check)))
    }

    @Test("random bodies round-trip")
    func randomBodies() throws {
        var generator = SplitMix64(seed: 32_100)
        let alphabet = Array(CreditCode.alphabet)
        for _ in 0..<1_000 {
            let body = String((0..<17).map { _ in alphabet[Int(generator.next() % 31)] })
            let check = try #require(CreditCode.checkCharacter(forFirst17: body))
            #expect(CreditCode.isValid(body + String(check)))
            #expect(try CreditCode.validate(body + String(check), field: "f") == body + String(check))
        }
    }

    @Test("messages name the field, the value and the fix")
    func messages() {
        let length = CreditCodeError(field: "统一社会信用代码", value: "123", reason: .wrongLength(3))
        #expect(length.description.hasPrefix("统一社会信用代码 \"123\": "))
        #expect(length.description.contains("18 characters, this has 3"))
        #expect(length.chineseDescription.contains("应为 18 位，实际为 3 位"))

        let check = CreditCodeError(
            field: "credit code", value: "x", reason: .wrongCheckCharacter(expected: "A", found: "B"))
        #expect(check.description.contains("is \"B\" but the first 17 characters require \"A\""))
        #expect(check.chineseDescription.contains("应为 \"A\""))

        let other = CreditCodeError(field: "f", value: "x", reason: .invalidCharacter("-", position: 6))
        #expect(other.description.contains("character 6 \"-\" is not allowed"))
        #expect(other.chineseDescription.contains("第 6 位 \"-\" 无效"))
    }
}
