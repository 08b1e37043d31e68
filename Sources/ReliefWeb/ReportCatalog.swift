import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// What a report is computed from.
struct ReportArguments: Sendable {
    var bookCode: String
    var programCode: String
    var period: Period
    var account: String?
    var enterprise: String?
    /// The reader's role (a clerk's reports leave out what only finance may read).
    var role: Role
}

/// One report the API and the pages offer: who may read it, what it needs, how it is computed.
/// Every report is one ``Report`` model, so the page, CSV, XLSX and JSON never disagree.
struct ReportDefinition: Sendable {
    var key: String
    var title: String
    var roles: Set<Role>
    var needsAccount = false
    var needsEnterprise = false
    var make: @Sendable (isolated Connection, ReportArguments) throws -> Report
}

/// The formats a report downloads as.
enum ReportFormat: String, Sendable, CaseIterable {
    case json, csv, xlsx

    var contentType: String {
        switch self {
        case .json: return JSONResponse.contentType
        case .csv: return "text/csv; charset=utf-8"
        case .xlsx: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }
}

enum ReportCatalog {
    /// Finance, the administrator and auditors: the whole books.
    static let bookReaders: Set<Role> = [.admin, .financePreparer, .financeApprover, .auditor]
    /// Everyone; a clerk sees its own enterprise only (row-level security).
    static let everyone = Set(Role.allCases)

    /// Every report, in the order the index lists them.
    static let all: [ReportDefinition] = [
        ReportDefinition(key: "monthly", title: "月报（完成率排名）", roles: everyone) { c, a in
            try ProgramReports.monthly(c, programCode: a.programCode, period: a.period)
        },
        ReportDefinition(key: "statement", title: "对账单（补助）", roles: everyone, needsEnterprise: true) { c, a in
            try BookReports.enterpriseStatement(c, bookCode: a.bookCode, enterprise: a.enterprise ?? "", period: a.period)
        },
        ReportDefinition(key: "subsidy-ledger", title: "补助台账", roles: everyone) { c, a in
            try ProgramReports.subsidyLedger(c, programCode: a.programCode, asOf: a.period.lastDay, bankSettlement: a.role != .enterpriseClerk)
        },
        ReportDefinition(key: "trial-balance", title: "科目余额表", roles: bookReaders) { c, a in
            try BookReports.trialBalance(c, bookCode: a.bookCode, period: a.period)
        },
        ReportDefinition(key: "general-ledger", title: "总账", roles: bookReaders) { c, a in
            try BookReports.generalLedger(c, bookCode: a.bookCode, period: a.period)
        },
        ReportDefinition(key: "ledger", title: "明细账", roles: bookReaders, needsAccount: true) { c, a in
            try BookReports.accountLedger(c, bookCode: a.bookCode, accountCode: a.account ?? "", period: a.period)
        },
        ReportDefinition(key: "journal", title: "序时账", roles: bookReaders) { c, a in
            try BookReports.journal(c, bookCode: a.bookCode, period: a.period)
        },
        ReportDefinition(key: "by-township", title: "按乡镇汇总", roles: bookReaders) { c, a in
            try ProgramReports.breakdown(c, programCode: a.programCode, period: a.period, dimension: "township")
        },
        ReportDefinition(key: "by-category", title: "按品类汇总", roles: bookReaders) { c, a in
            try ProgramReports.breakdown(c, programCode: a.programCode, period: a.period, dimension: "category")
        },
        ReportDefinition(key: "by-channel", title: "按渠道汇总", roles: bookReaders) { c, a in
            try ProgramReports.breakdown(c, programCode: a.programCode, period: a.period, dimension: "channel")
        },
        ReportDefinition(key: "exceptions", title: "异常清单", roles: bookReaders) { c, a in
            try ProgramReports.exceptions(c, programCode: a.programCode, period: a.period)
        },
        ReportDefinition(key: "supervision", title: "县级工会督导", roles: bookReaders) { c, a in
            try ProgramReports.supervision(c, programCode: a.programCode, asOf: a.period.lastDay)
        },
        ReportDefinition(key: "subsidy-reconciliation", title: "补助核对", roles: bookReaders) { c, a in
            try SubsidyReconciliation.report(c, programCode: a.programCode, through: a.period)
        },
        ReportDefinition(key: "supplier-reconciliation", title: "供应商对账", roles: bookReaders) { c, a in
            try SupplierConfirmations.reconcile(c, programCode: a.programCode, period: a.period)
        },
        ReportDefinition(key: "bank-reconciliation", title: "银行存款余额调节表", roles: bookReaders) { c, a in
            try BankReconciliation.reconcile(c, bookCode: a.bookCode, period: a.period).statement.report()
        },
    ]

    static func definition(_ key: String) -> ReportDefinition? { all.first { $0.key == key } }
}

extension WebServer {
    func addReportRoutes(to router: Router<WebContext>) {
        router.get("/api/v1/reports") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.everyone)
            struct Item: Encodable { var key: String; var title: String; var parameters: [String] }
            struct Body: Encodable { var reports: [Item] }
            return JSONResponse.make(Body(reports: ReportCatalog.all.filter { $0.roles.contains(user.role) }.map {
                Item(key: $0.key, title: $0.title, parameters: ["period"] + ($0.needsAccount ? ["account"] : []) + ($0.needsEnterprise ? ["enterprise"] : []))
            }))
        }
        router.get("/api/v1/reports/:key") { request, context in
            let user = try await self.authenticate(request, allowed: Self.everyone)
            let (definition, arguments) = try self.reportRequest(request, context, user: user, defaultPeriod: nil)
            let format = try self.reportFormat(request, default: .json)
            let report = try await self.asUser(user) { t in try definition.make(t, arguments) }
            return try Self.download(report, key: definition.key, arguments: arguments, format: format)
        }
        router.get("/reports") { request, _ in try await self.reportIndexPage(request) }
        router.get("/reports/:key") { request, context in try await self.reportPage(request, context) }
    }

    /// The report and its arguments from the path and query: 404 for an unknown report, 403 for a
    /// role that may not read it, 400 for a missing or malformed parameter. A clerk's enterprise
    /// is always its own.
    func reportRequest(_ request: Request, _ context: WebContext, user: User, defaultPeriod: Period?) throws -> (ReportDefinition, ReportArguments) {
        let key = context.parameters.get("key") ?? ""
        guard let definition = ReportCatalog.definition(key) else {
            throw APIError(.notFound, "REPORT_NOT_FOUND", "没有报表 \(key.prefix(40))；可用的报表见 GET /api/v1/reports", field: "key")
        }
        guard definition.roles.contains(user.role) else { throw APIError.forbidden(user.role, allowed: definition.roles) }
        let query = request.uri.queryParameters
        var period = defaultPeriod
        if let text = query.get("period"), !text.isEmpty || defaultPeriod == nil {
            guard let parsed = Period(parsing: text) else { throw APIError.invalidPeriod(text) }
            period = parsed
        }
        guard let period else { throw APIError.invalidPeriod(nil) }
        var arguments = ReportArguments(bookCode: configuration.bookCode, programCode: configuration.programCode, period: period, role: user.role)
        if definition.needsAccount {
            guard let account = query.get("account"), Self.isCode(account, maximum: 20) else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "明细账需要科目代码 account（如 102）", field: "account")
            }
            arguments.account = account
        }
        if definition.needsEnterprise {
            if user.role == .enterpriseClerk {
                arguments.enterprise = user.enterpriseCode
            } else {
                guard let enterprise = query.get("enterprise"), Self.isCode(enterprise, maximum: 18) else {
                    throw APIError(.badRequest, "INVALID_PARAMETER", "对账单需要企业的统一社会信用代码 enterprise", field: "enterprise")
                }
                arguments.enterprise = enterprise
            }
        }
        return (definition, arguments)
    }

    /// Letters and digits only, at most `maximum` of them: account codes and credit codes.
    static func isCode(_ text: String, maximum: Int) -> Bool {
        !text.isEmpty && text.count <= maximum && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// The `format` query parameter.
    func reportFormat(_ request: Request, default fallback: ReportFormat) throws -> ReportFormat {
        guard let text = request.uri.queryParameters.get("format"), !text.isEmpty else { return fallback }
        guard let format = ReportFormat(rawValue: text.lowercased()) else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "format 只能是 json、csv 或 xlsx", field: "format")
        }
        return format
    }

    /// The report as a file to download (JSON inline).
    static func download(_ report: Report, key: String, arguments: ReportArguments, format: ReportFormat) throws -> Response {
        let bytes: [UInt8]
        switch format {
        case .json: bytes = Array(try report.renderJSON().utf8)
        case .csv: bytes = Array(report.renderCSV().utf8)
        case .xlsx: bytes = try report.renderXLSX()
        }
        var response = JSONResponse.raw(bytes, contentType: format.contentType)
        if format != .json {
            let name = [key, arguments.enterprise, arguments.account, arguments.period.description].compactMap { $0 }.joined(separator: "-")
            response.headers[.contentDisposition] = Downloads.attachment("\(name).\(format.rawValue)")
        }
        return response
    }

    // MARK: Pages

    /// GET /reports: the reports the user may read.
    func reportIndexPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.everyone)
        let period = try await defaultPeriod(session.user)
        let items = ReportCatalog.all.filter { $0.roles.contains(session.user.role) }.map { definition -> [String: Any] in
            ["key": definition.key, "title": definition.title, "period": period.description]
        }
        return Pages.html("reportIndex", ["title": "报表", "user": Pages.userBlock(session), "reports": items])
    }

    /// GET /reports/{key}: the report as a page, or a download with `format`.
    func reportPage(_ request: Request, _ context: WebContext) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.everyone)
        let user = session.user
        let fallback = try await defaultPeriod(user)
        let (definition, arguments) = try reportRequestForPage(request, context, user: user, defaultPeriod: fallback)
        if let format = request.uri.queryParameters.get("format"), !format.isEmpty, format != "html" {
            guard let arguments else { throw APIError(.badRequest, "INVALID_PARAMETER", "请先选择报表参数") }
            let chosen = try reportFormat(request, default: .csv)
            let report = try await asUser(user) { t in try definition.make(t, arguments) }
            return try Self.download(report, key: definition.key, arguments: arguments, format: chosen)
        }
        let choices = try await reportChoices(user, definition: definition)
        var object: [String: Any] = [
            "title": definition.title, "user": Pages.userBlock(session), "key": definition.key,
            "period": (arguments?.period ?? fallback).description,
        ]
        if definition.needsAccount {
            object["hasAccounts"] = true
            object["accounts"] = choices.accounts.map { ["value": $0.code, "label": "\($0.code) \($0.name)", "selected": $0.code == arguments?.account] }
        }
        if definition.needsEnterprise && user.role != .enterpriseClerk {
            object["hasEnterprises"] = true
            object["enterprises"] = choices.enterprises.map { ["value": $0.code, "label": $0.name, "selected": $0.code == arguments?.enterprise] }
        }
        if arguments == nil, definition.needsAccount, let first = choices.accounts.first { object["hint"] = "请选择科目，例如 \(first.code)" }
        if arguments == nil, definition.needsEnterprise { object["hint"] = "请选择企业" }
        if let arguments {
            let report = try await asUser(user) { t in try definition.make(t, arguments) }
            object.merge(Self.reportObject(report)) { _, new in new }
            let query = Self.queryString(arguments)
            object["downloads"] = ReportFormat.allCases.map { ["label": $0.rawValue.uppercased(), "href": "/reports/\(definition.key)?\(query)&format=\($0.rawValue)"] }
        }
        return Pages.html("report", object)
    }

    /// Like ``reportRequest(_:_:user:defaultPeriod:)``, but a missing account or enterprise
    /// leaves the arguments nil (the page then asks for them).
    func reportRequestForPage(_ request: Request, _ context: WebContext, user: User, defaultPeriod: Period) throws -> (ReportDefinition, ReportArguments?) {
        do {
            let (definition, arguments) = try reportRequest(request, context, user: user, defaultPeriod: defaultPeriod)
            return (definition, arguments)
        } catch let error as APIError where error.field == "account" || error.field == "enterprise" {
            let query = request.uri.queryParameters
            let missing = error.field.flatMap { query.get($0) }.map(\.isEmpty) ?? true
            guard missing, let definition = ReportCatalog.definition(context.parameters.get("key") ?? "") else { throw error }
            return (definition, nil)
        }
    }

    /// The query string that reproduces `arguments` (values are codes and a month: URL-safe).
    static func queryString(_ arguments: ReportArguments) -> String {
        var parts = ["period=\(arguments.period)"]
        if let account = arguments.account { parts.append("account=\(account)") }
        if let enterprise = arguments.enterprise { parts.append("enterprise=\(enterprise)") }
        return parts.joined(separator: "&")
    }

    /// A report as template values: header cells, rows, totals and notes, numbers right-aligned.
    static func reportObject(_ report: Report) -> [String: Any] {
        func cells(_ row: [Report.Value]) -> [[String: Any]] {
            zip(report.columns, row).map { column, value in
                ["text": report.display(value), "num": column.kind == .money || column.kind == .number]
            }
        }
        var object: [String: Any] = [
            "reportTitle": report.title,
            "columns": report.columns.map { ["title": $0.title, "num": $0.kind == .money || $0.kind == .number] },
            "rows": report.rows.map { ["cells": cells($0)] }, "hasRows": !report.rows.isEmpty, "notes": report.notes,
        ]
        if let totals = report.totals { object["totals"] = ["cells": cells(totals)] }
        return object
    }

    /// Accounts and enterprises for the report's parameter form.
    struct ReportChoices: Sendable {
        var accounts: [(code: String, name: String)] = []
        var enterprises: [(code: String, name: String)] = []
    }

    func reportChoices(_ user: User, definition: ReportDefinition) async throws -> ReportChoices {
        guard definition.needsAccount || (definition.needsEnterprise && user.role != .enterpriseClerk) else { return ReportChoices() }
        let book = configuration.bookCode
        return try await asUser(user) { t in
            var choices = ReportChoices()
            if definition.needsAccount {
                choices.accounts = try Reports.accounts(t, bookID: try Reports.bookID(t, code: book)).map { ($0.code, $0.name) }
            }
            if definition.needsEnterprise {
                choices.enterprises = try t.query("SELECT credit_code, name FROM relief.enterprises WHERE tenant_id = $1 ORDER BY name", [MasterData.tenantID]).rows.map {
                    (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
                }
            }
            return choices
        }
    }

    /// The month pages open on: that of the latest purchase the user can see, else this month.
    func defaultPeriod(_ user: User) async throws -> Period {
        let program = configuration.programCode
        return try await asUser(user) { t in try Self.latestPurchasePeriod(t, programCode: program) } ?? todayInChina().period
    }

    /// The month of the latest purchase the transaction's user can see (row-level security applies).
    ///
    /// Read from the kept monthly totals (0010), which hold a row for every program, enterprise
    /// and month with a purchase line, under the same row-level security as the purchases: at
    /// most twelve rows a year per enterprise. The max of the purchases' dates scanned every
    /// purchase of the program on each dashboard and report page: 44–61 ms at 200,000
    /// purchases, against 1.5–2 ms here.
    static func latestPurchasePeriod(_ t: isolated Connection, programCode: String) throws -> Period? {
        try t.query(
            """
            SELECT max(t.period) FROM relief.purchase_month_totals t JOIN relief.programs g ON g.id = t.program_id
            WHERE g.code = $1
            """,
            [programCode], prepared: true
        ).single().decodeOptional(Int.self, at: 0).flatMap { Period(yyyymm: $0) }
    }
}
