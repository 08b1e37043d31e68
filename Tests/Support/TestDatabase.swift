import EmbeddedPostgres
import Foundation
public import Postgres

/// A real PostgreSQL for integration tests: the server named by `DATABASE_URL` / `PGHOST` /
/// `PGSERVICE` when set, otherwise a throwaway cluster this process starts with initdb/pg_ctl and
/// stops at exit. Each test gets a database of its own, so tests run in parallel safely.
///
/// On the throwaway cluster, the databases a run creates are named after its process
/// (`rt_<pid>_…`) and dropped at exit; a run also drops what runs that died left behind, so the
/// cluster does not grow from run to run. Under `CI=true` (a fresh clone that runs once) the
/// cluster's folder is removed at exit too, instead of being kept for the next run.
public enum TestDatabase {
    /// Where the throwaway cluster lives: one per user and checkout (reused across runs, stopped at
    /// exit), so test runs in two worktrees never stop each other's server.
    static let home = "/tmp/relief-test-cluster-\(getuid())-\(checkoutTag)"

    /// A short stable tag of this checkout's path (FNV-1a of `#filePath`).
    static var checkoutTag: String {
        var hash: UInt32 = 2_166_136_261
        for byte in #filePath.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return String(hash, radix: 16)
    }

    private static let server: Result<String, any Error> = Result {
        let environment = ProcessInfo.processInfo.environment
        if EmbeddedPostgres.isExternalDatabaseConfigured(environment: environment) {
            return environment["DATABASE_URL"] ?? ""
        }
        let conninfo = try EmbeddedPostgres(home: home).start()
        try? dropDatabases(conninfo: conninfo) { owner in owner.map { !isAlive($0) } ?? true }
        atexit {
            let embedded = EmbeddedPostgres(home: TestDatabase.home)
            let own = Int(getpid())
            try? dropDatabases(conninfo: embedded.connectionString) { owner in owner == own }
            do {
                try embedded.stop()
                // Only a stopped cluster's folder goes.
                if ProcessInfo.processInfo.environment["CI"] == "true" {
                    try? FileManager.default.removeItem(atPath: TestDatabase.home)
                }
            } catch {}
        }
        return conninfo
    }

    /// The conninfo of the server (its default database).
    public static func serverConninfo() throws -> String { try server.get() }

    /// Creates an empty database named after `label` and returns how to reach it.
    public static func fresh(_ label: String) async throws -> ConnectionConfiguration {
        let base = try serverConninfo()
        let safe = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name =
            "rt_\(getpid())_" + String(safe.prefix(30)) + "_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try await Connection.connect(ConnectionConfiguration(conninfo: base))
        do {
            try await admin.run { c in _ = try c.execute("CREATE DATABASE \(name)") }
            await admin.close()
        } catch {
            await admin.close()
            throw error
        }
        return ConnectionConfiguration(conninfo: withDatabase(base, name))
    }

    /// The most test databases one clean-up drops (a run creates about 400).
    static let dropLimit = 5_000

    /// Drops the test databases (`rt_…`) of the throwaway cluster for which `shouldDrop` of their
    /// creating process id holds (nil: a name from before ids were in names), through the
    /// cluster's own psql, since this runs at exit where nothing may be awaited.
    public static func dropDatabases(conninfo: String, where shouldDrop: (Int?) -> Bool) throws {
        let psql = try EmbeddedPostgres(home: home).programPath(named: "psql")
        let listing = try runPsql(
            psql, [conninfo, "-XAtq", "-c", #"SELECT datname FROM pg_database WHERE datname LIKE 'rt\_%'"#])
        let names = listing.split(separator: "\n").map(String.init).filter {
            shouldDrop(creatorProcess(ofDatabase: $0))
        }
        for batch in stride(from: 0, to: min(names.count, dropLimit), by: 50) {
            let drops = names[batch..<min(batch + 50, names.count)].flatMap {
                [
                    "-c",
                    "DROP DATABASE IF EXISTS \"\($0.replacingOccurrences(of: "\"", with: "\"\""))\" WITH (FORCE)",
                ]
            }
            _ = try runPsql(psql, [conninfo, "-Xq"] + drops)
        }
    }

    /// The process id in a test database's name (`rt_<pid>_…`), nil for an older name.
    public static func creatorProcess(ofDatabase name: String) -> Int? {
        let parts = name.split(separator: "_", maxSplits: 2)
        guard parts.count == 3, parts[0] == "rt" else { return nil }
        return Int(parts[1])
    }

    /// Whether a process with this id exists (signal 0 checks without sending anything).
    public static func isAlive(_ pid: Int) -> Bool {
        kill(pid_t(pid), 0) == 0 || errno == EPERM
    }

    private static func runPsql(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `conninfo` pointed at another database (keyword form or postgres:// URI).
    public static func withDatabase(_ conninfo: String, _ name: String) -> String {
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://") {
            let (main, query) = conninfo.split(separator: "?", maxSplits: 1).map(String.init).splitFirst()
            let schemeEnd = main.range(of: "://")!.upperBound
            let rest = main[schemeEnd...]
            let authority = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            return String(main[..<schemeEnd]) + authority + "/" + name + (query.map { "?" + $0 } ?? "")
        }
        return conninfo + " dbname=\(name)"
    }

    /// The environment for a `relief` child process that should use `configuration`.
    public static func environment(for configuration: ConnectionConfiguration) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { $0.key != "RELIEF_HOME" }
        environment["DATABASE_URL"] = configuration.conninfo
        environment["RELIEF_ACTOR"] = "test"
        return environment
    }
}

extension Array where Element == String {
    fileprivate func splitFirst() -> (String, String?) { (self.first ?? "", self.count > 1 ? self[1] : nil) }
}
