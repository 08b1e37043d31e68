import Foundation
import Postgres
import ReliefCore
import ReliefTestSupport
import Testing

@testable import ReliefStore
@testable import ReliefWeb

/// A clerk's purchases are found by key with one probe of the unique (program, key) index per
/// key, however many purchases the clerk's enterprise has. With `purchase_key = ANY ($2)`,
/// PostgreSQL's generic plan of the prepared statement read every purchase of the enterprise
/// (row-level security's `enterprise_id = acting_enterprise()` through `purchases_by_enterprise`,
/// estimated at a few rows; the benchmark's books) or of the program (a sequential scan; this
/// test's books, where it read 703 rows for 8 keys), on every group of the API's purchases.
@Suite("purchase lookups by key")
struct PurchaseKeyPlanTests {
    /// Purchases of the clerk's enterprise added on top of the demo's, all through one import.
    static let clerkPurchases = 400
    /// Keys looked up at once, as a group of the API's purchases would.
    static let keysLookedUp = 8

    @Test func aClerksKeyLookupsReadTheKeysNotTheEnterprisesPurchases() async throws {
        // Many enterprises with few purchases each, and the clerk's with many: the shape under
        // which the planner estimates an enterprise's purchases at a few rows.
        let fixture = try await WebFixture.make(
            "keyplan", volume: DemoData.Volume(enterprises: 150, purchases: 300))
        var rows: [TableRow] = []
        var headers: [String] = []
        for n in 0..<Self.clerkPurchases {
            let table = fixture.purchaseTable(
                key: "PLAN-\(n)", invoice: String(format: "78%06d", n), date: "2020-05-20")
            headers = table.headers
            rows.append(TableRow(line: rows.count + 2, cells: table.rows[0].cells))
        }
        let merged = Table(fileName: "plan.csv", headers: headers, rows: rows)
        _ = try await fixture.admin.run { c in
            try Purchases.importPurchases(c, merged, programCode: Demo.programCode, actorName: "test")
        }
        _ = try await fixture.admin.run { c in try c.execute("ANALYZE relief.purchases") }

        let keys = (0..<Self.keysLookedUp).map { "PLAN-\($0 * 7)" }
        let existing = Purchases.existingKeysStatement(programCode: Demo.programCode, keys: keys)
        let lookups = [
            ("existing keys", existing.sql),
            ("read back", PurchaseQueries.byKeys),
        ]
        let clerk = fixture.users[.enterpriseClerk]!
        for (name, sql) in lookups {
            let (found, read) = try await fixture.admin.run { c in
                try Access.asUser(c, clerk) { t in try Self.rowsRead(t, sql: sql, keys: keys) }
            }
            #expect(found == keys.count, "\(name): the clerk's \(keys.count) purchases found")
            #expect(
                read <= keys.count, "\(name): a scan of purchases read \(read) rows for \(keys.count) keys")
        }
        await fixture.close()
    }

    /// Runs `sql` (parameters: the program code, the keys) as a prepared statement with its
    /// generic plan, as the pool's connections run it after five executions. Returns the rows it
    /// answered and the most rows one scan of `relief.purchases` (or of one of its indexes) read
    /// over its loops.
    static func rowsRead(_ t: isolated Connection, sql: String, keys: [String]) throws -> (
        found: Int, read: Int
    ) {
        try t.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        try t.execute("PREPARE plan_probe(text, text[]) AS " + sql)
        defer { _ = try? t.execute("DEALLOCATE plan_probe") }
        // EXECUTE takes no bound parameters: the test's own constants, as literals.
        let arguments = "('\(Demo.programCode)', '\(PostgresArray.text(keys))')"
        let found = try t.query("EXECUTE plan_probe" + arguments).rows.count
        let json = try t.query("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE plan_probe" + arguments).single()
            .decode(String.self, at: 0)
        let plans = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        return (found, purchaseRows(plans[0]["Plan"] as! [String: Any]))
    }

    /// The most rows one scan of `purchases` or of its indexes read, in `node` and below.
    static func purchaseRows(_ node: [String: Any]) -> Int {
        let relation = node["Relation Name"] as? String
        let index = node["Index Name"] as? String ?? ""
        let readsPurchases = relation == "purchases" || (relation == nil && index.hasPrefix("purchases"))
        // A row read and dropped by a filter (row-level security's, or the keys') counts as read.
        let perLoop = ["Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck"].reduce(0) {
            $0 + (node[$1] as? Int ?? 0)
        }
        let own = readsPurchases ? perLoop * (node["Actual Loops"] as? Int ?? 1) : 0
        return (node["Plans"] as? [[String: Any]] ?? []).reduce(own) { max($0, purchaseRows($1)) }
    }
}
