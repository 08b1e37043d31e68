/// The number (发票号码) of a Chinese VAT invoice, as typed into a purchase line.
///
/// Two forms are accepted:
/// - the 8-digit number of a legacy paper or electronic invoice (such an invoice also has a
///   separate 10- or 12-digit invoice code, 发票代码, which is not part of the number);
/// - the 20-digit number of a fully digitalised electronic invoice (数电票), which has no code.
public enum InvoiceNumber {
    /// The number of digits of a legacy invoice number.
    public static let legacyLength = 8
    /// The number of digits of a fully digitalised electronic invoice (数电票) number.
    public static let digitalLength = 20
    /// The lengths of the separate legacy invoice code (发票代码), which is not a number.
    public static let legacyCodeLengths: Set<Int> = [10, 12]

    /// Returns the invoice number with surrounding whitespace removed if it is 8 or 20 ASCII
    /// digits.
    ///
    /// Nothing is ignored inside the number: spaces, `-`, full-width digits and letters are all
    /// rejected, so that the same invoice always has the same text (which duplicate detection
    /// relies on).
    /// - Throws: ``InvoiceNumberError`` naming the field, the text and what is wrong.
    public static func validate(_ text: String, field: String) throws(InvoiceNumberError) -> String {
        let characters = Array(text)
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
            let last = characters.lastIndex(where: { !$0.isWhitespace })
        else {
            throw InvoiceNumberError(field: field, value: text, reason: .empty)
        }
        let trimmed = characters[first...last]
        for (offset, character) in trimmed.enumerated() where !isASCIIDigit(character) {
            throw InvoiceNumberError(
                field: field, value: text, reason: .invalidCharacter(character, position: offset + 1))
        }
        let count = trimmed.count
        if count == legacyLength || count == digitalLength {
            return String(trimmed)
        }
        if legacyCodeLengths.contains(count) {
            throw InvoiceNumberError(field: field, value: text, reason: .looksLikeInvoiceCode(count))
        }
        throw InvoiceNumberError(field: field, value: text, reason: .wrongLength(count))
    }

    private static func isASCIIDigit(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else {
            return false
        }
        return ascii >= 48 && ascii <= 57
    }
}

/// Why an invoice number is invalid, with messages in English and Chinese.
public struct InvoiceNumberError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the number.
    public enum Reason: Sendable, Equatable {
        /// The text was empty or only whitespace.
        case empty
        /// A character other than an ASCII digit, at a 1-based position after trimming.
        case invalidCharacter(Character, position: Int)
        /// 10 or 12 digits: probably the legacy invoice code (发票代码) rather than the number.
        case looksLikeInvoiceCode(Int)
        /// Neither 8 nor 20 digits; the count found.
        case wrongLength(Int)
    }

    /// The name of the input, e.g. `invoice number`.
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
        case .empty:
            return subject + "an invoice number is required: 8 digits (legacy invoice) or 20 digits "
                + "(fully digitalised e-invoice)"
        case .invalidCharacter(let character, let position):
            return subject + "character \(position) \"\(character)\" is not an ASCII digit; "
                + "an invoice number consists of digits only"
        case .looksLikeInvoiceCode(let count):
            return subject + "\(count) digits look like the invoice code (发票代码), not the invoice number; "
                + "enter the 8-digit invoice number (发票号码) instead"
        case .wrongLength(let count):
            return subject + "an invoice number has 8 digits (legacy invoice) or 20 digits "
                + "(fully digitalised e-invoice), this has \(count)"
        }
    }

    /// A Simplified Chinese message naming the field, the text, the problem and the fix.
    public var chineseDescription: String {
        let subject = "\(field) \"\(value)\" "
        switch reason {
        case .empty:
            return subject + "为空，请填写发票号码：传统发票 8 位数字，数电票 20 位数字"
        case .invalidCharacter(let character, let position):
            return subject + "第 \(position) 位 \"\(character)\" 无效：发票号码只能由半角数字组成"
        case .looksLikeInvoiceCode(let count):
            return subject + "为 \(count) 位，像是发票代码而不是发票号码，请填写 8 位发票号码"
        case .wrongLength(let count):
            return subject + "长度错误：发票号码应为 8 位（传统发票）或 20 位（数电票），实际为 \(count) 位"
        }
    }
}
