import CLibPQ
import Foundation
public import Logging

/// How to reach PostgreSQL and how to behave once connected.
public struct ConnectionConfiguration: Sendable {
    /// A libpq connection string or URI. Empty means "libpq's defaults": the `PG*` environment
    /// variables, `.pgpass`, service files and every `sslmode` work exactly as in psql.
    public var conninfo: String
    /// `statement_timeout` set on every new connection; nil keeps the server's setting.
    public var statementTimeoutMilliseconds: Int?
    /// `application_name` shown in `pg_stat_activity`.
    public var applicationName: String
    /// A role to `SET ROLE` to right after connecting (e.g. `relief_app`), so that the grants of
    /// that role, not the login role's, govern every statement. nil keeps the login role.
    public var role: String?

    /// Makes a configuration.
    public init(conninfo: String, statementTimeoutMilliseconds: Int? = nil, applicationName: String = "relief") {
        self.conninfo = conninfo
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.applicationName = applicationName
    }

    /// The statements that make a new session behave as configured: its application name, role
    /// and statement timeout. Every connection runs them first, the second connection of a
    /// ``SideCopy`` too. Throws when the role is not a plain identifier.
    func sessionStatements() throws(PostgresError) -> [String] {
        var statements = ["SET application_name = '\(applicationName.filter { $0.isLetter || $0 == "-" })'"]
        if let role {
            guard role.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw PostgresError(kind: .connection, message: "role name \(role) must be letters, digits and _")
            }
            statements.append("SET ROLE \(role)")
        }
        if let statementTimeoutMilliseconds {
            statements.append("SET statement_timeout = \(max(0, statementTimeoutMilliseconds))")
        }
        return statements
    }

    /// `DATABASE_URL` when set, otherwise an empty conninfo so that libpq reads `PG*` variables itself.
    public static func fromEnvironment(_ environment: [String: String]) -> ConnectionConfiguration {
        ConnectionConfiguration(conninfo: environment["DATABASE_URL"] ?? "")
    }
}

/// Transaction isolation levels.
public enum IsolationLevel: String, Sendable {
    /// PostgreSQL's default.
    case readCommitted = "READ COMMITTED"
    /// Snapshot for the whole transaction.
    case repeatableRead = "REPEATABLE READ"
    /// Full serializability; may fail with SQLSTATE 40001 and is then retried.
    case serializable = "SERIALIZABLE"
}

/// Sends PQcancel from any thread: the one libpq call documented as thread-safe on a busy connection.
final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?

    init(handle: OpaquePointer?) { self.handle = handle }

    /// Frees the old handle, if any, and keeps `newHandle`.
    func replace(_ newHandle: OpaquePointer?) {
        lock.lock()
        defer { lock.unlock() }
        if let handle { PQfreeCancel(handle) }
        handle = newHandle
    }

    func cancel() {
        lock.lock()
        defer { lock.unlock() }
        guard let handle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }

    func free() {
        lock.lock()
        defer { lock.unlock() }
        if let handle { PQfreeCancel(handle) }
        handle = nil
    }
}

/// One PostgreSQL connection, confined to its own OS thread.
///
/// Every isolated method runs on the connection's thread (the actor's custom executor), so the
/// blocking libpq calls inside never occupy Swift's cooperative pool. Callers use ``run(_:)`` or
/// ``transaction(isolation:maximumAttempts:_:)``, whose bodies are synchronous: a connection is never
/// suspended mid-statement.
public actor Connection {
    /// The bound on statements retried after serialization failures or deadlocks.
    public static let defaultMaximumAttempts = 5
    /// COPY data is sent in chunks of at most this many bytes.
    static let copyChunkBytes = 256 * 1024

    private nonisolated let executor: ThreadExecutor
    private nonisolated let cancelToken: CancelToken
    private var handle: OpaquePointer?
    private var savepointDepth = 0
    /// Statements prepared on this session, by SQL text: their server-side names.
    private var preparedNames: [String: String] = [:]
    /// The configuration this connection was opened with (a second connection, such as
    /// ``SideCopy``'s, opens with the same).
    public private(set) var configuration: ConnectionConfiguration?
    private let logger: Logger

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init(executor: ThreadExecutor, logger: Logger) {
        self.executor = executor
        self.cancelToken = CancelToken(handle: nil)
        self.logger = logger
    }

    /// Opens a connection on a new thread.
    public static func connect(
        _ configuration: ConnectionConfiguration, logger: Logger = Logger(label: "relief.postgres")
    ) async throws(PostgresError) -> Connection {
        let connection = Connection(executor: ThreadExecutor(name: "relief.pg"), logger: logger)
        do {
            try await connection.open(configuration)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private func open(_ configuration: ConnectionConfiguration) throws(PostgresError) {
        self.configuration = configuration
        let conn = PQconnectdb(configuration.conninfo)
        handle = conn
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            throw PostgresError(
                kind: .connection, message: "cannot connect to PostgreSQL: "
                    + message.trimmingCharacters(in: .whitespacesAndNewlines),
                hint: "set DATABASE_URL or PGHOST/PGDATABASE/PGUSER, or unset them to use the embedded cluster")
        }
        // libpq prints NOTICEs to stderr by default; the CLI's stderr is for errors only.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        cancelToken.replace(PQgetCancel(conn))
        for statement in try configuration.sessionStatements() { _ = try execute(statement) }
    }

    /// Closes the connection and ends its thread. Safe to call twice.
    public func close() {
        cancelToken.free()
        if let handle { PQfinish(handle) }
        handle = nil
        executor.shutdown()
    }

    /// Asks the server to cancel the statement running now, from any thread.
    public nonisolated func cancel() { cancelToken.cancel() }

    /// True when the connection is open and not inside a transaction.
    public var isIdle: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// True when the connection is open and usable.
    public var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True when called on the connection's own thread, which is where every isolated method runs.
    public func isOnConnectionThread() -> Bool { executor.isCurrent() }

    /// The server's version number, e.g. 150018.
    public var serverVersion: Int {
        handle.map { Int(PQserverVersion($0)) } ?? 0
    }

    // MARK: Running work on the connection's thread

    /// Runs `body` on the connection's thread. Task cancellation cancels the running statement.
    public nonisolated func run<T: Sendable>(
        _ body: @Sendable (isolated Connection) throws -> T
    ) async throws -> T {
        try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return try await self.runIsolated(body)
        } onCancel: {
            self.cancel()
        }
    }

    private func runIsolated<T: Sendable>(_ body: @Sendable (isolated Connection) throws -> T) throws -> T {
        // A cancel that arrived while this task waited for the connection's thread found no
        // statement to cancel (PQcancel with nothing running is a no-op), so it is honoured here,
        // before anything is sent. What remains is the microseconds between this check and the send.
        if Task.isCancelled {
            throw PostgresError(kind: .cancelled, message: "cancelled before the statement was sent")
        }
        return try body(self)
    }

    /// Runs `body` inside BEGIN … COMMIT on the connection's thread. On SQLSTATE 40001 or 40P01 the
    /// whole transaction is retried, at most `maximumAttempts` times; any other error rolls back.
    public nonisolated func transaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        maximumAttempts: Int = Connection.defaultMaximumAttempts,
        _ body: @Sendable (isolated Connection) throws -> T
    ) async throws -> T {
        try await run { connection in
            try connection.transactionIsolated(
                isolation: isolation, maximumAttempts: maximumAttempts, body)
        }
    }

    /// Runs `body` in the open transaction if there is one, as part of it (no savepoint: an error
    /// leaves that transaction for its owner to roll back), or else in a transaction of its own
    /// (``transactionIsolated(isolation:maximumAttempts:_:)``).
    public func withinTransaction<T>(_ body: (isolated Connection) throws -> T) throws -> T {
        if let handle, PQtransactionStatus(handle) == PQTRANS_INTRANS { return try body(self) }
        return try transactionIsolated(body)
    }

    /// ``transactionIsolated(isolation:maximumAttempts:_:)`` whose first statement travels with
    /// its BEGIN in one ``pipeline(_:)``: one round trip less for a transaction that opens with
    /// a known statement. `body` gets that statement's result. Inside a transaction already, the
    /// statement runs in the savepoint like any other.
    public func transactionIsolated<T>(
        first: PipelineStatement,
        maximumAttempts: Int = Connection.defaultMaximumAttempts,
        _ body: (isolated Connection, PostgresResult) throws -> T
    ) throws -> T {
        try transactionOpening(with: [first], maximumAttempts: maximumAttempts) { results in try body(self, results[0]) }
    }

    /// ``transactionIsolated(first:maximumAttempts:_:)-(PipelineStatement,_,_)`` with several
    /// first statements, all in the BEGIN's round trip, run in order; `body` gets their results
    /// in the same order. An error in one of them ends the transaction before `body` runs.
    public func transactionIsolated<T>(
        first: [PipelineStatement],
        maximumAttempts: Int = Connection.defaultMaximumAttempts,
        _ body: (isolated Connection, [PostgresResult]) throws -> T
    ) throws -> T {
        try transactionOpening(with: first, maximumAttempts: maximumAttempts) { results in try body(self, results) }
    }

    /// The transaction of ``transactionIsolated(first:maximumAttempts:_:)-([PipelineStatement],_,_)``.
    private func transactionOpening<T>(
        with first: [PipelineStatement], maximumAttempts: Int, _ body: ([PostgresResult]) throws -> T
    ) throws -> T {
        precondition(maximumAttempts >= 1, "maximumAttempts must be at least 1")
        precondition(!first.isEmpty, "a transaction opens with at least one statement")
        if let handle, PQtransactionStatus(handle) == PQTRANS_INTRANS {
            return try inSavepoint { try body(try first.map { try query($0.sql, $0.parameters, prepared: $0.prepared) }) }
        }
        return try retryingTransaction(maximumAttempts: maximumAttempts) {
            let results = try pipeline([PipelineStatement("BEGIN")] + first)
            return try body(Array(results.dropFirst()))
        }
    }

    /// The synchronous form of ``transaction(isolation:maximumAttempts:_:)`` for code already on the
    /// connection's thread.
    public func transactionIsolated<T>(
        isolation: IsolationLevel = .readCommitted,
        maximumAttempts: Int = Connection.defaultMaximumAttempts,
        _ body: (isolated Connection) throws -> T
    ) throws -> T {
        precondition(maximumAttempts >= 1, "maximumAttempts must be at least 1")
        if let handle, PQtransactionStatus(handle) == PQTRANS_INTRANS {
            return try inSavepoint { try body(self) }
        }
        return try retryingTransaction(maximumAttempts: maximumAttempts) {
            try execute(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
            return try body(self)
        }
    }

    /// Runs `beginAndWork` (which opens the transaction and does its work), then COMMIT; on an
    /// error rolls back, and on SQLSTATE 40001 or 40P01 starts again, at most `maximumAttempts`
    /// times in all.
    private func retryingTransaction<T>(maximumAttempts: Int, _ beginAndWork: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                let value = try beginAndWork()
                try execute("COMMIT")
                return value
            } catch {
                rollbackQuietly()
                if let pgError = error as? PostgresError, pgError.isTransient, attempt < maximumAttempts {
                    logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "sqlstate": "\(pgError.sqlState ?? "")"])
                    attempt += 1
                    continue
                }
                throw error
            }
        }
    }

    /// Runs `body` in a savepoint of the open transaction, so the outer transaction (and its
    /// SET LOCAL settings) stays in charge of COMMIT. No retry: the outer one retries.
    private func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        let name = "relief_sp_\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body()
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            _ = try? execute("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
    }

    private func rollbackQuietly() {
        guard let handle, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    // MARK: Statements

    /// Runs one or more statements without parameters (simple query protocol): for DDL and
    /// migrations. Returns the last statement's result.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        let conn = try requireHandle()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        return try materialize(result, conn: conn)
    }

    /// The most statements one session prepares; statements beyond it run unprepared.
    public static let maximumPreparedStatements = 64

    /// The server-side name of `sql` prepared on this session, preparing it now if it is not yet
    /// (one round trip, once per session); nil when ``maximumPreparedStatements`` are taken.
    /// PostgreSQL keeps the parse tree and, once a generic plan proves as cheap as custom ones,
    /// the plan; it replans by itself after DDL and for another role under row-level security.
    private func preparedName(_ sql: String, parameterCount: Int, conn: OpaquePointer) throws(PostgresError) -> String? {
        if let name = preparedNames[sql] { return name }
        guard preparedNames.count < Self.maximumPreparedStatements else { return nil }
        let name = "relief_ps_\(preparedNames.count + 1)"
        let result = PQprepare(conn, name, sql, Int32(parameterCount), nil)
        defer { PQclear(result) }
        _ = try materialize(result, conn: conn)
        preparedNames[sql] = name
        return name
    }

    /// Runs one parameterised statement. Parameters travel separately from the SQL text, in
    /// PostgreSQL's text format; nil is SQL NULL. `prepared` keeps the statement prepared on the
    /// session (for statements a request runs every time): parsed and analysed once, and planned
    /// once when PostgreSQL finds a generic plan as good.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [], prepared: Bool = false) throws(PostgresError)
        -> PostgresResult
    {
        let conn = try requireHandle()
        let texts = try Self.parameterTexts(parameters)
        let name = prepared ? try preparedName(sql, parameterCount: texts.count, conn: conn) : nil
        let result = withCStringArray(texts) { pointers in
            if let name { return PQexecPrepared(conn, name, Int32(pointers.count), pointers, nil, nil, 0) }
            return PQexecParams(conn, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try materialize(result, conn: conn)
    }

    /// The parameters in PostgreSQL's text format (nil is SQL NULL). libpq passes them as C
    /// strings, where a NUL would silently end the value early: refused, naming the parameter
    /// (and, in a pipeline, its statement).
    private static func parameterTexts(_ parameters: [(any PostgresEncodable)?], statementNumber: Int? = nil) throws(PostgresError) -> [String?] {
        let texts = parameters.map { $0?.postgresText }
        if let index = texts.firstIndex(where: { $0.map(containsNUL) == true }) {
            throw PostgresError(
                kind: .server, sqlState: "22021",
                message: (statementNumber.map { "statement \($0), " } ?? "")
                    + "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold; remove it")
        }
        return texts
    }

    /// True when `text` holds a NUL byte. memchr over the string's UTF-8 storage: a bulk
    /// import's parameters run to megabytes, and scanning them a byte at a time through the UTF-8
    /// view was 5% of the import's Swift time.
    static func containsNUL(_ text: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
        return found ?? text.utf8.contains(0)
    }

    // MARK: Pipelines

    /// The most statements one ``pipeline(_:)`` sends: few enough that their text and their
    /// results never fill the socket buffers of a blocking connection.
    public static let maximumPipelineStatements = 16

    /// The most parameter bytes one ``pipeline(_:)`` sends in one flight. Larger ones (a bulk
    /// import's key lists) run their statements one by one: a round trip is nothing beside them,
    /// and a blocking connection never has more in flight than the socket's buffers hold.
    public static let maximumPipelineParameterBytes = 64 * 1024

    /// Sends `statements` in one flight (libpq's pipeline mode) and returns their results in
    /// order. They run one after another, exactly as separate ``query(_:_:)`` calls would, for
    /// one round trip instead of one each. A `BEGIN` among them opens a block that stays open
    /// after this returns. The first statement that fails stops the rest (PostgreSQL skips
    /// them) and its error is thrown once every result has been read, leaving the connection
    /// usable. Outside a transaction block the statements form one implicit transaction, unless
    /// their parameters pass ``maximumPipelineParameterBytes`` and they run one by one: use
    /// pipelines inside a transaction, or for statements whose atomicity does not matter.
    public func pipeline(_ statements: [PipelineStatement]) throws(PostgresError) -> [PostgresResult] {
        precondition(
            (1...Self.maximumPipelineStatements).contains(statements.count),
            "a pipeline sends 1 to \(Self.maximumPipelineStatements) statements")
        let conn = try requireHandle()
        let texts = try Self.parameterTexts(of: statements)
        let parameterBytes = texts.reduce(0) { $0 + $1.reduce(0) { $0 + ($1?.utf8.count ?? 0) } }
        if parameterBytes > Self.maximumPipelineParameterBytes {
            // Too much to send before reading: one by one, the same statements in the same order.
            var results: [PostgresResult] = []
            for statement in statements { results.append(try query(statement.sql, statement.parameters, prepared: statement.prepared)) }
            return results
        }
        let (sent, failure) = try sendPipeline(statements, texts: texts, conn: conn)
        return try readPipeline(sent: sent, failure: failure, conn: conn)
    }

    /// ``pipeline(_:)`` that runs `meanwhile` on this thread after the statements are sent and
    /// before their results are read: Swift work that overlaps the server's, such as checking the
    /// answer to an earlier statement while the next ones run. Returns the results and what
    /// `meanwhile` returned. The statements are sent together whatever the size of their
    /// parameters, so every statement but the last must answer with little (an INSERT's count, a
    /// few rows): those answers wait in the socket's buffers while later statements are sent, and
    /// a blocking connection would stall if they filled them. When `meanwhile` throws, the
    /// results are still read (the connection stays usable) and its error is thrown; otherwise the
    /// first statement that failed throws, as in ``pipeline(_:)``.
    public func pipeline<T>(
        _ statements: [PipelineStatement], meanwhile: () throws -> T
    ) throws -> (results: [PostgresResult], value: T) {
        precondition(
            (1...Self.maximumPipelineStatements).contains(statements.count),
            "a pipeline sends 1 to \(Self.maximumPipelineStatements) statements")
        let conn = try requireHandle()
        let texts = try Self.parameterTexts(of: statements)
        let (sent, failure) = try sendPipeline(statements, texts: texts, conn: conn)
        let value = Result { try meanwhile() }
        let results: [PostgresResult]
        do {
            results = try readPipeline(sent: sent, failure: failure, conn: conn)
        } catch {
            if case .failure(let meanwhileError) = value { throw meanwhileError }
            throw error
        }
        return (results, try value.get())
    }

    /// Every statement's parameters as text, numbered for errors (statement 1, 2, …).
    private static func parameterTexts(of statements: [PipelineStatement]) throws(PostgresError) -> [[String?]] {
        var texts: [[String?]] = []
        for (number, statement) in statements.enumerated() {
            texts.append(try parameterTexts(statement.parameters, statementNumber: number + 1))
        }
        return texts
    }

    /// Enters pipeline mode and sends `statements` and a sync. Returns how many were sent and,
    /// when not all, why; the results are ``readPipeline(sent:failure:conn:)``'s to read.
    private func sendPipeline(
        _ statements: [PipelineStatement], texts: [[String?]], conn: OpaquePointer
    ) throws(PostgresError) -> (sent: Int, failure: PostgresError?) {
        // Statements to keep prepared are prepared first, outside the pipeline (once per session).
        var names: [String?] = []
        for (statement, parameters) in zip(statements, texts) {
            names.append(statement.prepared ? try preparedName(statement.sql, parameterCount: parameters.count, conn: conn) : nil)
        }
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(conn, "cannot enter pipeline mode") }
        var sent = 0
        for (index, (statement, parameters)) in zip(statements, texts).enumerated() {
            let accepted = withCStringArray(parameters) { pointers in
                if let name = names[index] { return PQsendQueryPrepared(conn, name, Int32(pointers.count), pointers, nil, nil, 0) }
                return PQsendQueryParams(conn, statement.sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
            }
            guard accepted == 1 else { break }
            sent += 1
        }
        var failure: PostgresError? = sent == statements.count ? nil : connectionError(conn, "sending a pipelined statement failed")
        if PQpipelineSync(conn) != 1, failure == nil { failure = connectionError(conn, "sending the pipeline's sync failed") }
        return (sent, failure)
    }

    /// Reads the results of the `sent` statements of a pipeline, then its sync, and leaves
    /// pipeline mode; throws `failure` or the first statement's error.
    private func readPipeline(sent: Int, failure: PostgresError?, conn: OpaquePointer) throws(PostgresError) -> [PostgresResult] {
        var failure = failure
        var results: [PostgresResult] = []
        results.reserveCapacity(sent)
        for _ in 0..<sent {
            var statementResult = PostgresResult(columns: PostgresColumns(names: []), rows: [], affectedRows: 0)
            // Each statement's results end with a null; an aborted one has PGRES_PIPELINE_ABORTED.
            while let result = PQgetResult(conn) {
                defer { PQclear(result) }
                guard PQresultStatus(result) != PGRES_PIPELINE_ABORTED else { continue }
                do {
                    statementResult = try materialize(result, conn: conn)
                } catch {
                    if failure == nil { failure = error }
                }
            }
            results.append(statementResult)
        }
        try endPipeline(conn, failure: failure)
        return results
    }

    /// Reads the pipeline's sync and leaves pipeline mode; throws `failure`, or what went wrong here.
    private func endPipeline(_ conn: OpaquePointer, failure: PostgresError?) throws(PostgresError) {
        var failure = failure
        // The sync's own result, then nothing more: a bounded loop, in case the connection broke.
        for _ in 0..<4 {
            guard let result = PQgetResult(conn) else { continue }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if PQexitPipelineMode(conn) != 1, failure == nil { failure = connectionError(conn, "cannot leave pipeline mode") }
        if let failure { throw failure }
    }

    // MARK: COPY

    /// Runs `COPY … FROM STDIN` and lets `produce` write the data through a ``CopyWriter``.
    /// Returns the number of rows the server copied. If `produce` throws, the COPY is aborted and
    /// nothing is written.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: (inout CopyWriter) throws -> Void) throws -> Int {
        let conn = try requireHandle()
        let start = PQexec(conn, sql)
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            _ = try materialize(start, conn: conn)
            throw PostgresError(kind: .copy, message: "statement did not start COPY FROM STDIN: \(sql)")
        }
        PQclear(start)
        var writer = CopyWriter(conn: conn)
        var failure: (any Error)?
        do {
            try produce(&writer)
            try writer.flush()
        } catch {
            failure = error
        }
        let endCode: Int32
        if let failure {
            endCode = PQputCopyEnd(conn, "aborted by client: \(failure)")
        } else {
            endCode = PQputCopyEnd(conn, nil)
        }
        if endCode != 1 { throw connectionError(conn, "COPY end failed") }
        var copied = 0
        var serverError: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            do {
                copied = try materialize(result, conn: conn).affectedRows
            } catch {
                serverError = serverError ?? error
            }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return copied
    }

    /// Runs `COPY … TO STDOUT` and hands each data row (one line, without its newline in text
    /// format) to `consume`, streaming: nothing is buffered beyond one row.
    public func copyOut(_ sql: String, _ consume: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try copyOutMessages(sql) { message in
            var count = message.count
            if count > 0 && message[count - 1] == 0x0a { count -= 1 }
            try consume(UnsafeBufferPointer(rebasing: message[0..<count]))
        }
    }

    /// Runs `COPY … TO STDOUT (FORMAT binary)` and hands each row to `consume` with its fields
    /// split (``CopyBinaryFields``; the buffer is valid only during the call), streaming like
    /// ``copyOut(_:_:)``. Binary rows need no escaping on either side and carry integers, dates,
    /// timestamps and `bytea` in fixed binary forms, so both the server and this side spend less
    /// per field than with text.
    public func copyOutBinary(_ sql: String, _ consume: (UnsafeBufferPointer<UInt8>, CopyBinaryFields) throws -> Void) throws {
        var fields = CopyBinaryFields()
        var headerSeen = false
        var ended = false
        try copyOutMessages(sql) { message in
            var offset = 0
            if !headerSeen {
                offset = try CopyBinaryFields.headerLength(message)
                headerSeen = true
            }
            // The server sends one row per message (the header rides with the first, the
            // end marker comes alone); any number is accepted.
            while offset < message.count {
                guard !ended else { throw PostgresError(kind: .copy, message: "malformed binary COPY data: rows after the end marker") }
                guard let next = try fields.split(message, at: offset) else {
                    ended = true
                    offset += 2
                    continue
                }
                try consume(message, fields)
                offset = next
            }
        }
    }

    /// Runs `COPY … TO STDOUT` and hands each CopyData message, as sent, to `consume`.
    private func copyOutMessages(_ sql: String, _ consume: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let conn = try requireHandle()
        let start = PQexec(conn, sql)
        if PQresultStatus(start) != PGRES_COPY_OUT {
            defer { PQclear(start) }
            _ = try materialize(start, conn: conn)
            throw PostgresError(kind: .copy, message: "statement did not start COPY TO STDOUT: \(sql)")
        }
        PQclear(start)
        var consumerError: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(conn, &buffer, 0)
            if length > 0, let buffer {
                if consumerError == nil {
                    let bytes = UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self)
                    do {
                        try consume(UnsafeBufferPointer(start: bytes, count: Int(length)))
                    } catch {
                        consumerError = error
                        cancel()
                    }
                }
                PQfreemem(buffer)
                continue
            }
            if length == -2 { throw connectionError(conn, "COPY read failed") }
            break  // -1: done
        }
        var serverError: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            do { _ = try materialize(result, conn: conn) } catch { serverError = serverError ?? error }
        }
        if let consumerError { throw consumerError }
        if let serverError { throw serverError }
    }

    // MARK: Helpers

    private func requireHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connection, message: "connection is closed") }
        return handle
    }

    private func connectionError(_ conn: OpaquePointer, _ what: String) -> PostgresError {
        let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(kind: .connection, message: "\(what): \(message)")
    }

    private func materialize(_ result: OpaquePointer?, conn: OpaquePointer) throws(PostgresError) -> PostgresResult {
        guard let result else { throw connectionError(conn, "no result") }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_COPY_IN, PGRES_COPY_OUT:
            break
        case PGRES_EMPTY_QUERY:
            return PostgresResult(columns: PostgresColumns(names: []), rows: [], affectedRows: 0)
        default:
            throw Self.serverError(result, conn: conn)
        }
        let columnCount = Int(PQnfields(result))
        var names: [String] = []
        names.reserveCapacity(columnCount)
        for column in 0..<columnCount { names.append(String(cString: PQfname(result, Int32(column)))) }
        let columns = PostgresColumns(names: names)
        let rowCount = Int(PQntuples(result))
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, rows: rows, affectedRows: affected)
    }

    private static func serverError(_ result: OpaquePointer, conn: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let primary = field("M") ?? String(cString: PQerrorMessage(conn))
        let kind: PostgresError.Kind
        switch sqlState {
        case "57014": kind = .cancelled
        case nil: kind = .connection
        default: kind = .server
        }
        return PostgresError(
            kind: kind, sqlState: sqlState,
            message: primary.trimmingCharacters(in: .whitespacesAndNewlines),
            detail: field("D"), hint: field("H"), constraint: field("n"))
    }
}

/// Calls `body` with a C array of C strings (NULL entries for nil), valid only during the call.
func withCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for pointer in owned { free(pointer) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { UnsafePointer($0) })
    }
}

