import ArgumentParser
import EmbeddedPostgres
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// `relief soak`: a bank-style soak test. Concurrent clients drive a `relief serve` child process
/// with purchases, imports, batch approvals and payments, reversals and period closes while the
/// harness kill -9s the server and stops PostgreSQL with `pg_ctl stop -m immediate` at random
/// moments. Clients retry with their idempotency keys. At the end every acknowledged write must be
/// in the books exactly once and the books must be sound (docs/SOAK.md).
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Soak test: random writes over HTTP while the server and PostgreSQL crash; then check the books.",
        discussion: """
            Starts its own PostgreSQL cluster in a temporary folder (or --home) with the demo program, serves it \
            with a `relief serve` child process and drives it with concurrent API clients for --seconds. Every \
            --crash-min-ms to --crash-max-ms the harness kills the server (SIGKILL), stops PostgreSQL with \
            `pg_ctl stop -m immediate`, or both, and restarts them. Clients retry each write with the same \
            Idempotency-Key until it is answered. Then it checks: every acknowledged write is present exactly \
            once, the trial balance balances, the chain and the voucher numbers verify, the bank account and \
            the fund never went negative. Exits non-zero on any violation.
            """)

    @Option(help: "How long clients send writes (seconds).")
    var seconds = 60
    @Option(help: "Concurrent enterprise clerks posting purchases (finance clients come on top).")
    var clerks = 6
    @Option(help: "Shortest pause between two crashes (milliseconds).")
    var crashMinMs = 1_500
    @Option(help: "Longest pause between two crashes (milliseconds).")
    var crashMaxMs = 5_000
    @Option(help: "Fewest crashes the run must inject to pass (0: no minimum); the run goes on past --seconds until they are in.")
    var minimumCrashes = 0
    @Option(help: "Fewest acknowledged writes the run must check (0: no minimum); the run goes on past --seconds until they are in.")
    var minimumAcknowledged = 0
    @Option(help: "Seed of the random choices (default: from the clock, printed).")
    var seed: UInt64?
    @Option(help: "Cluster folder (default: a new temporary folder, removed afterwards).")
    var home: String?
    @Option(help: "Port of the served app (default: a free port).")
    var port: Int?

    func validate() throws {
        guard (1...86_400).contains(seconds) else { throw ValidationError("--seconds must be 1 to 86400") }
        guard (1...64).contains(clerks) else { throw ValidationError("--clerks must be 1 to 64 (one per demo enterprise at most 23)") }
        guard minimumCrashes >= 0, minimumAcknowledged >= 0 else { throw ValidationError("--minimum-crashes and --minimum-acknowledged must be 0 or more") }
        guard crashMinMs >= 100, crashMaxMs >= crashMinMs else {
            throw ValidationError("--crash-min-ms must be at least 100 and at most --crash-max-ms")
        }
    }

    func run() async throws {
        let seed = seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let folder = home ?? NSTemporaryDirectory() + "relief-soak-\(ProcessInfo.processInfo.processIdentifier)"
        let cluster = EmbeddedPostgres(home: folder, databaseName: "soak", superuser: "relief")
        print("relief soak: \(seconds) s, \(clerks) clerks + 2 finance clients, crashes every \(crashMinMs)–\(crashMaxMs) ms, seed \(seed)")
        print("relief soak: cluster in \(folder)")
        fflush(nil)
        let conninfo = try cluster.start()
        var outcome: SoakOutcome?
        var failure: (any Error)?
        do {
            outcome = try await SoakRun(
                plan: SoakPlan(
                    seconds: seconds, clerks: clerks, crashMinMs: crashMinMs, crashMaxMs: crashMaxMs, seed: seed,
                    minimumCrashes: minimumCrashes, minimumAcknowledged: minimumAcknowledged),
                cluster: cluster, conninfo: conninfo, folder: folder, port: port ?? (try SoakServer.freePort())
            ).run()
        } catch {
            failure = error
        }
        try? cluster.stop()
        if let failure { throw failure }
        guard let outcome else { return }
        print(outcome.summary)
        fflush(nil)
        if let problem = problem(of: outcome) {
            throw Failure(description: "relief soak: \(problem) (the cluster and the server log are kept in \(folder))")
        }
        if home == nil { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Why the run fails, if it does: a violation, or a minimum not reached before the schedule's
    /// last moment.
    private func problem(of outcome: SoakOutcome) -> String? {
        if !outcome.violations.isEmpty { return "\(outcome.violations.count) violations" }
        if outcome.crashes < minimumCrashes {
            return "only \(outcome.crashes) crashes injected in \(outcome.seconds) s, fewer than --minimum-crashes \(minimumCrashes); run longer or lower --crash-max-ms"
        }
        if outcome.log.acknowledged.count < minimumAcknowledged {
            return "only \(outcome.log.acknowledged.count) writes acknowledged in \(outcome.seconds) s, fewer than --minimum-acknowledged \(minimumAcknowledged); see serve.log for why writes failed"
        }
        return nil
    }
}

/// What one soak run does.
struct SoakPlan: Sendable {
    var seconds: Int
    var clerks: Int
    var crashMinMs: Int
    var crashMaxMs: Int
    var seed: UInt64
    var minimumCrashes = 0
    var minimumAcknowledged = 0
    /// Seconds one month stays the oldest open month before finance pays it and closes it.
    var monthSeconds: Int { max(3, seconds / 7) }
    /// Seconds after the end during which clients may still retry their last write.
    static let retryGraceSeconds = 90
}

/// A small deterministic generator (SplitMix64), so a seed replays the same choices.
struct SoakRandom: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
