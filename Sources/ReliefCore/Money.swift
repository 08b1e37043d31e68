/// An amount of renminbi held exactly as a whole number of fen (分, 0.01 元).
///
/// Arithmetic is overflow-checked: ``adding(_:)``, ``subtracting(_:)`` and ``sum(_:)`` return
/// `nil` instead of trapping. `Money` encodes as a bare integer number of fen.
public struct Money: Sendable, Hashable, Comparable, Codable {
    /// The amount in fen (分); 100 fen make one yuan (元).
    public let fen: Int64

    /// The largest amount ``parse(_:field:maximumFen:allowNegative:)`` accepts by default:
    /// 10,000,000,000,000 fen = 100,000,000,000.00 元 (1000亿元).
    ///
    /// It is far below `Int64.max`, so sums of many such amounts still fit, and it catches
    /// amounts typed with extra digits. Negative amounts are limited to `-maximumFen`.
    public static let maximumFen: Int64 = 10_000_000_000_000

    /// Zero fen.
    public static let zero = Money(fen: 0)

    /// Creates an amount from a number of fen.
    public init(fen: Int64) {
        self.fen = fen
    }

    /// Decodes an amount from a bare integer number of fen.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        fen = try container.decode(Int64.self)
    }

    /// Encodes the amount as a bare integer number of fen.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fen)
    }

    /// Orders amounts by their value in fen.
    public static func < (lhs: Money, rhs: Money) -> Bool {
        lhs.fen < rhs.fen
    }

    // MARK: Arithmetic

    /// The sum of two amounts, or `nil` when it does not fit in `Int64` fen.
    public func adding(_ other: Money) -> Money? {
        let (value, overflow) = fen.addingReportingOverflow(other.fen)
        return overflow ? nil : Money(fen: value)
    }

    /// The difference of two amounts, or `nil` when it does not fit in `Int64` fen.
    public func subtracting(_ other: Money) -> Money? {
        let (value, overflow) = fen.subtractingReportingOverflow(other.fen)
        return overflow ? nil : Money(fen: value)
    }

    /// The sum of all amounts (zero for none), or `nil` when a partial sum overflows `Int64` fen.
    public static func sum<S: Sequence>(_ amounts: S) -> Money? where S.Element == Money {
        var total = Money.zero
        for amount in amounts {
            guard let next = total.adding(amount) else {
                return nil
            }
            total = next
        }
        return total
    }

    // MARK: Text

    /// The amount with thousands separators and two decimals, e.g. `18,000.00`, `-1.00`, `0.05`.
    public var formatted: String {
        Money.render(fen, grouped: true)
    }

    /// The amount with two decimals and no grouping, e.g. `18000.00`, `-1.00`.
    public var plain: String {
        Money.render(fen, grouped: false)
    }

    /// The capital-numeral text (大写金额), e.g. `人民币壹万捌仟元整`; see ``CapitalAmount``.
    public var capital: String {
        CapitalAmount.text(fen: fen)
    }

    private static func render(_ fen: Int64, grouped: Bool) -> String {
        let magnitude = fen.magnitude
        let yuanDigits = String(magnitude / 100)
        let cents = magnitude % 100
        let integerText = grouped ? groupThousands(yuanDigits) : yuanDigits
        let centsText = cents < 10 ? "0\(cents)" : "\(cents)"
        return (fen < 0 ? "-" : "") + integerText + "." + centsText
    }

    /// Inserts `,` every three digits from the right into a string of ASCII digits.
    static func groupThousands(_ digits: String) -> String {
        var result = ""
        let count = digits.count
        for (index, character) in digits.enumerated() {
            if index > 0 && (count - index) % 3 == 0 {
                result.append(",")
            }
            result.append(character)
        }
        return result
    }

    // MARK: Parsing

    /// Parses an amount in yuan (元) typed by a person.
    ///
    /// Accepted:
    /// - ASCII digits with at most one `.` and at most two decimals: `18000`, `18000.5`, `0.01`;
    /// - `,` thousands separators, which must form groups of exactly three digits after a first
    ///   group of one to three digits: `18,000.00` (but not `1,8000`), and only before the `.`;
    /// - surrounding whitespace, which is ignored;
    /// - one optional leading `¥` or `￥`;
    /// - when `allowNegative` is `true`, one leading `-`, before or after the currency sign
    ///   (`-¥5`, `¥-5`, `-5`). `-0` is zero.
    ///
    /// Rejected: empty text; whitespace inside the number; `+`; exponents (`1e3`); full-width
    /// or other non-ASCII digits; more than two decimals (`1.005`, even `1.000`); a `.` without a
    /// digit on both sides (`.5` and `5.` are rejected: write `0.5` and `5`); amounts whose
    /// absolute value exceeds `maximumFen` (checked without overflow, so any number of digits is
    /// safe); negative amounts unless `allowNegative`.
    ///
    /// - Parameters:
    ///   - text: The text to parse.
    ///   - field: The name of the input, used in error messages (e.g. `amount`).
    ///   - maximumFen: The largest accepted absolute value, in fen.
    ///   - allowNegative: Whether a leading `-` is accepted.
    /// - Throws: ``MoneyError`` naming the field, the text and what to write instead.
    public static func parse(
        _ text: String, field: String, maximumFen: Int64 = Money.maximumFen, allowNegative: Bool = false
    ) throws(MoneyError) -> Money {
        func failure(_ reason: MoneyError.Reason) -> MoneyError {
            MoneyError(field: field, value: text, reason: reason)
        }

        let characters = Array(text)
        var start = 0
        var end = characters.count
        while start < end && characters[start].isWhitespace {
            start += 1
        }
        while end > start && characters[end - 1].isWhitespace {
            end -= 1
        }
        if start == end {
            throw failure(.empty)
        }

        var index = start
        var negative = false
        if characters[index] == "-" {
            negative = true
            index += 1
        }
        if index < end && (characters[index] == "¥" || characters[index] == "￥") {
            index += 1
            if !negative && index < end && characters[index] == "-" {
                negative = true
                index += 1
            }
        }

        var integerDigits: [Int64] = []
        var fractionDigits: [Int64] = []
        var seenPoint = false
        var groupLengths: [Int] = []
        var currentGroupLength = 0
        var sawSeparator = false
        var previous: Character? = nil
        for position in index..<end {
            let character = characters[position]
            defer { previous = character }
            if let digit = asciiDigit(character) {
                if seenPoint {
                    fractionDigits.append(digit)
                } else {
                    integerDigits.append(digit)
                    currentGroupLength += 1
                }
            } else if character == "," {
                if seenPoint {
                    throw failure(.invalidCharacter(character, position: position + 1))
                }
                groupLengths.append(currentGroupLength)
                currentGroupLength = 0
                sawSeparator = true
            } else if character == "." {
                if seenPoint {
                    throw failure(.multipleDecimalPoints)
                }
                seenPoint = true
            } else if character == "e" || character == "E",
                let before = previous, before == "." || asciiDigit(before) != nil
            {
                throw failure(.exponentNotation)
            } else {
                throw failure(.invalidCharacter(character, position: position + 1))
            }
        }

        if integerDigits.isEmpty && fractionDigits.isEmpty {
            throw failure(.noDigits)
        }
        if sawSeparator {
            groupLengths.append(currentGroupLength)
            let firstValid = (1...3).contains(groupLengths[0])
            let restValid = groupLengths.dropFirst().allSatisfy { $0 == 3 }
            if !(firstValid && restValid) {
                throw failure(.invalidGrouping(ungrouped: ungroupedText(characters, index, end, negative)))
            }
        }
        if seenPoint && (integerDigits.isEmpty || fractionDigits.isEmpty) {
            let sign = negative ? "-" : ""
            let integerText = integerDigits.isEmpty ? "0" : integerDigits.map(String.init).joined()
            let fractionText = fractionDigits.isEmpty ? "" : "." + fractionDigits.map(String.init).joined()
            throw failure(.missingDigit(suggestion: sign + integerText + fractionText))
        }
        if negative && !allowNegative {
            throw failure(.negativeNotAllowed)
        }

        // Magnitude in fen of the integer digits and the first two decimals, overflow-checked.
        var magnitude: Int64? = 0
        for digit in integerDigits {
            magnitude = magnitude.flatMap { timesTenPlus($0, digit) }
        }
        let firstDecimal = fractionDigits.count > 0 ? fractionDigits[0] : 0
        let secondDecimal = fractionDigits.count > 1 ? fractionDigits[1] : 0
        magnitude = magnitude.flatMap { timesTenPlus($0, firstDecimal) }
        magnitude = magnitude.flatMap { timesTenPlus($0, secondDecimal) }

        if fractionDigits.count > 2 {
            var roundedDown: String? = nil
            var roundedUp: String? = nil
            if let truncated = magnitude, truncated <= maximumFen {
                let sign: Int64 = negative ? -1 : 1
                roundedDown = Money(fen: sign * truncated).plain
                let extraIsZero = fractionDigits.dropFirst(2).allSatisfy { $0 == 0 }
                if !extraIsZero && truncated < maximumFen {
                    roundedUp = Money(fen: sign * (truncated + 1)).plain
                }
            }
            throw failure(.tooManyDecimalPlaces(roundedUp: roundedUp, roundedDown: roundedDown))
        }
        guard let value = magnitude, value <= maximumFen else {
            throw failure(.exceedsMaximum(maximumFen: maximumFen))
        }
        return Money(fen: negative ? -value : value)
    }

    /// The value of an ASCII digit `0`…`9`, or `nil` for any other character.
    private static func asciiDigit(_ character: Character) -> Int64? {
        guard let ascii = character.asciiValue, ascii >= 48 && ascii <= 57 else {
            return nil
        }
        return Int64(ascii - 48)
    }

    /// `value * 10 + digit`, or `nil` on overflow.
    private static func timesTenPlus(_ value: Int64, _ digit: Int64) -> Int64? {
        let (product, productOverflow) = value.multipliedReportingOverflow(by: 10)
        if productOverflow {
            return nil
        }
        let (result, sumOverflow) = product.addingReportingOverflow(digit)
        return sumOverflow ? nil : result
    }

    /// The number between `start` and `end` without `,`, with its sign, for suggestions.
    private static func ungroupedText(
        _ characters: [Character], _ start: Int, _ end: Int, _ negative: Bool
    ) -> String {
        let body = String(characters[start..<end].filter { $0 != "," })
        return (negative ? "-" : "") + body
    }
}

/// Why an amount of money could not be parsed, with messages in English and Chinese that name
/// the field and the offending text and say what to write instead.
public struct MoneyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the text.
    public enum Reason: Sendable, Equatable {
        /// The text was empty or only whitespace.
        case empty
        /// There was a sign or currency symbol but no digits.
        case noDigits
        /// A character that cannot appear in an amount, at a 1-based position in the original text.
        case invalidCharacter(Character, position: Int)
        /// Exponent notation such as `1e3`.
        case exponentNotation
        /// `,` did not separate groups of three digits; `ungrouped` is the number without `,`.
        /// (A `,` after the `.` is reported as ``invalidCharacter(_:position:)``.)
        case invalidGrouping(ungrouped: String)
        /// More than one `.`.
        case multipleDecimalPoints
        /// A `.` without a digit on one side (`.5`, `5.`); `suggestion` is the complete form.
        case missingDigit(suggestion: String)
        /// More than two decimals; the suggestions are the nearest valid amounts when known.
        case tooManyDecimalPlaces(roundedUp: String?, roundedDown: String?)
        /// A negative amount where only zero or positive amounts are allowed.
        case negativeNotAllowed
        /// The absolute value is larger than `maximumFen`.
        case exceedsMaximum(maximumFen: Int64)
    }

    /// The name of the input, e.g. `amount`.
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

    /// An English message such as
    /// `amount "1.005": at most 2 decimal places (fen) are allowed; write 1.01 or 1.00`.
    public var description: String {
        let subject = "\(field) \"\(value)\": "
        switch reason {
        case .empty:
            return subject + "an amount is required; write one such as 18000 or 18,000.00"
        case .noDigits:
            return subject + "no digits found; write an amount such as 18000 or 18,000.00"
        case .invalidCharacter(let character, let position):
            return subject
                + "unexpected character \(Self.show(character)) at position \(position); "
                + "use only digits, one \".\" with up to 2 decimals and \",\" between groups of "
                + "three digits, e.g. 18,000.50"
        case .exponentNotation:
            return subject + "exponent notation is not allowed; write all digits out, e.g. 1000"
        case .invalidGrouping(let ungrouped):
            return subject + "\",\" must separate groups of exactly three digits before the \".\"; "
                + "write \(Self.grouped(ungrouped)) or \(ungrouped)"
        case .multipleDecimalPoints:
            return subject + "only one \".\" is allowed; write e.g. 18000.50"
        case .missingDigit(let suggestion):
            return subject + "\".\" needs a digit on both sides; write \(suggestion)"
        case .tooManyDecimalPlaces(let roundedUp, let roundedDown):
            let options = [roundedUp, roundedDown].compactMap { $0 }
            let advice = options.isEmpty ? "" : "; write " + options.joined(separator: " or ")
            return subject + "at most 2 decimal places (fen) are allowed" + advice
        case .negativeNotAllowed:
            return subject + "negative amounts are not allowed here; write the amount without \"-\""
        case .exceedsMaximum(let maximumFen):
            return subject + "the amount exceeds the limit of \(Money(fen: maximumFen).formatted) "
                + "(absolute value); check for extra digits"
        }
    }

    /// A Simplified Chinese message such as `amount "1.005" 最多两位小数（分），请写成 1.01 或 1.00`.
    ///
    /// The field name is used as given.
    public var chineseDescription: String {
        let subject = "\(field) \"\(value)\" "
        switch reason {
        case .empty:
            return subject + "为空，请填写金额，例如 18000 或 18,000.00"
        case .noDigits:
            return subject + "缺少数字，请填写金额，例如 18000 或 18,000.00"
        case .invalidCharacter(let character, let position):
            return subject + "第 \(position) 个字符 \(Self.show(character)) 无效；"
                + "只能使用数字、一个小数点 \".\"（最多两位小数）和每三位一组的千位分隔符 \",\"，例如 18,000.50"
        case .exponentNotation:
            return subject + "不支持科学计数法，请写出全部数字，例如 1000"
        case .invalidGrouping(let ungrouped):
            return subject + "千位分隔符 \",\" 必须在小数点前每三位一组，请写成 \(Self.grouped(ungrouped)) 或 \(ungrouped)"
        case .multipleDecimalPoints:
            return subject + "只能有一个小数点，例如 18000.50"
        case .missingDigit(let suggestion):
            return subject + "小数点两侧都需要数字，请写成 \(suggestion)"
        case .tooManyDecimalPlaces(let roundedUp, let roundedDown):
            let options = [roundedUp, roundedDown].compactMap { $0 }
            let advice = options.isEmpty ? "" : "，请写成 " + options.joined(separator: " 或 ")
            return subject + "最多两位小数（分）" + advice
        case .negativeNotAllowed:
            return subject + "此处不允许负数，请去掉 \"-\""
        case .exceedsMaximum(let maximumFen):
            return subject + "超过上限 \(Money(fen: maximumFen).formatted) 元（按绝对值），请检查是否多输了数字"
        }
    }

    /// A character in quotes, or its code point when it is invisible.
    private static func show(_ character: Character) -> String {
        let invisible = character.unicodeScalars.allSatisfy {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control
                || $0.properties.generalCategory == .format
        }
        if invisible {
            return character.unicodeScalars.map { scalar in
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }.joined(separator: " ")
        }
        return "\"\(character)\""
    }

    /// `-18000.5` → `-18,000.5`: the suggestion with correct separators.
    private static func grouped(_ ungrouped: String) -> String {
        var body = Substring(ungrouped)
        var sign = ""
        if body.first == "-" {
            sign = "-"
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts.first.map(String.init) ?? ""
        let rest = parts.count > 1 ? "." + parts[1] : ""
        return sign + Money.groupThousands(integerPart) + rest
    }
}
