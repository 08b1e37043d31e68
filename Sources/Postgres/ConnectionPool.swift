public import Logging
public import ServiceLifecycle

/// A bounded pool of ``Connection``s, run as a service.
///
/// At most ``Configuration/maximumConnections`` connections are open; callers beyond that wait in
/// a queue of at most ``Configuration/maximumWaiters``. Connections are opened lazily and a broken
/// one is replaced on its next lease.
public actor ConnectionPool: Service {
    /// Pool settings.
    public struct Configuration: Sendable {
        /// Where to connect.
        public var connection: ConnectionConfiguration
        /// The most connections open at once.
        public var maximumConnections: Int
        /// The most callers waiting for a connection; one more gets an error at once.
        public var maximumWaiters: Int

        /// Makes a configuration.
        public init(connection: ConnectionConfiguration, maximumConnections: Int = 8, maximumWaiters: Int = 10_000) {
            precondition(maximumConnections >= 1, "a pool needs at least one connection")
            self.connection = connection
            self.maximumConnections = maximumConnections
            self.maximumWaiters = maximumWaiters
        }
    }

    /// The pool's settings.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var idle: [Connection] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<Connection?, Never>] = []
    private var waiterHead = 0
    private var isShutDown = false

    /// Makes a pool; no connection opens until the first lease.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "relief.pool")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Leases a connection for the duration of `body`, then returns it to the pool.
    public nonisolated func withConnection<T: Sendable>(
        _ body: @Sendable (Connection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            releaseLater(connection)
            return value
        } catch {
            releaseLater(connection)
            throw error
        }
    }

    /// Leases a connection and runs `body` in a transaction on it (see ``Connection/transaction``).
    public nonisolated func transaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        _ body: @Sendable (isolated Connection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.transaction(isolation: isolation, body)
        }
    }

    private func lease() async throws -> Connection {
        guard !isShutDown else { throw PostgresError(kind: .pool, message: "the connection pool is shut down") }
        // Every connection in `idle` or handed over was checked by `release` (open, outside a
        // transaction), so leasing costs no hop to its thread.
        if let connection = idle.popLast() { return connection }
        if openCount < configuration.maximumConnections {
            openCount += 1
            do {
                return try await Connection.connect(configuration.connection, logger: logger)
            } catch {
                openCount -= 1
                throw error
            }
        }
        guard waiters.count - waiterHead < configuration.maximumWaiters else {
            throw PostgresError(
                kind: .pool,
                message: "too many callers waiting for a database connection (\(configuration.maximumWaiters))")
        }
        let handedOver = await withCheckedContinuation { waiters.append($0) }
        guard let handedOver else { throw PostgresError(kind: .pool, message: "the connection pool is shut down") }
        return handedOver
    }

    /// Returns `connection` to the pool without making the caller wait: the check on its thread
    /// and the hand-over happen after the caller has its answer.
    private nonisolated func releaseLater(_ connection: Connection) {
        Task { await self.release(connection) }
    }

    /// Checks `connection` (open, outside a transaction), then hands it to the first waiter or
    /// keeps it idle; a broken one is closed and, for a waiter, replaced under the same slot.
    private func release(_ connection: Connection) async {
        let usable = await connection.isIdle
        if isShutDown || !usable {
            await discard(connection)
            if !isShutDown, waiterHead < waiters.count { await replaceForWaiter() }
            return
        }
        if waiterHead < waiters.count {
            let waiter = waiters[waiterHead]
            waiterHead += 1
            if waiterHead == waiters.count {
                waiters.removeAll(keepingCapacity: true)
                waiterHead = 0
            }
            waiter.resume(returning: connection)
            return
        }
        idle.append(connection)
    }

    /// Opens a connection for the first waiter, in the slot a broken connection left; if that
    /// fails, the waiter stays queued for the next release.
    private func replaceForWaiter() async {
        guard openCount < configuration.maximumConnections else { return }
        openCount += 1
        do {
            let connection = try await Connection.connect(configuration.connection, logger: logger)
            await release(connection)
        } catch {
            openCount -= 1
            logger.warning("could not replace a broken connection", metadata: ["error": "\(error)"])
        }
    }

    private func discard(_ connection: Connection) async {
        openCount -= 1
        await connection.close()
    }

    /// Runs until graceful shutdown, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes idle connections now and the leased ones when they come back; fails waiters.
    public func shutdown() async {
        isShutDown = true
        for index in waiterHead..<waiters.count { waiters[index].resume(returning: nil) }
        waiters.removeAll()
        waiterHead = 0
        let closing = idle
        idle.removeAll()
        for connection in closing { await discard(connection) }
    }

    /// Open connections right now (leased and idle).
    public var openConnections: Int { openCount }
}
