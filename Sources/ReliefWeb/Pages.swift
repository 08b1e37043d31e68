import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Postgres
import ReliefCore
import ReliefStore

/// Server-rendered pages (Simplified Chinese, no JavaScript): login, the dashboard, logout.
enum Pages {
    /// Role names as clerks read them.
    static func roleName(_ role: Role) -> String {
        switch role {
        case .admin: return "系统管理员"
        case .financePreparer: return "财务制单"
        case .financeApprover: return "财务审核"
        case .enterpriseClerk: return "企业录入员"
        case .auditor: return "审计"
        }
    }

    /// An HTML response from a template.
    static func html(_ template: String, _ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let text = Templates.library.render(object, withTemplate: template) ?? "<!DOCTYPE html><title>模板错误</title>"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// 303 See Other to `location` (a path of ours).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    /// An error as a page.
    static func errorPage(_ error: APIError) -> Response {
        html("error", ["title": "出错了", "heading": "\(error.status.code) 出错了", "message": error.message], status: error.status)
    }

    /// The page's user block (name, role, logout form's CSRF token).
    static func userBlock(_ session: WebSession) -> [String: Any] {
        ["displayName": session.user.displayName, "roleName": roleName(session.user.role), "csrf": session.csrfToken, "nav": WebServer.nav(session.user)]
    }

    /// Decodes an `application/x-www-form-urlencoded` body.
    static func form(_ bytes: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: bytes).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String { String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first.map(decode), !name.isEmpty, fields[name] == nil else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

/// The report's cells by column key. The rows of one report share one index of its columns: a
/// dictionary per row, for 2,000 enterprises of which a page shows 100, was a tenth of the
/// dashboard's CPU (perf under wrk, docs/BENCHMARKS.md session 14).
struct ReportRow {
    let cells: [Report.Value]
    /// Column key to position, the first column of a key winning.
    let columns: [String: Int]

    init(_ row: [Report.Value], columns: [String: Int]) {
        cells = row
        self.columns = columns
    }

    /// Each row of `report`, sharing one index of its columns.
    static func rows(_ report: Report) -> [ReportRow] {
        let columns = Self.columns(report)
        return report.rows.map { ReportRow($0, columns: columns) }
    }

    static func columns(_ report: Report) -> [String: Int] {
        Dictionary(report.columns.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The cell of column `key`, nil when the report has no such column (or the row is short).
    func value(_ key: String) -> Report.Value? {
        guard let index = columns[key], index < cells.count else { return nil }
        return cells[index]
    }

    func text(_ key: String) -> String {
        switch value(key) {
        case .text(let text), .number(let text): return text
        case .fen(let fen): return Money(fen: fen).formatted
        case .empty, nil: return ""
        }
    }

    func fen(_ key: String) -> Int64 {
        if case .fen(let fen) = value(key) { return fen }
        return 0
    }
}

extension WebServer {
    /// The pages and their stylesheet.
    func addPageRoutes(to router: Router<WebContext>) {
        router.get("/login") { request, _ in try await self.loginPage(request) }
        router.post("/login") { request, context in try await self.submitLogin(request, context) }
        router.post("/logout") { request, context in try await self.logout(request, context) }
        router.get("/") { request, _ in try await self.dashboard(request) }
        addWorkPageRoutes(to: router)
        router.get("/assets/app.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: Templates.stylesheet)))
        }
    }

    /// The login form with a fresh pre-session cookie and the CSRF token bound to it.
    func loginForm(_ request: Request, preSession: String? = nil, login: String = "", error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let pre = preSession ?? Secrets.randomToken()
        var object: [String: Any] = ["title": "登录", "csrf": loginFormToken(preSession: pre), "login": login]
        if let error { object["error"] = error }
        var response = Pages.html("login", object, status: status)
        if preSession == nil {
            response.headers.append(HTTPField(name: .setCookie, value: Cookies.set(Cookies.login, pre, maxAge: 3600, secure: isSecure(request))))
        }
        return response
    }

    /// GET /login.
    func loginPage(_ request: Request) async throws -> Response {
        if try await session(request) != nil { return Pages.redirect("/") }
        return loginForm(request)
    }

    /// POST /login: checks the form's CSRF token against the pre-session cookie, then the password.
    func submitLogin(_ request: Request, _ context: WebContext) async throws -> Response {
        guard Self.mediaType(request) == "application/x-www-form-urlencoded" else {
            return loginForm(request, error: "请通过登录页面提交", status: .unsupportedMediaType)
        }
        let fields = Pages.form(try await body(request, limit: 16 * 1024))
        guard let pre = request.cookies[Cookies.login]?.value, Secrets.isToken(pre),
              let csrf = fields["csrf"], Secrets.equal(csrf, loginFormToken(preSession: pre))
        else {
            return loginForm(request, error: "页面已过期，请重新登录", status: .forbidden)
        }
        let login = String((fields["login"] ?? "").trimmingCharacters(in: .whitespaces).prefix(64))
        let password = fields["password"] ?? ""
        guard !login.isEmpty, !password.isEmpty else {
            return loginForm(request, preSession: pre, login: login, error: "请输入登录名和密码", status: .unprocessableContent)
        }
        let user: User
        do {
            user = try await logIn(login: login, password: password, remote: remoteAddress(request, context), channel: "web")
        } catch let error as AccessError {
            if case .throttled(let minutes) = error {
                return loginForm(request, preSession: pre, login: login, error: "登录失败次数过多，请\(minutes)分钟后再试", status: .tooManyRequests)
            }
            return loginForm(request, preSession: pre, login: login, error: "登录名或密码错误", status: .unauthorized)
        }
        try await endSession(request)  // a previous session of this browser, if any
        let value = try await startSession(for: user)
        let secure = isSecure(request)
        return Pages.redirect("/", cookies: [
            Cookies.set(Cookies.session, value, maxAge: configuration.sessionHours * 3600, secure: secure),
            Cookies.clear(Cookies.login, secure: secure),
        ])
    }

    /// POST /logout: needs the session's CSRF token.
    func logout(_ request: Request, _ context: WebContext) async throws -> Response {
        let secure = isSecure(request)
        guard let session = try await session(request) else {
            return Pages.redirect("/login", cookies: [Cookies.clear(Cookies.session, secure: secure)])
        }
        let fields = Pages.form(try await body(request, limit: 16 * 1024))
        guard let csrf = fields["csrf"], Secrets.equal(csrf, session.csrfToken) else {
            throw APIError(.forbidden, "CSRF_FAILED", "表单已失效，请刷新页面后重试")
        }
        try await endSession(request)
        let remote = remoteAddress(request, context)
        try await asUser(session.user) { t in try Access.audit(t, session.user, action: "logout", target: "web", remote: remote) }
        return Pages.redirect("/login", cookies: [Cookies.clear(Cookies.session, secure: secure)])
    }

    /// What the dashboard shows, read in one transaction as the user.
    struct DashboardData: Sendable {
        var period: Period
        var report: Report
        var lines: [PurchaseLineListing]
        var enterpriseName: String?
    }

    /// GET /: a clerk's own progress and purchases; everyone else's ranking of all enterprises.
    func dashboard(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return Pages.redirect("/login") }
        let user = session.user
        let requested = request.uri.queryParameters.get("period").flatMap { Period(parsing: String($0)) }
        let program = configuration.programCode
        let data = try await asUser(user) { t in
            let month = try requested ?? Self.latestPurchasePeriod(t, programCode: program) ?? todayInChina().period
            let report = try ProgramReports.monthly(t, programCode: program, period: month)
            let isClerk = user.role == .enterpriseClerk
            let lines = isClerk ? try PurchaseQueries.lines(t, programCode: program, ineligibleOnly: false, period: nil, limit: 200) : []
            let name = try user.enterpriseID.flatMap { id in
                try t.query("SELECT name FROM relief.enterprises WHERE id = $1", [id]).rows.first?.decode(String.self, at: 0)
            }
            return DashboardData(period: month, report: report, lines: lines, enterpriseName: name)
        }
        var object: [String: Any] = ["user": Pages.userBlock(session), "period": data.period.description]
        let rows = ReportRow.rows(data.report)
        if user.role == .enterpriseClerk {
            let own = rows.first { $0.text("credit_code") == user.enterpriseCode }
            let target = own?.fen("target_fen") ?? 0
            let cumulative = own?.fen("cumulative_fen") ?? 0
            let ineligible = own?.fen("ineligible_fen") ?? 0
            let share = Self.share(cumulative, target)
            object["title"] = "采购进度"
            object["enterpriseName"] = data.enterpriseName ?? user.enterpriseCode ?? ""
            object["target"] = Money(fen: target).formatted
            object["cumulative"] = Money(fen: cumulative).formatted
            object["completion"] = own?.text("completion") ?? "—"
            object["barWidth"] = String(format: "%.1f", min(share, 1) * 100)
            object["barColor"] = share >= 1 ? "#2e7d32" : "#c62828"
            if ineligible > 0 { object["ineligibleTotal"] = Money(fen: ineligible).formatted }
            object["hasLines"] = !data.lines.isEmpty
            object["lines"] = data.lines.map { line -> [String: Any] in
                [
                    "date": line.date, "purchaseKey": line.purchaseKey, "supplierName": line.supplierName, "productName": line.productName,
                    "amount": Money(fen: line.amountFen).formatted, "eligible": line.eligible, "reasons": line.reasons,
                ]
            }
            return Pages.html("clerk", object)
        }
        object["title"] = "完成率"
        object["showBatches"] = Self.batchReaders.contains(user.role)
        object.merge(Self.chart(rows)) { _, new in new }
        let requestedPage = request.uri.queryParameters.get("page").flatMap { Int(String($0)) }
        let page = Self.dashboardPage(requested: requestedPage, rowCount: rows.count)
        object["rows"] = rows[page.rows].map { row -> [String: Any] in
            [
                "rank": row.text("rank"), "fullName": row.text("enterprise"), "target": row.text("target_fen"), "month": row.text("month_fen"),
                "cumulative": row.text("cumulative_fen"), "completion": row.text("completion"), "ineligible": row.text("ineligible_fen"),
            ]
        }
        if page.count > 1 {
            let period = data.period.description
            object["paged"] = true
            object["page"] = String(page.number)
            object["pages"] = String(page.count)
            object["total"] = String(rows.count)
            // Set only when there is such a page: Mustache renders a section for any string, "" too.
            if page.number > 1 { object["prevHref"] = "/?period=\(period)&page=\(page.number - 1)" }
            if page.number < page.count { object["nextHref"] = "/?period=\(period)&page=\(page.number + 1)" }
            object["fullHref"] = "/reports/monthly?period=\(period)"
        }
        return Pages.html("overview", object)
    }

    /// Rows of the 月报 table on one dashboard page. A province has thousands of enterprises:
    /// rendering all of them made the page take 0.4 s at 2,000 (`relief bench`, phase f); the
    /// whole ranking is one link away (`/reports/monthly`, also as CSV and XLSX).
    static let dashboardRowsPerPage = 100

    /// The dashboard page `requested` (1-based; clamped to the pages there are, 1 when absent)
    /// of `rowCount` rows: its number, the number of pages (at least 1) and its rows.
    static func dashboardPage(requested: Int?, rowCount: Int) -> (number: Int, count: Int, rows: Range<Int>) {
        let count = max(1, (rowCount + dashboardRowsPerPage - 1) / dashboardRowsPerPage)
        let number = min(max(requested ?? 1, 1), count)
        let start = (number - 1) * dashboardRowsPerPage
        return (number, count, start..<min(start + dashboardRowsPerPage, rowCount))
    }

    /// cumulative / target as a fraction (0 when there is no target).
    static func share(_ cumulative: Int64, _ target: Int64) -> Double {
        target > 0 ? Double(cumulative) / Double(target) : 0
    }

    /// The ranking as an inline SVG bar chart: geometry computed here, names escaped by Mustache.
    /// At most this many bars: the first ``chartTopBars`` and the last ``chartBottomBars`` of the
    /// ranking (a province has thousands of enterprises; the table below lists them all).
    static let chartTopBars = 20
    static let chartBottomBars = 10

    static func chart(_ rows: [ReportRow]) -> [String: Any] {
        let (labelWidth, barMax, valueWidth, rowHeight) = (250.0, 420.0, 80.0, 24.0)
        let shown = rows.count > chartTopBars + chartBottomBars ? Array(rows.prefix(chartTopBars) + rows.suffix(chartBottomBars)) : rows
        let bars = shown.enumerated().map { index, row -> [String: Any] in
            let share = self.share(row.fen("cumulative_fen"), row.fen("target_fen"))
            let width = min(share, 1) * barMax
            let name = row.text("enterprise")
            return [
                "y": String(format: "%.0f", Double(index) * rowHeight), "rank": row.text("rank"),
                "name": name.count > 16 ? String(name.prefix(15)) + "…" : name, "fullName": name,
                "barX": String(format: "%.0f", labelWidth), "barMax": String(format: "%.0f", barMax), "width": String(format: "%.1f", width),
                "valueX": String(format: "%.1f", labelWidth + width + 6), "completion": row.text("completion"),
                "color": share >= 1 ? "#2e7d32" : (share >= 0.5 ? "#ef6c00" : "#c62828"),
            ]
        }
        var chart: [String: Any] = [
            "bars": bars, "hasBars": !bars.isEmpty,
            "chartWidth": String(format: "%.0f", labelWidth + barMax + valueWidth),
            "chartHeight": String(format: "%.0f", max(1, Double(bars.count)) * rowHeight + 4),
        ]
        // Only when bars were left out: Mustache renders a section for any string, "" too, and
        // the note then said "其余  家" under every short ranking.
        if rows.count > shown.count { chart["omitted"] = String(rows.count - shown.count) }
        return chart
    }
}

/// Today's date in UTC+8, the program's civil calendar.
func todayInChina() -> LocalDate {
    let seconds = Int(Date().timeIntervalSince1970) + 8 * 3600
    return LocalDate(daysSinceEpoch: seconds / 86_400) ?? LocalDate(year: 2000, month: 1, day: 1)!
}
