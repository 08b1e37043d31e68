import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import Postgres
import ReliefCore
import ReliefStore

/// What a spreadsheet upload can be: the CLI's `relief import` kinds.
enum ImportKind: String, Sendable, CaseIterable {
    case enterprises, suppliers, products, purchases
    case bankStatement = "bank-statement"
    case supplierConfirmations = "supplier-confirmations"

    var title: String {
        switch self {
        case .enterprises: return "企业名单"
        case .suppliers: return "供应商名录"
        case .products: return "商品目录"
        case .purchases: return "采购明细"
        case .bankStatement: return "银行对账单"
        case .supplierConfirmations: return "供应商确认单"
        }
    }

    /// Who may upload it. Master data: the administrator and the finance preparer; purchases:
    /// also a clerk (its own enterprise's only); bank and supplier files: the preparer.
    var roles: Set<Role> {
        switch self {
        case .enterprises, .suppliers, .products: return [.admin, .financePreparer]
        case .purchases: return [.admin, .financePreparer, .enterpriseClerk]
        case .bankStatement, .supplierConfirmations: return [.financePreparer]
        }
    }

    /// Imports `table` as `user`, all or nothing (the caller's transaction).
    func run(_ t: isolated Connection, _ table: Table, user: User, programCode: String, bookCode: String) throws -> ImportSummary {
        switch self {
        case .enterprises: return try MasterData.importEnterprises(t, table)
        case .suppliers: return try MasterData.importSuppliers(t, table)
        case .products: return try MasterData.importProducts(t, table)
        case .purchases:
            if user.role == .enterpriseClerk { try Self.checkOwnEnterprise(table, user: user) }
            return try Purchases.importPurchases(t, table, programCode: programCode, actorName: user.actorName)
        case .bankStatement: return try BankReconciliation.importStatement(t, table, bookCode: bookCode, actorName: user.actorName)
        case .supplierConfirmations: return try SupplierConfirmations.importFile(t, table, programCode: programCode, actorName: user.actorName)
        }
    }

    /// A clerk's file may hold only its own enterprise's purchases: every other line is named
    /// (row-level security would refuse them anyway, but without saying which line).
    static func checkOwnEnterprise(_ table: Table, user: User) throws {
        let (rows, _) = ImportLayouts.purchases.map(table)
        let (records, _) = RecordParser.purchases(rows)
        let header = ImportLayouts.purchases.columns.first { $0.key == "enterprise" }?.headers.first
        let problems = records.filter { $0.enterpriseCreditCode != user.enterpriseCode }.prefix(ImportView.maximumProblemsShown).map {
            ImportProblem(line: $0.line, column: header, message: "企业录入员只能导入本企业（\(user.enterpriseCode ?? "")）的采购，此行是 \($0.enterpriseCreditCode)")
        }
        if !problems.isEmpty { throw ImportErrors(fileName: table.fileName, problems: Array(problems)) }
    }
}

/// Import results and problems as the API and the pages show them.
enum ImportView {
    /// The most problems a page lists (the API returns them all).
    static let maximumProblemsShown = 500
    /// The largest spreadsheet accepted (8 MiB).
    static let maximumFileBytes = 8 << 20

    struct Summary: Encodable, Sendable {
        var kind: String
        var fileName: String
        var rows: Int
        var created: Int
        var unchanged: Int
        var ineligibleLines: Int
        var entriesPosted: Int
    }

    static func summary(_ kind: ImportKind, fileName: String, _ summary: ImportSummary) -> Summary {
        Summary(
            kind: kind.rawValue, fileName: fileName, rows: summary.rows, created: summary.created, unchanged: summary.unchanged,
            ineligibleLines: summary.ineligibleLines, entriesPosted: summary.entriesPosted)
    }

    /// A refused import as a 422 listing every problem with its line and column.
    static func validationError(_ errors: ImportErrors) -> APIError {
        let problems = errors.problems.map { APIError.Problem(field: $0.column, line: $0.line, message: $0.message) }
        return APIError(
            .unprocessableContent, "IMPORT_FAILED", "文件 \(errors.fileName) 有 \(problems.count) 处错误，未导入任何内容：" + (problems.first?.message ?? ""),
            field: problems.first?.field, problems: problems)
    }

    /// A file that cannot be read as CSV or XLSX.
    static func unreadable(_ error: TableReadError) -> APIError {
        APIError(
            .unprocessableContent, "FILE_UNREADABLE", "\(error.fileName)：\(error.chineseDescription)", field: error.column,
            problems: [APIError.Problem(field: error.column, line: error.line, message: error.chineseDescription)])
    }

    /// A safe display name for an uploaded file: its last path component, printable, at most 100 characters.
    static func fileName(_ raw: String?, kind: ImportKind) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(base.unicodeScalars.filter { !$0.properties.generalCategory.isControl }.map(Character.init).prefix(100))
        return clean.isEmpty ? "\(kind.rawValue).csv" : clean
    }
}

extension Unicode.GeneralCategory {
    var isControl: Bool { self == .control || self == .format }
}

/// One part of a `multipart/form-data` body.
struct FormPart: Sendable {
    var name: String
    var fileName: String?
    var body: [UInt8]
}

/// Reads `multipart/form-data` bodies (file uploads from the pages) with MultipartKit's parser.
enum MultipartForm {
    /// The most parts a form may have.
    static let maximumParts = 16

    /// The boundary of a `multipart/form-data` Content-Type, or nil.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            let value = part.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// The parts of `bytes`; throws a 400 when the body is not well-formed.
    static func parse(_ bytes: ByteBuffer, boundary: String) throws -> [FormPart] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [FormPart] = []
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var tooMany = false
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in body += buffer.readableBytesView }
        parser.onPartComplete = {
            defer {
                headers = []
                body = []
            }
            guard parts.count < maximumParts else {
                tooMany = true
                return
            }
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            guard let name = parameter("name", in: disposition) else { return }
            parts.append(FormPart(name: name, fileName: parameter("filename", in: disposition), body: body))
        }
        do {
            try parser.execute(bytes)
        } catch {
            throw APIError(.badRequest, "MALFORMED_FORM", "上传的表单格式不正确（multipart/form-data）")
        }
        if tooMany { throw APIError(.badRequest, "MALFORMED_FORM", "表单字段过多") }
        return parts
    }

    /// A parameter of a Content-Disposition value (`name="file"`).
    static func parameter(_ key: String, in disposition: String) -> String? {
        for item in disposition.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

extension WebServer {
    func addImportRoutes(to router: Router<WebContext>) {
        router.post("/api/v1/imports/:kind") { request, context in try await self.apiImport(request, context) }
        router.get("/imports") { request, _ in try await self.importPage(request, kinds: ImportKind.allCases, action: "/imports") }
        // The finance import page is for finance and the administrator; clerks upload on /purchases/upload.
        router.post("/imports") { request, context in try await self.submitImport(request, context, action: "/imports") }
        router.get("/purchases/upload") { request, _ in try await self.importPage(request, kinds: [.purchases], action: "/purchases/upload") }
        router.post("/purchases/upload") { request, context in try await self.submitImport(request, context, action: "/purchases/upload") }
    }

    /// Who may open an upload page: the finance one is not for clerks, the clerk's one only for clerks.
    static func importPageRoles(_ action: String) -> Set<Role> {
        action == "/imports" ? [.admin, .financePreparer] : [.enterpriseClerk]
    }

    /// The import kind named in the path or form: 404 when unknown, 403 for a role that may not.
    func importKind(_ text: String?, user: User) throws -> ImportKind {
        guard let text, let kind = ImportKind(rawValue: text) else {
            throw APIError(.notFound, "IMPORT_KIND_NOT_FOUND", "没有这种导入：\((text ?? "").prefix(40))；可选 \(ImportKind.allCases.map(\.rawValue).joined(separator: "、"))", field: "kind")
        }
        guard kind.roles.contains(user.role) else { throw APIError.forbidden(user.role, allowed: kind.roles) }
        return kind
    }

    /// Reads and imports one file as `user` in one transaction; the summary, or a 422 with every problem.
    func importFile(_ t: isolated Connection, kind: ImportKind, bytes: [UInt8], fileName: String, user: User, remote: String) throws -> ImportView.Summary {
        let table: Table
        do {
            table = try TableReader.read(bytes, fileName: fileName)
        } catch {
            throw ImportView.unreadable(error)
        }
        let summary = try kind.run(t, table, user: user, programCode: configuration.programCode, bookCode: configuration.bookCode)
        try Access.audit(t, user, action: "import.\(kind.rawValue)", target: fileName, detail: ["rows": String(summary.rows), "created": String(summary.created)], remote: remote)
        return ImportView.summary(kind, fileName: fileName, summary)
    }

    /// POST /api/v1/imports/{kind}?file_name=NAME: the body is the file (CSV or XLSX), at most 8 MiB.
    func apiImport(_ request: Request, _ context: WebContext) async throws -> Response {
        let user = try await authenticate(request, allowed: Self.everyone)
        let kind = try importKind(context.parameters.get("kind"), user: user)
        let key = try idempotencyKey(request)
        let mediaType = Self.mediaType(request) ?? ""
        let accepted = ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"]
        guard accepted.contains(mediaType) else {
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type 应为 text/csv 或 XLSX 的类型", field: "Content-Type")
        }
        let bytes = try await bodyBytes(request, limit: ImportView.maximumFileBytes)
        var fileName = ImportView.fileName(request.uri.queryParameters.get("file_name"), kind: kind)
        if !fileName.contains(".") { fileName += mediaType == "text/csv" ? ".csv" : ".xlsx" }
        let remote = remoteAddress(request, context)
        let name = fileName
        return try await idempotent(user, key: key, requestHash: Self.requestHash(request, body: bytes)) { t in
            try StoredResponse.json(try self.importFile(t, kind: kind, bytes: bytes, fileName: name, user: user, remote: remote), status: .created)
        }
    }

    /// GET /imports and /purchases/upload: the upload form.
    func importPage(_ request: Request, kinds: [ImportKind], action: String) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.importPageRoles(action))
        return importForm(session, kinds: kinds, action: action, selected: request.uri.queryParameters.get("kind"))
    }

    func importForm(_ session: WebSession, kinds: [ImportKind], action: String, selected: String?, result: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
        let allowed = kinds.filter { $0.roles.contains(session.user.role) }
        var object: [String: Any] = [
            "title": action == "/imports" ? "导入" : "上传采购表", "user": Pages.userBlock(session), "csrf": session.csrfToken,
            "action": action, "kinds": allowed.map { ["value": $0.rawValue, "label": $0.title, "selected": $0.rawValue == selected] },
            "single": allowed.count == 1, "singleKind": allowed.first?.rawValue ?? "",
        ]
        object.merge(result) { _, new in new }
        return Pages.html("imports", object, status: status)
    }

    /// POST /imports and /purchases/upload (multipart/form-data: csrf, kind, file): the summary, or
    /// every problem by line and column, with nothing imported.
    func submitImport(_ request: Request, _ context: WebContext, action: String) async throws -> Response {
        let kinds: [ImportKind] = action == "/imports" ? ImportKind.allCases : [.purchases]
        let session = try await requireSession(request, allowed: Self.importPageRoles(action))
        guard let boundary = MultipartForm.boundary(request.headers[.contentType]) else {
            throw APIError(.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "请通过页面上的上传表单提交")
        }
        let parts = try MultipartForm.parse(try await body(request, limit: ImportView.maximumFileBytes + 64 * 1024), boundary: boundary)
        func field(_ name: String) -> String? { parts.first { $0.name == name }.map { String(decoding: $0.body, as: UTF8.self) } }
        guard let csrf = field("csrf"), Secrets.equal(csrf, session.csrfToken) else {
            throw APIError(.forbidden, "CSRF_FAILED", "表单已失效，请刷新页面后重试")
        }
        let kind = try importKind(field("kind"), user: session.user)
        guard kinds.contains(kind) else { throw APIError(.notFound, "IMPORT_KIND_NOT_FOUND", "此页面不能导入\(kind.title)") }
        guard let file = parts.first(where: { $0.name == "file" }), !file.body.isEmpty else {
            return importForm(session, kinds: kinds, action: action, selected: kind.rawValue, result: ["error": "请选择要上传的文件"], status: .unprocessableContent)
        }
        let fileName = ImportView.fileName(file.fileName, kind: kind)
        let (user, remote, bytes) = (session.user, remoteAddress(request, context), file.body)
        do {
            let summary = try await asUser(user) { t in try self.importFile(t, kind: kind, bytes: bytes, fileName: fileName, user: user, remote: remote) }
            let notice = "\(kind.title) \(fileName) 已导入：共 \(summary.rows) 行，新增 \(summary.created)，已存在 \(summary.unchanged)"
                + (kind == .purchases ? "，不合格 \(summary.ineligibleLines) 行" : "")
            return importForm(session, kinds: kinds, action: action, selected: kind.rawValue, result: ["notice": notice])
        } catch let error as ImportErrors {
            return importForm(session, kinds: kinds, action: action, selected: kind.rawValue, result: Self.problemObject(ImportView.validationError(error)), status: .unprocessableContent)
        } catch let error as APIError where error.status == .unprocessableContent {
            return importForm(session, kinds: kinds, action: action, selected: kind.rawValue, result: Self.problemObject(error), status: .unprocessableContent)
        }
    }

    /// A refusal's problems as template values (line, column, message).
    static func problemObject(_ error: APIError) -> [String: Any] {
        let problems = (error.problems ?? []).prefix(ImportView.maximumProblemsShown)
        return [
            "error": error.message, "hasProblems": !problems.isEmpty,
            "problems": problems.map { ["line": $0.line.map(String.init) ?? "—", "column": $0.field ?? "—", "message": $0.message] },
        ]
    }
}
