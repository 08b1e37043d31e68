// Exact decimal quantities and unit prices of purchase lines, and the check that a line's
// stated amount agrees with quantity × unit price. No floating point anywhere.

/// A positive quantity of goods (kg, 斤, boxes…) held exactly with three decimal places, as a
/// whole number of thousandths.
///
/// Every value is in `1…maximumThousandths`, i.e. 0.001 … 99,999,999,999.999, which fits a
/// PostgreSQL `NUMERIC(14,3)`. It encodes as a bare integer number of thousandths.
public struct Quantity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The quantity in thousandths of a unit, `1…maximumThousandths`.
    public let thousandths: Int64

    /// The number of decimal places kept.
    public static let decimalPlaces = 3

    /// The largest quantity, 99,999,999,999.999, in thousandths (the limit of `NUMERIC(14,3)`).
    public static let maximumThousandths: Int64 = 99_999_999_999_999

    /// Creates a quantity from thousandths, or returns `nil` unless it is in
    /// `1…maximumThousandths`.
    public init?(thousandths: Int64) {
        guard (1...Quantity.maximumThousandths).contains(thousandths) else {
            return nil
        }
        self.thousandths = thousandths
    }

    /// Parses a quantity typed by a person.
    ///
    /// Accepted: ASCII digits with at most one `.` and at most three decimals (`12`, `12.5`,
    /// `0.125`); `,` thousands separators in groups of three before the `.` (`1,000.125`);
    /// surrounding whitespace.
    ///
    /// Rejected: empty text; more than three decimals (`1.0005`, even `1.0000`); exponents
    /// (`1e3`); signs; a `.` without a digit on both sides; zero and negative quantities
    /// ("must be positive"); quantities above ``maximumThousandths`` (checked without
    /// overflow, so any number of digits is safe).
    ///
    /// - Parameters:
    ///   - text: The text to parse.
    ///   - field: The name of the input, used in error messages (e.g. `quantity`).
    /// - Throws: ``QuantityError`` naming the field, the text and what to write instead.
    public static func parse(_ text: String, field: String) throws(QuantityError) -> Quantity {
        let parsed = DecimalText.parse(
            text, places: decimalPlaces, maximumScaled: maximumThousandths, allowCurrencySign: false)
        switch parsed {
        case .success(let value):
            return Quantity(uncheckedThousandths: value)
        case .failure(let reason):
            throw QuantityError(field: field, value: text, reason: reason)
        }
    }

    /// The quantity in its shortest exact form without grouping: `12.5`, `1000.125`, `3`.
    public var description: String {
        DecimalText.render(thousandths, places: Quantity.decimalPlaces, grouped: false)
    }

    /// The quantity with thousands separators: `1,000.125`.
    public var formatted: String {
        DecimalText.render(thousandths, places: Quantity.decimalPlaces, grouped: true)
    }

    /// Orders quantities by value.
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.thousandths < rhs.thousandths
    }

    /// Decodes a quantity from a bare integer number of thousandths.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Int64.self)
        guard let quantity = Quantity(thousandths: value) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected thousandths in 1…\(Quantity.maximumThousandths), found \(value)")
        }
        self = quantity
    }

    /// Encodes the quantity as a bare integer number of thousandths.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(thousandths)
    }

    private init(uncheckedThousandths value: Int64) {
        thousandths = value
    }
}

/// A positive price per unit in yuan (元) held exactly with four decimal places, as a whole
/// number of ten-thousandths of a yuan (0.0001 元 = 1/100 分).
///
/// Every value is in `1…maximumTenThousandthsOfYuan`, i.e. 0.0001 … 99,999,999.9999 元, which
/// fits a PostgreSQL `NUMERIC(12,4)`. It encodes as a bare integer number of ten-thousandths.
public struct UnitPrice: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The price in ten-thousandths of a yuan, `1…maximumTenThousandthsOfYuan`.
    public let tenThousandthsOfYuan: Int64

    /// The number of decimal places of a yuan kept.
    public static let decimalPlaces = 4

    /// The largest price, 99,999,999.9999 元, in ten-thousandths (the limit of `NUMERIC(12,4)`).
    public static let maximumTenThousandthsOfYuan: Int64 = 999_999_999_999

    /// Creates a price from ten-thousandths of a yuan, or returns `nil` unless it is in
    /// `1…maximumTenThousandthsOfYuan`.
    public init?(tenThousandthsOfYuan value: Int64) {
        guard (1...UnitPrice.maximumTenThousandthsOfYuan).contains(value) else {
            return nil
        }
        tenThousandthsOfYuan = value
    }

    /// Parses a unit price in yuan typed by a person.
    ///
    /// Accepted: ASCII digits with at most one `.` and at most four decimals (`12.5`,
    /// `3.3333`); `,` thousands separators in groups of three before the `.` (`1,200`);
    /// surrounding whitespace; one optional leading `¥` or `￥`.
    ///
    /// Rejected: empty text; more than four decimals; exponents; signs; a `.` without a digit
    /// on both sides; zero and negative prices ("must be positive"); prices above
    /// ``maximumTenThousandthsOfYuan``.
    ///
    /// - Parameters:
    ///   - text: The text to parse.
    ///   - field: The name of the input, used in error messages (e.g. `unit price`).
    /// - Throws: ``UnitPriceError`` naming the field, the text and what to write instead.
    public static func parse(_ text: String, field: String) throws(UnitPriceError) -> UnitPrice {
        let parsed = DecimalText.parse(
            text, places: decimalPlaces, maximumScaled: maximumTenThousandthsOfYuan, allowCurrencySign: true)
        switch parsed {
        case .success(let value):
            return UnitPrice(uncheckedTenThousandths: value)
        case .failure(let reason):
            throw UnitPriceError(field: field, value: text, reason: reason)
        }
    }

    /// The price in yuan in its shortest exact form without grouping: `12.5`, `3.3333`, `1200`.
    public var description: String {
        DecimalText.render(tenThousandthsOfYuan, places: UnitPrice.decimalPlaces, grouped: false)
    }

    /// The price in yuan with thousands separators: `1,200.5`.
    public var formatted: String {
        DecimalText.render(tenThousandthsOfYuan, places: UnitPrice.decimalPlaces, grouped: true)
    }

    /// Orders prices by value.
    public static func < (lhs: UnitPrice, rhs: UnitPrice) -> Bool {
        lhs.tenThousandthsOfYuan < rhs.tenThousandthsOfYuan
    }

    /// Decodes a price from a bare integer number of ten-thousandths of a yuan.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Int64.self)
        guard let price = UnitPrice(tenThousandthsOfYuan: value) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription:
                    "expected ten-thousandths of a yuan in 1…\(UnitPrice.maximumTenThousandthsOfYuan), found \(value)"
            )
        }
        self = price
    }

    /// Encodes the price as a bare integer number of ten-thousandths of a yuan.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(tenThousandthsOfYuan)
    }

    private init(uncheckedTenThousandths value: Int64) {
        tenThousandthsOfYuan = value
    }
}

/// The amount of a purchase line computed exactly from its quantity and unit price.
///
/// quantity (thousandths) × price (ten-thousandths of a yuan) is an integer number of
/// 10⁻⁷ 元 = 10⁻⁵ 分, computed as a full 128-bit product (`multipliedFullWidth`, which unlike
/// `Int128` needs no newer macOS), so nothing is lost before rounding or comparing.
public enum LineAmount {
    /// The number of product units (10⁻⁵ 分) in one fen.
    static let productUnitsPerFen: UInt64 = 100_000

    /// quantity × unit price in fen, rounded half-up to the fen, e.g. 12.5 × 3.3333 元 =
    /// 4,166.625 分 → 4,167.
    ///
    /// The result saturates at `Int64.max`, which only quantities and prices near both maxima
    /// reach (far beyond ``Money/maximumFen``).
    public static func expectedFen(quantity: Quantity, unitPrice: UnitPrice) -> Int64 {
        let (wholeFen, remainder) = exactFen(quantity: quantity, unitPrice: unitPrice)
        guard let whole = wholeFen else {
            return Int64.max
        }
        let roundUp = remainder * 2 >= productUnitsPerFen
        if whole >= UInt64(Int64.max) {
            return Int64.max
        }
        return Int64(whole) + (roundUp ? 1 : 0)
    }

    /// Whether a stated line amount is within one fen of the exact product quantity × unit
    /// price: |amountFen − quantity × unitPrice| ≤ 1 分, compared exactly (not after rounding).
    ///
    /// For 12.5 × 3.3333 元 = 4,166.625 分, 4,166 and 4,167 agree and 4,165 and 4,168 do not.
    /// When the product is a whole number of fen n, n − 1, n and n + 1 agree.
    public static func agrees(amountFen: Int64, quantity: Quantity, unitPrice: UnitPrice) -> Bool {
        guard amountFen >= 0 else {
            // The exact product is positive, so a negative amount is more than 1 fen away.
            return false
        }
        let (wholeFen, remainder) = exactFen(quantity: quantity, unitPrice: unitPrice)
        guard let whole = wholeFen else {
            // The product exceeds UInt64.max fen, so no Int64 amount is within one fen of it.
            return false
        }
        // exact = whole + remainder/100000 fen with 0 ≤ remainder < 100000.
        // |stated − exact| ≤ 1 ⟺ exact − 1 ≤ stated ≤ exact + 1; with stated an integer this is
        // whole − 1 ≤ stated ≤ whole + 1 when remainder = 0, else whole ≤ stated ≤ whole + 1.
        let stated = UInt64(amountFen)
        let lowest = remainder == 0 ? (whole == 0 ? 0 : whole - 1) : whole
        let (highest, overflow) = whole.addingReportingOverflow(1)
        return stated >= lowest && (overflow || stated <= highest)
    }

    /// The exact product in fen as a whole part (`nil` when it exceeds `UInt64.max`) and a
    /// remainder in 10⁻⁵ 分 (0…99,999).
    private static func exactFen(quantity: Quantity, unitPrice: UnitPrice) -> (UInt64?, UInt64) {
        let product = UInt64(quantity.thousandths).multipliedFullWidth(
            by: UInt64(unitPrice.tenThousandthsOfYuan))
        guard product.high < productUnitsPerFen else {
            return (nil, 0)
        }
        let (quotient, remainder) = productUnitsPerFen.dividingFullWidth(product)
        return (quotient, remainder)
    }
}

/// What was wrong with a decimal number typed by a person (a ``Quantity`` or a ``UnitPrice``).
public enum DecimalTextReason: Sendable, Equatable {
    /// The text was empty or only whitespace.
    case empty
    /// There was a sign or currency symbol but no digits.
    case noDigits
    /// A character that cannot appear in the number, at a 1-based position in the original text.
    case invalidCharacter(Character, position: Int)
    /// Exponent notation such as `1e3`.
    case exponentNotation
    /// `,` did not separate groups of three digits; `ungrouped` is the number without `,`.
    case invalidGrouping(ungrouped: String)
    /// More than one `.`.
    case multipleDecimalPoints
    /// A `.` without a digit on one side (`.5`, `5.`); `suggestion` is the complete form.
    case missingDigit(suggestion: String)
    /// More decimals than the type keeps.
    case tooManyDecimalPlaces(maximumPlaces: Int)
    /// Zero or a negative number.
    case notPositive
    /// Larger than the maximum, given in its grouped text form (e.g. `99,999,999,999.999`).
    case exceedsMaximum(maximum: String)
}

/// Why a quantity could not be parsed, with messages in English and Chinese that name the field
/// and the offending text and say what to write instead.
public struct QuantityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the text.
    public typealias Reason = DecimalTextReason

    /// The name of the input, e.g. `quantity`.
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

    /// An English message such as `quantity "0": must be positive`.
    public var description: String {
        DecimalText.english(field: field, value: value, reason: reason, noun: "quantity", example: "12.5")
    }

    /// A Simplified Chinese message such as `quantity "0" 必须大于零`.
    public var chineseDescription: String {
        DecimalText.chinese(field: field, value: value, reason: reason, noun: "数量", example: "12.5")
    }
}

/// Why a unit price could not be parsed, with messages in English and Chinese that name the
/// field and the offending text and say what to write instead.
public struct UnitPriceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the text.
    public typealias Reason = DecimalTextReason

    /// The name of the input, e.g. `unit price`.
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

    /// An English message such as `unit price "3.33333": at most 4 decimal places are allowed`.
    public var description: String {
        DecimalText.english(field: field, value: value, reason: reason, noun: "unit price", example: "3.3333")
    }

    /// A Simplified Chinese message such as `unit price "3.33333" 最多 4 位小数`.
    public var chineseDescription: String {
        DecimalText.chinese(field: field, value: value, reason: reason, noun: "单价", example: "3.3333")
    }
}

/// Parsing and rendering of unsigned fixed-point decimals shared by ``Quantity`` and
/// ``UnitPrice``.
enum DecimalText {
    /// The result of ``parse(_:places:maximumScaled:allowCurrencySign:)``.
    enum Outcome {
        /// The value scaled by 10^places.
        case success(Int64)
        /// Why the text is not a valid number.
        case failure(DecimalTextReason)
    }

    /// Parses `text` as a positive number with at most `places` decimals, returning its value
    /// scaled by 10^places.
    static func parse(
        _ text: String, places: Int, maximumScaled: Int64, allowCurrencySign: Bool
    ) -> Outcome {
        let characters = Array(text)
        guard let start = characters.firstIndex(where: { !$0.isWhitespace }),
            let last = characters.lastIndex(where: { !$0.isWhitespace })
        else {
            return .failure(.empty)
        }
        let end = last + 1

        // One optional `-` (before or after the currency sign), only to report "must be positive".
        var index = start
        var negative = false
        if characters[index] == "-" {
            negative = true
            index += 1
        }
        if allowCurrencySign && index < end && (characters[index] == "¥" || characters[index] == "￥") {
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
            } else if character == "," && !seenPoint {
                groupLengths.append(currentGroupLength)
                currentGroupLength = 0
                sawSeparator = true
            } else if character == "." {
                if seenPoint {
                    return .failure(.multipleDecimalPoints)
                }
                seenPoint = true
            } else if character == "e" || character == "E",
                let before = previous, before == "." || asciiDigit(before) != nil
            {
                return .failure(.exponentNotation)
            } else {
                return .failure(.invalidCharacter(character, position: position + 1))
            }
        }

        if integerDigits.isEmpty && fractionDigits.isEmpty {
            return .failure(.noDigits)
        }
        if sawSeparator {
            groupLengths.append(currentGroupLength)
            let firstValid = (1...3).contains(groupLengths[0])
            let restValid = groupLengths.dropFirst().allSatisfy { $0 == 3 }
            if !(firstValid && restValid) {
                let body = String(characters[index..<end].filter { $0 != "," })
                return .failure(.invalidGrouping(ungrouped: body))
            }
        }
        if seenPoint && (integerDigits.isEmpty || fractionDigits.isEmpty) {
            let integerText = integerDigits.isEmpty ? "0" : integerDigits.map(String.init).joined()
            let fractionText = fractionDigits.isEmpty ? "" : "." + fractionDigits.map(String.init).joined()
            return .failure(.missingDigit(suggestion: integerText + fractionText))
        }
        if fractionDigits.count > places {
            return .failure(.tooManyDecimalPlaces(maximumPlaces: places))
        }

        // The value scaled by 10^places, overflow-checked: an overflow is above any maximum.
        var scaled: Int64? = 0
        for digit in integerDigits {
            scaled = scaled.flatMap { timesTenPlus($0, digit) }
        }
        for place in 0..<places {
            let digit = place < fractionDigits.count ? fractionDigits[place] : 0
            scaled = scaled.flatMap { timesTenPlus($0, digit) }
        }
        if negative {
            return .failure(.notPositive)
        }
        guard let value = scaled, value <= maximumScaled else {
            return .failure(.exceedsMaximum(maximum: render(maximumScaled, places: places, grouped: true)))
        }
        if value == 0 {
            return .failure(.notPositive)
        }
        return .success(value)
    }

    /// `scaled / 10^places` in its shortest exact form (trailing fractional zeros removed).
    static func render(_ scaled: Int64, places: Int, grouped: Bool) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<places {
            divisor *= 10
        }
        let magnitude = scaled.magnitude
        let integerDigits = String(magnitude / divisor)
        var fraction = String(magnitude % divisor)
        fraction = String(repeating: "0", count: places - fraction.count) + fraction
        for _ in 0..<places where fraction.last == "0" {
            fraction.removeLast()
        }
        let integerText = grouped ? Money.groupThousands(integerDigits) : integerDigits
        return (scaled < 0 ? "-" : "") + integerText + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// The English message for a parse failure.
    static func english(
        field: String, value: String, reason: DecimalTextReason, noun: String, example: String
    ) -> String {
        let subject = "\(field) \"\(value)\": "
        switch reason {
        case .empty:
            return subject + "a \(noun) is required; write one such as \(example)"
        case .noDigits:
            return subject + "no digits found; write a \(noun) such as \(example)"
        case .invalidCharacter(let character, let position):
            return subject
                + "unexpected character \(show(character)) at position \(position); use only digits, "
                + "one \".\" and \",\" between groups of three digits, e.g. 1,000.5"
        case .exponentNotation:
            return subject + "exponent notation is not allowed; write all digits out, e.g. 1000"
        case .invalidGrouping(let ungrouped):
            return subject + "\",\" must separate groups of exactly three digits before the \".\"; "
                + "write \(ungrouped)"
        case .multipleDecimalPoints:
            return subject + "only one \".\" is allowed; write e.g. \(example)"
        case .missingDigit(let suggestion):
            return subject + "\".\" needs a digit on both sides; write \(suggestion)"
        case .tooManyDecimalPlaces(let maximumPlaces):
            return subject + "at most \(maximumPlaces) decimal places are allowed"
        case .notPositive:
            return subject + "must be positive (greater than zero)"
        case .exceedsMaximum(let maximum):
            return subject + "exceeds the limit of \(maximum); check for extra digits"
        }
    }

    /// The Simplified Chinese message for a parse failure.
    static func chinese(
        field: String, value: String, reason: DecimalTextReason, noun: String, example: String
    ) -> String {
        let subject = "\(field) \"\(value)\" "
        switch reason {
        case .empty:
            return subject + "为空，请填写\(noun)，例如 \(example)"
        case .noDigits:
            return subject + "缺少数字，请填写\(noun)，例如 \(example)"
        case .invalidCharacter(let character, let position):
            return subject + "第 \(position) 个字符 \(show(character)) 无效；"
                + "只能使用数字、一个小数点 \".\" 和每三位一组的千位分隔符 \",\"，例如 1,000.5"
        case .exponentNotation:
            return subject + "不支持科学计数法，请写出全部数字，例如 1000"
        case .invalidGrouping(let ungrouped):
            return subject + "千位分隔符 \",\" 必须在小数点前每三位一组，请写成 \(ungrouped)"
        case .multipleDecimalPoints:
            return subject + "只能有一个小数点，例如 \(example)"
        case .missingDigit(let suggestion):
            return subject + "小数点两侧都需要数字，请写成 \(suggestion)"
        case .tooManyDecimalPlaces(let maximumPlaces):
            return subject + "最多 \(maximumPlaces) 位小数"
        case .notPositive:
            return subject + "\(noun)必须大于零"
        case .exceedsMaximum(let maximum):
            return subject + "超过上限 \(maximum)，请检查是否多输了数字"
        }
    }

    /// A character in quotes, or its code points when it is invisible.
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
}
