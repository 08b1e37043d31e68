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
import ZIPFoundation

/// A `multipart/form-data` body with text fields and one file, as a browser sends an upload.
func multipartBody(boundary: String, fields: [(String, String)], file: (name: String, fileName: String, bytes: [UInt8])?) -> ByteBuffer {
    var bytes: [UInt8] = []
    for (name, value) in fields {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    if let file {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.fileName)\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        bytes += file.bytes + Array("\r\n".utf8)
    }
    bytes += Array("--\(boundary)--\r\n".utf8)
    return ByteBuffer(bytes: bytes)
}

extension Browser {
    /// Uploads `csv` through a page's multipart form.
    func upload(_ uri: String, csrf: String, kind: String, fileName: String, csv: String) async throws -> TestResponse {
        let boundary = "----relief-test-boundary"
        var fields = headers(cookie: session.map { "relief_session=\($0)" })
        fields[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return try await client.execute(
            uri: uri, method: .post, headers: fields,
            body: multipartBody(boundary: boundary, fields: [("csrf", csrf), ("kind", kind)], file: ("file", fileName, Array(csv.utf8))))
    }
}

/// Every API endpoint beyond the first slice, by every role; idempotent writes; imports with
/// per-line errors; the finance, report and audit pages.
@Suite("web operations: reports, imports, batches, periods, journal, exports")
struct OperationTests {
    static let readers: Set<Role> = [.admin, .financePreparer, .financeApprover, .auditor]

    @Test func everyOperationEndpointByEveryRole() async throws {
        let fixture = try await WebFixture.make("opsmatrix")
        let preparer = try #require(fixture.users[.financePreparer])
        // June: a batch prepared by the preparer, then approved, for the pay endpoint; July: purchases to prepare.
        let june = try await fixture.preparedBatch(month: 6, preparer: preparer)
        let approver = try #require(fixture.users[.financeApprover]).actorName
        try await fixture.admin.run { c in try Subsidies.approve(c, batchID: june, actorName: approver) }
        try await fixture.purchase(month: 7, actor: preparer.actorName)
        let closedThrough = try await fixture.admin.run { c in
            try c.query("SELECT max(period) FROM relief.period_closes").single().decodeOptional(Int.self, at: 0)
        }
        let toClose = closedThrough.flatMap { Period(yyyymm: $0)?.next } ?? Period(year: 2020, month: 1)!
        let enterprisesCSV = WebFixture.csv(fixture.data.enterprises)
        struct Endpoint: Sendable {
            var name: String
            var method: HTTPRequest.Method
            var uri: String
            var allowed: Set<Role>
            var contentType: String? = nil
            var body: String? = nil
        }
        var endpoints: [Endpoint] = [
            Endpoint(name: "report list", method: .get, uri: "/api/v1/reports", allowed: Set(Role.allCases)),
            Endpoint(name: "journal", method: .get, uri: "/api/v1/journal?period=2020-05&limit=5", allowed: Self.readers),
            Endpoint(name: "journal export", method: .get, uri: "/api/v1/exports/journal?format=csv", allowed: Self.readers),
            Endpoint(name: "audit pack", method: .get, uri: "/api/v1/exports/audit-pack?period=2020-05", allowed: Self.readers),
            Endpoint(name: "verify", method: .get, uri: "/api/v1/verify", allowed: Self.readers),
            Endpoint(name: "audit log", method: .get, uri: "/api/v1/audit-log", allowed: [.admin, .auditor]),
            Endpoint(name: "batches", method: .get, uri: "/api/v1/subsidy/batches", allowed: Self.readers),
            Endpoint(name: "payment file", method: .get, uri: "/api/v1/subsidy/batches/1/payment-file", allowed: Self.readers),
            Endpoint(name: "program", method: .get, uri: "/api/v1/program", allowed: Self.readers),
            Endpoint(name: "periods", method: .get, uri: "/api/v1/periods", allowed: Self.readers),
            Endpoint(
                name: "import enterprises", method: .post, uri: "/api/v1/imports/enterprises?file_name=enterprises.csv", allowed: [.admin, .financePreparer],
                contentType: "text/csv", body: enterprisesCSV),
            Endpoint(
                name: "prepare", method: .post, uri: "/api/v1/subsidy/batches", allowed: [.financePreparer], contentType: "application/json",
                body: #"{"period": "2020-07"}"#),
            Endpoint(
                name: "pay", method: .post, uri: "/api/v1/subsidy/batches/\(june)/pay", allowed: [.financePreparer], contentType: "application/json",
                body: #"{"date": "2020-06-30"}"#),
            Endpoint(
                name: "rule", method: .post, uri: "/api/v1/subsidy/rules", allowed: [.financePreparer], contentType: "application/json",
                body: #"{"version": 90, "rate_bp": 1000, "member_cap": "500.00", "enterprise_cap": "50000.00", "channels": "832平台,直采", "effective_from": "2021-01-01"}"#),
            Endpoint(name: "close", method: .post, uri: "/api/v1/periods/\(toClose)/close", allowed: [.financeApprover], contentType: "application/json", body: "{}"),
            Endpoint(
                name: "post entries", method: .post, uri: "/api/v1/entries", allowed: [.financePreparer], contentType: "application/json",
                body: #"[{"idempotency_key": "ops-fund-2", "date": "2020-07-06", "description": "收到补助资金（第二笔）", "postings": [{"account": "102", "side": "借", "amount": "1,000.00"}, {"account": "403", "side": "贷", "amount": "1,000.00"}]}]"#),
            Endpoint(
                name: "reverse", method: .post, uri: "/api/v1/entries/2/reverse", allowed: [.financePreparer], contentType: "application/json",
                body: #"{"reason": "冲销测试", "date": "2020-07-07"}"#),
            Endpoint(
                name: "clawback", method: .post, uri: "/api/v1/subsidy/clawbacks", allowed: [.financePreparer], contentType: "application/json",
                body: #"{"enterprise": "\#(fixture.clerkEnterprise)", "amount": "1.00", "reason": "不合格采购", "date": "2020-07-08"}"#),
            Endpoint(
                name: "add user", method: .post, uri: "/api/v1/users", allowed: [.admin], contentType: "application/json",
                body: #"{"login": "new-auditor", "display_name": "新审计", "role": "auditor", "password": "a long password 1"}"#),
            Endpoint(
                name: "token", method: .post, uri: "/api/v1/tokens", allowed: [.admin], contentType: "application/json",
                body: #"{"login": "new-auditor", "days": 7}"#),
            Endpoint(name: "disable user", method: .post, uri: "/api/v1/users/new-auditor/disable", allowed: [.admin], contentType: "application/json", body: "{}"),
        ]
        for definition in ["monthly", "statement", "subsidy-ledger", "trial-balance", "general-ledger", "ledger", "journal", "by-township",
                           "by-category", "by-channel", "exceptions", "supervision", "subsidy-reconciliation", "supplier-reconciliation", "bank-reconciliation"] {
            let everyone = ["monthly", "statement", "subsidy-ledger"].contains(definition)
            endpoints.append(Endpoint(
                name: "report \(definition)", method: .get,
                uri: "/api/v1/reports/\(definition)?period=2020-05&account=102&enterprise=\(fixture.clerkEnterprise)",
                allowed: everyone ? Set(Role.allCases) : Self.readers))
        }
        let table = endpoints
        try await fixture.test { client in
            var keyNumber = 0
            for endpoint in table {
                func request(_ token: String?) async throws -> TestResponse {
                    keyNumber += 1
                    var fields = headers(token, key: endpoint.method == .post ? "OPS-\(keyNumber)" : nil)
                    if let type = endpoint.contentType { fields[.contentType] = type }
                    return try await client.execute(
                        uri: endpoint.uri, method: endpoint.method, headers: fields, body: endpoint.body.map { ByteBuffer(string: $0) })
                }
                let anonymous = try await request(nil)
                #expect(anonymous.status == .unauthorized, "\(endpoint.name) without a token: \(anonymous.status)")
                for role in Role.allCases {
                    let response = try await request(fixture.tokens[role]!)
                    if endpoint.allowed.contains(role) {
                        // The payment file of batch 1 (a demo batch, paid) and every read answer 200; writes 201.
                        #expect((200..<300).contains(response.status.code), "\(endpoint.name) as \(role): \(response.status) \(response.text.prefix(300))")
                    } else {
                        #expect(response.status == .forbidden, "\(endpoint.name) as \(role): \(response.status) \(response.text.prefix(200))")
                        #expect(response.errorCode == "FORBIDDEN", "\(endpoint.name) as \(role)")
                    }
                }
            }
        }
        // The writes happened once each, by the allowed role.
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE period = 202007") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE id = \(june) AND status = 'paid'") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_rules WHERE version = 90") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.period_closes WHERE period = \(toClose.yyyymm)") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries WHERE idempotency_key = 'ops-fund-2'") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries e JOIN relief.entries o ON o.id = e.reverses_id WHERE o.seq = 2") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries WHERE idempotency_key LIKE 'clawback:%'") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.users WHERE login = 'new-auditor' AND disabled_at IS NOT NULL") == 1)
        await fixture.close()
    }

    @Test func aRetriedWriteIsAnsweredFromItsKeyAndAReusedKeyIsRefused() async throws {
        let fixture = try await WebFixture.make("opsidem")
        try await fixture.purchase(month: 7, actor: fixture.users[.financePreparer]!.actorName)
        let token = fixture.tokens[.financePreparer]!
        try await fixture.test { client in
            func prepare(_ key: String?, _ body: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/subsidy/batches", method: .post, headers: headers(token, json: true, key: key), body: ByteBuffer(string: body))
            }
            let missing = try await prepare(nil, #"{"period": "2020-07"}"#)
            #expect(missing.status == .badRequest && missing.errorCode == "IDEMPOTENCY_KEY_REQUIRED")
            let first = try await prepare("PREP-7", #"{"period": "2020-07"}"#)
            #expect(first.status == .created, "\(first.text)")
            #expect(first.headers[.idempotentReplayed] == nil)
            let again = try await prepare("PREP-7", #"{"period": "2020-07"}"#)
            #expect(again.status == .created)
            #expect(again.headers[.idempotentReplayed] == "true")
            #expect(again.text == first.text)
            let other = try await prepare("PREP-7", #"{"period": "2020-08"}"#)
            #expect(other.status == .conflict && other.errorCode == "IDEMPOTENCY_KEY_REUSED")
            // A new key for the same month: the batch exists, so the write is refused, not repeated.
            let duplicate = try await prepare("PREP-7b", #"{"period": "2020-07"}"#)
            #expect(duplicate.status == .conflict && duplicate.errorCode == "BATCH_EXISTS")
            let malformed = try await prepare("PREP-x", #"{"period": "July"}"#)
            #expect(malformed.status == .unprocessableContent && malformed.errorField == "period")
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE period = 202007") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.idempotency_keys") == 1)
        await fixture.close()
    }

    @Test func aBadImportListsEveryProblemByLineAndChangesNothing() async throws {
        let fixture = try await WebFixture.make("opsimport")
        let good = fixture.purchaseTable(key: "UP-1", invoice: "88000001", date: "2020-05-21")
        var bad = fixture.purchaseTable(key: "UP-2", invoice: "88000002", date: "2020-05-22")
        var second = bad.rows[0]
        second.line = 3
        let amountIndex = bad.headers.firstIndex { ImportLayouts.purchases.columns.first { $0.key == "amount" }!.headers.contains($0) }!
        let dateIndex = bad.headers.firstIndex { ImportLayouts.purchases.columns.first { $0.key == "date" }!.headers.contains($0) }!
        bad.rows[0].cells[amountIndex] = "12,3x"
        second.cells[dateIndex] = "2020-13-40"
        bad.rows.append(second)
        let before = try await fixture.fingerprint()
        let badFile = WebFixture.csv(bad)
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/imports/purchases?file_name=bad.csv", method: .post,
                headers: {
                    var fields = headers(fixture.tokens[.enterpriseClerk], key: "IMP-1")
                    fields[.contentType] = "text/csv"
                    return fields
                }(), body: ByteBuffer(string: badFile))
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.errorCode == "IMPORT_FAILED")
            let problems = (response.json["error"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []
            let lines = Set(problems.compactMap { $0["line"] as? Int })
            #expect(lines.isSuperset(of: [2, 3]), "\(problems)")
            // A clerk's file with another enterprise's line: refused, naming the line.
            let foreign = fixture.purchaseTable(key: "UP-3", invoice: "88000003", date: "2020-05-23", enterprise: fixture.otherEnterprise)
            let (clerk, _) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            let form = try await clerk.get("/purchases/upload")
            #expect(form.status == .ok)
            let csrf = try #require(hiddenValue("csrf", in: form.text))
            let page = try await clerk.upload("/purchases/upload", csrf: csrf, kind: "purchases", fileName: "foreign.csv", csv: WebFixture.csv(foreign))
            #expect(page.status == .unprocessableContent)
            #expect(page.text.contains("<td>2</td>") && page.text.contains(fixture.otherEnterprise))
            // Bad lines as a page: a table of problems with lines 2 and 3.
            let badPage = try await clerk.upload("/purchases/upload", csrf: csrf, kind: "purchases", fileName: "bad.csv", csv: badFile)
            #expect(badPage.status == .unprocessableContent)
            #expect(badPage.text.contains("<td>2</td>") && badPage.text.contains("<td>3</td>"))
            #expect(try await fixture.fingerprint() == before)
            // Without the CSRF token: refused.
            let forged = try await clerk.upload("/purchases/upload", csrf: "nope", kind: "purchases", fileName: "good.csv", csv: WebFixture.csv(good))
            #expect(forged.status == .forbidden)
            #expect(try await fixture.fingerprint() == before)
            // The good file imports, once, even when uploaded twice.
            for _ in 0..<2 {
                let ok = try await clerk.upload("/purchases/upload", csrf: csrf, kind: "purchases", fileName: "good.csv", csv: WebFixture.csv(good))
                #expect(ok.status == .ok && ok.text.contains("已导入"), "\(ok.text.prefix(400))")
            }
            // A clerk may not use the finance import page.
            #expect(try await clerk.get("/imports").status == .forbidden)
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = 'UP-1'") == 1)
        await fixture.close()
    }

    @Test func financeRunsABatchFromPreparationToThePaymentFileOnThePages() async throws {
        let fixture = try await WebFixture.make("opsfinance")
        try await fixture.purchase(month: 7, actor: "setup")
        try await fixture.test { client in
            let (maker, _) = try await Browser.signIn(client, login: WebFixture.login(.financePreparer), password: WebFixture.passwords[.financePreparer]!)
            let page = try await maker.get("/batches")
            let csrf = try #require(hiddenValue("csrf", in: page.text))
            let prepared = try await maker.post("/batches", [("csrf", csrf), ("period", "2020-07")])
            #expect(prepared.status == .seeOther)
            let id = try await fixture.count("SELECT id FROM relief.subsidy_batches WHERE period = 202007")
            let (checker, _) = try await Browser.signIn(client, login: WebFixture.login(.financeApprover), password: WebFixture.passwords[.financeApprover]!)
            let checkerCSRF = try #require(hiddenValue("csrf", in: (try await checker.get("/batches")).text))
            #expect(try await checker.post("/batches/\(id)/approve", [("csrf", checkerCSRF)]).status == .seeOther)
            // The approver may not pay; the preparer pays.
            #expect(try await checker.post("/batches/\(id)/pay", [("csrf", checkerCSRF), ("date", "2020-07-31")]).status == .forbidden)
            let listed = try await maker.get("/batches")
            #expect(listed.text.contains("/batches/\(id)/pay"))
            #expect(try await maker.post("/batches/\(id)/pay", [("csrf", csrf), ("date", "2020-07-31")]).status == .seeOther)
            let file = try await maker.get("/batches/\(id)/payment-file")
            #expect(file.status == .ok)
            #expect(file.headers[.contentDisposition]?.contains("payment-batch-\(id).csv") == true)
            #expect(file.text.contains("大写金额") && file.text.contains("RL-B\(id)-"))
            // Period close by the approver; a second close of the same month is refused on the page.
            let periods = try await checker.get("/periods")
            let next = try #require(hiddenValue("period", in: periods.text.replacingOccurrences(of: #"type="month" name="period""#, with: #"name="period""#)))
            #expect(try await checker.post("/periods/close", [("csrf", checkerCSRF), ("period", next)]).status == .seeOther)
            let again = try await checker.post("/periods/close", [("csrf", checkerCSRF), ("period", next)])
            #expect(again.status == .conflict)
            #expect(try await maker.post("/periods/close", [("csrf", csrf), ("period", next)]).status == .forbidden)
            // A new rule version from the program page; a repeated version is refused with the form kept.
            let rule = [("csrf", csrf), ("version", "91"), ("rate_bp", "800"), ("member_cap", "300"), ("enterprise_cap", "20000"), ("channels", "832平台"), ("effective_from", "2021-01-01")]
            #expect(try await maker.post("/program/rules", rule).status == .seeOther)
            let repeated = try await maker.post("/program/rules", rule)
            #expect(repeated.status == .conflict && repeated.text.contains("已存在"))
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE period = 202007 AND status = 'paid'") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action IN ('subsidy.prepare', 'subsidy.approve', 'subsidy.pay', 'period.close', 'subsidy.rule')") == 5)
        await fixture.close()
    }

    @Test func auditorsBrowseReportsTheJournalExportsAndTheChain() async throws {
        let fixture = try await WebFixture.make("opsaudit")
        try await fixture.test { client in
            let (auditor, _) = try await Browser.signIn(client, login: WebFixture.login(.auditor), password: WebFixture.passwords[.auditor]!)
            let index = try await auditor.get("/reports")
            #expect(index.status == .ok && index.text.contains("/reports/trial-balance"))
            let trial = try await auditor.get("/reports/trial-balance?period=2020-05")
            #expect(trial.status == .ok && trial.text.contains("科目余额表") && trial.text.contains("format=xlsx"))
            let ledger = try await auditor.get("/reports/ledger?period=2020-05")
            #expect(ledger.status == .ok && ledger.text.contains("请选择科目"))
            let csv = try await auditor.get("/reports/ledger?period=2020-05&account=102&format=csv")
            #expect(csv.status == .ok && csv.headers[.contentDisposition]?.contains("ledger-102-2020-05.csv") == true)
            let xlsx = try await auditor.get("/reports/monthly?period=2020-05&format=xlsx")
            #expect(Array(xlsx.body.readableBytesView.prefix(2)) == [0x50, 0x4B])
            // Journal browser: account and voucher filters narrow the entries.
            let all = try await client.execute(uri: "/api/v1/journal?period=2020-05&limit=500", method: .get, headers: headers(fixture.tokens[.auditor]))
            let entries = all.json["entries"] as? [[String: Any]] ?? []
            #expect(!entries.isEmpty)
            let bank = try await client.execute(uri: "/api/v1/journal?period=2020-05&account=102&limit=500", method: .get, headers: headers(fixture.tokens[.auditor]))
            let bankEntries = bank.json["entries"] as? [[String: Any]] ?? []
            #expect(!bankEntries.isEmpty && bankEntries.count < entries.count)
            for entry in bankEntries {
                let accounts = (entry["postings"] as? [[String: Any]] ?? []).compactMap { $0["account_code"] as? String }
                #expect(accounts.contains("102"))
            }
            let voucher = try await client.execute(uri: "/api/v1/journal?period=2020-05&voucher=1", method: .get, headers: headers(fixture.tokens[.auditor]))
            #expect((voucher.json["entries"] as? [[String: Any]])?.count == 1)
            let badFilter = try await client.execute(uri: "/api/v1/journal?account=1%27%20OR%201=1", method: .get, headers: headers(fixture.tokens[.auditor]))
            #expect(badFilter.status == .badRequest && badFilter.errorField == "account")
            let page = try await auditor.get("/journal?period=2020-05&account=102")
            #expect(page.status == .ok && page.text.contains("102 "))
            // Exports and the audit pack: the ZIP unpacks into a pack that verifies offline.
            let hledger = try await auditor.get("/exports/journal?format=hledger")
            #expect(hledger.status == .ok && hledger.text.contains("102"))
            let pack = try await auditor.get("/exports/audit-pack?period=2020-05")
            #expect(pack.status == .ok && pack.headers[.contentType] == "application/zip")
            let folder = NSTemporaryDirectory() + "relief-pack-test-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let zip = folder + ".zip"
            defer { try? FileManager.default.removeItem(atPath: zip) }
            #expect(FileManager.default.createFile(atPath: zip, contents: Data(pack.body.readableBytesView)))
            try FileManager.default.unzipItem(at: URL(fileURLWithPath: zip), to: URL(fileURLWithPath: folder))
            #expect(AuditPack.verify(folder: folder) == [])
            #expect(FileManager.default.fileExists(atPath: folder + "/manifest.json"))
            // The chain status, and the audit log that recorded the downloads.
            let verify = try await auditor.get("/verify")
            #expect(verify.status == .ok && verify.text.contains("哈希链完整"))
            let log = try await auditor.get("/audit-log")
            #expect(log.text.contains("export.audit-pack"))
            // A clerk reaches none of it.
            let (clerk, _) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            for path in ["/journal", "/exports", "/exports/journal?format=csv", "/verify", "/audit-log", "/reports/trial-balance?period=2020-05", "/periods", "/program"] {
                #expect(try await clerk.get(path).status == .forbidden, "\(path)")
            }
            // The clerk's own statement and subsidy, only its enterprise.
            let statement = try await clerk.get("/reports/statement?period=2020-05&enterprise=\(fixture.otherEnterprise)")
            #expect(statement.status == .ok && statement.text.contains(fixture.clerkEnterprise) && !statement.text.contains(fixture.otherEnterprise))
            let subsidy = try await clerk.get("/reports/subsidy-ledger?period=2020-05")
            #expect(subsidy.status == .ok && !subsidy.text.contains(fixture.otherEnterprise))
        }
        await fixture.close()
    }

    @Test func aSupplierNameWithHTMLAndSQLIsStoredAsTextAndShownEscaped() async throws {
        let fixture = try await WebFixture.make("opsescape")
        var suppliers = fixture.data.suppliers
        let hostile = #"<script>alert("x")</script>'; DROP TABLE relief.entries;--"#
        suppliers.rows = [suppliers.rows[0]]
        suppliers.rows[0].cells[1] = hostile
        let code = suppliers.rows[0].cells[0]
        let entriesBefore = try await fixture.count("SELECT count(*) FROM relief.entries")
        let file = WebFixture.csv(suppliers)
        try await fixture.test { client in
            let (maker, _) = try await Browser.signIn(client, login: WebFixture.login(.financePreparer), password: WebFixture.passwords[.financePreparer]!)
            let form = try await maker.get("/imports")
            let csrf = try #require(hiddenValue("csrf", in: form.text))
            let uploaded = try await maker.upload("/imports", csrf: csrf, kind: "suppliers", fileName: "../<i onmouseover=x>供应商.csv", csv: file)
            #expect(uploaded.status == .ok, "\(uploaded.text.prefix(300))")
            // The file name loses its folders and is shown escaped.
            #expect(uploaded.text.contains("&lt;i onmouseover=x&gt;供应商.csv") && !uploaded.text.contains("<i onmouseover"), "\(uploaded.text.prefix(600))")
            // The clerk's purchase form lists the supplier: escaped, never markup.
            let (clerk, _) = try await Browser.signIn(client, login: WebFixture.login(.enterpriseClerk), password: WebFixture.passwords[.enterpriseClerk]!)
            let page = try await clerk.get("/purchases/new")
            #expect(page.status == .ok)
            #expect(page.text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
            #expect(!page.text.contains("<script>"))
        }
        let stored = try await fixture.admin.run { c in
            try c.query("SELECT name FROM relief.suppliers WHERE credit_code = $1", [code]).single().decode(String.self, at: 0)
        }
        #expect(stored == hostile)
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries") == entriesBefore)
        await fixture.close()
    }

    @Test func tokensAreShownOnceAndEntriesRefusedByTheBooksSayWhy() async throws {
        let fixture = try await WebFixture.make("opsentries")
        try await fixture.test { client in
            let admin = fixture.tokens[.admin]!
            func post(_ uri: String, _ token: String, key: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: headers(token, json: true, key: key), body: ByteBuffer(string: body))
            }
            let added = try await post("/api/v1/users", admin, key: "U1", #"{"login": "li-audit", "display_name": "李审计", "role": "auditor", "password": "a long password 2"}"#)
            #expect(added.status == .created && added.json["login"] as? String == "li-audit")
            #expect(!added.text.contains("a long password 2"))
            let first = try await post("/api/v1/tokens", admin, key: "T1", #"{"login": "li-audit", "days": 1}"#)
            let token = try #require(first.json["token"] as? String, "\(first.status) \(first.text)")
            // The token works; a retry with the same key does not show it again.
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token)).status == .ok)
            let again = try await post("/api/v1/tokens", admin, key: "T1", #"{"login": "li-audit", "days": 1}"#)
            #expect(again.headers[.idempotentReplayed] == "true" && again.json["token"] == nil)
            // Disabling the user kills the token at once.
            #expect(try await post("/api/v1/users/li-audit/disable", admin, key: "D1", "{}").status == .ok)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: headers(token)).status == .unauthorized)
            // The books refuse an unbalanced entry and an entry into a closed month, saying why.
            let preparer = fixture.tokens[.financePreparer]!
            let unbalanced = try await post("/api/v1/entries", preparer, key: "E1",
                #"[{"idempotency_key": "bad-1", "date": "2020-07-06", "description": "不平", "postings": [{"account": "102", "side": "借", "amount": "1.00"}, {"account": "403", "side": "贷", "amount": "0.99"}]}]"#)
            #expect(unbalanced.status == .unprocessableContent, "\(unbalanced.text)")
            let closeResult = try await post("/api/v1/periods/2020-01/close", fixture.tokens[.financeApprover]!, key: "C1", "{}")
            #expect(closeResult.status == .created, "\(closeResult.text)")
            let closed = try await post("/api/v1/entries", preparer, key: "E2",
                #"[{"idempotency_key": "late-1", "date": "2020-01-20", "description": "补记", "postings": [{"account": "102", "side": "借", "amount": "1.00"}, {"account": "403", "side": "贷", "amount": "1.00"}]}]"#)
            #expect(closed.status == .conflict && closed.errorCode == "PERIOD_CLOSED", "\(closed.text)")
            let malformed = try await post("/api/v1/entries", preparer, key: "E3", "[{")
            #expect(malformed.status == .badRequest)
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries WHERE idempotency_key IN ('bad-1', 'late-1')") == 0)
        #expect(try await fixture.count("SELECT count(*) FROM relief.audit_log WHERE action IN ('user.add', 'token.create', 'user.disable')") == 3)
        await fixture.close()
    }

    @Test func aClerksPurchaseAfterAnotherEnterprisesEntryOfTheMonthIsAccepted() async throws {
        let fixture = try await WebFixture.make("opsrls")
        let other = fixture.otherEnterprise
        // August's first voucher belongs to another enterprise: hidden from the clerk by row-level security.
        try await fixture.admin.run { c in
            _ = try c.query("SELECT relief.post_entries('main', $1::jsonb, 'test')", [
                #"[{"key":"other-aug","date":"2020-08-03","description":"他企采购","postings":[{"account":"901","side":"D","amount_fen":5000,"enterprise":"\#(other)"},{"account":"902","side":"C","amount_fen":5000,"enterprise":"\#(other)"}]}]"#
            ])
        }
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/purchases", method: .post, headers: headers(fixture.tokens[.enterpriseClerk], json: true, key: "RLS-AUG-1"),
                body: try jsonBuffer(fixture.purchaseBody(date: "2020-08-10", invoice: "77000001")))
            #expect(response.status == .created, "\(response.text)")
        }
        #expect(try await fixture.count("SELECT count(*) FROM relief.entries WHERE period = 202008") == 2)
        await fixture.close()
    }
}
