import EmbeddedPostgres
public import Postgres

/// The books' database: where it is, a pool for the application role, and migrations applied.
public struct ReliefDatabase: Sendable {
    /// The pool whose connections act as `relief_app`.
    public let pool: ConnectionPool
    /// How connections were configured (login role; the pool adds `SET ROLE relief_app`).
    public let connection: ConnectionConfiguration

    /// The role the application acts as; it has no UPDATE/DELETE on the books.
    public static let applicationRole = "relief_app"
    /// The default number of pooled connections.
    public static let defaultMaximumConnections = 8

    /// Where the database is: the one named by `DATABASE_URL` / `PGHOST` / `PGSERVICE`, else the
    /// embedded cluster under `RELIEF_HOME` (default `./.relief`), started when it is not running.
    public static func locate(environment: [String: String]) throws -> ConnectionConfiguration {
        if EmbeddedPostgres.isExternalDatabaseConfigured(environment: environment) {
            return ConnectionConfiguration.fromEnvironment(environment)
        }
        let cluster = EmbeddedPostgres(home: EmbeddedPostgres.defaultHome(environment: environment))
        return ConnectionConfiguration(conninfo: try cluster.start())
    }

    /// Applies pending migrations on a login-role connection, then opens the application pool.
    public static func open(
        _ configuration: ConnectionConfiguration, maximumConnections: Int = defaultMaximumConnections
    ) async throws -> ReliefDatabase {
        let admin = try await Connection.connect(configuration)
        do {
            try await Migrator.migrate(admin)
            await admin.close()
        } catch {
            await admin.close()
            throw error
        }
        var appConfiguration = configuration
        appConfiguration.role = applicationRole
        let pool = ConnectionPool(.init(connection: appConfiguration, maximumConnections: maximumConnections))
        return ReliefDatabase(pool: pool, connection: configuration)
    }

    /// Closes the pool.
    public func close() async { await pool.shutdown() }
}
