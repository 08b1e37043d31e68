import EmbeddedPostgres
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A cluster under a fresh `/tmp/ep-test-<uuid>` home that removes everything it made.
struct TemporaryCluster {
    let home: String
    let postgres: EmbeddedPostgres

    init(homeSuffix: String = "", databaseName: String = "relief", binarySearchPaths: [String]? = nil) {
        home = "/tmp/ep-test-\(UUID().uuidString.lowercased())" + homeSuffix
        postgres = EmbeddedPostgres(
            home: home, databaseName: databaseName, binarySearchPaths: binarySearchPaths)
    }

    /// Stops the server and removes the home, a /tmp socket folder and a relocated cluster folder.
    func cleanUp() {
        let socketDirectory = postgres.socketDirectory
        let clusterFolder = URL(fileURLWithPath: postgres.dataDirectory).deletingLastPathComponent().path
        try? postgres.stop()
        let fileManager = FileManager.default
        if socketDirectory.hasPrefix("/tmp/relief-") { try? fileManager.removeItem(atPath: socketDirectory) }
        if !clusterFolder.hasPrefix(home) { try? fileManager.removeItem(atPath: clusterFolder) }
        // The first folder under /tmp, so that long test homes go away completely.
        let topFolder = "/tmp/" + home.dropFirst("/tmp/".count).prefix { $0 != "/" }
        try? fileManager.removeItem(atPath: topFolder)
    }

    /// Runs `sql` with psql (from the server's folder) and returns its unaligned, tuples-only output.
    func psql(_ sql: String, connectionString: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try postgres.programPath(named: "psql"))
        process.arguments = [connectionString, "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: outputData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw PsqlFailure(message: String(decoding: errorData, as: UTF8.self))
        }
        return text
    }
}

struct PsqlFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { "psql failed: \(message)" }
}

/// How long a test waits for a killed server to be seen as gone.
let killedServerWaitSeconds = 30.0

func pid(of status: EmbeddedPostgres.Status) -> Int? {
    if case .running(let pid) = status { return pid }
    return nil
}

@Suite("EmbeddedPostgres clusters")
struct EmbeddedPostgresClusterTests {
    @Test("start, query, stop, restart keeps data and does not re-run initdb")
    func lifecycle() throws {
        let cluster = TemporaryCluster()
        defer { cluster.cleanUp() }
        let postgres = cluster.postgres

        #expect(try postgres.status() == .notInitialized)
        let connectionString = try postgres.start()
        #expect(connectionString == postgres.connectionString)
        #expect(connectionString == "host=\(cluster.home)/run port=5432 dbname=relief user=relief")
        #expect(postgres.dataDirectory == cluster.home + "/data")
        #expect(postgres.socketDirectory == cluster.home + "/run")
        #expect(FileManager.default.fileExists(atPath: cluster.home + "/run/.s.PGSQL.5432"))

        let firstPID = try #require(pid(of: try postgres.status()))
        #expect(try cluster.psql("select 1", connectionString: connectionString) == "1")
        #expect(try cluster.psql("select current_database()", connectionString: connectionString) == "relief")

        // A second start on a running cluster changes nothing.
        #expect(try postgres.start() == connectionString)
        #expect(pid(of: try postgres.status()) == firstPID)

        _ = try cluster.psql(
            "create table kept (value int); insert into kept values (42)", connectionString: connectionString)
        let versionFile = postgres.dataDirectory + "/PG_VERSION"
        let initializedAt = try FileManager.default.attributesOfItem(atPath: versionFile)[.modificationDate]

        try postgres.stop()
        #expect(try postgres.status() == .stopped)
        try postgres.stop()  // stopping a stopped cluster is not an error

        #expect(try postgres.start() == connectionString)
        #expect(pid(of: try postgres.status()) != nil)
        #expect(try cluster.psql("select value from kept", connectionString: connectionString) == "42")
        let stillInitializedAt = try FileManager.default.attributesOfItem(atPath: versionFile)[
            .modificationDate]
        #expect(stillInitializedAt as? Date == initializedAt as? Date)

        try postgres.stop()
        #expect(try postgres.status() == .stopped)
    }

    @Test("a home path longer than 100 bytes puts the socket under /tmp/relief-")
    func longHomePath() throws {
        let cluster = TemporaryCluster(homeSuffix: "/" + String(repeating: "long-folder-name-", count: 6))
        defer { cluster.cleanUp() }
        let postgres = cluster.postgres
        #expect(cluster.home.utf8.count > 100)
        #expect(postgres.socketDirectory.hasPrefix("/tmp/relief-"))
        #expect(postgres.socketDirectory.utf8.count == "/tmp/relief-".utf8.count + 12)
        #expect(postgres.dataDirectory == cluster.home + "/data")

        let connectionString = try postgres.start()
        #expect(connectionString.hasPrefix("host=/tmp/relief-"))
        #expect(try cluster.psql("select 1", connectionString: connectionString) == "1")
        try postgres.stop()
        #expect(try postgres.status() == .stopped)
    }

    @Test("start works again after the postmaster was killed with SIGKILL")
    func restartAfterKill() throws {
        let cluster = TemporaryCluster()
        defer { cluster.cleanUp() }
        let postgres = cluster.postgres

        let connectionString = try postgres.start()
        _ = try cluster.psql(
            "create table survivor (id int); insert into survivor values (7)",
            connectionString: connectionString)
        let killedPID = try #require(pid(of: try postgres.status()))
        #expect(kill(pid_t(killedPID), SIGKILL) == 0)

        let deadline = Date().addingTimeInterval(killedServerWaitSeconds)
        while pid(of: try postgres.status()) != nil && Date() < deadline {
            usleep(100_000)
        }
        #expect(try postgres.status() == .stopped)

        #expect(try postgres.start() == connectionString)
        let newPID = try #require(pid(of: try postgres.status()))
        #expect(newPID != killedPID)
        #expect(try cluster.psql("select id from survivor", connectionString: connectionString) == "7")
        try postgres.stop()
        #expect(try postgres.status() == .stopped)
    }

    @Test("two concurrent starts of the same home both succeed with one initdb")
    func concurrentStarts() async throws {
        let cluster = TemporaryCluster()
        defer { cluster.cleanUp() }
        let postgres = cluster.postgres

        async let first = Task.detached { try postgres.start() }.value
        async let second = Task.detached { try postgres.start() }.value
        let (firstString, secondString) = try await (first, second)
        #expect(firstString == secondString)
        #expect(try cluster.psql("select 1", connectionString: firstString) == "1")
        #expect(!FileManager.default.fileExists(atPath: cluster.home + "/data.initdb"))
        try postgres.stop()
    }

    @Test("as root, a home the postgres user cannot enter moves the cluster to /var/tmp")
    func rootWithPrivateHome() throws {
        guard geteuid() == 0 else { return }
        let cluster = TemporaryCluster(homeSuffix: "/private/relief")
        defer { cluster.cleanUp() }
        let privateFolder = URL(fileURLWithPath: cluster.home).deletingLastPathComponent().path
        try FileManager.default.createDirectory(
            atPath: privateFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: privateFolder)
        let postgres = cluster.postgres

        let connectionString = try postgres.start()
        #expect(postgres.dataDirectory.hasPrefix("/var/tmp/relief-pg-"))
        #expect(connectionString.hasPrefix("host=/var/tmp/relief-pg-"))
        let recorded = try String(contentsOfFile: cluster.home + "/cluster-location", encoding: .utf8)
        #expect(postgres.dataDirectory == recorded.trimmingCharacters(in: .whitespacesAndNewlines) + "/data")
        #expect(try cluster.psql("select 1", connectionString: connectionString) == "1")

        // A new value for the same home finds the same cluster.
        let again = EmbeddedPostgres(home: cluster.home)
        #expect(pid(of: try again.status()) != nil)
        try again.stop()
        #expect(try postgres.status() == .stopped)
    }
}

@Suite("EmbeddedPostgres configuration")
struct EmbeddedPostgresConfigurationTests {
    @Test("missing programs: the error says how to install them, and PATH is not searched")
    func missingPrograms() throws {
        let cluster = TemporaryCluster(binarySearchPaths: ["/nonexistent"])
        defer { cluster.cleanUp() }
        do {
            try cluster.postgres.start()
            Issue.record("start() should have thrown")
        } catch {
            #expect(error.kind == .programsNotFound)
            #expect(error.description.contains("apt-get install postgresql"))
            #expect(error.description.contains("initdb"))
        }
        #expect(throws: EmbeddedPostgresError.self) { try cluster.postgres.programPath(named: "psql") }
        #expect(!FileManager.default.fileExists(atPath: cluster.home + "/data"))
    }

    @Test(
        "names that could reach a command line oddly are refused",
        arguments: ["Relief", "1db", "a-b", "x y", ""])
    func invalidNames(name: String) throws {
        let cluster = TemporaryCluster(databaseName: name)
        defer { cluster.cleanUp() }
        #expect(!EmbeddedPostgres.isValidIdentifier(name))
        do {
            try cluster.postgres.start()
            Issue.record("start() should have thrown")
        } catch {
            #expect(error.kind == .invalidConfiguration)
        }
    }

    @Test("valid identifiers")
    func validNames() {
        #expect(EmbeddedPostgres.isValidIdentifier("relief"))
        #expect(EmbeddedPostgres.isValidIdentifier("_x9"))
        #expect(EmbeddedPostgres.isValidIdentifier(String(repeating: "a", count: 63)))
        #expect(!EmbeddedPostgres.isValidIdentifier(String(repeating: "a", count: 64)))
    }

    @Test("external database detection")
    func externalDatabase() {
        #expect(
            EmbeddedPostgres.isExternalDatabaseConfigured(environment: ["DATABASE_URL": "postgres://x/y"]))
        #expect(EmbeddedPostgres.isExternalDatabaseConfigured(environment: ["PGHOST": "/var/run/postgresql"]))
        #expect(EmbeddedPostgres.isExternalDatabaseConfigured(environment: ["PGSERVICE": "ledger"]))
        #expect(!EmbeddedPostgres.isExternalDatabaseConfigured(environment: [:]))
        #expect(
            !EmbeddedPostgres.isExternalDatabaseConfigured(environment: ["PGHOST": "", "DATABASE_URL": ""]))
        #expect(
            !EmbeddedPostgres.isExternalDatabaseConfigured(environment: ["PGPORT": "5433", "HOME": "/root"]))
    }

    @Test("default home: RELIEF_HOME, else <cwd>/.relief")
    func defaultHome() {
        let workingDirectory = FileManager.default.currentDirectoryPath
        let currentDirectory = workingDirectory == "/" ? "" : workingDirectory
        #expect(EmbeddedPostgres.defaultHome(environment: ["RELIEF_HOME": "/srv/relief"]) == "/srv/relief")
        #expect(EmbeddedPostgres.defaultHome(environment: [:]) == currentDirectory + "/.relief")
        #expect(
            EmbeddedPostgres.defaultHome(environment: ["RELIEF_HOME": ""]) == currentDirectory + "/.relief")
        #expect(
            EmbeddedPostgres.defaultHome(environment: ["RELIEF_HOME": "books"]) == currentDirectory + "/books"
        )
    }

    @Test("paths without starting anything")
    func pathsWithoutStarting() {
        let postgres = EmbeddedPostgres(home: "/srv/relief/", databaseName: "books", superuser: "clerk")
        #expect(postgres.home == "/srv/relief")
        #expect(postgres.dataDirectory == "/srv/relief/data")
        #expect(postgres.socketDirectory == "/srv/relief/run")
        #expect(postgres.logFile == "/srv/relief/postgres.log")
        #expect(postgres.connectionString == "host=/srv/relief/run port=5432 dbname=books user=clerk")
    }
}
