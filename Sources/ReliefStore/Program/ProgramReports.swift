import Foundation
public import Postgres
public import ReliefCore

/// The program's reports: 月报, the subsidy ledger, the exceptions list.
public enum ProgramReports {
    /// 月报: per enterprise target, this month, cumulative, 完成率 and rank (eligible purchases), with totals.
    public static func monthly(_ c: isolated Connection, programCode: String, period: Period) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        // From the kept monthly totals (0010): at most twelve rows per enterprise, whatever the
        // number of purchases. `relief verify` recomputes them from the lines.
        let rows = try c.query(
            """
            SELECT e.credit_code, e.name, coalesce(y.target_fen, 0)::bigint,
                   coalesce(sum(t.eligible_fen) FILTER (WHERE t.period = $2), 0)::bigint,
                   coalesce(sum(t.eligible_fen), 0)::bigint,
                   coalesce(sum(t.ineligible_fen), 0)::bigint
            FROM relief.enterprises e
            LEFT JOIN relief.enterprise_years y ON y.enterprise_id = e.id AND y.year = $4
            LEFT JOIN relief.purchase_month_totals t ON t.enterprise_id = e.id AND t.program_id = $1 AND t.period BETWEEN $3 AND $2
            WHERE e.tenant_id = $5
            GROUP BY e.id, e.credit_code, e.name, y.target_fen
            """,
            [program.id, period.yyyymm, period.year * 100 + 1, period.year, MasterData.tenantID]
        ).rows
        struct Line { var code: String; var name: String; var target: Int64; var month: Int64; var cumulative: Int64; var ineligible: Int64 }
        var lines = try rows.map { r in
            Line(code: try r.decode(String.self, at: 0), name: try r.decode(String.self, at: 1), target: try r.decode(Int64.self, at: 2),
                 month: try r.decode(Int64.self, at: 3), cumulative: try r.decode(Int64.self, at: 4), ineligible: try r.decode(Int64.self, at: 5))
        }
        // Rank by 完成率 (cumulative / target), exact rational comparison in integers.
        lines.sort { a, b in
            let left = Int128(a.cumulative) * Int128(max(b.target, 1))
            let right = Int128(b.cumulative) * Int128(max(a.target, 1))
            return left != right ? left > right : a.code < b.code
        }
        var report = Report(
            title: "消费帮扶月报 \(period) · \(program.facts.pairedCounty)",
            columns: [
                .init("rank", "排名", .number), .init("credit_code", "统一社会信用代码", .code), .init("enterprise", "企业"),
                .init("target_fen", "年度目标", .money), .init("month_fen", "本月采购", .money), .init("cumulative_fen", "累计采购", .money),
                .init("completion", "完成率", .number), .init("ineligible_fen", "不合格金额", .money),
            ])
        var totals = (target: Int64(0), month: Int64(0), cumulative: Int64(0), ineligible: Int64(0))
        for (index, line) in lines.enumerated() {
            report.rows.append([
                .number(String(index + 1)), .text(line.code), .text(line.name), .fen(line.target), .fen(line.month), .fen(line.cumulative),
                .number(percent(line.cumulative, line.target)), .fen(line.ineligible),
            ])
            totals.target += line.target
            totals.month += line.month
            totals.cumulative += line.cumulative
            totals.ineligible += line.ineligible
        }
        report.totals = [.empty, .empty, .text("合计"), .fen(totals.target), .fen(totals.month), .fen(totals.cumulative), .number(percent(totals.cumulative, totals.target)), .fen(totals.ineligible)]
        return report
    }

    /// 完成率 with one decimal, rounded half up, from integers.
    static func percent(_ part: Int64, _ whole: Int64) -> String {
        guard whole > 0 else { return "—" }
        let permille = (Int128(part) * 2000 / Int128(whole) + 1) / 2
        return "\(permille / 10).\(permille % 10)%"
    }

    /// A breakdown of the month's purchases by a dimension of the memorandum postings (901):
    /// township, category or channel. Reports slice by posting dimensions, not by extra accounts.
    public static func breakdown(_ c: isolated Connection, programCode: String, period: Period, dimension: String) throws -> Report {
        let column: String
        let title: String
        switch dimension {
        case "township": (column, title) = ("township_id", "乡镇")
        case "category": (column, title) = ("category_id", "品类")
        case "channel": (column, title) = ("channel_id", "渠道")
        default: throw SubsidyError(message: "breakdown by township, category or channel")
        }
        let program = try ProgramContext.load(c, code: programCode)
        let rows = try c.query(
            """
            SELECT coalesce(d.name, '（未填）'),
                   coalesce(sum(CASE WHEN e.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END) FILTER (WHERE e.period = $3), 0)::bigint,
                   coalesce(sum(CASE WHEN e.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END), 0)::bigint
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id JOIN relief.books b ON b.id = e.book_id
            JOIN relief.accounts a ON a.id = p.account_id
            LEFT JOIN relief.dimension_values d ON d.id = p.\(column)
            JOIN relief.dimension_values pr ON pr.id = p.program_id AND pr.code = $2
            WHERE b.code = $1 AND a.code = '901' AND e.period BETWEEN $4 AND $3
            GROUP BY d.name ORDER BY 3 DESC, 1
            """, [program.bookCode, programCode, period.yyyymm, period.year * 100 + 1]
        ).rows
        var report = Report(
            title: "采购分布 · 按\(title) \(period)",
            columns: [.init(dimension, title), .init("month_fen", "本月采购", .money), .init("cumulative_fen", "累计采购", .money), .init("share", "累计占比", .number)])
        let total = try rows.reduce(Int64(0)) { $0 + (try $1.decode(Int64.self, at: 2)) }
        for row in rows {
            let cumulative = try row.decode(Int64.self, at: 2)
            report.rows.append([.text(try row.decode(String.self, at: 0)), .fen(try row.decode(Int64.self, at: 1)), .fen(cumulative), .number(percent(cumulative, total))])
        }
        report.totals = [.text("合计"), .fen(try rows.reduce(Int64(0)) { $0 + (try $1.decode(Int64.self, at: 1)) }), .fen(total), .number(total > 0 ? "100.0%" : "—")]
        return report
    }

    /// The subsidy ledger: per enterprise allocated (in batches), approved, paid, settled (payments
    /// the bank statement confirms), clawed back, still owed back, payable, with the age of the
    /// oldest unpaid approval.
    /// Without `bankSettlement` (an enterprise clerk, who may not read the bank statement), the
    /// 已结清（银行确认） column is left empty and a note says so.
    public static func subsidyLedger(_ c: isolated Connection, programCode: String, asOf: LocalDate, bankSettlement: Bool = true) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        let rows = try c.query(
            """
            WITH items AS (
                SELECT i.enterprise_id, b.status, b.approved_at, i.amount_fen FROM relief.subsidy_items i
                JOIN relief.subsidy_batches b ON b.id = i.batch_id WHERE b.program_id = $1),
            money AS (
                SELECT d.code, a.code AS account, e.idempotency_key LIKE 'subsidy:%' AS batch_entry,
                       sum((CASE p.side WHEN 'D' THEN 1 ELSE -1 END) * (CASE WHEN e.reverses_id IS NULL THEN 1 ELSE -1 END) * p.amount_fen) AS net
                FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id JOIN relief.accounts a ON a.id = p.account_id
                JOIN relief.books bk ON bk.id = e.book_id JOIN relief.dimension_values d ON d.id = p.enterprise_id
                WHERE bk.code = $2 AND a.code IN ('508', '215', '135') AND e.entry_date <= $3::date
                GROUP BY 1, 2, 3)
            SELECT en.credit_code, en.name,
                   coalesce((SELECT sum(amount_fen) FROM items WHERE enterprise_id = en.id), 0)::bigint,
                   coalesce((SELECT sum(amount_fen) FROM items WHERE enterprise_id = en.id AND status <> 'prepared'), 0)::bigint,
                   coalesce((SELECT sum(amount_fen) FROM items WHERE enterprise_id = en.id AND status = 'paid'), 0)::bigint,
                   coalesce((SELECT -sum(net) FROM money WHERE code = en.credit_code AND account = '508' AND NOT batch_entry), 0)::bigint,
                   coalesce((SELECT sum(net) FROM money WHERE code = en.credit_code AND account = '135'), 0)::bigint,
                   coalesce((SELECT -sum(net) FROM money WHERE code = en.credit_code AND account = '215'), 0)::bigint,
                   (SELECT ($3::date - min(approved_at)::date) FROM items WHERE enterprise_id = en.id AND status = 'approved')
            FROM relief.enterprises en WHERE en.tenant_id = $4 ORDER BY en.credit_code
            """, [program.id, program.bookCode, asOf.description, MasterData.tenantID]
        ).rows
        let settled = bankSettlement ? try settledByBank(c, bookCode: program.bookCode, asOf: asOf) : [:]
        var report = Report(
            title: "补助台账 截至 \(asOf)",
            columns: [
                .init("credit_code", "统一社会信用代码", .code), .init("enterprise", "企业"), .init("allocated_fen", "测算分配", .money),
                .init("approved_fen", "已核定", .money), .init("paid_fen", "已拨付", .money), .init("settled_fen", "已结清（银行确认）", .money),
                .init("clawed_back_fen", "已追回", .money), .init("clawback_owed_fen", "追回待收", .money), .init("payable_fen", "应付未付", .money),
                .init("ageing", "账龄"),
            ])
        var totals = [Int64](repeating: 0, count: 7)
        for row in rows {
            let code = try row.decode(String.self, at: 0)
            let base = try (2...4).map { try row.decode(Int64.self, at: $0) }
            let values = base + [settled[code] ?? 0] + (try (5...7).map { try row.decode(Int64.self, at: $0) })
            for index in 0..<7 { totals[index] += values[index] }
            let age = try row.decodeOptional(Int.self, at: 8)
            report.rows.append([.text(code), .text(try row.decode(String.self, at: 1))] + values.map { .fen($0) } + [.text(age.map(ageBucket) ?? "")])
        }
        report.totals = [.empty, .text("合计")] + totals.map { .fen($0) } + [.empty]
        if !bankSettlement, let settledColumn = report.columns.firstIndex(where: { $0.key == "settled_fen" }) {
            for index in report.rows.indices { report.rows[index][settledColumn] = .empty }
            report.totals?[settledColumn] = .empty
            report.notes.append("“已结清（银行确认）”依据银行对账单，仅财务和审计可见。")
        }
        return report
    }

    /// Per enterprise: subsidy payments on 102 that the bank statement confirms (matched lines).
    static func settledByBank(_ c: isolated Connection, bookCode: String, asOf: LocalDate) throws -> [String: Int64] {
        let (match, _) = try BankReconciliation.reconcile(c, bookCode: bookCode, period: asOf.period)
        let matched = Set(match.matches.flatMap(\.bookItems))
        var settled: [String: Int64] = [:]
        for row in try c.query(
            """
            SELECT e.id * 1000 + p.line, d.code, p.amount_fen FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id
            JOIN relief.books b ON b.id = e.book_id JOIN relief.accounts a ON a.id = p.account_id JOIN relief.dimension_values d ON d.id = p.enterprise_id
            WHERE b.code = $1 AND a.code = '102' AND p.side = 'C' AND e.idempotency_key LIKE 'subsidy:pay:%' AND e.entry_date <= $2::date
            """, [bookCode, asOf.description]
        ).rows where matched.contains(try row.decode(Int64.self, at: 0)) {
            settled[try row.decode(String.self, at: 1), default: 0] += try row.decode(Int64.self, at: 2)
        }
        return settled
    }

    static func ageBucket(_ days: Int) -> String {
        switch days {
        case ..<31: return "30天内"
        case ..<91: return "31–90天"
        case ..<181: return "91–180天"
        default: return "180天以上"
        }
    }

    /// The exceptions list: ineligible lines by reason (duplicate invoices, uncertified goods,
    /// prices out of band, …) and subsidies held back by a cap.
    public static func exceptions(_ c: isolated Connection, programCode: String, period: Period?) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        var report = Report(
            title: "异常清单" + (period.map { " \($0)" } ?? ""),
            columns: [
                .init("kind", "类别", .code), .init("date", "日期"), .init("reference", "采购单号/批次", .code), .init("enterprise", "企业"),
                .init("invoice", "发票号码", .code), .init("amount_fen", "金额", .money), .init("detail", "说明"),
            ])
        let lines = try c.query(
            """
            SELECT unnest(l.reason_codes), p.purchase_date::text, p.purchase_key, e.name, p.invoice_number, l.amount_fen, l.reasons
            FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id JOIN relief.enterprises e ON e.id = p.enterprise_id
            WHERE p.program_id = $1 AND NOT l.eligible AND ($2::integer IS NULL OR to_char(p.purchase_date, 'YYYYMM')::integer = $2)
            ORDER BY 1, 2, 3
            """, [program.id, period?.yyyymm]
        ).rows
        for row in lines {
            report.rows.append([
                .text(try row.decode(String.self, at: 0)), .text(try row.decode(String.self, at: 1)), .text(try row.decode(String.self, at: 2)),
                .text(try row.decode(String.self, at: 3)), .text(try row.decode(String.self, at: 4)), .fen(try row.decode(Int64.self, at: 5)),
                .text(try row.decode(String.self, at: 6)),
            ])
        }
        let capped = try c.query(
            """
            SELECT i.working->>'binding', b.period, b.id, e.name, i.amount_fen, i.working::text
            FROM relief.subsidy_items i JOIN relief.subsidy_batches b ON b.id = i.batch_id JOIN relief.enterprises e ON e.id = i.enterprise_id
            WHERE b.program_id = $1 AND i.working->>'binding' IN ('memberCap', 'enterpriseCap', 'fund') AND ($2::integer IS NULL OR b.period = $2)
            ORDER BY b.period, e.name
            """, [program.id, period?.yyyymm]
        ).rows
        for row in capped {
            let binding = try row.decode(String.self, at: 0)
            report.rows.append([
                .text("CAP_" + binding.uppercased()), .text(Period(yyyymm: try row.decode(Int.self, at: 1))?.description ?? ""),
                .text("批次\(try row.decode(Int.self, at: 2))"), .text(try row.decode(String.self, at: 3)), .empty,
                .fen(try row.decode(Int64.self, at: 4)), .text(binding == "fund" ? "资金余额不足，按余额核定" : "补助受\(binding == "memberCap" ? "人均" : "单户")上限限制"),
            ])
        }
        report.notes = ["共 \(report.rows.count) 项"]
        return report
    }

    /// The supervision view: each county or district union under the operator; for the union of
    /// the paired county, its suppliers (certified now, lapsed), what enterprises bought from them and
    /// how much was judged ineligible.
    public static func supervision(_ c: isolated Connection, programCode: String, asOf: LocalDate) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        let supplierFacts = try c.query(
            """
            SELECT count(*)::bigint,
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM relief.certifications ce WHERE ce.supplier_id = s.id AND ce.product_id IS NULL
                                                    AND ce.valid_from <= $2::date AND (ce.valid_to IS NULL OR ce.valid_to >= $2::date)))::bigint,
                   coalesce((SELECT sum(l.amount_fen) FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE p.program_id = $1 AND p.purchase_date <= $2::date), 0)::bigint,
                   coalesce((SELECT sum(l.amount_fen) FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE p.program_id = $1 AND NOT l.eligible AND p.purchase_date <= $2::date), 0)::bigint
            FROM relief.suppliers s WHERE s.tenant_id = $3 AND s.township = ANY ($4::text[])
            """, [program.id, asOf.description, MasterData.tenantID, PostgresArray.text(program.facts.townships.sorted())]
        ).single()
        let unions = try c.query(
            """
            SELECT o.code, o.name, o.kind, coalesce(o.region, ''), coalesce(parent.name, '')
            FROM relief.organisations o LEFT JOIN relief.organisations parent ON parent.id = o.parent_id
            WHERE o.tenant_id = $1 AND o.kind <> 'operator' ORDER BY o.kind, o.code
            """, [MasterData.tenantID]
        ).rows
        var report = Report(
            title: "县市工会监督 截至 \(asOf)",
            columns: [
                .init("code", "编码", .code), .init("union", "工会"), .init("kind", "类别"), .init("region", "地区"), .init("parent", "上级"),
                .init("suppliers", "供应商", .number), .init("certified", "认证有效", .number), .init("lapsed", "认证失效", .number),
                .init("purchases_fen", "帮扶采购", .money), .init("ineligible_fen", "不合格", .money),
            ])
        for union in unions {
            let region = try union.decode(String.self, at: 3)
            let paired = region.contains(program.facts.pairedCounty)
            let kind = try union.decode(String.self, at: 2) == "county_union" ? "县级工会" : "区级工会"
            var row: [Report.Value] = [
                .text(try union.decode(String.self, at: 0)), .text(try union.decode(String.self, at: 1)), .text(kind), .text(region),
                .text(try union.decode(String.self, at: 4)),
            ]
            if paired {
                let total = try supplierFacts.decode(Int64.self, at: 0)
                let certified = try supplierFacts.decode(Int64.self, at: 1)
                row += [.number(String(total)), .number(String(certified)), .number(String(total - certified)),
                        .fen(try supplierFacts.decode(Int64.self, at: 2)), .fen(try supplierFacts.decode(Int64.self, at: 3))]
            } else {
                row += [.empty, .empty, .empty, .empty, .empty]
            }
            report.rows.append(row)
        }
        report.notes = ["对口县：\(program.facts.pairedCounty)（\(program.facts.townships.count) 个乡镇）；其余县市工会暂无帮扶供应商数据"]
        return report
    }
}

