import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
@testable import ReliefWeb
import Testing

/// The database's own enforcement, below the routes' role checks: what a route check might miss,
/// PostgreSQL refuses, and the app reports that as 403.
@Suite("web: database layer of access control")
struct LayerTests {
    @Test func aClerkTransactionCannotReadTheBooksEvenWithoutTheRouteCheck() async throws {
        let fixture = try await WebFixture.make("layers")
        let server = WebServer(pool: fixture.database.pool, configuration: WebConfiguration(), metrics: RequestMetrics())
        let clerk = fixture.users[.enterpriseClerk]!
        let refused = await #expect(throws: PostgresError.self) {
            _ = try await server.asUser(clerk) { t in try BookReports.trialBalance(t, bookCode: "main", period: Period(year: 2020, month: 5)!) }
        }
        #expect(refused?.sqlState == "42501")
        let translated = try #require(refused.map { ErrorMiddleware.translate($0) })
        #expect(translated.status == .forbidden)
        #expect(translated.code == "FORBIDDEN")
        // The subsidy approval function is not even executable by an auditor's transaction.
        let auditor = fixture.users[.auditor]!
        let approval = await #expect(throws: PostgresError.self) {
            _ = try await server.asUser(auditor) { t in try t.query("SELECT relief.approve_subsidy_batch(1)") }
        }
        #expect(approval?.sqlState == "42501")
        await fixture.close()
    }
}
