import EmbeddedPostgres
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// One soak run: the demo books, users and tokens, the server, the clients and the crasher, then
/// the checks.
struct SoakRun {
    let plan: SoakPlan
    let cluster: EmbeddedPostgres
    let conninfo: String
    let folder: String
    let port: Int

    /// The month the run starts in (the demo's purchases end in May 2020, closed before the run).
    static let firstMonth = Period(year: 2020, month: 6)!
    /// The last month finance closes; December stays open so clerks always have a month.
    static let lastClosableMonth = Period(year: 2020, month: 11)!

    func run() async throws -> SoakOutcome {
        let setup = try await prepare()
        let server = SoakServer(port: port, databaseURL: conninfo, logPath: folder + "/serve.log")
        print("relief soak: serving on port \(port) (log \(server.logPath))")
        fflush(nil)
        try await server.start()
        let schedule = SoakSchedule(
            seconds: plan.seconds, minimumAcknowledged: plan.minimumAcknowledged, minimumCrashes: plan.minimumCrashes)
        let state = SoakState(plan: plan, setup: setup, port: port, schedule: schedule)
        let crasher = SoakCrasher(server: server, cluster: cluster, plan: plan)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await crasher.run(while: schedule, random: plan.seed) }
                group.addTask { try await state.driveClients() }
                try await group.waitForAll()
            }
        } catch {
            await state.shutdown()
            server.kill()
            throw error
        }
        await state.shutdown()
        // Both are up again (the crasher always restarts what it stopped); check with the server stopped.
        server.kill()
        let violations = try await SoakCheck(conninfo: conninfo, log: await state.log).run()
        let crashes = await crasher.counts
        return SoakOutcome(
            log: await state.log, crashes: crashes.values.reduce(0, +), crashKinds: crashes, violations: violations,
            seconds: await schedule.elapsedSeconds())
    }

    /// Loads the demo, closes its months, adds the soak's users with API tokens and reads a
    /// purchase to copy.
    private func prepare() async throws -> SoakSetup {
        let configuration = ConnectionConfiguration(conninfo: conninfo)
        let database = try await ReliefDatabase.open(configuration)  // applies the migrations
        await database.close()
        let admin = try await Connection.connect(configuration)
        do {
            let setup = try await load(admin)
            await admin.close()
            return setup
        } catch {
            await admin.close()
            throw error
        }
    }

    private func load(_ admin: Connection) async throws -> SoakSetup {
        let clerkCount = plan.clerks
        return try await admin.run { c -> SoakSetup in
            _ = try Demo.load(c)
            let closed = try c.query("SELECT closed_through FROM relief.books WHERE code = 'main'").single().decodeOptional(Int.self, at: 0)
            for month in 202001...202005 where month > (closed ?? 0) {
                _ = try c.query("SELECT * FROM relief.close_period('main', $1, 'soak:setup')", [month])
            }
            let password = "soak password 1"
            var tokens: [String: String] = [:]
            for (login, role) in [("soak-preparer", Role.financePreparer), ("soak-approver", .financeApprover)] {
                _ = try Access.addUser(c, login: login, displayName: login, role: role, enterpriseCreditCode: nil, password: password)
                tokens[login] = try Access.createToken(c, login: login, name: "soak", days: 2)
            }
            let enterprises = try c.query("SELECT credit_code FROM relief.enterprises ORDER BY id").rows.map { try $0.decode(String.self, at: 0) }
            var clerks: [SoakSetup.Clerk] = []
            for (index, enterprise) in enterprises.prefix(clerkCount).enumerated() {
                let login = "soak-clerk-\(index)"
                _ = try Access.addUser(c, login: login, displayName: login, role: .enterpriseClerk, enterpriseCreditCode: enterprise, password: password)
                clerks.append(SoakSetup.Clerk(enterprise: enterprise, token: try Access.createToken(c, login: login, name: "soak", days: 2)))
            }
            let row = try c.query(
                """
                SELECT s.credit_code, pr.code, l.quantity::text, l.unit, l.unit_price, l.amount_fen, p.channel, p.purpose, p.seller_tax_id
                FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id
                JOIN relief.suppliers s ON s.id = p.supplier_id JOIN relief.products pr ON pr.id = l.product_id
                WHERE l.eligible ORDER BY p.id LIMIT 1
                """
            ).single()
            let template = SoakSetup.Template(
                supplier: try row.decode(String.self, at: 0), product: try row.decode(String.self, at: 1),
                quantity: try row.decode(String.self, at: 2), unit: try row.decode(String.self, at: 3),
                unitPrice: UnitPrice(tenThousandthsOfYuan: try row.decode(Int64.self, at: 4))?.description ?? "",
                amount: Money(fen: try row.decode(Int64.self, at: 5)).plain, channel: try row.decode(String.self, at: 6),
                purpose: try row.decode(String.self, at: 7), sellerTaxID: try row.decode(String.self, at: 8))
            return SoakSetup(
                preparerToken: tokens["soak-preparer"]!, approverToken: tokens["soak-approver"]!, clerks: clerks,
                enterprises: enterprises, template: template)
        }
    }
}

/// Users, tokens and the purchase the clients copy.
struct SoakSetup: Sendable {
    struct Clerk: Sendable {
        var enterprise: String
        var token: String
    }
    struct Template: Sendable {
        var supplier, product, quantity, unit, unitPrice, amount, channel, purpose, sellerTaxID: String
    }
    var preparerToken: String
    var approverToken: String
    var clerks: [Clerk]
    var enterprises: [String]
    var template: Template
}

/// What a run did and found.
struct SoakOutcome {
    var log: SoakLog
    var crashes: Int
    var crashKinds: [SoakCrasher.Kind: Int]
    var violations: [String]
    var seconds: Int

    var summary: String {
        var lines = ["relief soak: results after \(seconds) s"]
        lines.append("  operations:   \(log.operations) (\(log.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        lines.append("  acknowledged: \(log.acknowledged.count)")
        lines.append("  refused:      \(log.refused.values.reduce(0, +)) (\(log.refused.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        for (kind, sample) in log.refusalSamples.sorted(by: { $0.key < $1.key }) { lines.append("    \(kind), e.g. \(sample)") }
        lines.append("  retried:      \(log.retries) attempts again with the same key; \(log.replayed) answers replayed from the key; \(log.gaveUp) gave up")
        lines.append("  crashes:      \(crashes) (\(SoakCrasher.Kind.allCases.map { "\($0.rawValue) \(crashKinds[$0] ?? 0)" }.joined(separator: ", ")))")
        lines.append("  violations:   \(violations.count)")
        for violation in violations.prefix(SoakCheck.reportLimit) { lines.append("    - \(violation)") }
        return lines.joined(separator: "\n")
    }
}
