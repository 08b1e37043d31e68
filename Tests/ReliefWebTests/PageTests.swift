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

/// A browser session for tests: signs in through the login form and keeps the session cookie.
struct Browser {
    let client: any TestClientProtocol
    var session: String?

    /// GET /login, then POST /login with its CSRF token and pre-session cookie.
    static func signIn(_ client: any TestClientProtocol, login: String, password: String, extra: HTTPFields = [:]) async throws -> (Browser, TestResponse) {
        let form = try await client.execute(uri: "/login", method: .get)
        let pre = form.cookies["relief_login"] ?? ""
        var fields = headers(cookie: "relief_login=\(pre)")
        fields[.contentType] = "application/x-www-form-urlencoded"
        for field in extra { fields.append(field) }
        let response = try await client.execute(
            uri: "/login", method: .post, headers: fields,
            body: formBuffer([("login", login), ("password", password), ("csrf", csrfToken(in: form.text) ?? "")]))
        return (Browser(client: client, session: response.cookies["relief_session"]), response)
    }

    func get(_ uri: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: headers(cookie: session.map { "relief_session=\($0)" }))
    }
}

@Suite("web pages")
struct PageTests {
    @Test func signingInSetsAnHttpOnlySessionCookieAndSigningOutNeedsTheCSRFToken() async throws {
        let fixture = try await WebFixture.make("pagelogin")
        try await fixture.test { client in
            // Not signed in: the dashboard sends to the login page.
            let anonymous = try await client.execute(uri: "/", method: .get)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login")

            let form = try await client.execute(uri: "/login", method: .get)
            #expect(form.status == .ok)
            #expect(form.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(form.text.contains(#"<meta name="viewport""#))
            #expect(form.text.contains(#"<html lang="zh-CN">"#))
            #expect(csrfToken(in: form.text)?.count == 64)
            let pre = try #require(form.setCookie("relief_login"))
            #expect(pre.contains("HttpOnly") && pre.contains("SameSite=Lax") && !pre.contains("Secure"))

            // A form without its pre-session cookie is refused.
            var forged = headers()
            forged[.contentType] = "application/x-www-form-urlencoded"
            let noCookie = try await client.execute(
                uri: "/login", method: .post, headers: forged,
                body: formBuffer([("login", WebFixture.login(.admin)), ("password", WebFixture.passwords[.admin]!), ("csrf", csrfToken(in: form.text)!)]))
            #expect(noCookie.status == .forbidden)
            #expect(noCookie.cookies["relief_session"] == nil)

            let (_, wrong) = try await Browser.signIn(client, login: WebFixture.login(.admin), password: "not the password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("登录名或密码错误"))
            #expect(wrong.cookies["relief_session"] == nil)

            let (browser, signedIn) = try await Browser.signIn(client, login: WebFixture.login(.admin), password: WebFixture.passwords[.admin]!)
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/")
            let cookie = try #require(signedIn.setCookie("relief_session"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/") && !cookie.contains("Secure"))
            #expect(browser.session?.count == 64)

            // Finance, auditors and admins get every enterprise's 完成率 as an SVG bar chart.
            let page = try await browser.get("/?period=2020-05")
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg class=\"chart\""))
            #expect(page.text.contains("各企业消费帮扶完成率"))
            #expect(page.text.components(separatedBy: "<g transform=").count - 1 == 23)
            // Every enterprise has its bar and the table fits one page: no note, no pager.
            #expect(!page.text.contains("其余") && !page.text.contains("下一页"))
            let csrf = try #require(csrfToken(in: page.text))

            // Logging out needs the session's CSRF token.
            var logoutHeaders = headers(cookie: "relief_session=\(browser.session!)")
            logoutHeaders[.contentType] = "application/x-www-form-urlencoded"
            let refused = try await client.execute(uri: "/logout", method: .post, headers: logoutHeaders, body: formBuffer([("csrf", "0")]))
            #expect(refused.status == .forbidden)
            #expect(try await browser.get("/").status == .ok)
            let out = try await client.execute(uri: "/logout", method: .post, headers: logoutHeaders, body: formBuffer([("csrf", csrf)]))
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/login")
            #expect(try await browser.get("/").status == .seeOther)

            // Behind a TLS proxy the cookie is Secure.
            var proxied = HTTPFields()
            proxied[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let (_, secure) = try await Browser.signIn(client, login: WebFixture.login(.auditor), password: WebFixture.passwords[.auditor]!, extra: proxied)
            #expect(secure.setCookie("relief_session")?.contains("; Secure") == true)
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.sessions") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'logout'") == 1)
        await fixture.close()
    }

    @Test func tooManyFailedLoginsShowTheThrottleMessage() async throws {
        let fixture = try await WebFixture.make("pagethrottle")
        try await fixture.test { client in
            for _ in 0..<Access.maximumFailedLogins {
                let (_, wrong) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: "wrong password")
                #expect(wrong.text.contains("登录名或密码错误"))
            }
            let (_, throttled) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.text.contains("登录失败次数过多，请15分钟后再试"))
            #expect(throttled.cookies["relief_session"] == nil)
        }
        await fixture.close()
    }

    /// A supplier named `<script>alert(1)</script>` (put in with SQL, as an attacker with a
    /// spreadsheet might) shows up escaped on the clerk's dashboard.
    @Test func aClerksDashboardShowsItsProgressWithEveryNameEscaped() async throws {
        let fixture = try await WebFixture.make("pagexss")
        let supplier = try #require(fixture.purchaseBody(invoice: "75000001")["supplier"] as? String)
        let evil = "<script>alert(1)</script>合作社"
        try await fixture.admin.run { c in
            _ = try c.query("UPDATE relief.suppliers SET name = $1 WHERE credit_code = $2", [evil, supplier])
        }
        try await fixture.test { client in
            // A purchase from that supplier, recorded by the clerk through the API.
            var body = fixture.purchaseBody(invoice: "75000001")
            body["date"] = "2020-05-28"
            let recorded = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "XSS-1"), body: try jsonBuffer(body))
            #expect(recorded.status == .created, "\(recorded.text)")
            #expect(recorded.json["supplier_name"] as? String == evil)

            let (browser, signedIn) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            #expect(signedIn.status == .seeOther)
            let page = try await browser.get("/")
            #expect(page.status == .ok)
            let html = page.text
            #expect(!html.contains("<script"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;合作社"))
            #expect(html.contains("XSS-1"))
            // Its own progress: 年度目标, 累计采购, 完成率 and the bar; no other enterprise.
            for label in ["年度目标", "累计采购", "完成率"] { #expect(html.contains(label)) }
            #expect(html.contains(#"<svg class="progress""#))
            #expect(html.contains("截至 2020-05"))
            #expect(!html.contains(fixture.data.enterprises.rows[1].cells[1]))
            #expect(html.contains("不合格") || html.contains("合格"))
        }
        await fixture.close()
    }

    /// Pages open on the month of the latest purchase the user may see: another enterprise's
    /// July purchase moves finance's dashboard to 2020-07 and leaves the clerk's on its own May
    /// (the kept monthly totals, under the same row-level security as the purchases).
    @Test func theDashboardOpensOnTheLatestMonthTheUserCanSee() async throws {
        let fixture = try await WebFixture.make("pagelatest")
        let codes = fixture.data.enterprises.rows.map { $0.cells[0] }
        let other = try #require(codes.first { $0 != fixture.clerkEnterprise })
        let july = fixture.purchaseTable(
            key: "LATEST-7", invoice: "79100007", date: "2020-07-15", enterprise: other)
        _ = try await fixture.admin.run { c in
            try Purchases.importPurchases(c, july, programCode: Demo.programCode, actorName: "test")
        }
        try await fixture.test { client in
            let (finance, _) = try await Browser.signIn(
                client, login: WebFixture.login(.financePreparer),
                password: WebFixture.passwords[.financePreparer]!)
            #expect(try await finance.get("/").text.contains("完成率排名 · 截至 2020-07"))
            let (clerk, _) = try await Browser.signIn(
                client, login: WebFixture.login(.enterpriseClerk),
                password: WebFixture.passwords[.enterpriseClerk]!)
            let page = try await clerk.get("/").text
            #expect(page.contains("截至 2020-05"))
            #expect(!page.contains("2020-07"))
        }
        await fixture.close()
    }

    @Test func theDashboardRankingIsPagedAtProvinceScale() async throws {
        let fixture = try await WebFixture.make("paged", volume: DemoData.Volume(enterprises: 150, purchases: 300))
        try await fixture.test { client in
            let (browser, _) = try await Browser.signIn(client, login: WebFixture.login(.financePreparer), password: WebFixture.passwords[.financePreparer]!)
            let first = try await browser.get("/?period=2020-05")
            #expect(first.status == .ok)
            #expect(first.text.components(separatedBy: "<tr><td>").count - 1 == 100)
            #expect(first.text.contains("第 1 / 2 页，共 150 家"))
            #expect(first.text.contains("href=\"/?period=2020-05&amp;page=2\">下一页</a>"))
            #expect(!first.text.contains(">上一页<"))
            #expect(first.text.contains("href=\"/reports/monthly?period=2020-05\">完整月报</a>"))
            #expect(first.text.contains("<tr><td>1</td>") && !first.text.contains("<tr><td>101</td>"))
            // The chart still ranks everyone: the top 20 and the bottom 10, and says so.
            #expect(first.text.components(separatedBy: "<g transform=").count - 1 == 30)
            #expect(first.text.contains("其余 120 家见下表"))
            let second = try await browser.get("/?period=2020-05&page=2")
            #expect(second.text.components(separatedBy: "<tr><td>").count - 1 == 50)
            #expect(second.text.contains("第 2 / 2 页") && second.text.contains("<tr><td>101</td>") && second.text.contains("<tr><td>150</td>"))
            #expect(second.text.contains("href=\"/?period=2020-05&amp;page=1\">上一页</a>") && !second.text.contains(">下一页<"))
            // A page past the end shows the last one.
            #expect(try await browser.get("/?period=2020-05&page=99").text.contains("第 2 / 2 页"))
        }
        await fixture.close()
    }
}
