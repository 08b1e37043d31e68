/// The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from
/// ``alphabet``, the last of which is a check character over the first 17.
///
/// Only the character set, the length and the check character are verified; the meaning of
/// the registration-authority, organisation-type and division-code positions is not.
public enum CreditCode {
    /// The 31 allowed characters in the order of their values 0…30 (no I, O, Z, S, V).
    public static let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

    /// The weights of positions 1…17 (3^(i−1) mod 31).
    public static let weights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The number of characters in a code.
    public static let length = 18

    private static let characters: [Character] = Array(alphabet)

    /// The value 0…30 of a character, or `nil` when it is not in ``alphabet``.
    static func value(of character: Character) -> Int? {
        characters.firstIndex(of: character)
    }

    /// The check character for the first 17 characters of a code, or `nil` unless `text` is
    /// exactly 17 characters from ``alphabet``.
    ///
    /// The check value is 31 − (Σ valueᵢ × weightᵢ mod 31), with 31 written as `0`.
    public static func checkCharacter(forFirst17 text: String) -> Character? {
        let body = Array(text)
        guard body.count == length - 1 else {
            return nil
        }
        var total = 0
        for (index, character) in body.enumerated() {
            guard let value = value(of: character) else {
                return nil
            }
            total += value * weights[index]
        }
        let check = (31 - total % 31) % 31
        return characters[check]
    }

    /// Whether `text` is a valid code: exactly 18 characters, all from ``alphabet`` (uppercase
    /// only), with the correct check character. Whitespace is not ignored.
    public static func isValid(_ text: String) -> Bool {
        problem(in: text) == nil
    }

    /// Returns the code with surrounding whitespace removed if it is valid.
    ///
    /// Lowercase letters are rejected rather than converted, as ``isValid(_:)`` does.
    /// - Throws: ``CreditCodeError`` naming the field, the text and what is wrong.
    public static func validate(_ text: String, field: String) throws(CreditCodeError) -> String {
        let trimmed = trimmingWhitespace(text)
        if let reason = problem(in: trimmed) {
            throw CreditCodeError(field: field, value: text, reason: reason)
        }
        return trimmed
    }

    private static func problem(in text: String) -> CreditCodeError.Reason? {
        let code = Array(text)
        guard code.count == length else {
            return .wrongLength(code.count)
        }
        for (index, character) in code.enumerated() where value(of: character) == nil {
            return .invalidCharacter(character, position: index + 1)
        }
        guard let expected = checkCharacter(forFirst17: String(code[0..<(length - 1)])) else {
            return .wrongLength(code.count)
        }
        let found = code[length - 1]
        return found == expected ? nil : .wrongCheckCharacter(expected: expected, found: found)
    }

    private static func trimmingWhitespace(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace {
            slice = slice.dropFirst()
        }
        while let last = slice.last, last.isWhitespace {
            slice = slice.dropLast()
        }
        return String(slice)
    }
}

/// Why a unified social credit code is invalid, with messages in English and Chinese.
public struct CreditCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the code.
    public enum Reason: Sendable, Equatable {
        /// The code did not have 18 characters; the count found (after trimming).
        case wrongLength(Int)
        /// A character outside ``CreditCode/alphabet`` at a 1-based position (after trimming).
        case invalidCharacter(Character, position: Int)
        /// The 18th character does not match the check character computed from the first 17.
        case wrongCheckCharacter(expected: Character, found: Character)
    }

    /// The name of the input, e.g. `credit code`.
    public let field: String
    /// The text as it was given.
    public let value: String
    /// What was wrong.
    public let reason: Reason

    /// Creates an error for `value` given as `field`.
    public init(field: String, value: String, reason: Reason) {
        self.field = field
        self.value = value
        self.reason = reason
    }

    /// An English message naming the field, the text, the problem and the fix.
    public var description: String {
        let subject = "\(field) \"\(value)\": "
        switch reason {
        case .wrongLength(let count):
            return subject + "a unified social credit code has 18 characters, this has \(count); "
                + "copy it again from the business licence"
        case .invalidCharacter(let character, let position):
            let upper = CreditCodeError.uppercase(character)
            if upper != character && CreditCode.value(of: upper) != nil {
                return subject + "character \(position) is lowercase \"\(character)\"; write \"\(upper)\""
            }
            if "IOZSV".contains(upper) {
                return subject
                    + "character \(position) is \"\(character)\", but the letters I, O, Z, S and V "
                    + "are never used; check whether it is the digit 1, 0, 2 or 5, or the letter U"
            }
            return subject + "character \(position) \"\(character)\" is not allowed; use only digits and "
                + "the letters \(CreditCode.alphabet.dropFirst(10))"
        case .wrongCheckCharacter(let expected, let found):
            return subject + "the check character (18th) is \"\(found)\" but the first 17 characters "
                + "require \"\(expected)\"; one of the characters is probably mistyped"
        }
    }

    /// The uppercase form of a character when it is a single character, else the character.
    private static func uppercase(_ character: Character) -> Character {
        let upper = character.uppercased()
        return upper.count == 1 ? Character(upper) : character
    }

    /// A Simplified Chinese message naming the field, the text, the problem and the fix.
    public var chineseDescription: String {
        let subject = "\(field) \"\(value)\" "
        switch reason {
        case .wrongLength(let count):
            return subject + "长度错误：统一社会信用代码应为 18 位，实际为 \(count) 位，请对照营业执照重新填写"
        case .invalidCharacter(let character, let position):
            let upper = CreditCodeError.uppercase(character)
            if upper != character && CreditCode.value(of: upper) != nil {
                return subject + "第 \(position) 位 \"\(character)\" 是小写字母，请写成大写 \"\(upper)\""
            }
            if "IOZSV".contains(upper) {
                return subject + "第 \(position) 位 \"\(character)\" 无效：代码不使用字母 I、O、Z、S、V，"
                    + "请检查是否应为数字 1、0、2、5 或字母 U"
            }
            return subject + "第 \(position) 位 \"\(character)\" 无效：只能使用数字和大写字母 "
                + "\(CreditCode.alphabet.dropFirst(10))"
        case .wrongCheckCharacter(let expected, let found):
            return subject + "校验码错误：第 18 位为 \"\(found)\"，按前 17 位计算应为 \"\(expected)\"，请检查是否有输错的字符"
        }
    }
}
