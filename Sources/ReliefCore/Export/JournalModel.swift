/// One posting as exported to auditors.
public struct ExportPosting: Sendable, Hashable {
    /// Line number within the entry (1, 2, …).
    public var line: Int
    /// The account.
    public var account: Account
    /// 借 or 贷, as posted (a red reversal keeps its side).
    public var side: Side
    /// Positive amount in fen.
    public var amountFen: Int64
    /// True for the postings of a red reversal (红字冲销): they count negative on their side.
    public var isRed: Bool
    /// Dimensions by code.
    public var dimensions: Dimensions
    /// Memo.
    public var memo: String?

    /// Makes a posting.
    public init(line: Int, account: Account, side: Side, amountFen: Int64, isRed: Bool, dimensions: Dimensions, memo: String?) {
        self.line = line
        self.account = account
        self.side = side
        self.amountFen = amountFen
        self.isRed = isRed
        self.dimensions = dimensions
        self.memo = memo
    }

    /// The signed amount in the convention of hledger and beancount: debits positive, credits
    /// negative, red amounts with the opposite sign on the same side.
    public var signedFen: Int64 {
        let sign: Int64 = (side == .debit ? 1 : -1) * (isRed ? -1 : 1)
        return sign * amountFen
    }
}

/// One journal entry (凭证) as exported to auditors.
public struct ExportEntry: Sendable, Hashable {
    /// Chain position.
    public var seq: Int64
    /// The month.
    public var period: Period
    /// 记字第N号 within the month.
    public var voucherNumber: Int
    /// Accounting date.
    public var date: LocalDate
    /// 摘要.
    public var description: String
    /// Idempotency key.
    public var idempotencyKey: String
    /// Who posted.
    public var createdBy: String
    /// Chain position of the reversed entry, for a red reversal.
    public var reversesSeq: Int64?
    /// Chain hash, lower-case hex.
    public var hashHex: String
    /// Postings in line order.
    public var postings: [ExportPosting]
    /// When it was written, microseconds since 1970-01-01 UTC (part of the chain's canonical text).
    public var createdAtMicroseconds: Int64
    /// The book's code (part of the chain's canonical text).
    public var bookCode: String

    /// Makes an entry.
    public init(
        seq: Int64, period: Period, voucherNumber: Int, date: LocalDate, description: String, idempotencyKey: String,
        createdBy: String, reversesSeq: Int64?, hashHex: String, postings: [ExportPosting],
        createdAtMicroseconds: Int64 = 0, bookCode: String = "main"
    ) {
        self.createdAtMicroseconds = createdAtMicroseconds
        self.bookCode = bookCode
        self.seq = seq
        self.period = period
        self.voucherNumber = voucherNumber
        self.date = date
        self.description = description
        self.idempotencyKey = idempotencyKey
        self.createdBy = createdBy
        self.reversesSeq = reversesSeq
        self.hashHex = hashHex
        self.postings = postings
    }

    /// `2020-05/3`.
    public var voucherReference: String { "\(period)/\(voucherNumber)" }
}

/// A journal writer streams: ``header(accounts:)`` once, ``entry(_:)`` for each entry in chain
/// order, ``footer()`` once; the caller writes each returned chunk out as it comes, so memory does
/// not grow with the number of entries.
public protocol JournalWriter {
    /// Text before the first entry (e.g. account declarations).
    mutating func header(accounts: [Account]) -> String
    /// One entry.
    mutating func entry(_ entry: ExportEntry) -> String
    /// Text after the last entry.
    mutating func footer() -> String
}

extension ExportEntry {
    /// The chain's canonical text of this entry (docs/CHAIN.md), so that an export can be checked
    /// offline against the hashes it carries.
    public var canonicalText: String {
        var writer = CanonicalWriter()
        writeCanonicalText(into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Appends this entry's canonical text to `writer` (the verifier reuses one writer).
    public func writeCanonicalText(into writer: inout CanonicalWriter) {
        writer.header(
            bookCode: bookCode, seq: seq, period: period, voucherNumber: voucherNumber, date: date, reversesSeq: reversesSeq,
            createdAtMicroseconds: createdAtMicroseconds, createdBy: createdBy, idempotencyKey: idempotencyKey,
            description: description)
        // By index: `for posting in postings` copies each posting (a retain and release per string).
        for index in postings.indices {
            writer.posting(
                line: postings[index].line, accountCode: postings[index].account.code, side: postings[index].side,
                amountFen: postings[index].amountFen, dimensions: postings[index].dimensions, memo: postings[index].memo)
        }
    }

}
