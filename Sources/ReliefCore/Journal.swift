/// Debit (借) or credit (贷). Stored apart from the amount, so a red reversal keeps its side.
public enum Side: String, Sendable, Hashable, Codable {
    /// 借
    case debit = "D"
    /// 贷
    case credit = "C"

    /// 借 or 贷.
    public var chinese: String { self == .debit ? "借" : "贷" }

    /// Reads `借`, `贷`, `D`, `C`, `debit`, `credit` (any case).
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "借", "d", "debit", "dr": self = .debit
        case "贷", "c", "credit", "cr": self = .credit
        default: return nil
        }
    }
}

/// The dimensions a posting carries, by code; reports slice by them without inventing accounts.
public struct Dimensions: Sendable, Hashable, Codable {
    /// Enterprise (by 统一社会信用代码 or its code).
    public var enterprise: String?
    /// Supplier.
    public var supplier: String?
    /// Township in the paired county.
    public var township: String?
    /// Product category.
    public var category: String?
    /// Purchase channel (832平台, 专馆专区专柜, 直采, 消费券).
    public var channel: String?
    /// Program.
    public var program: String?

    /// The dimension kinds, in canonical order.
    public static let kinds = ["enterprise", "supplier", "township", "category", "channel", "program"]

    /// Makes dimensions; all optional.
    public init(
        enterprise: String? = nil, supplier: String? = nil, township: String? = nil,
        category: String? = nil, channel: String? = nil, program: String? = nil
    ) {
        self.enterprise = enterprise
        self.supplier = supplier
        self.township = township
        self.category = category
        self.channel = channel
        self.program = program
    }

    /// Values in canonical order (``kinds``).
    public var ordered: [String?] { [enterprise, supplier, township, category, channel, program] }

    /// Calls `body` with the six values' UTF-8 in canonical order (nil: none), as the writers
    /// that take COPY bytes (``CanonicalWriter/DimensionBytes``) expect them.
    public func withUTF8Bytes<T>(_ body: (CanonicalWriter.DimensionBytes) throws -> T) rethrows -> T {
        try UTF8Bytes.with(enterprise ?? "") { e in
            try UTF8Bytes.with(supplier ?? "") { s in
                try UTF8Bytes.with(township ?? "") { t in
                    try UTF8Bytes.with(category ?? "") { c in
                        try UTF8Bytes.with(channel ?? "") { h in
                            try UTF8Bytes.with(program ?? "") { p in
                                try body((
                                    enterprise == nil ? nil : e, supplier == nil ? nil : s, township == nil ? nil : t,
                                    category == nil ? nil : c, channel == nil ? nil : h, program == nil ? nil : p
                                ))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One posting (分录) before it is written.
public struct PostingDraft: Sendable, Hashable {
    /// Account code, e.g. `102`.
    public var accountCode: String
    /// 借 or 贷.
    public var side: Side
    /// Positive amount.
    public var amount: Money
    /// Dimensions by code.
    public var dimensions: Dimensions
    /// A short note.
    public var memo: String?

    /// Makes a posting.
    public init(accountCode: String, side: Side, amount: Money, dimensions: Dimensions = Dimensions(), memo: String? = nil) {
        self.accountCode = accountCode
        self.side = side
        self.amount = amount
        self.dimensions = dimensions
        self.memo = memo
    }
}

/// A journal entry (凭证) before it is written.
public struct EntryDraft: Sendable, Hashable {
    /// The most postings one entry may have.
    public static let maximumPostings = 1_000
    /// The longest idempotency key, in characters.
    public static let maximumKeyLength = 200
    /// The longest description, in characters.
    public static let maximumDescriptionLength = 500
    /// The longest memo, in characters.
    public static let maximumMemoLength = 200

    /// A retry with the same key returns the first result and writes nothing.
    public var idempotencyKey: String
    /// The accounting date; its month is the period.
    public var date: LocalDate
    /// 摘要.
    public var description: String
    /// Postings, in line order.
    public var postings: [PostingDraft]
    /// For a red reversal (红字冲销): the chain position of the entry it reverses.
    public var reversesSeq: Int64?

    /// Makes a draft.
    public init(idempotencyKey: String, date: LocalDate, description: String, postings: [PostingDraft], reversesSeq: Int64? = nil) {
        self.idempotencyKey = idempotencyKey
        self.date = date
        self.description = description
        self.postings = postings
        self.reversesSeq = reversesSeq
    }

    /// The invariants checked in Swift before anything is written (PostgreSQL checks them again at
    /// commit): a key, at least two postings, positive amounts within the maximum, debits equal credits.
    public func validate(maximumFen: Int64 = Money.maximumFen) throws(EntryError) {
        let key = idempotencyKey
        guard !key.isEmpty, key.count <= Self.maximumKeyLength else {
            throw EntryError(field: "idempotency_key", message: "must be 1 to \(Self.maximumKeyLength) characters")
        }
        guard description.count <= Self.maximumDescriptionLength else {
            throw EntryError(field: "description", message: "is longer than \(Self.maximumDescriptionLength) characters")
        }
        guard postings.count >= 2 else {
            throw EntryError(field: "postings", message: "has \(postings.count) posting(s); a journal entry needs at least two (one debit, one credit)")
        }
        guard postings.count <= Self.maximumPostings else {
            throw EntryError(field: "postings", message: "has \(postings.count) postings; the most one entry may have is \(Self.maximumPostings)")
        }
        var debitFen: Int64 = 0
        var creditFen: Int64 = 0
        for (index, posting) in postings.enumerated() {
            let field = "postings[\(index)]"
            guard posting.amount.fen > 0 else {
                throw EntryError(field: "\(field).amount", message: "must be positive; a reversal keeps the side and is marked red instead of negative")
            }
            guard posting.amount.fen <= maximumFen else {
                throw EntryError(field: "\(field).amount", message: "\(posting.amount.formatted) exceeds the maximum \(Money(fen: maximumFen).formatted)")
            }
            guard !posting.accountCode.isEmpty else {
                throw EntryError(field: "\(field).account", message: "is empty")
            }
            if let memo = posting.memo, memo.count > Self.maximumMemoLength {
                throw EntryError(field: "\(field).memo", message: "is longer than \(Self.maximumMemoLength) characters")
            }
            // Bounded: at most maximumPostings × maximumFen = 10^16 < Int64.max, so no overflow.
            if posting.side == .debit { debitFen += posting.amount.fen } else { creditFen += posting.amount.fen }
        }
        guard debitFen == creditFen else {
            throw EntryError(
                field: "postings",
                message: "debits \(Money(fen: debitFen).formatted) ≠ credits \(Money(fen: creditFen).formatted); the difference is \(Money(fen: debitFen - creditFen).formatted)")
        }
    }

    /// The red reversal of an entry: the same accounts, sides and amounts, marked as reversing it.
    public static func reversal(
        of original: [PostingDraft], originalSeq: Int64, key: String, date: LocalDate, reason: String
    ) -> EntryDraft {
        EntryDraft(idempotencyKey: key, date: date, description: reason, postings: original, reversesSeq: originalSeq)
    }
}

/// A journal entry that breaks an invariant, naming the field.
public struct EntryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// JSON-style path of the offending field, e.g. `postings[1].amount`.
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    /// Makes an error.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
