import Foundation
import Postgres
import ReliefTestSupport
import Testing

/// The test harness drops the databases of runs that are gone and keeps those of live ones, so a
/// reused throwaway cluster does not grow from run to run.
@Suite("test database clean-up")
struct TestDatabaseCleanupTests {
    @Test func namesCarryTheCreatingProcess() {
        #expect(TestDatabase.creatorProcess(ofDatabase: "rt_4242_typed_1a2b3c4d") == 4242)
        #expect(TestDatabase.creatorProcess(ofDatabase: "rt_typed_1a2b3c4d") == nil)
        #expect(TestDatabase.creatorProcess(ofDatabase: "relief") == nil)
        #expect(TestDatabase.isAlive(Int(getpid())))
        #expect(!TestDatabase.isAlive(999_999_999))
    }

    @Test func dropsDeadRunsDatabasesAndKeepsLiveOnes() async throws {
        let own = try await TestDatabase.fresh("cleanup_own")
        let ownName = try #require(own.conninfo.split(separator: "=").last.map(String.init))
        #expect(TestDatabase.creatorProcess(ofDatabase: ownName) == Int(getpid()))
        let base = try TestDatabase.serverConninfo()
        let leftover = "rt_999999999_cleanup_leftover_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await Connection.connect(ConnectionConfiguration(conninfo: base))
        defer { Task { await admin.close() } }
        try await admin.run { c in _ = try c.execute("CREATE DATABASE \(leftover)") }

        try TestDatabase.dropDatabases(conninfo: base) { owner in
            owner.map { !TestDatabase.isAlive($0) } ?? false
        }

        let remaining = try await admin.run { c in
            try c.query(
                "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])",
                ["{\(leftover),\(ownName)}"]
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
        #expect(remaining == [ownName])
    }
}
