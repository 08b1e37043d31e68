import Postgres
import ReliefCore
import ReliefStore

/// Group commit for the purchases recorded through the API and the pages.
///
/// Every purchase locks the book's chain head from `post_entries` to COMMIT, so concurrent
/// requests queue on that lock. One request at a time held it for about 5.6 ms (session 5,
/// docs/BENCHMARKS.md); the desk instead writes the purchases of one user that are waiting
/// together, in one transaction, as one import: one `post_entries` call, one insert of purchases,
/// one of lines, one read-back and one audit statement for the whole group. After a group, the
/// next one of the same user waits a moment for the clients the group has just answered
/// (``GroupGathering``), so that groups stay as large as the user's clients are many.
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
        /// The table parsed, to compare with a stored purchase of the same key, and what a group
        /// imports.
        var records: [PurchaseRowRecord]
        /// Whether the table parsed without a problem. Only then may it join a group: a group
        /// imports the records; a request alone imports its table, so that its problems are
        /// answered by line and field.
        var parsedWithoutProblems: Bool
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
    /// When each user's next group starts (``GroupGathering``).
    private var gathering = GroupGathering()

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

    /// Starts a group of `user`'s waiting purchases unless one is being written, or unless more
    /// of them are expected soon (``GroupGathering``): then a timer starts it at the latest
    /// after ``GroupGathering/waitLimitMicroseconds``.
    private func startGroup(_ user: User) {
        guard !writing.contains(user), let queue = queues[user], !queue.isEmpty else { return }
        switch gathering.decide(user, waiting: queue.count) {
        case .write:
            break
        case .keepWaiting:
            return
        case .wait(let number):
            Task {
                try? await Task.sleep(for: .microseconds(GroupGathering.waitLimitMicroseconds))
                self.waitEnded(user, number: number)
            }
            return
        }
        let (group, rest) = Self.split(queue)
        queues[user] = rest.isEmpty ? nil : rest
        waitingCount -= group.count
        assert(waitingCount >= 0)
        writing.insert(user)
        group[0].server.metrics.recordPurchaseGroup(purchases: group.count)
        Task { await self.write(group, user: user) }
    }

    /// The wait numbered `number` for `user`'s next group is over: starts the group with what
    /// came, unless it has started already.
    private func waitEnded(_ user: User, number: Int) {
        guard gathering.waitEnded(user, number: number) else { return }
        startGroup(user)
    }

    /// Writes one group, answers its requests, and starts the next group.
    private func write(_ group: [Waiting], user: User) async {
        assert(!group.isEmpty && group.count <= Self.maximumGroupPurchases)
        await writeOrSplit(group, user: user, depth: 0)
        gathering.answered(user, purchases: group.count, stillWaiting: queues[user]?.count ?? 0)
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

/// When the desk starts a user's next group: at once, or after a short wait for the purchases its
/// clients are expected to send.
///
/// A client that a group has just answered sends its next purchase a millisecond or two later.
/// Starting the next group at once, with the one or two purchases that were waiting, locks the
/// desk into a cycle of small groups, each paying a group's fixed cost (one transaction, the
/// book lock, a dozen statements): under 16 connections session 15 measured groups of 1, 5, 11
/// and 15 in turn, or two halves of 8, at 900–1,250 purchases/s. So when a group is answered, the
/// desk notes how many purchases its user had in the desk (the group's and those still waiting);
/// the next group waits until that many are waiting again, and at most
/// ``waitLimitMicroseconds``. A user whose clients send fewer than before therefore waits once,
/// and from then on the smaller count. A user's first purchase, and one after a group that
/// carried a single purchase, never waits.
struct GroupGathering {
    /// The longest wait for expected purchases. The clients answered by a group of 16 were all
    /// back within about 3 ms in session 15's runs (the timer itself takes up to a millisecond
    /// more than asked).
    static let waitLimitMicroseconds = 2_000

    /// What to do with a user's waiting purchases now.
    enum Decision: Equatable {
        /// Start the group.
        case write
        /// Wait for more; start a timer for the wait with this number.
        case wait(Int)
        /// A wait is running already.
        case keepWaiting
    }

    /// Per user: the purchases it had in the desk when its last group was answered.
    private(set) var expected: [User: Int] = [:]
    /// A user's wait: running (with its number), or over with its group not started yet.
    private enum Wait: Equatable {
        case running(Int)
        case over
    }

    /// Per user: the wait there is.
    private var waits: [User: Wait] = [:]
    /// The last wait's number (numbers are not reused, so a stale timer is told apart).
    private var lastWait = 0

    /// Decides for `user`, who has `waiting` purchases waiting and no group being written.
    mutating func decide(_ user: User, waiting: Int) -> Decision {
        precondition(waiting >= 1, "a decision is about waiting purchases")
        let wanted = min(expected[user] ?? 1, PurchaseDesk.maximumGroupPurchases)
        if waiting >= wanted || waits[user] == .over {
            waits[user] = nil
            expected[user] = nil
            return .write
        }
        if waits[user] != nil { return .keepWaiting }
        lastWait += 1
        waits[user] = .running(lastWait)
        return .wait(lastWait)
    }

    /// The timer of wait `number` for `user` went off: true when that wait is still running (the
    /// group then starts with the purchases that came), false when its group started already.
    mutating func waitEnded(_ user: User, number: Int) -> Bool {
        guard waits[user] == .running(number) else { return false }
        // The next decision writes whatever is waiting.
        waits[user] = .over
        return true
    }

    /// `user`'s group of `purchases` was answered, with `stillWaiting` more in the desk.
    mutating func answered(_ user: User, purchases: Int, stillWaiting: Int) {
        precondition(purchases >= 1 && stillWaiting >= 0, "a group carries purchases")
        expected[user] = purchases + stillWaiting
    }
}
