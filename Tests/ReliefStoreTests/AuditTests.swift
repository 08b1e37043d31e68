import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

@Suite("reconciliation, reports and audit exports")
struct AuditTests {
    @Test func theDemoReconcilesAndAnInjectedBankLineShowsOnTheBankSide() async throws {
        let books = try await ProgramTests.demoBooks("bankrec")
        let may = Period(year: 2020, month: 5)!
        let clean = try await books.admin.run { c in try BankReconciliation.reconcile(c, bookCode: "main", period: may) }
        #expect(clean.statement.balances)
        #expect(clean.result.bankOnly.isEmpty && clean.result.bookOnly.isEmpty)
        #expect(clean.statement.bookBalanceFen == clean.statement.bankBalanceFen)
        // A fee the books have not recorded, last on the statement with a continuing balance.
        let balance = clean.statement.bankBalanceFen - 1_500
        let fee = try TableReader.read(Array("交易日期,摘要,借方发生额,贷方发生额,余额,对方户名,对方账号,附言\r\n2020-05-31,手续费,15.00,,\(Money(fen: balance).plain),开户银行,0,账户管理费\r\n".utf8), fileName: "fee.csv")
        _ = try await books.admin.run { c in try BankReconciliation.importStatement(c, fee, bookCode: "main", actorName: "finance") }
        let again = try await books.admin.run { c in try BankReconciliation.importStatement(c, fee, bookCode: "main", actorName: "finance") }
        #expect(again.created == 0)  // importing the same statement twice adds nothing
        let withFee = try await books.admin.run { c in try BankReconciliation.reconcile(c, bookCode: "main", period: may) }
        #expect(withFee.result.bankOnly.map(\.amountFen) == [-1_500])
        #expect(withFee.result.bookOnly.isEmpty)
        #expect(withFee.statement.bankPaidNotBookedFen == 1_500)
        #expect(withFee.statement.balances)
        #expect(withFee.statement.renderTable().contains("银付企未付"))
        await books.close()
    }

    @Test func statementTotalsInCapitalsHandleInnerZerosAndJiaoWithoutFen() async throws {
        let books = try await ProgramTests.demoBooks("daxie")
        let enterprise = DemoData().enterprises.rows[5].cells[0]
        try await books.admin.run { c in
            _ = try c.query("SELECT relief.post_entries('main', $1::jsonb, 'test')", [
                #"[{"key":"adj-1","date":"2020-06-10","description":"补助调整","postings":[{"account":"508","side":"D","amount_fen":1000550,"enterprise":"\#(enterprise)"},{"account":"215","side":"C","amount_fen":1000550,"enterprise":"\#(enterprise)"}]}]"#
            ])
        }
        let report = try await books.admin.run { c in try BookReports.enterpriseStatement(c, bookCode: "main", enterprise: enterprise, period: Period(year: 2020, month: 6)!) }
        #expect(report.notes.contains("本期贷方合计（大写）：人民币壹万零伍元伍角整"), "\(report.notes)")
        #expect(report.notes.contains("期末余额（大写）：人民币壹万零伍元伍角整"))
        #expect(report.notes.contains("本期借方合计（大写）：人民币零元整"))
        await books.close()
    }

    @Test func anAccountLedgerClosesAtTheAccountsBalance() async throws {
        let books = try await ProgramTests.demoBooks("ledgerclose")
        for month in 1...5 {
            let period = Period(year: 2020, month: month)!
            let (report, balance) = try await books.admin.run { c in
                (try BookReports.accountLedger(c, bookCode: "main", accountCode: "102", period: period),
                 try Reports.balance(c, bookCode: "main", accountCode: "102", asOf: period.lastDay))
            }
            // 102 is a debit account: the closing balance on the totals row is debits less credits.
            #expect(report.totals?.last == .fen(abs(balance.debitFen - balance.creditFen)), "\(period)")
            #expect(report.rows.count > 1, "\(period): the month's postings are listed")
        }
        await books.close()
    }

    @Test func aPackVerifiesOfflineAndAnEditedFileIsNamed() async throws {
        let books = try await ProgramTests.demoBooks("pack")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let manifest = try await books.admin.run { c in
            try AuditPack.write(c, bookCode: "main", programCode: Demo.programCode, period: Period(year: 2020, month: 5)!, folder: folder)
        }
        #expect(manifest.files.contains { $0.name == "journal.hledger" || $0.name == "journal.journal" })
        #expect(AuditPack.verify(folder: folder).isEmpty, "\(AuditPack.verify(folder: folder))")
        // CSV files open in Excel/WPS on Chinese Windows: UTF-8 with BOM.
        let csv = try Data(contentsOf: URL(fileURLWithPath: folder + "/trial-balance.csv"))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        // 20-digit invoice numbers survive XLSX as text.
        let exceptions = try TableReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/exceptions.xlsx"))), fileName: "exceptions.xlsx")
        #expect(exceptions.rows.contains { $0.cells.contains("44209999000000000002") }, "\(exceptions.rows.prefix(3))")
        // One edited byte: the file is named.
        let target = folder + "/monthly.csv"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: target)))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        let problems = AuditPack.verify(folder: folder)
        #expect(problems.count == 1 && problems[0].hasPrefix("monthly.csv: changed"), "\(problems)")
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/extra.txt"))
        #expect(AuditPack.verify(folder: folder).contains { $0.hasPrefix("extra.txt") })
        await books.close()
    }

    @Test func anEditedJournalInsideAPackBreaksTheChain() async throws {
        let books = try await ProgramTests.demoBooks("packchain")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let manifest = try await books.admin.run { c in
            try AuditPack.write(c, bookCode: "main", programCode: Demo.programCode, period: Period(year: 2020, month: 5)!, folder: folder)
        }
        // Rewrite an amount in journal.json and re-hash the file in the manifest, as a forger would:
        // the chain still exposes it.
        let path = folder + "/journal.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let fund = String(DemoData().fundFen)
        guard let range = text.range(of: "\"amount_fen\" : \(fund)") ?? text.range(of: "\"amount_fen\":\(fund)") else {
            Issue.record("journal.json has no fund receipt amount to alter")
            return
        }
        let forged = text.replacingCharacters(in: range, with: text[range].replacingOccurrences(of: fund, with: String(DemoData().fundFen + 100)))
        try forged.write(toFile: path, atomically: true, encoding: .utf8)
        var edited = manifest
        edited.files = manifest.files.map { file in
            guard file.name == "journal.json" else { return file }
            let bytes = Array(forged.utf8)
            return PackManifest.File(name: file.name, sha256: Chain.hex(Chain.sha256(bytes)), bytes: bytes.count)
        }
        try Data(try edited.encoded()).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let problems = AuditPack.verify(folder: folder)
        #expect(problems.contains { $0.contains("journal.json: entry #1") }, "\(problems)")
        await books.close()
    }

    /// Runs a tool; fails the test (not skips) when it is not installed.
    static func tool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: out)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8))
    }

    /// `account,amount` CSV lines into fen per account.
    static func balances(_ csv: String) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for line in csv.split(whereSeparator: \.isNewline).dropFirst() {
            let parts = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
            guard parts.count == 2, !parts[0].isEmpty else { continue }
            let number = parts[1].replacingOccurrences(of: "CNY", with: "").trimmingCharacters(in: .whitespaces)
            result[parts[0]] = try Money.parse(number, field: parts[0], allowNegative: true).fen
        }
        return result
    }

    @Test func hledgerAndBeancountAcceptTheExportsAndAgreeWithTheTrialBalance() async throws {
        let books = try await ProgramTests.demoBooks("ledgertools")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tools-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let hledgerFile = folder + "/books.journal"
        let beancountFile = folder + "/books.beancount"
        // A red reversal too, so that "reversals keep their sides" is exercised.
        _ = try await books.ledger.reverse(seq: 2, reason: "冲销测试", date: LocalDate(year: 2020, month: 5, day: 30)!)
        try await books.admin.run { c in
            try JournalExport.write(c, bookCode: "main", format: .hledger, to: hledgerFile)
            try JournalExport.write(c, bookCode: "main", format: .beancount, to: beancountFile)
        }
        let check = try Self.tool(["hledger", "-f", hledgerFile, "check"])
        #expect(check.status == 0, "hledger check failed (install hledger: scripts/install-deps --test): \(check.output)")
        let beanCheck = try Self.tool(["bean-check", beancountFile])
        #expect(beanCheck.status == 0, "bean-check failed (install beancount: scripts/install-deps --test): \(beanCheck.output)")
        let hledger = try Self.balances(try Self.tool(["hledger", "-f", hledgerFile, "bal", "--flat", "-N", "-O", "csv"]).output)
        let beancount = try Self.balances(try Self.tool(["bean-query", "-f", "csv", beancountFile, "SELECT account, sum(number) GROUP BY account"]).output)
        let trial = try await books.trialBalance(Period(year: 2020, month: 5)!)
        let accounts = await books.ledger.chart
        var compared = 0
        for row in trial.rows {
            let account = try #require(accounts[row.code])
            let net = row.closingDebitFen - row.closingCreditFen
            #expect((hledger[HledgerJournalWriter.accountName(account)] ?? 0) == net, "hledger \(row.code)")
            #expect((beancount[BeancountJournalWriter.accountName(account)] ?? 0) == net, "beancount \(row.code)")
            if net != 0 { compared += 1 }
        }
        // Fund, bank, subsidy expense, purchases (two memorandum accounts): non-zero on the demo.
        #expect(compared >= 5)
        #expect(hledger.filter { $0.value != 0 }.count == compared && beancount.filter { $0.value != 0 }.count == compared)
        await books.close()
    }

    @Test func subsidyReconciliationFlagsAnOverpaymentTheBankHasNotSeen() async throws {
        let books = try await ProgramTests.demoBooks("subsidyrec")
        let may = Period(year: 2020, month: 5)!
        let clean = try await books.admin.run { c in try SubsidyReconciliation.report(c, programCode: Demo.programCode, through: may) }
        #expect(clean.rows.allSatisfy { $0.last == .text("一致") }, "\(clean.rows.filter { $0.last != .text("一致") })")
        #expect(clean.rows.count == 23)
        let enterprise = DemoData().enterprises.rows[3].cells[0]
        try await books.admin.run { c in
            _ = try PostingWriter.post(c, bookCode: "main", actorName: "test", drafts: [EntryDraft(
                idempotencyKey: "subsidy:pay:999:0", date: LocalDate(year: 2020, month: 5, day: 31)!, description: "重复拨付",
                postings: [
                    PostingDraft(accountCode: "215", side: .debit, amount: Money(fen: 12_345), dimensions: Dimensions(enterprise: enterprise)),
                    PostingDraft(accountCode: "102", side: .credit, amount: Money(fen: 12_345), dimensions: Dimensions(enterprise: enterprise)),
                ])])
        }
        let flagged = try await books.admin.run { c in try SubsidyReconciliation.report(c, programCode: Demo.programCode, through: may) }
        let row = try #require(flagged.rows.first { $0.first == .text(enterprise) })
        guard case .text(let flag) = row.last else { Issue.record("no flag"); return }
        #expect(flag.contains("多付 123.45") && flag.contains("银行未确认 123.45"), "\(flag)")
        #expect(flagged.rows.filter { $0.last != .text("一致") }.count == 1)
        await books.close()
    }

    @Test func supplierConfirmationsSortOutConfirmedMismatchedUnconfirmedDuplicatedUnknown() async throws {
        let books = try await ProgramTests.demoBooks("confirm")
        let purchases = try await books.admin.run { c in
            try c.query(
                """
                SELECT s.credit_code, p.invoice_number, sum(l.amount_fen)::bigint, p.purchase_date::text FROM relief.purchases p
                JOIN relief.purchase_lines l ON l.purchase_id = p.id JOIN relief.suppliers s ON s.id = p.supplier_id
                WHERE p.purchase_date BETWEEN '2020-05-01' AND '2020-05-31' GROUP BY 1, 2, 4 ORDER BY 2 LIMIT 4
                """
            ).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(Int64.self, at: 2), try $0.decode(String.self, at: 3)) }
        }
        #expect(purchases.count == 4)
        var lines = ["供应商信用代码,发票号码,金额（元）,销售日期"]
        lines.append("\(purchases[0].0),\(purchases[0].1),\(Money(fen: purchases[0].2).plain),\(purchases[0].3)")            // confirmed
        lines.append("\(purchases[1].0),\(purchases[1].1),\(Money(fen: purchases[1].2 + 100).plain),\(purchases[1].3)")      // amount mismatch
        lines.append("\(purchases[2].0),\(purchases[2].1),\(Money(fen: purchases[2].2).plain),\(purchases[2].3)")            // duplicated …
        lines.append("\(purchases[2].0),\(purchases[2].1),\(Money(fen: purchases[2].2).plain),\(purchases[2].3)")            // … twice
        lines.append("\(purchases[0].0),99999999,10.00,2020-05-15")                                                          // unknown
        let table = try csv("confirm.csv", lines)
        _ = try await books.admin.run { c in try SupplierConfirmations.importFile(c, table, programCode: Demo.programCode, actorName: "county") }
        let again = try await books.admin.run { c in try SupplierConfirmations.importFile(c, table, programCode: Demo.programCode, actorName: "county") }
        #expect(again.created == 0)
        let report = try await books.admin.run { c in try SupplierConfirmations.reconcile(c, programCode: Demo.programCode, period: Period(year: 2020, month: 5)!) }
        func status(_ invoice: String) -> String {
            guard let row = report.rows.first(where: { $0.first == .text(invoice) }), case .text(let text) = row.last else { return "" }
            return text
        }
        #expect(status(purchases[0].1).hasPrefix("CONFIRMED"))
        #expect(status(purchases[1].1).hasPrefix("MISMATCHED"))
        #expect(status(purchases[2].1).hasPrefix("DUPLICATED"))
        #expect(status(purchases[3].1).hasPrefix("UNCONFIRMED"))
        #expect(status("99999999").hasPrefix("UNKNOWN"))
        await books.close()
    }
}

