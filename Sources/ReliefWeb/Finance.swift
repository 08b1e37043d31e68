import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// Finance's work, as API endpoints and pages on the same functions: subsidy batches (prepare,
/// approve, pay, payment file), period close, the program and its rules.
extension WebServer {
    /// Who prepares and pays batches, imports bank statements, adds rules (the maker).
    static let preparers: Set<Role> = [.financePreparer]
    /// Who closes a month (会计主管: the approver).
    static let closers: Set<Role> = [.financeApprover]
    /// Who reads batches, closes and the program.
    static let financeReaders: Set<Role> = [.admin, .financePreparer, .financeApprover, .auditor]

    func addFinanceRoutes(to router: Router<WebContext>) {
        router.get("/api/v1/subsidy/batches") { request, _ in
            let body = try await self.withUser(request, allowed: Self.financeReaders) { [program = configuration.programCode] t, _ in
                try Subsidies.batches(t, programCode: program).map(BatchView.init)
            }
            return JSONResponse.make(["batches": body])
        }
        router.post("/api/v1/subsidy/batches") { request, context in try await self.apiPrepare(request, context) }
        router.post("/api/v1/subsidy/batches/:id/pay") { request, context in try await self.apiPay(request, context) }
        router.get("/api/v1/subsidy/batches/:id/payment-file") { request, context in
            let user = try await self.authenticate(request, allowed: Self.financeReaders)
            return try await self.paymentFile(user: user, batchID: context.parameters.get("id", as: Int.self))
        }
        router.post("/api/v1/subsidy/rules") { request, context in try await self.apiAddRule(request, context) }
        router.get("/api/v1/program") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.financeReaders)
            return JSONResponse.make(try await self.programView(user))
        }
        router.get("/api/v1/periods") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.financeReaders)
            return JSONResponse.make(["closes": try await self.closes(user)])
        }
        router.post("/api/v1/periods/:period/close") { request, context in try await self.apiClose(request, context) }

        router.post("/batches") { request, context in try await self.submitPrepare(request, context) }
        router.post("/batches/:id/pay") { request, context in try await self.submitPay(request, context) }
        router.get("/batches/:id/payment-file") { request, context in
            let session = try await self.requireSession(request, allowed: Self.financeReaders)
            return try await self.paymentFile(user: session.user, batchID: context.parameters.get("id", as: Int.self))
        }
        router.get("/periods") { request, _ in try await self.periodsPage(request) }
        router.post("/periods/close") { request, context in try await self.submitClose(request, context) }
        router.get("/program") { request, _ in try await self.programPage(request) }
        router.post("/program/rules") { request, context in try await self.submitRule(request, context) }
    }

    // MARK: Batches

    /// A batch as the API shows it.
    struct BatchView: Encodable, Sendable {
        var id: Int
        var period: String
        var status: String
        var preparedBy: String
        var approvedBy: String?
        var totalFen: Int64

        init(_ batch: SubsidyBatch) {
            (id, period, status, preparedBy, approvedBy, totalFen) =
                (batch.id, batch.period.description, batch.status, batch.preparedBy, batch.approvedBy, batch.totalFen)
        }
    }

    /// Prepares the batch of `period` as `user` (the maker); returns it.
    func prepare(_ t: isolated Connection, user: User, period: Period, remote: String) throws -> BatchView {
        let exists = try t.query(
            "SELECT b.id FROM relief.subsidy_batches b JOIN relief.programs g ON g.id = b.program_id WHERE g.code = $1 AND b.period = $2",
            [configuration.programCode, period.yyyymm]
        ).rows.first
        if let exists {
            throw APIError(.conflict, "BATCH_EXISTS", "\(period) 的补助批次已存在（批次 \(try exists.decode(Int.self, at: 0))）", field: "period")
        }
        let id = try Subsidies.prepare(t, programCode: configuration.programCode, period: period, actorName: user.actorName)
        try Access.audit(t, user, action: "subsidy.prepare", target: String(id), detail: ["period": period.description], remote: remote)
        return BatchView(try Subsidies.load(t, batchID: id))
    }

    /// Pays approved batch `id` on `date` as `user`; returns the payment lines.
    func pay(_ t: isolated Connection, user: User, batchID id: Int, date: LocalDate, remote: String) throws -> [PaymentLine] {
        let batch: SubsidyBatch
        do {
            batch = try Subsidies.load(t, batchID: id)
        } catch is SubsidyError {
            throw APIError(.notFound, "BATCH_NOT_FOUND", "没有补助批次 \(id)", field: "id")
        }
        guard batch.status == "approved" else {
            throw APIError(.conflict, "BATCH_NOT_APPROVED", "补助批次 \(id) 的状态是 \(Self.statusName(batch.status))，只有已审核的批次可以支付")
        }
        let lines = try Subsidies.pay(t, batchID: id, actorName: user.actorName, date: date)
        try Access.audit(t, user, action: "subsidy.pay", target: String(id), detail: ["date": date.description], remote: remote)
        return lines
    }

    /// POST /api/v1/subsidy/batches {"period": "YYYY-MM"}.
    func apiPrepare(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        let period = try JSONFields(object: try jsonObject(request, bytes: bytes)).period("period")
        let remote = remoteAddress(request, context)
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            try StoredResponse.json(try self.prepare(t, user: user, period: period, remote: remote), status: .created)
        }
    }

    /// POST /api/v1/subsidy/batches/{id}/pay {"date": "YYYY-MM-DD"}.
    func apiPay(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        guard let id = context.parameters.get("id", as: Int.self) else { throw APIError(.notFound, "BATCH_NOT_FOUND", "没有这个补助批次", field: "id") }
        let bytes = try await bodyBytes(request)
        let date = try JSONFields(object: try jsonObject(request, bytes: bytes)).date("date")
        let remote = remoteAddress(request, context)
        struct Line: Encodable { var payee: String; var bankName: String; var bankAccount: String; var amountFen: Int64; var amountInWords: String; var reference: String }
        struct Body: Encodable { var batch: Int; var status: String; var totalFen: Int64; var lines: [Line] }
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            let lines = try self.pay(t, user: user, batchID: id, date: date, remote: remote)
            return try StoredResponse.json(Body(
                batch: id, status: "paid", totalFen: lines.reduce(0) { $0 + $1.amountFen },
                lines: lines.map {
                    Line(payee: $0.payee, bankName: $0.bankName, bankAccount: $0.bankAccount, amountFen: $0.amountFen,
                         amountInWords: CapitalAmount.text(fen: $0.amountFen), reference: $0.reference)
                }))
        }
    }

    /// The payment file of a paid batch (CSV with BOM and 大写).
    func paymentFile(user: User, batchID: Int?) async throws -> Response {
        guard let id = batchID else { throw APIError(.notFound, "BATCH_NOT_FOUND", "没有这个补助批次", field: "id") }
        let lines = try await asUser(user) { t in
            do {
                _ = try Subsidies.load(t, batchID: id)
            } catch is SubsidyError {
                throw APIError(.notFound, "BATCH_NOT_FOUND", "没有补助批次 \(id)", field: "id")
            }
            return try Subsidies.paymentLines(t, batchID: id)
        }
        var response = JSONResponse.raw(Array(Subsidies.paymentFile(lines).utf8), contentType: "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = Downloads.attachment("payment-batch-\(id).csv")
        return response
    }

    /// POST /batches (form: period): the maker prepares a batch.
    func submitPrepare(_ request: Request, _ context: WebContext) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.preparers)
        let fields = try await checkedForm(request, session)
        guard let period = fields["period"].flatMap({ Period(parsing: $0) }) else {
            return try await batchesList(session, error: "请填写 YYYY-MM 格式的月份", status: .unprocessableContent)
        }
        let (user, remote) = (session.user, remoteAddress(request, context))
        do {
            let batch = try await asUser(user) { t in try self.prepare(t, user: user, period: period, remote: remote) }
            return Pages.redirect("/batches?prepared=\(batch.id)")
        } catch let error as APIError where error.status == .conflict {
            return try await batchesList(session, error: error.message, status: error.status)
        } catch let error as SubsidyError {
            return try await batchesList(session, error: error.message, status: .unprocessableContent)
        }
    }

    /// POST /batches/{id}/pay (form: date): the maker pays an approved batch.
    func submitPay(_ request: Request, _ context: WebContext) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.preparers)
        let fields = try await checkedForm(request, session)
        guard let id = context.parameters.get("id", as: Int.self) else { return try await batchesList(session, error: "没有这个补助批次", status: .notFound) }
        guard let date = fields["date"].flatMap({ LocalDate(parsing: $0) }) else {
            return try await batchesList(session, error: "请填写 YYYY-MM-DD 格式的支付日期", status: .unprocessableContent)
        }
        let (user, remote) = (session.user, remoteAddress(request, context))
        do {
            _ = try await asUser(user) { t in try self.pay(t, user: user, batchID: id, date: date, remote: remote) }
            return Pages.redirect("/batches?paid=\(id)")
        } catch let error as APIError where [.conflict, .notFound].contains(error.status) {
            return try await batchesList(session, error: error.message, status: error.status)
        } catch let error as SubsidyError {
            return try await batchesList(session, error: error.message, status: .unprocessableContent)
        } catch let error as LedgerError {
            return try await batchesList(session, error: ErrorMiddleware.translate(error).message, status: .conflict)
        }
    }

    // MARK: Periods

    struct CloseView: Encodable, Sendable {
        var period: String
        var chainSeq: Int64
        var chainHead: String
        var closedBy: String
        var closedAt: String
    }

    func closes(_ user: User) async throws -> [CloseView] {
        let book = configuration.bookCode
        return try await asUser(user) { t in
            try t.query(
                """
                SELECT c.period, c.chain_seq, encode(c.chain_head, 'hex'), c.closed_by, to_char(c.closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
                FROM relief.period_closes c JOIN relief.books b ON b.id = c.book_id WHERE b.code = $1 ORDER BY c.period DESC
                """, [book]
            ).rows.map {
                CloseView(
                    period: Period(yyyymm: try $0.decode(Int.self, at: 0))?.description ?? "", chainSeq: try $0.decode(Int64.self, at: 1),
                    chainHead: try $0.decode(String.self, at: 2), closedBy: try $0.decode(String.self, at: 3), closedAt: try $0.decode(String.self, at: 4))
            }
        }
    }

    /// Closes `period` as `user`: months close in order; PostgreSQL refuses a gap or a repeat.
    func close(_ t: isolated Connection, user: User, period: Period, remote: String) throws -> CloseView {
        let result = Result { () throws(PostgresError) -> PostgresRow in
            try t.query(
                "SELECT chain_seq, encode(chain_head, 'hex') FROM relief.close_period($1, $2, $3)", [configuration.bookCode, period.yyyymm, user.actorName]
            ).single()
        }
        if case .failure(let error) = result, error.sqlState?.hasPrefix("RL") == true || error.sqlState == "23505" {
            throw APIError(.conflict, "PERIOD_CLOSE_REFUSED", "不能结账 \(period)：\(error.message)", field: "period")
        }
        let row = try result.get()
        try Access.audit(t, user, action: "period.close", target: period.description, remote: remote)
        return CloseView(
            period: period.description, chainSeq: try row.decode(Int64.self, at: 0), chainHead: try row.decode(String.self, at: 1),
            closedBy: user.actorName, closedAt: "")
    }

    /// POST /api/v1/periods/{YYYY-MM}/close.
    func apiClose(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.closers)
        let key = try idempotencyKey(request)
        let text = context.parameters.get("period")
        guard let period = text.flatMap({ Period(parsing: $0) }) else { throw APIError.invalidPeriod(text) }
        let bytes = try await bodyBytes(request)
        try emptyOrJSONObject(request, bytes: bytes)
        let remote = remoteAddress(request, context)
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            try StoredResponse.json(try self.close(t, user: user, period: period, remote: remote), status: .created)
        }
    }

    /// GET /periods: the closes, and for the approver the form that closes the next month.
    func periodsPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.financeReaders)
        return try await periodsList(session, notice: request.uri.queryParameters.get("closed").map { "\($0) 已结账" }, error: error, status: status)
    }

    func periodsList(_ session: WebSession, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let list = try await closes(session.user)
        let closedThrough = list.first.flatMap { Period(parsing: $0.period) }
        var nextPeriod = closedThrough.flatMap(\.next)
        if nextPeriod == nil {
            // Nothing closed yet: the book's first month.
            let book = configuration.bookCode
            let first = try await asUser(session.user) { t in
                try t.query("SELECT min(e.period) FROM relief.entries e JOIN relief.books b ON b.id = e.book_id WHERE b.code = $1", [book])
                    .single().decodeOptional(Int.self, at: 0)
            }
            nextPeriod = first.flatMap { Period(yyyymm: $0) }
        }
        if nextPeriod == nil { nextPeriod = try await defaultPeriod(session.user) }
        let next = nextPeriod ?? todayInChina().period
        var object: [String: Any] = [
            "title": "结账", "user": Pages.userBlock(session), "csrf": session.csrfToken,
            "canClose": Self.closers.contains(session.user.role), "next": next.description, "hasCloses": !list.isEmpty,
            "closes": list.map { ["period": $0.period, "seq": String($0.chainSeq), "head": $0.chainHead, "by": $0.closedBy, "at": $0.closedAt] },
        ]
        if let notice { object["notice"] = notice }
        if let error { object["error"] = error }
        return Pages.html("periods", object, status: status)
    }

    /// POST /periods/close (form: period).
    func submitClose(_ request: Request, _ context: WebContext) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.closers)
        let fields = try await checkedForm(request, session)
        guard let period = fields["period"].flatMap({ Period(parsing: $0) }) else {
            return try await periodsList(session, error: "请填写 YYYY-MM 格式的月份", status: .unprocessableContent)
        }
        let (user, remote) = (session.user, remoteAddress(request, context))
        do {
            _ = try await asUser(user) { t in try self.close(t, user: user, period: period, remote: remote) }
        } catch let error as APIError where error.status == .conflict {
            return try await periodsList(session, error: error.message, status: .conflict)
        }
        return Pages.redirect("/periods?closed=\(period)")
    }

    // MARK: Program

    struct RuleView: Encodable, Sendable {
        var version: Int
        var rateBasisPoints: Int
        var perMemberCapFen: Int64
        var perEnterpriseCapFen: Int64
        var eligibleChannels: [String]
        var effectiveFrom: String
    }

    struct ProgramView: Encodable, Sendable {
        var code: String
        var name: String
        var pairedCounty: String
        var noticeNumber: String
        var startsOn: String
        var endsOn: String
        var townships: [String]
        var enterprises: Int
        var suppliers: Int
        var products: Int
        var rules: [RuleView]
    }

    func programView(_ user: User) async throws -> ProgramView {
        let program = configuration.programCode
        return try await asUser(user) { t in
            guard let row = try t.query(
                """
                SELECT g.id, g.code, g.name, g.paired_county, g.notice_number, g.starts_on::text, g.ends_on::text, array_to_string(g.townships, ','),
                       (SELECT count(*) FROM relief.enterprises WHERE tenant_id = g.tenant_id)::int,
                       (SELECT count(*) FROM relief.suppliers WHERE tenant_id = g.tenant_id)::int,
                       (SELECT count(*) FROM relief.products WHERE tenant_id = g.tenant_id)::int
                FROM relief.programs g WHERE g.code = $1
                """, [program]
            ).rows.first else { throw APIError(.notFound, "PROGRAM_NOT_FOUND", "项目 \(program) 尚未设置：先运行 relief program setup") }
            let rules = try t.query(
                """
                SELECT version, rate_basis_points, per_member_cap_fen, per_enterprise_cap_fen, array_to_string(eligible_channels, ','), effective_from::text
                FROM relief.subsidy_rules WHERE program_id = $1 ORDER BY version DESC
                """, [try row.decode(Int.self, at: 0)]
            ).rows.map {
                RuleView(
                    version: try $0.decode(Int.self, at: 0), rateBasisPoints: try $0.decode(Int.self, at: 1), perMemberCapFen: try $0.decode(Int64.self, at: 2),
                    perEnterpriseCapFen: try $0.decode(Int64.self, at: 3), eligibleChannels: try $0.decode(String.self, at: 4).split(separator: ",").map(String.init),
                    effectiveFrom: try $0.decode(String.self, at: 5))
            }
            return ProgramView(
                code: try row.decode(String.self, at: 1), name: try row.decode(String.self, at: 2), pairedCounty: try row.decode(String.self, at: 3),
                noticeNumber: try row.decode(String.self, at: 4), startsOn: try row.decode(String.self, at: 5), endsOn: try row.decode(String.self, at: 6),
                townships: try row.decode(String.self, at: 7).split(separator: ",").map(String.init), enterprises: try row.decode(Int.self, at: 8),
                suppliers: try row.decode(Int.self, at: 9), products: try row.decode(Int.self, at: 10), rules: rules)
        }
    }

    /// A rule version from fields (API JSON or form), with errors naming the field.
    static func rule(_ fields: JSONFields) throws -> SubsidyRule {
        let channels = try fields.string("channels").split(whereSeparator: { $0 == "," || $0 == "，" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !channels.isEmpty else { throw APIError(.unprocessableContent, "VALIDATION_FAILED", "至少列出一个合规渠道", field: "channels") }
        let rule = SubsidyRule(
            version: try fields.integer("version", in: 1...10_000), rateBasisPoints: try fields.integer("rate_bp", in: 0...10_000),
            perMemberCapFen: try fields.money("member_cap").fen, perEnterpriseCapFen: try fields.money("enterprise_cap").fen,
            eligibleChannels: Set(channels), effectiveFrom: try fields.date("effective_from"))
        do {
            try rule.validate()
        } catch {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", error.chineseDescription, field: error.field)
        }
        return rule
    }

    func addRule(_ t: isolated Connection, user: User, rule: SubsidyRule, remote: String) throws {
        let taken = try t.query(
            "SELECT 1 FROM relief.subsidy_rules r JOIN relief.programs g ON g.id = r.program_id WHERE g.code = $1 AND r.version = $2",
            [configuration.programCode, rule.version])
        guard taken.rows.isEmpty else {
            throw APIError(.conflict, "RULE_EXISTS", "规则版本 \(rule.version) 已存在；规则版本一经记录不再修改，新规则请用更大的版本号", field: "version")
        }
        do {
            try Subsidies.addRule(t, programCode: configuration.programCode, rule: rule)
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw APIError(.conflict, "RULE_EXISTS", "规则版本 \(rule.version) 已存在；新规则请用更大的版本号", field: "version")
        } catch let error as PostgresError where error.sqlState == "23514" {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "规则不合规：\(error.message)")
        } catch let error as SubsidyError {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "规则不合规：\(error.message)")
        }
        try Access.audit(t, user, action: "subsidy.rule", target: String(rule.version), remote: remote)
    }

    /// POST /api/v1/subsidy/rules {"version", "rate_bp", "member_cap", "enterprise_cap", "channels", "effective_from"}.
    func apiAddRule(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.preparers)
        let key = try idempotencyKey(request)
        let bytes = try await bodyBytes(request)
        let rule = try Self.rule(JSONFields(object: try jsonObject(request, bytes: bytes)))
        let remote = remoteAddress(request, context)
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            try self.addRule(t, user: user, rule: rule, remote: remote)
            return try StoredResponse.json(
                RuleView(
                    version: rule.version, rateBasisPoints: rule.rateBasisPoints, perMemberCapFen: rule.perMemberCapFen,
                    perEnterpriseCapFen: rule.perEnterpriseCapFen, eligibleChannels: rule.eligibleChannels.sorted(), effectiveFrom: rule.effectiveFrom.description),
                status: .created)
        }
    }

    /// GET /program: the program, its master data counts and rule versions; the preparer's form for a new version.
    func programPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.financeReaders)
        return try await programDisplay(session, notice: request.uri.queryParameters.get("rule").map { "规则版本 \($0) 已添加" })
    }

    func programDisplay(_ session: WebSession, notice: String? = nil, error: String? = nil, values: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let view = try await programView(session.user)
        let next = (view.rules.map(\.version).max() ?? 0) + 1
        let programObject: [String: String] = [
            "code": view.code, "name": view.name, "county": view.pairedCounty, "notice": view.noticeNumber, "starts": view.startsOn, "ends": view.endsOn,
            "townships": view.townships.joined(separator: "、"), "enterprises": String(view.enterprises), "suppliers": String(view.suppliers),
            "products": String(view.products),
        ]
        let rules: [[String: String]] = view.rules.map { rule in
            let rate = String(format: "%d.%02d%%", rule.rateBasisPoints / 100, rule.rateBasisPoints % 100)
            return [
                "version": String(rule.version), "rate": rate, "memberCap": Money(fen: rule.perMemberCapFen).formatted,
                "enterpriseCap": Money(fen: rule.perEnterpriseCapFen).formatted, "channels": rule.eligibleChannels.joined(separator: "、"),
                "from": rule.effectiveFrom,
            ]
        }
        var form: [String: String] = [:]
        for name in ["rate_bp", "member_cap", "enterprise_cap", "effective_from"] { form[name] = values[name] ?? "" }
        form["version"] = values["version"] ?? String(next)
        form["channels"] = values["channels"] ?? Self.channels.joined(separator: ",")
        form["csrf"] = session.csrfToken
        var object: [String: Any] = ["title": "项目设置", "user": Pages.userBlock(session), "csrf": session.csrfToken]
        object["program"] = programObject
        object["rules"] = rules
        object["canAddRule"] = Self.preparers.contains(session.user.role)
        object["form"] = form
        if let notice { object["notice"] = notice }
        if let error { object["error"] = error }
        return Pages.html("program", object, status: status)
    }

    /// POST /program/rules (form).
    func submitRule(_ request: Request, _ context: WebContext) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.preparers)
        let fields = try await checkedForm(request, session)
        var object: [String: Any] = [:]
        for name in ["channels", "member_cap", "enterprise_cap", "effective_from"] { object[name] = fields[name] ?? "" }
        for name in ["version", "rate_bp"] { object[name] = Int(fields[name] ?? "") ?? fields[name] ?? "" }
        let (user, remote) = (session.user, remoteAddress(request, context))
        do {
            let rule = try Self.rule(JSONFields(object: object))
            try await asUser(user) { t in try self.addRule(t, user: user, rule: rule, remote: remote) }
            return Pages.redirect("/program?rule=\(rule.version)")
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .conflict {
            return try await programDisplay(session, error: error.message, values: fields, status: error.status)
        }
    }
}
