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
            throw Failure(description: "\(file): \(error)")
        }
        if let other = parsed.first(where: { ($0.book ?? options.book) != options.book }) {
            throw Failure(description: "\(file): entry \(other.draft.idempotencyKey) names book \(other.book ?? "") but --book is \(options.book); post each book's entries separately")
        }
        try await Session.with(book: options.book) { session in
            for (index, entry) in parsed.enumerated() {
                do {
                    let posted = try await session.ledger.post(entry.draft)
                    if posted.existed {
                        print("already posted as \(posted.voucherReference) (chain #\(posted.seq)): idempotency key \(entry.draft.idempotencyKey) seen before, nothing written")
                    } else {
                        print("posted \(posted.voucherReference) (chain #\(posted.seq), hash \(Chain.hex(posted.hash).prefix(16))…)")
                    }
                } catch {
                    let place = parsed.count > 1 ? "\(file): entry [\(index)] (\(entry.draft.idempotencyKey))" : file
                    let written = index > 0 ? "; the \(index) entries before it were posted" : "; nothing was written"
                    throw Failure(description: "\(place): \(error)\(written)")
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
    case table, csv, json
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports.", subcommands: [TrialBalanceReport.self])

    struct TrialBalanceReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trial-balance", abstract: "科目余额表: opening, period and closing balances of every account.")
        @OptionGroup var options: BookOptions
        @Option(name: .long, help: "The month, YYYY-MM (default: the latest month with entries).")
        var period: Period?
        @Option(name: .long, help: "table, csv (UTF-8 with BOM) or json.")
        var format: OutputFormat = .table

        func run() async throws {
            let book = options.book
            let requested = period
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

    func run() async throws {
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
