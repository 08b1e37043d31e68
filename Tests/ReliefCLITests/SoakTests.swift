import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

@testable import ReliefCLI

@Suite("soak test")
struct SoakTests {
    /// The short soak run of the normal tests: 20 seconds of concurrent writes over HTTP while the
    /// server is killed with SIGKILL and PostgreSQL stopped with `-m immediate`; the long run is in
    /// docs/SOAK.md.
    @Test func aShortSoakWithCrashesLosesNoAcknowledgedWrite() async throws {
        let cli = try await CLI.make("soak")
        let result = try cli.run(
            "soak", "--seconds", "20", "--clerks", "4", "--crash-min-ms", "800", "--crash-max-ms", "2000", "--minimum-crashes", "3",
            "--minimum-acknowledged", "50", "--seed", "20201125")
        #expect(result.exitCode == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("violations:   0"), "\(result.output)")
        let acknowledged = Self.number(after: "acknowledged: ", in: result.output) ?? 0
        let crashes = Self.number(after: "crashes:      ", in: result.output) ?? 0
        #expect(acknowledged >= 50, "\(result.output)")
        #expect(crashes >= 3, "\(result.output)")
    }

    /// A run goes on past its seconds until its minimums are in, stops for good once they are, and
    /// never runs past its overtime.
    @Test func theScheduleRunsUntilItsMinimumsAreInAndThenStops() async throws {
        // Overtime far away: on a loaded machine (the whole suite runs at once) the steps below
        // once took more than the default six seconds, and the hard end stopped the run early.
        let owed = SoakSchedule(seconds: 1, minimumAcknowledged: 2, minimumCrashes: 1, overtimeFactor: 600)
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(await owed.isRunning())
        await owed.noteAcknowledged()
        await owed.noteAcknowledged()
        #expect(await owed.isRunning(), "a crash is still owed")
        await owed.noteCrash()
        #expect(await owed.isRunning() == false)
        await owed.noteCrash()
        #expect(await owed.isRunning() == false, "once stopped, a run stays stopped")
        #expect(await owed.mayRetry(), "writes already started may still be retried")
        let plain = SoakSchedule(seconds: 1, minimumAcknowledged: 0, minimumCrashes: 0)
        #expect(await plain.isRunning())
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(await plain.isRunning() == false)
        // The hard end stops a run whose minimums never come in.
        let never = SoakSchedule(seconds: 1, minimumAcknowledged: 1, minimumCrashes: 1, overtimeFactor: 1)
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(await never.isRunning() == false)
    }

    /// The checker is not a rubber stamp: writes that are not in the books are reported.
    @Test func theCheckReportsAcknowledgedWritesMissingFromTheBooks() async throws {
        let configuration = try await TestDatabase.fresh("soakcheck")
        await (try await ReliefDatabase.open(configuration)).close()
        let connection = try await Connection.connect(configuration)
        let (missing, present, books) = try await connection.run { c -> ([String], [String], [String]) in
            _ = try Demo.load(c)
            let seq = try c.query("SELECT seq FROM relief.entries WHERE idempotency_key = 'demo:fund-received'").single().decode(Int64.self, at: 0)
            let key = try c.query("SELECT purchase_key FROM relief.purchases ORDER BY id LIMIT 1").single().decode(String.self, at: 0)
            let missing = try [
                SoakAck.purchase(key: "SOAK-NOT-THERE"), .entry(key: "demo:fund-received", seq: seq + 1), .reversal(ofSeq: seq),
                .closed(period: 202012), .imported(keys: [key, "SOAK-IMP-NOT-THERE"]),
            ].flatMap { try SoakCheck.present(c, $0) }
            let present = try [SoakAck.purchase(key: key), .entry(key: "demo:fund-received", seq: seq)].flatMap { try SoakCheck.present(c, $0) }
            return (missing, present, try SoakCheck.books(c))
        }
        await connection.close()
        #expect(missing.count == 5, "\(missing)")
        #expect(missing.contains { $0.contains("SOAK-NOT-THERE") } && missing.contains { $0.contains("SOAK-IMP-NOT-THERE") })
        #expect(present.isEmpty, "\(present)")
        #expect(books.isEmpty, "\(books)")
    }

    static func number(after label: String, in text: String) -> Int? {
        guard let range = text.range(of: label) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
