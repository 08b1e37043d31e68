import Foundation
import Synchronization

/// Request counts by method, route and status, and a latency histogram by route, rendered in the
/// Prometheus text exposition format (version 0.0.4). One instance per application.
public final class RequestMetrics: Sendable {
    /// Histogram bucket bounds in seconds.
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct CounterKey: Hashable { var method: String; var route: String; var status: Int }
    struct Histogram {
        var buckets = [UInt64](repeating: 0, count: RequestMetrics.bucketBounds.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }
    struct State {
        var counts: [CounterKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var purchaseGroups: UInt64 = 0
        var purchasesInGroups: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Makes an empty registry.
    public init() {}

    /// Records one finished request. `route` is the route's pattern (never the raw path, so the
    /// label set stays bounded).
    public func record(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.counts[CounterKey(method: method, route: route, status: status), default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { histogram.buckets[index] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            state.latency[route] = histogram
        }
    }

    /// Records a group of `purchases` that the purchase desk started writing in one transaction.
    public func recordPurchaseGroup(purchases: Int) {
        precondition(purchases >= 1, "a group carries purchases")
        state.withLock { state in
            state.purchaseGroups += 1
            state.purchasesInGroups += UInt64(purchases)
        }
    }

    /// The purchase groups started and the purchases they carried, for tests.
    public var purchaseGroups: (groups: UInt64, purchases: UInt64) {
        state.withLock { ($0.purchaseGroups, $0.purchasesInGroups) }
    }

    /// How many requests matched, for tests.
    public func count(method: String, route: String, status: Int) -> UInt64 {
        state.withLock { $0.counts[CounterKey(method: method, route: route, status: status)] ?? 0 }
    }

    /// The Prometheus text format.
    public func render() -> String {
        let snapshot = state.withLock { $0 }
        var text = Self.family("relief_http_requests_total", "counter", help: "HTTP requests by method, route and status.")
        for (key, value) in snapshot.counts.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            text += "relief_http_requests_total{method=\"\(Self.escape(key.method))\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(value)\n"
        }
        text += Self.family("relief_http_request_duration_seconds", "histogram", help: "Time to respond, by route.")
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(Self.escape(route))\""
            for (index, bound) in Self.bucketBounds.enumerated() {
                text += "relief_http_request_duration_seconds_bucket{\(label),le=\"\(Self.number(bound))\"} \(histogram.buckets[index])\n"
            }
            text += "relief_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            text += "relief_http_request_duration_seconds_sum{\(label)} \(Self.number(histogram.sum))\n"
            text += "relief_http_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        text += Self.family("relief_purchase_groups_total", "counter", help: "Groups of purchases the purchase desk started writing, each in one transaction.")
        text += "relief_purchase_groups_total \(snapshot.purchaseGroups)\n"
        text += Self.family(
            "relief_purchase_group_purchases_total", "counter", help: "Purchases those groups carried (divided by the groups: the mean group).")
        text += "relief_purchase_group_purchases_total \(snapshot.purchasesInGroups)\n"
        return text
    }

    /// A metric family's HELP and TYPE lines.
    static func family(_ name: String, _ type: String, help: String) -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
