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

@Suite("dashboard chart")
struct ChartTests {
    @Test func aLongRankingShowsTheTopTwentyAndTheBottomTen() {
        let report = Report(
            title: "月报", columns: [.init("rank", "排名"), .init("enterprise", "企业"), .init("target_fen", "目标", .money), .init("cumulative_fen", "累计", .money)],
            rows: (1...35).map { [.text(String($0)), .text("企业\($0)"), .fen(100_000), .fen(Int64(100_000 - $0 * 1_000))] })
        let rows = report.rows.map { ReportRow(report, $0) }
        let chart = WebServer.chart(rows)
        let bars = chart["bars"] as? [[String: Any]] ?? []
        #expect(bars.count == 30)
        #expect(bars.first?["rank"] as? String == "1")
        #expect(bars[19]["rank"] as? String == "20")
        #expect(bars[20]["rank"] as? String == "26")
        #expect(bars.last?["rank"] as? String == "35")
        #expect(chart["omitted"] as? String == "5")
        let short = WebServer.chart(Array(rows.prefix(12)))
        #expect((short["bars"] as? [[String: Any]])?.count == 12)
        #expect(short["omitted"] as? String == "")
    }
}
