public import Hummingbird
public import Logging
import Mustache
import Postgres
public import ReliefStore
public import ServiceLifecycle

/// How the web app runs.
public struct WebConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on.
    public var port: Int
    /// The program whose 月报 and purchases the app serves.
    public var programCode: String
    /// The book of the trial balance.
    public var bookCode: String
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy that sets it).
    public var trustForwardedFor: Bool
    /// How long a browser session lasts, in hours.
    public var sessionHours: Int
    /// The key that binds a login form's CSRF token to its pre-session cookie. Random per process
    /// unless given; a restart only makes open login forms ask again.
    public var formKey: [UInt8]

    /// Makes a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, programCode: String = Demo.programCode, bookCode: String = "main",
        trustForwardedFor: Bool = false, sessionHours: Int = 12, formKey: [UInt8]? = nil
    ) {
        self.host = host
        self.port = port
        self.programCode = programCode
        self.bookCode = bookCode
        self.trustForwardedFor = trustForwardedFor
        self.sessionHours = max(1, sessionHours)
        self.formKey = formKey ?? Secrets.randomBytes(32)
    }
}

/// The web app: builds the router and application, or runs the server until SIGINT/SIGTERM.
public enum WebApp {
    /// The router with every route and middleware. Middleware order (outermost first): metrics,
    /// security headers, errors.
    public static func makeRouter(database: ReliefDatabase, configuration: WebConfiguration, metrics: RequestMetrics = RequestMetrics()) -> Router<WebContext> {
        let server = WebServer(pool: database.pool, configuration: configuration, metrics: metrics)
        let router = Router(context: WebContext.self)
        router.middlewares.add(MetricsMiddleware(metrics: metrics))
        router.middlewares.add(SecurityHeadersMiddleware())
        router.middlewares.add(ErrorMiddleware())
        server.addAPIRoutes(to: router)
        server.addPageRoutes(to: router)
        server.addReportRoutes(to: router)
        server.addImportRoutes(to: router)
        server.addFinanceRoutes(to: router)
        server.addAuditRoutes(to: router)
        server.addEntryRoutes(to: router)
        return router
    }

    /// The application on `configuration.host:port`; `services` run beside it (the pool, so that
    /// it closes after the server has stopped).
    /// `onListening` receives the bound port once the server accepts connections (useful with port 0).
    public static func makeApplication(
        database: ReliefDatabase, configuration: WebConfiguration, metrics: RequestMetrics = RequestMetrics(),
        services: [any Service] = [], logger: Logger? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(database: database, configuration: configuration, metrics: metrics),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "relief"),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger ?? Logger(label: "relief.web"))
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, finishes the requests in flight and
    /// closes the database pool.
    public static func serve(database: ReliefDatabase, configuration: WebConfiguration, logger: Logger? = nil) async throws {
        let app = makeApplication(database: database, configuration: configuration, services: [database.pool], logger: logger)
        try await app.runService()
    }
}

/// What every handler shares.
struct WebServer: Sendable {
    let pool: ConnectionPool
    let configuration: WebConfiguration
    let metrics: RequestMetrics
    let templates: MustacheLibrary = Templates.library
    /// Group commit for purchases (one per router).
    let purchaseDesk = PurchaseDesk()
    /// The users of API tokens looked up for purchase POSTs (one per router).
    let tokenCache = TokenCache()

    /// Every role.
    static let everyone = Set(Role.allCases)
    /// Who may read the trial balance.
    static let bookReaders: Set<Role> = [.admin, .financePreparer, .financeApprover, .auditor]
    /// Who may record purchases (a clerk only its own enterprise's).
    static let purchaseWriters: Set<Role> = [.enterpriseClerk, .financePreparer, .admin]
    /// Who may approve subsidy batches.
    static let approvers: Set<Role> = [.financeApprover]
}
