import ArgumentParser
import EmbeddedPostgres
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// `relief bench`: province-scale figures on a fresh cluster, each beside the machine's own
/// ceiling measured in the same run (docs/BENCHMARKS.md).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure posting, imports, reports, exports and verification on a fresh cluster, beside the machine's ceiling.",
        discussion: """
            Starts its own PostgreSQL cluster in a temporary folder (or --home), loads deterministic data with \
            the demo generator and prints every figure with the plain-INSERT ceiling or the target beside it. \
            --quick finishes in under two minutes with smaller volumes; the full run uses the issue's volumes \
            (1,000,000 import lines, 10,000,000 postings) and takes much longer.
            """)

    @Flag(help: "Small volumes and short runs (under two minutes).")
    var quick = false
    @Option(help: "Cluster folder (default: a new temporary folder, removed afterwards).")
    var home: String?
    @Option(help: "Seconds per posting run (default 3 with --quick, 10 otherwise).")
    var seconds: Int?
    @Option(help: "Purchase lines of the bulk import (c) (default 10,000 with --quick, 1,000,000 otherwise).")
    var importLines: Int?
    @Flag(help: "Stop after the bulk import (c): its figures alone, e.g. to see how they grow with --import-lines.")
    var importOnly = false
    @Flag(help: "Stop after posting (a, b) and bytes per purchase (g): their figures alone, e.g. to compare group commit settings.")
    var postingOnly = false
    @Flag(help: "Stop after HTTP (f), with posting (a) at its 16 clients only: (f)'s figures and the rate they are compared with.")
    var httpOnly = false
    @Option(help: "Time only export and verify (e): after the bulk import (c), fill the books to this many postings, then run (e).")
    var exportPostings: Int?

    func validate() throws {
        if let seconds, !(1...3_600).contains(seconds) { throw ValidationError("--seconds must be 1 to 3600") }
        if let importLines, !(2...10_000_000).contains(importLines) { throw ValidationError("--import-lines must be 2 to 10000000") }
        if let exportPostings, !(1...100_000_000).contains(exportPostings) { throw ValidationError("--export-postings must be 1 to 100000000") }
        if exportPostings != nil && importOnly { throw ValidationError("--export-postings and --import-only exclude each other") }
        if httpOnly && (importOnly || postingOnly || exportPostings != nil) {
            throw ValidationError("--http-only excludes --import-only, --posting-only and --export-postings")
        }
        if postingOnly && (importOnly || exportPostings != nil) {
            throw ValidationError("--posting-only excludes --import-only and --export-postings")
        }
    }

    func run() async throws {
        var plan = BenchPlan(quick: quick, secondsOverride: seconds)
        if let importLines { plan.importLines = importLines }
        plan.importOnly = importOnly
        plan.postingOnly = postingOnly
        plan.httpOnly = httpOnly
        if httpOnly { plan.clientCounts = [BenchHTTP.connections] }
        plan.exportPostings = exportPostings
        let folder = home ?? NSTemporaryDirectory() + "relief-bench-\(ProcessInfo.processInfo.processIdentifier)"
        let cluster = EmbeddedPostgres(home: folder, databaseName: "bench", superuser: "relief")
        print("relief bench\(quick ? " --quick" : ""): cluster in \(folder)")
        let conninfo = try cluster.start()
        var report = BenchReport()
        do {
            try await BenchRun(plan: plan, configuration: ConnectionConfiguration(conninfo: conninfo), report: report).run(&report)
        } catch {
            try? cluster.stop()
            if home == nil { try? FileManager.default.removeItem(atPath: folder) }
            throw error
        }
        try? cluster.stop()
        if home == nil { try? FileManager.default.removeItem(atPath: folder) }
    }
}

/// Volumes and durations of one run.
struct BenchPlan: Sendable {
    var quick: Bool
    /// Seconds each posting or ceiling run lasts.
    var runSeconds: Int
    /// (a) and (b) measure each figure of a client count in this many rounds, taking turns, so
    /// that the figures a ratio compares share the same minutes.
    var postingRounds: Int { min(5, runSeconds) }
    /// Seconds of one round: the run's seconds shared among the rounds.
    var sliceSeconds: Int { max(1, runSeconds / postingRounds) }
    /// Concurrent clients of (a), (b); 16 is (f)'s comparison.
    var clientCounts = [1, 8, 16, 32]
    /// Purchase lines of the bulk import (c).
    var importLines: Int
    /// Postings in the database when the reports (d) are timed; one checkpoint each.
    var postingCheckpoints: [Int]
    /// Times each report runs (the median is shown).
    var reportRepeats = 5
    /// Stop after (c).
    var importOnly = false
    /// Stop after (a), (b) and (g).
    var postingOnly = false
    /// Stop after (f).
    var httpOnly = false
    /// Run only (e), after (c), with the books filled to this many postings.
    var exportPostings: Int?

    init(quick: Bool, secondsOverride: Int?) {
        self.quick = quick
        runSeconds = max(1, secondsOverride ?? (quick ? 3 : 10))
        importLines = quick ? 10_000 : 1_000_000
        postingCheckpoints = quick ? [100_000, 300_000] : [1_000_000, 10_000_000]
    }
}
