import Foundation
import Postgres
import ReliefTestSupport
import Testing

/// A counter that @Sendable closures can bump.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}

@Suite("libpq connection")
struct ConnectionTests {
    @Test func typedParametersAndRows() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("typed"))
        defer { Task { await connection.close() } }
        let row = try await connection.run { c in
            try c.query(
                "SELECT $1::bigint + 1 AS n, $2::text AS t, $3::boolean AS b, $4::bytea AS x, NULL::text AS missing",
                [Int64(41), "银行存款 | 'quoted'", true, PostgresBytes([0, 255, 16])]
            ).single()
        }
        #expect(try row.decode(Int64.self, column: "n") == 42)
        #expect(try row.decode(String.self, column: "t") == "银行存款 | 'quoted'")
        #expect(try row.decode(Bool.self, column: "b") == true)
        #expect(try row.decode(PostgresBytes.self, column: "x").bytes == [0, 255, 16])
        #expect(try row.decodeOptional(String.self, column: "missing") == nil)
        #expect(throws: PostgresError.self) { try row.decode(String.self, column: "missing") }
        #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "t") }
    }

    @Test func serverErrorsCarrySQLStateDetailAndConstraint() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("errors"))
        defer { Task { await connection.close() } }
        let error = await #expect(throws: PostgresError.self) {
            try await connection.run { c in
                try c.execute("CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY)")
                try c.query("INSERT INTO t VALUES ($1), ($1)", [7])
            }
        }
        #expect(error?.sqlState == "23505")
        #expect(error?.constraint == "t_pk")
        #expect(error?.detail?.contains("(id)=(7)") == true)
        let hinted = await #expect(throws: PostgresError.self) {
            try await connection.run { c in
                try c.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'RL999', MESSAGE = 'boom', HINT = 'do x'; END $$")
            }
        }
        #expect(hinted?.sqlState == "RL999")
        #expect(hinted?.hint == "do x")
    }

    @Test func workRunsOnTheConnectionsOwnThread() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("thread"))
        defer { Task { await connection.close() } }
        for _ in 0..<50 {
            let onOwnThread = try await connection.run { c in c.isOnConnectionThread() }
            #expect(onOwnThread)
        }
        // Work from many tasks still lands on that one thread.
        let all = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 { group.addTask { try await connection.run { c in c.isOnConnectionThread() } } }
            var results: [Bool] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(all.allSatisfy { $0 })
    }

    @Test func transactionRollsBackOnErrorAndRetriesSerializationFailures() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("tx"))
        defer { Task { await connection.close() } }
        try await connection.run { c in _ = try c.execute("CREATE TABLE t (n int)") }
        await #expect(throws: PostgresError.self) {
            try await connection.transaction { c in
                try c.execute("INSERT INTO t VALUES (1)")
                try c.execute("SELECT 1/0")
            }
        }
        let attempts = Counter()
        try await connection.transaction { c in
            try c.execute("INSERT INTO t VALUES (2)")
            if attempts.next() < 3 {
                try c.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'simulated'; END $$")
            }
        }
        let rows = try await connection.run { c in try c.query("SELECT n FROM t ORDER BY n").rows.map { try $0.decode(Int.self, at: 0) } }
        #expect(rows == [2])  // 1 rolled back; the retried insert landed once
        #expect(attempts.next() == 4)  // three attempts ran
        let bounded = Counter()
        await #expect(throws: PostgresError.self) {
            try await connection.transaction(maximumAttempts: 2) { c in
                _ = bounded.next()
                try c.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01', MESSAGE = 'deadlock'; END $$")
            }
        }
        #expect(bounded.next() == 3)  // exactly two attempts
        #expect(await connection.isIdle)
    }

    @Test func copyInAndOutRoundTripAwkwardText() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("copy"))
        defer { Task { await connection.close() } }
        let values: [[String?]] = [
            ["1", "tab\there", "new\nline"], ["2", "back\\slash", nil], ["3", "宣恩县 珠山镇", "\\N literal"],
        ]
        let copied = try await connection.run { c in
            try c.execute("CREATE TABLE t (id int, a text, b text)")
            return try c.copyIn("COPY t FROM STDIN") { writer in
                for row in values { try writer.appendRow(row) }
            }
        }
        #expect(copied == 3)
        let back = try await connection.run { c in
            var rows: [[String?]] = []
            try c.copyOut("COPY (SELECT id, a, b FROM t ORDER BY id) TO STDOUT") { line in rows.append(CopyText.fields(line)) }
            return rows
        }
        #expect(back == values)
        // A producer that throws aborts the COPY: nothing is written.
        await #expect(throws: (any Error).self) {
            try await connection.run { c in
                try c.copyIn("COPY t FROM STDIN") { writer in
                    try writer.appendRow(["4", "x", "y"])
                    throw PostgresError(kind: .copy, message: "producer failed")
                }
            }
        }
        let count = try await connection.run { c in try c.query("SELECT count(*) FROM t").single().decode(Int.self, at: 0) }
        #expect(count == 3)
    }

    @Test func statementTimeoutAndTaskCancellationStopStatements() async throws {
        var configuration = try await TestDatabase.fresh("timeout")
        configuration.statementTimeoutMilliseconds = 100
        let connection = try await Connection.connect(configuration)
        defer { Task { await connection.close() } }
        let timedOut = await #expect(throws: PostgresError.self) {
            try await connection.run { c in try c.execute("SELECT pg_sleep(5)") }
        }
        #expect(timedOut?.sqlState == "57014")
        try await connection.run { c in _ = try c.execute("SET statement_timeout = 0") }
        let started = ContinuousClock.now
        let task = Task { try await connection.run { c in try c.execute("SELECT pg_sleep(30)") } }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let cancelled = await #expect(throws: PostgresError.self) { try await task.value }
        #expect(cancelled?.kind == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(25))  // well below the 30 s sleep, with room for a loaded machine
        #expect(await connection.isIdle)
    }

    @Test func badConnectionInfoGivesAClearError() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await Connection.connect(ConnectionConfiguration(conninfo: "host=/nonexistent-dir port=1 connect_timeout=2"))
        }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("cannot connect") == true)
    }
}

@Suite("pipelines")
struct PipelineTests {
    @Test func statementsTravelTogetherAndAnswerInOrder() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("pipeline"))
        defer { Task { await connection.close() } }
        let results = try await connection.run { c in
            try c.execute("CREATE TABLE t (n int PRIMARY KEY)")
            return try c.pipeline([
                PipelineStatement("INSERT INTO t VALUES ($1), ($2)", [1, 2]),
                PipelineStatement("SELECT n * 10 FROM t ORDER BY n"),
                PipelineStatement("SELECT $1::text || '!'", ["银行"]),
            ])
        }
        #expect(results.count == 3)
        #expect(results[0].affectedRows == 2)
        #expect(try results[1].rows.map { try $0.decode(Int.self, at: 0) } == [10, 20])
        #expect(try results[2].single().decode(String.self, at: 0) == "银行!")
    }

    @Test func aNULInAParameterIsRefusedBeforeAnythingIsSent() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("pipelinenul"))
        defer { Task { await connection.close() } }
        let (alone, piped, rows) = try await connection.run { c in
            try c.execute("CREATE TABLE t (v text)")
            let alone = #expect(throws: PostgresError.self) { try c.query("INSERT INTO t VALUES ($1)", ["a\u{0}b"]) }
            let piped = #expect(throws: PostgresError.self) {
                try c.pipeline([PipelineStatement("INSERT INTO t VALUES ($1)", ["ok"]), PipelineStatement("INSERT INTO t VALUES ($1), ($2)", ["x", "a\u{0}b"])])
            }
            return (alone, piped, try c.query("SELECT count(*) FROM t").single().decode(Int.self, at: 0))
        }
        #expect(alone?.sqlState == "22021" && alone?.message.hasPrefix("parameter $1 contains a NUL character") == true)
        #expect(piped?.sqlState == "22021" && piped?.message.hasPrefix("statement 2, parameter $2 contains a NUL character") == true)
        #expect(rows == 0)
    }

    @Test func theFirstFailureStopsTheRestAndTheConnectionStaysUsable() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("pipelinefail"))
        defer { Task { await connection.close() } }
        let (error, count, idle) = try await connection.run { c in
            try c.execute("CREATE TABLE t (n int PRIMARY KEY)")
            var caught: PostgresError?
            do {
                _ = try c.pipeline([
                    PipelineStatement("INSERT INTO t VALUES (1)"),
                    PipelineStatement("INSERT INTO t VALUES (1)"),  // duplicate key
                    PipelineStatement("INSERT INTO t VALUES (3)"),  // skipped
                ])
            } catch {
                caught = error as? PostgresError
            }
            // Outside a block, the pipeline was one implicit transaction: nothing stayed.
            let count = try c.query("SELECT count(*) FROM t").single().decode(Int.self, at: 0)
            return (caught, count, c.isIdle)
        }
        #expect(error?.sqlState == "23505")
        #expect(count == 0)
        #expect(idle)
    }

    /// Swift work between sending and reading (the import re-checks a chunk's entries while
    /// PostgreSQL writes its purchases): its value comes back with the results, its error wins
    /// over a statement's, and either way every result is read and the connection stays usable.
    @Test func workMeanwhileRunsBetweenSendingAndReading() async throws {
        struct Refused: Error {}
        let connection = try await Connection.connect(try await TestDatabase.fresh("pipelinemeanwhile"))
        defer { Task { await connection.close() } }
        let (results, value, refused, duplicate, rows, idle) = try await connection.run { c in
            try c.execute("CREATE TABLE t (n int PRIMARY KEY, v text)")
            // Parameters far past maximumPipelineParameterBytes still travel together.
            let big = String(repeating: "账", count: Connection.maximumPipelineParameterBytes)
            let (results, value) = try c.pipeline(
                [PipelineStatement("INSERT INTO t VALUES (1, $1)", [big]), PipelineStatement("INSERT INTO t VALUES (2, $1), (3, $1)", [big])],
                meanwhile: { "checked" })
            var refused = false
            do {
                _ = try c.pipeline([PipelineStatement("INSERT INTO t VALUES (1, 'again')")], meanwhile: { throw Refused() })
            } catch is Refused {
                refused = true
            }
            var duplicate: String?
            do {
                _ = try c.pipeline([PipelineStatement("INSERT INTO t VALUES (4, 'x')"), PipelineStatement("INSERT INTO t VALUES (2, 'x')")], meanwhile: { 1 })
            } catch {
                duplicate = (error as? PostgresError)?.sqlState
            }
            let rows = try c.query("SELECT n, length(v) FROM t ORDER BY n").rows.map { [try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1)] }
            return (results.map(\.affectedRows), value, refused, duplicate, rows, c.isIdle)
        }
        #expect(results == [1, 2])
        #expect(value == "checked")
        #expect(refused)
        #expect(duplicate == "23505")
        let size = Connection.maximumPipelineParameterBytes
        #expect(rows == [[1, size], [2, size], [3, size]])
        #expect(idle)
    }

    @Test func aTransactionWhoseFirstStatementTravelsWithBegin() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("pipelinetx"))
        defer { Task { await connection.close() } }
        let (value, rows) = try await connection.run { c in
            try c.execute("CREATE TABLE t (n int PRIMARY KEY)")
            let value = try c.transactionIsolated(first: PipelineStatement("INSERT INTO t VALUES ($1) RETURNING n + 1", [41])) { inner, result in
                try inner.execute("INSERT INTO t VALUES (2)")
                return try result.single().decode(Int.self, at: 0)
            }
            do {
                _ = try c.transactionIsolated(first: PipelineStatement("INSERT INTO t VALUES (7)")) { inner, _ in
                    try inner.execute("INSERT INTO t VALUES (2)")  // fails: the whole transaction rolls back
                }
            } catch {}
            return (value, try c.query("SELECT n FROM t ORDER BY n").rows.map { try $0.decode(Int.self, at: 0) })
        }
        #expect(value == 42)
        #expect(rows == [2, 41])
    }
}

@Suite("prepared statements")
struct PreparedStatementTests {
    @Test func aStatementIsPreparedOncePerSessionAndSurvivesErrorsAndDDL() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("prepared"))
        defer { Task { await connection.close() } }
        let (sums, prepared, afterDDL) = try await connection.run { c in
            try c.execute("CREATE TABLE t (n int PRIMARY KEY)")
            try c.execute("INSERT INTO t SELECT generate_series(1, 10)")
            let sql = "SELECT sum(n) FROM t WHERE n <= $1"
            var sums: [Int] = []
            for limit in [3, 4, 10] { sums.append(try c.query(sql, [limit], prepared: true).single().decode(Int.self, at: 0)) }
            // A failed transaction does not lose the prepared statement.
            _ = try? c.transactionIsolated { t in try t.execute("SELECT 1/0") }
            let results = try c.pipeline([
                PipelineStatement(sql, [2], prepared: true), PipelineStatement("SELECT count(*) FROM t", prepared: true),
            ])
            sums.append(try results[0].single().decode(Int.self, at: 0))
            sums.append(try results[1].single().decode(Int.self, at: 0))
            let prepared = try c.query("SELECT count(*) FROM pg_prepared_statements").single().decode(Int.self, at: 0)
            // PostgreSQL replans a prepared statement after DDL on its table.
            try c.execute("ALTER TABLE t ADD COLUMN m int DEFAULT 0")
            try c.execute("INSERT INTO t (n) VALUES (100)")
            let afterDDL = try c.query(sql, [1000], prepared: true).single().decode(Int.self, at: 0)
            return (sums, prepared, afterDDL)
        }
        #expect(sums == [6, 10, 55, 3, 10])
        #expect(prepared == 2)  // the sum and the count, each once
        #expect(afterDDL == 155)
    }

    @Test func aBadStatementIsAnErrorEachTimeAndNothingIsKept() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("preparedbad"))
        defer { Task { await connection.close() } }
        let (first, second, prepared) = try await connection.run { c in
            var errors: [String?] = []
            for _ in 0..<2 {
                do {
                    try c.query("SELECT nonsense FROM nowhere WHERE x = $1", [1], prepared: true)
                    errors.append(nil)
                } catch {
                    errors.append((error as? PostgresError)?.sqlState)
                }
            }
            return (errors[0], errors[1], try c.query("SELECT count(*) FROM pg_prepared_statements").single().decode(Int.self, at: 0))
        }
        #expect(first == "42P01")
        #expect(second == "42P01")
        #expect(prepared == 0)
    }
}

@Suite("connection pool")
struct ConnectionPoolTests {
    @Test func neverOpensMoreThanItsMaximum() async throws {
        let configuration = try await TestDatabase.fresh("pool")
        let pool = ConnectionPool(.init(connection: configuration, maximumConnections: 3))
        let pids = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try await connection.run { c in
                            try c.execute("SELECT pg_sleep(0.02)")
                            return try c.query("SELECT pg_backend_pid()").single().decode(Int.self, at: 0)
                        }
                    }
                }
            }
            var pids: Set<Int> = []
            for try await pid in group { pids.insert(pid) }
            return pids
        }
        #expect(pids.count <= 3)
        #expect(pids.count >= 1)
        #expect(await pool.openConnections <= 3)
        await pool.shutdown()
        await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 1 } }
    }

    @Test func aConnectionLeftInATransactionIsNotReused() async throws {
        let pool = ConnectionPool(.init(connection: try await TestDatabase.fresh("poolreset"), maximumConnections: 1))
        let abandoned = try await pool.withConnection { connection in
            try await connection.run { c in
                try c.execute("BEGIN")
                return try c.query("SELECT pg_backend_pid()").single().decode(Int.self, at: 0)
            }
        }
        let next = try await pool.withConnection { connection in
            try await connection.run { c in try c.query("SELECT pg_backend_pid()").single().decode(Int.self, at: 0) }
        }
        #expect(next != abandoned)  // the connection left inside a transaction was closed, not reused
        await pool.shutdown()
    }
}

@Suite("nested transactions")
struct NestedTransactionTests {
    @Test func anInnerTransactionIsASavepointAndTheOuterOneCommits() async throws {
        let connection = try await Connection.connect(try await TestDatabase.fresh("nested"))
        try await connection.run { c in _ = try c.execute("CREATE TABLE t (n int)") }
        let setting = try await connection.transaction { c in
            try c.execute("SET LOCAL application_name = 'outer'")
            _ = try c.transactionIsolated { inner in try inner.execute("INSERT INTO t VALUES (1)") }
            do {
                try c.transactionIsolated { inner in
                    try inner.execute("INSERT INTO t VALUES (2)")
                    try inner.execute("SELECT 1/0")
                }
            } catch {}
            // Still inside the outer transaction, with its local setting.
            return try c.query("SHOW application_name").single().decode(String.self, at: 0)
        }
        #expect(setting == "outer")
        let rows = try await connection.run { c in try c.query("SELECT n FROM t ORDER BY n").rows.map { try $0.decode(Int.self, at: 0) } }
        #expect(rows == [1])  // the failed inner block rolled back alone
        await connection.close()
    }
}
