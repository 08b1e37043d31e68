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
        let rows = ReportRow.rows(report)
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
        #expect(short["omitted"] == nil)
    }
}

@Suite("dashboard pages")
struct DashboardPageTests {
    @Test func theRankingIsShownAHundredRowsAPageAndOutOfRangePagesAreClamped() {
        let size = WebServer.dashboardRowsPerPage
        #expect(size == 100)
        let first = WebServer.dashboardPage(requested: nil, rowCount: 2_000)
        #expect(first.number == 1 && first.count == 20 && first.rows == 0..<100)
        let last = WebServer.dashboardPage(requested: 20, rowCount: 2_000)
        #expect(last.number == 20 && last.rows == 1_900..<2_000)
        #expect(WebServer.dashboardPage(requested: 21, rowCount: 2_000).number == 20)
        #expect(WebServer.dashboardPage(requested: 0, rowCount: 2_000).number == 1)
        #expect(WebServer.dashboardPage(requested: -3, rowCount: 2_000).number == 1)
        let partial = WebServer.dashboardPage(requested: 3, rowCount: 250)
        #expect(partial.count == 3 && partial.rows == 200..<250)
        // 23 enterprises (the demo) and none: one page, every row.
        #expect(WebServer.dashboardPage(requested: nil, rowCount: 23) == (1, 1, 0..<23))
        let empty = WebServer.dashboardPage(requested: 2, rowCount: 0)
        #expect(empty.number == 1 && empty.count == 1 && empty.rows.isEmpty)
    }
}
