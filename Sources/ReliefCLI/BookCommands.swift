import ArgumentParser
import Foundation
import Postgres
import ReliefCore
import ReliefStore

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the chart of accounts.")
    @OptionGroup var options: BookOptions

    func run() async throws {
        try await Session.with(book: options.book) { session in
            var table = TextTable(headers: ["科目编码", "科目名称", "类别", "余额方向"], alignments: [.left, .left, .left, .left])
            for account in await session.ledger.chart.values.sorted(by: { $0.code < $1.code }) {
                table.append([account.code, account.name, account.category, account.normalSide.chinese])
            }
            print(table.render(), terminator: "")
        }
    }
}

struct Post: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post journal entries from a JSON file (docs/ENTRY-JSON.md).",
        discussion: "Everything is checked before anything is written; a repeated idempotency_key returns the first result and writes nothing.")
    @OptionGroup var options: BookOptions
    @Option(name: .long, help: "The entry JSON: one entry object or an array of them.")
    var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(description: "\(file): cannot read the file")
        }
        let parsed: [EntryJSON.Parsed]
        do {
            parsed = try EntryJSON.parse(Array(data))
        } catch {
            throw Failure(description: "\(file): \(error); nothing was written")
        }
        if let other = parsed.first(where: { ($0.book ?? options.book) != options.book }) {
            throw Failure(description: "\(file): entry \(other.draft.idempotencyKey) names book \(other.book ?? "") but --book is \(options.book); post each book's entries separately")
        }
        try await Session.with(book: options.book) { session in
            let posted: [PostedEntry]
            do {
                posted = try await session.ledger.postAll(parsed.map(\.draft))
            } catch {
                throw Failure(description: "\(file): \(error); nothing was written")
            }
            for (entry, result) in zip(parsed, posted) {
                if result.existed {
                    print("already posted as \(result.voucherReference) (chain #\(result.seq)): idempotency key \(entry.draft.idempotencyKey) seen before, nothing written")
                } else {
                    print("posted \(result.voucherReference) (chain #\(result.seq), hash \(Chain.hex(result.hash).prefix(16))…)")
                }
            }
        }
    }
}

struct Reverse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post the red reversal (红字冲销) of an entry: same accounts and sides, red amounts, linked to the original.")
    @OptionGroup var options: BookOptions
    @Argument(help: "The entry: its chain position (17) or its voucher (2020-05/3).")
    var entry: String
    @Option(name: .long, help: "Why it is reversed (the reversal's 摘要).")
    var reason: String
    @Option(name: .long, help: "The reversal's date, YYYY-MM-DD (default: today, China time). Must be in an open month.")
    var date: LocalDate?

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--reason must say why the entry is reversed")
        }
    }

    func run() async throws {
        try await Session.with(book: options.book) { session in
            let seq = try await resolve(entry, session: session)
            let posted = try await session.ledger.reverse(seq: seq, reason: reason, date: date ?? todayInChina())
            if posted.existed {
                print("entry #\(seq) was already reversed by \(posted.voucherReference) (chain #\(posted.seq)); nothing written")
            } else {
                print("reversed entry #\(seq) with \(posted.voucherReference) (chain #\(posted.seq))")
            }
        }
    }

    private func resolve(_ reference: String, session: Session) async throws -> Int64 {
        if let seq = Int64(reference), seq > 0 { return seq }
        let parts = reference.split(separator: "/")
        guard parts.count == 2, let period = Period(parsing: String(parts[0])), let number = Int(parts[1]) else {
            throw LedgerError.unknownEntry(reference)
        }
        let book = options.book
        let seq = try await session.database.pool.withConnection { connection in
            try await connection.run { c in try Reports.seq(c, bookCode: book, period: period, voucherNumber: number) }
        }
        guard let seq else { throw LedgerError.unknownEntry(reference) }
        return seq
    }
}

struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an account's balance.")
    @OptionGroup var options: BookOptions
    @Argument(help: "The account code, e.g. 102.")
    var account: String
    @Option(name: .customLong("as-of"), help: "Include entries dated up to this day, YYYY-MM-DD (default: all).")
    var asOf: LocalDate?

    func run() async throws {
        let book = options.book
        let code = account
        let asOf = asOf
        try await Session.with(book: book) { session in
            let result = try await session.database.pool.withConnection { connection in
                try await connection.run { c in try Reports.balance(c, bookCode: book, accountCode: code, asOf: asOf) }
            }
            let net = result.debitFen - result.creditFen
            let onNormal = result.account.normalSide == .debit ? net : -net
            let side = onNormal >= 0 ? result.account.normalSide : (result.account.normalSide == .debit ? .credit : .debit)
            print("\(result.account.code) \(result.account.name)\(asOf.map { " as of \($0)" } ?? "")")
            print("  debits   \(Money(fen: result.debitFen).formatted)")
            print("  credits  \(Money(fen: result.creditFen).formatted)")
            print("  balance  \(side.chinese) \(Money(fen: abs(onNormal)).formatted)  \(CapitalAmount.text(fen: abs(onNormal)))")
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, xlsx
}

/// Options every report shares.
struct ReportOptions: ParsableArguments {
    @Option(name: .long, help: "table, csv (UTF-8 with BOM), json or xlsx.")
    var format: OutputFormat = .table
    @Option(name: .long, help: "Write to this file instead of standard output (required for xlsx).")
    var out: String?

    func validate() throws {
        if format == .xlsx && out == nil { throw ValidationError("--format xlsx needs --out FILE") }
    }

    /// Renders and writes a report.
    func emit(_ report: Report) throws { try Self.write(report, format: format, out: out) }

    /// Renders `report` in `format` to `out` (standard output when nil).
    static func write(_ report: Report, format: OutputFormat, out: String?) throws {
        let bytes: [UInt8]
        switch format {
        case .table: bytes = Array(report.renderTable().utf8)
        case .csv: bytes = Array(report.renderCSV().utf8)
        case .json: bytes = Array(try report.renderJSON().utf8)
        case .xlsx: bytes = try report.renderXLSX()
        }
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else { throw Failure(description: "\(out): cannot write the file") }
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}

/// Runs a report query on one connection and emits it.
func runReport(book: String, options: ReportOptions, _ query: @escaping @Sendable (isolated Connection) throws -> Report) async throws {
    let report = try await withConnection(book: book, query)
    try options.emit(report)
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports, each as a table, CSV, JSON or XLSX.",
        subcommands: [
            TrialBalanceReport.self, Monthly.self, GeneralLedger.self, AccountLedger.self, JournalReport.self, Statement.self,
            SubsidyLedger.self, Exceptions.self, Supervision.self,
        ])

    struct Supervision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "县市工会监督: the county and district unions, with the paired county's suppliers and purchases.")
        @Option var program: String = Demo.programCode
        @Option(name: .customLong("as-of")) var asOf: LocalDate?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, asOf) = (program, asOf ?? todayInChina())
            try await runReport(book: "main", options: options) { c in try ProgramReports.supervision(c, programCode: program, asOf: asOf) }
        }
    }

    struct Monthly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "月报: target, this month, cumulative, 完成率 and rank per enterprise; --by township|category|channel for a breakdown.")
        @Option var program: String = Demo.programCode
        @Option var period: Period
        @Option(help: "Break the month down by township, category or channel instead.") var by: String?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, period, by) = (program, period, by)
            try await runReport(book: "main", options: options) { c in
                if let by { return try ProgramReports.breakdown(c, programCode: program, period: period, dimension: by) }
                return try ProgramReports.monthly(c, programCode: program, period: period)
            }
        }
    }

    struct GeneralLedger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "general-ledger", abstract: "总账: every account's opening and monthly totals for the year.")
        @OptionGroup var book: BookOptions
        @Option var period: Period
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (code, period) = (book.book, period)
            try await runReport(book: code, options: options) { c in try BookReports.generalLedger(c, bookCode: code, period: period) }
        }
    }

    struct AccountLedger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ledger", abstract: "明细账 of one account for a month, optionally one enterprise's postings only.")
        @OptionGroup var book: BookOptions
        @Argument var account: String
        @Option var period: Period
        @Option(help: "Only postings of this enterprise (统一社会信用代码).") var enterprise: String?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (code, account, period, enterprise) = (book.book, account, period, enterprise)
            try await runReport(book: code, options: options) { c in
                try BookReports.accountLedger(c, bookCode: code, accountCode: account, period: period, enterprise: enterprise)
            }
        }
    }

    struct JournalReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "journal", abstract: "序时账: the month's postings in voucher order.")
        @OptionGroup var book: BookOptions
        @Option var period: Period
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (code, period) = (book.book, period)
            try await runReport(book: code, options: options) { c in try BookReports.journal(c, bookCode: code, period: period) }
        }
    }

    struct Statement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "对账单: an enterprise union's subsidy statement for a month, totals in 大写.")
        @OptionGroup var book: BookOptions
        @Option(help: "The enterprise's 统一社会信用代码.") var enterprise: String
        @Option var period: Period
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (code, enterprise, period) = (book.book, enterprise, period)
            try await runReport(book: code, options: options) { c in try BookReports.enterpriseStatement(c, bookCode: code, enterprise: enterprise, period: period) }
        }
    }

    struct SubsidyLedger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "subsidy-ledger", abstract: "补助台账: allocated, approved, paid, payable, clawed back, with ageing.")
        @Option var program: String = Demo.programCode
        @Option(name: .customLong("as-of")) var asOf: LocalDate?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, asOf) = (program, asOf ?? todayInChina())
            try await runReport(book: "main", options: options) { c in try ProgramReports.subsidyLedger(c, programCode: program, asOf: asOf) }
        }
    }

    struct Exceptions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "异常清单: duplicate invoices, uncertified goods, prices out of band, caps exceeded.")
        @Option var program: String = Demo.programCode
        @Option var period: Period?
        @OptionGroup var options: ReportOptions
        func run() async throws {
            let (program, period) = (program, period)
            try await runReport(book: "main", options: options) { c in try ProgramReports.exceptions(c, programCode: program, period: period) }
        }
    }

    struct TrialBalanceReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trial-balance", abstract: "科目余额表: opening, period and closing balances of every account.")
        @OptionGroup var options: BookOptions
        @Option(name: .long, help: "The month, YYYY-MM (default: the latest month with entries).")
        var period: Period?
        @Option(name: .long, help: "table, csv (UTF-8 with BOM), json or xlsx.")
        var format: OutputFormat = .table
        @Option(name: .long, help: "Write to this file (required for xlsx).")
        var out: String?

        func run() async throws {
            let book = options.book
            let requested = period
            if format == .xlsx {
                guard let out else { throw ValidationError("--format xlsx needs --out FILE") }
                let report = try await withConnection(book: book) { c in
                    try BookReports.trialBalance(c, bookCode: book, period: try requested ?? Reports.latestPeriod(c, bookCode: book) ?? Period(year: 2020, month: 1)!)
                }
                try ReportOptions.write(report, format: .xlsx, out: out)
                return
            }
            try await Session.with(book: book) { session in
                let report = try await session.database.pool.withConnection { connection in
                    try await connection.run { c in
                        let period = try requested ?? Reports.latestPeriod(c, bookCode: book) ?? Period(year: 2020, month: 1)!
                        return try Reports.trialBalance(c, bookCode: book, period: period)
                    }
                }
                switch format {
                case .table: print(report.renderTable(), terminator: "")
                case .csv: print(report.renderCSV(), terminator: "")
                case .json: print(try report.renderJSON(), terminator: "")
                case .xlsx: break  // handled above
                }
                if !report.isBalanced {
                    throw Failure(description: "the trial balance does NOT balance; run `relief verify`")
                }
            }
        }
    }
}

struct PeriodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "period", abstract: "Periods (months).", subcommands: [Close.self])

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a month: no entry may be dated in it afterwards; records closing balances and the chain head.")
        @OptionGroup var options: BookOptions
        @Argument(help: "The month, YYYY-MM.")
        var period: Period

        func run() async throws {
            try await Session.with(book: options.book) { session in
                let head = try await session.ledger.closePeriod(period)
                print("closed \(period): chain position \(head.seq), head \(Chain.hex(head.head))")
            }
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the chain, voucher continuity, balances and closes from the rows; exit 1 naming the first bad entry.")
    @OptionGroup var options: BookOptions
    @Option(name: .long, help: "Check an audit pack folder offline instead (no database needed).")
    var pack: String?

    func run() async throws {
        if let pack {
            let problems = AuditPack.verify(folder: pack)
            if problems.isEmpty {
                print("verify --pack \(pack): OK — every file matches manifest.json and the chain recomputes to its head")
                return
            }
            printError("verify --pack \(pack): FAILED — \(problems.count) problem(s)")
            for problem in problems { printError("  \(problem)") }
            throw ExitCode(1)
        }
        let book = options.book
        let report = try await Session.with(book: book) { session in
            try await session.database.pool.withConnection { connection in
                try await connection.run { c in try Verifier.verify(c, bookCode: book) }
            }
        }
        if report.isSound {
            print("verify \(book): OK — \(report.entriesChecked) entries, \(report.postingsChecked) postings, chain head \(Chain.hex(report.chainHead))")
            return
        }
        printError("verify \(book): FAILED — \(report.problems.count) problem(s) in \(report.entriesChecked) entries")
        for problem in report.problems { printError("  \(problem)") }
        throw ExitCode(1)
    }
}
