import ArgumentParser
import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefWeb

/// The README's run command: the database, sample books when empty, and the trial balance.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the database (embedded unless DATABASE_URL/PG* say otherwise), load the demo program into an empty one, print the trial balance.")
    @OptionGroup var options: BookOptions
    @Flag(help: "Then serve the web app on 127.0.0.1 until Ctrl-C (the README's run command does).")
    var serve = false
    @Option(help: "Port for --serve.")
    var port: Int = 8080

    func run() async throws {
        try await show()
        guard serve else { return }
        let database = try await ReliefDatabase.open(
            try ReliefDatabase.locate(environment: Session.environment), maximumConnections: Serve.defaultConnections)
        let configuration = WebConfiguration(host: "127.0.0.1", port: port, programCode: Demo.programCode, bookCode: options.book, trustForwardedFor: false)
        print("""

            ReliefLedger is serving at http://127.0.0.1:\(port)/  (Ctrl-C stops)
            demo logins (password: demo-<login>):
            """ + Demo.logins.map { "  \($0.login)  \($0.role.rawValue)  \($0.name)" }.joined(separator: "\n"))
        fflush(nil)  // all C streams: print() buffers when output is piped
        do {
            try await WebApp.serve(database: database, configuration: configuration)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    private func show() async throws {
        try await Session.with(book: options.book) { session in
            let book = options.book
            let loaded = try await session.database.pool.withConnection { connection in
                try await connection.run { c -> Demo.Summary? in
                    guard try c.query("SELECT 1 FROM relief.programs LIMIT 1").rows.isEmpty else { return nil }
                    return try Demo.load(c) { printError($0) }
                }
            }
            if let loaded {
                print("loaded the demo program: \(loaded.enterprises) enterprises, \(loaded.purchases) purchases (\(loaded.ineligibleLines) ineligible lines), \(loaded.batches) subsidy batches paid")
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
            print("next: relief purchase list --ineligible · relief subsidy compute --period 2020-05 · relief verify · relief --help")
        }
    }
}
