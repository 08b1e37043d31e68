import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

/// A migrated database with a ledger on book `main`, plus a login-role (superuser) connection.
struct Books {
    let database: ReliefDatabase
    let ledger: Ledger
    let admin: Connection

    static func make(_ label: String) async throws -> Books {
        let configuration = try await TestDatabase.fresh(label)
        let database = try await ReliefDatabase.open(configuration)
        let ledger = try await Ledger(database: database, actorName: "test")
        return Books(database: database, ledger: ledger, admin: try await Connection.connect(configuration))
    }

    func close() async {
        await admin.close()
        await database.close()
    }

    func count(_ sql: String) async throws -> Int {
        try await admin.run { c in try c.query(sql).single().decode(Int.self, at: 0) }
    }

    func trialBalance(_ period: Period) async throws -> TrialBalance {
        try await admin.run { c in try Reports.trialBalance(c, bookCode: "main", period: period) }
    }

    func verify() async throws -> VerificationReport {
        try await admin.run { c in try Verifier.verify(c, bookCode: "main") }
    }

    /// Runs `sql` as the database owner (who meets every trigger) in a transaction that is rolled
    /// back, and returns the SQLSTATE it failed with (nil when it succeeded).
    func ownerError(_ sql: String) async -> String? {
        do {
            return try await admin.run { c -> String? in
                defer { _ = try? c.execute("ROLLBACK") }
                do {
                    _ = try c.execute("BEGIN; " + sql)
                    return nil
                } catch {
                    return (error as? PostgresError)?.sqlState ?? "\(error)"
                }
            }
        } catch {
            return "\(error)"
        }
    }
}

func day(_ text: String) -> LocalDate { LocalDate(parsing: text)! }

func transfer(_ key: String, _ date: String = "2020-05-12", _ fen: Int64 = 100, debit: String = "102", credit: String = "403") -> EntryDraft {
    EntryDraft(
        idempotencyKey: key, date: day(date), description: "test \(key)",
        postings: [
            PostingDraft(accountCode: debit, side: .debit, amount: Money(fen: fen)),
            PostingDraft(accountCode: credit, side: .credit, amount: Money(fen: fen)),
        ])
}

/// What ``LedgerTests/aBrokenConnectionIsReplacedWhileEntriesKeepComing()`` saw: entries written
/// before and after the pool's backends were terminated.
actor BrokenConnectionProgress {
    private var terminatedCount = 0
    private var before = 0
    private var after = 0

    /// Counts one written entry; true when the backends had been terminated by then.
    func wrote() -> Bool {
        if terminatedCount > 0 {
            after += 1
            return true
        }
        before += 1
        return false
    }

    func terminated(count: Int) { terminatedCount = count }

    func snapshot() -> (terminated: Int, writtenBefore: Int, writtenAfter: Int) { (terminatedCount, before, after) }
}

@Suite("ledger on PostgreSQL")
struct LedgerTests {
    @Test func eightConcurrentPostersLeaveGaplessVouchersAndASoundChain() async throws {
        let books = try await Books.make("concurrency")
        let postersCount = 8
        let entriesPerPoster = 1_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for poster in 0..<postersCount {
                group.addTask {
                    for index in 0..<entriesPerPoster {
                        let entry = transfer("p\(poster)-\(index)", "2020-05-\(10 + index % 20)", Int64(100 + index))
                        _ = try await books.ledger.post(entry)
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = postersCount * entriesPerPoster
        #expect(try await books.count("SELECT count(*) FROM relief.entries") == total)
        // Group commit: every entry counted once, and concurrent callers share transactions
        // (more than two entries per commit on average; eight on a quiet machine).
        let commits = await books.ledger.groupCommits
        #expect(commits.entries == total)
        #expect(commits.transactions > 0 && commits.transactions < total / 2, "\(commits)")
        #expect(try await books.count("SELECT count(DISTINCT voucher_no) FROM relief.entries WHERE period = 202005") == total)
        #expect(try await books.count("SELECT min(voucher_no) FROM relief.entries") == 1)
        #expect(try await books.count("SELECT max(voucher_no) FROM relief.entries") == total)
        #expect(try await books.count("SELECT max(seq) FROM relief.entries") == total)
        let balance = try await books.trialBalance(Period(year: 2020, month: 5)!)
        #expect(balance.isBalanced)
        let expectedFen = Int64(postersCount) * (0..<Int64(entriesPerPoster)).reduce(0) { $0 + 100 + $1 }
        #expect(balance.totals.debitFen == expectedFen)
        let report = try await books.verify()
        #expect(report.isSound, "\(report.problems)")
        #expect(report.entriesChecked == total)
        #expect(try await books.count("SELECT count(*) FROM relief.verify_chain('main')") == 0)
        await books.close()
    }

    /// The flush loop writes on one leased connection while entries keep coming. When that
    /// connection breaks (here: every backend of the pool is terminated while eight posters keep
    /// posting), the ledger gives it back and goes on with another: a caller may see the error,
    /// its retry with the same key is written once, and the chain stays sound. Steps, not
    /// clocks: the backends are terminated once some entries are written, and every poster then
    /// writes some more, however slow the machine.
    @Test func aBrokenConnectionIsReplacedWhileEntriesKeepComing() async throws {
        let books = try await Books.make("brokenconn")
        let ledger = books.ledger
        let adminPID = try await books.count("SELECT pg_backend_pid()")
        let progress = BrokenConnectionProgress()
        let posters = 8
        let written = try await withThrowingTaskGroup(of: Int.self) { group in
            for poster in 0..<posters {
                group.addTask {
                    var done = 0
                    var after = 0
                    for n in 0..<Self.brokenConnectionMaximumPosts {
                        if after >= Self.brokenConnectionPostsAfter { break }
                        let draft = transfer("broken:\(poster):\(n)")
                        // Each entry until written, at most three attempts: the first may meet
                        // the broken connection.
                        for attempt in 1...3 {
                            do {
                                _ = try await ledger.post(draft)
                                done += 1
                                if await progress.wrote() { after += 1 }
                                break
                            } catch {
                                if attempt == 3 { throw error }
                            }
                        }
                    }
                    return done
                }
            }
            group.addTask {
                // Once the posters are under way: poll, at most 3,000 × 10 ms.
                var polls = 0
                while await progress.snapshot().writtenBefore < 2 * posters, polls < 3_000 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
                let terminated = try await books.count(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> \(adminPID) AND backend_type = 'client backend') t")
                await progress.terminated(count: terminated)
                return 0
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        let seen = await progress.snapshot()
        #expect(seen.terminated > 0, "the pool's connections were open when they were terminated")
        #expect(seen.writtenBefore >= 2 * posters, "posting was under way: \(seen)")
        #expect(seen.writtenAfter >= posters * Self.brokenConnectionPostsAfter, "posting went on after the break: \(seen)")
        #expect(try await books.count("SELECT count(*) FROM relief.entries") == written)
        let report = try await books.verify()
        #expect(report.problems.isEmpty, "\(report.problems.map(\.message))")
        await books.close()
    }

    /// Entries each poster writes after the break.
    static let brokenConnectionPostsAfter = 5
    /// The most entries one poster tries in all.
    static let brokenConnectionMaximumPosts = 10_000

    @Test func theSameIdempotencyKeyWritesOnceEvenWhenRacing() async throws {
        let books = try await Books.make("idempotency")
        let first = try await books.ledger.post(transfer("same-key"))
        let again = try await books.ledger.post(transfer("same-key"))
        #expect(!first.existed)
        #expect(again.existed)
        #expect(again.seq == first.seq && again.voucherNumber == first.voucherNumber && again.hash == first.hash)
        let racers = try await withThrowingTaskGroup(of: PostedEntry.self) { group in
            for _ in 0..<8 { group.addTask { try await books.ledger.post(transfer("raced-key", "2020-05-13", 500)) } }
            var results: [PostedEntry] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(Set(racers.map(\.seq)).count == 1)
        #expect(racers.filter { !$0.existed }.count == 1)
        #expect(try await books.count("SELECT count(*) FROM relief.entries") == 2)
        await books.close()
    }

    @Test func closedPeriodsRefuseEntriesInSwiftAndInPostgreSQL() async throws {
        let books = try await Books.make("closed")
        _ = try await books.ledger.post(transfer("may", "2020-05-12"))
        // A second ledger opened before the close keeps a stale cache: PostgreSQL must refuse alone.
        let stale = try await Ledger(database: books.database, actorName: "stale")
        await #expect(throws: LedgerError.self) { _ = try await books.ledger.closePeriod(Period(year: 2020, month: 6)!) }
        let head = try await books.ledger.closePeriod(Period(year: 2020, month: 5)!)
        #expect(head.seq == 1)
        let swiftSide = await #expect(throws: LedgerError.self) { _ = try await books.ledger.post(transfer("late", "2020-05-31")) }
        guard case .closedPeriod = swiftSide else { Issue.record("expected closedPeriod, got \(String(describing: swiftSide))"); return }
        let databaseSide = await #expect(throws: LedgerError.self) { _ = try await stale.post(transfer("late2", "2020-05-31")) }
        guard case .rejected(let pg) = databaseSide else { Issue.record("expected rejected, got \(String(describing: databaseSide))"); return }
        #expect(pg.sqlState == "RL010")
        #expect(try await books.count("SELECT count(*) FROM relief.entries") == 1)
        _ = try await books.ledger.post(transfer("june", "2020-06-01"))
        #expect(try await books.count("SELECT count(*) FROM relief.closing_balances WHERE period = 202005") == 11)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func monthsClosedAtTheSamePositionAreAllChecked() async throws {
        let books = try await Books.make("closes")
        _ = try await books.ledger.post(transfer("may", "2020-05-12"))
        _ = try await books.ledger.closePeriod(Period(year: 2020, month: 5)!)
        _ = try await books.ledger.closePeriod(Period(year: 2020, month: 6)!)  // no entries in June: same position
        #expect(try await books.verify().isSound)
        // Tamper with the first close's recorded head: verify must notice even though June shares its position.
        try await books.admin.run { c in
            try c.execute("SET session_replication_role = replica")
            try c.execute("UPDATE relief.period_closes SET chain_head = sha256('x') WHERE period = 202005")
            try c.execute("SET session_replication_role = DEFAULT")
        }
        let report = try await books.verify()
        #expect(report.problems.contains { $0.message.contains("202005") }, "\(report.problems)")
        await books.close()
    }

    @Test func aReversalMirrorsTheOriginalInRedAndHappensOnce() async throws {
        let books = try await Books.make("reversal")
        let original = try await books.ledger.post(transfer("orig", "2020-05-12", 12_345, debit: "508", credit: "215"))
        let reversal = try await books.ledger.reverse(seq: original.seq, reason: "录入错误", date: day("2020-05-20"))
        #expect(!reversal.existed)
        let again = try await books.ledger.reverse(seq: original.seq, reason: "again", date: day("2020-05-21"))
        #expect(again.existed && again.seq == reversal.seq)
        // A reversal with another key is refused by PostgreSQL: an entry is reversed once.
        await #expect(throws: LedgerError.self) {
            _ = try await books.ledger.reverse(seq: original.seq, reason: "twice", date: day("2020-05-21"), idempotencyKey: "other")
        }
        await #expect(throws: LedgerError.self) {
            _ = try await books.ledger.reverse(seq: reversal.seq, reason: "undo", date: day("2020-05-21"))
        }
        let balance = try await books.trialBalance(Period(year: 2020, month: 5)!)
        let row508 = try #require(balance.rows.first { $0.code == "508" })
        #expect(row508.debitFen == 0 && row508.closingDebitFen == 0)  // black 12345 minus red 12345
        let sides = try await books.admin.run { c in
            try c.query("SELECT p.side FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id WHERE e.seq = $1 ORDER BY p.line", [reversal.seq]).rows.map { try $0.decode(String.self, at: 0) }
        }
        #expect(sides == ["D", "C"])  // red reversal keeps its sides
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func tamperingIsFoundAndTheEntryNamed() async throws {
        let books = try await Books.make("tamper")
        for index in 1...5 { _ = try await books.ledger.post(transfer("e\(index)", "2020-05-1\(index)", Int64(index * 100))) }
        #expect(try await books.verify().isSound)
        try await books.admin.run { c in
            try c.execute("SET session_replication_role = replica")
            try c.execute("UPDATE relief.postings SET amount_fen = amount_fen + 1 WHERE line = 1 AND entry_id = (SELECT id FROM relief.entries WHERE seq = 3)")
            try c.execute("SET session_replication_role = DEFAULT")
        }
        let report = try await books.verify()
        #expect(!report.isSound)
        #expect(report.problems.first?.seq == 3)
        #expect(report.problems.first?.description.contains("entry #3") == true)
        #expect(try await books.count("SELECT seq::int FROM relief.verify_chain('main')") == 3)
        await books.close()
    }

    @Test func theApplicationRoleCannotRewriteTheBooks() async throws {
        let books = try await Books.make("grants")
        _ = try await books.ledger.post(transfer("one"))
        for statement in [
            "UPDATE relief.postings SET amount_fen = 1", "DELETE FROM relief.entries",
            "INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen) SELECT id, 9, 1, 1, 'D', 5 FROM relief.entries",
            "UPDATE relief.books SET chain_seq = 0",
        ] {
            let error = await #expect(throws: PostgresError.self) {
                try await books.database.pool.withConnection { connection in
                    try await connection.run { c in try c.execute(statement) }
                }
            }
            #expect(error?.sqlState == "42501", "\(statement)")
        }
        // Even the owner meets the append-only triggers.
        let owner = await #expect(throws: PostgresError.self) {
            try await books.admin.run { c in try c.execute("DELETE FROM relief.postings") }
        }
        #expect(owner?.sqlState == "RL030")
        // Nor may the owner add a posting to an entry an earlier transaction wrote (RL032).
        let late = await #expect(throws: PostgresError.self) {
            try await books.admin.run { c in
                try c.execute("INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen) SELECT id, 9, 1, 1, 'D', 5 FROM relief.entries")
            }
        }
        #expect(late?.sqlState == "RL032", "\(String(describing: late))")
        await books.close()
    }

    @Test func postgreSQLChecksInvariantsWithoutSwift() async throws {
        let books = try await Books.make("sqlguards")
        func post(_ json: String) async -> PostgresError? {
            await #expect(throws: PostgresError.self) {
                try await books.database.pool.transaction { c in
                    try c.query("SELECT * FROM relief.post_entries('main', $1::jsonb, 'sql')", [json])
                }
            }
        }
        let unbalanced = await post(#"[{"key":"u","date":"2020-05-01","postings":[{"account":"102","side":"D","amount_fen":100},{"account":"403","side":"C","amount_fen":99}]}]"#)
        #expect(unbalanced?.sqlState == "RL021")
        let single = await post(#"[{"key":"s","date":"2020-05-01","postings":[{"account":"102","side":"D","amount_fen":100}]}]"#)
        #expect(single?.sqlState == "RL020")
        let unknown = await post(#"[{"key":"k","date":"2020-05-01","postings":[{"account":"999","side":"D","amount_fen":1},{"account":"403","side":"C","amount_fen":1}]}]"#)
        #expect(unknown?.sqlState == "RL003")
        let negative = await post(#"[{"key":"n","date":"2020-05-01","postings":[{"account":"102","side":"D","amount_fen":-1},{"account":"403","side":"C","amount_fen":-1}]}]"#)
        #expect(negative?.sqlState == "23514")
        #expect(try await books.count("SELECT count(*) FROM relief.entries") == 0)
        #expect(try await books.count("SELECT count(*) FROM relief.voucher_counters") == 0)
        await books.close()
    }

    /// One call writes each month's voucher counter once, not once per entry (0013): inside a long
    /// import transaction every update is a row version no one may prune, and the next lookup walked
    /// them all. Numbers still run on without gaps from call to call.
    @Test func aCallWritesEachMonthsVoucherCounterOnce() async throws {
        let books = try await Books.make("counters")
        let months = ["2020-05", "2020-06"]
        let drafts = (0..<40).map { transfer("c\($0)", "\(months[$0 % 2])-\(10 + $0 % 15)") }
        let (counterWrites, first, second) = try await books.admin.run { c -> (Int, [PostedEntry], [PostedEntry]) in
            try c.execute("BEGIN")
            let first = try PostingWriter.post(c, bookCode: "main", actorName: "test", drafts: Array(drafts[0..<20]))
            let writes = try c.query(
                "SELECT (n_tup_ins + n_tup_upd)::integer FROM pg_stat_xact_user_tables WHERE schemaname = 'relief' AND relname = 'voucher_counters'"
            ).single().decode(Int.self, at: 0)
            let second = try PostingWriter.post(c, bookCode: "main", actorName: "test", drafts: Array(drafts[20...]))
            try c.execute("COMMIT")
            return (writes, first, second)
        }
        #expect(counterWrites == months.count, "voucher_counters rows written by one call of 20 entries in 2 months: \(counterWrites)")
        for month in [5, 6] {
            let numbers = (first + second).filter { $0.period.month == month }.map(\.voucherNumber)
            #expect(numbers == Array(1...20), "vouchers of month \(month): \(numbers)")
        }
        #expect(try await books.count("SELECT sum(last_no)::integer FROM relief.voucher_counters") == 40)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func swiftAndPostgreSQLWriteTheSameCanonicalText() async throws {
        let books = try await Books.make("canonical")
        _ = try await books.admin.run { c in
            try c.execute("INSERT INTO relief.dimension_values (tenant_id, kind, code, name) VALUES (1, 'enterprise', '91350200776049653A', '示例企业'), (1, 'channel', '832平台', '832平台')")
        }
        var entry = transfer("key|with\\pipes", "2020-05-12", 32_504)
        entry.description = "摘要 | 含竖线\n和换行\r"
        entry.postings[0].dimensions = Dimensions(enterprise: "91350200776049653A", channel: "832平台")
        entry.postings[1].memo = "备注\\"
        let posted = try await books.ledger.post(entry)
        let row = try await books.admin.run { c in
            try c.query("SELECT relief.entry_canonical_text(id), (extract(epoch FROM created_at) * 1000000)::bigint FROM relief.entries WHERE seq = $1", [posted.seq]).single()
        }
        let swiftText = CanonicalText.entry(
            entry, bookCode: "main", seq: posted.seq, voucherNumber: posted.voucherNumber,
            createdAtMicroseconds: try row.decode(Int64.self, at: 1), createdBy: "test")
        #expect(try row.decode(String.self, at: 0) == swiftText)
        #expect(Chain.next(previous: Chain.genesis, canonicalText: swiftText) == posted.hash)
        await books.close()
    }

    @Test func migrationsApplyOnceAndAChangedFileIsRefused() async throws {
        let configuration = try await TestDatabase.fresh("migrations")
        let connection = try await Connection.connect(configuration)
        let first = try await Migrator.migrate(connection)
        #expect(first.first == "0001_books.sql")
        #expect(try await Migrator.migrate(connection).isEmpty)
        try await connection.run { c in _ = try c.execute("UPDATE relief.schema_migrations SET checksum = 'changed' WHERE version = 1") }
        let error = await #expect(throws: Migrator.Failure.self) { try await Migrator.migrate(connection) }
        #expect(error?.description.contains("immutable") == true)
        await connection.close()
    }
}
