import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

@testable import ReliefCLI

/// The bench's (f) driven by wrk: the Lua script's requests, its check of every answer, and the
/// figures read back from its output.
@Suite("bench (f) with wrk")
struct BenchWrkTests {
    static let wrkOutput = """
        Running 1s test @ http://127.0.0.1:8080/api/v1/purchases
          2 threads and 16 connections
        relief-wrk 1234 2000512 14080 31590 0 0
        relief-wrk-first-wrong 
        """

    @Test func theScriptsFiguresAreRead() throws {
        let load = BenchWrk.Load(
            url: "u", connections: 16, seconds: 2, headers: [], body: nil, slot: 0, expectedStatus: 201)
        let figures = try BenchWrk.figures(Self.wrkOutput, load: load)
        #expect(figures.requests == 1234)
        #expect(figures.seconds == 2.000512)
        #expect(figures.p50Milliseconds == 14.08 && figures.p99Milliseconds == 31.59)
    }

    @Test func aWrongAnswerOrAFailedSocketFailsTheRunNamingTheFirst() throws {
        let load = BenchWrk.Load(
            url: "http://x/", connections: 16, seconds: 2, headers: [], body: nil, slot: 0,
            expectedStatus: 200)
        let wrong = "relief-wrk 10 1000000 1000 2000 3 0\nrelief-wrk-first-wrong 303 \n"
        #expect(throws: Failure.self) { try BenchWrk.figures(wrong, load: load) }
        do {
            _ = try BenchWrk.figures(wrong, load: load)
        } catch {
            #expect("\(error)".contains("3 answers were not 200") && "\(error)".contains("the first: 303"))
        }
        #expect(throws: Failure.self) {
            try BenchWrk.figures("relief-wrk 10 1000000 1000 2000 0 2\n", load: load)
        }
        #expect(throws: Failure.self) { try BenchWrk.figures("wrk: connection refused\n", load: load) }
    }

    @Test func luaStringsKeepUTF8AndEscapeQuotesBackslashesAndControls() {
        #expect(BenchWrk.luaString("消费券 \"a\"\\b\n") == "\"消费券 \\034a\\034\\092b\\010\"")
        #expect(BenchWrk.luaString("") == "\"\"")
    }

    /// The real thing: wrk against the web app on a demo book, for two seconds each. Every POST it
    /// counts was recorded once under its own key; the ones in flight when wrk stopped may have
    /// been recorded too (at most one per connection).
    @Test func wrkPostsPurchasesWithUniqueKeysAndOpensTheDashboard() async throws {
        _ = try #require(
            BenchWrk.find(),
            "wrk is not on PATH; install it for this test: apt-get install -y wrk (scripts/install-deps --test does)"
        )
        let configuration = try await TestDatabase.fresh("bench_wrk")
        let database = try await ReliefDatabase.open(configuration)
        let admin = try await Connection.connect(configuration)
        _ = try await admin.run { c in try Demo.load(c) }
        let result = try await BenchHTTP(
            plan: BenchPlan(quick: true, secondsOverride: 2), database: database, admin: admin
        ).run()
        #expect(result.client.hasPrefix("wrk"))
        // How many answers arrive within the runs depends on the machine (under the parallel
        // tests, none may); what the server recorded does not: wrk sends its first sixteen POSTs
        // at once, and the server has answered them by the time `run()` returns.
        if result.post.requests > 0 {
            #expect(
                result.post.p50Milliseconds > 0 && result.post.p50Milliseconds <= result.post.p99Milliseconds)
        }
        let measuredSlots = "BENCH-WRK-\(BenchHTTP.wrkSlot / 10)%"
        let recorded = try await admin.run { c in
            try c.query(
                "SELECT count(*), count(DISTINCT invoice_number) FROM relief.purchases WHERE purchase_key LIKE $1",
                [measuredSlots]
            ).single()
        }
        let (keys, invoices) = (try recorded.decode(Int.self, at: 0), try recorded.decode(Int.self, at: 1))
        #expect(keys > 0 && keys == invoices)
        #expect(keys >= result.post.requests && keys <= result.post.requests + BenchHTTP.connections)
        #expect(result.inProcessPost.map { $0.requests > 0 } == true)
        await admin.close()
        await database.close()
    }
}
