public import ArgumentParser
import EmbeddedPostgres
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// `relief`: the books of a consumer-aid program on PostgreSQL.
public struct Relief: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "relief",
        abstract: "ReliefLedger (消费帮扶台账): double-entry books of a consumer-aid program on PostgreSQL.",
        discussion: """
            With DATABASE_URL, PGHOST or PGSERVICE set, relief uses that server (libpq reads PG* variables, \
            .pgpass and service files as psql does). Otherwise it starts its own PostgreSQL cluster under \
            RELIEF_HOME (default ./.relief), on a Unix socket in that folder.
            """,
        subcommands: [
            Up.self, DB.self, Migrate.self, Accounts.self, Post.self, Reverse.self, Balance.self, ReportCommand.self,
            PeriodCommand.self, Verify.self, Import.self, ProgramCommand.self, PurchaseCommand.self, SubsidyCommand.self,
            DemoCommand.self, Reconcile.self, Export.self, UserCommand.self, TokenCommand.self, Serve.self, Bench.self, Soak.self,
            BackupCommand.self, RestoreCommand.self,
        ])

    public init() {}
}

/// Options every command that touches the books shares.
struct BookOptions: ParsableArguments {
    @Option(name: .long, help: "The book's code.")
    var book: String = "main"
}

/// The database and ledger a command works on.
struct Session {
    let database: ReliefDatabase
    let ledger: Ledger

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Who is acting: RELIEF_ACTOR, else cli:<login name>.
    static var actorName: String {
        if let actor = environment["RELIEF_ACTOR"], !actor.isEmpty { return actor }
        return "cli:" + (environment["USER"] ?? environment["LOGNAME"] ?? ProcessInfo.processInfo.userName)
    }

    static func open(book: String) async throws -> Session {
        let configuration = try ReliefDatabase.locate(environment: environment)
        let database = try await ReliefDatabase.open(configuration, maximumConnections: 4)
        do {
            let ledger = try await Ledger(database: database, bookCode: book, actorName: actorName)
            return Session(database: database, ledger: ledger)
        } catch {
            await database.close()
            throw error
        }
    }

    /// Runs `body` with an open session and always closes it.
    static func with<T>(book: String, _ body: (Session) async throws -> T) async throws -> T {
        let session = try await open(book: book)
        do {
            let value = try await body(session)
            await session.database.close()
            return value
        } catch {
            await session.database.close()
            throw error
        }
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A user-facing failure: the message is printed as is and the exit code is 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
}

extension LocalDate: ArgumentParser.ExpressibleByArgument {
    init?(argument: String) { self.init(parsing: argument) }
}

extension Period: ArgumentParser.ExpressibleByArgument {
    init?(argument: String) { self.init(parsing: argument) }
}

/// Today's date in UTC+8 (China Standard Time), the program's civil calendar.
func todayInChina() -> LocalDate {
    let seconds = Int(Date().timeIntervalSince1970) + 8 * 3600
    return LocalDate(daysSinceEpoch: seconds / 86_400) ?? LocalDate(year: 2000, month: 1, day: 1)!
}
