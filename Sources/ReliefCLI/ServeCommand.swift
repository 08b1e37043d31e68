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

    /// The server's pool: each request looks up its token on a connection while a purchase
    /// group holds another. Measured with wrk, 16 connections posting purchases: 8 pooled
    /// connections gave 657–892 requests/s, 20 gave 1,190–1,399, 40 gave 1,351–1,445.
    static let defaultConnections = 20

    @Option(name: .long, help: "Connections in the database pool.")
    var connections: Int = Serve.defaultConnections

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
