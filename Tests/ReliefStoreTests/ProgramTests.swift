import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

/// Row counts and the chain head: what "the database is unchanged" means in these tests.
struct Fingerprint: Equatable {
    var counts: [Int]
    var head: String

    static func of(_ books: Books) async throws -> Fingerprint {
        try await books.admin.run { c in
            let counts = try ["entries", "postings", "purchases", "purchase_lines", "enterprises", "suppliers", "products", "subsidy_batches"].map { table in
                try c.query("SELECT count(*) FROM relief.\(table)").single().decode(Int.self, at: 0)
            }
            let head = try c.query("SELECT encode(chain_head, 'hex') FROM relief.books WHERE code = 'main'").single().decode(String.self, at: 0)
            return Fingerprint(counts: counts, head: head)
        }
    }
}

func csv(_ name: String, _ lines: [String]) throws -> Table {
    try TableReader.read(Array((lines.joined(separator: "\r\n") + "\r\n").utf8), fileName: name)
}

@Suite("the program on PostgreSQL")
struct ProgramTests {
    static func demoBooks(_ label: String) async throws -> Books {
        let books = try await Books.make(label)
        _ = try await books.admin.run { c in try Demo.load(c) }
        return books
    }

    @Test func theDemoLoadsVerifiesAndCatchesItsIneligibleLines() async throws {
        let books = try await Self.demoBooks("demo")
        #expect(try await books.count("SELECT count(*) FROM relief.enterprises") == 23)
        #expect(try await books.verify().isSound)
        #expect(try await books.trialBalance(Period(year: 2020, month: 5)!).isBalanced)
        let reasons = try await books.admin.run { c in
            try c.query(
                "SELECT p.purchase_key, array_to_string(l.reason_codes, ',') FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE NOT l.eligible ORDER BY 1"
            ).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        }
        let byKey = Dictionary(reasons, uniquingKeysWith: { a, _ in a })
        #expect(byKey["PO202005-X1"]?.contains("SUPPLIER_UNCERTIFIED") == true)
        #expect(byKey["PO202005-X2"]?.contains("PRICE_OUT_OF_BAND") == true)
        #expect(byKey["PO202005-X3"]?.contains("INVOICE_DUPLICATE") == true)
        #expect(try await books.count("SELECT count(*) FROM relief.subsidy_batches WHERE status = 'paid'") == 5)
        // The bank never went below zero and every subsidy paid is booked.
        let bank = try await books.admin.run { c in try Reports.balance(c, bookCode: "main", accountCode: "102", asOf: nil) }
        #expect(bank.debitFen - bank.creditFen >= 0)
        #expect(try await books.count("SELECT count(*) FROM relief.subsidy_items WHERE payment_entry_id IS NULL") == 0)
        await books.close()
    }

    /// The 月报 reads kept monthly totals (0010); they must equal the lines summed on demand, and
    /// `relief verify` must notice when they do not.
    @Test func theMonthlyReportsKeptTotalsEqualTheLinesAndVerifyGuardsThem() async throws {
        let books = try await Self.demoBooks("monthtotals")
        let (mismatches, reports, problems) = try await books.admin.run { c -> (Int, [Report], [String]) in
            let mismatches = try c.query(
                """
                SELECT count(*)::int FROM (
                    SELECT p.enterprise_id, extract(year FROM p.purchase_date)::int * 100 + extract(month FROM p.purchase_date)::int AS period,
                           coalesce(sum(l.amount_fen) FILTER (WHERE l.eligible), 0) AS e, coalesce(sum(l.amount_fen) FILTER (WHERE NOT l.eligible), 0) AS i
                    FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id GROUP BY 1, 2) s
                FULL JOIN relief.purchase_month_totals t ON t.enterprise_id = s.enterprise_id AND t.period = s.period
                WHERE coalesce(t.eligible_fen, -1) <> coalesce(s.e, -2) OR coalesce(t.ineligible_fen, -1) <> coalesce(s.i, -2)
                """
            ).single().decode(Int.self, at: 0)
            let reports = try [3, 5].map { try ProgramReports.monthly(c, programCode: Demo.programCode, period: Period(year: 2020, month: $0)!) }
            // Tamper with one kept total as the owner: verify names it.
            try c.execute("UPDATE relief.purchase_month_totals SET eligible_fen = eligible_fen + 1 WHERE period = 202005 AND enterprise_id = (SELECT min(enterprise_id) FROM relief.purchase_month_totals WHERE period = 202005)")
            return (mismatches, reports, try Verifier.verify(c, bookCode: "main").problems.map(\.message))
        }
        #expect(mismatches == 0)
        // 0014: the trigger probes purchases by primary key whatever its cached plan's statistics
        // said (a hash join over every purchase of a long import was quadratic).
        let settings = try await books.admin.run { c in
            try c.query("SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE proname = 'add_purchase_month_totals'").single().decode(String.self, at: 0)
        }
        #expect(["enable_seqscan=off", "enable_hashjoin=off", "enable_mergejoin=off"].allSatisfy(settings.contains), "\(settings)")
        // May's 累计采购 total is the sum of every eligible line from January to May.
        let eligibleThroughMay = try await books.admin.run { c in
            try c.query(
                "SELECT sum(l.amount_fen)::bigint FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id WHERE l.eligible AND p.purchase_date <= '2020-05-31'"
            ).single().decode(Int64.self, at: 0)
        }
        let cumulativeColumn = try #require(reports[1].columns.firstIndex { $0.key == "cumulative_fen" })
        #expect(reports[1].totals?[cumulativeColumn] == .fen(eligibleThroughMay))
        #expect(reports[0].totals?[cumulativeColumn] != reports[1].totals?[cumulativeColumn])
        #expect(problems.contains { $0.contains("purchase totals") && $0.contains("period 202005") }, "\(problems)")
        await books.close()
    }

    /// 0022: the totals are added once per transaction, at commit, from the sums each INSERT of
    /// lines left pending. A savepoint rolled back takes its sums along; under
    /// `SET CONSTRAINTS relief.purchase_month_pending_fold IMMEDIATE` they are added after each
    /// statement instead.
    @Test func theMonthlyTotalsAreAddedAtCommitWhateverTheSavepointsAndConstraintModes() async throws {
        let books = try await Self.demoBooks("totalsatcommit")
        let data = DemoData()
        let enterprise = data.enterprises.rows[2].cells[0]
        // FOLD-n, invoice 1515150n: one purchase of the same enterprise in May each.
        let files = (1...5).map { n in
            var cells = data.purchasesMay.rows[0].cells
            cells[0] = "FOLD-\(n)"
            cells[1] = enterprise
            cells[6] = "1515150\(n)"
            return Table(fileName: "FOLD-\(n).csv", headers: data.purchasesMay.headers, rows: [TableRow(line: 2, cells: cells)])
        }
        let keptTotal = """
            SELECT coalesce(sum(t.eligible_fen + t.ineligible_fen), 0)::bigint FROM relief.purchase_month_totals t
            JOIN relief.enterprises e ON e.id = t.enterprise_id WHERE e.credit_code = '\(enterprise)' AND t.period = 202005
            """
        let before = try await books.count(keptTotal)
        let inside = try await books.admin.run { c in
            try c.execute("BEGIN")
            try c.execute("SAVEPOINT a")
            _ = try Purchases.importPurchases(c, files[0], programCode: Demo.programCode, actorName: "test")
            try c.execute("ROLLBACK TO SAVEPOINT a")
            _ = try Purchases.importPurchases(c, files[1], programCode: Demo.programCode, actorName: "test")
            try c.execute("SAVEPOINT b")
            _ = try Purchases.importPurchases(c, files[2], programCode: Demo.programCode, actorName: "test")
            try c.execute("RELEASE SAVEPOINT b")
            let seen = (
                pending: try c.query("SELECT count(*)::int FROM relief.purchase_month_pending").single().decode(Int.self, at: 0),
                kept: try c.query(keptTotal).single().decode(Int64.self, at: 0))
            try c.execute("COMMIT")
            return seen
        }
        #expect(inside.pending == 2, "FOLD-2 and FOLD-3 pending; FOLD-1 went with its savepoint")
        #expect(inside.kept == Int64(before), "nothing is added before the commit")
        let added = try await books.count(
            "SELECT sum(l.amount_fen)::bigint FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE p.purchase_key IN ('FOLD-2', 'FOLD-3')")
        #expect(added > 0)
        #expect(try await books.count(keptTotal) == before + added)
        #expect(try await books.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = 'FOLD-1'") == 0)
        #expect(try await books.count("SELECT count(*) FROM relief.purchase_month_pending") == 0)
        // Checked at each statement: nothing stays pending, and the totals grow at once.
        let immediate = try await books.admin.run { c in
            try c.execute("BEGIN")
            try c.execute("SET CONSTRAINTS relief.purchase_month_pending_fold IMMEDIATE")
            _ = try Purchases.importPurchases(c, files[3], programCode: Demo.programCode, actorName: "test")
            let pending = try c.query("SELECT count(*)::int FROM relief.purchase_month_pending").single().decode(Int.self, at: 0)
            let kept = try c.query(keptTotal).single().decode(Int64.self, at: 0)
            _ = try Purchases.importPurchases(c, files[4], programCode: Demo.programCode, actorName: "test")
            try c.execute("COMMIT")
            return (pending, kept)
        }
        #expect(immediate.0 == 0)
        #expect(immediate.1 > Int64(before + added))
        let report = try await books.admin.run { c in try Verifier.verify(c, bookCode: "main") }
        #expect(report.problems.isEmpty, "\(report.problems.map(\.message))")
        await books.close()
    }

    @Test func aFileWithAnyErrorIsRejectedWholeAndListsEveryProblem() async throws {
        let books = try await Self.demoBooks("imports")
        try await books.admin.run { c in _ = try c.query("SELECT relief.close_period('main', 202001, 'test')") }
        let data = DemoData()
        let enterprise = data.enterprises.rows[0].cells[0]
        let supplier = data.suppliers.rows[0].cells[0]
        let product = data.products.rows[0].cells[0]
        let header = data.purchasesMay.headers.joined(separator: ",")
        func row(_ key: String, enterprise: String = enterprise, supplier: String = supplier, date: String = "2020-06-10", invoice: String, amount: String = "100") -> String {
            "\(key),\(enterprise),\(supplier),\(date),直采,食堂,\(invoice),\(date),\(supplier),\(product),10,斤,10,\(amount)"
        }
        let before = try await Fingerprint.of(books)
        let cases: [(String, Table?, [UInt8]?, String)] = [
            ("bad credit code", try csv("a.csv", [header, row("K1", enterprise: "91350200776049653B", invoice: "12345678")]), nil, "企业信用代码"),
            ("3 decimals", try csv("b.csv", [header, row("K1", invoice: "12345678", amount: "100.005")]), nil, "金额"),
            ("unknown supplier", try csv("c.csv", [header, row("K1", supplier: "91350200776049653A", invoice: "12345678")]), nil, "unknown supplier"),
            ("duplicate invoice", try csv("d.csv", [header, row("K1", invoice: "12345678"), row("K2", invoice: "12345678")]), nil, "also used by purchase K1"),
            ("closed month", try csv("e.csv", [header, row("K1", date: "2020-01-15", invoice: "12345678")]), nil, "closed month"),
            ("column count", nil, Array((header + "\r\n" + row("K1", invoice: "12345678") + ",extra\r\n").utf8), "line 2"),
            ("invalid UTF-8", nil, Array((header + "\r\n").utf8) + [0x4B, 0x31, 0x2C, 0xFF, 0xFE, 0x0D, 0x0A], "line 2"),
        ]
        for (label, table, bytes, expected) in cases {
            let message: String
            do {
                let input = try table ?? TableReader.read(bytes!, fileName: "\(label).csv")
                _ = try await books.admin.run { c in try Purchases.importPurchases(c, input, programCode: Demo.programCode, actorName: "test") }
                Issue.record("\(label): the import should have failed")
                continue
            } catch {
                message = "\(error)"
            }
            #expect(message.contains(expected), "\(label): \(message)")
            #expect(message.contains("line"), "\(label) names no line: \(message)")
        }
        // Several problems in one file are all listed.
        let many = try csv("many.csv", [header, row("K1", enterprise: "9135020077604965XX", invoice: "1234"), row("K2", invoice: "12345678", amount: "1.005")])
        let error = await #expect(throws: ImportErrors.self) {
            _ = try await books.admin.run { c in try Purchases.importPurchases(c, many, programCode: Demo.programCode, actorName: "test") }
        }
        #expect((error?.problems.count ?? 0) >= 3)
        #expect(Set(error?.problems.compactMap(\.line) ?? []) == [2, 3])
        #expect(try await Fingerprint.of(books) == before)
        await books.close()
    }

    @Test func importingTheSameFileAgainChangesNothing() async throws {
        let books = try await Self.demoBooks("reimport")
        let before = try await Fingerprint.of(books)
        let data = DemoData()
        for table in [data.purchasesEarly, data.purchasesMay] {
            let summary = try await books.admin.run { c in try Purchases.importPurchases(c, table, programCode: Demo.programCode, actorName: "again") }
            #expect(summary.created == 0)
        }
        let certificates = try await books.count("SELECT count(*) FROM relief.certifications")
        _ = try await books.admin.run { c in try MasterData.importEnterprises(c, data.enterprises) }
        _ = try await books.admin.run { c in try MasterData.importSuppliers(c, data.suppliers) }
        _ = try await books.admin.run { c in try MasterData.importProducts(c, data.products) }
        #expect(try await Fingerprint.of(books) == before)
        #expect(try await books.count("SELECT count(*) FROM relief.certifications") == certificates)
        await books.close()
    }

    /// An import of more purchases than one chunk holds is prepared on a second thread, chunk by
    /// chunk, while the one before is written: each purchase must still point at its own entry,
    /// each entry carry its own purchase's lines, and the books verify.
    @Test func aManyChunkImportLinksEveryPurchaseToItsOwnEntry() async throws {
        let books = try await Books.make("chunks")
        let data = DemoData(volume: .init(enterprises: 40, purchases: 3 * Purchases.importChunkPurchases + 500))
        _ = try await books.admin.run { c in try Demo.loadMasterData(c, data) }
        let keys = Set(data.purchasesEarly.rows.map { $0.cells[0] })
        #expect(keys.count > 2 * Purchases.importChunkPurchases, "the file spans three chunks")
        let table = data.purchasesEarly
        let summary = try await books.admin.run { c in try Purchases.importPurchases(c, table, programCode: Demo.programCode, actorName: "chunks") }
        #expect(summary.created == keys.count)
        #expect(summary.entriesPosted == keys.count)
        #expect(try await books.count("SELECT count(*) FROM relief.purchases") == keys.count)
        #expect(try await books.count("SELECT count(*) FROM relief.purchase_lines") == table.rows.count)
        // Each purchase's entry is the one its key names, and debits exactly its lines' amounts.
        #expect(
            try await books.count(
                "SELECT count(*) FROM relief.purchases p JOIN relief.entries e ON e.id = p.entry_id WHERE e.idempotency_key <> 'purchase:' || '\(Demo.programCode)' || ':' || p.purchase_key"
            ) == 0)
        #expect(
            try await books.count(
                """
                SELECT count(*) FROM relief.purchases p
                WHERE (SELECT sum(l.amount_fen) FROM relief.purchase_lines l WHERE l.purchase_id = p.id)
                   <> (SELECT sum(q.amount_fen) FROM relief.postings q WHERE q.entry_id = p.entry_id AND q.side = 'D')
                """) == 0)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    /// `relief import purchases` hands the file's bytes over and the import reads a CSV file row
    /// by row: the same purchases as from a table, the same refusals by line, nothing written
    /// when it refuses.
    @Test func aCSVFileImportedFromItsBytesMatchesTheTablePath() async throws {
        let books = try await Books.make("bytes")
        let data = DemoData()
        _ = try await books.admin.run { c in try Demo.loadMasterData(c, data) }
        let table = data.purchasesEarly
        @Sendable func csvBytes(_ table: Table) -> [UInt8] {
            var text = CSV.row(table.headers)
            for row in table.rows { text += CSV.row(row.cells) }
            return Array(text.utf8)
        }
        let before = try await Fingerprint.of(books)
        var wrong = table
        wrong.rows[4].cells[table.headers.firstIndex(of: "金额（元）")!] = "1.005"
        let wrongBytes = csvBytes(wrong)
        let syntaxBytes = csvBytes(table) + Array("\"unclosed,1\n".utf8)
        let refusal = await #expect(throws: ImportErrors.self) {
            _ = try await books.admin.run { c in
                try Purchases.importPurchases(c, file: wrongBytes, fileName: "wrong.csv", programCode: Demo.programCode, actorName: "bytes")
            }
        }
        #expect(refusal?.problems.compactMap(\.line) == [6])
        #expect(refusal?.fileName == "wrong.csv")
        await #expect(throws: TableReadError.self) {
            _ = try await books.admin.run { c in
                try Purchases.importPurchases(
                    c, file: syntaxBytes, fileName: "syntax.csv", programCode: Demo.programCode, actorName: "bytes")
            }
        }
        #expect(try await Fingerprint.of(books) == before)

        let bytes = csvBytes(table)
        let summary = try await books.admin.run { c in
            try Purchases.importPurchases(c, file: bytes, fileName: "early.csv", programCode: Demo.programCode, actorName: "bytes")
        }
        let keys = Set(table.rows.map { $0.cells[0] })
        #expect(summary.rows == table.rows.count)
        #expect(summary.created == keys.count)
        #expect(try await books.count("SELECT count(*) FROM relief.purchase_lines") == table.rows.count)
        // The table path finds every purchase already there.
        let again = try await books.admin.run { c in try Purchases.importPurchases(c, table, programCode: Demo.programCode, actorName: "table") }
        #expect(again.created == 0)
        #expect(again.unchanged == keys.count)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    /// The web app's group path: parsed records, their reads sent ahead with the BEGIN, the
    /// caller's statements sent with the last INSERTs. It stores what the table path stores.
    @Test func recordsImportedWithReadsAheadAndTrailingStatementsStoreWhatTheTablePathDoes() async throws {
        let data = DemoData()
        let table = data.purchasesEarly
        let (rows, mapProblems) = ImportLayouts.purchases.map(table)
        let (records, parseProblems) = RecordParser.purchases(rows)
        #expect(mapProblems.isEmpty && parseProblems.isEmpty)
        let keys = Array(Set(records.map(\.key))).sorted()
        let stored = """
            SELECT string_agg(concat_ws('|', p.purchase_key, l.line, l.product_id, l.quantity, l.amount_fen, l.eligible, l.reason_codes::text, l.reasons,
                                        p.invoice_number, p.entry_id IS NOT NULL), E'\\n' ORDER BY p.purchase_key, l.line)
            FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id
            """
        let byTable = try await Books.make("records-table")
        _ = try await byTable.admin.run { c in try Demo.loadMasterData(c, data) }
        _ = try await byTable.admin.run { c in try Purchases.importPurchases(c, table, programCode: Demo.programCode, actorName: "test") }
        let tableRows = try await byTable.admin.run { c in try c.query(stored).single().decode(String.self, at: 0) }
        await byTable.close()

        let books = try await Books.make("records-ahead")
        _ = try await books.admin.run { c in try Demo.loadMasterData(c, data) }
        let recordsImport = Purchases.RecordsImport(records: records, fileName: "requests", programCode: Demo.programCode, actorName: "test")
        let seen = PipelineStatement(
            "SELECT count(*)::int FROM relief.purchases WHERE purchase_key = ANY($1::text[])", [PostgresArray.text(keys)])
        @Sendable func importOnce() async throws -> (ImportSummary, [Int]) {
            try await books.admin.run { c in
                try c.transactionIsolated(first: recordsImport.reads) { t, reads in
                    let (summary, trailing) = try recordsImport.run(t, readResults: reads, trailing: [seen])
                    return (summary, try trailing.map { try $0.single().decode(Int.self, at: 0) })
                }
            }
        }
        let (first, seenFirst) = try await importOnce()
        #expect(first.created == keys.count && first.unchanged == 0)
        #expect(seenFirst == [keys.count], "the trailing statement sees the purchases written before it")
        #expect(try await books.admin.run { c in try c.query(stored).single().decode(String.self, at: 0) } == tableRows)
        // Again: nothing to write, the trailing statement still answers.
        let (again, seenAgain) = try await importOnce()
        #expect(again.created == 0 && again.unchanged == keys.count)
        #expect(seenAgain == [keys.count])
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func thePreparerCannotApproveTheirOwnBatchByAnyPath() async throws {
        let books = try await Self.demoBooks("makerchecker")
        // One eligible June purchase, so that June has a batch to prepare.
        let june = try csv("june.csv", [
            DemoData().purchasesMay.headers.joined(separator: ","),
            DemoData().purchasesMay.rows[0].cells.enumerated().map { $0.offset == 0 ? "PO-JUNE-1" : ($0.offset == 3 || $0.offset == 7 ? "2020-06-05" : ($0.offset == 6 ? "55555555" : $0.element)) }.joined(separator: ","),
        ])
        _ = try await books.admin.run { c in try Purchases.importPurchases(c, june, programCode: Demo.programCode, actorName: "clerk") }
        let batch = try await books.admin.run { c in try Subsidies.prepare(c, programCode: Demo.programCode, period: Period(year: 2020, month: 6)!, actorName: "alice") }
        await #expect(throws: SubsidyError.self) {
            try await books.admin.run { c in try Subsidies.approve(c, batchID: batch, actorName: "alice") }
        }
        // Straight SQL as the application role, claiming to be the preparer: PostgreSQL refuses.
        let sqlError = await #expect(throws: PostgresError.self) {
            try await books.database.pool.transaction { c in
                try c.query("SELECT set_config('relief.actor', 'alice', true)")
                try c.query("SELECT relief.approve_subsidy_batch($1)", [batch])
            }
        }
        #expect(sqlError?.sqlState == "RL053")
        let updateError = await #expect(throws: PostgresError.self) {
            try await books.database.pool.transaction { c in try c.query("UPDATE relief.subsidy_batches SET status = 'approved', approved_by = 'alice' WHERE id = $1", [batch]) }
        }
        #expect(updateError?.sqlState == "42501")
        #expect(try await books.count("SELECT count(*) FROM relief.subsidy_batches WHERE status = 'prepared'") == 1)
        try await books.admin.run { c in try Subsidies.approve(c, batchID: batch, actorName: "bob") }
        #expect(try await books.count("SELECT count(*) FROM relief.subsidy_batches WHERE status = 'approved'") == 1)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func racingPaymentsNeverOverdrawTheBank() async throws {
        let books = try await Self.demoBooks("racing")
        // Leave 5,000.00 in the bank, then approve two batches of 4,000.00 each.
        let bank = try await books.admin.run { c in try Reports.balance(c, bookCode: "main", accountCode: "102", asOf: nil) }
        let spend = bank.debitFen - bank.creditFen - 500_000
        try await books.admin.run { c in
            _ = try c.query("SELECT relief.post_entries('main', $1::jsonb, 'test')", [#"[{"key":"spend","date":"2020-06-01","postings":[{"account":"510","side":"D","amount_fen":\#(spend)},{"account":"102","side":"C","amount_fen":\#(spend)}]}]"#])
            try c.execute(
                """
                INSERT INTO relief.subsidy_batches (tenant_id, program_id, period, rule_id, status, prepared_by, approved_by, approved_at)
                SELECT 1, p.id, x.period, r.id, 'approved', 'alice', 'bob', now()
                FROM relief.programs p JOIN relief.subsidy_rules r ON r.program_id = p.id, (VALUES (202006), (202007)) AS x(period);
                INSERT INTO relief.subsidy_items (batch_id, enterprise_id, tenant_id, amount_fen, working)
                SELECT b.id, (SELECT min(id) FROM relief.enterprises), 1, 400000, '{}' FROM relief.subsidy_batches b WHERE b.period IN (202006, 202007);
                """)
        }
        let batches = try await books.admin.run { c in try c.query("SELECT id FROM relief.subsidy_batches WHERE period IN (202006, 202007) ORDER BY id").rows.map { try $0.decode(Int.self, at: 0) } }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for batch in batches {
                group.addTask {
                    do {
                        _ = try await books.database.pool.withConnection { connection in
                            try await connection.run { c in try Subsidies.pay(c, batchID: batch, actorName: "alice", date: LocalDate(year: 2020, month: 7, day: 31)!) }
                        }
                        return "paid"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "paid" }.count == 1, "\(outcomes)")
        #expect(outcomes.contains { $0.contains("would go negative") }, "\(outcomes)")
        let after = try await books.admin.run { c in try Reports.balance(c, bookCode: "main", accountCode: "102", asOf: nil) }
        #expect(after.debitFen - after.creditFen == 100_000)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func clawbackAndRepaymentPostTheirOwnEntriesWithinLimits() async throws {
        let books = try await Self.demoBooks("clawback")
        let enterprise = DemoData().enterprises.rows[0].cells[0]
        let approved = try await books.admin.run { c in
            try c.query(
                "SELECT sum(i.amount_fen)::bigint FROM relief.subsidy_items i JOIN relief.enterprises e ON e.id = i.enterprise_id WHERE e.credit_code = $1", [enterprise]
            ).single().decode(Int64.self, at: 0)
        }
        let date = LocalDate(year: 2020, month: 6, day: 15)!
        await #expect(throws: SubsidyError.self) {
            _ = try await books.admin.run { c in
                try Subsidies.clawback(c, programCode: Demo.programCode, enterpriseCreditCode: enterprise, amount: Money(fen: approved + 1), reason: "too much", date: date, actorName: "audit", idempotencyKey: "cb-0")
            }
        }
        let first = try await books.admin.run { c in
            try Subsidies.clawback(c, programCode: Demo.programCode, enterpriseCreditCode: enterprise, amount: Money(fen: 10_000), reason: "PO202005-X1 供应商无认证", date: date, actorName: "audit", idempotencyKey: "cb-1")
        }
        let repeated = try await books.admin.run { c in
            try Subsidies.clawback(c, programCode: Demo.programCode, enterpriseCreditCode: enterprise, amount: Money(fen: 10_000), reason: "PO202005-X1 供应商无认证", date: date, actorName: "audit", idempotencyKey: "cb-1")
        }
        #expect(!first.existed && repeated.existed && repeated.seq == first.seq)
        await #expect(throws: SubsidyError.self) {
            _ = try await books.admin.run { c in
                try Subsidies.clawback(c, programCode: Demo.programCode, enterpriseCreditCode: enterprise, amount: Money(fen: 10_001), reason: "x", date: date, actorName: "audit", repaid: true, idempotencyKey: "rp-0")
            }
        }
        _ = try await books.admin.run { c in
            try Subsidies.clawback(c, programCode: Demo.programCode, enterpriseCreditCode: enterprise, amount: Money(fen: 10_000), reason: "已退回", date: date, actorName: "audit", repaid: true, idempotencyKey: "rp-1")
        }
        let receivable = try await books.admin.run { c in try Reports.balance(c, bookCode: "main", accountCode: "135", asOf: nil) }
        #expect(receivable.debitFen == 10_000 && receivable.creditFen == 10_000)
        // The subsidy ledger: paid and settled by the bank, 100.00 clawed back, nothing still owed.
        let ledger = try await books.admin.run { c in try ProgramReports.subsidyLedger(c, programCode: Demo.programCode, asOf: date) }
        let row = try #require(ledger.rows.first { $0.first == .text(enterprise) })
        #expect(row[4] == .fen(approved) && row[5] == .fen(approved))
        #expect(row[6] == .fen(10_000) && row[7] == .fen(0) && row[8] == .fen(0))
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func enterprisesImportFromXLSXWithTextCells() async throws {
        let books = try await Books.make("xlsx")
        let rows: [[XLSXCell]] = [
            ["统一社会信用代码", "企业名称", "工会名称", "年度", "会员人数", "年度采购目标（元）", "银行账号"].map { .text($0) },
            [.text("91350200776049653A"), .text("厦门示例有限公司"), .text("厦门示例有限公司工会"), .number("2020"), .number("120"), .number("36000.5"), .text("6222020200112233445566")],
        ]
        let table = try TableReader.read(try XLSXWriter.write(sheetName: "企业", rows: rows), fileName: "enterprises.xlsx")
        let summary = try await books.admin.run { c in try MasterData.importEnterprises(c, table) }
        #expect(summary.created == 1)
        let stored = try await books.admin.run { c in
            try c.query("SELECT e.bank_account, y.target_fen, y.members FROM relief.enterprises e JOIN relief.enterprise_years y ON y.enterprise_id = e.id").single()
        }
        #expect(try stored.decode(String.self, at: 0) == "6222020200112233445566")
        #expect(try stored.decode(Int64.self, at: 1) == 3_600_050)
        #expect(try stored.decode(Int.self, at: 2) == 120)
        await books.close()
    }

    @Test func anotherCityAndCountyNeedNoCodeChange() async throws {
        let books = try await Self.demoBooks("othercity")
        // A second program: another operator, another paired county with its own townships.
        _ = try await books.admin.run { c in
            try Programs.setup(c, Programs.Setup(
                code: "yc2021", name: "宜昌市总工会对口帮扶某县", operatorCode: "yc-zgh", operatorName: "宜昌市总工会", pairedCounty: "长阳县",
                noticeNumber: "宜工发〔2021〕3号", startsOn: LocalDate(year: 2020, month: 1, day: 1)!, endsOn: LocalDate(year: 2021, month: 12, day: 31)!,
                townships: ["龙舟坪镇", "高家堰镇"]))
        }
        let data = DemoData()
        var row = data.purchasesMay.rows[0].cells
        row[0] = "YC-1"
        row[6] = "77777777"
        let table = Table(fileName: "yc.csv", headers: data.purchasesMay.headers, rows: [TableRow(line: 2, cells: row)])
        let summary = try await books.admin.run { c in try Purchases.importPurchases(c, table, programCode: "yc2021", actorName: "clerk") }
        #expect(summary.created == 1)
        // The 宣恩 product's origin is outside 长阳县's townships: judged by the configuration alone.
        let reasons = try await books.admin.run { c in
            try c.query("SELECT array_to_string(l.reason_codes, ',') FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE p.purchase_key = 'YC-1'").rows.map { try $0.decode(String.self, at: 0) }
        }
        #expect(reasons.allSatisfy { $0.contains("ORIGIN_OUTSIDE") } && !reasons.isEmpty)
        #expect(try await books.verify().isSound)
        await books.close()
    }
}
