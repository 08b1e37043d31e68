import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// The rest of the CLI over the API: manual entries (`relief post`), red reversals (`relief
/// reverse`), clawbacks (`relief subsidy clawback`), users and tokens (`relief user`, `relief token`).
extension WebServer {
    /// Who administers users and tokens.
    static let administrators: Set<Role> = [.admin]

    func addEntryRoutes(to router: Router<WebContext>) {
        router.post("/api/v1/entries") { request, context in try await self.apiPostEntries(request, context) }
        router.post("/api/v1/entries/:seq/reverse") { request, context in try await self.apiReverse(request, context) }
        router.post("/api/v1/subsidy/clawbacks") { request, context in try await self.apiClawback(request, context) }
        router.post("/api/v1/users") { request, context in try await self.apiAddUser(request, context) }
        router.post("/api/v1/users/:login/disable") { request, context in try await self.apiDisableUser(request, context) }
        router.post("/api/v1/tokens") { request, context in try await self.apiCreateToken(request, context) }
    }

    /// A posted entry as the API answers it.
    struct PostedView: Encodable, Sendable {
        var seq: Int64
        var voucher: String
        var hash: String
        var existed: Bool

        init(_ entry: PostedEntry) {
            (seq, voucher, hash, existed) = (entry.seq, "记-\(entry.voucherReference)", Chain.hex(entry.hash), entry.existed)
        }
    }

    /// A ledger refusal from PostgreSQL as an API error.
    static func ledgerError(_ error: PostgresError) -> APIError {
        switch error.sqlState {
        case "RL010": return APIError(.conflict, "PERIOD_CLOSED", "该月已结账，不能再记账：\(error.message)")
        case "RL003", "RL004": return APIError(.unprocessableContent, "UNKNOWN_CODE", error.message, field: "postings")
        case "RL040", "RL041": return APIError(.conflict, "FUND_EXCEEDED", "银行存款或资金不足：\(error.message)")
        case let state? where state.hasPrefix("RL"): return APIError(.unprocessableContent, "REFUSED", error.message)
        default: return ErrorMiddleware.translate(error)
        }
    }

    /// Posts `drafts` as `user` inside the caller's transaction: validated in Swift first,
    /// then PostgreSQL checks them again.
    func post(_ t: isolated Connection, user: User, drafts: [EntryDraft]) throws -> [PostedView] {
        for (index, draft) in drafts.enumerated() {
            do {
                try draft.validate()
            } catch {
                throw APIError(.unprocessableContent, "INVALID_ENTRY", "第 \(index + 1) 笔分录不合规：\(error)", field: "entries[\(index)]")
            }
        }
        do {
            return try PostingWriter.post(t, bookCode: configuration.bookCode, actorName: user.actorName, drafts: drafts).map(PostedView.init)
        } catch let error as PostgresError {
            throw Self.ledgerError(error)
        }
    }

    /// POST /api/v1/entries: the entry file of `relief post` (docs/ENTRY-JSON.md), all or nothing.
    func apiPostEntries(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        _ = try jsonObjectOrArray(request, bytes: bytes)
        let parsed: [EntryJSON.Parsed]
        do {
            parsed = try EntryJSON.parse(bytes)
        } catch {
            // The JSON path of the bad field (`postings[0].amount`, `[2].date`) is the field at fault.
            throw APIError(.unprocessableContent, "INVALID_ENTRY", "分录文件不合规：\(error)", field: error.field)
        }
        if let other = parsed.first(where: { ($0.book ?? configuration.bookCode) != configuration.bookCode }) {
            throw APIError(.unprocessableContent, "WRONG_BOOK", "分录属于账簿 \(other.book ?? "")，本服务只记账簿 \(configuration.bookCode)", field: "book")
        }
        let remote = remoteAddress(request, context)
        struct Body: Encodable { var entries: [PostedView] }
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            let posted = try self.post(t, user: user, drafts: parsed.map(\.draft))
            try Access.audit(t, user, action: "entries.post", target: posted.map(\.voucher).joined(separator: ","), remote: remote)
            return try StoredResponse.json(Body(entries: posted), status: .created)
        }
    }

    /// `application/json` bytes that are an object or an array (415/400 otherwise).
    func jsonObjectOrArray(_ request: Request, bytes: [UInt8]) throws -> Any {
        try requireJSON(request)
        let value = try Self.parseJSON(bytes)
        guard value is [Any] || value is [String: Any] else {
            throw APIError(.badRequest, "MALFORMED_JSON", "请求体必须是 JSON 对象或数组", field: "body")
        }
        return value
    }

    /// POST /api/v1/entries/{seq}/reverse {"reason", "date"}: the red reversal of chain position seq.
    func apiReverse(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        guard let seq = context.parameters.get("seq", as: Int64.self), seq > 0 else {
            throw APIError(.notFound, "ENTRY_NOT_FOUND", "没有这笔分录", field: "seq")
        }
        let bytes = try await bodyBytes(request)
        let fields = JSONFields(object: try jsonObject(request, bytes: bytes))
        let reason = try fields.string("reason").trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty, reason.count <= 200 else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "reason 必填，最长 200 个字符", field: "reason")
        }
        let date = try fields.date("date")
        let (book, remote) = (configuration.bookCode, remoteAddress(request, context))
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            let postings = try Reports.postings(t, bookCode: book, seq: seq)
            guard !postings.isEmpty else { throw APIError(.notFound, "ENTRY_NOT_FOUND", "没有链序号为 \(seq) 的分录", field: "seq") }
            let draft = EntryDraft.reversal(of: postings, originalSeq: seq, key: "reversal-of-\(seq)", date: date, reason: reason)
            let posted = try self.post(t, user: user, drafts: [draft])
            try Access.audit(t, user, action: "entries.reverse", target: String(seq), detail: ["reason": reason], remote: remote)
            return try StoredResponse.json(posted[0], status: .created)
        }
    }

    /// POST /api/v1/subsidy/clawbacks {"enterprise", "amount", "reason", "date", "repaid"?}.
    func apiClawback(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        let object = try jsonObject(request, bytes: bytes)
        let fields = JSONFields(object: object)
        let enterprise = try fields.string("enterprise")
        guard Self.isCode(enterprise, maximum: 18) else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "enterprise 应为统一社会信用代码", field: "enterprise")
        }
        let amount = try fields.money("amount")
        guard amount.fen > 0 else { throw APIError(.unprocessableContent, "VALIDATION_FAILED", "amount 必须大于 0", field: "amount") }
        let reason = try fields.string("reason").trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty, reason.count <= Subsidies.maximumReasonLength else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "reason 必填，最长 \(Subsidies.maximumReasonLength) 个字符", field: "reason")
        }
        let date = try fields.date("date")
        // A wrong type must not quietly mean "not repaid" (and post a clawback instead).
        let repaid = try fields.bool("repaid", default: false)
        let (program, remote) = (configuration.programCode, remoteAddress(request, context))
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            let posted: PostedEntry
            do {
                posted = try Subsidies.clawback(
                    t, programCode: program, enterpriseCreditCode: enterprise, amount: amount, reason: reason, date: date, actorName: user.actorName,
                    repaid: repaid, idempotencyKey: "clawback:" + key)
            } catch let error as PostgresError {
                throw Self.ledgerError(error)
            } catch let error as SubsidyError {
                throw APIError(.unprocessableContent, "REFUSED", error.message, field: error.field)
            }
            try Access.audit(t, user, action: repaid ? "subsidy.repaid" : "subsidy.clawback", target: enterprise, detail: ["amount": amount.plain], remote: remote)
            return try StoredResponse.json(PostedView(posted), status: .created)
        }
    }

    /// POST /api/v1/users {"login", "display_name", "role", "enterprise"?, "password"}.
    func apiAddUser(_ request: Request, _ context: WebContext) async throws -> Response {
        let admin = try await authenticate(request, allowed: Self.administrators)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        let fields = JSONFields(object: try jsonObject(request, bytes: bytes))
        let login = try fields.string("login")
        let name = try fields.string("display_name")
        let roleText = try fields.string("role")
        guard let role = Role(rawValue: roleText) else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "role 只能是 \(Role.allCases.map(\.rawValue).joined(separator: "、"))", field: "role")
        }
        let enterprise = try fields.optionalString("enterprise")
        let password = try fields.string("password")
        let remote = remoteAddress(request, context)
        // The stored answer never holds the password: the request hash covers it, the body does not.
        struct Body: Encodable { var login: String; var role: String; var enterprise: String? }
        return try await idempotent(admin, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            let user: User
            do {
                user = try Access.addUser(t, login: login, displayName: name, role: role, enterpriseCreditCode: enterprise, password: password)
            } catch let error as AccessError {
                throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(error)", field: error.field)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw APIError(.conflict, "USER_EXISTS", "登录名 \(login) 已存在", field: "login")
            }
            try Access.audit(t, admin, action: "user.add", target: user.login, detail: ["role": role.rawValue], remote: remote)
            return try StoredResponse.json(Body(login: user.login, role: user.role.rawValue, enterprise: user.enterpriseCode), status: .created)
        }
    }

    /// POST /api/v1/users/{login}/disable: the user's sessions and tokens stop working at once.
    func apiDisableUser(_ request: Request, _ context: WebContext) async throws -> Response {
        let admin = try await authenticate(request, allowed: Self.administrators)
        let key = try idempotencyKey(request)
        let login = (context.parameters.get("login") ?? "").lowercased()
        let bytes = try await bodyBytes(request)
        try emptyOrJSONObject(request, bytes: bytes)
        let remote = remoteAddress(request, context)
        struct Body: Encodable { var login: String; var disabled: Bool }
        return try await idempotent(admin, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            guard try Access.user(t, login: login) != nil else { throw APIError(.notFound, "USER_NOT_FOUND", "没有登录名 \(login.prefix(64))", field: "login") }
            try Access.disable(t, login: login)
            try Access.audit(t, admin, action: "user.disable", target: login, remote: remote)
            return try StoredResponse.json(Body(login: login, disabled: true))
        }
    }

    /// POST /api/v1/tokens {"login", "days"}: an API token for a user. The token is shown once: a
    /// retry with the same key gets the same answer without it.
    func apiCreateToken(_ request: Request, _ context: WebContext) async throws -> Response {
        let admin = try await authenticate(request, allowed: Self.administrators)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        let fields = JSONFields(object: try jsonObject(request, bytes: bytes))
        let login = try fields.string("login").lowercased()
        let days = try fields.integer("days", in: 1...366)
        let remote = remoteAddress(request, context)
        struct Body: Encodable { var login: String; var days: Int; var token: String? }
        let token = TokenBox()
        var response = try await idempotent(admin, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            guard try Access.user(t, login: login) != nil else { throw APIError(.notFound, "USER_NOT_FOUND", "没有登录名 \(login.prefix(64))", field: "login") }
            token.value = try Access.createToken(t, login: login, name: "api:\(admin.login)", days: days)
            try Access.audit(t, admin, action: "token.create", target: login, detail: ["days": String(days)], remote: remote)
            return try StoredResponse.json(Body(login: login, days: days, token: nil), status: .created)
        }
        // The secret goes to this answer only, never into the stored one.
        if let value = token.value, response.headers[.idempotentReplayed] == nil {
            response = JSONResponse.make(Body(login: login, days: days, token: value), status: .created)
        }
        return response
    }
}

/// Carries the new token out of the transaction's closure.
final class TokenBox: @unchecked Sendable {
    // Written once inside the transaction, read after it: no concurrent access.
    var value: String?
}
