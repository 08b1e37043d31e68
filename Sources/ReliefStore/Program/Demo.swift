public import Postgres
public import ReliefCore

/// Loads ``DemoData`` through the same import, posting and subsidy paths that files and clerks use.
public enum Demo {
    /// The demo program's code.
    public static let programCode = "xe2020"
    /// The demo's finance preparer and approver (maker-checker needs two people).
    public static let preparer = "finance:张会计"
    /// The demo's approver.
    public static let approver = "finance:李主任"

    /// The demo's logins, one per role; the password of each is `demo-` followed by the login.
    /// For trying the product only: a real deployment adds its own users with `relief user add`.
    public static let logins: [(login: String, name: String, role: Role)] = [
        ("admin", "系统管理员", .admin), ("finance-zhang", "张会计（制单）", .financePreparer),
        ("finance-li", "李主任（审核）", .financeApprover), ("clerk-01", "企业录入员", .enterpriseClerk), ("auditor", "审计员", .auditor),
    ]

    /// What the demo loaded.
    public struct Summary: Sendable {
        public var enterprises = 0
        public var purchases = 0
        public var ineligibleLines = 0
        public var batches = 0
    }

    /// The program, its unions, enterprises, suppliers, products and subsidy rule of `data` (no
    /// purchases, no entries); returns the enterprises created. The benchmark imports its own
    /// purchases on top of this.
    public static func loadMasterData(_ c: isolated Connection, _ data: DemoData) throws -> Int {
        try Programs.setup(c, Programs.Setup(
            code: programCode, name: "2020年荆州市总工会对口帮扶宣恩县消费帮扶", operatorCode: "jz-zgh", operatorName: "荆州市总工会",
            pairedCounty: "宣恩县", noticeNumber: "荆工发〔2020〕12号", startsOn: LocalDate(year: 2020, month: 1, day: 1)!,
            endsOn: LocalDate(year: 2020, month: 12, day: 31)!, townships: DemoData.townships))
        for union in data.unions {
            try Programs.addUnion(c, code: union.code, name: union.name, kind: union.kind, parentCode: "jz-zgh", region: union.region)
        }
        let enterprises = try MasterData.importEnterprises(c, data.enterprises).created
        _ = try MasterData.importSuppliers(c, data.suppliers)
        _ = try MasterData.importProducts(c, data.products)
        try Subsidies.addRule(c, programCode: programCode, rule: data.rule)
        return enterprises
    }

    /// Loads the demo into an empty program database; refuses when the demo program exists.
    public static func load(_ c: isolated Connection, volume: DemoData.Volume = .seed, progress: (String) -> Void = { _ in }) throws -> Summary {
        if try !c.query("SELECT 1 FROM relief.programs WHERE code = $1", [programCode]).rows.isEmpty {
            throw SubsidyError(message: "the demo program \(programCode) is already loaded; use an empty database (RELIEF_HOME=… or another DATABASE_URL)")
        }
        let data = DemoData(volume: volume)
        var summary = Summary()
        summary.enterprises = try loadMasterData(c, data)
        progress("master data loaded")
        try c.transactionIsolated { t in
            _ = try MasterData.dimensionID(t, kind: "program", code: programCode, name: programCode)
            _ = try PostingWriter.post(t, bookCode: "main", actorName: preparer, drafts: [
                EntryDraft(
                    idempotencyKey: "demo:fund-received", date: LocalDate(year: 2020, month: 1, day: 6)!,
                    description: "收到湖北省总工会消费帮扶补助资金",
                    postings: [
                        PostingDraft(accountCode: "102", side: .debit, amount: Money(fen: data.fundFen), dimensions: Dimensions(program: programCode)),
                        PostingDraft(accountCode: "403", side: .credit, amount: Money(fen: data.fundFen), dimensions: Dimensions(program: programCode)),
                    ])
            ])
        }
        for table in [data.purchasesEarly, data.purchasesMay] {
            let imported = try Purchases.importPurchases(c, table, programCode: programCode, actorName: preparer)
            summary.purchases += imported.created
            summary.ineligibleLines += imported.ineligibleLines
            progress("\(table.fileName): \(imported)")
        }
        for month in 1...5 {
            let period = Period(year: 2020, month: month)!
            let batch = try Subsidies.prepare(c, programCode: programCode, period: period, actorName: preparer)
            try Subsidies.approve(c, batchID: batch, actorName: approver)
            _ = try Subsidies.pay(c, batchID: batch, actorName: preparer, date: period.lastDay)
            summary.batches += 1
        }
        progress("subsidies computed, approved and paid for 2020-01 … 2020-05")
        _ = try BankReconciliation.importStatement(c, try bankStatement(c), bookCode: "main", actorName: preparer)
        progress("bank statement for 2020-01 … 2020-05 imported")
        for login in logins {
            let enterprise = login.role == .enterpriseClerk ? data.enterprises.rows[0].cells[0] : nil
            try Access.addUser(c, login: login.login, displayName: login.name, role: login.role, enterpriseCreditCode: enterprise, password: "demo-\(login.login)")
        }
        progress("demo logins: " + logins.map { "\($0.login) (\($0.role.rawValue))" }.joined(separator: ", ") + "; password demo-<login>")
        return summary
    }

    /// The bank's statement of account 102 as the bank would export it: receipts as 贷方发生额,
    /// payments as 借方发生额 with the payment reference in 附言, a running 余额.
    static func bankStatement(_ c: isolated Connection) throws -> Table {
        let rows = try c.query(
            """
            SELECT e.entry_date::text, p.side, p.amount_fen, coalesce(en.union_name, '湖北省总工会'), coalesce(en.bank_account, '4200000000000001'),
                   CASE WHEN e.idempotency_key LIKE 'subsidy:pay:%' THEN 'RL-B' || split_part(e.idempotency_key, ':', 3) || '-' || coalesce(d.code, '') ELSE '消费帮扶补助资金' END
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id JOIN relief.accounts a ON a.id = p.account_id
            LEFT JOIN relief.dimension_values d ON d.id = p.enterprise_id LEFT JOIN relief.enterprises en ON en.dimension_id = d.id
            WHERE a.code = '102' ORDER BY e.entry_date, e.seq, p.line
            """
        ).rows
        var balance: Int64 = 0
        var lines: [TableRow] = []
        for (index, row) in rows.enumerated() {
            let amount = try row.decode(Int64.self, at: 2)
            let isIn = try row.decode(String.self, at: 1) == "D"
            balance += isIn ? amount : -amount
            lines.append(TableRow(line: index + 2, cells: [
                try row.decode(String.self, at: 0).replacingOccurrences(of: "-", with: ""), isIn ? "来账" : "代发补助",
                isIn ? "" : Money(fen: amount).plain, isIn ? Money(fen: amount).plain : "", Money(fen: balance).plain,
                try row.decode(String.self, at: 3), try row.decode(String.self, at: 4), try row.decode(String.self, at: 5),
            ]))
        }
        return Table(fileName: "demo-bank-statement", headers: ["交易日期", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名", "对方账号", "附言"], rows: lines)
    }
}
