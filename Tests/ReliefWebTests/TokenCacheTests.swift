import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import ReliefStore
import ReliefTestSupport
import Testing

@testable import ReliefWeb

/// Purchase POSTs take their user from tokens looked up earlier (``TokenCache``), and the writing
/// transaction checks the token again: whatever happened to the token or its user in between
/// applies to the purchase as it would have without the cache.
@Suite("web API: tokens kept for purchases")
struct TokenCacheTests {
    static func user(_ id: Int) -> User {
        User(
            id: id, login: "u\(id)", displayName: "用户\(id)", role: .enterpriseClerk, enterpriseID: 1,
            enterpriseCode: "x")
    }

    /// A purchase POST of the fixture's purchase under `key` and `invoice`.
    static func post(
        _ client: any TestClientProtocol, _ fixture: WebFixture, token: String, key: String, invoice: Int
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: key),
            body: try jsonBuffer(fixture.purchaseBody(invoice: String(invoice))))
    }

    @Test func keepsForgetsAndStaysBounded() {
        let cache = TokenCache()
        #expect(cache.user(tokenHash: "a") == nil)
        cache.keep(Self.user(1), tokenHash: "a")
        #expect(cache.user(tokenHash: "a") == Self.user(1))
        cache.keep(Self.user(2), tokenHash: "a")
        #expect(cache.user(tokenHash: "a") == Self.user(2) && cache.count == 1)
        cache.forget(tokenHash: "a")
        #expect(cache.user(tokenHash: "a") == nil && cache.count == 0)
        for n in 0..<(TokenCache.maximumEntries + 10) { cache.keep(Self.user(n), tokenHash: "h\(n)") }
        #expect(cache.count == TokenCache.maximumEntries)
        // The newest is always kept.
        let last = TokenCache.maximumEntries + 9
        #expect(cache.user(tokenHash: "h\(last)") == Self.user(last))
    }

    /// Concurrent purchases of a kept token that was revoked meanwhile: the desk groups them, and
    /// the group's transaction, which sends its reads with the token check, writes nothing.
    @Test func aGroupOfPurchasesOfARevokedKeptTokenWritesNothing() async throws {
        let fixture = try await WebFixture.make("keptGroup")
        let login = WebFixture.login(.enterpriseClerk)
        let token = try await fixture.admin.run { c in try Access.createToken(c, login: login, name: "kept-group", days: 1) }
        try await fixture.test { client in
            let first = try await Self.post(client, fixture, token: token, key: "KEPT-GROUP-0", invoice: 76_100_000)
            #expect(first.status == .created, "\(first.text)")
            let before = try await fixture.fingerprint()
            let (groupsBefore, purchasesBefore) = fixture.metrics.purchaseGroups
            try await fixture.admin.run { c in
                _ = try c.query("UPDATE relief.api_tokens SET revoked_at = now() WHERE token_hash = $1", [Access.tokenHash(token)])
            }
            let burst = 12
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for n in 1...burst {
                    group.addTask {
                        let response = try await Self.post(client, fixture, token: token, key: "KEPT-GROUP-\(n)", invoice: 76_100_000 + n)
                        return (Int(response.status.code), response.errorCode)
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            #expect(statuses.count == burst)
            #expect(statuses.allSatisfy { $0.0 == 401 && $0.1 == "UNAUTHENTICATED" }, "\(statuses)")
            // They reached the desk together: at least one group carried several of them.
            let (groupsAfter, purchasesAfter) = fixture.metrics.purchaseGroups
            #expect(purchasesAfter - purchasesBefore == UInt64(burst))
            #expect(groupsAfter - groupsBefore < UInt64(burst), "\(groupsAfter - groupsBefore) groups for \(burst) purchases")
            #expect(try await fixture.fingerprint() == before)
            #expect(
                try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'purchase.create' AND target LIKE 'KEPT-GROUP-%'") == 1)
        }
        await fixture.close()
    }

    /// Each change to a clerk's token or user, made after a purchase has put the token in the
    /// cache, stops the next purchase as it stops any other request: nothing is written.
    @Test func aKeptTokenIsCheckedAgainWhenItsPurchaseIsWritten() async throws {
        let fixture = try await WebFixture.make("keptToken")
        let clerk = try #require(fixture.users[.enterpriseClerk])
        let login = WebFixture.login(.enterpriseClerk)
        let tokens = try await fixture.admin.run { c in
            try (0..<5).map { n in try Access.createToken(c, login: login, name: "kept-\(n)", days: 1) }
        }
        let (revoked, expired, disabled, demoted, moved) = (
            tokens[0], tokens[1], tokens[2], tokens[3], tokens[4]
        )
        try await fixture.test { client in
            var invoice = 76_000_000
            func post(_ token: String, _ key: String) async throws -> TestResponse {
                invoice += 1
                return try await Self.post(client, fixture, token: token, key: key, invoice: invoice)
            }
            // Each token's first purchase keeps it.
            for (n, token) in tokens.enumerated() {
                let first = try await post(token, "KEPT-\(n)")
                #expect(first.status == .created, "\(first.text)")
            }
            let before = try await fixture.fingerprint()

            try await fixture.admin.run { c in
                _ = try c.query(
                    "UPDATE relief.api_tokens SET revoked_at = now() WHERE token_hash = $1",
                    [Access.tokenHash(revoked)])
                _ = try c.query(
                    "UPDATE relief.api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
                    [Access.tokenHash(expired)])
            }
            for token in [revoked, expired] {
                let refused = try await post(token, "KEPT-LATE-\(token.suffix(6))")
                #expect(
                    refused.status == .unauthorized && refused.errorCode == "UNAUTHENTICATED",
                    "\(refused.text)")
            }
            // Behind the triggers' back, so that the token rows stay as they are: only the check
            // in the writing transaction stands in the way.
            try await fixture.behindTheTriggersBack { c in
                _ = try c.query(
                    "UPDATE relief.api_tokens SET user_id = $1 WHERE token_hash = $2",
                    [fixture.users[.auditor]!.id, Access.tokenHash(demoted)])
            }
            let asAuditor = try await post(demoted, "KEPT-DEMOTED")
            #expect(asAuditor.status == .forbidden, "\(asAuditor.text)")
            let otherEnterprise = try await fixture.admin.run { c in
                try c.query(
                    "SELECT id FROM relief.enterprises WHERE id <> $1 ORDER BY id LIMIT 1",
                    [clerk.enterpriseID!]
                ).single().decode(Int.self, at: 0)
            }
            try await fixture.behindTheTriggersBack { c in
                _ = try c.query(
                    "UPDATE relief.users SET enterprise_id = $1 WHERE id = $2", [otherEnterprise, clerk.id])
            }
            let elsewhere = try await post(moved, "KEPT-MOVED")
            #expect(
                elsewhere.status == .forbidden && elsewhere.errorCode == "FORBIDDEN_ENTERPRISE",
                "\(elsewhere.text)")
            try await fixture.behindTheTriggersBack { c in
                _ = try c.query(
                    "UPDATE relief.users SET enterprise_id = $1, disabled_at = now() WHERE id = $2",
                    [clerk.enterpriseID!, clerk.id])
            }
            let gone = try await post(disabled, "KEPT-DISABLED")
            #expect(gone.status == .unauthorized, "\(gone.text)")

            #expect(try await fixture.fingerprint() == before)
            #expect(
                try await fixture.count(
                    "SELECT count(*) FROM relief.audit_log WHERE action = 'purchase.create' AND target LIKE 'KEPT-%'"
                ) == tokens.count)
        }
        await fixture.close()
    }

    /// A kept token whose user changed in a way that still allows the purchase (a new display
    /// name) is looked up again and the purchase is written as the user is now.
    @Test func aKeptUserThatChangedIsLookedUpAgain() async throws {
        let fixture = try await WebFixture.make("keptRenamed")
        let token = try #require(fixture.tokens[.enterpriseClerk])
        let clerk = try #require(fixture.users[.enterpriseClerk])
        try await fixture.test { client in
            let first = try await Self.post(
                client, fixture, token: token, key: "RENAMED-1", invoice: 76_100_001)
            #expect(first.status == .created, "\(first.text)")
            try await fixture.admin.run { c in
                _ = try c.query("UPDATE relief.users SET display_name = '改名录入员' WHERE id = $1", [clerk.id])
            }
            let second = try await Self.post(
                client, fixture, token: token, key: "RENAMED-2", invoice: 76_100_002)
            #expect(second.status == .created, "\(second.text)")
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token))
            #expect(me.json["display_name"] as? String == "改名录入员")
        }
        #expect(
            try await fixture.count(
                "SELECT count(*) FROM relief.purchases WHERE purchase_key IN ('RENAMED-1', 'RENAMED-2')") == 2
        )
        await fixture.close()
    }
}
