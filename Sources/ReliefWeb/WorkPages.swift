import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// The pages that change things: a clerk records a purchase, a finance approver approves a
/// subsidy batch. Forms only (no JavaScript), each with the session's CSRF token.
extension WebServer {
    /// Who may see the subsidy batches page.
    static let batchReaders: Set<Role> = [.financePreparer, .financeApprover, .auditor, .admin]
    /// Who may record a purchase through the page (the clerk, for its own enterprise).
    static let purchasePageWriters: Set<Role> = [.enterpriseClerk]

    /// The purchase channels and purposes the form offers.
    static let channels = ["832平台", "专馆专区专柜", "直采", "消费券"]
    static let purposes = ["节日慰问", "爱心消费", "食堂"]

    func addWorkPageRoutes(to router: Router<WebContext>) {
        router.get("/purchases/new") { request, _ in try await self.purchaseFormPage(request) }
        router.post("/purchases") { request, context in try await self.submitPurchase(request, context) }
        router.get("/batches") { request, _ in try await self.batchesPage(request) }
        router.post("/batches/:id/approve") { request, context in try await self.submitApproval(request, context) }
    }

    /// The signed-in session when its role is in `allowed`; otherwise the response to send
    /// (the login page when signed out, 403 for another role).
    func pageSession(_ request: Request, allowed: Set<Role>) async throws -> Result<WebSession, PageRefusal> {
        guard let session = try await session(request) else { return .failure(PageRefusal(response: Pages.redirect("/login"))) }
        guard allowed.contains(session.user.role) else {
            return .failure(PageRefusal(response: Pages.errorPage(APIError(.forbidden, "FORBIDDEN", "当前角色（\(Pages.roleName(session.user.role))）无权访问此页面"))))
        }
        return .success(session)
    }

    /// A form post's fields after its CSRF token checked out against the session's.
    func checkedForm(_ request: Request, _ session: WebSession) async throws -> [String: String] {
        guard Self.mediaType(request) == "application/x-www-form-urlencoded" else {
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "请通过页面上的表单提交")
        }
        let fields = Pages.form(try await body(request, limit: 64 * 1024))
        guard let csrf = fields["csrf"], Secrets.equal(csrf, session.csrfToken) else {
            throw APIError(.forbidden, "CSRF_FAILED", "表单已失效，请刷新页面后重试")
        }
        return fields
    }

    // MARK: Purchases

    /// The form's choices: suppliers and products the user may see.
    struct PurchaseChoices: Sendable {
        var suppliers: [(code: String, name: String)]
        var products: [(code: String, name: String, supplierName: String)]
        var enterpriseName: String?
    }

    func purchaseChoices(_ user: User) async throws -> PurchaseChoices {
        try await asUser(user) { t in
            let tenant = MasterData.tenantID
            let suppliers = try t.query("SELECT credit_code, name FROM relief.suppliers WHERE tenant_id = $1 ORDER BY name, credit_code", [tenant]).rows.map {
                (code: try $0.decode(String.self, at: 0), name: try $0.decode(String.self, at: 1))
            }
            let products = try t.query(
                """
                SELECT p.code, p.name, s.name FROM relief.products p JOIN relief.suppliers s ON s.id = p.supplier_id
                WHERE p.tenant_id = $1 ORDER BY s.name, p.name, p.code
                """, [tenant]
            ).rows.map { (code: try $0.decode(String.self, at: 0), name: try $0.decode(String.self, at: 1), supplierName: try $0.decode(String.self, at: 2)) }
            let name = try user.enterpriseID.flatMap { id in
                try t.query("SELECT name FROM relief.enterprises WHERE id = $1", [id]).rows.first?.decode(String.self, at: 0)
            }
            return PurchaseChoices(suppliers: suppliers, products: products, enterpriseName: name)
        }
    }

    /// The purchase form, filled with `values`, with `problems` by field ("" for the whole form).
    func purchaseForm(_ session: WebSession, values: [String: String], problems: [String: [String]] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let choices = try await purchaseChoices(session.user)
        func options(_ list: [(String, String)], selected: String?) -> [[String: Any]] {
            list.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
        }
        func field(_ name: String, _ label: String, type: String = "text", choices: [(String, String)]? = nil, hint: String? = nil) -> [String: Any] {
            var object: [String: Any] = ["name": name, "label": label, "type": type, "value": values[name] ?? ""]
            if let choices {
                object["isSelect"] = true
                object["options"] = options(choices, selected: values[name])
            }
            if let hint { object["hint"] = hint }
            if let messages = problems[name], !messages.isEmpty { object["problems"] = messages }
            return object
        }
        let fields: [[String: Any]] = [
            field("supplier", "供应商", choices: choices.suppliers.map { ($0.code, "\($0.name)（\($0.code)）") }),
            field("product", "商品", choices: choices.products.map { ($0.code, "\($0.supplierName) · \($0.name)（\($0.code)）") }),
            field("date", "采购日期", type: "date"),
            field("channel", "采购渠道", choices: Self.channels.map { ($0, $0) }),
            field("purpose", "用途", choices: Self.purposes.map { ($0, $0) }),
            field("invoice_number", "发票号码"),
            field("invoice_date", "开票日期", type: "date"),
            field("seller_tax_id", "销售方纳税人识别号", hint: "留空则使用所选供应商的统一社会信用代码"),
            field("quantity", "数量"),
            field("unit", "单位"),
            field("unit_price", "单价（元）"),
            field("amount", "金额（元）"),
        ]
        var object: [String: Any] = [
            "title": "录入采购", "user": Pages.userBlock(session), "csrf": session.csrfToken, "fields": fields,
            "purchaseKey": values["purchase_key"] ?? "", "enterpriseName": choices.enterpriseName ?? session.user.enterpriseCode ?? "",
        ]
        let general = problems[""] ?? []
        let count = problems.values.reduce(0) { $0 + $1.count }
        if count > 0 {
            object["problemCount"] = String(count)
            if !general.isEmpty { object["generalProblems"] = general }
        }
        return Pages.html("purchaseForm", object, status: status)
    }

    /// GET /purchases/new: an empty form with a fresh 采购单号 (so a double submit records once).
    func purchaseFormPage(_ request: Request) async throws -> Response {
        let session: WebSession
        switch try await pageSession(request, allowed: Self.purchasePageWriters) {
        case .success(let value): session = value
        case .failure(let refusal): return refusal.response
        }
        let today = todayInChina().description
        return try await purchaseForm(session, values: [
            "purchase_key": Self.newPurchaseKey(), "date": today, "invoice_date": today, "channel": Self.channels[0], "purpose": Self.purposes[0],
        ])
    }

    /// "WEB-" and 16 random hex digits.
    static func newPurchaseKey() -> String { "WEB-" + Chain.hex(Secrets.randomBytes(8)).uppercased() }

    /// The form field a problem of the API's `field` belongs to ("" for the whole form).
    static func formField(_ field: String?) -> String {
        guard var field else { return "" }
        if field.hasPrefix("lines["), let dot = field.firstIndex(of: ".") { field = String(field[field.index(after: dot)...]) }
        let known: Set<String> = [
            "supplier", "product", "date", "channel", "purpose", "invoice_number", "invoice_date", "seller_tax_id", "quantity", "unit", "unit_price", "amount",
        ]
        return known.contains(field) ? field : ""
    }

    /// POST /purchases: records the purchase through the API's path; back to the dashboard, or
    /// the form again with the problems by field.
    func submitPurchase(_ request: Request, _ context: WebContext) async throws -> Response {
        let session: WebSession
        switch try await pageSession(request, allowed: Self.purchasePageWriters) {
        case .success(let value): session = value
        case .failure(let refusal): return refusal.response
        }
        let fields = try await checkedForm(request, session)
        let names = ["supplier", "product", "date", "channel", "purpose", "invoice_number", "invoice_date", "seller_tax_id", "quantity", "unit", "unit_price", "amount"]
        var values: [String: String] = [:]
        for name in names { values[name] = String((fields[name] ?? "").trimmingCharacters(in: .whitespaces).prefix(200)) }
        var key = (fields["purchase_key"] ?? "").trimmingCharacters(in: .whitespaces)
        if !key.hasPrefix("WEB-") || key.count > 40 || !key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }) {
            key = Self.newPurchaseKey()
        }
        values["purchase_key"] = key
        let sellerTaxId = values["seller_tax_id"].flatMap { $0.isEmpty ? nil : $0 } ?? values["supplier"] ?? ""
        let object: [String: Any] = [
            "enterprise": session.user.enterpriseCode ?? "", "supplier": values["supplier"]!, "date": values["date"]!, "channel": values["channel"]!,
            "purpose": values["purpose"]!, "invoice_number": values["invoice_number"]!, "invoice_date": values["invoice_date"]!, "seller_tax_id": sellerTaxId,
            "lines": [[
                "product": values["product"]!, "quantity": values["quantity"]!, "unit": values["unit"]!, "unit_price": values["unit_price"]!,
                "amount": values["amount"]!,
            ]],
        ]
        do {
            let input = try PurchaseInput(object)
            _ = try await recordPurchase(user: session.user, input: input, key: key, remote: remoteAddress(request, context))
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .conflict {
            var problems: [String: [String]] = [:]
            if let list = error.problems, !list.isEmpty {
                for problem in list { problems[Self.formField(problem.field), default: []].append(problem.message) }
            } else {
                problems[Self.formField(error.field), default: []].append(error.message)
            }
            if error.status == .conflict { values["purchase_key"] = Self.newPurchaseKey() }
            return try await purchaseForm(session, values: values, problems: problems, status: error.status)
        }
        return Pages.redirect("/")
    }

    // MARK: Subsidy batches

    /// The batches page, with `message` (an error) or `notice` at the top.
    func batchesList(_ session: WebSession, error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let program = configuration.programCode
        let batches = try await asUser(session.user) { t in try Subsidies.batches(t, programCode: program) }
        let canApprove = Self.approvers.contains(session.user.role)
        let canPay = Self.preparers.contains(session.user.role)
        var nextPeriod = batches.map(\.period).max()?.next
        if nextPeriod == nil { nextPeriod = try await defaultPeriod(session.user) }
        let next = nextPeriod ?? todayInChina().period
        var object: [String: Any] = [
            "title": "补助批次", "user": Pages.userBlock(session), "csrf": session.csrfToken, "hasBatches": !batches.isEmpty,
            "canPrepare": canPay, "nextPeriod": next.description,
            "batches": batches.map { batch -> [String: Any] in
                [
                    "id": String(batch.id), "period": batch.period.description, "status": Self.statusName(batch.status), "statusCode": batch.status,
                    "preparedBy": batch.preparedBy, "approvedBy": batch.approvedBy ?? "—", "total": Money(fen: batch.totalFen).formatted,
                    "approvable": canApprove && batch.status == "prepared", "payable": canPay && batch.status == "approved",
                    "payDate": batch.period.lastDay.description, "paid": batch.status == "paid",
                ]
            },
        ]
        if let error { object["error"] = error }
        if let notice { object["notice"] = notice }
        return Pages.html("batches", object, status: status)
    }

    static func statusName(_ status: String) -> String {
        switch status {
        case "prepared": return "待审核"
        case "approved": return "已审核"
        case "paid": return "已支付"
        default: return status
        }
    }

    /// GET /batches.
    func batchesPage(_ request: Request) async throws -> Response {
        switch try await pageSession(request, allowed: Self.batchReaders) {
        case .success(let session):
            let query = request.uri.queryParameters
            let notice = query.get("approved").flatMap { Int($0) }.map { "补助批次 \($0) 已审核" }
                ?? query.get("prepared").flatMap { Int($0) }.map { "补助批次 \($0) 已制单，等待审核" }
                ?? query.get("paid").flatMap { Int($0) }.map { "补助批次 \($0) 已支付，可下载支付文件" }
            return try await batchesList(session, notice: notice)
        case .failure(let refusal): return refusal.response
        }
    }

    /// POST /batches/{id}/approve: the approver's approval; maker-checker and the other refusals
    /// show on the batches page.
    func submitApproval(_ request: Request, _ context: WebContext) async throws -> Response {
        let session: WebSession
        switch try await pageSession(request, allowed: Self.approvers) {
        case .success(let value): session = value
        case .failure(let refusal): return refusal.response
        }
        _ = try await checkedForm(request, session)
        guard let id = context.parameters.get("id", as: Int.self) else {
            return try await batchesList(session, error: "没有这个补助批次", status: .notFound)
        }
        do {
            _ = try await approve(user: session.user, batchID: id, remote: remoteAddress(request, context))
        } catch let error as APIError where error.status == .conflict || error.status == .notFound {
            return try await batchesList(session, error: error.message, status: error.status)
        }
        return Pages.redirect("/batches?approved=\(id)")
    }
}

/// A page request that cannot go on: the response to send instead.
struct PageRefusal: Error {
    var response: Response
}
