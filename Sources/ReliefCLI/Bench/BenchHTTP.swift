import AsyncHTTPClient
import Foundation
import NIOCore
import Postgres
import ReliefCore
import ReliefStore
import ReliefWeb

/// (f) The web app under concurrent connections: purchase POSTs through the JSON API and the
/// finance dashboard page, served in this process on a free port and driven by wrk when it is
/// installed (``BenchWrk``), else by AsyncHTTPClient in this process.
struct BenchHTTP {
    /// Concurrent connections of the HTTP phase.
    static let connections = 16
    /// Seconds of unmeasured POSTs before the measured ones: a run then measures the steady
    /// state, not the opening of 16 HTTP connections, the server's database connections and
    /// their prepared statements.
    static let warmUpSeconds = 1
    /// Added to a warm-up client's index for its keys and invoices (two digits in an invoice).
    static let warmUpSlotOffset = 50
    /// wrk's slots (each of its threads adds its index): warm-up, then measured.
    static let wrkWarmUpSlot = 70
    static let wrkSlot = 80
    /// Stands for the invoice number in the body handed to wrk's script.
    static let invoicePlaceholder = "RELIEF-BENCH-INVOICE"
    /// A POST's invoice number from its slot and its count: 9, two digits, seventeen (20 digits,
    /// as the importer asks). The same format in Swift and in wrk's Lua (`string.format`).
    static let invoiceFormat = "9%02d%017d"
    /// The most attempts to read the bound port (the server starts in the background).
    static let startPollLimit = 500

    let plan: BenchPlan
    let database: ReliefDatabase
    let admin: Connection

    struct Result {
        /// Which client drove the figures.
        var client: String
        var post: HTTPFigures
        var dashboard: HTTPFigures
        /// With wrk: the in-process client's POSTs in the seconds after, as runs before wrk measured.
        var inProcessPost: HTTPFigures?
    }

    func run() async throws -> Result {
        let (token, purchase, password) = try await prepareUsers()
        let portBox = PortBox()
        let app = WebApp.makeApplication(
            database: database, configuration: WebConfiguration(host: "127.0.0.1", port: 0), onListening: { port in await portBox.set(port) })
        let server = Task { try await app.run() }
        var port = 0
        for _ in 0..<Self.startPollLimit {
            port = await portBox.port
            if port != 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard port != 0 else {
            server.cancel()
            throw Failure(description: "relief bench: the web server did not start")
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow  // the login's 303 carries the session cookie
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: Self.connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let base = "http://127.0.0.1:\(port)"
            let cookie = try await signIn(client, base: base, login: "bench-finance", password: password)
            // `slot` keeps keys and invoices apart: 0..<16 measured, warm-up slots above.
            let postOne: @Sendable (Int, Int) async throws -> Void = { slot, n in
                var request = HTTPClientRequest(url: base + "/api/v1/purchases")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Idempotency-Key", value: "BENCH-HTTP-\(slot)-\(n)")
                request.body = .bytes(ByteBuffer(bytes: purchase(String(format: Self.invoiceFormat, slot, n))))
                let response = try await client.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                guard response.status.code == 201 else {
                    throw Failure(description: "relief bench: POST /api/v1/purchases answered \(response.status.code): \(String(buffer: body).prefix(300))")
                }
            }
            let result: Result
            if let wrk = BenchWrk.find() {
                let driven = try await driveWithWrk(wrk, base: base, token: token, cookie: cookie, purchase: purchase)
                let inProcess = try await measure { slot, n in try await postOne(slot, n) }
                result = Result(client: driven.client, post: driven.post, dashboard: driven.dashboard, inProcessPost: HTTPFigures(inProcess))
            } else {
                // Unmeasured: the client's connections, the server's pool and its prepared statements.
                _ = try await BenchClock.measure(clients: Self.connections, seconds: Self.warmUpSeconds) { slot, n in
                    try await postOne(Self.warmUpSlotOffset + slot, n)
                }
                let post = try await measure { slot, n in try await postOne(slot, n) }
                let dashboard = try await measure { _, _ in
                    // As a user opens it: the page finds its month itself (the latest with purchases).
                    var request = HTTPClientRequest(url: base + "/")
                    request.headers.add(name: "Cookie", value: cookie)
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 4 << 20)
                    guard response.status.code == 200 else {
                        throw Failure(description: "relief bench: GET / answered \(response.status.code): \(String(buffer: body).prefix(300))")
                    }
                }
                result = Result(
                    client: "AsyncHTTPClient in this process (wrk not installed)", post: HTTPFigures(post), dashboard: HTTPFigures(dashboard),
                    inProcessPost: nil)
            }
            try await client.shutdown()
            server.cancel()
            _ = await server.result
            return result
        } catch {
            try? await client.shutdown()
            server.cancel()
            _ = await server.result
            throw error
        }
    }

    /// The POSTs (after unmeasured ones) and the dashboard GETs, each a wrk run.
    private func driveWithWrk(
        _ wrk: BenchWrk, base: String, token: String, cookie: String, purchase: @Sendable (String) -> [UInt8]
    ) async throws -> (client: String, post: HTTPFigures, dashboard: HTTPFigures) {
        let body = String(decoding: purchase(Self.invoicePlaceholder), as: UTF8.self).components(separatedBy: Self.invoicePlaceholder)
        guard body.count == 2 else { throw Failure(description: "relief bench: the purchase body does not hold its invoice once") }
        let folder = NSTemporaryDirectory()
        var post = BenchWrk.Load(
            url: base + "/api/v1/purchases", connections: Self.connections, seconds: Self.warmUpSeconds,
            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: (body[0], body[1]),
            slot: Self.wrkWarmUpSlot, expectedStatus: 201)
        _ = try await wrk.run(post, folder: folder)
        post.seconds = plan.runSeconds
        post.slot = Self.wrkSlot
        let posted = try await wrk.run(post, folder: folder)
        let dashboard = BenchWrk.Load(
            url: base + "/", connections: Self.connections, seconds: plan.runSeconds, headers: [("Cookie", cookie)], body: nil, slot: 0,
            expectedStatus: 200)
        let shown = try await wrk.run(dashboard, folder: folder)
        return ("wrk (\(wrk.executable), a separate process, \(BenchWrk.threads) threads)", posted, shown)
    }

    /// A clerk with an API token, a finance approver with a password, and a purchase body maker
    /// (the invoice number given; unique per request) copied from an imported purchase of the
    /// clerk's enterprise.
    private func prepareUsers() async throws -> (String, @Sendable (String) -> [UInt8], String) {
        let password = "bench password 1"
        let (token, template) = try await admin.run { c -> (String, [String: String]) in
            let row = try c.query(
                """
                SELECT e.credit_code, s.credit_code, pr.code, l.quantity::text, l.unit, l.unit_price, l.amount_fen, p.channel, p.purpose, p.seller_tax_id
                FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id JOIN relief.enterprises e ON e.id = p.enterprise_id
                JOIN relief.suppliers s ON s.id = p.supplier_id JOIN relief.products pr ON pr.id = l.product_id
                WHERE l.eligible ORDER BY p.id LIMIT 1
                """
            ).single()
            let enterprise = try row.decode(String.self, at: 0)
            _ = try Access.addUser(c, login: "bench-clerk", displayName: "基准录入员", role: .enterpriseClerk, enterpriseCreditCode: enterprise, password: password)
            _ = try Access.addUser(c, login: "bench-finance", displayName: "基准审核", role: .financeApprover, enterpriseCreditCode: nil, password: password)
            let token = try Access.createToken(c, login: "bench-clerk", name: "bench", days: 1)
            let price = try row.decode(Int64.self, at: 5)
            let amount = try row.decode(Int64.self, at: 6)
            return (token, [
                "enterprise": enterprise, "supplier": try row.decode(String.self, at: 1), "product": try row.decode(String.self, at: 2),
                "quantity": try row.decode(String.self, at: 3), "unit": try row.decode(String.self, at: 4),
                "unit_price": UnitPrice(tenThousandthsOfYuan: price)?.description ?? "", "amount": Money(fen: amount).plain,
                "channel": try row.decode(String.self, at: 7), "purpose": try row.decode(String.self, at: 8), "seller_tax_id": try row.decode(String.self, at: 9),
            ])
        }
        let maker: @Sendable (String) -> [UInt8] = { invoice in
            let object: [String: Any] = [
                "enterprise": template["enterprise"]!, "supplier": template["supplier"]!, "date": "2020-06-18", "channel": template["channel"]!,
                "purpose": template["purpose"]!, "invoice_number": invoice, "invoice_date": "2020-06-18", "seller_tax_id": template["seller_tax_id"]!,
                "lines": [[
                    "product": template["product"]!, "quantity": template["quantity"]!, "unit": template["unit"]!, "unit_price": template["unit_price"]!,
                    "amount": template["amount"]!,
                ]],
            ]
            return Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        }
        return (token, maker, password)
    }

    /// Signs in through the login form; returns the session cookie.
    private func signIn(_ client: HTTPClient, base: String, login: String, password: String) async throws -> String {
        let form = try await client.execute(HTTPClientRequest(url: base + "/login"), timeout: .seconds(30))
        let page = String(buffer: try await form.body.collect(upTo: 1 << 20))
        let pre = form.headers["set-cookie"].first { $0.hasPrefix("relief_login=") }?.split(separator: ";").first.map(String.init) ?? ""
        guard let range = page.range(of: #"name="csrf" value=""#) else { throw Failure(description: "relief bench: no CSRF token on /login") }
        let csrf = String(page[range.upperBound...].prefix { $0 != "\"" })
        var request = HTTPClientRequest(url: base + "/login")
        request.method = .POST
        request.headers.add(name: "Cookie", value: pre)
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        request.body = .bytes(ByteBuffer(string: "login=\(login)&password=\(encoded)&csrf=\(csrf)"))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard let session = response.headers["set-cookie"].first(where: { $0.hasPrefix("relief_session=") })?.split(separator: ";").first else {
            throw Failure(description: "relief bench: signing in as \(login) failed (\(response.status.code))")
        }
        return String(session)
    }

    private func measure(_ operation: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> LatencySample {
        try await BenchClock.measure(clients: Self.connections, seconds: plan.runSeconds, operation)
    }
}

/// The port the server bound, once it is listening.
actor PortBox {
    var port = 0
    func set(_ value: Int) { port = value }
}
