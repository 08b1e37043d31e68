public import Postgres
public import ReliefCore

/// Supplier confirmations: imported as reported, then matched to purchases by invoice and amount.
public enum SupplierConfirmations {
    /// The layout of a confirmation file (docs/IMPORTS.md).
    public static let layout = ImportLayout([
        .init("supplier", ["供应商信用代码", "supplier"]),
        .init("invoice", ["发票号码", "invoice_number"]),
        .init("amount", ["金额（元）", "金额", "amount"]),
        .init("date", ["销售日期", "date"]),
        .init("buyer", ["购买方", "buyer"], required: false),
    ])

    /// The longest 购买方 accepted, in characters.
    public static let maximumBuyerLength = 200

    /// Imports a confirmation file; all rows are checked first; lines already imported are skipped.
    public static func importFile(_ c: isolated Connection, _ table: Table, programCode: String, actorName: String) throws -> ImportSummary {
        let program = try ProgramContext.load(c, code: programCode)
        let (rows, mapProblems) = layout.map(table)
        // Without the right columns every row would only repeat that its cells are missing.
        if !mapProblems.isEmpty { throw ImportErrors(fileName: table.fileName, problems: mapProblems) }
        var problems: [ImportProblem] = []
        var records: [(line: Int, supplier: String, invoice: String, amountFen: Int64, date: LocalDate, buyer: String)] = []
        for row in rows {
            var rowProblems: [ImportProblem] = []
            let supplier: String
            do { supplier = try CreditCode.validate(row["supplier"], field: row.headers["supplier"] ?? "supplier") } catch {
                rowProblems.append(row.problem("supplier", "\(error)"))
                supplier = ""
            }
            let invoice: String
            do { invoice = try InvoiceNumber.validate(row["invoice"], field: row.headers["invoice"] ?? "invoice") } catch {
                rowProblems.append(row.problem("invoice", "\(error)"))
                invoice = ""
            }
            var amount: Int64 = 0
            do { amount = try Money.parse(row["amount"], field: row.headers["amount"] ?? "amount").fen } catch { rowProblems.append(row.problem("amount", "\(error)")) }
            if amount == 0 && rowProblems.isEmpty { rowProblems.append(row.problem("amount", "must be positive")) }
            let date = LocalDate(parsing: row["date"])
            if date == nil { rowProblems.append(row.problem("date", "\"\(row["date"])\" is not a date; write YYYY-MM-DD")) }
            if row["buyer"].count > maximumBuyerLength {
                rowProblems.append(row.problem("buyer", "is longer than \(maximumBuyerLength) characters"))
            }
            if rowProblems.isEmpty, let date { records.append((row.line, supplier, invoice, amount, date, row["buyer"])) }
            problems += rowProblems
        }
        if !problems.isEmpty { throw ImportErrors(fileName: table.fileName, problems: problems) }
        var summary = ImportSummary(rows: table.rows.count)
        var seen: [String: Int] = [:]
        try c.transactionIsolated { t in
            for record in records {
                let content = "\(record.supplier)|\(record.invoice)|\(record.amountFen)|\(record.date)|\(record.buyer)"
                let occurrence = seen[content, default: 0]
                seen[content] = occurrence + 1
                let inserted = try t.query(
                    """
                    INSERT INTO relief.supplier_confirmations (tenant_id, program_id, digest, source_file, source_line, supplier_credit_code,
                        invoice_number, amount_fen, sale_date, buyer, imported_by)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, $11) ON CONFLICT (program_id, digest) DO NOTHING
                    """,
                    [MasterData.tenantID, program.id, Chain.hex(Chain.sha256(Array("\(content)|\(occurrence)".utf8))), table.fileName, record.line,
                     record.supplier, record.invoice, record.amountFen, record.date.description, record.buyer, actorName]
                ).affectedRows
                if inserted == 1 { summary.created += 1 } else { summary.unchanged += 1 }
            }
        }
        return summary
    }

    /// Purchases against confirmations by invoice: confirmed, amount or supplier mismatched,
    /// unconfirmed (no confirmation), unknown (confirmation without purchase), duplicated.
    public static func reconcile(_ c: isolated Connection, programCode: String, period: Period?) throws -> Report {
        let program = try ProgramContext.load(c, code: programCode)
        let rows = try c.query(
            """
            WITH bought AS (
                SELECT p.invoice_number, s.credit_code AS supplier, sum(l.amount_fen) AS amount, min(p.purchase_date) AS day, string_agg(DISTINCT p.purchase_key, ',') AS keys
                FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id JOIN relief.suppliers s ON s.id = p.supplier_id
                WHERE p.program_id = $1 AND ($2::integer IS NULL OR to_char(p.purchase_date, 'YYYYMM')::integer = $2)
                GROUP BY p.invoice_number, s.credit_code),
            sold AS (
                SELECT invoice_number, min(supplier_credit_code) AS supplier, sum(amount_fen) AS amount, count(*) AS times, min(sale_date) AS day
                FROM relief.supplier_confirmations WHERE program_id = $1 AND ($2::integer IS NULL OR to_char(sale_date, 'YYYYMM')::integer = $2)
                GROUP BY invoice_number)
            SELECT coalesce(b.invoice_number, s.invoice_number), coalesce(b.day, s.day)::text, coalesce(b.keys, ''), coalesce(b.supplier, s.supplier),
                   b.amount, s.amount, coalesce(s.times, 0), s.supplier
            FROM bought b FULL JOIN sold s ON s.invoice_number = b.invoice_number
            ORDER BY 2, 1
            """, [program.id, period?.yyyymm]
        ).rows
        var report = Report(
            title: "供应商销售确认核对" + (period.map { " \($0)" } ?? ""),
            columns: [
                .init("invoice", "发票号码", .code), .init("date", "日期"), .init("purchase_keys", "采购单号", .code), .init("supplier", "供应商信用代码", .code),
                .init("bought_fen", "采购方申报", .money), .init("sold_fen", "供应商确认", .money), .init("status", "状态"),
            ])
        var counts: [String: Int] = [:]
        for row in rows {
            let bought = try row.decodeOptional(Int64.self, at: 4)
            let sold = try row.decodeOptional(Int64.self, at: 5)
            let times = try row.decode(Int.self, at: 6)
            let supplier = try row.decode(String.self, at: 3)
            let soldBy = try row.decodeOptional(String.self, at: 7)
            let status: String
            switch (bought, sold) {
            case (nil, _): status = "UNKNOWN 供应商确认无对应采购"
            case (_, nil): status = "UNCONFIRMED 未获供应商确认"
            case (let b?, let s?) where times > 1: status = "DUPLICATED 重复确认 \(times) 次" + (b == s ? "" : "（金额不符）")
            case (_, _) where soldBy != supplier: status = "MISMATCHED 供应商不符（确认方 \(soldBy ?? "")）"
            case (let b?, let s?) where b != s: status = "MISMATCHED 金额不符 \(Money(fen: b - s).formatted)"
            default: status = "CONFIRMED 一致"
            }
            counts[String(status.prefix { $0 != " " }), default: 0] += 1
            report.rows.append([
                .text(try row.decode(String.self, at: 0)), .text(try row.decode(String.self, at: 1)), .text(try row.decode(String.self, at: 2)),
                .text(supplier), bought.map { .fen($0) } ?? .empty, sold.map { .fen($0) } ?? .empty, .text(status),
            ])
        }
        report.notes = [counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: " · ")]
        return report
    }
}
