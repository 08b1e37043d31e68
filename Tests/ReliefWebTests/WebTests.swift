import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import ReliefWeb
import Testing

@Suite("web API: roles, purchases, reports")
struct APITests {
    /// Every endpoint × every role (and no or a bad token): allowed roles 2xx, others 403, 401
    /// without credentials.
    @Test func everyEndpointByEveryRole() async throws {
        let fixture = try await WebFixture.make("matrix")
        // A batch for June, prepared by the preparer, for the approver to approve.
        let batchID = try await fixture.preparedBatch(month: 6, preparer: fixture.users[.financePreparer]!)
        let all = Set(Role.allCases)
        let endpoints: [(name: String, method: HTTPRequest.Method, uri: String, allowed: Set<Role>)] = [
            ("me", .get, "/api/v1/me", all),
            ("progress", .get, "/api/v1/progress?period=2020-05", all),
            ("purchases", .get, "/api/v1/purchases", all),
            ("ineligible", .get, "/api/v1/purchases?ineligible=true", all),
            ("trial balance", .get, "/api/v1/reports/trial-balance?period=2020-05", [.admin, .financePreparer, .financeApprover, .auditor]),
            ("record purchase", .post, "/api/v1/purchases", [.enterpriseClerk, .financePreparer, .admin]),
            ("approve", .post, "/api/v1/subsidy/batches/\(batchID)/approve", [.financeApprover]),
        ]
        try await fixture.test { client in
            var invoice = 71_000_000
            for endpoint in endpoints {
                func request(_ token: String?) async throws -> TestResponse {
                    invoice += 1
                    if endpoint.name == "record purchase" {
                        return try await client.execute(
                            uri: endpoint.uri, method: .post, headers: headers(token, json: true, key: "MATRIX-\(invoice)"),
                            body: try jsonBuffer(fixture.purchaseBody(invoice: String(invoice))))
                    }
                    return try await client.execute(uri: endpoint.uri, method: endpoint.method, headers: headers(token, key: endpoint.method == .post ? "MATRIX-\(invoice)" : nil))
                }
                let anonymous = try await request(nil)
                #expect(anonymous.status == .unauthorized, "\(endpoint.name) without a token")
                #expect(anonymous.errorCode == "UNAUTHENTICATED")
                #expect(try await request("rl_" + String(repeating: "0", count: 64)).status == .unauthorized, "\(endpoint.name) with an unknown token")
                for role in Role.allCases {
                    let response = try await request(fixture.tokens[role]!)
                    if endpoint.allowed.contains(role) {
                        #expect((200..<300).contains(response.status.code), "\(endpoint.name) as \(role): \(response.status) \(response.text)")
                    } else {
                        #expect(response.status == .forbidden, "\(endpoint.name) as \(role): \(response.status) \(response.text)")
                        #expect(response.errorCode == "FORBIDDEN")
                    }
                }
            }
        }
        // The three writers recorded one purchase each; the batch is approved by the approver.
        #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key LIKE 'MATRIX-%'") == 3)
        let approvedBy = try await fixture.admin.run { c in
            try c.query("SELECT approved_by FROM relief.subsidy_batches WHERE id = $1", [batchID]).single().decode(String.self, at: 0)
        }
        #expect(approvedBy == fixture.users[.financeApprover]!.actorName)
        await fixture.close()
    }

    @Test func aClerksProgressIsItsOwnRowAndFinanceSeesEveryEnterprise() async throws {
        let fixture = try await WebFixture.make("progress")
        try await fixture.test { client in
            let clerk = try await client.execute(uri: "/api/v1/progress?period=2020-05", method: .get, headers: headers(fixture.tokens[.enterpriseClerk]))
            #expect(clerk.status == .ok)
            let rows = clerk.json["rows"] as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            #expect(rows.first?["credit_code"] as? String == fixture.clerkEnterprise)
            #expect((rows.first?["cumulative_fen"] as? Int ?? 0) > 0)
            for role in [Role.financePreparer, .financeApprover, .auditor, .admin] {
                let all = try await client.execute(uri: "/api/v1/progress?period=2020-05", method: .get, headers: headers(fixture.tokens[role]))
                #expect((all.json["rows"] as? [[String: Any]])?.count == 23, "\(role)")
            }
            let missing = try await client.execute(uri: "/api/v1/progress", method: .get, headers: headers(fixture.tokens[.admin]))
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "INVALID_PERIOD")
            #expect(missing.errorField == "period")
            let bad = try await client.execute(uri: "/api/v1/progress?period=2020-13", method: .get, headers: headers(fixture.tokens[.admin]))
            #expect(bad.errorCode == "INVALID_PERIOD")
        }
        await fixture.close()
    }

    @Test func meAndPurchaseListingsFollowRowLevelSecurity() async throws {
        let fixture = try await WebFixture.make("listing")
        try await fixture.test { client in
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.enterpriseClerk]))
            #expect(me.json["login"] as? String == WebFixture.login(.enterpriseClerk))
            #expect(me.json["role"] as? String == "enterprise_clerk")
            #expect(me.json["enterprise"] as? String == fixture.clerkEnterprise)
            #expect(me.json["display_name"] as? String == "网页enterprise_clerk")
            let finance = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.auditor]))
            #expect(finance.json["enterprise"] is NSNull)

            let clerkLines = try await client.execute(uri: "/api/v1/purchases", method: .get, headers: headers(fixture.tokens[.enterpriseClerk]))
            let lines = clerkLines.json["lines"] as? [[String: Any]] ?? []
            #expect(!lines.isEmpty)
            #expect(lines.allSatisfy { $0["enterprise"] as? String == fixture.clerkEnterprise })
            let expected = try await fixture.count(
                "SELECT count(*) FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id JOIN relief.enterprises e ON e.id = p.enterprise_id WHERE e.credit_code = '\(fixture.clerkEnterprise)'")
            #expect(lines.count == expected)

            let ineligible = try await client.execute(uri: "/api/v1/purchases?ineligible=true", method: .get, headers: headers(fixture.tokens[.financePreparer]))
            let bad = ineligible.json["lines"] as? [[String: Any]] ?? []
            #expect(bad.count == (try await fixture.count("SELECT count(*) FROM relief.purchase_lines WHERE NOT eligible")))
            #expect(bad.allSatisfy { $0["eligible"] as? Bool == false && !(($0["reason_codes"] as? [String]) ?? []).isEmpty && !(($0["reasons"] as? String) ?? "").isEmpty })
            #expect(bad.contains { $0["purchase_key"] as? String == "PO202005-X1" && (($0["reason_codes"] as? [String]) ?? []).contains("SUPPLIER_UNCERTIFIED") })
            let wrong = try await client.execute(uri: "/api/v1/purchases?ineligible=maybe", method: .get, headers: headers(fixture.tokens[.financePreparer]))
            #expect(wrong.status == .badRequest)
        }
        await fixture.close()
    }

    @Test func aClerkCannotRecordAnotherEnterprisesPurchase() async throws {
        let fixture = try await WebFixture.make("clerkother")
        let before = try await fixture.fingerprint()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "OTHER-1"),
                body: try jsonBuffer(fixture.purchaseBody(enterprise: fixture.otherEnterprise, invoice: "72000001")))
            #expect(response.status == .forbidden)
            #expect(response.errorCode == "FORBIDDEN_ENTERPRISE")
            #expect(response.errorField == "enterprise")
        }
        #expect(try await fixture.fingerprint() == before)
        await fixture.close()
    }

    @Test func theSameIdempotencyKeyRecordsOnce() async throws {
        let fixture = try await WebFixture.make("idempotent")
        let before = try await fixture.fingerprint()
        try await fixture.test { client in
            let body = fixture.purchaseBody(invoice: "73000001")
            let first = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "IDEM-1"), body: try jsonBuffer(body))
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["purchase_key"] as? String == "IDEM-1")
            #expect(first.json["created_by"] as? String == fixture.users[.enterpriseClerk]!.actorName)
            let line = (first.json["lines"] as? [[String: Any]])?.first
            #expect(line?["eligible"] is Bool)
            let afterFirst = try await fixture.fingerprint()
            #expect(afterFirst[0] == before[0] + 1)
            #expect(afterFirst[2] == before[2] + 1)

            let again = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "IDEM-1"), body: try jsonBuffer(body))
            #expect(again.status == .ok)
            #expect(again.text == first.text)
            #expect(try await fixture.fingerprint() == afterFirst)

            // The same key for a different purchase is a conflict, and writes nothing.
            let different = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "IDEM-1"),
                body: try jsonBuffer(fixture.purchaseBody(invoice: "73000002")))
            #expect(different.status == .conflict)
            #expect(different.errorCode == "IDEMPOTENCY_KEY_REUSED")
            // Another enterprise's key, invisible to the clerk under row-level security: a conflict too.
            let finance = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "IDEM-2"),
                body: try jsonBuffer(fixture.purchaseBody(enterprise: fixture.otherEnterprise, invoice: "73000003")))
            #expect(finance.status == .created)
            let afterFinance = try await fixture.fingerprint()
            let hidden = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "IDEM-2"),
                body: try jsonBuffer(fixture.purchaseBody(invoice: "73000004")))
            #expect(hidden.status == .conflict, "\(hidden.text)")
            #expect(hidden.errorCode == "IDEMPOTENCY_KEY_REUSED")
            #expect(try await fixture.fingerprint() == afterFinance)
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'purchase.create'") == 2)
        await fixture.close()
    }

    @Test func concurrentRequestsWithOneKeyRecordOnePurchase() async throws {
        let fixture = try await WebFixture.make("idemconcurrent")
        let before = try await fixture.fingerprint()
        let statuses = try await fixture.test { client in
            let body = try jsonBuffer(fixture.purchaseBody(invoice: "73100001"))
            return try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "SAME-KEY"), body: body)
                        return (response.status.code, response.errorCode ?? "")
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
        }
        #expect(statuses.map(\.0).sorted() == [200, 200, 200, 201], "\(statuses)")
        let after = try await fixture.fingerprint()
        #expect(after[0] == before[0] + 1)
        #expect(after[2] == before[2] + 1)
        await fixture.close()
    }

    @Test func badRequestsAreRefusedAndWriteNothing() async throws {
        let fixture = try await WebFixture.make("badrequests")
        let before = try await fixture.fingerprint()
        let token = fixture.tokens[.financePreparer]!
        try await fixture.test { client in
            let valid = try jsonBuffer(fixture.purchaseBody(invoice: "74000001"))
            let noKey = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true), body: valid)
            #expect(noKey.status == .badRequest)
            #expect(noKey.errorCode == "IDEMPOTENCY_KEY_REQUIRED")
            #expect(noKey.errorField == "Idempotency-Key")

            let malformed = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-1"), body: ByteBuffer(string: #"{"enterprise": "#))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "MALFORMED_JSON")
            #expect(malformed.errorField == "body")

            let array = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-2"), body: ByteBuffer(string: "[]"))
            #expect(array.errorCode == "MALFORMED_JSON")

            var textHeaders = headers(token, key: "BAD-3")
            textHeaders[.contentType] = "text/plain"
            let wrongType = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: textHeaders, body: valid)
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(wrongType.errorCode == "UNSUPPORTED_MEDIA_TYPE")
            let noType = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, key: "BAD-4"), body: valid)
            #expect(noType.status == .unsupportedMediaType)

            var huge = fixture.purchaseBody(invoice: "74000002")
            huge["padding"] = String(repeating: "x", count: WebContext.bodyLimit + 1)
            let oversized = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-5"), body: try jsonBuffer(huge))
            #expect(oversized.status == .contentTooLarge)
            #expect(oversized.errorCode == "PAYLOAD_TOO_LARGE")

            // Validation: every problem listed, the first one's request field named.
            let invalid = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-6"),
                body: try jsonBuffer(fixture.purchaseBody(invoice: "74000003", amountOverride: "1.005")))
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.errorCode == "VALIDATION_FAILED")
            #expect(invalid.errorField == "lines[0].amount")
            let problems = (invalid.json["error"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []
            #expect(problems.first?["field"] as? String == "lines[0].amount")
            #expect(problems.first?["line"] as? Int == 1)

            var missing = fixture.purchaseBody(invoice: "74000004")
            missing["invoice_number"] = nil
            missing["supplier"] = 42
            let incomplete = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-7"), body: try jsonBuffer(missing))
            #expect(incomplete.status == .unprocessableContent)
            let fields = ((incomplete.json["error"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["supplier", "invoice_number"])

            let badInvoice = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(token, json: true, key: "BAD-8"),
                body: try jsonBuffer(fixture.purchaseBody(invoice: "1234")))
            #expect(badInvoice.errorField == "invoice_number")
        }
        #expect(try await fixture.fingerprint() == before)
        await fixture.close()
    }

    @Test func makerCheckerIsAConflict() async throws {
        let fixture = try await WebFixture.make("makerchecker")
        let approver = fixture.users[.financeApprover]!
        let own = try await fixture.preparedBatch(month: 7, preparer: approver)
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/subsidy/batches/\(own)/approve", method: .post, headers: headers(fixture.tokens[.financeApprover], key: UUID().uuidString))
            #expect(response.status == .conflict)
            #expect(response.errorCode == "MAKER_CHECKER")
            let missing = try await client.execute(uri: "/api/v1/subsidy/batches/999999/approve", method: .post, headers: headers(fixture.tokens[.financeApprover], key: UUID().uuidString))
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "BATCH_NOT_FOUND")
            let paid = try await fixture.count("SELECT min(id) FROM relief.subsidy_batches WHERE status = 'paid'")
            let done = try await client.execute(uri: "/api/v1/subsidy/batches/\(paid)/approve", method: .post, headers: headers(fixture.tokens[.financeApprover], key: UUID().uuidString))
            #expect(done.errorCode == "BATCH_NOT_PREPARED")
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE id = \(own) AND status = 'prepared'") == 1)
        await fixture.close()
    }

    @Test func trialBalanceIsTheBooksReport() async throws {
        let fixture = try await WebFixture.make("trialbalance")
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/reports/trial-balance?period=2020-05", method: .get, headers: headers(fixture.tokens[.auditor]))
            #expect(response.status == .ok)
            #expect((response.json["title"] as? String)?.contains("科目余额表") == true)
            #expect(!((response.json["rows"] as? [[String: Any]]) ?? []).isEmpty)
            #expect((response.json["notes"] as? [String])?.contains("借贷平衡") == true)
        }
        await fixture.close()
    }
}

@Suite("web: login, throttling, headers, metrics, OpenAPI")
struct WebOperationTests {
    @Test func apiLoginIssuesATokenAuditsAndThrottles() async throws {
        let fixture = try await WebFixture.make("apilogin")
        let login = WebFixture.login(.financePreparer)
        // Live: real sockets, so the audit log gets a real remote address.
        try await fixture.application.test(.live) { client in
            var jsonHeaders = HTTPFields()
            jsonHeaders[.contentType] = "application/json"
            let good = try await client.execute(
                uri: "/api/v1/login", method: .post, headers: jsonHeaders,
                body: try jsonBuffer(["login": login, "password": WebFixture.passwords[.financePreparer]!]))
            #expect(good.status == .ok)
            let token = good.json["token"] as? String ?? ""
            #expect(token.hasPrefix("rl_"))
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token))
            #expect(me.json["login"] as? String == login)

            for _ in 0..<Access.maximumFailedLogins {
                let wrong = try await client.execute(
                    uri: "/api/v1/login", method: .post, headers: jsonHeaders, body: try jsonBuffer(["login": login, "password": "wrong password!"]))
                #expect(wrong.status == .unauthorized)
                #expect(wrong.errorCode == "INVALID_CREDENTIALS")
            }
            let throttled = try await client.execute(
                uri: "/api/v1/login", method: .post, headers: jsonHeaders,
                body: try jsonBuffer(["login": login, "password": WebFixture.passwords[.financePreparer]!]))
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.errorCode == "LOGIN_THROTTLED")
            #expect(throttled.headers[.retryAfter] == "900")

            let notJSON = try await client.execute(uri: "/api/v1/login", method: .post, headers: [:], body: ByteBuffer(string: "login=x"))
            #expect(notJSON.status == .unsupportedMediaType)
        }
        let audit = try await fixture.admin.run { c in
            try c.query("SELECT action, remote FROM relief.audit_log WHERE actor IN ($1, $2) ORDER BY id", [
                fixture.users[.financePreparer]!.actorName, "anonymous:\(login)",
            ]).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        }
        #expect(audit.map(\.0) == ["login"] + Array(repeating: "login.failed", count: Access.maximumFailedLogins) + ["login.throttled"])
        #expect(audit.allSatisfy { $0.1 == "127.0.0.1" || $0.1 == "::1" }, "\(audit)")
        await fixture.close()
    }

    @Test func securityHeadersOnEveryResponse() async throws {
        let fixture = try await WebFixture.make("headers")
        try await fixture.test { client in
            let responses = [
                try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.admin])),
                try await client.execute(uri: "/api/v1/me", method: .get),
                try await client.execute(uri: "/api/v1/reports/trial-balance?period=2020-05", method: .get, headers: headers(fixture.tokens[.enterpriseClerk])),
                try await client.execute(uri: "/nowhere", method: .get),
                try await client.execute(uri: "/", method: .get),
                try await client.execute(uri: "/login", method: .get),
                try await client.execute(uri: "/metrics", method: .get),
                try await client.execute(uri: "/api/openapi.json", method: .get),
            ]
            for response in responses {
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            }
            #expect(responses[3].status == .notFound)
            #expect(responses[3].errorCode == nil)  // pages get HTML errors
        }
        await fixture.close()
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        let fixture = try await WebFixture.make("metrics")
        try await fixture.test { client in
            for _ in 0..<3 { try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.admin])) }
            try await client.execute(uri: "/api/v1/me", method: .get)
            try await client.execute(uri: "/api/v1/subsidy/batches/1/approve", method: .post, headers: headers(fixture.tokens[.auditor]))
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"relief_http_requests_total{method="GET",route="/api/v1/me",status="200"} 3"#))
            #expect(text.contains(#"relief_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#))
            #expect(text.contains(#"status="403"} 1"#))
            #expect(text.contains("# TYPE relief_http_request_duration_seconds histogram"))
            #expect(text.contains(#"relief_http_request_duration_seconds_count{route="/api/v1/me"} 4"#))
            #expect(text.contains(#"relief_http_request_duration_seconds_bucket{route="/api/v1/me",le="+Inf"} 4"#))
        }
        await fixture.close()
    }

    @Test func theServedOpenAPIDocumentIsTheFileInTheRepository() async throws {
        let fixture = try await WebFixture.make("openapi")
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.json")
        let expected = try String(contentsOf: file, encoding: .utf8)
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.text == expected, "regenerate with: sh Tests/ReliefWebTests/generate-openapi-swift.sh")
        }
        let document = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any]
        #expect(document?["openapi"] as? String == "3.1.0")
        let paths = Set((document?["paths"] as? [String: Any])?.keys.map { $0 } ?? [])
        // Every route the API serves is documented (the endpoint × role tests call each of them).
        #expect(paths == [
            "/api/v1/login", "/api/v1/me", "/api/v1/progress", "/api/v1/purchases", "/api/v1/reports", "/api/v1/reports/{key}",
            "/api/v1/journal", "/api/v1/exports/journal", "/api/v1/exports/audit-pack", "/api/v1/verify", "/api/v1/audit-log",
            "/api/v1/imports/{kind}", "/api/v1/subsidy/batches", "/api/v1/subsidy/batches/{id}/approve", "/api/v1/subsidy/batches/{id}/pay",
            "/api/v1/subsidy/batches/{id}/payment-file", "/api/v1/subsidy/rules", "/api/v1/program", "/api/v1/periods",
            "/api/v1/periods/{period}/close", "/api/v1/entries", "/api/v1/entries/{seq}/reverse", "/api/v1/subsidy/clawbacks", "/api/v1/users",
            "/api/v1/users/{login}/disable", "/api/v1/tokens", "/api/openapi.json", "/metrics",
        ])
        await fixture.close()
    }
}
