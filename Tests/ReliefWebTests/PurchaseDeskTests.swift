import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReliefStore
import ReliefTestSupport
@testable import ReliefWeb
import Testing

/// Concurrent purchases of one user commit together (group commit); each request still gets the
/// answer it would have had alone.
@Suite("web API: purchases recorded together")
struct PurchaseDeskTests {
    /// One request's outcome: its key, status, error code and first line's eligibility.
    struct Outcome: Sendable {
        var key: String
        var status: Int
        var errorCode: String?
        var errorField: String?
        var eligible: Bool?
        var body: String
    }

    @Test func concurrentPurchasesOfOneClerkCommitTogetherAndAnswerEachAlone() async throws {
        let fixture = try await WebFixture.make("desk")
        let token = fixture.tokens[.enterpriseClerk]!
        // A purchase recorded earlier, repeated in the burst: answered 200 with the same body.
        let repeatedBody = try jsonBuffer(fixture.purchaseBody(invoice: "75000000"))
        let first = try await fixture.test { client in
            try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "DESK-R"), body: repeatedBody)
        }
        #expect(first.status == .created, "\(first.text)")
        let before = try await fixture.fingerprint()

        var requests: [(key: String, body: ByteBuffer)] = [("DESK-R", repeatedBody)]
        for n in 1...20 { requests.append(("DESK-\(n)", try jsonBuffer(fixture.purchaseBody(invoice: String(75_000_000 + n))))) }
        // Two whose amount the importer refuses, and two that share one invoice.
        requests.append(("DESK-BAD-1", try jsonBuffer(fixture.purchaseBody(invoice: "75000101", amountOverride: "1.005"))))
        requests.append(("DESK-BAD-2", try jsonBuffer(fixture.purchaseBody(invoice: "75000102", amountOverride: "1.005"))))
        requests.append(("DESK-TWIN-1", try jsonBuffer(fixture.purchaseBody(invoice: "75000200"))))
        requests.append(("DESK-TWIN-2", try jsonBuffer(fixture.purchaseBody(invoice: "75000200"))))
        let burst = requests
        let outcomes = try await fixture.test { client in
            try await withThrowingTaskGroup(of: Outcome.self) { group in
                for request in burst {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: request.key), body: request.body)
                        let line = (response.json["lines"] as? [[String: Any]])?.first
                        return Outcome(
                            key: request.key, status: Int(response.status.code), errorCode: response.errorCode, errorField: response.errorField,
                            eligible: line?["eligible"] as? Bool, body: response.text)
                    }
                }
                return try await group.reduce(into: [String: Outcome]()) { $0[$1.key] = $1 }
            }
        }
        #expect(outcomes.count == burst.count)
        for n in 1...20 {
            let outcome = outcomes["DESK-\(n)"]
            #expect(outcome?.status == 201, "DESK-\(n): \(outcome?.body ?? "no answer")")
            #expect(outcome?.body.contains("\"purchase_key\":\"DESK-\(n)\"") == true)
            #expect(outcome?.eligible == true)
        }
        #expect(outcomes["DESK-R"]?.status == 200)
        #expect(outcomes["DESK-R"]?.body == first.text)
        for key in ["DESK-BAD-1", "DESK-BAD-2"] {
            #expect(outcomes[key]?.status == 422, "\(key): \(outcomes[key]?.body ?? "")")
            #expect(outcomes[key]?.errorCode == "VALIDATION_FAILED")
            #expect(outcomes[key]?.errorField == "lines[0].amount")
        }
        // The shared invoice: both recorded, one of them judged ineligible, as one after the other.
        #expect(outcomes["DESK-TWIN-1"]?.status == 201 && outcomes["DESK-TWIN-2"]?.status == 201)
        #expect([outcomes["DESK-TWIN-1"]?.eligible, outcomes["DESK-TWIN-2"]?.eligible].compactMap { $0 }.sorted { !$0 && $1 } == [false, true])

        // Every request reached the desk once (the first alone, before the burst), in fewer groups
        // than requests; /metrics says the same.
        let (groups, purchases) = fixture.metrics.purchaseGroups
        #expect(purchases == UInt64(burst.count + 1))
        #expect(groups >= 2 && groups < purchases, "\(groups) groups")
        let metricsText = try await fixture.test { client in try await client.execute(uri: "/metrics", method: .get).text }
        #expect(metricsText.contains("relief_purchase_group_purchases_total \(purchases)\n"))

        let created = 22
        let after = try await fixture.fingerprint()
        #expect(after[0] == before[0] + created)
        #expect(after[2] == before[2] + created)
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'purchase.create' AND target LIKE 'DESK-%'") == created + 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'purchase.create' AND target LIKE 'DESK-BAD-%'") == 0)
        // Grouped: fewer transactions than purchases (xmin names the writing transaction), and
        // every purchase in the same transaction as its entry.
        let transactions = try await fixture.count(
            "SELECT count(DISTINCT xmin::text) FROM relief.purchases WHERE purchase_key LIKE 'DESK-%' AND purchase_key <> 'DESK-R'")
        #expect(transactions < created, "\(transactions) transactions for \(created) purchases")
        #expect(
            try await fixture.count(
                """
                SELECT count(*) FROM relief.purchases p JOIN relief.entries e ON e.id = p.entry_id
                WHERE p.purchase_key LIKE 'DESK-%' AND p.xmin::text <> e.xmin::text
                """) == 0)
        await fixture.close()
    }
}

/// When the desk starts a user's next group (``GroupGathering``), on its own.
@Suite("web API: when a group of purchases starts")
struct GroupGatheringTests {
    static let clerk = User(id: 1, login: "a", displayName: "甲", role: .enterpriseClerk, enterpriseID: 1, enterpriseCode: "x")
    static let other = User(id: 2, login: "b", displayName: "乙", role: .enterpriseClerk, enterpriseID: 2, enterpriseCode: "y")

    @Test func aFirstPurchaseAndOneAfterASingleGroupStartAtOnce() {
        var gathering = GroupGathering()
        let first = gathering.decide(Self.clerk, waiting: 1)
        #expect(first == .write)
        gathering.answered(Self.clerk, purchases: 1, stillWaiting: 0)
        let afterSingle = gathering.decide(Self.clerk, waiting: 1)
        #expect(afterSingle == .write)
    }

    @Test func theNextGroupWaitsForAsManyAsTheUserHadInTheDesk() {
        var gathering = GroupGathering()
        let opening = gathering.decide(Self.clerk, waiting: 3)
        #expect(opening == .write)
        // Answered 12 while 4 more waited: 16 clients.
        gathering.answered(Self.clerk, purchases: 12, stillWaiting: 4)
        #expect(gathering.expected[Self.clerk] == 16)
        guard case .wait(let number) = gathering.decide(Self.clerk, waiting: 4) else {
            Issue.record("4 of 16 should wait")
            return
        }
        for waiting in 5...15 {
            let decision = gathering.decide(Self.clerk, waiting: waiting)
            #expect(decision == .keepWaiting)
        }
        let allBack = gathering.decide(Self.clerk, waiting: 16)
        #expect(allBack == .write)
        // The timer of that wait goes off later: the group has started, nothing to do.
        let lateTimer = gathering.waitEnded(Self.clerk, number: number)
        #expect(!lateTimer)
        // Other users are not held by this one's wait.
        let otherUser = gathering.decide(Self.other, waiting: 1)
        #expect(otherUser == .write)
    }

    @Test func aWaitThatRunsOutWritesWhatCameAndExpectsThatFromThenOn() {
        var gathering = GroupGathering()
        gathering.answered(Self.clerk, purchases: 16, stillWaiting: 0)
        guard case .wait(let number) = gathering.decide(Self.clerk, waiting: 2) else {
            Issue.record("2 of 16 should wait")
            return
        }
        let ranOut = gathering.waitEnded(Self.clerk, number: number)
        #expect(ranOut)
        let ranOutTwice = gathering.waitEnded(Self.clerk, number: number)
        #expect(!ranOutTwice)
        let withWhatCame = gathering.decide(Self.clerk, waiting: 3)
        #expect(withWhatCame == .write)
        gathering.answered(Self.clerk, purchases: 3, stillWaiting: 0)
        let asManyAsCame = gathering.decide(Self.clerk, waiting: 3)
        #expect(asManyAsCame == .write)
        // A new wait gets a new number: an old timer cannot end it.
        gathering.answered(Self.clerk, purchases: 3, stillWaiting: 2)
        guard case .wait(let next) = gathering.decide(Self.clerk, waiting: 1) else {
            Issue.record("1 of 5 should wait")
            return
        }
        let staleEnded = gathering.waitEnded(Self.clerk, number: number)
        #expect(next != number && !staleEnded)
        let stillShort = gathering.decide(Self.clerk, waiting: 2)
        #expect(stillShort == .keepWaiting)
        let nextRanOut = gathering.waitEnded(Self.clerk, number: next)
        #expect(nextRanOut)
    }

    @Test func noGroupWaitsForMoreThanAGroupCarries() {
        var gathering = GroupGathering()
        gathering.answered(Self.clerk, purchases: PurchaseDesk.maximumGroupPurchases, stillWaiting: 500)
        let full = gathering.decide(Self.clerk, waiting: PurchaseDesk.maximumGroupPurchases)
        #expect(full == .write)
    }
}
