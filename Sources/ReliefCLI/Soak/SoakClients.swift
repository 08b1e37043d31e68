import AsyncHTTPClient
import Foundation
import NIOCore
import ReliefCore

/// A write the server acknowledged (2xx), to look for in the books afterwards.
enum SoakAck: Sendable {
    case purchase(key: String)
    case imported(keys: [String])
    case entry(key: String, seq: Int64)
    case reversal(ofSeq: Int64)
    case prepared(batch: Int, period: Int)
    case approved(batch: Int)
    case paid(batch: Int)
    case closed(period: Int)
}

/// What the clients did.
struct SoakLog: Sendable {
    var operations = 0
    var byKind: [String: Int] = [:]
    var acknowledged: [SoakAck] = []
    var refused: [String: Int] = [:]
    /// The first answer of each kind of refusal, to show why.
    var refusalSamples: [String: String] = [:]
    var retries = 0
    var replayed = 0
    var gaveUp = 0
    /// Answers that break a promise of the API (a key refused as reused for the same request).
    var broken: [String] = []
}

/// The answer to one write after its retries.
enum SoakAnswer {
    case answered(status: Int, body: String)
    case gaveUp
}

/// The soak's clients and the state they share: the oldest open month, the manual entries that
/// may be reversed, and the log.
actor SoakState {
    /// The most writes one client sends (a bound on every loop; the clock ends runs long before).
    static let writeLimitPerClient = 1_000_000
    /// The most attempts of one write.
    static let attemptLimit = 2_000
    /// Longest pause between two attempts of a write (milliseconds).
    static let backoffCapMilliseconds = 1_000

    let plan: SoakPlan
    let setup: SoakSetup
    let base: String
    let schedule: SoakSchedule
    private(set) var log = SoakLog()
    private var cursor = SoakRun.firstMonth
    private var reversible: [Int64] = []
    private var client: HTTPClient?

    init(plan: SoakPlan, setup: SoakSetup, port: Int, schedule: SoakSchedule) {
        self.plan = plan
        self.setup = setup
        self.base = "http://127.0.0.1:\(port)"
        self.schedule = schedule
    }

    /// Runs every client until the end of the run (each finishes the write it started).
    func driveClients() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(30))
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: plan.clerks + 4)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        client = http
        await withTaskGroup(of: Void.self) { group in
            for (index, clerk) in setup.clerks.enumerated() {
                group.addTask { await self.clerkLoop(index, clerk, http) }
            }
            group.addTask { await self.financeLoop(http) }
            group.addTask { await self.monthLoop(http) }
        }
    }

    func shutdown() async {
        try? await client?.shutdown()
        client = nil
    }

    // MARK: clients

    /// An enterprise clerk: purchases of its enterprise, dated in an open month.
    private nonisolated func clerkLoop(_ index: Int, _ clerk: SoakSetup.Clerk, _ http: HTTPClient) async {
        var random = SoakRandom(seed: plan.seed &+ UInt64(index) &* 7919)
        for n in 0..<Self.writeLimitPerClient {
            guard await schedule.isRunning() else { return }
            let date = await openDate(&random)
            let key = "SOAK-C\(index)-\(n)"
            let body = purchaseJSON(enterprise: clerk.enterprise, date: date, invoice: String(format: "7%02d%017d", index, n))
            let answer = await write(http, "purchase", "/api/v1/purchases", token: clerk.token, key: key, body: body)
            await settle(answer, "purchase") { _ in .purchase(key: key) }
        }
    }

    /// The preparer: purchase imports, fund receipts (manual entries) and red reversals of them.
    private nonisolated func financeLoop(_ http: HTTPClient) async {
        var random = SoakRandom(seed: plan.seed ^ 0xF1_4A4C_E000)
        for n in 0..<Self.writeLimitPerClient {
            guard await schedule.isRunning() else { return }
            try? await Task.sleep(for: .milliseconds(random.int(50...400)))
            let date = await openDate(&random)
            switch random.int(0...9) {
            case 0...3:
                let keys = (0..<3).map { "SOAK-IMP-\(n)-\($0)" }
                let csv = importCSV(keys: keys, date: date, n: n, random: &random)
                let answer = await write(
                    http, "import", "/api/v1/imports/purchases?file_name=soak-\(n).csv", token: setup.preparerToken, key: "IMP-\(n)",
                    body: Array(csv.utf8), contentType: "text/csv")
                await settle(answer, "import") { _ in .imported(keys: keys) }
            case 4...6:
                let entryKey = "soak-fund-\(n)"
                let amount = Money(fen: Int64(random.int(1_000...5_000_000))).plain
                let body = jsonBytes([[
                    "idempotency_key": entryKey, "date": date, "description": "收到补助资金（soak \(n)）",
                    "postings": [["account": "102", "side": "借", "amount": amount], ["account": "403", "side": "贷", "amount": amount]],
                ]])
                let answer = await write(http, "entry", "/api/v1/entries", token: setup.preparerToken, key: "ENT-\(n)", body: body)
                await settle(answer, "entry") { text in Self.seq(in: text).map { .entry(key: entryKey, seq: $0) } }
            default:
                guard let seq = await takeReversible(&random) else { continue }
                let body = jsonBytes(["reason": "soak 冲销 \(n)", "date": date])
                let answer = await write(http, "reversal", "/api/v1/entries/\(seq)/reverse", token: setup.preparerToken, key: "REV-\(n)", body: body)
                await settle(answer, "reversal") { _ in .reversal(ofSeq: seq) }
            }
        }
    }

    /// Finance's month: every few seconds the oldest open month's batch is prepared, approved
    /// (by another person) and paid, and the month is closed.
    private nonisolated func monthLoop(_ http: HTTPClient) async {
        for _ in 0..<Self.writeLimitPerClient {
            try? await Task.sleep(for: .seconds(plan.monthSeconds))
            guard await schedule.isRunning() else { return }
            let month = await cursorMonth()
            guard month <= SoakRun.lastClosableMonth else { return }
            let code = month.description
            let prepared = await write(
                http, "prepare", "/api/v1/subsidy/batches", token: setup.preparerToken, key: "PREP-\(code)", body: jsonBytes(["period": code]))
            let batch = await settle(prepared, "prepare") { text in Self.integer("id", in: text).map { .prepared(batch: $0, period: month.yyyymm) } }
            if case .prepared(let id, _)? = batch {
                let approved = await write(
                    http, "approve", "/api/v1/subsidy/batches/\(id)/approve", token: setup.approverToken, key: "APPR-\(code)", body: jsonBytes([:]))
                if await settle(approved, "approve", { _ in .approved(batch: id) }) != nil {
                    let paid = await write(
                        http, "pay", "/api/v1/subsidy/batches/\(id)/pay", token: setup.preparerToken, key: "PAY-\(code)",
                        body: jsonBytes(["date": month.lastDay.description]))
                    await settle(paid, "pay") { _ in .paid(batch: id) }
                }
            }
            let closed = await write(http, "close", "/api/v1/periods/\(code)/close", token: setup.approverToken, key: "CLOSE-\(code)", body: jsonBytes([:]))
            if await settle(closed, "close", { _ in .closed(period: month.yyyymm) }) != nil { await advance(past: month) }
        }
    }

    // MARK: shared state

    private func cursorMonth() -> Period { cursor }

    private func advance(past month: Period) {
        if cursor == month, let next = month.next { cursor = next }
    }

    /// A date in the oldest open month or the one after (never past December 2020).
    private func openDate(_ random: inout SoakRandom) -> String {
        var month = cursor
        if random.int(0...1) == 1, month.month < 12, let next = month.next { month = next }
        return LocalDate(year: month.year, month: month.month, day: random.int(1...28))!.description
    }

    private func takeReversible(_ random: inout SoakRandom) -> Int64? {
        guard !reversible.isEmpty else { return nil }
        return reversible.remove(at: random.int(0...(reversible.count - 1)))
    }

    /// Logs an answer; for a 2xx, records the acknowledged write `ack` makes of the body.
    @discardableResult
    private func settle(_ answer: SoakAnswer, _ kind: String, _ ack: (String) -> SoakAck?) async -> SoakAck? {
        log.operations += 1
        log.byKind[kind, default: 0] += 1
        switch answer {
        case .gaveUp:
            log.gaveUp += 1
            return nil
        case .answered(let status, let body) where (200..<300).contains(status):
            guard let acknowledged = ack(body) else {
                log.broken.append("\(kind): a \(status) answer without what it acknowledges: \(body.prefix(200))")
                return nil
            }
            log.acknowledged.append(acknowledged)
            await schedule.noteAcknowledged()
            if case .entry(_, let seq) = acknowledged { reversible.append(seq) }
            return acknowledged
        case .answered(let status, let body):
            let code = Self.errorCode(in: body) ?? "HTTP \(status)"
            if code == "IDEMPOTENCY_KEY_REUSED" { log.broken.append("\(kind): the same request was refused as a reused key: \(body.prefix(200))") }
            log.refused["\(kind) \(code)", default: 0] += 1
            if log.refusalSamples["\(kind) \(code)"] == nil { log.refusalSamples["\(kind) \(code)"] = String(body.prefix(240)) }
            return nil
        }
    }

    private func countRetry() { log.retries += 1 }
    private func countReplay() { log.replayed += 1 }

    // MARK: HTTP

    /// Sends a write until it is answered (anything but a 5xx or a broken connection), with the
    /// same Idempotency-Key every time; gives up after the grace period that follows the run.
    private nonisolated func write(
        _ http: HTTPClient, _ kind: String, _ path: String, token: String, key: String, body: [UInt8], contentType: String = "application/json"
    ) async -> SoakAnswer {
        var pauseMilliseconds = 50
        for attempt in 0..<Self.attemptLimit {
            if attempt > 0 {
                await countRetry()
                try? await Task.sleep(for: .milliseconds(pauseMilliseconds))
                pauseMilliseconds = min(Self.backoffCapMilliseconds, pauseMilliseconds * 2)
            }
            guard await schedule.mayRetry() else { return .gaveUp }
            var request = HTTPClientRequest(url: base + path)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: contentType)
            request.headers.add(name: "Idempotency-Key", value: key)
            request.body = .bytes(ByteBuffer(bytes: body))
            guard let response = try? await http.execute(request, timeout: .seconds(30)),
                let text = try? await response.body.collect(upTo: 4 << 20)
            else { continue }
            let status = Int(response.status.code)
            if status >= 500 { continue }
            if response.headers.first(name: "Idempotent-Replayed") == "true" { await countReplay() }
            return .answered(status: status, body: String(buffer: text))
        }
        return .gaveUp
    }

    // MARK: bodies

    private nonisolated func purchaseJSON(enterprise: String, date: String, invoice: String) -> [UInt8] {
        let t = setup.template
        return jsonBytes([
            "enterprise": enterprise, "supplier": t.supplier, "date": date, "channel": t.channel, "purpose": t.purpose,
            "invoice_number": invoice, "invoice_date": date, "seller_tax_id": t.sellerTaxID,
            "lines": [["product": t.product, "quantity": t.quantity, "unit": t.unit, "unit_price": t.unitPrice, "amount": t.amount]],
        ])
    }

    /// A purchase file of `keys.count` purchases of random enterprises, in the import's own headers.
    private nonisolated func importCSV(keys: [String], date: String, n: Int, random: inout SoakRandom) -> String {
        let t = setup.template
        var values: [String: String] = [
            "supplier": t.supplier, "date": date, "channel": t.channel, "purpose": t.purpose, "invoice_date": date,
            "seller_tax_id": t.sellerTaxID, "product": t.product, "quantity": t.quantity, "unit": t.unit, "unit_price": t.unitPrice,
            "amount": t.amount,
        ]
        let columns = ImportLayouts.purchases.columns
        var text = CSV.row(columns.map { $0.headers[0] })
        for (index, key) in keys.enumerated() {
            values["key"] = key
            values["invoice"] = String(format: "6%06d%013d", n, index)
            values["enterprise"] = setup.enterprises[random.int(0...(setup.enterprises.count - 1))]
            text += CSV.row(columns.map { values[$0.key] ?? "" })
        }
        return text
    }

    private nonisolated func jsonBytes(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    static func errorCode(in body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["code"] as? String
    }

    /// The first `"seq": N` of an answer.
    static func seq(in body: String) -> Int64? { integer("seq", in: body).map(Int64.init) }

    /// The first integer field `name` of a JSON answer (an object, or an array of objects).
    static func integer(_ name: String, in body: String) -> Int? {
        guard let range = body.range(of: "\"\(name)\"") else { return nil }
        let rest = body[range.upperBound...].drop { $0 == " " || $0 == ":" }
        return Int(rest.prefix { $0.isNumber })
    }
}
