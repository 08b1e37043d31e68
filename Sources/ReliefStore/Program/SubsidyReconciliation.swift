public import Postgres
public import ReliefCore

/// Subsidy reconciliation: per enterprise, what the rules entitle it to, what was approved, what
/// was paid, and what the bank confirms, with over- and under-payments flagged.
public enum SubsidyReconciliation {
    /// The reconciliation through `period` (every batch month up to it).
    public static func report(_ c: isolated Connection, programCode: String, through period: Period) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        var entitled: [String: Int64] = [:]
        let months = try c.query(
            "SELECT DISTINCT period FROM relief.subsidy_batches WHERE program_id = $1 AND period <= $2 ORDER BY 1", [program.id, period.yyyymm]
        ).rows.compactMap { Period(yyyymm: try $0.decode(Int.self, at: 0)) }
        for month in months {
            for proposal in try Subsidies.compute(c, programCode: programCode, period: month).proposals {
                entitled[proposal.enterpriseCode, default: 0] += proposal.amountFen
            }
        }
        let rows = try c.query(
            """
            SELECT e.credit_code, e.name,
                   coalesce((SELECT sum(i.amount_fen) FROM relief.subsidy_items i JOIN relief.subsidy_batches b ON b.id = i.batch_id
                             WHERE i.enterprise_id = e.id AND b.program_id = $1 AND b.status <> 'prepared' AND b.period <= $2), 0)::bigint,
                   coalesce((SELECT sum((CASE p.side WHEN 'D' THEN 1 ELSE -1 END) * (CASE WHEN x.reverses_id IS NULL THEN 1 ELSE -1 END) * p.amount_fen)
                             FROM relief.postings p JOIN relief.entries x ON x.id = p.entry_id JOIN relief.accounts a ON a.id = p.account_id
                             WHERE a.code = '215' AND p.enterprise_id = e.dimension_id AND x.idempotency_key LIKE 'subsidy:pay:%'
                               AND x.entry_date <= $3::date), 0)::bigint
            FROM relief.enterprises e WHERE e.tenant_id = $4 ORDER BY e.credit_code
            """, [program.id, period.yyyymm, period.lastDay.description, MasterData.tenantID]
        ).rows
        let confirmed = try ProgramReports.settledByBank(c, bookCode: program.bookCode, asOf: period.lastDay)
        var report = Report(
            title: "补助对账 截至 \(period)",
            columns: [
                .init("credit_code", "统一社会信用代码", .code), .init("enterprise", "企业"), .init("entitled_fen", "按规则应得", .money),
                .init("approved_fen", "已核定", .money), .init("paid_fen", "已拨付", .money), .init("confirmed_fen", "银行已确认", .money),
                .init("flag", "标记"),
            ])
        var totals = [Int64](repeating: 0, count: 4)
        var flagged = 0
        for row in rows {
            let code = try row.decode(String.self, at: 0)
            let values = [entitled[code] ?? 0, try row.decode(Int64.self, at: 2), try row.decode(Int64.self, at: 3), confirmed[code] ?? 0]
            if values.allSatisfy({ $0 == 0 }) { continue }
            for index in 0..<4 { totals[index] += values[index] }
            let flag = flagFor(entitled: values[0], approved: values[1], paid: values[2], confirmed: values[3])
            if flag != "一致" { flagged += 1 }
            report.rows.append([.text(code), .text(try row.decode(String.self, at: 1))] + values.map { .fen($0) } + [.text(flag)])
        }
        report.totals = [.empty, .text("合计")] + totals.map { .fen($0) } + [.text(flagged == 0 ? "一致" : "\(flagged) 户需核对")]
        return report
    }

    /// The flag of one enterprise's line.
    static func flagFor(entitled: Int64, approved: Int64, paid: Int64, confirmed: Int64) -> String {
        var flags: [String] = []
        if approved > entitled { flags.append("多核定 \(Money(fen: approved - entitled).formatted)") }
        if approved < entitled { flags.append("少核定 \(Money(fen: entitled - approved).formatted)") }
        if paid > approved { flags.append("多付 \(Money(fen: paid - approved).formatted)") }
        if paid < approved { flags.append("未付 \(Money(fen: approved - paid).formatted)") }
        if confirmed < paid { flags.append("银行未确认 \(Money(fen: paid - confirmed).formatted)") }
        return flags.isEmpty ? "一致" : flags.joined(separator: "；")
    }
}
