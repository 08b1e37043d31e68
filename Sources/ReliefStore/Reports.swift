public import Postgres
public import ReliefCore

/// Read queries over the books. Each runs on the connection it is given.
public enum Reports {
    /// The chart of a book.
    public static func accounts(_ c: isolated Connection, bookID: Int) throws -> [Account] {
        try c.query(
            "SELECT id, code, name, category, normal_side FROM relief.accounts WHERE book_id = $1 ORDER BY code",
            [bookID]
        ).rows.map { row in
            Account(
                id: try row.decode(Int.self, at: 0), code: try row.decode(String.self, at: 1),
                name: try row.decode(String.self, at: 2), category: try row.decode(String.self, at: 3),
                normalSide: Side(rawValue: try row.decode(String.self, at: 4)) ?? .debit)
        }
    }

    /// The id of a book; throws ``LedgerError/unknownBook(_:)``.
    public static func bookID(_ c: isolated Connection, code: String) throws -> Int {
        guard let row = try c.query("SELECT id FROM relief.books WHERE code = $1", [code]).rows.first else {
            throw LedgerError.unknownBook(code)
        }
        return try row.decode(Int.self, at: 0)
    }

    /// The postings of the entry at chain position `seq`, as drafts (codes, sides, amounts).
    public static func postings(_ c: isolated Connection, bookCode: String, seq: Int64) throws -> [PostingDraft] {
        try c.query(
            """
            SELECT a.code, p.side, p.amount_fen, de.code, ds.code, dt.code, dc.code, dh.code, dp.code, p.memo
            FROM relief.entries e
            JOIN relief.books b ON b.id = e.book_id
            JOIN relief.postings p ON p.entry_id = e.id
            JOIN relief.accounts a ON a.id = p.account_id
            LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id
            LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
            LEFT JOIN relief.dimension_values dt ON dt.id = p.township_id
            LEFT JOIN relief.dimension_values dc ON dc.id = p.category_id
            LEFT JOIN relief.dimension_values dh ON dh.id = p.channel_id
            LEFT JOIN relief.dimension_values dp ON dp.id = p.program_id
            WHERE b.code = $1 AND e.seq = $2
            ORDER BY p.line
            """, [bookCode, seq]
        ).rows.map { row in
            PostingDraft(
                accountCode: try row.decode(String.self, at: 0),
                side: Side(rawValue: try row.decode(String.self, at: 1)) ?? .debit,
                amount: Money(fen: try row.decode(Int64.self, at: 2)),
                dimensions: Dimensions(
                    enterprise: try row.decodeOptional(String.self, at: 3), supplier: try row.decodeOptional(String.self, at: 4),
                    township: try row.decodeOptional(String.self, at: 5), category: try row.decodeOptional(String.self, at: 6),
                    channel: try row.decodeOptional(String.self, at: 7), program: try row.decodeOptional(String.self, at: 8)),
                memo: try row.decodeOptional(String.self, at: 9))
        }
    }

    /// The chain position of the entry with voucher `number` in `period`.
    public static func seq(_ c: isolated Connection, bookCode: String, period: Period, voucherNumber: Int) throws -> Int64? {
        try c.query(
            """
            SELECT e.seq FROM relief.entries e JOIN relief.books b ON b.id = e.book_id
            WHERE b.code = $1 AND e.period = $2 AND e.voucher_no = $3
            """, [bookCode, period.yyyymm, voucherNumber]
        ).rows.first.map { try $0.decode(Int64.self, at: 0) }
    }

    /// An account's balance on its normal side, with its debit and credit totals, through `asOf`
    /// (inclusive; nil: everything). Whole months come from account_balances, the rest from postings.
    public static func balance(_ c: isolated Connection, bookCode: String, accountCode: String, asOf: LocalDate?)
        throws -> (account: Account, debitFen: Int64, creditFen: Int64)
    {
        let bookID = try bookID(c, code: bookCode)
        guard let account = try accounts(c, bookID: bookID).first(where: { $0.code == accountCode }) else {
            throw LedgerError.unknownAccount(accountCode)
        }
        let row = try c.query(
            """
            WITH months AS (
                SELECT coalesce(sum(debit_fen), 0) AS d, coalesce(sum(credit_fen), 0) AS c
                FROM relief.account_balances
                WHERE book_id = $1 AND account_id = $2 AND ($3::integer IS NULL OR period < $3)
            ), days AS (
                SELECT coalesce(sum(CASE WHEN p.side = 'D' THEN CASE WHEN e.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END END), 0) AS d,
                       coalesce(sum(CASE WHEN p.side = 'C' THEN CASE WHEN e.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END END), 0) AS c
                FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id
                WHERE $3::integer IS NOT NULL AND p.account_id = $2 AND e.book_id = $1
                  AND e.period = $3 AND e.entry_date <= $4::date
            )
            SELECT (months.d + days.d)::bigint, (months.c + days.c)::bigint FROM months, days
            """, [bookID, account.id, asOf?.period.yyyymm, asOf?.description]
        ).single()
        return (account, try row.decode(Int64.self, at: 0), try row.decode(Int64.self, at: 1))
    }

    /// The 科目余额表 of `period` from the per-account, per-month totals.
    public static func trialBalance(_ c: isolated Connection, bookCode: String, period: Period) throws -> TrialBalance {
        let bookID = try bookID(c, code: bookCode)
        let accounts = try accounts(c, bookID: bookID)
        var opening: [Int: Int64] = [:]
        var debit: [Int: Int64] = [:]
        var credit: [Int: Int64] = [:]
        let rows = try c.query(
            """
            SELECT account_id,
                   coalesce(sum(debit_fen - credit_fen) FILTER (WHERE period < $2), 0)::bigint,
                   coalesce(sum(debit_fen) FILTER (WHERE period = $2), 0)::bigint,
                   coalesce(sum(credit_fen) FILTER (WHERE period = $2), 0)::bigint
            FROM relief.account_balances WHERE book_id = $1 AND period <= $2
            GROUP BY account_id
            """, [bookID, period.yyyymm]
        ).rows
        for row in rows {
            let id = try row.decode(Int.self, at: 0)
            opening[id] = try row.decode(Int64.self, at: 1)
            debit[id] = try row.decode(Int64.self, at: 2)
            credit[id] = try row.decode(Int64.self, at: 3)
        }
        return TrialBalance(period: period, accounts: accounts, openingNetFen: opening, debitFen: debit, creditFen: credit)
    }

    /// The latest month with entries, or nil for empty books.
    public static func latestPeriod(_ c: isolated Connection, bookCode: String) throws -> Period? {
        let row = try c.query(
            "SELECT max(e.period) FROM relief.entries e JOIN relief.books b ON b.id = e.book_id WHERE b.code = $1",
            [bookCode]
        ).single()
        return try row.decodeOptional(Int.self, at: 0).flatMap { Period(yyyymm: $0) }
    }
}
