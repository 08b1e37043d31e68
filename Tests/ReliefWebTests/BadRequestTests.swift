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

/// The request half of the bad-input corpus (docs/BAD-INPUT.md): malformed requests to every POST
/// endpoint of the API, each answered 4xx with the JSON error naming the field, and the database
/// (every table's rows, the chain head) unchanged afterwards.
@Suite("bad-input corpus: API requests")
struct BadRequestTests {
    /// One malformed request and what the answer must say.
    struct Case: Sendable {
        var name: String
        var uri: String
        var role: Role?
        var contentType: String? = "application/json"
        /// The Idempotency-Key; nil sends none.
        var key: String? = "generated"
        var body: [UInt8]
        /// The exact status, when it matters; otherwise any 4xx.
        var status: HTTPResponse.Status? = nil
        var code: String? = nil
        /// The field the error must name; nil when the request has no field at fault.
        var field: String?
    }

    /// A POST endpoint, who may call it, and a body it accepts.
    struct Endpoint: Sendable {
        var uri: String
        var role: Role
        var body: String
        /// Whether a JSON array is a valid body shape (entries).
        var acceptsArray = false
    }

    static func endpoints(_ fixture: WebFixture) -> [Endpoint] {
        [
            Endpoint(uri: "/api/v1/subsidy/batches", role: .financePreparer, body: #"{"period": "2020-07"}"#),
            Endpoint(uri: "/api/v1/subsidy/batches/1/pay", role: .financePreparer, body: #"{"date": "2020-06-30"}"#),
            Endpoint(uri: "/api/v1/subsidy/batches/1/approve", role: .financeApprover, body: "{}"),
            Endpoint(uri: "/api/v1/subsidy/rules", role: .financePreparer, body: Self.rule()),
            Endpoint(uri: "/api/v1/periods/2020-01/close", role: .financeApprover, body: "{}"),
            Endpoint(uri: "/api/v1/entries", role: .financePreparer, body: Self.entry(), acceptsArray: true),
            Endpoint(uri: "/api/v1/entries/2/reverse", role: .financePreparer, body: #"{"reason": "冲销", "date": "2020-07-07"}"#),
            Endpoint(uri: "/api/v1/subsidy/clawbacks", role: .financePreparer, body: Self.clawback(fixture)),
            Endpoint(uri: "/api/v1/users", role: .admin, body: #"{"login": "bad-new", "display_name": "新", "role": "auditor", "password": "a long password 9"}"#),
            Endpoint(uri: "/api/v1/users/\(WebFixture.login(.auditor))/disable", role: .admin, body: "{}"),
            Endpoint(uri: "/api/v1/tokens", role: .admin, body: #"{"login": "\#(WebFixture.login(.auditor))", "days": 7}"#),
            Endpoint(uri: "/api/v1/purchases", role: .enterpriseClerk, body: Self.json(fixture.purchaseBody(invoice: "66000001"))),
        ]
    }

    static func rule(_ replacing: [String: String] = [:]) -> String {
        var fields = [
            "version": "90", "rate_bp": "1000", "member_cap": #""500.00""#, "enterprise_cap": #""50000.00""#, "channels": #""832平台,直采""#,
            "effective_from": #""2021-01-01""#,
        ]
        fields.merge(replacing) { $1 }
        return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    }

    static func entry(date: String = #""2020-07-06""#, debit: String = #""1,000.00""#, credit: String = #""1,000.00""#, account: String = "102",
                      description: String = #""收到补助资金""#, extra: String = "") -> String {
        #"{"idempotency_key": "bad-entry", "date": \#(date), "description": \#(description)\#(extra), "postings": [{"account": "\#(account)", "side": "借", "amount": \#(debit)}, {"account": "403", "side": "贷", "amount": \#(credit)}]}"#
    }

    static func clawback(_ fixture: WebFixture, _ replacing: [String: String] = [:]) -> String {
        var fields = [
            "enterprise": "\"\(fixture.clerkEnterprise)\"", "amount": #""1.00""#, "reason": #""不合格采购""#, "date": #""2020-07-08""#,
        ]
        fields.merge(replacing) { $1 }
        return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    /// Every malformed request: the same mistakes on each endpoint, then each endpoint's own fields.
    static func cases(_ fixture: WebFixture) -> [Case] {
        var cases: [Case] = []
        let big = Array(#"{"padding": ""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: WebContext.bodyLimit) + Array(#""}"#.utf8)
        for endpoint in endpoints(fixture) {
            let body = Array(endpoint.body.utf8)
            func add(_ name: String, contentType: String? = "application/json", key: String? = "generated", _ bytes: [UInt8],
                     status: HTTPResponse.Status? = nil, code: String? = nil, field: String?) {
                cases.append(Case(name: "\(endpoint.uri) \(name)", uri: endpoint.uri, role: endpoint.role, contentType: contentType, key: key,
                                  body: bytes, status: status, code: code, field: field))
            }
            add("without Idempotency-Key", key: nil, body, status: .badRequest, code: "IDEMPOTENCY_KEY_REQUIRED", field: "Idempotency-Key")
            add("with a 101-character Idempotency-Key", key: String(repeating: "k", count: 101), body, status: .badRequest, code: "IDEMPOTENCY_KEY_INVALID", field: "Idempotency-Key")
            add("as text/plain", contentType: "text/plain", body, status: .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "Content-Type")
            add("without Content-Type", contentType: nil, body, status: .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "Content-Type")
            add("as multipart", contentType: "multipart/form-data; boundary=x", body, status: .unsupportedMediaType, field: "Content-Type")
            add("cut short", Array(body.prefix(body.count / 2)), status: .badRequest, code: "MALFORMED_JSON", field: "body")
            add("with invalid UTF-8", Array(#"{"x": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8), status: .badRequest, code: "MALFORMED_JSON", field: "body")
            add("as a bare string", Array(#""2020-07""#.utf8), status: .badRequest, code: "MALFORMED_JSON", field: "body")
            if endpoint.acceptsArray {
                add("as an array of numbers", Array("[1, 2]".utf8), status: .unprocessableContent, field: "[0]")
            } else {
                add("as an array", Array("[1, 2]".utf8), status: .badRequest, code: "MALFORMED_JSON", field: "body")
            }
            add("over 1 MiB", big, status: .contentTooLarge, code: "PAYLOAD_TOO_LARGE", field: nil)
        }
        func add(_ name: String, _ uri: String, _ role: Role?, _ body: String, status: HTTPResponse.Status? = nil, code: String? = nil, field: String?,
                 contentType: String = "application/json") {
            cases.append(Case(name: name, uri: uri, role: role, contentType: contentType, body: Array(body.utf8), status: status, code: code, field: field))
        }
        // Subsidy batches.
        let batches = "/api/v1/subsidy/batches"
        add("prepare: period a number", batches, .financePreparer, #"{"period": 202007}"#, status: .unprocessableContent, field: "period")
        add("prepare: no period", batches, .financePreparer, "{}", status: .unprocessableContent, field: "period")
        add("prepare: period null", batches, .financePreparer, #"{"period": null}"#, status: .unprocessableContent, field: "period")
        add("prepare: month 13", batches, .financePreparer, #"{"period": "2020-13"}"#, status: .unprocessableContent, field: "period")
        add("pay: 30 February", "/api/v1/subsidy/batches/1/pay", .financePreparer, #"{"date": "2020-02-30"}"#, status: .unprocessableContent, field: "date")
        add("pay: date a number", "/api/v1/subsidy/batches/1/pay", .financePreparer, #"{"date": 20200630}"#, status: .unprocessableContent, field: "date")
        add("pay: batch not a number", "/api/v1/subsidy/batches/abc/pay", .financePreparer, #"{"date": "2020-06-30"}"#, status: .notFound, field: "id")
        add("pay: unknown batch", "/api/v1/subsidy/batches/99999/pay", .financePreparer, #"{"date": "2020-06-30"}"#, status: .notFound, field: "id")
        add("approve: batch not a number", "/api/v1/subsidy/batches/abc/approve", .financeApprover, "{}", status: .notFound, field: "id")
        add("approve: unknown batch", "/api/v1/subsidy/batches/99999/approve", .financeApprover, "{}", status: .notFound, field: "id")
        // Rules.
        let rules = "/api/v1/subsidy/rules"
        for (name, change, field) in [
            ("version a string", ["version": #""90""#], "version"), ("version 1.5", ["version": "1.5"], "version"),
            ("version true", ["version": "true"], "version"), ("rate over 100%", ["rate_bp": "10001"], "rate_bp"),
            ("cap 12.345", ["member_cap": #""12.345""#], "member_cap"), ("cap 1e5", ["member_cap": #""1e5""#], "member_cap"),
            ("cap ￥abc", ["member_cap": #""￥abc""#], "member_cap"), ("cap negative", ["member_cap": #""-5.00""#], "member_cap"),
            ("cap a number", ["enterprise_cap": "50000"], "enterprise_cap"), ("no channels", ["channels": #""""#], "channels"),
            ("unknown channel", ["channels": #""网购""#], "channels"), ("30 February", ["effective_from": #""2021-02-30""#], "effective_from"),
        ] {
            add("rule: \(name)", rules, .financePreparer, rule(change), status: .unprocessableContent, field: field)
        }
        // Periods.
        add("close: month 13", "/api/v1/periods/2020-13/close", .financeApprover, "{}", status: .badRequest, code: "INVALID_PERIOD", field: "period")
        // Entries.
        let entries = "/api/v1/entries"
        for (name, body, field) in [
            ("unbalanced", entry(credit: #""999.99""#), "postings"), ("amount a number", entry(debit: "1000", credit: "1000"), "postings[0].amount"),
            ("amount 12.345", entry(debit: #""12.345""#, credit: #""12.345""#), "postings[0].amount"),
            ("amount 1e5", entry(debit: #""1e5""#, credit: #""1e5""#), "postings[0].amount"),
            ("amount ￥abc", entry(debit: #""￥abc""#), "postings[0].amount"), ("amount negative", entry(debit: #""-1.00""#), "postings[0].amount"),
            ("no date", entry(date: "null"), "date"), ("30 February", entry(date: #""2020-02-30""#), "date"),
            ("unknown field", entry(extra: #", "memo_typo": "x""#), "memo_typo"), ("NUL in the description", entry(description: #""a\u0000b""#), "description"),
            ("description a number", entry(description: "5"), "description"), ("unknown account", entry(account: "999"), "postings"),
            ("second of two unbalanced", "[" + entry() + "," + entry(credit: #""1.00""#).replacingOccurrences(of: "bad-entry", with: "bad-entry-2") + "]", "[1].postings"),
        ] {
            add("entries: \(name)", entries, .financePreparer, body, status: .unprocessableContent, field: field)
        }
        // Reversals.
        add("reverse: empty reason", "/api/v1/entries/2/reverse", .financePreparer, #"{"reason": "", "date": "2020-07-07"}"#, status: .unprocessableContent, field: "reason")
        add("reverse: reason a number", "/api/v1/entries/2/reverse", .financePreparer, #"{"reason": 5, "date": "2020-07-07"}"#, status: .unprocessableContent, field: "reason")
        add("reverse: reason too long", "/api/v1/entries/2/reverse", .financePreparer, #"{"reason": "\#(String(repeating: "长", count: 201))", "date": "2020-07-07"}"#,
            status: .unprocessableContent, field: "reason")
        add("reverse: American date", "/api/v1/entries/2/reverse", .financePreparer, #"{"reason": "x", "date": "07/07/2020"}"#, status: .unprocessableContent, field: "date")
        add("reverse: seq not a number", "/api/v1/entries/abc/reverse", .financePreparer, #"{"reason": "x", "date": "2020-07-07"}"#, status: .notFound, field: "seq")
        add("reverse: unknown seq", "/api/v1/entries/99999/reverse", .financePreparer, #"{"reason": "x", "date": "2020-07-07"}"#, status: .notFound, field: "seq")
        // Clawbacks.
        let clawbacks = "/api/v1/subsidy/clawbacks"
        for (name, change, field) in [
            ("enterprise with SQL", ["enterprise": #""1' OR '1'='1""#], "enterprise"), ("amount 1e5", ["amount": #""1e5""#], "amount"),
            ("amount negative", ["amount": #""-1.00""#], "amount"), ("amount 12.345", ["amount": #""12.345""#], "amount"),
            ("amount a number", ["amount": "100"], "amount"), ("no reason", ["reason": "null"], "reason"), ("empty reason", ["reason": #""""#], "reason"),
            ("bad date", ["date": #""2020-07-32""#], "date"), ("repaid a string", ["repaid": #""yes""#], "repaid"),
            ("unknown enterprise", ["enterprise": #""91421000099999999K""#], "enterprise"),
        ] {
            add("clawback: \(name)", clawbacks, .financePreparer, clawback(fixture, change), status: .unprocessableContent, field: field)
        }
        // Users and tokens.
        add("user: nothing", "/api/v1/users", .admin, "{}", status: .unprocessableContent, field: "login")
        add("user: login a number", "/api/v1/users", .admin, #"{"login": 5, "display_name": "x", "role": "auditor", "password": "a long password 9"}"#,
            status: .unprocessableContent, field: "login")
        add("user: unknown role", "/api/v1/users", .admin, #"{"login": "bad-role", "display_name": "x", "role": "boss", "password": "a long password 9"}"#,
            status: .unprocessableContent, field: "role")
        add("user: login with spaces", "/api/v1/users", .admin, #"{"login": "Bad Login!", "display_name": "x", "role": "auditor", "password": "a long password 9"}"#,
            status: .unprocessableContent, field: "login")
        add("user: short password", "/api/v1/users", .admin, #"{"login": "bad-pass", "display_name": "x", "role": "auditor", "password": "short"}"#,
            status: .unprocessableContent, field: "password")
        add("user: clerk without enterprise", "/api/v1/users", .admin, #"{"login": "bad-clerk", "display_name": "x", "role": "enterprise_clerk", "password": "a long password 9"}"#,
            status: .unprocessableContent, field: "enterprise")
        add("disable: unknown user", "/api/v1/users/nobody-here/disable", .admin, "{}", status: .notFound, field: "login")
        for (name, days, field) in [("0 days", "0", "days"), ("days a string", #""7""#, "days"), ("days true", "true", "days"), ("1.5 days", "1.5", "days")] {
            add("token: \(name)", "/api/v1/tokens", .admin, #"{"login": "\#(WebFixture.login(.auditor))", "days": \#(days)}"#, status: .unprocessableContent, field: field)
        }
        add("token: unknown login", "/api/v1/tokens", .admin, #"{"login": "nobody-here", "days": 7}"#, status: .notFound, field: "login")
        // Purchases.
        let purchases = "/api/v1/purchases"
        func purchase(_ change: (inout [String: Any]) -> Void) -> String {
            var body = fixture.purchaseBody(invoice: "66000002")
            change(&body)
            return json(body)
        }
        func line(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { body in
                var lines = body["lines"] as! [[String: Any]]
                lines[0][key] = value
                body["lines"] = lines
            }
        }
        for (name, body, field) in [
            ("nothing", "{}", "enterprise"), ("no lines", purchase { $0["lines"] = [] }, "lines"), ("lines not an array", purchase { $0["lines"] = "x" }, "lines"),
            ("amount 12.345", purchase(line("amount", "12.345")), "lines[0].amount"), ("amount 1e5", purchase(line("amount", "1e5")), "lines[0].amount"),
            ("quantity a number", purchase(line("quantity", 10)), "lines[0].quantity"), ("unknown product", purchase(line("product", "NOPE")), "lines[0].product"),
            ("30 February", purchase { $0["date"] = "2020-02-30" }, "date"),
            ("short invoice", purchase { $0["invoice_number"] = "123" }, "invoice_number"),
            ("bad check character", purchase { $0["supplier"] = "93422825010000000A"; $0["seller_tax_id"] = "93422825010000000A" }, "supplier"),
        ] {
            add("purchase: \(name)", purchases, .enterpriseClerk, body, status: .unprocessableContent, field: field)
        }
        add("purchase: another enterprise's", purchases, .enterpriseClerk, json(fixture.purchaseBody(enterprise: fixture.otherEnterprise, invoice: "66000003")),
            status: .forbidden, field: "enterprise")
        // Imports through the API (the body is the file).
        let enterprises = "/api/v1/imports/enterprises?file_name=e.csv"
        let header = "统一社会信用代码,企业名称,工会名称,年度,会员人数,年度采购目标（元）\n"
        add("import: as JSON", enterprises, .financePreparer, "{}", status: .unsupportedMediaType, field: "Content-Type")
        add("import: as multipart", enterprises, .financePreparer, "--x\r\n\r\n--x--", status: .unsupportedMediaType, field: "Content-Type",
            contentType: "multipart/form-data; boundary=x")
        add("import: empty file", enterprises, .financePreparer, "", status: .unprocessableContent, code: "FILE_UNREADABLE", field: nil, contentType: "text/csv")
        add("import: bad money on line 3", enterprises, .financePreparer,
            header + "\(fixture.clerkEnterprise),甲,甲工会,2020,10,100\n\(fixture.otherEnterprise),乙,乙工会,2020,10,12.345\n",
            status: .unprocessableContent, code: "IMPORT_FAILED", field: "年度采购目标（元）", contentType: "text/csv")
        add("import: NUL in a cell", enterprises, .financePreparer, header + "\(fixture.clerkEnterprise),甲\u{0}公司,甲工会,2020,10,100\n",
            status: .unprocessableContent, code: "FILE_UNREADABLE", field: "企业名称", contentType: "text/csv")
        add("import: unterminated quote", enterprises, .financePreparer, header + "\(fixture.clerkEnterprise),\"甲,甲工会,2020,10,100\n",
            status: .unprocessableContent, code: "FILE_UNREADABLE", field: nil, contentType: "text/csv")
        add("import: unknown kind", "/api/v1/imports/everything", .financePreparer, header, status: .notFound, field: "kind", contentType: "text/csv")
        cases.append(Case(
            name: "import: a ZIP that is no workbook", uri: "/api/v1/imports/products?file_name=p.xlsx", role: .financePreparer,
            contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body: [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 64),
            status: .unprocessableContent, code: "FILE_UNREADABLE", field: nil))
        cases.append(Case(
            name: "import: over 8 MiB", uri: enterprises, role: .financePreparer, contentType: "text/csv",
            body: Array(header.utf8) + Array(repeating: UInt8(ascii: "a"), count: 8 << 20), status: .contentTooLarge, code: "PAYLOAD_TOO_LARGE", field: nil))
        // Sign-in.
        add("login: login a number", "/api/v1/login", nil, #"{"login": 5, "password": "x"}"#, status: .unprocessableContent, field: "login")
        add("login: no password", "/api/v1/login", nil, #"{"login": "web-admin"}"#, status: .unprocessableContent, field: "password")
        add("login: cut short", "/api/v1/login", nil, #"{"login": "web-ad"#, status: .badRequest, code: "MALFORMED_JSON", field: "body")
        add("login: as a form", "/api/v1/login", nil, "login=web-admin&password=x", status: .unsupportedMediaType, field: "Content-Type",
            contentType: "application/x-www-form-urlencoded")
        return cases
    }

    @Test func everyMalformedRequestIsAnswered4xxNamingTheFieldAndChangesNothing() async throws {
        let fixture = try await WebFixture.make("badrequests")
        let cases = Self.cases(fixture)
        #expect(cases.count > 150)
        let before = try await DatabaseSnapshot.take(fixture.admin)
        #expect(before.rows("relief.entries") > 200)
        try await fixture.test { client in
            for (index, item) in cases.enumerated() {
                var fields = headers(item.role.flatMap { fixture.tokens[$0] }, key: item.key == "generated" ? "BAD-\(index)" : item.key)
                if let type = item.contentType { fields[.contentType] = type }
                let response = try await client.execute(uri: item.uri, method: .post, headers: fields, body: ByteBuffer(bytes: item.body))
                #expect((400..<500).contains(response.status.code), "\(item.name): \(response.status) \(response.text.prefix(300))")
                if let status = item.status { #expect(response.status == status, "\(item.name): \(response.status) \(response.text.prefix(300))") }
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(item.name): \(response.headers[.contentType] ?? "no type")")
                let error = response.json["error"] as? [String: Any]
                #expect((error?["code"] as? String)?.isEmpty == false, "\(item.name): \(response.text.prefix(300))")
                #expect((error?["message"] as? String)?.isEmpty == false, "\(item.name): \(response.text.prefix(300))")
                if let code = item.code { #expect(response.errorCode == code, "\(item.name): \(response.text.prefix(300))") }
                if let field = item.field { #expect(response.errorField == field, "\(item.name): field \(response.errorField ?? "null"), \(response.text.prefix(300))") }
            }
        }
        let after = try await DatabaseSnapshot.take(fixture.admin)
        #expect(after.differences(from: before) == [])
        await fixture.close()
    }

    @Test func aMalformedUploadOnTheImportPageIsRefusedAndChangesNothing() async throws {
        let fixture = try await WebFixture.make("badupload")
        try await fixture.test { client in
            let (maker, _) = try await Browser.signIn(client, login: WebFixture.login(.financePreparer), password: WebFixture.passwords[.financePreparer]!)
            let csrf = try #require(hiddenValue("csrf", in: try await maker.get("/imports").text))
            // Signing in wrote a session and the audit log: compare from here.
            let before = try await DatabaseSnapshot.take(fixture.admin)
            let boundary = "----relief-bad-boundary"
            let good = multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "enterprises")], file: ("file", "e.csv", Array("x".utf8)))
            let goodBytes = Array(good.readableBytesView)
            let cases: [(name: String, contentType: String, body: [UInt8])] = [
                ("no boundary", "multipart/form-data", goodBytes),
                ("another boundary", "multipart/form-data; boundary=other", goodBytes),
                ("cut short", "multipart/form-data; boundary=\(boundary)", Array(goodBytes.prefix(goodBytes.count / 2))),
                ("not multipart", "multipart/form-data; boundary=\(boundary)", Array("just text".utf8)),
                ("seventeen parts", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "enterprises")] + (0..<15).map { ("extra\($0)", "x") }, file: nil).readableBytesView)),
                ("no CSRF token", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("kind", "enterprises")], file: ("file", "e.csv", Array("x".utf8))).readableBytesView)),
                ("unknown kind", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "everything")], file: ("file", "e.csv", Array("x".utf8))).readableBytesView)),
                ("no file", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "enterprises")], file: nil).readableBytesView)),
                ("a damaged workbook", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "products")], file: ("file", "p.xlsx", [0x50, 0x4B, 0x03, 0x04, 1, 2, 3])).readableBytesView)),
                ("a file with a bad line", "multipart/form-data; boundary=\(boundary)",
                 Array(multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", "enterprises")],
                                     file: ("file", "e.csv", Array("统一社会信用代码,企业名称,工会名称,年度,会员人数,年度采购目标（元）\n\(fixture.clerkEnterprise),甲,甲工会,2020,abc,100\n".utf8))).readableBytesView)),
            ]
            for item in cases {
                var fields = headers(cookie: maker.session.map { "relief_session=\($0)" })
                fields[.contentType] = item.contentType
                let response = try await client.execute(uri: "/imports", method: .post, headers: fields, body: ByteBuffer(bytes: item.body))
                #expect((400..<500).contains(response.status.code), "\(item.name): \(response.status) \(response.text.prefix(300))")
            }
            let after = try await DatabaseSnapshot.take(fixture.admin)
            #expect(after.differences(from: before) == [])
        }
        await fixture.close()
    }
}
