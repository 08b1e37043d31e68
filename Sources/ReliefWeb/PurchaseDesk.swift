import Postgres
import ReliefCore
import ReliefStore

/// Group commit for the purchases recorded through the API and the pages.
///
/// Every purchase locks the book's chain head from `post_entries` to COMMIT, so concurrent
/// requests queue on that lock. One request at a time held it for about 5.6 ms (session 5,
/// docs/BENCHMARKS.md); the desk instead writes the purchases of one user that are waiting
/// together, in one transaction, as one import: one `post_entries` call, one insert of purchases,
/// one of lines, one read-back and one audit statement for the whole group.
///
/// Row-level security is kept exactly: a group holds one user's purchases only, and its
/// transaction runs as that user (``Access/asUser(_:_:_:)``), as a single request's would. Users
/// are grouped separately and their groups run side by side; PostgreSQL's book lock orders them.
///
/// A group is all-or-nothing. When anything in it fails (a request PostgreSQL or the importer
/// refuses, a repeated 采购单号, an invoice used twice within the group), the whole group is rolled
/// back and written again in halves, down to single requests recorded on their own, so each
/// request gets the answer it would have had alone.
actor PurchaseDesk {
    /// The most purchases one group carries.
    static let maximumGroupPurchases = 64
    /// The most purchases waiting at once, all users together; one more is refused with 503 at
    /// once rather than queued without bound (the database pool's own queue holds 10,000 too).
    static let maximumWaitingPurchases = 10_000

    /// What a request asks to record.
    struct Submission: Sendable {
        /// The 采购单号 (the request's Idempotency-Key).
        var key: String
        /// The purchase as an import table, one row per line.
        var table: Table
        /// The table parsed, to compare with a stored purchase of the same key.
        var records: [PurchaseRowRecord]
        /// The client's address, for the audit row.
        var remote: String
        /// The hash of the API token the user came from, when it came from ``TokenCache``: the
        /// writing transaction checks that the token still gives that user.
        var tokenHash: String? = nil
    }

    /// A recorded purchase: `created` is false when the key was already recorded with the same content.
    typealias Outcome = (created: Bool, purchase: PurchaseView)

    private struct Waiting {
        let submission: Submission
        let server: WebServer
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private var queues: [User: [Waiting]] = [:]
    /// Purchases in `queues`, all users together.
    private var waitingCount = 0
    /// Users with a group being written. One group per user at a time: two (one reading its
    /// master data while the other holds the book lock) were measured slower, twice (654–748
    /// against 747–877 requests/s at 16 connections; each group then took 13 ms instead of
    /// 8.5): the two cores are the limit, not the lock. One, and the groups are larger.
    private var writing: Set<User> = []

    /// Records `submission` as `user`, together with that user's other waiting purchases.
    func record(_ submission: Submission, user: User, server: WebServer) async throws -> Outcome {
        guard waitingCount < Self.maximumWaitingPurchases else {
            throw APIError(.serviceUnavailable, "TOO_MANY_WAITING", "等待记账的采购单过多（\(Self.maximumWaitingPurchases) 张），请稍后重试（同一 Idempotency-Key 重试是安全的）")
        }
        waitingCount += 1
        return try await withCheckedThrowingContinuation { continuation in
            queues[user, default: []].append(Waiting(submission: submission, server: server, continuation: continuation))
            startGroup(user)
        }
    }

    /// Starts a group of `user`'s waiting purchases unless one is being written.
    private func startGroup(_ user: User) {
        guard !writing.contains(user), let queue = queues[user], !queue.isEmpty else { return }
        let (group, rest) = Self.split(queue)
        queues[user] = rest.isEmpty ? nil : rest
        waitingCount -= group.count
        assert(waitingCount >= 0)
        writing.insert(user)
        Task { await self.write(group, user: user) }
    }

    /// Writes one group, answers its requests, and starts the next group.
    private func write(_ group: [Waiting], user: User) async {
        assert(!group.isEmpty && group.count <= Self.maximumGroupPurchases)
        await writeOrSplit(group, user: user, depth: 0)
        writing.remove(user)
        startGroup(user)
    }

    /// Halvings of a failed group, at most: 2^7 > ``maximumGroupPurchases``.
    static let maximumSplitDepth = 7

    /// Writes `group` in one transaction; when that fails, writes its first half, then its
    /// second (arrival order is kept), down to single requests recorded alone. A bad request
    /// among n thus costs about log2(n) failed transactions, not n single ones.
    private func writeOrSplit(_ group: [Waiting], user: User, depth: Int) async {
        precondition(depth <= Self.maximumSplitDepth, "a group of at most \(Self.maximumGroupPurchases) halves at most \(Self.maximumSplitDepth) times")
        if group.count == 1 {
            await recordAlone(group[0], user: user)
            return
        }
        do {
            let views = try await group[0].server.recordGroup(user: user, submissions: group.map(\.submission))
            assert(views.count == group.count)
            for (waiting, view) in zip(group, views) { waiting.continuation.resume(returning: (true, view)) }
        } catch {
            let middle = group.count / 2
            await writeOrSplit(Array(group[..<middle]), user: user, depth: depth + 1)
            await writeOrSplit(Array(group[middle...]), user: user, depth: depth + 1)
        }
    }

    /// The next group: waiting requests in arrival order, up to ``maximumGroupPurchases``, each
    /// key once (a second request with the same key waits for the next group, where it is a
    /// repeat and answered as one).
    private static func split(_ queue: [Waiting]) -> (group: [Waiting], rest: [Waiting]) {
        var group: [Waiting] = []
        var rest: [Waiting] = []
        var keys = Set<String>()
        for waiting in queue {
            if group.count < maximumGroupPurchases, keys.insert(waiting.submission.key).inserted {
                group.append(waiting)
            } else {
                rest.append(waiting)
            }
        }
        return (group, rest)
    }

    private func recordAlone(_ waiting: Waiting, user: User) async {
        do {
            waiting.continuation.resume(returning: try await waiting.server.recordOne(user: user, submission: waiting.submission))
        } catch {
            waiting.continuation.resume(throwing: error)
        }
    }
}
