import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

extension WebServer {
    /// The JSON API under /api, plus /metrics.
    func addAPIRoutes(to router: Router<WebContext>) {
        router.post("/api/v1/login") { request, context in try await self.apiLogin(request, context) }
        router.get("/api/v1/me") { request, _ in try await self.me(request) }
        router.get("/api/v1/progress") { request, _ in try await self.progress(request) }
        router.get("/api/v1/purchases") { request, _ in try await self.listPurchases(request) }
        router.post("/api/v1/purchases") { request, context in try await self.createPurchase(request, context) }
        router.post("/api/v1/subsidy/batches/:id/approve") { request, context in try await self.approveBatch(request, context) }
        router.get("/api/openapi.json") { _, _ in
            var response = JSONResponse.raw(Array(OpenAPIDocument.text.utf8))
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
        router.get("/metrics") { _, _ in
            JSONResponse.raw(Array(self.metrics.render().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    // MARK: Body

    /// The body as a JSON object: 415 unless `application/json`, 413 over 1 MiB, 400 when not JSON
    /// or not an object.
    func jsonObject(_ request: Request) async throws -> [String: Any] {
        try requireJSON(request)  // before reading: a wrong type is refused without the body
        return try jsonObject(request, bytes: try await bodyBytes(request))
    }

    /// The request's media type (`Content-Type` without parameters), lower-cased.
    static func mediaType(_ request: Request) -> String? {
        guard let value = request.headers[.contentType] else { return nil }
        // What clients send, answered without Foundation's trimming (a twentieth of a purchase
        // POST's CPU); the general rule below gives the same for these.
        if value == "application/json" || value.utf8.starts(with: "application/json;".utf8) { return "application/json" }
        return value.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// 415 unless the body is `application/json`.
    func requireJSON(_ request: Request) throws {
        guard Self.mediaType(request) == "application/json" else {
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type 必须是 application/json", field: "Content-Type")
        }
    }

    /// The body, at most `limit` bytes (413 beyond, checked on Content-Length first).
    func body(_ request: Request, limit: Int) async throws -> ByteBuffer {
        let tooLarge = APIError(.contentTooLarge, "PAYLOAD_TOO_LARGE", "请求体超过 \(limit / 1024) KB")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }

    // MARK: Handlers

    /// POST /api/v1/login: a one-day API token for a login and password.
    func apiLogin(_ request: Request, _ context: WebContext) async throws -> Response {
        let object = try await jsonObject(request)
        guard let login = object["login"] as? String, !login.isEmpty else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "缺少字段 login", field: "login")
        }
        guard let password = object["password"] as? String, !password.isEmpty else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "缺少字段 password", field: "password")
        }
        let user: User
        do {
            user = try await logIn(login: login, password: password, remote: remoteAddress(request, context), channel: "api")
        } catch let error as AccessError {
            switch error {
            case .throttled(let minutes):
                var apiError = APIError(.tooManyRequests, "LOGIN_THROTTLED", "登录失败次数过多，请\(minutes)分钟后再试")
                apiError.headers[.retryAfter] = String(minutes * 60)
                throw apiError
            default:
                throw APIError(.unauthorized, "INVALID_CREDENTIALS", "登录名或密码错误")
            }
        }
        let token = try await pool.withConnection { connection in
            try await connection.run { c in try Access.createToken(c, login: user.login, name: "api-login", days: 1) }
        }
        struct Body: Encodable { var token: String; var tokenType: String; var expiresIn: Int }
        return JSONResponse.make(Body(token: token, tokenType: "Bearer", expiresIn: 86_400))
    }

    /// GET /api/v1/me.
    func me(_ request: Request) async throws -> Response {
        struct Body: Encodable {
            var login: String
            var displayName: String
            var role: String
            var enterprise: String?
            var enterpriseName: String?

            enum CodingKeys: String, CodingKey { case login, displayName = "display_name", role, enterprise, enterpriseName = "enterprise_name" }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(login, forKey: .login)
                try container.encode(displayName, forKey: .displayName)
                try container.encode(role, forKey: .role)
                try container.encode(enterprise, forKey: .enterprise)
                try container.encode(enterpriseName, forKey: .enterpriseName)
            }
        }
        let body = try await withUser(request, allowed: Self.everyone) { t, user in
            let name = try user.enterpriseID.flatMap { id in
                try t.query("SELECT name FROM relief.enterprises WHERE id = $1", [id]).rows.first?.decode(String.self, at: 0)
            }
            return Body(login: user.login, displayName: user.displayName, role: user.role.rawValue, enterprise: user.enterpriseCode, enterpriseName: name)
        }
        return JSONResponse.make(body)
    }

    /// The `period` query parameter (YYYY-MM), required.
    func period(_ request: Request) throws -> Period {
        let text = request.uri.queryParameters.get("period")
        guard let text, let period = Period(parsing: text) else { throw APIError.invalidPeriod(text) }
        return period
    }

    /// GET /api/v1/progress?period=YYYY-MM: the 月报 as JSON. Row-level security leaves a clerk
    /// its own enterprise's row only.
    func progress(_ request: Request) async throws -> Response {
        let period = try period(request)
        let program = configuration.programCode
        let json = try await withUser(request, allowed: Self.everyone) { t, _ in
            try ProgramReports.monthly(t, programCode: program, period: period).renderJSON()
        }
        return JSONResponse.raw(Array(json.utf8))
    }

    /// GET /api/v1/purchases[?ineligible=true][&period=YYYY-MM][&limit=N].
    func listPurchases(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let ineligible: Bool
        switch query.get("ineligible")?.lowercased() {
        case nil, "", "false", "0": ineligible = false
        case "true", "1": ineligible = true
        default: throw APIError(.badRequest, "INVALID_PARAMETER", "ineligible 只能是 true 或 false", field: "ineligible")
        }
        var period: Period?
        if let text = query.get("period") {
            guard let parsed = Period(parsing: text) else { throw APIError.invalidPeriod(text) }
            period = parsed
        }
        var limit = 1000
        if let text = query.get("limit") {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "limit 应为 1 到 10000 之间的整数", field: "limit")
            }
            limit = value
        }
        let program = configuration.programCode
        let lines = try await withUser(request, allowed: Self.everyone) { [period, limit] t, _ in
            try PurchaseQueries.lines(t, programCode: program, ineligibleOnly: ineligible, period: period, limit: limit)
        }
        struct Body: Encodable { var count: Int; var lines: [PurchaseLineListing] }
        return JSONResponse.make(Body(count: lines.count, lines: lines))
    }

    /// POST /api/v1/purchases: one purchase, keyed by the `Idempotency-Key` header (its 采购单号).
    /// 201 when recorded, 200 with the same body when the key was already recorded with the same
    /// content, 409 when the key is taken by a different purchase.
    func createPurchase(_ request: Request, _ context: WebContext) async throws -> Response {
        let (user, tokenHash) = try await authenticateKept(request, allowed: Self.purchaseWriters)
        guard let key = request.headers[.idempotencyKey]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            throw APIError(.badRequest, "IDEMPOTENCY_KEY_REQUIRED", "缺少 Idempotency-Key 请求头（作为采购单号）", field: "Idempotency-Key")
        }
        guard key.count <= 100, !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError(.badRequest, "IDEMPOTENCY_KEY_INVALID", "Idempotency-Key 最长 100 个字符，且不能含控制字符", field: "Idempotency-Key")
        }
        let input = try PurchaseInput(try await jsonObject(request))
        let remote = remoteAddress(request, context)
        let outcome: (created: Bool, purchase: PurchaseView)
        do {
            outcome = try await recordPurchase(user: user, input: input, key: key, remote: remote, tokenHash: tokenHash)
        } catch AccessError.credentialsChanged {
            // The kept user is out of date: as the request would have gone without the cache.
            tokenCache.forget(tokenHash: tokenHash)
            let (fresh, _) = try await authenticateKept(request, allowed: Self.purchaseWriters)
            do {
                outcome = try await recordPurchase(user: fresh, input: input, key: key, remote: remote, tokenHash: tokenHash)
            } catch AccessError.credentialsChanged {
                tokenCache.forget(tokenHash: tokenHash)
                throw APIError.unauthenticated("令牌无效或已过期，请重新登录")
            }
        }
        return JSONResponse.raw(outcome.purchase.jsonLine(), status: outcome.created ? .created : .ok)
    }

    /// Records one purchase as `user` under the 采购单号 `key` (the API's and the page's path):
    /// `created` is false when the key was already recorded with the same content. Throws a 422
    /// ``APIError`` with the importer's problems, 403 for another enterprise, 409 when the key is
    /// taken by a different purchase. Concurrent purchases of one user commit together
    /// (``PurchaseDesk``). `tokenHash` names the API token `user` came from when it came from
    /// ``TokenCache``: the writing transaction checks it, and throws
    /// ``AccessError/credentialsChanged`` if it no longer gives `user`.
    func recordPurchase(
        user: User, input: PurchaseInput, key: String, remote: String, tokenHash: String? = nil
    ) async throws -> (created: Bool, purchase: PurchaseView) {
        if user.role == .enterpriseClerk, input.enterprise != user.enterpriseCode {
            throw APIError(.forbidden, "FORBIDDEN_ENTERPRISE", "企业录入员只能录入本企业的采购", field: "enterprise")
        }
        let table = input.table(key: key)
        let (records, problems) = RecordParser.purchases(table.rows.lazy.map(PurchaseInput.mapping.row))
        let submission = PurchaseDesk.Submission(
            key: key, table: table, records: records, parsedWithoutProblems: problems.isEmpty, remote: remote, tokenHash: tokenHash)
        return try await purchaseDesk.record(submission, user: user, server: self)
    }

    /// Records one purchase in its own transaction: the path of a request alone, and of each
    /// request of a group that failed.
    func recordOne(user: User, submission: PurchaseDesk.Submission) async throws -> (created: Bool, purchase: PurchaseView) {
        let program = configuration.programCode
        let key = submission.key
        let reused = APIError(.conflict, "IDEMPOTENCY_KEY_REUSED", "此 Idempotency-Key（采购单号）已被另一张采购单使用", field: "Idempotency-Key")
        let record: @Sendable (isolated Connection) throws -> (created: Bool, purchase: PurchaseView) = { t in
            let summary: ImportSummary
            do {
                summary =
                    submission.parsedWithoutProblems
                    ? try Purchases.importPurchases(t, records: submission.records, fileName: "request", programCode: program, actorName: user.actorName)
                    : try Purchases.importPurchases(t, submission.table, programCode: program, actorName: user.actorName)
            } catch let errors as ImportErrors {
                throw PurchaseInput.validationError(errors)
            }
            // Not visible although the key exists: another enterprise's purchase (row-level security).
            guard let stored = try PurchaseQueries.purchase(t, programCode: program, key: key) else { throw reused }
            if summary.created == 0 {
                guard stored.matches(submission.records) else {
                    throw APIError(.conflict, "IDEMPOTENCY_KEY_REUSED", "此 Idempotency-Key（采购单号）已用于内容不同的采购单", field: "Idempotency-Key")
                }
                return (false, stored)
            }
            try Access.audit(
                t, user, action: "purchase.create", target: key, detail: ["program": program, "enterprise": stored.enterprise],
                remote: submission.remote)
            return (true, stored)
        }
        let tokenHashes = submission.tokenHash.map { [$0] } ?? []
        do {
            return try await asUser(user, verifyingTokenHashes: tokenHashes, record)
        } catch let error as PostgresError where error.sqlState == "23505" {
            // A unique key taken meanwhile: a concurrent request with the same key committed first
            // (the retry then answers 200), or the key is another enterprise's, hidden by
            // row-level security (the retry then answers 409).
            do {
                return try await asUser(user, verifyingTokenHashes: tokenHashes, record)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw reused
            }
        }
    }

    /// Why a group is handed back to be recorded request by request: it was not a group of
    /// new purchases, each stored as asked.
    struct GroupNotWhole: Error {}

    /// Records several purchases of `user`, each with a distinct key, as one import in one
    /// transaction, and returns them as stored, in order. Throws (and writes nothing) unless
    /// every one is new and stored as submitted; ``PurchaseDesk`` then records them one by one.
    func recordGroup(user: User, submissions: [PurchaseDesk.Submission]) async throws -> [PurchaseView] {
        precondition(!submissions.isEmpty && Set(submissions.map(\.key)).count == submissions.count, "a group names each key once")
        let program = configuration.programCode
        // A request with a problem is answered alone, with its problems by line and field.
        guard submissions.allSatisfy({ $0.parsedWithoutProblems && !$0.records.isEmpty }) else { throw GroupNotWhole() }
        let records = submissions.flatMap(\.records)
        let tokenHashes = Array(Set(submissions.compactMap(\.tokenHash)))
        let keys = submissions.map(\.key)
        let recordsImport = Purchases.RecordsImport(records: records, fileName: "requests", programCode: program, actorName: user.actorName)
        // The read-back of the stored purchases and the audit rows travel with the import's last
        // INSERTs: each request's enterprise is its records', which its stored view must match.
        let actions = submissions.map { submission in
            Access.AuditAction(
                action: "purchase.create", target: submission.key,
                detail: ["program": program, "enterprise": submission.records[0].enterpriseCreditCode], remote: submission.remote)
        }
        let trailing = [PurchaseQueries.purchasesStatement(programCode: program, keys: keys), Access.auditStatement(user, actions: actions)]
        return try await asUser(user, verifyingTokenHashes: tokenHashes, readingFirst: recordsImport.reads) { t, reads in
            let (summary, results) = try recordsImport.run(t, readResults: reads, trailing: trailing)
            guard summary.created == submissions.count, summary.unchanged == 0, results.count == 2 else { throw GroupNotWhole() }
            let stored = try PurchaseQueries.purchases(from: results[0])
            let views = try submissions.map { submission in
                guard let view = stored[submission.key], view.matches(submission.records) else { throw GroupNotWhole() }
                return view
            }
            guard results[1].affectedRows == submissions.count else { throw GroupNotWhole() }
            return views
        }
    }

    /// POST /api/v1/subsidy/batches/{id}/approve: the checker's approval (maker-checker).
    func approveBatch(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.approvers)
        let key = try idempotencyKey(request)
        guard let id = context.parameters.get("id", as: Int.self) else {
            throw APIError(.notFound, "BATCH_NOT_FOUND", "没有这个补助批次", field: "id")
        }
        let bytes = try await bodyBytes(request)
        try emptyOrJSONObject(request, bytes: bytes)
        let remote = remoteAddress(request, context)
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            try StoredResponse.json(try self.approve(t, user: user, batchID: id, remote: remote))
        }
    }

    /// The approved batch, as the API answers it.
    struct ApprovedBatch: Encodable, Sendable {
        var id: Int
        var period: String
        var status: String
        var preparedBy: String
        var approvedBy: String?
        var totalFen: Int64
    }

    /// Approves batch `batchID` as `user` (the API's and the page's path): 404 for an unknown
    /// batch, 409 when it is not prepared, when `user` prepared it (maker-checker), or when the
    /// fund would be exceeded.
    func approve(user: User, batchID id: Int, remote: String) async throws -> ApprovedBatch {
        try await asUser(user) { t in try self.approve(t, user: user, batchID: id, remote: remote) }
    }

    /// ``approve(user:batchID:remote:)`` inside the caller's transaction.
    func approve(_ t: isolated Connection, user: User, batchID id: Int, remote: String) throws -> ApprovedBatch {
        do {
            let batch: SubsidyBatch
            do {
                batch = try Subsidies.load(t, batchID: id)
            } catch is SubsidyError {
                throw APIError(.notFound, "BATCH_NOT_FOUND", "没有补助批次 \(id)", field: "id")
            }
            guard batch.status == "prepared" else {
                throw APIError(.conflict, "BATCH_NOT_PREPARED", "补助批次 \(id) 的状态是 \(batch.status)，只有待审核（prepared）的批次可以审核")
            }
            guard batch.preparedBy != user.actorName else {
                throw APIError(.conflict, "MAKER_CHECKER", "制单人不能审核自己制作的批次 \(id)（制单与审核须为不同的人）")
            }
            do {
                try Subsidies.approve(t, batchID: id, actorName: user.actorName)
            } catch let error as SubsidyError where error.message.contains("maker-checker") {
                throw APIError(.conflict, "MAKER_CHECKER", "制单人不能审核自己制作的批次 \(id)（制单与审核须为不同的人）")
            } catch let error as PostgresError where error.sqlState == "RL041" {
                throw APIError(.conflict, "FUND_EXCEEDED", "审核此批次将使核定补助超过已收到的资金")
            }
            try Access.audit(t, user, action: "subsidy.approve", target: String(id), detail: ["period": batch.period.description], remote: remote)
            let approved = try Subsidies.load(t, batchID: id)
            return ApprovedBatch(
                id: approved.id, period: approved.period.description, status: approved.status, preparedBy: approved.preparedBy,
                approvedBy: approved.approvedBy, totalFen: approved.totalFen)
        }
    }
}
