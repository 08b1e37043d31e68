import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
@testable import ReliefWeb
import Testing

// The security list of the web app, one suite per item. docs/SECURITY.md lists, for every test
// here, the protection it guards and the mutation of that protection that made it fail.

/// The security list, one nested suite per item. Serialized: each test makes a database and a pool
/// of its own, and two dozen of them at once, beside the other suites, would exhaust the test
/// cluster's connections.
@Suite("security", .serialized)
struct SecurityTests {}

// MARK: - Helpers

extension WebFixture {
    /// The app with another configuration (e.g. one that trusts X-Forwarded-For) on the same database.
    func test<T: Sendable>(configuration: WebConfiguration, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await WebApp.makeApplication(database: database, configuration: configuration, metrics: RequestMetrics()).test(.router, body)
    }

    /// Row counts of what a refused request must leave alone.
    func state() async throws -> [String: Int] {
        let rows = try await admin.run { c in
            try c.query(
                """
                SELECT 'purchases', count(*) FROM relief.purchases UNION ALL
                SELECT 'entries', count(*) FROM relief.entries UNION ALL
                SELECT 'batches', count(*) FROM relief.subsidy_batches UNION ALL
                SELECT 'approved', count(*) FROM relief.subsidy_batches WHERE status = 'approved' UNION ALL
                SELECT 'paid', count(*) FROM relief.subsidy_batches WHERE status = 'paid' UNION ALL
                SELECT 'closes', count(*) FROM relief.period_closes UNION ALL
                SELECT 'rules', count(*) FROM relief.subsidy_rules UNION ALL
                SELECT 'sessions', count(*) FROM relief.sessions UNION ALL
                SELECT 'audit', count(*) FROM relief.audit_log UNION ALL
                SELECT 'attempts', count(*) FROM relief.login_attempts UNION ALL
                SELECT 'suppliers', count(*) FROM relief.suppliers UNION ALL
                SELECT 'users', count(*) FROM relief.users UNION ALL
                SELECT 'tokens', count(*) FROM relief.api_tokens
                """
            ).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
        }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }

    /// Runs `sql` with triggers and foreign keys off (`session_replication_role = replica`), as
    /// someone with psql might: what the app's own checks must cope with.
    func behindTheTriggersBack(_ body: @Sendable (isolated Connection) throws -> Void) async throws {
        try await admin.run { c in
            try c.execute("SET session_replication_role = replica")
            defer { _ = try? c.execute("SET session_replication_role = origin") }
            try body(c)
        }
    }

    func signIn(_ client: any TestClientProtocol, _ role: Role) async throws -> Browser {
        let (browser, response) = try await Browser.signIn(client, login: WebFixture.login(role), password: WebFixture.passwords[role]!)
        #expect(response.status == .seeOther, "sign-in of \(role): \(response.status)")
        return browser
    }
}

/// The SHA-256 of a text as hex: how sessions and tokens are stored.
func sha256Hex(_ text: String) -> String { Chain.hex(Chain.sha256(Array(text.utf8))) }

/// `text` percent-encoded for a query value or a path segment.
func urlEncoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
}

/// A form post (urlencoded) with a raw Cookie header.
func formPost(_ client: any TestClientProtocol, _ uri: String, cookie: String?, _ fields: [(String, String)], extra: HTTPFields = [:]) async throws -> TestResponse {
    var fieldsHeaders = headers(cookie: cookie)
    fieldsHeaders[.contentType] = "application/x-www-form-urlencoded"
    for field in extra { fieldsHeaders.append(field) }
    return try await client.execute(uri: uri, method: .post, headers: fieldsHeaders, body: formBuffer(fields))
}

/// A multipart upload with a raw Cookie header.
func multipartPost(_ client: any TestClientProtocol, _ uri: String, cookie: String?, _ fields: [(String, String)], fileName: String, csv: String) async throws -> TestResponse {
    let boundary = "----relief-security-boundary"
    var fieldsHeaders = headers(cookie: cookie)
    fieldsHeaders[.contentType] = "multipart/form-data; boundary=\(boundary)"
    return try await client.execute(
        uri: uri, method: .post, headers: fieldsHeaders, body: multipartBody(boundary: boundary, fields: fields, file: ("file", fileName, Array(csv.utf8))))
}

extension Browser {
    var cookie: String? { session.map { "relief_session=\($0)" } }

    /// The session's CSRF token, read from a page's logout form.
    func csrf() async throws -> String {
        let page = try await get("/reports")
        return try #require(hiddenValue("csrf", in: page.text), "no CSRF token on /reports: \(page.status)")
    }
}

/// Attributes of a Set-Cookie value, lower-cased names ("httponly", "samesite=lax", "path=/", "max-age=3600", "secure").
func cookieAttributes(_ setCookie: String) -> Set<String> {
    Set(setCookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
}

// MARK: - Session fixation

extension SecurityTests {
    @Suite("security: session fixation")
    struct SessionFixationTests {
        /// A session id chosen before sign-in (an attacker's value, or the attacker's own valid session
        /// planted in the victim's browser) is never the session after sign-in.
        @Test func aCookieSetBeforeSignInNeverBecomesTheSession() async throws {
            let fixture = try await WebFixture.make("secfixation")
            let issued = try await fixture.test { client -> String in
                // 1. An attacker-chosen value, well-formed but unknown.
                let planted = String(repeating: "ab", count: 32)
                let form = try await client.execute(uri: "/login", method: .get, headers: headers(cookie: "relief_session=\(planted)"))
                #expect(form.status == .ok)
                let pre = try #require(form.cookies["relief_login"])
                let signedIn = try await formPost(
                    client, "/login", cookie: "relief_login=\(pre); relief_session=\(planted)",
                    [("login", WebFixture.login(.admin)), ("password", WebFixture.passwords[.admin]!), ("csrf", csrfToken(in: form.text) ?? "")])
                #expect(signedIn.status == .seeOther)
                let issued = try #require(signedIn.cookies["relief_session"])
                #expect(issued != planted && issued != pre && Secrets.isToken(issued))
                #expect(try await client.execute(uri: "/", method: .get, headers: headers(cookie: "relief_session=\(planted)")).status == .seeOther)
                #expect(try await client.execute(uri: "/", method: .get, headers: headers(cookie: "relief_session=\(issued)")).status == .ok)

                // 2. The attacker's own session, planted before the victim signs in as another user.
                let attacker = try await fixture.signIn(client, .enterpriseClerk)
                let attackerSession = try #require(attacker.session)
                let form2 = try await client.execute(uri: "/login", method: .get)
                let pre2 = try #require(form2.cookies["relief_login"])
                let victim = try await formPost(
                    client, "/login", cookie: "relief_login=\(pre2); relief_session=\(attackerSession)",
                    [("login", WebFixture.login(.financeApprover)), ("password", WebFixture.passwords[.financeApprover]!), ("csrf", csrfToken(in: form2.text) ?? "")])
                #expect(victim.status == .seeOther)
                let victimSession = try #require(victim.cookies["relief_session"])
                #expect(victimSession != attackerSession)
                // The attacker's cookie does not carry the victim's sign-in: the login ended that session.
                let attackerView = try await attacker.get("/")
                #expect(attackerView.status == .seeOther && attackerView.headers[.location] == "/login")
                let victimView = try await Browser(client: client, session: victimSession).get("/")
                #expect(victimView.status == .ok && victimView.text.contains("网页finance_approver"))
                // Two sign-ins of one user are two sessions.
                let again = try await fixture.signIn(client, .admin)
                #expect(again.session != issued)
                return issued
            }
            // The cookie value is stored only as its SHA-256.
            #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE id_hash = '\(issued)'") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE id_hash = '\(sha256Hex(issued))'") == 1)
            await fixture.close()
        }

        /// Signing out deletes the session on the server: the old cookie, replayed, signs nobody in.
        @Test func signingOutEndsTheSessionOnTheServer() async throws {
            let fixture = try await WebFixture.make("seclogout")
            try await fixture.purchase(month: 7, actor: "setup")
            let before = try await fixture.state()
            let value = try await fixture.test { client -> String in
                let browser = try await fixture.signIn(client, .financePreparer)
                let value = try #require(browser.session)
                let csrf = try await browser.csrf()
                let out = try await formPost(client, "/logout", cookie: browser.cookie, [("csrf", csrf)])
                #expect(out.status == .seeOther && out.headers[.location] == "/login")
                #expect(out.setCookie("relief_session").map(cookieAttributes)?.contains("max-age=0") == true)
                // The browser forgets the cookie; an attacker who copied it replays it.
                let replayed = try await client.execute(uri: "/", method: .get, headers: headers(cookie: "relief_session=\(value)"))
                #expect(replayed.status == .seeOther && replayed.headers[.location] == "/login")
                let write = try await formPost(client, "/batches", cookie: "relief_session=\(value)", [("csrf", csrf), ("period", "2020-07")])
                #expect(write.status == .seeOther && write.headers[.location] == "/login")
                return value
            }
            #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE id_hash = '\(sha256Hex(value))'") == 0)
            let after = try await fixture.state()
            #expect(after["batches"] == before["batches"])
            // An expired session is refused too.
            try await fixture.test { client in
                let browser = try await fixture.signIn(client, .auditor)
                #expect(try await browser.get("/verify").status == .ok)
                try await fixture.admin.run { c in
                    _ = try c.query(
                        "UPDATE relief.sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id_hash = $1",
                        [sha256Hex(browser.session!)])
                }
                #expect(try await browser.get("/verify").status == .seeOther)
            }
            await fixture.close()
        }

        /// HttpOnly, SameSite=Lax and Path=/ on every cookie we set or clear; Secure behind TLS.
        @Test func cookiesAreHttpOnlySameSiteWithPathAndSecureBehindTLS() async throws {
            let fixture = try await WebFixture.make("seccookies")
            try await fixture.test { client in
                for tls in [false, true] {
                    var extra = HTTPFields()
                    if tls { extra[HTTPField.Name("X-Forwarded-Proto")!] = "https" }
                    let form = try await client.execute(uri: "/login", method: .get, headers: extra)
                    let pre = try #require(form.setCookie("relief_login"))
                    let (browser, signedIn) = try await Browser.signIn(client, login: WebFixture.login(.auditor), password: WebFixture.passwords[.auditor]!, extra: extra)
                    let session = try #require(signedIn.setCookie("relief_session"))
                    let cleared = try #require(signedIn.setCookie("relief_login"))
                    let out = try await formPost(client, "/logout", cookie: browser.cookie, [("csrf", try await browser.csrf())], extra: extra)
                    let ended = try #require(out.setCookie("relief_session"))
                    for (name, cookie) in [("pre-session", pre), ("session", session), ("cleared pre-session", cleared), ("ended session", ended)] {
                        let attributes = cookieAttributes(cookie)
                        #expect(attributes.contains("httponly"), "\(name): \(cookie)")
                        #expect(attributes.contains("samesite=lax"), "\(name): \(cookie)")
                        #expect(attributes.contains("path=/"), "\(name): \(cookie)")
                        #expect(attributes.contains("secure") == tls, "\(name) over \(tls ? "TLS" : "plain HTTP"): \(cookie)")
                    }
                    #expect(cookieAttributes(pre).contains("max-age=3600"))
                    #expect(cookieAttributes(session).contains("max-age=\(12 * 3600)"))
                    #expect(cookieAttributes(cleared).contains("max-age=0") && cookieAttributes(ended).contains("max-age=0"))
                }
            }
            await fixture.close()
        }
    }
}

// MARK: - CSRF

/// A form the pages post, and what a valid post of it changes.
struct FormRoute: Sendable {
    var role: Role
    var uri: String
    var fields: [(String, String)]
    var upload: (fileName: String, csv: String)? = nil
    /// The state key a valid post changes.
    var changes: String
    var okStatus: HTTPResponse.Status = .seeOther
}

extension SecurityTests {
    @Suite("security: CSRF")
    struct CSRFTests {
        /// Every state-changing form POST of the router (not /api) refuses a missing token, a wrong
        /// token and another session's token with 403 and changes nothing; with its own token it works.
        @Test func everyFormPostRefusesAMissingWrongOrForeignToken() async throws {
            let fixture = try await WebFixture.make("seccsrf")
            let preparer = try #require(fixture.users[.financePreparer])
            let approver = try #require(fixture.users[.financeApprover]).actorName
            // June: prepared, for the approver; August: approved, for the preparer to pay; July: purchases to prepare.
            let june = try await fixture.preparedBatch(month: 6, preparer: preparer)
            let august = try await fixture.preparedBatch(month: 8, preparer: preparer)
            try await fixture.admin.run { c in try Subsidies.approve(c, batchID: august, actorName: approver) }
            try await fixture.purchase(month: 7, actor: preparer.actorName)
            let closed = try await fixture.admin.run { c in try c.query("SELECT max(period) FROM relief.period_closes").single().decodeOptional(Int.self, at: 0) }
            let toClose = closed.flatMap { Period(yyyymm: $0)?.next } ?? Period(year: 2020, month: 1)!
            let supplier = fixture.data.suppliers.rows[0].cells[0]
            let product = fixture.data.products.rows[0].cells[0]
            var suppliers = fixture.data.suppliers
            suppliers.rows = [suppliers.rows[0]]

            // The form routes, by router path; the test below fails when a new one is not listed here.
            let routes: [String: FormRoute] = [
                "/login": FormRoute(role: .admin, uri: "/login", fields: [], changes: "sessions"),
                "/logout": FormRoute(role: .auditor, uri: "/logout", fields: [], changes: "sessions"),
                "/purchases": FormRoute(
                    role: .enterpriseClerk, uri: "/purchases",
                    fields: [
                        ("purchase_key", "WEB-CSRF0000000001"), ("supplier", supplier), ("product", product), ("date", "2020-06-20"), ("channel", "直采"),
                        ("purpose", "食堂"), ("invoice_number", "31415927"), ("invoice_date", "2020-06-20"), ("seller_tax_id", ""), ("quantity", "10"),
                        ("unit", "斤"), ("unit_price", "380"), ("amount", "3800.00"),
                    ], changes: "purchases"),
                "/batches": FormRoute(role: .financePreparer, uri: "/batches", fields: [("period", "2020-07")], changes: "batches"),
                "/batches/{id}/approve": FormRoute(role: .financeApprover, uri: "/batches/\(june)/approve", fields: [], changes: "approved"),
                "/batches/{id}/pay": FormRoute(role: .financePreparer, uri: "/batches/\(august)/pay", fields: [("date", "2020-08-31")], changes: "paid"),
                "/periods/close": FormRoute(role: .financeApprover, uri: "/periods/close", fields: [("period", toClose.description)], changes: "closes"),
                "/program/rules": FormRoute(
                    role: .financePreparer, uri: "/program/rules",
                    fields: [("version", "77"), ("rate_bp", "800"), ("member_cap", "300"), ("enterprise_cap", "20000"), ("channels", "832平台"), ("effective_from", "2021-01-01")],
                    changes: "rules"),
                "/imports": FormRoute(
                    role: .financePreparer, uri: "/imports", fields: [("kind", "suppliers")], upload: ("suppliers.csv", WebFixture.csv(suppliers)), changes: "audit",
                    okStatus: .ok),
                "/purchases/upload": FormRoute(
                    role: .enterpriseClerk, uri: "/purchases/upload", fields: [("kind", "purchases")],
                    upload: ("p.csv", WebFixture.csv(fixture.purchaseTable(key: "CSRF-UP-1", invoice: "88100001", date: "2020-06-21"))), changes: "purchases",
                    okStatus: .ok),
            ]
            let router = WebApp.makeRouter(database: fixture.database, configuration: WebConfiguration())
            let formPaths = Set(router.routes.filter { $0.method == .post && !$0.path.description.hasPrefix("/api/") }.map(\.path.description))
            #expect(formPaths == Set(routes.keys), "form routes of the router: \(formPaths.sorted())")

            for path in formPaths.sorted() {
                guard let route = routes[path] else { continue }
                try await fixture.test { client in
                    // The victim's cookie, its own token, and a token that is right for another session (or pre-session).
                    let cookie: String
                    let own: String
                    let foreign: String
                    var fields = route.fields
                    if path == "/login" {
                        let form = try await client.execute(uri: "/login", method: .get)
                        let other = try await client.execute(uri: "/login", method: .get)
                        cookie = "relief_login=\(form.cookies["relief_login"] ?? "")"
                        own = try #require(csrfToken(in: form.text))
                        foreign = try #require(csrfToken(in: other.text))
                        fields += [("login", WebFixture.login(route.role)), ("password", WebFixture.passwords[route.role]!)]
                    } else {
                        let victim = try await fixture.signIn(client, route.role)
                        let other = try await fixture.signIn(client, route.role)  // the same user, another session
                        cookie = try #require(victim.cookie)
                        own = try await victim.csrf()
                        foreign = try await other.csrf()
                    }
                    #expect(own != foreign)
                    func send(_ token: String?) async throws -> TestResponse {
                        let all = fields + (token.map { [("csrf", $0)] } ?? [])
                        if let upload = route.upload {
                            return try await multipartPost(client, route.uri, cookie: cookie, all, fileName: upload.fileName, csv: upload.csv)
                        }
                        return try await formPost(client, route.uri, cookie: cookie, all)
                    }
                    let before = try await fixture.state()
                    for (label, token) in [("no token", nil), ("a wrong token", String(repeating: "0", count: 64)), ("another session's token", foreign)] as [(String, String?)] {
                        let response = try await send(token)
                        #expect(response.status == .forbidden, "\(path) with \(label): \(response.status)")
                        #expect(response.text.contains(path == "/login" ? "页面已过期" : "表单已失效"), "\(path) with \(label): \(response.text.prefix(300))")
                        #expect(response.cookies["relief_session"] == nil, "\(path) with \(label) set a session")
                        #expect(try await fixture.state() == before, "\(path) with \(label) changed something")
                    }
                    // With its own token the same post goes through (so the refusals above were the token's).
                    let valid = try await send(own)
                    #expect(valid.status == route.okStatus, "\(path) with its token: \(valid.status) \(valid.text.prefix(300))")
                    let after = try await fixture.state()
                    #expect(after[route.changes] != before[route.changes], "\(path) with its token changed no \(route.changes)")
                }
            }
            await fixture.close()
        }

        /// The login form's token is an HMAC of its pre-session cookie: it works with that cookie only.
        @Test func theLoginFormsTokenIsBoundToItsPreSession() async throws {
            let fixture = try await WebFixture.make("secloginform")
            let before = try await fixture.state()
            try await fixture.test { client in
                let a = try await client.execute(uri: "/login", method: .get)
                let b = try await client.execute(uri: "/login", method: .get)
                let (preA, preB) = (try #require(a.cookies["relief_login"]), try #require(b.cookies["relief_login"]))
                let (tokenA, tokenB) = (try #require(csrfToken(in: a.text)), try #require(csrfToken(in: b.text)))
                #expect(preA != preB && tokenA != tokenB)
                let credentials = [("login", WebFixture.login(.admin)), ("password", WebFixture.passwords[.admin]!)]
                let forged: [(String, String?, String?)] = [
                    ("A's token with B's cookie", "relief_login=\(preB)", tokenA),
                    ("A's token without a cookie", nil, tokenA),
                    ("A's token with a session cookie only", "relief_session=\(preA)", tokenA),
                    ("A's cookie without a token", "relief_login=\(preA)", nil),
                    ("A's cookie with a malformed value", "relief_login=\(preA)x", tokenA),
                    ("A's cookie with its token in upper case", "relief_login=\(preA)", tokenA.uppercased()),
                ]
                for (label, cookie, token) in forged {
                    let response = try await formPost(client, "/login", cookie: cookie, credentials + (token.map { [("csrf", $0)] } ?? []))
                    #expect(response.status == .forbidden, "\(label): \(response.status)")
                    #expect(response.cookies["relief_session"] == nil, "\(label)")
                }
                // Nothing was tried: no login attempt, no session, no audit entry.
                #expect(try await fixture.state() == before)
                let good = try await formPost(client, "/login", cookie: "relief_login=\(preB)", credentials + [("csrf", tokenB)])
                #expect(good.status == .seeOther && good.cookies["relief_session"] != nil)
            }
            await fixture.close()
        }

        /// The API authenticates by bearer token only: a session cookie alone (what a cross-site
        /// request would carry) authorises no API call.
        @Test func aSessionCookieAloneAuthorisesNoAPICall() async throws {
            let fixture = try await WebFixture.make("secapicookie")
            let before = try await fixture.state()
            try await fixture.test { client in
                let admin = try await fixture.signIn(client, .admin)
                let clerk = try await fixture.signIn(client, .enterpriseClerk)
                var fields = headers(json: true, key: "COOKIE-1", cookie: admin.cookie)
                let user = try await client.execute(
                    uri: "/api/v1/users", method: .post, headers: fields,
                    body: ByteBuffer(string: #"{"login": "cookie-user", "display_name": "x", "role": "admin", "password": "a long password 9"}"#))
                #expect(user.status == .unauthorized)
                fields = headers(json: true, key: "COOKIE-2", cookie: clerk.cookie)
                let purchase = try await client.execute(uri: "/api/v1/purchases", method: .post, headers: fields, body: try jsonBuffer(fixture.purchaseBody(invoice: "75100001")))
                #expect(purchase.status == .unauthorized)
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(cookie: admin.cookie)).status == .unauthorized)
            }
            let after = try await fixture.state()
            #expect(after["users"] == before["users"] && after["purchases"] == before["purchases"])
            await fixture.close()
        }
    }
}

// MARK: - XSS

/// Payloads an attacker puts into names and free text.
enum Hostile {
    static let script = "<script>alert(1)</script>"
    static let attribute = "\"><img src=x onerror=alert(1)>"
    static let single = "'><svg onload=alert(1)>"
    static let mustache = "{{title}}{{{csrf}}}{{#user}}"
    static let url = "javascript:alert(1)"

    /// `tag` and every payload (about 110 characters).
    static func full(_ tag: String) -> String { tag + script + attribute + single + mustache + url }
    /// `tag` and the two main payloads (58 characters with a 4-letter tag): for fields of at most 64 or 100.
    static func short(_ tag: String) -> String { tag + script + attribute }

    /// What Mustache writes for `text` (`& < > " '` escaped).
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The escaped start of a field's value (`tag<script>…</script>`): present even where the
    /// value is embedded in JSON (the audit log's detail), where its quotes are backslashed.
    static func escapedStart(_ tag: String) -> String { escaped(tag + script) }

    /// Live markup an attacker hopes for, none of which may ever appear in a page.
    static let liveMarkup = ["<script>alert", "<img src=x", "<svg onload", "onerror=alert(1)>"]

    /// Problems of a page: live markup, or a `javascript:` URL in an attribute.
    static func problems(_ html: String) -> [String] {
        var found = liveMarkup.filter { html.contains($0) }
        let attributes = html.lowercased().replacingOccurrences(of: " ", with: "")
        for name in ["href=\"javascript:", "src=\"javascript:", "action=\"javascript:", "href='javascript:", "href=javascript:"] where attributes.contains(name) {
            found.append(name)
        }
        return found
    }
}

extension SecurityTests {
    @Suite("security: XSS")
    struct XSSTests {
        /// Master data, user input and logged values carrying payloads, then every page that renders
        /// them, for every role: never live markup, and each field shown escaped where it belongs.
        @Test func hostileDataIsEscapedOnEveryPage() async throws {
            let fixture = try await WebFixture.make("secxss")
            let body = fixture.purchaseBody(date: "2020-05-28", invoice: "75000001")
            let supplierCode = try #require(body["supplier"] as? String)
            let productCode = try #require((body["lines"] as? [[String: Any]])?.first?["product"] as? String)
            let purchaseJSON = try jsonBuffer(body)
            let (ent, uni, prd, prg, cty, ntc, twn, org) = (
                Hostile.full("ENT-"), Hostile.full("UNI-"), Hostile.full("PRD-"), Hostile.full("PRG-"), Hostile.full("CTY-"), Hostile.full("NTC-"),
                Hostile.full("TWN-"), Hostile.full("ORG-"))
            let (sup, dsc, rsn, usr) = (Hostile.full("SUP-"), Hostile.full("DSC-"), Hostile.full("RSN-"), Hostile.short("USR-") + Hostile.single)  // a display name holds at most 100 characters
            let (key, lgn, adr) = (Hostile.short("KEY-"), Hostile.short("lgn-"), Hostile.short("ADR-"))
            let fil = "FIL-\"><img src=x onerror=alert(1)>'{{title}}.csv"  // no slash: a file name keeps its last component
            let fil2 = "FL2-<svg onload=alert(1)>.csv"
            // Master data a spreadsheet or an operator put in.
            try await fixture.admin.run { [clerk = fixture.clerkEnterprise] c in
                _ = try c.query("UPDATE relief.enterprises SET name = $1, union_name = $2 WHERE credit_code = $3", [ent, uni, clerk])
                _ = try c.query("UPDATE relief.products SET name = $1 WHERE code = $2", [prd, productCode])
                _ = try c.query("UPDATE relief.programs SET name = $1, paired_county = $2, notice_number = $3, townships = townships || $4::text", [prg, cty, ntc, twn])
                _ = try c.query("UPDATE relief.organisations SET name = $1 WHERE kind = 'county_union'", [org])
            }
            var suppliers = fixture.data.suppliers
            let supplierRow = try #require(suppliers.rows.firstIndex { $0.cells[0] == supplierCode })
            suppliers.rows = [suppliers.rows[supplierRow]]
            suppliers.rows[0].cells[1] = sup
            let supplierFile = WebFixture.csv(suppliers)
            let hostileUser = "xss-user"

            let pages = try await fixture.test { client -> [(String, String, TestResponse)] in
                var pages: [(String, String, TestResponse)] = []
                // The supplier name through the import page, as finance uploads it.
                let preparer = try await fixture.signIn(client, .financePreparer)
                let upload = try await multipartPost(
                    client, "/imports", cookie: preparer.cookie, [("csrf", try await preparer.csrf()), ("kind", "suppliers")], fileName: fil2, csv: supplierFile)
                #expect(upload.status == .ok, "\(upload.text.prefix(300))")
                pages.append(("supplier import", "FL2", upload))
                // The same file through the API, with a hostile file name.
                var csvHeaders = headers(fixture.tokens[.admin], key: "XSS-IMP")
                csvHeaders[.contentType] = "text/csv"
                let apiImport = try await client.execute(
                    uri: "/api/v1/imports/suppliers?file_name=\(urlEncoded(fil))", method: .post, headers: csvHeaders, body: ByteBuffer(string: supplierFile))
                #expect(apiImport.status == .created, "\(apiImport.text)")
                // A purchase whose 采购单号 (its Idempotency-Key) is hostile.
                let purchase = try await client.execute(
                    uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: key), body: purchaseJSON)
                #expect(purchase.status == .created, "\(purchase.text)")
                // A manual entry with a hostile description, and its red reversal with a hostile reason.
                let entry = try await client.execute(
                    uri: "/api/v1/entries", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "XSS-E1"),
                    body: try jsonBuffer([["idempotency_key": "xss-1", "date": "2020-07-06", "description": dsc,
                                           "postings": [["account": "102", "side": "借", "amount": "1.00"], ["account": "403", "side": "贷", "amount": "1.00"]]]]))
                #expect(entry.status == .created, "\(entry.text)")
                let seq = try #require(((entry.json["entries"] as? [[String: Any]])?.first?["seq"] as? Int))
                let reversal = try await client.execute(
                    uri: "/api/v1/entries/\(seq)/reverse", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "XSS-R1"),
                    body: try jsonBuffer(["reason": rsn, "date": "2020-07-07"]))
                #expect(reversal.status == .created, "\(reversal.text)")
                // A user with a hostile display name.
                let user = try await client.execute(
                    uri: "/api/v1/users", method: .post, headers: headers(fixture.tokens[.admin], json: true, key: "XSS-U1"),
                    body: try jsonBuffer(["login": hostileUser, "display_name": usr, "role": "auditor", "password": "xss user password 1"]))
                #expect(user.status == .created, "\(user.text)")
                // A failed sign-in with a hostile login name: the audit log records what was typed.
                let (_, failed) = try await Browser.signIn(client, login: lgn, password: "wrong password")
                #expect(failed.status == .unauthorized)

                // Every page of the router, for every role (and the hostile user), with the report keys and ids filled in.
                let router = WebApp.makeRouter(database: fixture.database, configuration: WebConfiguration())
                var uris: [String] = []
                for route in router.routes where route.method == .get {
                    let path = route.path.description
                    if path.hasPrefix("/api/") || path == "/metrics" || path.hasPrefix("/exports/") || path.hasSuffix("/payment-file") || path.hasPrefix("/assets/") { continue }
                    if path == "/reports/{key}" {
                        for report in ReportCatalog.all {
                            uris.append("/reports/\(report.key)?period=2020-05&account=102&enterprise=\(fixture.clerkEnterprise)")
                            uris.append("/reports/\(report.key)?period=2020-07&account=102&enterprise=\(fixture.clerkEnterprise)")
                        }
                    } else if path == "/journal" {
                        uris += ["/journal?period=2020-07", "/journal?period=2020-05&limit=500"]
                    } else {
                        uris.append(path)
                    }
                }
                var browsers: [(String, Browser)] = []
                for role in Role.allCases { browsers.append((role.rawValue, try await fixture.signIn(client, role))) }
                let (hostile, signedIn) = try await Browser.signIn(client, login: hostileUser, password: "xss user password 1")
                #expect(signedIn.status == .seeOther)
                browsers.append((hostileUser, hostile))
                for (name, browser) in browsers {
                    for uri in uris { pages.append((name, uri, try await browser.get(uri))) }
                }
                // The audit log after everything (the purchase, the imports, the entries, the failed sign-in).
                let auditor = try #require(browsers.first { $0.0 == Role.auditor.rawValue }?.1)
                pages.append((Role.auditor.rawValue, "/audit-log#final", try await auditor.get("/audit-log")))
                return pages
            }
            // A sign-in from behind a trusted proxy that passes a hostile client address.
            try await fixture.test(configuration: WebConfiguration(trustForwardedFor: true, formKey: Array(repeating: 7, count: 32))) { client in
                var proxied = headers(json: true)
                proxied[HTTPField.Name("X-Forwarded-For")!] = adr
                let response = try await client.execute(
                    uri: "/api/v1/login", method: .post, headers: proxied, body: try jsonBuffer(["login": "nobody", "password": "wrong password"]))
                #expect(response.status == .unauthorized)
            }
            let audit = try await fixture.test { client in
                let auditor = try await fixture.signIn(client, .auditor)
                return try await auditor.get("/audit-log")
            }

            var htmlPages = 0
            for (who, uri, response) in pages + [("auditor", "/audit-log#proxy", audit)] {
                guard response.headers[.contentType]?.hasPrefix("text/html") == true else { continue }
                htmlPages += 1
                #expect(Hostile.problems(response.text).isEmpty, "\(uri) as \(who): \(Hostile.problems(response.text)) in \(response.text.prefix(200))")
            }
            #expect(htmlPages > 100)

            // Each field, escaped, where it belongs: proof that the pages above really rendered them.
            func page(_ who: String, _ uri: String) -> String {
                pages.first { $0.0 == who && $0.1 == uri }?.2.text ?? ""
            }
            let clerk = Role.enterpriseClerk.rawValue, finance = Role.financePreparer.rawValue, auditor = Role.auditor.rawValue
            let expectations: [(String, String, [String])] = [
                (clerk, "/", [Hostile.escaped(ent), Hostile.escaped(sup), Hostile.escaped(prd), Hostile.escaped(key)]),
                (clerk, "/purchases/new", [Hostile.escaped(ent), Hostile.escaped(sup), Hostile.escaped(prd)]),
                (finance, "/", [Hostile.escaped(ent)]),
                (finance, "/program", [Hostile.escaped(prg), Hostile.escaped(cty), Hostile.escaped(ntc), Hostile.escaped(twn)]),
                (auditor, "/reports/monthly?period=2020-05&account=102&enterprise=\(fixture.clerkEnterprise)", [Hostile.escaped(ent), Hostile.escaped(cty)]),
                (auditor, "/reports/statement?period=2020-05&account=102&enterprise=\(fixture.clerkEnterprise)", [Hostile.escaped(ent), Hostile.escaped(uni)]),
                (auditor, "/reports/supervision?period=2020-05&account=102&enterprise=\(fixture.clerkEnterprise)", [Hostile.escaped(org)]),
                (auditor, "/journal?period=2020-07", [Hostile.escaped(dsc)]),
                (auditor, "/audit-log#final", [Hostile.escaped(lgn), Hostile.escaped(key), Hostile.escaped(fil), Hostile.escapedStart("RSN-")]),
                (hostileUser, "/", [Hostile.escaped(usr)]),
                ("supplier import", "FL2", [Hostile.escaped(fil2)]),
            ]
            for (who, uri, fields) in expectations {
                let html = page(who, uri)
                #expect(!html.isEmpty, "no page \(uri) for \(who)")
                for field in fields {
                    #expect(html.contains(field), "\(uri) as \(who) does not show \(field.prefix(30))… escaped")
                }
            }
            #expect(audit.text.contains(Hostile.escaped(adr)), "the audit log does not show the proxied address escaped")
            await fixture.close()
        }
    }
}

extension SecurityTests.XSSTests {
    /// What a request carries and a page shows back (the login name, the purchase form's fields,
    /// notices from the query, error messages naming a path or a kind, an import's problems).
    @Test func reflectedInputIsEscaped() async throws {
        let fixture = try await WebFixture.make("secreflect")
        let payload = Hostile.full("REF-")
        let short = Hostile.short("ref-")
        let supplier = fixture.data.suppliers.rows[0].cells[0]
        let product = fixture.data.products.rows[0].cells[0]
        var badSuppliers = fixture.data.suppliers
        badSuppliers.rows = [badSuppliers.rows[0]]
        badSuppliers.rows[0].cells[0] = Hostile.short("COD-")  // not a credit code: a problem naming the cell
        badSuppliers.rows[0].cells[4] = Hostile.short("BOL-")  // not a yes/no
        let badFile = WebFixture.csv(badSuppliers)
        let responses = try await fixture.test { client -> [(String, TestResponse, [String])] in
            var responses: [(String, TestResponse, [String])] = []
            let (_, login) = try await Browser.signIn(client, login: short, password: "wrong password")
            responses.append(("login form", login, [Hostile.escaped(short)]))
            let clerk = try await fixture.signIn(client, .enterpriseClerk)
            let form = try await formPost(client, "/purchases", cookie: clerk.cookie, [
                ("csrf", try await clerk.csrf()), ("purchase_key", "WEB-REFLECT000001"), ("supplier", supplier), ("product", product), ("date", "2020-06-20"),
                ("channel", "直采"), ("purpose", "食堂"), ("invoice_number", payload), ("invoice_date", "2020-06-20"), ("seller_tax_id", ""),
                ("quantity", "10"), ("unit", payload), ("unit_price", "380"), ("amount", "3800.00"),
            ])
            responses.append(("purchase form", form, [Hostile.escaped(String(payload.prefix(200)))]))
            let preparer = try await fixture.signIn(client, .financePreparer)
            responses.append(("periods notice", try await preparer.get("/periods?closed=\(urlEncoded(payload))"), [Hostile.escaped(payload)]))
            responses.append(("program notice", try await preparer.get("/program?rule=\(urlEncoded(payload))"), [Hostile.escaped(payload)]))
            responses.append(("unknown report", try await preparer.get("/reports/\(urlEncoded(Hostile.script))"), []))
            responses.append(("bad period", try await preparer.get("/reports/monthly?period=\(urlEncoded(payload))"), []))
            let csrf = try await preparer.csrf()
            let kind = try await multipartPost(client, "/imports", cookie: preparer.cookie, [("csrf", csrf), ("kind", Hostile.short("KND-"))], fileName: "x.csv", csv: badFile)
            responses.append(("unknown import kind", kind, [Hostile.escaped(String(Hostile.short("KND-").prefix(40)))]))
            let problems = try await multipartPost(client, "/imports", cookie: preparer.cookie, [("csrf", csrf), ("kind", "suppliers")], fileName: "bad.csv", csv: badFile)
            responses.append(("import problems", problems, [Hostile.escapedStart("COD-")]))
            return responses
        }
        for (name, response, expected) in responses {
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(name): \(response.headers[.contentType] ?? "")")
            #expect((400..<500).contains(response.status.code) || response.status == .ok, "\(name): \(response.status)")
            #expect(Hostile.problems(response.text).isEmpty, "\(name): \(Hostile.problems(response.text))")
            for text in expected { #expect(response.text.contains(text), "\(name) does not show its input escaped: \(response.text.prefix(600))") }
        }
        await fixture.close()
    }

    /// JSON answers say `application/json` (errors included), downloads are attachments: a browser
    /// never renders either as a page.
    @Test func jsonIsDeclaredAndDownloadsAreAttachments() async throws {
        let fixture = try await WebFixture.make("sectypes")
        let router = WebApp.makeRouter(database: fixture.database, configuration: WebConfiguration())
        let clerk = fixture.clerkEnterprise
        var apiGets: [String] = []
        for route in router.routes where route.method == .get && route.path.description.hasPrefix("/api/v1/") {
            switch route.path.description {
            case "/api/v1/reports/{key}": apiGets += ReportCatalog.all.map { "/api/v1/reports/\($0.key)?period=2020-05&account=102&enterprise=\(clerk)" }
            case "/api/v1/subsidy/batches/{id}/payment-file", "/api/v1/exports/journal", "/api/v1/exports/audit-pack": continue  // downloads, below
            case let path: apiGets.append(path + "?period=2020-05")
            }
        }
        let readable = apiGets
        let downloads = [
            "/api/v1/subsidy/batches/1/payment-file", "/api/v1/exports/journal?format=csv", "/api/v1/exports/journal?format=xlsx",
            "/api/v1/exports/journal?format=json", "/api/v1/exports/journal?format=hledger", "/api/v1/exports/journal?format=beancount",
            "/api/v1/exports/journal?format=csv&encoding=gb18030", "/api/v1/exports/audit-pack?period=2020-05",
            "/api/v1/reports/monthly?period=2020-05&format=csv", "/api/v1/reports/trial-balance?period=2020-05&format=xlsx",
            "/api/v1/reports/ledger?period=2020-05&account=102&format=csv", "/api/v1/reports/statement?period=2020-05&enterprise=\(clerk)&format=xlsx",
        ]
        try await fixture.test { client in
            for uri in readable {
                for token in [fixture.tokens[.admin], fixture.tokens[.auditor], nil] {
                    let response = try await client.execute(uri: uri, method: .get, headers: headers(token))
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(uri): \(response.status) \(response.headers[.contentType] ?? "none")")
                    #expect(response.headers[.contentDisposition] == nil, "\(uri)")
                }
            }
            for (uri, method, contentType) in [("/api/v1/nowhere", HTTPRequest.Method.get, nil), ("/api/v1/purchases", .post, "text/html"), ("/api/v1/login", .post, "application/json")] as [(String, HTTPRequest.Method, String?)] {
                var fields = headers(fixture.tokens[.admin], key: "TYPE-1")
                if let contentType { fields[.contentType] = contentType }
                let response = try await client.execute(uri: uri, method: method, headers: fields, body: ByteBuffer(string: "<html>"))
                #expect((400..<500).contains(response.status.code), "\(uri)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(uri): \(response.headers[.contentType] ?? "none")")
            }
            let auditor = try await fixture.signIn(client, .auditor)
            let pageDownloads = [
                "/batches/1/payment-file", "/exports/journal?format=csv", "/exports/journal?format=xlsx", "/exports/audit-pack?period=2020-05",
                "/reports/monthly?period=2020-05&format=csv", "/reports/monthly?period=2020-05&format=xlsx", "/reports/ledger?period=2020-05&account=102&format=csv",
            ]
            for uri in downloads + pageDownloads {
                let response = uri.hasPrefix("/api/") ? try await client.execute(uri: uri, method: .get, headers: headers(fixture.tokens[.auditor])) : try await auditor.get(uri)
                #expect(response.status == .ok, "\(uri): \(response.status)")
                let disposition = response.headers[.contentDisposition] ?? ""
                #expect(disposition.range(of: #"^attachment; filename="[A-Za-z0-9_-][A-Za-z0-9._-]*"$"#, options: .regularExpression) != nil, "\(uri): \(disposition)")
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == false, "\(uri)")
            }
        }
        await fixture.close()
    }
}

// MARK: - SQL injection

enum Injection {
    static let payloads = [
        "' OR 1=1 --", "1' OR '1'='1", "'; DROP TABLE relief.entries; --", "$1", "\\'; SELECT pg_sleep(5); --", "1) OR (1=1", "102' --", "2020-05' OR '1'='1",
    ]
}

extension SecurityTests {
    @Suite("security: SQL injection")
    struct SQLInjectionTests {
        /// Payloads in every filter, report parameter and path parameter: a 400/404 naming the
        /// parameter, never a 500, never more rows.
        @Test func injectionInQueryAndPathParametersIsRefusedAsBadInput() async throws {
            let fixture = try await WebFixture.make("secsqlquery")
            let before = try await fixture.state()
            try await fixture.test { client in
                let auditor = fixture.tokens[.auditor]!
                for payload in Injection.payloads {
                    let value = urlEncoded(payload)
                    var cases: [(String, String?, HTTPResponse.Status, String?)] = []  // uri, token role key, status, field
                    for name in ["period", "account", "enterprise", "supplier", "voucher", "after", "limit"] {
                        cases.append(("/api/v1/journal?\(name)=\(value)", auditor, .badRequest, name))
                    }
                    cases += [
                        ("/api/v1/reports/trial-balance?period=\(value)", auditor, .badRequest, "period"),
                        ("/api/v1/reports/ledger?period=2020-05&account=\(value)", auditor, .badRequest, "account"),
                        ("/api/v1/reports/statement?period=2020-05&enterprise=\(value)", auditor, .badRequest, "enterprise"),
                        ("/api/v1/purchases?period=\(value)", auditor, .badRequest, "period"),
                        ("/api/v1/purchases?limit=\(value)", auditor, .badRequest, "limit"),
                        ("/api/v1/purchases?ineligible=\(value)", auditor, .badRequest, "ineligible"),
                        ("/api/v1/progress?period=\(value)", auditor, .badRequest, "period"),
                        ("/api/v1/exports/audit-pack?period=\(value)", auditor, .badRequest, "period"),
                        ("/api/v1/exports/journal?format=\(value)", auditor, .badRequest, "format"),
                        ("/api/v1/reports/\(value)?period=2020-05", auditor, .notFound, "key"),
                        ("/api/v1/subsidy/batches/\(value)/payment-file", auditor, .notFound, nil),
                    ]
                    for (uri, token, status, field) in cases {
                        let response = try await client.execute(uri: uri, method: .get, headers: headers(token))
                        #expect(response.status == status, "\(uri): \(response.status) \(response.text.prefix(200))")
                        if let field { #expect(response.errorField == field, "\(uri): \(response.text.prefix(200))") }
                    }
                    let writes: [(String, Role, HTTPResponse.Status)] = [
                        ("/api/v1/subsidy/batches/\(value)/approve", .financeApprover, .notFound),
                        ("/api/v1/periods/\(value)/close", .financeApprover, .badRequest),
                        ("/api/v1/entries/\(value)/reverse", .financePreparer, .notFound),
                        ("/api/v1/users/\(value)/disable", .admin, .notFound),
                        ("/api/v1/imports/\(value)", .admin, .notFound),
                    ]
                    for (uri, role, status) in writes {
                        let response = try await client.execute(
                            uri: uri, method: .post, headers: headers(fixture.tokens[role], json: true, key: "SQLI-\(UUID().uuidString)"),
                            body: ByteBuffer(string: #"{"reason": "x", "date": "2020-07-07"}"#))
                        #expect(response.status == status, "\(uri): \(response.status) \(response.text.prefix(200))")
                    }
                    // The page's journal browser: the same 400.
                }
                // A well-formed filter that matches nothing is an empty answer, not an error.
                let none = try await client.execute(uri: "/api/v1/journal?enterprise=ORX1EQ1&limit=5", method: .get, headers: headers(auditor))
                #expect(none.status == .ok && none.json["count"] as? Int == 0)
            }
            #expect(try await fixture.state() == before)
            #expect(try await fixture.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'relief' AND tablename IN ('entries', 'postings', 'users')") == 3)
            await fixture.close()
        }

        /// Payloads in JSON bodies and login fields: stored as the text they are, or refused as bad
        /// input; the books and the users intact.
        @Test func injectionInBodiesAndLoginFieldsIsStoredAsTextOrRefused() async throws {
            let fixture = try await WebFixture.make("secsqlbody")
            let before = try await fixture.state()
            let payloads = Injection.payloads
            try await fixture.test { client in
                let admin = fixture.tokens[.admin]!
                for (index, payload) in payloads.prefix(6).enumerated() {
                    // Login fields, API and page: wrong credentials, nothing else.
                    let api = try await client.execute(
                        uri: "/api/v1/login", method: .post, headers: headers(json: true), body: try jsonBuffer(["login": payload, "password": payload]))
                    #expect(api.status == .unauthorized && api.errorCode == "INVALID_CREDENTIALS", "API login \(payload): \(api.status) \(api.text)")
                    let (_, page) = try await Browser.signIn(client, login: payload, password: payload)
                    #expect(page.status == .unauthorized, "page login \(payload): \(page.status)")
                    #expect(page.cookies["relief_session"] == nil)
                    // A display name is text: stored as typed.
                    let user = try await client.execute(
                        uri: "/api/v1/users", method: .post, headers: headers(admin, json: true, key: "SQLI-U\(index)"),
                        body: try jsonBuffer(["login": "sqli-\(index)", "display_name": payload, "role": "auditor", "password": "a long password \(index)"]))
                    #expect(user.status == .created, "display name \(payload): \(user.status) \(user.text)")
                    // A login is not: refused as bad input (422), not by a failing statement (500).
                    let badLogin = try await client.execute(
                        uri: "/api/v1/users", method: .post, headers: headers(admin, json: true, key: "SQLI-L\(index)"),
                        body: try jsonBuffer(["login": payload, "display_name": "x", "role": "auditor", "password": "a long password x"]))
                    #expect(badLogin.status == .unprocessableContent && badLogin.errorCode == "VALIDATION_FAILED", "login \(payload): \(badLogin.status) \(badLogin.text)")
                    let token = try await client.execute(
                        uri: "/api/v1/tokens", method: .post, headers: headers(admin, json: true, key: "SQLI-T\(index)"), body: try jsonBuffer(["login": payload, "days": 1]))
                    #expect(token.status == .notFound, "token for \(payload): \(token.status)")
                    // Purchase and clawback fields: refused with the field named.
                    var purchase = fixture.purchaseBody(invoice: "7600000\(index)")
                    purchase["supplier"] = payload
                    let recorded = try await client.execute(
                        uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "SQLI-P\(index)"),
                        body: try jsonBuffer(purchase))
                    #expect(recorded.status == .unprocessableContent, "purchase supplier \(payload): \(recorded.status) \(recorded.text)")
                    let clawback = try await client.execute(
                        uri: "/api/v1/subsidy/clawbacks", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "SQLI-C\(index)"),
                        body: try jsonBuffer(["enterprise": payload, "amount": "1.00", "reason": payload, "date": "2020-07-08"]))
                    #expect(clawback.status == .unprocessableContent && clawback.errorField == "enterprise", "clawback \(payload): \(clawback.status)")
                }
                // A red reversal's reason is text too.
                let reversal = try await client.execute(
                    uri: "/api/v1/entries/2/reverse", method: .post, headers: headers(fixture.tokens[.financePreparer], json: true, key: "SQLI-R"),
                    body: try jsonBuffer(["reason": payloads[2], "date": "2020-07-07"]))
                #expect(reversal.status == .created, "\(reversal.text)")
            }
            let stored = try await fixture.admin.run { c in
                try c.query("SELECT display_name FROM relief.users WHERE login LIKE 'sqli-%' ORDER BY login").rows.map { try $0.decode(String.self, at: 0) }
            }
            #expect(stored == Array(payloads.prefix(6)))
            let reason = try await fixture.admin.run { c in
                try c.query("SELECT detail->>'reason' FROM relief.audit_log WHERE action = 'entries.reverse'").single().decode(String.self, at: 0)
            }
            #expect(reason == payloads[2])
            let after = try await fixture.state()
            #expect(after["users"] == before["users"]! + 6)
            #expect(after["entries"] == before["entries"]! + 1)
            #expect(after["purchases"] == before["purchases"] && after["suppliers"] == before["suppliers"] && after["batches"] == before["batches"])
            let verified = try await fixture.admin.run { c in try Verifier.verify(c, bookCode: "main") }
            #expect(verified.isSound, "\(verified.problems)")
            await fixture.close()
        }
    }
}

// MARK: - Path traversal in downloads

extension SecurityTests {
    @Suite("security: path traversal in downloads")
    struct PathTraversalTests {
        static let payloads = [
            "../../../../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%252e%252e%252fetc%252fpasswd", "/etc/passwd",
            "%2Fetc%2Fpasswd", "..%5c..%5c..%5cetc%5cpasswd", "1%00.csv", "csv%00..%2f..%2fetc%2fpasswd", "....%2f%2f....%2f%2fetc%2fpasswd",
        ]

        /// Every download route with traversal payloads in each of its ids, names and parameters:
        /// 400/404, no file content, no Content-Disposition; the files it does serve have plain names.
        @Test func traversalInDownloadParametersIsRefusedAndLeaksNothing() async throws {
            let fixture = try await WebFixture.make("sectraversal")
            let passwd = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)) ?? "root:x:0:0"
            let secretLine = passwd.split(separator: "\n").first.map(String.init) ?? "root:x:0:0"
            try await fixture.test { client in
                let auditor = try await fixture.signIn(client, .auditor)
                func get(_ uri: String) async throws -> TestResponse {
                    uri.hasPrefix("/api/") ? try await client.execute(uri: uri, method: .get, headers: headers(fixture.tokens[.auditor])) : try await auditor.get(uri)
                }
                for payload in Self.payloads {
                    var uris: [String] = []
                    for prefix in ["/api/v1", ""] {
                        let batches = prefix.isEmpty ? "/batches" : "/api/v1/subsidy/batches"
                        uris += [
                            "\(prefix)/exports/journal?format=\(payload)", "\(prefix)/exports/journal?format=csv&encoding=\(payload)",
                            "\(prefix)/exports/audit-pack?period=\(payload)", "\(batches)/\(payload)/payment-file",
                            "\(prefix)/reports/\(payload)?period=2020-05&format=csv", "\(prefix)/reports/monthly?period=\(payload)&format=csv",
                            "\(prefix)/reports/monthly?period=2020-05&format=\(payload)", "\(prefix)/reports/ledger?period=2020-05&account=\(payload)&format=csv",
                            "\(prefix)/reports/statement?period=2020-05&enterprise=\(payload)&format=xlsx",
                        ]
                    }
                    uris += ["/assets/\(payload)", "/assets/app.css/\(payload)", "/\(payload)"]
                    for uri in uris {
                        let response = try await get(uri)
                        #expect([.badRequest, .notFound].contains(response.status), "\(uri): \(response.status) \(response.text.prefix(200))")
                        #expect(response.headers[.contentDisposition] == nil, "\(uri): \(response.headers[.contentDisposition] ?? "")")
                        #expect(!response.text.contains(secretLine) && !response.text.contains("root:x:0:0"), "\(uri) leaked a file")
                    }
                }
                // Raw dot segments in the path, as a client that does not normalise them sends.
                for uri in ["/assets/../../../../etc/passwd", "/exports/../../../etc/passwd", "/../../../etc/passwd", "/reports/../../../../etc/passwd"] {
                    let response = try await get(uri)
                    #expect(response.status == .notFound || response.status == .badRequest || response.status == .forbidden, "\(uri): \(response.status)")
                    #expect(!response.text.contains(secretLine), "\(uri) leaked a file")
                }
                // An uploaded file's name loses its folders before it is shown or logged.
                var csv = headers(fixture.tokens[.admin], key: "TRAV-1")
                csv[.contentType] = "text/csv"
                var suppliers = fixture.data.suppliers
                suppliers.rows = [suppliers.rows[0]]
                for (index, name) in ["../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow"].enumerated() {
                    csv[.idempotencyKey] = "TRAV-\(index)"
                    let imported = try await client.execute(
                        uri: "/api/v1/imports/suppliers?file_name=\(urlEncoded(name))", method: .post, headers: csv, body: ByteBuffer(string: WebFixture.csv(suppliers)))
                    #expect(imported.status == .created, "\(imported.text)")
                    let shown = imported.json["file_name"] as? String ?? ""
                    #expect(!shown.contains("/") && !shown.contains("\\") && !shown.contains(".."), "\(name) → \(shown)")
                }
            }
            await fixture.close()
        }

        /// The header's file name: plain characters only, whatever it is built from.
        @Test func downloadNamesAreSanitised() {
            for plain in ["journal-main.csv", "audit-pack-main-2020-05.zip", "payment-batch-12.csv", "statement-91440300MA5ABCDE1X-2020-05.xlsx"] {
                #expect(Downloads.fileName(plain) == plain)
            }
            let hostile = [
                "../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "a\"; filename*=UTF-8''evil.html", "x\r\nSet-Cookie: relief_session=1", "name\0.csv",
                "....//x", ".hidden", "报表.csv", "", String(repeating: "a", count: 300),
            ]
            for name in hostile {
                let safe = Downloads.fileName(name)
                #expect(safe.range(of: #"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$"#, options: .regularExpression) != nil, "\(name.debugDescription) → \(safe)")
                #expect(!safe.contains(".."), "\(name.debugDescription) → \(safe)")
                let header = Downloads.attachment(name)
                #expect(header.filter { $0 == "\"" }.count == 2 && !header.contains("\r") && !header.contains("\n") && !header.contains("/"), "\(header.debugDescription)")
            }
        }

        /// The streamer deletes what it sends, so it sends only the app's own temporary downloads:
        /// a path outside (a decoy here) is refused and left in place.
        @Test func theFileStreamerServesOnlyItsOwnTemporaryFiles() throws {
            let folder = Downloads.temporaryFolder + "/relief-sec-decoy-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let decoy = folder + "/relief-secret.csv"
            #expect(FileManager.default.createFile(atPath: decoy, contents: Data("TOP SECRET".utf8)))
            let outside = [
                decoy,  // relief-… but not directly in the temporary folder
                Downloads.temporaryFolder + "/relief-export-x/../" + (folder as NSString).lastPathComponent + "/relief-secret.csv",
                Downloads.temporaryFolder + "/./relief-sec-decoy/../relief-secret.csv",
                Downloads.temporaryFolder + "/relief-export-x.csv\0/../../etc/passwd",
                Downloads.temporaryFolder + "/secret.csv",
                "relief-export-x.csv",
            ]
            for path in outside {
                #expect(throws: APIError.self, "\(path.debugDescription)") {
                    _ = try WebServer.fileResponse(path: path, contentType: "text/plain", downloadName: "x.csv")
                }
            }
            #expect(FileManager.default.fileExists(atPath: decoy))
            let own = Downloads.temporaryPath(kind: "export", fileExtension: "csv")
            #expect(FileManager.default.createFile(atPath: own, contents: Data("a,b\n".utf8)))
            defer { try? FileManager.default.removeItem(atPath: own) }
            let response = try WebServer.fileResponse(path: own, contentType: "text/csv", downloadName: "journal-main.csv")
            #expect(response.headers[.contentDisposition] == #"attachment; filename="journal-main.csv""#)
        }
    }
}

// MARK: - Login throttling

extension SecurityTests {
    @Suite("security: login throttling")
    struct ThrottlingTests {
        /// Five failures lock a login for the window, even with the right password, on the page and
        /// the API; the lock is in the audit log with the address; another login is not locked and
        /// its successes reset nothing; the lock ends with the window.
        @Test func fiveFailuresLockALoginEvenWithTheRightPassword() async throws {
            let fixture = try await WebFixture.make("secthrottle")
            let clerk = WebFixture.login(.enterpriseClerk)
            let password = WebFixture.passwords[.enterpriseClerk]!
            // Behind a proxy that names the client, so that the lock's address can be checked.
            let proxy = WebConfiguration(trustForwardedFor: true, formKey: Array(repeating: 7, count: 32))
            var from = HTTPFields()
            from[HTTPField.Name("X-Forwarded-For")!] = "192.0.2.44"
            let address = from
            try await fixture.test(configuration: proxy) { client in
                func signIn(_ login: String, _ password: String) async throws -> TestResponse {
                    try await Browser.signIn(client, login: login, password: password, extra: address).1
                }
                // A success of the same login between failures does not reset its count (the design:
                // failures within the window count, successes do not forgive them).
                for _ in 0..<(Access.maximumFailedLogins - 1) {
                    #expect(try await signIn(clerk, "wrong password").status == .unauthorized)
                }
                #expect(try await signIn(clerk, password).status == .seeOther)
                #expect(try await signIn(clerk, "wrong password").status == .unauthorized)
                // Locked: the right password no longer signs in, on the page or through the API.
                let locked = try await signIn(clerk, password)
                #expect(locked.status == .tooManyRequests && locked.cookies["relief_session"] == nil)
                #expect(locked.text.contains("登录失败次数过多"))
                var apiHeaders = headers(json: true)
                apiHeaders[HTTPField.Name("X-Forwarded-For")!] = "192.0.2.44"
                let api = try await client.execute(uri: "/api/v1/login", method: .post, headers: apiHeaders, body: try jsonBuffer(["login": clerk, "password": password]))
                #expect(api.status == .tooManyRequests && api.errorCode == "LOGIN_THROTTLED" && api.headers[.retryAfter] == "900")
                #expect(api.json["token"] == nil)
                // Another login signs in; its success does not unlock the clerk.
                #expect(try await signIn(WebFixture.login(.admin), WebFixture.passwords[.admin]!).status == .seeOther)
                #expect(try await signIn(clerk, password).status == .tooManyRequests)
            }
            // The lock is logged, with the address it came from.
            let locks = try await fixture.admin.run { c in
                try c.query("SELECT remote FROM relief.audit_log WHERE action = 'login.throttled' AND actor = $1", ["anonymous:" + clerk]).rows.map { try $0.decode(String.self, at: 0) }
            }
            #expect(locks == ["192.0.2.44", "192.0.2.44", "192.0.2.44"], "\(locks)")
            // After the window the login works again.
            try await fixture.admin.run { c in _ = try c.query("UPDATE relief.login_attempts SET at = at - interval '16 minutes' WHERE login = $1", [clerk]) }
            try await fixture.test { client in
                let (_, after) = try await Browser.signIn(client, login: clerk, password: password)
                #expect(after.status == .seeOther)
            }
            await fixture.close()
        }

        /// Parallel guesses cannot outrun the count: of a burst of wrong passwords at once, no more
        /// than the limit get their password checked; the rest are throttled.
        @Test func aBurstOfParallelGuessesGetsNoMoreThanTheAllowedChecks() async throws {
            let fixture = try await WebFixture.make("secburst")
            let login = WebFixture.login(.financePreparer)
            let statuses = try await fixture.test { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<16 {
                        group.addTask {
                            try await client.execute(
                                uri: "/api/v1/login", method: .post, headers: headers(json: true),
                                body: try jsonBuffer(["login": login, "password": "guess \(index)"])
                            ).status.code
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
            }
            #expect(statuses.filter { $0 == 401 }.count <= Access.maximumFailedLogins, "\(statuses.sorted())")
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses.sorted())")
            let checked = try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'login.failed' AND actor = 'anonymous:\(login)'")
            #expect(checked <= Access.maximumFailedLogins)
            await fixture.close()
        }

        /// One address guessing one password for many logins (password spraying) is throttled as an
        /// address; another address is not.
        @Test func oneAddressGuessingManyLoginsIsThrottled() async throws {
            let fixture = try await WebFixture.make("secspray")
            let configuration = WebConfiguration(trustForwardedFor: true, formKey: Array(repeating: 7, count: 32))
            try await fixture.test(configuration: configuration) { client in
                func login(_ name: String, _ password: String, from address: String) async throws -> TestResponse {
                    var fields = headers(json: true)
                    fields[HTTPField.Name("X-Forwarded-For")!] = address
                    return try await client.execute(uri: "/api/v1/login", method: .post, headers: fields, body: try jsonBuffer(["login": name, "password": password]))
                }
                // The client writes a new address of its own before the proxy's each time: it is not the one counted.
                for index in 0..<Access.maximumFailedLoginsPerAddress {
                    let response = try await login("user-\(index)", "Spring2020!", from: "10.0.\(index).1, 203.0.113.7")
                    #expect(response.status == .unauthorized, "guess \(index): \(response.status)")
                }
                let locked = try await login(WebFixture.login(.financePreparer), WebFixture.passwords[.financePreparer]!, from: "203.0.113.7")
                #expect(locked.status == .tooManyRequests && locked.errorCode == "LOGIN_THROTTLED")
                // Another client (claiming to be the locked one does not matter) signs in.
                let elsewhere = try await login(WebFixture.login(.financePreparer), WebFixture.passwords[.financePreparer]!, from: "203.0.113.7, 198.51.100.2")
                #expect(elsewhere.status == .ok)
            }
            #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action = 'login.throttled' AND remote = '203.0.113.7'") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE remote LIKE '10.%'") == 0)
            await fixture.close()
        }

        /// Failures are counted by address only when it is the client's own: behind a proxy on this
        /// host that is not trusted for X-Forwarded-For, every client has the proxy's loopback
        /// address, and counting it would let anyone lock everyone out.
        @Test func onlyAClientsOwnAddressIsThrottledAsAnAddress() {
            for loopback in ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"] {
                #expect(!WebServer.isClientAddress(loopback, trustForwardedFor: false), "\(loopback)")
                #expect(WebServer.isClientAddress(loopback, trustForwardedFor: true), "\(loopback) from a trusted proxy")
            }
            for client in ["203.0.113.7", "2001:db8::1", "10.1.2.3"] {
                #expect(WebServer.isClientAddress(client, trustForwardedFor: false), "\(client)")
            }
            #expect(!WebServer.isClientAddress("", trustForwardedFor: true))
        }
    }
}

// MARK: - Security headers

extension SecurityTests {
    @Suite("security: headers")
    struct SecurityHeaderTests {
        /// CSP (default-src 'self', frame-ancestors 'none', no inline script), nosniff, DENY framing
        /// and same-origin referrers on pages, API answers, errors of every kind, redirects, the
        /// stylesheet and every download, streamed ones included.
        @Test func securityHeadersOnPagesAPIErrorsRedirectsAssetsAndDownloads() async throws {
            let fixture = try await WebFixture.make("secheaders")
            let responses = try await fixture.test { client -> [(String, TestResponse)] in
                var responses: [(String, TestResponse)] = []
                func add(_ name: String, _ response: TestResponse) { responses.append((name, response)) }
                let auditor = try await fixture.signIn(client, .auditor)
                let clerk = try await fixture.signIn(client, .enterpriseClerk)
                add("page", try await auditor.get("/journal?period=2020-05"))
                add("login page", try await client.execute(uri: "/login", method: .get))
                add("redirect to sign in", try await client.execute(uri: "/", method: .get))
                let form = try await client.execute(uri: "/login", method: .get)
                add("redirect after sign-in", try await formPost(
                    client, "/login", cookie: "relief_login=\(form.cookies["relief_login"] ?? "")",
                    [("login", WebFixture.login(.admin)), ("password", WebFixture.passwords[.admin]!), ("csrf", csrfToken(in: form.text) ?? "")]))
                add("failed sign-in", try await formPost(client, "/login", cookie: nil, [("login", "x"), ("password", "y")]))
                add("stylesheet", try await client.execute(uri: "/assets/app.css", method: .get))
                add("page 404", try await client.execute(uri: "/nowhere", method: .get))
                add("page 403", try await clerk.get("/journal"))
                add("page 400", try await auditor.get("/reports/monthly?period=2020-13"))
                add("page CSRF 403", try await formPost(client, "/logout", cookie: auditor.cookie, [("csrf", "0")]))
                add("API 200", try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.admin])))
                add("API 401", try await client.execute(uri: "/api/v1/me", method: .get))
                add("API 403", try await client.execute(uri: "/api/v1/journal", method: .get, headers: headers(fixture.tokens[.enterpriseClerk])))
                add("API 404", try await client.execute(uri: "/api/v1/nowhere", method: .get, headers: headers(fixture.tokens[.admin])))
                add("API 400", try await client.execute(uri: "/api/v1/progress?period=x", method: .get, headers: headers(fixture.tokens[.admin])))
                add("API 415", try await client.execute(uri: "/api/v1/login", method: .post, headers: [:], body: ByteBuffer(string: "x")))
                add("API 413", try await client.execute(
                    uri: "/api/v1/login", method: .post, headers: headers(json: true), body: ByteBuffer(string: String(repeating: " ", count: WebContext.bodyLimit + 1))))
                add("API wrong method (404)", try await client.execute(uri: "/api/v1/me", method: .delete, headers: headers(fixture.tokens[.admin])))
                add("OpenAPI", try await client.execute(uri: "/api/openapi.json", method: .get))
                add("metrics", try await client.execute(uri: "/metrics", method: .get))
                add("report CSV", try await client.execute(uri: "/api/v1/reports/monthly?period=2020-05&format=csv", method: .get, headers: headers(fixture.tokens[.auditor])))
                add("report XLSX page", try await auditor.get("/reports/monthly?period=2020-05&format=xlsx"))
                add("payment file", try await auditor.get("/batches/1/payment-file"))
                add("journal export (streamed)", try await auditor.get("/exports/journal?format=csv"))
                add("audit pack (streamed)", try await client.execute(uri: "/api/v1/exports/audit-pack?period=2020-05", method: .get, headers: headers(fixture.tokens[.auditor])))
                return responses
            }
            for (name, response) in responses {
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "\(name) (\(response.status)): CSP \(csp)")
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(name): \(csp)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(name) (\(response.status))")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(name) (\(response.status))")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "\(name) (\(response.status))")
            }
            // The list holds every kind it claims to: errors of each class, a redirect, downloads.
            let statuses = Set(responses.map(\.1.status.code))
            #expect(statuses.isSuperset(of: [200, 303, 400, 401, 403, 404, 413, 415]), "\(statuses.sorted())")
            #expect(responses.filter { $0.1.headers[.contentDisposition] != nil }.count >= 5)
            await fixture.close()
        }
    }
}

// MARK: - Tokens and sessions that outlive their user

extension SecurityTests {
    @Suite("security: credentials end with their user")
    struct CredentialTests {
        /// An admin disables a user through the API: its token and its session stop at once, and
        /// stay dead even if the user is enabled again.
        @Test func aDisabledUsersTokensAndSessionsStopAtOnceAndForGood() async throws {
            let fixture = try await WebFixture.make("secdisable")
            let token = fixture.tokens[.auditor]!
            let login = WebFixture.login(.auditor)
            try await fixture.test { client in
                let auditor = try await fixture.signIn(client, .auditor)
                #expect(try await client.execute(uri: "/api/v1/verify", method: .get, headers: headers(token)).status == .ok)
                #expect(try await auditor.get("/verify").status == .ok)
                let csrf = try await auditor.csrf()
                let disabled = try await client.execute(
                    uri: "/api/v1/users/\(login)/disable", method: .post, headers: headers(fixture.tokens[.admin], json: true, key: "DIS-1"), body: ByteBuffer(string: "{}"))
                #expect(disabled.status == .ok)
                #expect(try await client.execute(uri: "/api/v1/verify", method: .get, headers: headers(token)).status == .unauthorized)
                let page = try await auditor.get("/verify")
                #expect(page.status == .seeOther && page.headers[.location] == "/login")
                let post = try await formPost(client, "/logout", cookie: auditor.cookie, [("csrf", csrf)])
                #expect(post.status == .seeOther && post.headers[.location] == "/login")
                let (_, again) = try await Browser.signIn(client, login: login, password: WebFixture.passwords[.auditor]!)
                #expect(again.status == .unauthorized)
                // Enabled again (by hand, in psql): the old token and the old session are still dead.
                try await fixture.admin.run { c in _ = try c.query("UPDATE relief.users SET disabled_at = NULL WHERE login = $1", [login]) }
                #expect(try await client.execute(uri: "/api/v1/verify", method: .get, headers: headers(token)).status == .unauthorized)
                #expect(try await auditor.get("/verify").status == .seeOther)
                // The user signs in afresh.
                let (_, fresh) = try await Browser.signIn(client, login: login, password: WebFixture.passwords[.auditor]!)
                #expect(fresh.status == .seeOther)
            }
            await fixture.close()
        }

        /// PostgreSQL on its own: a user disabled, or its role changed, by an UPDATE that bypasses the
        /// app loses its tokens and sessions; no token or session can be issued to a disabled user.
        @Test func postgresEndsTheCredentialsOfAUserChangedBehindTheAppsBack() async throws {
            let fixture = try await WebFixture.make("sectrigger")
            let (auditor, preparer) = (try #require(fixture.users[.auditor]), try #require(fixture.users[.financePreparer]))
            try await fixture.test { client in
                let session = try await fixture.signIn(client, .auditor)
                let preparerSession = try await fixture.signIn(client, .financePreparer)
                try await fixture.admin.run { c in
                    _ = try c.query("UPDATE relief.users SET disabled_at = now() WHERE id = $1", [auditor.id])
                    _ = try c.query("UPDATE relief.users SET role = 'auditor' WHERE id = $1", [preparer.id])
                }
                for user in [auditor, preparer] {
                    #expect(try await fixture.count("SELECT count(*) FROM relief.api_tokens WHERE user_id = \(user.id) AND revoked_at IS NULL") == 0, "\(user.login)")
                    #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE user_id = \(user.id)") == 0, "\(user.login)")
                }
                try await fixture.admin.run { c in _ = try c.query("UPDATE relief.users SET disabled_at = NULL WHERE id = $1", [auditor.id]) }
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.auditor])).status == .unauthorized)
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.financePreparer])).status == .unauthorized)
                #expect(try await session.get("/verify").status == .seeOther)
                #expect(try await preparerSession.get("/").status == .seeOther)
            }
            // Nothing new for a disabled user, even written straight into the tables.
            try await fixture.admin.run { c in _ = try c.query("UPDATE relief.users SET disabled_at = now() WHERE id = $1", [auditor.id]) }
            let token = await #expect(throws: PostgresError.self) {
                try await fixture.admin.run { c in
                    _ = try c.query(
                        "INSERT INTO relief.api_tokens (user_id, name, token_hash, expires_at) VALUES ($1, 'x', repeat('a', 64), now() + interval '1 day')", [auditor.id])
                }
            }
            #expect(token?.sqlState == "RL070")
            let session = await #expect(throws: PostgresError.self) {
                try await fixture.admin.run { c in
                    _ = try c.query(
                        "INSERT INTO relief.sessions (id_hash, user_id, csrf_token, expires_at) VALUES (repeat('b', 64), $1, repeat('c', 64), now() + interval '1 hour')",
                        [auditor.id])
                }
            }
            #expect(session?.sqlState == "RL070")
            await #expect(throws: AccessError.self) {
                _ = try await fixture.admin.run { c in try Access.createToken(c, login: auditor.login, name: "x", days: 1) }
            }
            await fixture.close()
        }

        /// Swift on its own (PostgreSQL's trigger off): disabling a user revokes its tokens and ends
        /// its sessions.
        @Test func swiftEndsTheCredentialsOfADisabledUserWithoutTheTrigger() async throws {
            let fixture = try await WebFixture.make("secswiftdisable")
            let auditor = try #require(fixture.users[.auditor])
            try await fixture.test { client in _ = try await fixture.signIn(client, .auditor) }
            #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE user_id = \(auditor.id)") == 1)
            try await fixture.behindTheTriggersBack { c in try Access.disable(c, login: auditor.login) }
            #expect(try await fixture.count("SELECT count(*) FROM relief.api_tokens WHERE user_id = \(auditor.id) AND revoked_at IS NULL") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM relief.sessions WHERE user_id = \(auditor.id)") == 0)
            await fixture.close()
        }

        /// The lookups on their own (no trigger, no revocation): a token or session of a user who is
        /// disabled, has another role now, or is gone is refused or gets the new role at once.
        @Test func lookupsRefuseADisabledChangedOrDeletedUserWhateverItsRowsSay() async throws {
            let fixture = try await WebFixture.make("seclookups")
            let (auditor, admin, approver) = (fixture.users[.auditor]!, fixture.users[.admin]!, fixture.users[.financeApprover]!)
            try await fixture.test { client in
                let auditorSession = try await fixture.signIn(client, .auditor)
                let approverSession = try await fixture.signIn(client, .financeApprover)
                try await fixture.behindTheTriggersBack { c in
                    _ = try c.query("UPDATE relief.users SET disabled_at = now() WHERE id = $1", [auditor.id])
                    _ = try c.query("UPDATE relief.users SET role = 'auditor' WHERE id = $1", [admin.id])
                    _ = try c.query("DELETE FROM relief.users WHERE id = $1", [approver.id])
                }
                // The rows are all still there: only the lookups stand in the way.
                #expect(try await fixture.count("SELECT count(*) FROM relief.api_tokens WHERE revoked_at IS NULL AND user_id IN (\(auditor.id), \(admin.id), \(approver.id))") == 3)
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.auditor])).status == .unauthorized)
                #expect(try await auditorSession.get("/verify").status == .seeOther)
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.financeApprover])).status == .unauthorized)
                #expect(try await approverSession.get("/").status == .seeOther)
                let demoted = try await client.execute(
                    uri: "/api/v1/users", method: .post, headers: headers(fixture.tokens[.admin], json: true, key: "DEMOTED-1"),
                    body: ByteBuffer(string: #"{"login": "made-by-demoted", "display_name": "x", "role": "admin", "password": "a long password 7"}"#))
                #expect(demoted.status == .forbidden)
                let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.admin]))
                #expect(me.json["role"] as? String == "auditor")
            }
            #expect(try await fixture.count("SELECT count(*) FROM relief.users WHERE login = 'made-by-demoted'") == 0)
            await fixture.close()
        }

        /// A token past its expiry, or revoked, is refused.
        @Test func expiredAndRevokedTokensAreRefused() async throws {
            let fixture = try await WebFixture.make("secexpiry")
            let login = WebFixture.login(.enterpriseClerk)
            let (expiring, revoked) = try await fixture.admin.run { c in
                (try Access.createToken(c, login: login, name: "expiring", days: 1), try Access.createToken(c, login: login, name: "revoked", days: 1))
            }
            try await fixture.test { client in
                for token in [expiring, revoked] {
                    #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token)).status == .ok)
                }
                try await fixture.admin.run { c in
                    _ = try c.query("UPDATE relief.api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256Hex(expiring)])
                    _ = try c.query("UPDATE relief.api_tokens SET revoked_at = now() WHERE token_hash = $1", [sha256Hex(revoked)])
                }
                for token in [expiring, revoked] {
                    let response = try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token))
                    #expect(response.status == .unauthorized && response.errorCode == "UNAUTHENTICATED")
                }
                // The clerk's other token is unaffected.
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(fixture.tokens[.enterpriseClerk])).status == .ok)
            }
            await fixture.close()
        }
    }
}
