import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// The soak run's verdict, read from the database as its owner after the last crash: every
/// acknowledged write present exactly once, and the books sound.
struct SoakCheck {
    /// Violations printed at most (all are counted).
    static let reportLimit = 30

    let conninfo: String
    let log: SoakLog

    func run() async throws -> [String] {
        let connection = try await Connection.connect(ConnectionConfiguration(conninfo: conninfo))
        do {
            let log = self.log
            let violations = try await connection.run { c -> [String] in
                var found = log.broken
                for ack in log.acknowledged { found += try Self.present(c, ack) }
                found += try Self.books(c)
                return found
            }
            await connection.close()
            return violations
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Whether one acknowledged write is in the books exactly once.
    static func present(_ c: isolated Connection, _ ack: SoakAck) throws -> [String] {
        func count(_ sql: String, _ parameters: [(any PostgresEncodable)?]) throws -> Int {
            try c.query(sql, parameters).single().decode(Int.self, at: 0)
        }
        switch ack {
        case .purchase(let key):
            let n = try count("SELECT count(*)::int FROM relief.purchases p JOIN relief.entries e ON e.id = p.entry_id WHERE p.purchase_key = $1", [key])
            return n == 1 ? [] : ["purchase \(key) was acknowledged but is in the books \(n) times"]
        case .imported(let keys):
            var problems: [String] = []
            for key in keys {
                let n = try count("SELECT count(*)::int FROM relief.purchases p JOIN relief.entries e ON e.id = p.entry_id WHERE p.purchase_key = $1", [key])
                if n != 1 { problems.append("imported purchase \(key) was acknowledged but is in the books \(n) times") }
            }
            return problems
        case .entry(let key, let seq):
            let n = try count("SELECT count(*)::int FROM relief.entries WHERE idempotency_key = $1", [key])
            let atSeq = try count("SELECT count(*)::int FROM relief.entries WHERE idempotency_key = $1 AND seq = $2", [key, seq])
            return n == 1 && atSeq == 1 ? [] : ["entry \(key) (acknowledged as seq \(seq)) is in the books \(n) times, \(atSeq) at that seq"]
        case .reversal(let seq):
            let n = try count(
                "SELECT count(*)::int FROM relief.entries r JOIN relief.entries o ON o.id = r.reverses_id AND o.book_id = r.book_id WHERE o.seq = $1", [seq])
            return n == 1 ? [] : ["the reversal of seq \(seq) was acknowledged but is in the books \(n) times"]
        case .prepared(let batch, let period):
            let n = try count("SELECT count(*)::int FROM relief.subsidy_batches WHERE id = $1 AND period = $2", [batch, period])
            return n == 1 ? [] : ["batch \(batch) of \(period) was acknowledged as prepared but is missing"]
        case .approved(let batch):
            let n = try count(
                """
                SELECT count(*)::int FROM relief.subsidy_batches b WHERE b.id = $1 AND b.status IN ('approved', 'paid')
                AND NOT EXISTS (SELECT 1 FROM relief.subsidy_items i WHERE i.batch_id = b.id AND i.amount_fen > 0 AND i.approval_entry_id IS NULL)
                """, [batch])
            return n == 1 ? [] : ["batch \(batch) was acknowledged as approved but is not, or an item has no approval entry"]
        case .paid(let batch):
            let n = try count(
                """
                SELECT count(*)::int FROM relief.subsidy_batches b WHERE b.id = $1 AND b.status = 'paid'
                AND NOT EXISTS (SELECT 1 FROM relief.subsidy_items i WHERE i.batch_id = b.id AND i.amount_fen > 0 AND i.payment_entry_id IS NULL)
                """, [batch])
            // Each item points at a payment entry, and no other entry pays this batch.
            let linked = try count(
                "SELECT count(DISTINCT i.payment_entry_id)::int FROM relief.subsidy_items i JOIN relief.entries e ON e.id = i.payment_entry_id WHERE i.batch_id = $1",
                [batch])
            let period = try c.query("SELECT period FROM relief.subsidy_batches WHERE id = $1", [batch]).single().decode(Int.self, at: 0)
            let description = "拨付\(Period(yyyymm: period)?.description ?? "")消费帮扶补助（批次\(batch)）"
            let payments = try count("SELECT count(*)::int FROM relief.entries WHERE reverses_id IS NULL AND description = $1", [description])
            return n == 1 && linked >= 1 && payments == linked ? [] : ["batch \(batch) was acknowledged as paid: status ok \(n == 1), \(payments) payment entries, \(linked) linked from its items"]
        case .closed(let period):
            let n = try count("SELECT count(*)::int FROM relief.period_closes WHERE period = $1", [period])
            return n == 1 ? [] : ["the close of \(period) was acknowledged but is recorded \(n) times"]
        }
    }

    /// The books as a whole: the chain, voucher numbers, balances per entry and the kept balances
    /// per account and month against the postings (``Verifier``), debits equal credits, and the
    /// bank account and the fund never below zero at any point of the chain. A red reversal's
    /// postings repeat the original's sides and count negative (红字).
    static func books(_ c: isolated Connection) throws -> [String] {
        var problems: [String] = []
        let report = try Verifier.verify(c, bookCode: "main")
        problems += report.problems.map { "verify: \($0)" }
        let totals = try c.query(
            """
            SELECT coalesce(sum(p.amount_fen * s.sign) FILTER (WHERE p.side = 'D'), 0)::bigint, coalesce(sum(p.amount_fen * s.sign) FILTER (WHERE p.side = 'C'), 0)::bigint
            FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id CROSS JOIN LATERAL (SELECT CASE WHEN e.reverses_id IS NULL THEN 1 ELSE -1 END AS sign) s
            """
        ).single()
        let (debits, credits) = (try totals.decode(Int64.self, at: 0), try totals.decode(Int64.self, at: 1))
        if debits != credits { problems.append("the trial balance does not balance: debits \(debits) fen, credits \(credits) fen") }
        let lowest = try c.query(
            """
            WITH per_entry AS (
                SELECT e.seq,
                       coalesce(sum(CASE p.side WHEN 'D' THEN p.amount_fen ELSE -p.amount_fen END) FILTER (WHERE a.code = '102'), 0) * s.sign AS bank,
                      (coalesce(sum(CASE p.side WHEN 'C' THEN p.amount_fen ELSE -p.amount_fen END) FILTER (WHERE a.code = '403'), 0)
                     - coalesce(sum(CASE p.side WHEN 'D' THEN p.amount_fen ELSE -p.amount_fen END) FILTER (WHERE a.code = '508'), 0)) * s.sign AS fund
                FROM relief.entries e JOIN relief.books b ON b.id = e.book_id AND b.code = 'main'
                CROSS JOIN LATERAL (SELECT CASE WHEN e.reverses_id IS NULL THEN 1 ELSE -1 END AS sign) s
                JOIN relief.postings p ON p.entry_id = e.id JOIN relief.accounts a ON a.id = p.account_id
                GROUP BY e.seq, s.sign)
            SELECT coalesce(min(bank_running), 0)::bigint, coalesce(min(fund_running), 0)::bigint FROM (
                SELECT sum(bank) OVER (ORDER BY seq) AS bank_running, sum(fund) OVER (ORDER BY seq) AS fund_running FROM per_entry) r
            """
        ).single()
        let (bank, fund) = (try lowest.decode(Int64.self, at: 0), try lowest.decode(Int64.self, at: 1))
        if bank < 0 { problems.append("account 102 银行存款 went negative along the chain (lowest \(Money(fen: bank).formatted))") }
        if fund < 0 { problems.append("the fund (403 received less 508 approved) went negative along the chain (lowest \(Money(fen: fund).formatted))") }
        return problems
    }
}
