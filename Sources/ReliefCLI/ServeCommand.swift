import ArgumentParser
import ReliefStore
import ReliefWeb

/// `relief serve`: the web app (JSON API and pages) on the books' database, until SIGINT/SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web app: JSON API under /api, pages for clerks and finance, /metrics.",
        discussion: """
            Opens the database as the other commands do (DATABASE_URL / PGHOST / PGSERVICE, else the embedded \
            cluster under RELIEF_HOME) and applies pending migrations. On SIGINT or SIGTERM the server stops \
            accepting connections, finishes the requests in flight, then closes the database pool. Put a \
            TLS-terminating proxy in front for anything but localhost; it should set X-Forwarded-Proto.
            """)

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 8080

    @Option(name: .long, help: "The program whose 月报 and purchases the app serves.")
    var program: String = Demo.programCode

    @Option(name: .long, help: "The book of the trial balance.")
    var book: String = "main"

    @Flag(name: .long, help: "Take the client address from X-Forwarded-For (only behind a proxy that sets it).")
    var trustProxy = false

    @Option(name: .long, help: "Connections in the database pool.")
    var connections: Int = ReliefDatabase.defaultMaximumConnections

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard (1...100).contains(connections) else { throw ValidationError("--connections must be 1 to 100") }
    }

    func run() async throws {
        let location = try ReliefDatabase.locate(environment: Session.environment)
        let database = try await ReliefDatabase.open(location, maximumConnections: connections)
        let configuration = WebConfiguration(host: host, port: port, programCode: program, bookCode: book, trustForwardedFor: trustProxy)
        printError("relief: serving on http://\(host):\(port) (program \(program), book \(book)); Ctrl-C stops")
        do {
            try await WebApp.serve(database: database, configuration: configuration)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
