public import Postgres
public import ReliefCore

/// Bank statements in, the 银行存款余额调节表 out.
public enum BankReconciliation {
    /// Imports a bank statement for `accountCode` (102 银行存款). All rows are checked first; lines
    /// already imported (same content, same occurrence) are skipped.
    public static func importStatement(
        _ c: isolated Connection, _ table: Table, bookCode: String, accountCode: String = "102", actorName: String
    ) throws -> ImportSummary {
        let lines = try BankStatementReader.read(table)
        let bookID = try Reports.bookID(c, code: bookCode)
        guard let account = try Reports.accounts(c, bookID: bookID).first(where: { $0.code == accountCode }) else {
            throw LedgerError.unknownAccount(accountCode)
        }
        var summary = ImportSummary(rows: table.rows.count)
        var seen: [String: Int] = [:]
        try c.transactionIsolated { t in
            for line in lines {
                let content = [line.date.description, String(line.inFen), String(line.outFen), line.balanceFen.map(String.init) ?? "",
                               line.counterpartyName, line.counterpartyAccount, line.summary, line.note].joined(separator: "|")
                let occurrence = seen[content, default: 0]
                seen[content] = occurrence + 1
                let digest = Chain.hex(Chain.sha256(Array("\(content)|\(occurrence)".utf8)))
                let inserted = try t.query(
                    """
                    INSERT INTO relief.bank_statement_lines (tenant_id, book_id, account_id, digest, source_file, source_line, txn_date, summary,
                        in_fen, out_fen, balance_fen, counterparty_name, counterparty_account, note, imported_by)
                    VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, $12, $13, $14, $15)
                    ON CONFLICT (book_id, account_id, digest) DO NOTHING
                    """,
                    [MasterData.tenantID, bookID, account.id, digest, table.fileName, line.line, line.date.description, line.summary,
                     line.inFen, line.outFen, line.balanceFen, line.counterpartyName, line.counterpartyAccount, line.note, actorName]
                ).affectedRows
                if inserted == 1 { summary.created += 1 } else { summary.unchanged += 1 }
            }
        }
        return summary
    }

    /// Matches the bank lines and the account's postings dated up to the end of `period`, and builds
    /// the reconciliation statement with the book and bank balances at that date.
    public static func reconcile(_ c: isolated Connection, bookCode: String, accountCode: String = "102", period: Period)
        throws -> (result: BankMatchResult, statement: ReconciliationStatement)
    {
        let bookID = try Reports.bookID(c, code: bookCode)
        guard let account = try Reports.accounts(c, bookID: bookID).first(where: { $0.code == accountCode }) else {
            throw LedgerError.unknownAccount(accountCode)
        }
        let end = period.lastDay.description
        let bank = try c.query(
            """
            SELECT source_line, txn_date::text, summary, in_fen, out_fen, balance_fen, counterparty_name, counterparty_account, note, id
            FROM relief.bank_statement_lines WHERE book_id = $1 AND account_id = $2 AND txn_date <= $3::date ORDER BY txn_date, id
            """, [bookID, account.id, end]
        ).rows.enumerated().map { index, row in
            // Lines are numbered by their order here, so lines from several statement files stay distinct.
            BankLine(
                line: index + 1, date: LocalDate(parsing: try row.decode(String.self, at: 1))!, summary: try row.decode(String.self, at: 2),
                inFen: try row.decode(Int64.self, at: 3), outFen: try row.decode(Int64.self, at: 4), balanceFen: try row.decodeOptional(Int64.self, at: 5),
                counterpartyName: try row.decode(String.self, at: 6), counterpartyAccount: try row.decode(String.self, at: 7), note: try row.decode(String.self, at: 8))
        }
        let book = try c.query(
            """
            SELECT e.id * 1000 + p.line, e.entry_date::text,
                   (CASE p.side WHEN 'D' THEN 1 ELSE -1 END) * (CASE WHEN e.reverses_id IS NULL THEN 1 ELSE -1 END) * p.amount_fen,
                   CASE WHEN e.idempotency_key LIKE 'subsidy:pay:%' THEN 'RL-B' || split_part(e.idempotency_key, ':', 3) || '-' || coalesce(d.code, '') ELSE '' END,
                   to_char(e.period / 100, 'FM0000') || '-' || to_char(e.period % 100, 'FM00') || '/' || e.voucher_no
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id LEFT JOIN relief.dimension_values d ON d.id = p.enterprise_id
            WHERE e.book_id = $1 AND p.account_id = $2 AND e.entry_date <= $3::date
            ORDER BY e.entry_date, e.seq, p.line
            """, [bookID, account.id, end]
        ).rows.map { row in
            BookItem(
                id: try row.decode(Int64.self, at: 0), date: LocalDate(parsing: try row.decode(String.self, at: 1))!, amountFen: try row.decode(Int64.self, at: 2),
                reference: try row.decode(String.self, at: 3), voucher: try row.decode(String.self, at: 4))
        }
        let result = BankMatcher.match(bank: bank, book: book)
        let bookBalance = book.reduce(Int64(0)) { $0 + $1.amountFen }
        let bankBalance = BankStatementReader.closingBalanceFen(bank) ?? bank.reduce(Int64(0)) { $0 + $1.amountFen }
        return (result, ReconciliationStatement(period: period, bookBalanceFen: bookBalance, bankBalanceFen: bankBalance, result: result))
    }
}
