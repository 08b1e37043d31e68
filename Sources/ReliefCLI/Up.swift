import ArgumentParser
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// The README's run command: the database, sample books when empty, and the trial balance.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the database (embedded unless DATABASE_URL/PG* say otherwise), load sample entries into empty books, print the trial balance.")
    @OptionGroup var options: BookOptions

    func run() async throws {
        try await Session.with(book: options.book) { session in
            let book = options.book
            let latest = try await session.database.pool.withConnection { connection in
                try await connection.run { c in try Reports.latestPeriod(c, bookCode: book) }
            }
            if latest == nil {
                for draft in SampleBooks.entries() { _ = try await session.ledger.post(draft) }
                print("loaded \(SampleBooks.entries().count) sample entries into empty book \(book)")
            }
            let (report, verification) = try await session.database.pool.withConnection { connection in
                try await connection.run { c in
                    let period = try Reports.latestPeriod(c, bookCode: book) ?? Period(year: 2020, month: 5)!
                    return (try Reports.trialBalance(c, bookCode: book, period: period), try Verifier.verify(c, bookCode: book))
                }
            }
            print(report.renderTable(), terminator: "")
            print("verify: \(verification.isSound ? "OK" : "FAILED") (\(verification.entriesChecked) entries, chain head \(Chain.hex(verification.chainHead).prefix(16))…)")
            print("database: \(session.database.connection.conninfo.isEmpty ? "from PG* variables" : session.database.connection.conninfo)")
            print("next: relief post --file docs/examples/fund-received.json · relief verify · relief --help")
        }
    }
}

/// A handful of entries that show the program's postings (DESIGN.md "The books").
enum SampleBooks {
    static func entries() -> [EntryDraft] {
        func day(_ d: Int) -> LocalDate { LocalDate(year: 2020, month: 5, day: d)! }
        func fen(_ yuan: Int64) -> Money { Money(fen: yuan * 100) }
        return [
            EntryDraft(
                idempotencyKey: "sample-2020-05-fund", date: day(6), description: "收到省总工会消费帮扶补助资金",
                postings: [
                    PostingDraft(accountCode: "102", side: .debit, amount: fen(1_800_000)),
                    PostingDraft(accountCode: "403", side: .credit, amount: fen(1_800_000)),
                ]),
            EntryDraft(
                idempotencyKey: "sample-2020-05-purchase", date: day(12), description: "企业采购宣恩县农产品（备查登记）",
                postings: [
                    PostingDraft(accountCode: "901", side: .debit, amount: Money(fen: 32_504_00)),
                    PostingDraft(accountCode: "902", side: .credit, amount: Money(fen: 32_504_00)),
                ]),
            EntryDraft(
                idempotencyKey: "sample-2020-05-approve", date: day(20), description: "核定企业工会消费帮扶补助",
                postings: [
                    PostingDraft(accountCode: "508", side: .debit, amount: fen(3_250)),
                    PostingDraft(accountCode: "215", side: .credit, amount: fen(3_250)),
                ]),
            EntryDraft(
                idempotencyKey: "sample-2020-05-pay", date: day(25), description: "拨付企业工会消费帮扶补助",
                postings: [
                    PostingDraft(accountCode: "215", side: .debit, amount: fen(3_250)),
                    PostingDraft(accountCode: "102", side: .credit, amount: fen(3_250)),
                ]),
        ]
    }
}
