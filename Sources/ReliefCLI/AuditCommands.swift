import ArgumentParser
import Foundation
import Postgres
import ReliefCore
import ReliefStore

struct ImportBankStatement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank-statement",
        abstract: "A bank statement (CSV/XLSX as Chinese banks export it: 交易日期, 摘要, 借方发生额/贷方发生额 or 支出/收入, 余额, 对方户名, 对方账号, 附言).")
    @OptionGroup var book: BookOptions
    @Argument var file: String
    @Option(help: "The ledger account of the bank account.") var account: String = "102"
    func run() async throws {
        let table = try readTable(file)
        let (code, account, actor) = (book.book, account, Session.actorName)
        print(try await withConnection(book: code) { c in try BankReconciliation.importStatement(c, table, bookCode: code, accountCode: account, actorName: actor) })
    }
}

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reconciliations.", subcommands: [Bank.self, Subsidy.self, Suppliers.self])

    struct Subsidy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per enterprise: entitled by the rules, approved, paid, confirmed by the bank; differences flagged.")
        @Option var program: String = Demo.programCode
        @Option var period: Period
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, period) = (program, period)
            try await runReport(book: "main", options: options) { c in try SubsidyReconciliation.report(c, programCode: program, through: period) }
        }
    }

    struct Suppliers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Purchases against supplier confirmations by invoice and amount: unconfirmed, mismatched, duplicated.")
        @Option var program: String = Demo.programCode
        @Option var period: Period?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, period) = (program, period)
            try await runReport(book: "main", options: options) { c in try SupplierConfirmations.reconcile(c, programCode: program, period: period) }
        }
    }

    struct Bank: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Match the bank statement to the 102 postings and print the 银行存款余额调节表; exit 1 when the adjusted balances disagree.")
        @OptionGroup var book: BookOptions
        @Option var period: Period
        @Option(help: "The ledger account of the bank account.") var account: String = "102"
        func run() async throws {
            let (code, account, period) = (book.book, account, period)
            let (result, statement) = try await withConnection(book: code) { c in try BankReconciliation.reconcile(c, bookCode: code, accountCode: account, period: period) }
            print("matched: \(result.matches.count) · bank only: \(result.bankOnly.count) · book only: \(result.bookOnly.count)")
            print(statement.renderTable(), terminator: "")
            if !statement.balances { throw ExitCode(1) }
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Exports for auditors.", subcommands: [Journal.self, Pack.self])

    struct Journal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The journal as CSV (UTF-8 with BOM, or GB18030), XLSX, JSON, an hledger journal or a beancount file.")
        @OptionGroup var book: BookOptions
        @Option(help: "csv, xlsx, json, hledger or beancount.") var format: String
        @Option var out: String
        @Option(help: "Only this month (default: the whole journal).") var period: Period?
        @Option(help: "utf8 (with BOM) or gb18030, for CSV.") var encoding: String = "utf8"
        func validate() throws {
            guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard encoding == "utf8" || encoding == "gb18030" else { throw ValidationError("--encoding must be utf8 or gb18030") }
        }
        func run() async throws {
            let (code, format, out, period, gb) = (book.book, ExportFormat(rawValue: format)!, out, period, encoding == "gb18030")
            let count = try await withConnection(book: code) { c in
                try JournalExport.write(c, bookCode: code, format: format, gb18030: gb, periods: period.map { $0...$0 }, to: out)
            }
            print("wrote \(count) entries to \(out)")
        }
    }

    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every report and the journal for a month, with manifest.json (SHA-256 of each file, the chain head, the closing digest).")
        @OptionGroup var book: BookOptions
        @Option var period: Period
        @Option(help: "A new or empty folder.") var out: String
        @Option(help: "The program whose reports to include.") var program: String = Demo.programCode
        func run() async throws {
            let (code, period, out, program) = (book.book, period, out, program)
            let manifest = try await withConnection(book: code) { c in
                let hasProgram = try !c.query("SELECT 1 FROM relief.programs WHERE code = $1", [program]).rows.isEmpty
                return try AuditPack.write(c, bookCode: code, programCode: hasProgram ? program : nil, period: period, folder: out)
            }
            print("wrote \(manifest.files.count + 1) files to \(out); chain head #\(manifest.chainSeq) \(manifest.chainHead)")
        }
    }
}

struct ImportSupplierConfirmations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supplier-confirmations", abstract: "What suppliers or the county report as sold: 供应商信用代码, 发票号码, 金额（元）, 销售日期[, 购买方].")
    @Argument var file: String
    @Option var program: String = Demo.programCode
    func run() async throws {
        let table = try readTable(file)
        let (program, actor) = (program, Session.actorName)
        print(try await withConnection { c in try SupplierConfirmations.importFile(c, table, programCode: program, actorName: actor) })
    }
}
