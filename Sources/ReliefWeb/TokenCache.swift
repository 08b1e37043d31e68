import Foundation
import ReliefStore
import Synchronization

/// The users that API tokens gave, kept for a while so that a purchase POST does not look its
/// token up in its own round trip before it joins a group (``PurchaseDesk``).
///
/// Nothing is decided on what is kept here alone: a purchase whose user came from this cache is
/// written only if its token still gives that same user when the group's transaction starts
/// (``Access/asUser(_:_:verifyingTokenHashes:_:)``, in the BEGIN's round trip). A token revoked,
/// expired or of a user disabled or changed is therefore refused as it was before the cache, and
/// the request is then authenticated afresh. What the cache saves: a pool connection, a thread
/// hop and a query per POST, about 1 ms of each request's time under 16 connections (session 15,
/// docs/BENCHMARKS.md), while the clients that a group has just answered are the ones the next
/// group waits for.
final class TokenCache: Sendable {
    /// The most tokens kept; one more makes room by dropping expired ones, then any one.
    static let maximumEntries = 1_024
    /// How long a token is kept after its lookup. The check in the writing transaction is what
    /// makes a kept user safe to use; this only bounds how long an unused entry stays.
    static let lifetimeSeconds = 60

    private struct Entry {
        var user: User
        var keptUntil: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The user kept for `tokenHash` (``Access/tokenHash(_:)``), if it is not past its lifetime.
    func user(tokenHash: String) -> User? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[tokenHash] else { return nil }
            guard entry.keptUntil > now else {
                entries[tokenHash] = nil
                return nil
            }
            return entry.user
        }
    }

    /// Keeps `user` for `tokenHash`, just looked up.
    func keep(_ user: User, tokenHash: String) {
        let now = ContinuousClock.now
        entries.withLock { entries in
            if entries[tokenHash] == nil, entries.count >= Self.maximumEntries {
                entries = entries.filter { $0.value.keptUntil > now }
                if entries.count >= Self.maximumEntries, let any = entries.keys.first { entries[any] = nil }
            }
            entries[tokenHash] = Entry(user: user, keptUntil: now + .seconds(Self.lifetimeSeconds))
            assert(entries.count <= Self.maximumEntries)
        }
    }

    /// Forgets `tokenHash`: its user changed, or the token no longer gives one.
    func forget(tokenHash: String) {
        _ = entries.withLock { $0.removeValue(forKey: tokenHash) }
    }

    /// How many tokens are kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
