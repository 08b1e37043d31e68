import CLibPQ
import Foundation

/// A binary `COPY … TO STDOUT` on a second connection of its own, streamed on a thread of its
/// own while the caller's connection does other work (typically a second COPY): PostgreSQL runs
/// the two in two backends, on two cores.
///
/// The connection is opened, and `setup` run, in the initialiser on the caller's thread (a
/// connection's thread, where blocking libpq calls belong); then a new thread runs the COPY and
/// hands rows, parsed there by `parse`, to ``next()`` in batches. At most `depth` batches wait,
/// so memory stays bounded whatever the number of rows. To read in the caller's snapshot, export
/// it there (`pg_export_snapshot()` in a REPEATABLE READ transaction) and pass `BEGIN ISOLATION
/// LEVEL REPEATABLE READ` and `SET TRANSACTION SNAPSHOT '…'` as `setup`.
public final class SideCopy<Row: Sendable>: @unchecked Sendable {
    // `batches`, `ended`, `failure` and `stopping` are shared, under `condition`'s lock;
    // `current` and `position` belong to the consuming thread.
    private let condition = NSCondition()
    private var batches: [[Row]] = []
    private var ended = false
    private var failure: (any Error)?
    private var stopping = false
    private let cancelToken: CancelToken
    private var current: [Row] = []
    private var position = 0

    private struct Handle: @unchecked Sendable { let conn: OpaquePointer }

    /// Connects with `configuration` (its role and statement timeout too), runs `setup`, and
    /// starts streaming `sql` (a `COPY … TO STDOUT (FORMAT binary)`). Throws, with nothing left
    /// open, when the connection or a setup statement fails.
    public init(
        configuration: ConnectionConfiguration, setup: [String], sql: String, batchSize: Int = 1_024, depth: Int = 8,
        parse: @escaping @Sendable (UnsafeBufferPointer<UInt8>, CopyBinaryFields) throws -> Row
    ) throws(PostgresError) {
        guard let conn = PQconnectdb(configuration.conninfo) else {
            throw PostgresError(kind: .connection, message: "cannot connect to PostgreSQL: out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            throw PostgresError(kind: .connection, message: "cannot connect to PostgreSQL: " + message)
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        let statements: [String]
        do {
            statements = try configuration.sessionStatements()
        } catch {
            PQfinish(conn)
            throw error
        }
        for statement in statements + setup {
            let result = PQexec(conn, statement)
            let status = PQresultStatus(result)
            PQclear(result)
            guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
                let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
                PQfinish(conn)
                throw PostgresError(kind: .connection, message: "second connection: \(statement): \(message)")
            }
        }
        cancelToken = CancelToken(handle: PQgetCancel(conn))
        let handle = Handle(conn: conn)
        let size = max(1, batchSize)
        let limit = max(1, depth)
        let thread = Thread { [self] in
            self.stream(handle.conn, sql: sql, batchSize: size, depth: limit, parse: parse)
        }
        thread.name = "relief.pg.side"
        thread.start()
    }

    /// The next row, in the COPY's order; nil after the last. Blocks while the thread reads.
    /// Throws the stream's error (the server's, or `parse`'s).
    public func next() throws -> Row? {
        if position < current.count {
            position += 1
            return current[position - 1]
        }
        condition.lock()
        while batches.isEmpty && !ended && failure == nil { condition.wait() }
        if let failure {
            condition.unlock()
            throw failure
        }
        guard !batches.isEmpty else {
            condition.unlock()
            return nil
        }
        current = batches.removeFirst()
        condition.broadcast()
        condition.unlock()
        position = 1
        return current[0]
    }

    /// Stops the COPY if it still runs, closes the connection and waits for the thread to end.
    /// Call it once, whether or not every row was read.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        cancelToken.cancel()
        condition.lock()
        while !ended { condition.wait() }
        condition.unlock()
        cancelToken.free()
    }

    private func stream(
        _ conn: OpaquePointer, sql: String, batchSize: Int, depth: Int,
        parse: @Sendable (UnsafeBufferPointer<UInt8>, CopyBinaryFields) throws -> Row
    ) {
        var error: (any Error)?
        defer {
            PQfinish(conn)
            condition.lock()
            if failure == nil, let error { failure = error }
            ended = true
            condition.broadcast()
            condition.unlock()
        }
        let start = PQexec(conn, sql)
        guard PQresultStatus(start) == PGRES_COPY_OUT else {
            error = PostgresError(kind: .copy, message: "second connection: " + String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines))
            PQclear(start)
            return
        }
        PQclear(start)
        var fields = CopyBinaryFields()
        var headerSeen = false
        var batch: [Row] = []
        batch.reserveCapacity(batchSize)
        func push() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while batches.count >= depth && !stopping { condition.wait() }
            if stopping { return false }
            batches.append(batch)
            condition.broadcast()
            batch = []
            batch.reserveCapacity(batchSize)
            return true
        }
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(conn, &buffer, 0)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                let message = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: Int(length))
                do {
                    var offset = 0
                    if !headerSeen {
                        offset = try CopyBinaryFields.headerLength(message)
                        headerSeen = true
                    }
                    while offset < message.count {
                        guard let next = try fields.split(message, at: offset) else { break }
                        batch.append(try parse(message, fields))
                        offset = next
                    }
                } catch let failed {
                    error = failed
                    return
                }
                if batch.count >= batchSize && !push() { return }
                continue
            }
            if length == -2 {
                error = PostgresError(kind: .copy, message: "second connection: COPY read failed: " + String(cString: PQerrorMessage(conn)))
                return
            }
            break
        }
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            if status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && error == nil {
                error = PostgresError(kind: .copy, message: "second connection: " + String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            PQclear(result)
        }
        if error == nil && !batch.isEmpty { _ = push() }
    }
}
