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

/// A demo database with one user (and API token) per role, and the web app on it.
struct WebFixture {
    let database: ReliefDatabase
    /// A login-role (superuser) connection for setup and for counting behind the app's back.
    let admin: Connection
    let users: [Role: User]
    let tokens: [Role: String]
    let metrics: RequestMetrics
    let data = DemoData()

    static let passwords: [Role: String] = [
        .admin: "admin password 1", .financePreparer: "preparer password 1", .financeApprover: "approver password 1",
        .enterpriseClerk: "clerk password 1", .auditor: "auditor password 1",
    ]

    static func login(_ role: Role) -> String { "web-" + role.rawValue.replacingOccurrences(of: "_", with: "-") }

    static func make(_ label: String, volume: DemoData.Volume = .seed) async throws -> WebFixture {
        let configuration = try await TestDatabase.fresh("web_" + label)
        let database = try await ReliefDatabase.open(configuration)
        let admin = try await Connection.connect(configuration)
        let data = DemoData(volume: volume)
        _ = try await admin.run { c in try Demo.load(c, volume: volume) }
        var users: [Role: User] = [:]
        var tokens: [Role: String] = [:]
        for role in Role.allCases {
            let enterprise = role == .enterpriseClerk ? data.enterprises.rows[0].cells[0] : nil
            let (login, password) = (Self.login(role), Self.passwords[role]!)
            users[role] = try await admin.run { c in
                try Access.addUser(c, login: login, displayName: "网页\(role.rawValue)", role: role, enterpriseCreditCode: enterprise, password: password)
            }
            tokens[role] = try await admin.run { c in try Access.createToken(c, login: login, name: "test", days: 1) }
        }
        return WebFixture(database: database, admin: admin, users: users, tokens: tokens, metrics: RequestMetrics())
    }

    func close() async {
        await admin.close()
        await database.close()
    }

    var application: some ApplicationProtocol {
        WebApp.makeApplication(
            database: database, configuration: WebConfiguration(host: "127.0.0.1", port: 0, formKey: Array(repeating: 7, count: 32)), metrics: metrics)
    }

    /// Runs `body` against the router (no sockets).
    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await application.test(.router, body)
    }

    /// Runs `body` against the app listening on a real socket (127.0.0.1, `client.port`), for a browser.
    func testLive<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await application.test(.live, body)
    }

    func count(_ sql: String) async throws -> Int {
        try await admin.run { c in try c.query(sql).single().decode(Int.self, at: 0) }
    }

    /// Purchases and entries: what a refused request must leave unchanged.
    func fingerprint() async throws -> [Int] {
        [
            try await count("SELECT count(*) FROM relief.purchases"), try await count("SELECT count(*) FROM relief.purchase_lines"),
            try await count("SELECT count(*) FROM relief.entries"), try await count("SELECT count(*) FROM relief.postings"),
        ]
    }

    var clerkEnterprise: String { data.enterprises.rows[0].cells[0] }
    var otherEnterprise: String { data.enterprises.rows[1].cells[0] }

    /// A valid purchase body built from the demo's first May purchase line.
    func purchaseBody(enterprise: String? = nil, date: String = "2020-05-20", invoice: String, amountOverride: String? = nil) -> [String: Any] {
        let template = data.purchasesMay
        var cells: [String: String] = [:]
        for column in ImportLayouts.purchases.columns {
            if let index = template.headers.firstIndex(where: { column.headers.contains($0) }) { cells[column.key] = template.rows[0].cells[index] }
        }
        return [
            "enterprise": enterprise ?? clerkEnterprise, "supplier": cells["supplier"]!, "date": date, "channel": cells["channel"]!,
            "purpose": cells["purpose"]!, "invoice_number": invoice, "invoice_date": date, "seller_tax_id": cells["seller_tax_id"]!,
            "lines": [[
                "product": cells["product"]!, "quantity": cells["quantity"]!, "unit": cells["unit"]!, "unit_price": cells["unit_price"]!,
                "amount": amountOverride ?? cells["amount"]!,
            ]],
        ]
    }
}

extension WebFixture {
    /// Records an eligible purchase in 2020-`month` (for the clerk's enterprise) and prepares that
    /// month's subsidy batch as `preparer`; returns the batch's id.
    func preparedBatch(month: Int, preparer: User) async throws -> Int {
        try await purchase(month: month, actor: preparer.actorName)
        let actor = preparer.actorName
        return try await admin.run { c in
            try Subsidies.prepare(c, programCode: Demo.programCode, period: Period(year: 2020, month: month)!, actorName: actor)
        }
    }

    /// Records one eligible purchase in 2020-`month` for the clerk's enterprise.
    func purchase(month: Int, actor: String) async throws {
        let table = purchaseTable(key: "BATCH-\(month)", invoice: String(format: "790000%02d", month), date: String(format: "2020-%02d-15", month))
        _ = try await admin.run { c in try Purchases.importPurchases(c, table, programCode: Demo.programCode, actorName: actor) }
    }

    /// A one-line purchase file from the demo's first May line, with its key, invoice and dates
    /// replaced, for `enterprise` (the clerk's by default).
    func purchaseTable(key: String, invoice: String, date: String, enterprise: String? = nil) -> Table {
        let template = data.purchasesMay
        var cells = template.rows[0].cells
        func set(_ key: String, _ value: String) {
            let column = ImportLayouts.purchases.columns.first { $0.key == key }!
            cells[template.headers.firstIndex { column.headers.contains($0) }!] = value
        }
        set("key", key)
        set("date", date)
        set("invoice_date", date)
        set("invoice", invoice)
        set("enterprise", enterprise ?? clerkEnterprise)
        return Table(fileName: "\(key).csv", headers: template.headers, rows: [TableRow(line: 2, cells: cells)])
    }

    /// A table as CSV text (UTF-8).
    static func csv(_ table: Table) -> String {
        CSV.row(table.headers) + table.rows.map { CSV.row($0.cells) }.joined()
    }
}

// MARK: Requests

func headers(_ token: String? = nil, json: Bool = false, key: String? = nil, cookie: String? = nil) -> HTTPFields {
    var fields: HTTPFields = [:]
    if let token { fields[.authorization] = "Bearer \(token)" }
    if json { fields[.contentType] = "application/json" }
    if let key { fields[.idempotencyKey] = key }
    if let cookie { fields[.cookie] = cookie }
    return fields
}

func jsonBuffer(_ object: Any) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

func formBuffer(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }

    /// name → value of every Set-Cookie.
    var cookies: [String: String] {
        var cookies: [String: String] = [:]
        for value in headers[values: .setCookie] {
            let pair = value.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2 { cookies[parts[0]] = parts[1] }
        }
        return cookies
    }

    func setCookie(_ name: String) -> String? { headers[values: .setCookie].first { $0.hasPrefix(name + "=") } }
}

/// The value of `<input … name="csrf" value="…">` in a page.
func csrfToken(in html: String) -> String? {
    guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
    let rest = html[range.upperBound...]
    return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
}
