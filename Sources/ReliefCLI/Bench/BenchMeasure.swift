import Foundation

/// Latencies of one measured run, and the figures derived from them.
struct LatencySample: Sendable {
    /// Operations completed.
    var count: Int
    /// Wall time of the whole run.
    var seconds: Double
    /// Each operation's latency in microseconds (sorted when read through the percentiles).
    var latenciesMicroseconds: [Int]

    var perSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }

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

    /// Peak resident set size of this process in KiB (VmHWM), or 0 when unknown.
    static func peakRSSKilobytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// Resets the peak RSS to the current RSS (Linux: write 5 to /proc/self/clear_refs), so that
    /// the next phase's peak is its own.
    static func resetPeakRSS() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
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
