import EmbeddedPostgres
import Foundation
public import Postgres

/// A real PostgreSQL for integration tests: the server named by `DATABASE_URL` / `PGHOST` /
/// `PGSERVICE` when set, otherwise a throwaway cluster this process starts with initdb/pg_ctl and
/// stops at exit. Each test gets a database of its own, so tests run in parallel safely.
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
        atexit { try? EmbeddedPostgres(home: TestDatabase.home).stop() }
        return conninfo
    }

    /// The conninfo of the server (its default database).
    public static func serverConninfo() throws -> String { try server.get() }

    /// Creates an empty database named after `label` and returns how to reach it.
    public static func fresh(_ label: String) async throws -> ConnectionConfiguration {
        let base = try serverConninfo()
        let safe = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = "rt_" + String(safe.prefix(30)) + "_" + UUID().uuidString.prefix(8).lowercased()
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
