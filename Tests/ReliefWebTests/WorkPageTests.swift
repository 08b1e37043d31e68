import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReliefCore
import ReliefStore
import ReliefWeb
import Testing

extension Browser {
    /// POSTs a form with the session cookie.
    func post(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var fieldsHeaders = headers(cookie: session.map { "relief_session=\($0)" })
        fieldsHeaders[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: fieldsHeaders, body: formBuffer(fields))
    }
}

/// The value of a hidden input in a page.
func hiddenValue(_ name: String, in html: String) -> String? {
    guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
    return String(html[range.upperBound...].prefix { $0 != "\"" })
}

@Suite("work pages: recording a purchase, approving a batch")
struct WorkPageTests {
    @Test func aClerkRecordsAPurchaseThroughTheFormOnceEvenIfSubmittedTwice() async throws {
        let fixture = try await WebFixture.make("pageform")
        let supplier = fixture.data.suppliers.rows[0].cells[0]
        let product = fixture.data.products.rows[0].cells[0]
        try await fixture.test { client in
            let (clerk, _) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            let form = try await clerk.get("/purchases/new")
            #expect(form.status == .ok)
            let csrf = try #require(hiddenValue("csrf", in: form.text))
            let key = try #require(hiddenValue("purchase_key", in: form.text))
            #expect(key.hasPrefix("WEB-"))
            let fields: [(String, String)] = [
                ("csrf", csrf), ("purchase_key", key), ("supplier", supplier), ("product", product), ("date", "2020-06-20"),
                ("channel", "直采"), ("purpose", "食堂"), ("invoice_number", "31415926"), ("invoice_date", "2020-06-20"), ("seller_tax_id", ""),
                ("quantity", "10"), ("unit", "斤"), ("unit_price", "380"), ("amount", "3800.00"),
            ]
            // Without the CSRF token: refused, nothing written.
            let forged = try await clerk.post("/purchases", fields.map { $0.0 == "csrf" ? ("csrf", "x") : $0 })
            #expect(forged.status == .forbidden)
            #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = '\(key)'") == 0)
            let first = try await clerk.post("/purchases", fields)
            #expect(first.status == .seeOther && first.headers[.location] == "/")
            let again = try await clerk.post("/purchases", fields)
            #expect(again.status == .seeOther)
            #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = '\(key)'") == 1)
            // A field error is shown on the form, nothing written.
            let bad = try await clerk.post("/purchases", fields.map { $0.0 == "purchase_key" ? ("purchase_key", key + "-2") : ($0.0 == "amount" ? ("amount", "1.005") : $0) })
            #expect(bad.status == .unprocessableContent || bad.status == .ok)
            #expect(bad.text.contains("1.005"))
            #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = '\(key)-2'") == 0)
            // Finance does not record purchases through the clerk's form.
            let (finance, _) = try await Browser.signIn(client, login: WebFixture.login(.financeApprover), password: WebFixture.passwords[.financeApprover]!)
            #expect(try await finance.get("/purchases/new").status == .forbidden)
        }
        await fixture.close()
    }

    @Test func theApproverApprovesFromTheBatchesPageAndThePreparerCannot() async throws {
        let fixture = try await WebFixture.make("pagebatch")
        let preparer = try #require(fixture.users[.financePreparer])
        let batch = try await fixture.preparedBatch(month: 6, preparer: preparer)
        try await fixture.test { client in
            let (maker, _) = try await Browser.signIn(client, login: WebFixture.login(.financePreparer), password: WebFixture.passwords[.financePreparer]!)
            let makerPage = try await maker.get("/batches")
            #expect(makerPage.status == .ok && !makerPage.text.contains("/batches/\(batch)/approve"))
            // With the preparer's own valid CSRF token (from its dashboard's logout form): refused by role.
            let makerCSRF = try #require(hiddenValue("csrf", in: (try await maker.get("/")).text))
            #expect(try await maker.post("/batches/\(batch)/approve", [("csrf", makerCSRF)]).status == .forbidden)
            #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE id = \(batch) AND status = 'prepared'") == 1)
            let (checker, _) = try await Browser.signIn(client, login: WebFixture.login(.financeApprover), password: WebFixture.passwords[.financeApprover]!)
            let page = try await checker.get("/batches")
            #expect(page.text.contains("/batches/\(batch)/approve"))
            let csrf = try #require(hiddenValue("csrf", in: page.text))
            let approved = try await checker.post("/batches/\(batch)/approve", [("csrf", csrf)])
            #expect(approved.status == .seeOther)
            #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE id = \(batch) AND status = 'approved'") == 1)
        }
        await fixture.close()
    }
}
