import Foundation

/// Latencies of one measured run, and the figures derived from them.
struct LatencySample: Sendable {
    /// Operations completed.
    var count = 0
    /// Wall time of the whole run.
    var seconds = 0.0
    /// Each operation's latency in microseconds (sorted when read through the percentiles).
    var latenciesMicroseconds: [Int] = []
    /// For group-committed posting: entries per transaction, on average (0 when not measured).
    var entriesPerTransaction: Double = 0

    var perSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }

    /// Adds the operations of `other`, a later round of the same measurement: counts, seconds
    /// and latencies add up; entries per transaction is the mean over both rounds' transactions.
    mutating func append(_ other: LatencySample) {
        let transactions = (entriesPerTransaction > 0 ? Double(count) / entriesPerTransaction : 0)
            + (other.entriesPerTransaction > 0 ? Double(other.count) / other.entriesPerTransaction : 0)
        count += other.count
        seconds += other.seconds
        latenciesMicroseconds += other.latenciesMicroseconds
        entriesPerTransaction = transactions > 0 ? Double(count) / transactions : 0
    }

    func percentileMilliseconds(_ fraction: Double) -> Double {
        guard !latenciesMicroseconds.isEmpty else { return 0 }
        let sorted = latenciesMicroseconds.sorted()
        let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))
        return Double(sorted[index]) / 1000
    }
}

/// Clocks and process figures for the benchmark.
enum BenchClock {
    /// Microseconds since an arbitrary start (monotonic).
    static func nowMicroseconds() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return spec.tv_sec * 1_000_000 + spec.tv_nsec / 1000
    }

    /// Runs `body` and returns its wall time in milliseconds.
    static func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = nowMicroseconds()
        try await body()
        return Double(nowMicroseconds() - start) / 1000
    }

    /// Peak resident set size in KiB (VmHWM) of this process or of `process` (a pid), 0 when unknown.
    static func peakRSSKilobytes(of process: String = "self") -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// Runs `clients` loops of `operation` for `seconds`; collects every operation's latency.
    static func measure(clients: Int, seconds: Int, _ operation: @escaping @Sendable (_ client: Int, _ n: Int) async throws -> Void) async throws -> LatencySample {
        let deadline = nowMicroseconds() + seconds * 1_000_000
        let start = nowMicroseconds()
        let latencies = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var mine: [Int] = []
                    mine.reserveCapacity(1 << 14)
                    var n = 0
                    while nowMicroseconds() < deadline {
                        let before = nowMicroseconds()
                        try await operation(client, n)
                        mine.append(nowMicroseconds() - before)
                        n += 1
                    }
                    return mine
                }
            }
            var all: [Int] = []
            for try await mine in group { all += mine }
            return all
        }
        return LatencySample(count: latencies.count, seconds: Double(nowMicroseconds() - start) / 1_000_000, latenciesMicroseconds: latencies)
    }
}

/// Lines of the benchmark's report: every figure with the ceiling or the target beside it.
struct BenchReport {
    private(set) var lines: [String] = []

    mutating func section(_ title: String) {
        lines.append("")
        lines.append(title)
        print("")
        print(title)
        fflush(nil)
    }

    mutating func line(_ text: String) {
        lines.append(text)
        print(text)
        fflush(nil)
    }

    /// "PASS"/"MISS" against a target.
    static func verdict(_ met: Bool) -> String { met ? "PASS" : "MISS" }

    static func format(_ value: Double, digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
}

/// A child `relief` process whose peak memory the kernel reports (wait4's ru_maxrss): the export
/// and verify figures are the real commands' own, not this process's.
enum BenchChild {
    struct Outcome {
        var status: Int32
        var seconds: Double
        var maxRSSKilobytes: Int
    }

    /// Runs this executable with `arguments` and `DATABASE_URL` set; waits for it.
    static func run(_ arguments: [String], databaseURL: String) throws -> Outcome {
        let start = BenchClock.nowMicroseconds()
        let pid = try ChildProcess.spawn(arguments, databaseURL: databaseURL, outputPath: nil)
        // The child's own peak: VmHWM of its /proc entry, sampled until it exits. (wait4's
        // ru_maxrss would include this process's memory, which the child shares until exec.)
        var status: Int32 = 0
        var usage = rusage()
        var peakKilobytes = 0
        while true {
            let waited = wait4(pid, &status, WNOHANG, &usage)
            if waited == pid { break }
            guard waited == 0 || errno == EINTR else { throw Failure(description: "relief bench: wait4 failed: errno \(errno)") }
            peakKilobytes = max(peakKilobytes, BenchClock.peakRSSKilobytes(of: String(pid)))
            usleep(samplingMicroseconds)
        }
        let seconds = Double(BenchClock.nowMicroseconds() - start) / 1_000_000
        return Outcome(status: ChildProcess.exitCode(status), seconds: seconds, maxRSSKilobytes: peakKilobytes)
    }

    /// How often the child's memory is sampled.
    static let samplingMicroseconds: UInt32 = 2_000
}
