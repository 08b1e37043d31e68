public import Postgres
public import ReliefCore

/// What the journal browser filters on. Every field is optional; nil means "any".
public struct JournalFilter: Sendable, Equatable {
    /// Entries of this month.
    public var period: Period?
    /// Entries with a posting to this account or one of its sub-accounts (code prefix).
    public var accountCode: String?
    /// Entries with a posting tagged with this enterprise's credit code.
    public var enterprise: String?
    /// Entries with a posting tagged with this supplier's credit code.
    public var supplier: String?
    /// The voucher number (记字第 N 号) within the period.
    public var voucherNumber: Int?
    /// Only entries after this chain position (the next page).
    public var afterSeq: Int64?

    /// Makes a filter.
    public init(
        period: Period? = nil, accountCode: String? = nil, enterprise: String? = nil, supplier: String? = nil, voucherNumber: Int? = nil,
        afterSeq: Int64? = nil
    ) {
        self.period = period
        self.accountCode = accountCode
        self.enterprise = enterprise
        self.supplier = supplier
        self.voucherNumber = voucherNumber
        self.afterSeq = afterSeq
    }
}

/// One posting as the journal browser shows it.
public struct JournalPostingView: Sendable, Encodable, Equatable {
    public var line: Int
    public var accountCode: String
    public var accountName: String
    public var side: String
    public var amountFen: Int64
    public var enterprise: String?
    public var supplier: String?
    public var memo: String?
}

/// One entry with all its postings.
public struct JournalEntryView: Sendable, Encodable, Equatable {
    public var seq: Int64
    public var period: String
    public var voucher: String
    public var date: String
    public var description: String
    public var createdBy: String
    public var reversesSeq: Int64?
    public var hash: String
    public var postings: [JournalPostingView]
}

/// The journal browser's query: whole entries (every posting) of which at least one posting
/// matches the filter, in chain order. Row-level security applies: a clerk sees only entries
/// with its own enterprise's postings, and only those postings.
public enum JournalSearch {
    /// The most entries one page returns.
    public static let maximumEntries = 500

    /// Entries of `bookCode` matching `filter`, at most `limit` (capped at ``maximumEntries``).
    public static func entries(_ c: isolated Connection, bookCode: String, filter: JournalFilter, limit: Int) throws -> [JournalEntryView] {
        let count = max(1, min(limit, maximumEntries))
        let rows = try c.query(
            """
            WITH picked AS (
                SELECT e.id FROM relief.entries e JOIN relief.books b ON b.id = e.book_id
                WHERE b.code = $1
                  AND ($2::integer IS NULL OR e.period = $2)
                  AND ($3::integer IS NULL OR e.voucher_no = $3)
                  AND ($4::bigint IS NULL OR e.seq > $4)
                  AND ($5::text IS NULL OR EXISTS (
                      SELECT 1 FROM relief.postings p JOIN relief.accounts a ON a.id = p.account_id
                      WHERE p.entry_id = e.id AND left(a.code, length($5)) = $5))
                  AND ($6::text IS NULL OR EXISTS (
                      SELECT 1 FROM relief.postings p JOIN relief.dimension_values d ON d.id = p.enterprise_id
                      WHERE p.entry_id = e.id AND d.code = $6))
                  AND ($7::text IS NULL OR EXISTS (
                      SELECT 1 FROM relief.postings p JOIN relief.dimension_values d ON d.id = p.supplier_id
                      WHERE p.entry_id = e.id AND d.code = $7))
                ORDER BY e.seq LIMIT $8
            )
            SELECT e.seq, e.period, e.voucher_no, e.entry_date::text, e.description, e.created_by, r.seq, encode(e.hash, 'hex'),
                   p.line, a.code, a.name, p.side::text, p.amount_fen, de.code, ds.code, p.memo
            FROM picked k JOIN relief.entries e ON e.id = k.id
            LEFT JOIN relief.entries r ON r.id = e.reverses_id
            JOIN relief.postings p ON p.entry_id = e.id
            JOIN relief.accounts a ON a.id = p.account_id
            LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id
            LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
            ORDER BY e.seq, p.line
            """,
            [bookCode, filter.period?.yyyymm, filter.voucherNumber, filter.afterSeq, filter.accountCode, filter.enterprise, filter.supplier, count])
        var entries: [JournalEntryView] = []
        for row in rows.rows {
            let seq = try row.decode(Int64.self, at: 0)
            if entries.last?.seq != seq {
                let period = Period(yyyymm: try row.decode(Int.self, at: 1))
                entries.append(JournalEntryView(
                    seq: seq, period: period?.description ?? "", voucher: "记-\(try row.decode(Int.self, at: 2))",
                    date: try row.decode(String.self, at: 3), description: try row.decode(String.self, at: 4),
                    createdBy: try row.decode(String.self, at: 5), reversesSeq: try row.decodeOptional(Int64.self, at: 6),
                    hash: try row.decode(String.self, at: 7), postings: []))
            }
            entries[entries.count - 1].postings.append(JournalPostingView(
                line: try row.decode(Int.self, at: 8), accountCode: try row.decode(String.self, at: 9), accountName: try row.decode(String.self, at: 10),
                side: try row.decode(String.self, at: 11), amountFen: try row.decode(Int64.self, at: 12),
                enterprise: try row.decodeOptional(String.self, at: 13), supplier: try row.decodeOptional(String.self, at: 14),
                memo: try row.decodeOptional(String.self, at: 15)))
        }
        return entries
    }
}
