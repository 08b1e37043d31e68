import Foundation
public import Postgres
public import ReliefCore

/// A subsidy batch as stored.
public struct SubsidyBatch: Sendable {
    /// Batch id.
    public var id: Int
    /// The month it covers.
    public var period: Period
    /// prepared, approved or paid.
    public var status: String
    /// Who prepared it.
    public var preparedBy: String
    /// Who approved it.
    public var approvedBy: String?
    /// Total of its items.
    public var totalFen: Int64
}

/// One line of a payment file.
public struct PaymentLine: Sendable, Hashable {
    /// The enterprise union (payee).
    public var payee: String
    /// Its bank.
    public var bankName: String
    /// Its account number.
    public var bankAccount: String
    /// The amount.
    public var amountFen: Int64
    /// Reference for the bank statement: batch and enterprise.
    public var reference: String
}

/// Subsidies: computed by the versioned rule, prepared by one person, approved by another
/// (PostgreSQL refuses the preparer), paid with a payment file; the bank account never goes
/// below zero.
public enum Subsidies {
    /// Enterprises per approval or payment entry (two postings each, under the posting limit).
    static let enterprisesPerEntry = EntryDraft.maximumPostings / 2

    /// The longest reason a clawback may give.
    public static let maximumReasonLength = 200

    /// Adds a rule version to a program.
    public static func addRule(_ c: isolated Connection, programCode: String, rule: SubsidyRule) throws {
        do {
            try rule.validate()
        } catch {
            throw SubsidyError(message: "\(error)")
        }
        let program = try ProgramContext.load(c, code: programCode)
        try c.query(
            """
            INSERT INTO relief.subsidy_rules (tenant_id, program_id, version, rate_basis_points, per_member_cap_fen,
                                              per_enterprise_cap_fen, eligible_channels, effective_from)
            VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::date)
            ON CONFLICT (program_id, version) DO NOTHING
            """,
            [MasterData.tenantID, program.id, rule.version, rule.rateBasisPoints, rule.perMemberCapFen, rule.perEnterpriseCapFen,
             PostgresArray.text(rule.eligibleChannels.sorted()), rule.effectiveFrom.description])
    }

    /// The newest rule version in effect on `date`.
    static func rule(_ c: isolated Connection, programID: Int, on date: LocalDate) throws -> (id: Int, rule: SubsidyRule) {
        guard let row = try c.query(
            """
            SELECT id, version, rate_basis_points, per_member_cap_fen, per_enterprise_cap_fen, array_to_string(eligible_channels, '|'), effective_from::text
            FROM relief.subsidy_rules WHERE program_id = $1 AND effective_from <= $2::date ORDER BY version DESC LIMIT 1
            """, [programID, date.description]
        ).rows.first else {
            throw SubsidyError(message: "no subsidy rule is in effect on \(date); add one with `relief subsidy rule`")
        }
        let loaded = (
            try row.decode(Int.self, at: 0),
            SubsidyRule(
                version: try row.decode(Int.self, at: 1), rateBasisPoints: try row.decode(Int.self, at: 2),
                perMemberCapFen: try row.decode(Int64.self, at: 3), perEnterpriseCapFen: try row.decode(Int64.self, at: 4),
                eligibleChannels: Set(try row.decode(String.self, at: 5).split(separator: "|").map(String.init)),
                effectiveFrom: LocalDate(parsing: try row.decode(String.self, at: 6))!)
        )
        do {
            try loaded.1.validate()
        } catch {
            throw SubsidyError(message: "subsidy rule version \(loaded.1.version) is invalid: \(error)")
        }
        return loaded
    }

    /// Proposes each enterprise's subsidy for `period`, with the working shown.
    public static func compute(_ c: isolated Connection, programCode: String, period: Period) throws -> (rule: SubsidyRule, proposals: [SubsidyProposal], fundRemainingFen: Int64) {
        let program = try ProgramContext.load(c, code: programCode)
        let (_, rule) = try rule(c, programID: program.id, on: period.lastDay)
        let rows = try c.query(
            """
            SELECT e.credit_code,
                   coalesce((SELECT sum(l.amount_fen) FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id
                             WHERE p.enterprise_id = e.id AND p.program_id = $1 AND l.eligible
                               AND p.purchase_date BETWEEN $2::date AND $3::date AND p.channel = ANY ($4::text[])), 0)::bigint,
                   coalesce((SELECT y.members FROM relief.enterprise_years y WHERE y.enterprise_id = e.id AND y.year = $5), 0),
                   coalesce((SELECT sum(i.amount_fen) FROM relief.subsidy_items i JOIN relief.subsidy_batches b ON b.id = i.batch_id
                             WHERE i.enterprise_id = e.id AND b.program_id = $1 AND b.status <> 'prepared' AND b.period / 100 = $5
                               AND b.period < $7), 0)::bigint
            FROM relief.enterprises e WHERE e.tenant_id = $6 ORDER BY e.credit_code
            """,
            [program.id, period.firstDay.description, period.lastDay.description, PostgresArray.text(rule.eligibleChannels.sorted()),
             period.year, MasterData.tenantID, period.yyyymm]
        ).rows
        let inputs = try rows.map { row in
            SubsidyInput(
                enterpriseCode: try row.decode(String.self, at: 0), eligibleAmountFen: try row.decode(Int64.self, at: 1),
                members: try row.decode(Int.self, at: 2), alreadyApprovedFen: try row.decode(Int64.self, at: 3))
        }
        let fund = try fundRemaining(c, bookCode: program.bookCode)
        return (rule, SubsidyFormula.propose(rule: rule, inputs: inputs, fundRemainingFen: fund), fund)
    }

    /// What the fund has received (403) less what has been approved (508), in fen.
    static func fundRemaining(_ c: isolated Connection, bookCode: String) throws -> Int64 {
        try c.query(
            """
            SELECT (coalesce(sum(ab.credit_fen - ab.debit_fen) FILTER (WHERE a.code = '403'), 0)
                  - coalesce(sum(ab.debit_fen - ab.credit_fen) FILTER (WHERE a.code = '508'), 0))::bigint
            FROM relief.account_balances ab JOIN relief.accounts a ON a.id = ab.account_id JOIN relief.books b ON b.id = ab.book_id
            WHERE b.code = $1
            """, [bookCode]
        ).single().decode(Int64.self, at: 0)
    }

    /// Prepares the batch of `period` from the computed proposals (amounts above zero).
    public static func prepare(_ c: isolated Connection, programCode: String, period: Period, actorName: String) throws -> Int {
        let (rule, proposals, _) = try compute(c, programCode: programCode, period: period)
        let program = try ProgramContext.load(c, code: programCode)
        let (ruleID, _) = try self.rule(c, programID: program.id, on: period.lastDay)
        if let existing = try c.query("SELECT id, status FROM relief.subsidy_batches WHERE program_id = $1 AND period = $2", [program.id, period.yyyymm]).rows.first {
            throw SubsidyError(message: "batch \(try existing.decode(Int.self, at: 0)) already covers \(period) (\(try existing.decode(String.self, at: 1))); one batch per month")
        }
        guard proposals.contains(where: { $0.amountFen > 0 }) else {
            throw SubsidyError(message: "no enterprise is entitled to a subsidy for \(period) under rule version \(rule.version)")
        }
        return try c.transactionIsolated { t in
            let batchID = try t.query(
                "INSERT INTO relief.subsidy_batches (tenant_id, program_id, period, rule_id, status, prepared_by) VALUES ($1, $2, $3, $4, 'prepared', $5) RETURNING id",
                [MasterData.tenantID, program.id, period.yyyymm, ruleID, actorName]
            ).single().decode(Int.self, at: 0)
            let encoder = JSONEncoder()
            for proposal in proposals where proposal.amountFen > 0 {
                try t.query(
                    """
                    INSERT INTO relief.subsidy_items (batch_id, enterprise_id, tenant_id, amount_fen, working)
                    SELECT $1, e.id, $2, $3, $4::jsonb FROM relief.enterprises e WHERE e.tenant_id = $2 AND e.credit_code = $5
                    """,
                    [batchID, MasterData.tenantID, proposal.amountFen, String(decoding: try encoder.encode(proposal), as: UTF8.self), proposal.enterpriseCode])
            }
            return batchID
        }
    }

    /// Approves a batch as `actorName`: posts 借 508 / 贷 215 per enterprise and marks it approved,
    /// in one transaction. PostgreSQL refuses when the actor prepared the batch or when the
    /// approvals would exceed the fund received.
    public static func approve(_ c: isolated Connection, batchID: Int, actorName: String) throws {
        try c.transactionIsolated { t in
            try t.query("SELECT set_config('relief.actor', $1, true)", [actorName])
            let batch = try load(t, batchID: batchID, lock: true)
            guard batch.status == "prepared" else { throw SubsidyError(message: "batch \(batchID) is \(batch.status), not prepared") }
            guard batch.preparedBy != actorName else {
                throw SubsidyError(message: "\(actorName) prepared batch \(batchID) and may not approve it (maker-checker); a different finance approver must")
            }
            let items = try self.items(t, batchID: batchID)
            let drafts = entries(items, batch: batch, kind: "approve", debit: "508", credit: "215", description: "核定\(batch.period)消费帮扶补助（批次\(batchID)）", date: batch.period.lastDay)
            let posted = try PostingWriter.post(t, bookCode: try bookCode(t, batchID: batchID), actorName: actorName, drafts: drafts)
            try link(t, batchID: batchID, items: items, posted: posted, column: "approval_entry_id")
            try t.query("SELECT relief.approve_subsidy_batch($1)", [batchID])
        }
    }

    /// Pays an approved batch: posts 借 215 / 贷 102 per enterprise and returns the payment file's
    /// lines. PostgreSQL refuses when the bank account would go below zero.
    public static func pay(_ c: isolated Connection, batchID: Int, actorName: String, date: LocalDate) throws -> [PaymentLine] {
        try c.transactionIsolated { t in
            let batch = try load(t, batchID: batchID, lock: true)
            guard batch.status == "approved" else { throw SubsidyError(message: "batch \(batchID) is \(batch.status); only an approved batch can be paid") }
            let items = try self.items(t, batchID: batchID)
            if let missing = items.first(where: { $0.bankAccount == nil }) {
                throw SubsidyError(message: "\(missing.unionName) (\(missing.creditCode)) has no bank account; import it with the enterprises (开户银行, 银行账号)")
            }
            // Swift's check; PostgreSQL checks again under the book lock (RL040), which is what
            // stops a payment racing this one.
            let bank = try Reports.balance(t, bookCode: try bookCode(t, batchID: batchID), accountCode: "102", asOf: nil)
            guard bank.debitFen - bank.creditFen >= batch.totalFen else {
                throw SubsidyError(message: "the bank account holds \(Money(fen: bank.debitFen - bank.creditFen).formatted), less than batch \(batchID)'s \(Money(fen: batch.totalFen).formatted); account 102 银行存款 would go negative")
            }
            let drafts = entries(items, batch: batch, kind: "pay", debit: "215", credit: "102", description: "拨付\(batch.period)消费帮扶补助（批次\(batchID)）", date: date)
            let posted = try PostingWriter.post(t, bookCode: try bookCode(t, batchID: batchID), actorName: actorName, drafts: drafts)
            try link(t, batchID: batchID, items: items, posted: posted, column: "payment_entry_id")
            try t.query("UPDATE relief.subsidy_batches SET status = 'paid', paid_by = $2, paid_at = now() WHERE id = $1", [batchID, actorName])
            return paymentLines(items, batchID: batchID)
        }
    }

    /// The payment file's lines of a paid batch (to download it again).
    public static func paymentLines(_ c: isolated Connection, batchID: Int) throws -> [PaymentLine] {
        let batch = try load(c, batchID: batchID)
        guard batch.status == "paid" else { throw SubsidyError(message: "batch \(batchID) is \(batch.status); the payment file exists once it is paid") }
        return paymentLines(try items(c, batchID: batchID), batchID: batchID)
    }

    static func paymentLines(_ items: [Item], batchID: Int) -> [PaymentLine] {
        items.map { item in
            PaymentLine(
                payee: item.unionName, bankName: item.bankName ?? "", bankAccount: item.bankAccount ?? "", amountFen: item.amountFen,
                reference: "RL-B\(batchID)-\(item.creditCode)")
        }
    }

    /// The program's batches, newest month first.
    public static func batches(_ c: isolated Connection, programCode: String) throws -> [SubsidyBatch] {
        try c.query(
            """
            SELECT b.id FROM relief.subsidy_batches b JOIN relief.programs g ON g.id = b.program_id
            WHERE g.code = $1 ORDER BY b.period DESC, b.id DESC
            """, [programCode]
        ).rows.map { try load(c, batchID: try $0.decode(Int.self, at: 0)) }
    }

    /// Claws back subsidy from an enterprise found ineligible: 借 135 其他应收款 / 贷 508 补助下级支出,
    /// at most what was approved to it net of earlier clawbacks. With `repaid`, records the money
    /// coming back instead: 借 102 银行存款 / 贷 135, at most what is owed.
    public static func clawback(
        _ c: isolated Connection, programCode: String, enterpriseCreditCode: String, amount: Money, reason: String,
        date: LocalDate, actorName: String, repaid: Bool = false, idempotencyKey: String
    ) throws -> PostedEntry {
        let program = try ProgramContext.load(c, code: programCode)
        guard amount.fen > 0 else { throw SubsidyError(message: "the amount must be positive", field: "amount") }
        let why = reason.trimmingCharacters(in: .whitespaces)
        guard !why.isEmpty, why.count <= maximumReasonLength else {
            throw SubsidyError(message: "give the reason (which purchase, which finding) in 1 to \(maximumReasonLength) characters", field: "reason")
        }
        guard try !c.query("SELECT 1 FROM relief.enterprises WHERE tenant_id = $1 AND credit_code = $2", [MasterData.tenantID, enterpriseCreditCode]).rows.isEmpty else {
            throw SubsidyError(message: "unknown enterprise \(enterpriseCreditCode); give its 统一社会信用代码", field: "enterprise")
        }
        return try c.transactionIsolated { t in
            // Net debits of 508 (approved less clawed back) and of 135 (owed) for this enterprise.
            let row = try t.query(
                """
                SELECT coalesce(sum(CASE WHEN a.code = '508' THEN s.v END), 0)::bigint, coalesce(sum(CASE WHEN a.code = '135' THEN s.v END), 0)::bigint
                FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id JOIN relief.accounts a ON a.id = p.account_id
                JOIN relief.books b ON b.id = e.book_id JOIN relief.dimension_values d ON d.id = p.enterprise_id,
                LATERAL (SELECT (CASE p.side WHEN 'D' THEN 1 ELSE -1 END) * (CASE WHEN e.reverses_id IS NULL THEN 1 ELSE -1 END) * p.amount_fen AS v) s
                WHERE b.code = $1 AND d.code = $2 AND a.code IN ('508', '135')
                """, [program.bookCode, enterpriseCreditCode]
            ).single()
            let approvedFen = try row.decode(Int64.self, at: 0)
            let owedFen = try row.decode(Int64.self, at: 1)
            let limitFen = repaid ? owedFen : approvedFen
            guard amount.fen <= limitFen else {
                throw SubsidyError(message: repaid
                    ? "\(enterpriseCreditCode) owes \(Money(fen: owedFen).formatted); it cannot repay \(amount.formatted)"
                    : "\(enterpriseCreditCode) has \(Money(fen: approvedFen).formatted) of approved subsidy; \(amount.formatted) cannot be clawed back")
            }
            let dimensions = Dimensions(enterprise: enterpriseCreditCode, program: program.code)
            let draft = EntryDraft(
                idempotencyKey: idempotencyKey, date: date, description: (repaid ? "收回补助款：" : "追回补助：") + reason,
                postings: repaid
                    ? [PostingDraft(accountCode: "102", side: .debit, amount: amount, dimensions: dimensions),
                       PostingDraft(accountCode: "135", side: .credit, amount: amount, dimensions: dimensions)]
                    : [PostingDraft(accountCode: "135", side: .debit, amount: amount, dimensions: dimensions),
                       PostingDraft(accountCode: "508", side: .credit, amount: amount, dimensions: dimensions)])
            do {
                try draft.validate()
            } catch {
                throw SubsidyError(message: "\(error)")
            }
            return try PostingWriter.post(t, bookCode: program.bookCode, actorName: actorName, drafts: [draft])[0]
        }
    }

    /// The payment file: CSV with BOM (payee, bank, account, amount, 大写, reference).
    public static func paymentFile(_ lines: [PaymentLine]) -> String {
        var text = CSV.byteOrderMark + CSV.row(["收款单位", "开户银行", "收款账号", "金额", "大写金额", "用途/附言"])
        for line in lines {
            text += CSV.row([line.payee, line.bankName, line.bankAccount, Money(fen: line.amountFen).plain, CapitalAmount.text(fen: line.amountFen), line.reference])
        }
        return text
    }

    /// A batch.
    public static func load(_ c: isolated Connection, batchID: Int, lock: Bool = false) throws -> SubsidyBatch {
        guard let row = try c.query(
            """
            SELECT b.id, b.period, b.status, b.prepared_by, b.approved_by, coalesce((SELECT sum(amount_fen) FROM relief.subsidy_items i WHERE i.batch_id = b.id), 0)::bigint
            FROM relief.subsidy_batches b WHERE b.id = $1
            """ + (lock ? " FOR UPDATE" : ""), [batchID]
        ).rows.first else {
            throw SubsidyError(message: "no subsidy batch \(batchID)")
        }
        return SubsidyBatch(
            id: try row.decode(Int.self, at: 0), period: Period(yyyymm: try row.decode(Int.self, at: 1))!, status: try row.decode(String.self, at: 2),
            preparedBy: try row.decode(String.self, at: 3), approvedBy: try row.decodeOptional(String.self, at: 4), totalFen: try row.decode(Int64.self, at: 5))
    }

    struct Item {
        var enterpriseID: Int
        var creditCode: String
        var unionName: String
        var bankName: String?
        var bankAccount: String?
        var amountFen: Int64
    }

    static func items(_ c: isolated Connection, batchID: Int) throws -> [Item] {
        try c.query(
            """
            SELECT e.id, e.credit_code, e.union_name, e.bank_name, e.bank_account, i.amount_fen
            FROM relief.subsidy_items i JOIN relief.enterprises e ON e.id = i.enterprise_id
            WHERE i.batch_id = $1 AND i.amount_fen > 0 ORDER BY e.credit_code
            """, [batchID]
        ).rows.map { row in
            Item(
                enterpriseID: try row.decode(Int.self, at: 0), creditCode: try row.decode(String.self, at: 1), unionName: try row.decode(String.self, at: 2),
                bankName: try row.decodeOptional(String.self, at: 3), bankAccount: try row.decodeOptional(String.self, at: 4), amountFen: try row.decode(Int64.self, at: 5))
        }
    }

    static func bookCode(_ c: isolated Connection, batchID: Int) throws -> String {
        try c.query(
            "SELECT bk.code FROM relief.subsidy_batches b JOIN relief.programs p ON p.id = b.program_id JOIN relief.books bk ON bk.id = p.book_id WHERE b.id = $1",
            [batchID]
        ).single().decode(String.self, at: 0)
    }

    static func entries(_ items: [Item], batch: SubsidyBatch, kind: String, debit: String, credit: String, description: String, date: LocalDate) -> [EntryDraft] {
        var drafts: [EntryDraft] = []
        var start = 0
        while start < items.count {
            let chunk = items[start..<min(start + enterprisesPerEntry, items.count)]
            var postings: [PostingDraft] = []
            for item in chunk {
                let dimensions = Dimensions(enterprise: item.creditCode)
                postings.append(PostingDraft(accountCode: debit, side: .debit, amount: Money(fen: item.amountFen), dimensions: dimensions))
                postings.append(PostingDraft(accountCode: credit, side: .credit, amount: Money(fen: item.amountFen), dimensions: dimensions))
            }
            drafts.append(EntryDraft(idempotencyKey: "subsidy:\(kind):\(batch.id):\(start / enterprisesPerEntry)", date: date, description: description, postings: postings))
            start += chunk.count
        }
        return drafts
    }

    static func link(_ c: isolated Connection, batchID: Int, items: [Item], posted: [PostedEntry], column: String) throws {
        precondition(column == "approval_entry_id" || column == "payment_entry_id")
        for (index, item) in items.enumerated() {
            try c.query("UPDATE relief.subsidy_items SET \(column) = $3 WHERE batch_id = $1 AND enterprise_id = $2", [batchID, item.enterpriseID, posted[index / enterprisesPerEntry].id])
        }
    }
}

/// A refusal on the subsidy path.
public struct SubsidyError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to do.
    public var message: String
    /// The input at fault (`enterprise`, `amount`, `reason`), when one is.
    public var field: String?

    /// Makes an error.
    public init(message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
