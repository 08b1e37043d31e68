public import Postgres
public import ReliefCore

/// The books' reports as ``Report`` models (rendered as table, CSV, JSON or XLSX by the caller).
public enum BookReports {
    /// 科目余额表 as a report.
    public static func trialBalance(_ c: isolated Connection, bookCode: String, period: Period) throws -> Report {
        let balance = try Reports.trialBalance(c, bookCode: bookCode, period: period)
        func row(_ r: TrialBalanceRow) -> [Report.Value] {
            [.text(r.code), .text(r.name), .fen(r.openingDebitFen), .fen(r.openingCreditFen), .fen(r.debitFen), .fen(r.creditFen), .fen(r.closingDebitFen), .fen(r.closingCreditFen)]
        }
        return Report(
            title: "科目余额表 \(period)",
            columns: [
                .init("code", "科目编码", .code), .init("name", "科目名称"), .init("opening_debit_fen", "期初借方", .money),
                .init("opening_credit_fen", "期初贷方", .money), .init("debit_fen", "本期借方", .money), .init("credit_fen", "本期贷方", .money),
                .init("closing_debit_fen", "期末借方", .money), .init("closing_credit_fen", "期末贷方", .money),
            ],
            rows: balance.rows.map(row), totals: row(balance.totals),
            notes: [balance.isBalanced ? "借贷平衡" : "！！借贷不平衡：请运行 relief verify"])
    }

    /// 序时账: every posting of the period in voucher order.
    public static func journal(_ c: isolated Connection, bookCode: String, period: Period) throws -> Report {
        var report = Report(
            title: "序时账 \(period)",
            columns: [
                .init("date", "日期"), .init("voucher", "凭证号", .code), .init("description", "摘要"), .init("account", "科目", .code),
                .init("account_name", "科目名称"), .init("debit_fen", "借方", .money), .init("credit_fen", "贷方", .money), .init("red", "红字"),
            ])
        var debit: Int64 = 0
        var credit: Int64 = 0
        try JournalStream.forEach(c, bookCode: bookCode, periods: period...period) { entry in
            for posting in entry.postings {
                let amount = posting.isRed ? -posting.amountFen : posting.amountFen
                if posting.side == .debit { debit += amount } else { credit += amount }
                report.rows.append([
                    .text(entry.date.description), .text("记-\(entry.voucherReference)"), .text(entry.description), .text(posting.account.code),
                    .text(posting.account.name), posting.side == .debit ? .fen(amount) : .empty, posting.side == .credit ? .fen(amount) : .empty,
                    .text(posting.isRed ? "红字" : ""),
                ])
            }
        }
        report.rows.sort { (a, b) in
            if case .text(let x) = a[1], case .text(let y) = b[1] { return x.localizedStandardCompare(y) == .orderedAscending }
            return false
        }
        report.totals = [.text("合计"), .empty, .empty, .empty, .empty, .fen(debit), .fen(credit), .empty]
        return report
    }

    /// 明细账 of one account, optionally for one enterprise: opening, every posting with a running
    /// balance on the account's normal side, closing; totals in 大写.
    public static func accountLedger(
        _ c: isolated Connection, bookCode: String, accountCode: String, period: Period, enterprise: String? = nil
    ) throws -> Report {
        let bookID = try Reports.bookID(c, code: bookCode)
        guard let account = try Reports.accounts(c, bookID: bookID).first(where: { $0.code == accountCode }) else {
            throw LedgerError.unknownAccount(accountCode)
        }
        let sign: Int64 = account.normalSide == .debit ? 1 : -1
        let openingRow = try c.query(
            """
            SELECT coalesce(sum(CASE WHEN p.side = 'D' THEN s.v ELSE -s.v END), 0)::bigint
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id LEFT JOIN relief.dimension_values d ON d.id = p.enterprise_id,
            LATERAL (SELECT CASE WHEN e.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END AS v) s
            WHERE e.book_id = $1 AND p.account_id = $2 AND e.period < $3 AND ($4::text IS NULL OR d.code = $4)
            """, [bookID, account.id, period.yyyymm, enterprise]
        ).single()
        let opening = try openingRow.decode(Int64.self, at: 0) * sign
        var balance = opening
        var debit: Int64 = 0
        var credit: Int64 = 0
        /// 借/贷/平 of a balance expressed on the account's normal side (positive: on that side).
        func sideLabel(_ value: Int64) -> String {
            value == 0 ? "平" : (value > 0 ? account.normalSide.chinese : (account.normalSide == .debit ? "贷" : "借"))
        }
        var report = Report(
            title: "明细账 \(account.code) \(account.name) \(period)" + (enterprise.map { " · \($0)" } ?? ""),
            columns: [
                .init("date", "日期"), .init("voucher", "凭证号", .code), .init("description", "摘要"), .init("debit_fen", "借方", .money),
                .init("credit_fen", "贷方", .money), .init("direction", "方向"), .init("balance_fen", "余额", .money),
            ],
            rows: [[.empty, .empty, .text("期初余额"), .empty, .empty, .text(sideLabel(opening)), .fen(abs(opening))]])
        // Only this account's postings of the month (index postings_by_account), in chain order.
        let rows = try c.query(
            """
            SELECT e.entry_date::text, e.voucher_no, e.description, e.reverses_id IS NOT NULL, p.side::text, p.amount_fen
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id LEFT JOIN relief.dimension_values d ON d.id = p.enterprise_id
            WHERE p.account_id = $2 AND e.book_id = $1 AND e.period = $3 AND ($4::text IS NULL OR d.code = $4)
            ORDER BY e.seq, p.line
            """, [bookID, account.id, period.yyyymm, enterprise]
        ).rows
        for row in rows {
            let isRed = try row.decode(Bool.self, at: 3)
            let isDebit = try row.decode(String.self, at: 4) == "D"
            let amountFen = try row.decode(Int64.self, at: 5)
            let amount = isRed ? -amountFen : amountFen
            if isDebit { debit += amount } else { credit += amount }
            balance += (isDebit ? amount : -amount) * sign
            report.rows.append([
                .text(try row.decode(String.self, at: 0)), .text("记-\(period)/\(try row.decode(Int.self, at: 1))"),
                .text(try row.decode(String.self, at: 2) + (isRed ? "（红字）" : "")),
                isDebit ? .fen(amount) : .empty, isDebit ? .empty : .fen(amount), .text(sideLabel(balance)), .fen(abs(balance)),
            ])
        }
        report.totals = [.empty, .empty, .text("本期合计 / 期末余额"), .fen(debit), .fen(credit), .text(sideLabel(balance)), .fen(abs(balance))]
        report.notes = [
            "本期借方合计（大写）：\(CapitalAmount.text(fen: debit))",
            "本期贷方合计（大写）：\(CapitalAmount.text(fen: credit))",
            "期末余额（大写）：\(CapitalAmount.text(fen: abs(balance)))",
        ]
        return report
    }

    /// 对账单: an enterprise union's statement of its subsidy payable (215): opening, approvals and
    /// payments in the period, closing, with totals in 大写.
    public static func enterpriseStatement(_ c: isolated Connection, bookCode: String, enterprise: String, period: Period) throws -> Report {
        guard let name = try c.query("SELECT name || '（' || union_name || '）' FROM relief.enterprises WHERE credit_code = $1", [enterprise]).rows.first else {
            throw SubsidyError(message: "unknown enterprise \(enterprise)")
        }
        var report = try accountLedger(c, bookCode: bookCode, accountCode: "215", period: period, enterprise: enterprise)
        report.title = "对账单 \(try name.decode(String.self, at: 0)) \(enterprise) \(period) · 其他应付款（补助）"
        return report
    }

    /// 总账: each account's opening, monthly debits and credits, and closing, for the year through `period`.
    public static func generalLedger(_ c: isolated Connection, bookCode: String, period: Period) throws -> Report {
        let bookID = try Reports.bookID(c, code: bookCode)
        let accounts = try Reports.accounts(c, bookID: bookID)
        let rows = try c.query(
            """
            SELECT account_id, period, debit_fen, credit_fen FROM relief.account_balances
            WHERE book_id = $1 AND period <= $2 ORDER BY account_id, period
            """, [bookID, period.yyyymm]
        ).rows
        var byAccount: [Int: [(period: Int, debit: Int64, credit: Int64)]] = [:]
        for row in rows {
            byAccount[try row.decode(Int.self, at: 0), default: []].append((try row.decode(Int.self, at: 1), try row.decode(Int64.self, at: 2), try row.decode(Int64.self, at: 3)))
        }
        let yearStart = period.year * 100 + 1
        var report = Report(
            title: "总账 \(period.year)年1月至\(period.month)月",
            columns: [
                .init("code", "科目编码", .code), .init("name", "科目名称"), .init("period", "期间"), .init("debit_fen", "借方", .money),
                .init("credit_fen", "贷方", .money), .init("direction", "方向"), .init("balance_fen", "余额", .money),
            ])
        for account in accounts {
            let sign: Int64 = account.normalSide == .debit ? 1 : -1
            let movements = byAccount[account.id] ?? []
            var balance = movements.filter { $0.period < yearStart }.reduce(Int64(0)) { $0 + ($1.debit - $1.credit) * sign }
            func direction(_ value: Int64) -> String { value == 0 ? "平" : (value > 0 ? account.normalSide.chinese : (account.normalSide == .debit ? "贷" : "借")) }
            report.rows.append([.text(account.code), .text(account.name), .text("年初余额"), .empty, .empty, .text(direction(balance)), .fen(abs(balance))])
            for month in movements where month.period >= yearStart {
                balance += (month.debit - month.credit) * sign
                let label = Period(yyyymm: month.period)?.description ?? String(month.period)
                report.rows.append([.text(account.code), .text(account.name), .text(label), .fen(month.debit), .fen(month.credit), .text(direction(balance)), .fen(abs(balance))])
            }
        }
        return report
    }
}
