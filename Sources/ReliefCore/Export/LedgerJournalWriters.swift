import Foundation

/// Account names for plain-text accounting tools (hledger, beancount): a root by category, then
/// one component `<code>-<name>`, e.g. `Assets:102-银行存款`, `Equity:Memo:901-备查-帮扶采购`.
///
/// Roots: asset → `Assets`, liability → `Liabilities`, net_assets → `Equity`, income → `Income`,
/// expense → `Expenses`, memorandum → `Equity:Memo` (备查 accounts are off-balance statistics
/// that balance among themselves), any other category → `Equity:Uncategorized`.
///
/// The component is normalised to NFC, and every character that beancount does not allow in an
/// account name (anything but a letter, a decimal digit or `-`; so spaces, punctuation such as
/// `/ : ( ) （ ）`, symbols and control characters) becomes `-`; runs of `-` are collapsed and
/// trailing ones dropped. The component must start with a capital letter or a digit: account codes
/// are digits, so it does; otherwise `X-` is put in front. Codes are unique, so names are too.
public enum LedgerAccountName {
    /// The root for a category, e.g. `Assets` or `Equity:Memo`.
    public static func root(category: String) -> String {
        switch category {
        case "asset": return "Assets"
        case "liability": return "Liabilities"
        case "net_assets": return "Equity"
        case "income": return "Income"
        case "expense": return "Expenses"
        case "memorandum": return "Equity:Memo"
        default: return "Equity:Uncategorized"
        }
    }

    /// The full name, e.g. `Assets:102-银行存款`.
    public static func name(_ account: Account) -> String {
        root(category: account.category) + ":" + component(code: account.code, name: account.name)
    }

    /// `<code>-<name>` with the characters beancount forbids replaced by `-`.
    static func component(code: String, name: String) -> String {
        let raw = (name.isEmpty ? code : code + "-" + name).precomposedStringWithCanonicalMapping
        var result = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            let kept = isAllowed(scalar) ? scalar : "-"
            if kept == "-", result.last == "-" {
                continue
            }
            result.append(kept)
        }
        while result.last == "-" {
            result.removeLast()
        }
        guard let first = result.first,
            first.properties.generalCategory == .uppercaseLetter
                || first.properties.generalCategory == .decimalNumber
        else {
            return result.isEmpty ? "X" : "X-" + String(result)
        }
        return String(result)
    }

    /// A letter, a decimal digit or `-`.
    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber:
            return true
        default:
            return scalar == "-"
        }
    }

    /// The text on one line: every control character (line breaks and tabs included) and U+2028,
    /// U+2029 become a space; then each scalar in `replacements` is replaced by its text. Works on
    /// scalars, so a `;` or `\` followed by a combining mark is still found.
    static func singleLine(_ text: String, replacing replacements: [Unicode.Scalar: String] = [:]) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result.append(" ")
            } else if let replacement = replacements[scalar] {
                result.append(contentsOf: replacement.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}

/// The journal for hledger (1.25 or later), in CNY with exactly two decimals.
///
/// The header declares the commodity (`commodity 1000.00 CNY`: two decimals, symbol on the right,
/// no digit grouping) and every account with its type (`account Assets:102-银行存款  ; type: A`;
/// A, L, E, R for income, X for expense, E for memorandum), so `hledger -s check` (strict: every
/// account and commodity declared) passes. An entry whose account was not in the header gets its
/// `account` directive just before it (hledger reads directives anywhere in the file).
///
/// Each entry:
///
/// ```
/// 2020-05-12 (2020-05/3) 摘要
///     ; seq:17, hash:…, key:…, created_by:…, reverses:12
///     Assets:102-银行存款  1800.00 CNY  ; side:D, red:true, enterprise:…, memo:…
/// ```
///
/// Amounts are ``ExportPosting/signedFen`` (debit +, credit −, red flips the sign and keeps the
/// `side` tag), so each account's `hledger bal` is the sum of its signed amounts. The description
/// is put on one line and `;` (which would start a comment) becomes `；`. Tag values are on one
/// line and `,` (which would end the value) becomes `，`. `reverses:` appears only on reversals;
/// `red:true` and the dimension and memo tags only when they apply.
public struct HledgerJournalWriter: JournalWriter, ByteJournalWriter, Sendable {
    private var declared: Set<String> = []

    /// Makes a writer.
    public init() {}

    /// The hledger account name; see ``LedgerAccountName``.
    public static func accountName(_ account: Account) -> String {
        LedgerAccountName.name(account)
    }

    /// The hledger account type code: `A`, `L`, `E`, `R` (income), `X` (expense); `E` for
    /// memorandum and any other category.
    public static func accountType(_ account: Account) -> String {
        switch account.category {
        case "asset": return "A"
        case "liability": return "L"
        case "income": return "R"
        case "expense": return "X"
        default: return "E"
        }
    }

    /// The commodity directive and one `account` directive per account, in name order.
    public mutating func header(accounts: [Account]) -> String {
        var text = "; ReliefLedger journal for hledger 1.25 or later\n"
        text += "commodity 1000.00 CNY\n\n"
        for account in accounts.sorted(by: { Self.accountName($0) < Self.accountName($1) }) {
            text += declaration(account)
        }
        return text + "\n"
    }

    /// The entry (after declarations of any accounts the header did not have), then a blank line.
    public mutating func entry(_ entry: ExportEntry) -> String {
        var text = ""
        for posting in entry.postings {
            text += declaration(posting.account)
        }
        let description = LedgerAccountName.singleLine(entry.description, replacing: [";": "；"])
        text +=
            "\(entry.date) (\(entry.voucherReference))" + (description.isEmpty ? "" : " " + description)
            + "\n"
        var tags = [
            "seq:\(entry.seq)", "hash:" + Self.tagValue(entry.hashHex),
            "key:" + Self.tagValue(entry.idempotencyKey),
            "created_by:" + Self.tagValue(entry.createdBy),
        ]
        if let reversed = entry.reversesSeq {
            tags.append("reverses:\(reversed)")
        }
        text += "    ; " + tags.joined(separator: ", ") + "\n"
        for posting in entry.postings {
            var postingTags = ["side:" + posting.side.rawValue]
            if posting.isRed {
                postingTags.append("red:true")
            }
            for (kind, value) in zip(Dimensions.kinds, posting.dimensions.ordered) {
                if let value {
                    postingTags.append(kind + ":" + Self.tagValue(value))
                }
            }
            if let memo = posting.memo {
                postingTags.append("memo:" + Self.tagValue(memo))
            }
            text +=
                "    " + Self.accountName(posting.account) + "  " + Money(fen: posting.signedFen).plain
                + " CNY"
                + "  ; " + postingTags.joined(separator: ", ") + "\n"
        }
        return text + "\n"
    }

    /// Nothing.
    public mutating func footer() -> String {
        ""
    }

    /// `account …  ; type: X` the first time an account is seen, else nothing.
    private mutating func declaration(_ account: Account) -> String {
        let name = Self.accountName(account)
        guard declared.insert(name).inserted else {
            return ""
        }
        return "account \(name)  ; type: \(Self.accountType(account))\n"
    }

    /// A tag value: one line, `,` replaced by `，`.
    static func tagValue(_ text: String) -> String {
        LedgerAccountName.singleLine(text, replacing: [",": "，"])
    }
}

/// The journal for beancount (2.3 or later), in CNY with exactly two decimals.
///
/// The header sets `option "title"` and `option "operating_currency" "CNY"`, declares the
/// commodity and opens every account on ``openDate`` (`2000-01-01 open Assets:102-银行存款 CNY`).
/// beancount rejects a posting dated before its account's `open`, so ``openDate`` must be on or
/// before the earliest entry (e.g. 2000-01-01, or the book's first day). An entry whose account
/// was not in the header gets its `open` directive just before it, dated ``openDate`` or the
/// entry's date if earlier (directive order does not matter to beancount).
///
/// Each entry (no payee; the 摘要 is the narration):
///
/// ```
/// 2020-05-12 * "摘要"
///   seq: 17
///   voucher: "2020-05/3"
///   hash: "…"
///   key: "…"
///   created_by: "…"
///   reverses: 12
///   Assets:102-银行存款  1800.00 CNY
///     side: "D"
///     red: TRUE
///     enterprise: "…"
///     memo: "…"
/// ```
///
/// Amounts are ``ExportPosting/signedFen``, as for ``HledgerJournalWriter``. Strings escape `\`
/// and `"` with a backslash and have control characters (line breaks included) replaced by spaces.
/// `reverses`, `red` and the dimension and memo metadata appear only when they apply.
public struct BeancountJournalWriter: JournalWriter, ByteJournalWriter, Sendable {
    /// The date of the `open` directives written in the header.
    public var openDate: LocalDate
    /// The ledger's title (`option "title"`).
    public var title: String
    private var opened: Set<String> = []

    /// Makes a writer whose header opens the accounts on `openDate`, which must not be after the
    /// first entry's date.
    public init(openDate: LocalDate, title: String = "ReliefLedger") {
        self.openDate = openDate
        self.title = title
    }

    /// The beancount account name; see ``LedgerAccountName``.
    public static func accountName(_ account: Account) -> String {
        LedgerAccountName.name(account)
    }

    /// Options, the commodity and one `open` per account, in name order.
    public mutating func header(accounts: [Account]) -> String {
        var text = "option \"title\" \(Self.quoted(title))\n"
        text += "option \"operating_currency\" \"CNY\"\n\n"
        text += "\(openDate) commodity CNY\n"
        for account in accounts.sorted(by: { Self.accountName($0) < Self.accountName($1) }) {
            text += opening(account, on: openDate)
        }
        return text + "\n"
    }

    /// The entry (after `open` directives for any accounts the header did not have), then a blank line.
    public mutating func entry(_ entry: ExportEntry) -> String {
        var text = ""
        for posting in entry.postings {
            text += opening(posting.account, on: min(openDate, entry.date))
        }
        text += "\(entry.date) * \(Self.quoted(entry.description))\n"
        text += "  seq: \(entry.seq)\n"
        text += "  voucher: \(Self.quoted(entry.voucherReference))\n"
        text += "  hash: \(Self.quoted(entry.hashHex))\n"
        text += "  key: \(Self.quoted(entry.idempotencyKey))\n"
        text += "  created_by: \(Self.quoted(entry.createdBy))\n"
        if let reversed = entry.reversesSeq {
            text += "  reverses: \(reversed)\n"
        }
        for posting in entry.postings {
            text +=
                "  " + Self.accountName(posting.account) + "  " + Money(fen: posting.signedFen).plain
                + " CNY\n"
            text += "    side: \(Self.quoted(posting.side.rawValue))\n"
            if posting.isRed {
                text += "    red: TRUE\n"
            }
            for (kind, value) in zip(Dimensions.kinds, posting.dimensions.ordered) {
                if let value {
                    text += "    \(kind): \(Self.quoted(value))\n"
                }
            }
            if let memo = posting.memo {
                text += "    memo: \(Self.quoted(memo))\n"
            }
        }
        return text + "\n"
    }

    /// Nothing.
    public mutating func footer() -> String {
        ""
    }

    /// `DATE open NAME CNY` the first time an account is seen, else nothing.
    private mutating func opening(_ account: Account, on date: LocalDate) -> String {
        let name = Self.accountName(account)
        guard opened.insert(name).inserted else {
            return ""
        }
        return "\(date) open \(name) CNY\n"
    }

    /// A beancount string literal on one line.
    static func quoted(_ text: String) -> String {
        "\"" + LedgerAccountName.singleLine(text, replacing: ["\\": "\\\\", "\"": "\\\""]) + "\""
    }
}
