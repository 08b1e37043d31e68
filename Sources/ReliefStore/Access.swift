import Foundation
import HummingbirdBcrypt
public import Postgres
import ReliefCore

/// The roles of DESIGN.md "Access".
public enum Role: String, Sendable, CaseIterable {
    case admin
    case financePreparer = "finance_preparer"
    case financeApprover = "finance_approver"
    case enterpriseClerk = "enterprise_clerk"
    case auditor

    /// The database role a transaction of this user runs as.
    public var databaseRole: String {
        switch self {
        case .enterpriseClerk: return "relief_clerk"
        case .auditor: return "relief_auditor"
        case .admin, .financePreparer, .financeApprover: return "relief_app"
        }
    }
}

/// A signed-in user.
public struct User: Sendable, Hashable {
    /// Database id.
    public var id: Int
    /// Login name.
    public var login: String
    /// Display name.
    public var displayName: String
    /// Role.
    public var role: Role
    /// For a clerk: the enterprise's id and credit code.
    public var enterpriseID: Int?
    /// For a clerk: the enterprise's 统一社会信用代码.
    public var enterpriseCode: String?

    /// Makes a user value (for the audit trail of actions outside a login, e.g. the CLI).
    public init(id: Int, login: String, displayName: String, role: Role, enterpriseID: Int? = nil, enterpriseCode: String? = nil) {
        self.id = id
        self.login = login
        self.displayName = displayName
        self.role = role
        self.enterpriseID = enterpriseID
        self.enterpriseCode = enterpriseCode
    }

    /// How the user appears as `created_by` and in the audit log: `role:login`.
    public var actorName: String { "\(role.rawValue):\(login)" }
}

/// Why access was refused.
public enum AccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Wrong login or password (which one is not said).
    case invalidCredentials
    /// Too many failed attempts recently.
    case throttled(retryAfterMinutes: Int)
    /// Input that cannot make a user or token.
    case invalid(String)
    /// One input field that cannot make a user or token: the field (`login`, `password`,
    /// `enterprise`, `display_name`) and what is wrong.
    case invalidField(String, message: String)
    /// An API token looked up earlier no longer gives the same user: revoked, expired, its user
    /// disabled or changed. Look the token up again.
    case credentialsChanged

    /// The input field at fault, when one is.
    public var field: String? {
        if case .invalidField(let field, _) = self { return field }
        return nil
    }

    public var description: String {
        switch self {
        case .invalidCredentials: return "login or password is wrong"
        case .throttled(let minutes): return "too many failed logins; try again in \(minutes) minutes"
        case .invalid(let message): return message
        case .invalidField(_, let message): return message
        case .credentialsChanged: return "the API token no longer gives the same user; look it up again"
        }
    }
}

/// Users, passwords (bcrypt), API tokens (stored as SHA-256), login throttling, the audit log, and
/// transactions that run as the user's database role with its enterprise set, so that PostgreSQL's
/// grants and row-level security apply to every statement.
public enum Access {
    /// bcrypt cost (2^10 rounds).
    public static let bcryptCost: UInt8 = 10
    /// Failed logins allowed per login within ``throttleWindowMinutes``.
    public static let maximumFailedLogins = 5
    /// Failed logins allowed from one remote address within ``throttleWindowMinutes``, whatever
    /// logins they name (password spraying: one guess for each of many logins).
    public static let maximumFailedLoginsPerAddress = 20
    /// The throttling window.
    public static let throttleWindowMinutes = 15
    /// Shortest password accepted.
    public static let minimumPasswordLength = 10
    /// A bcrypt hash of a random string, checked against when the login is unknown.
    static let dummyHash = Bcrypt.hash(UUID().uuidString, cost: bcryptCost)

    /// The longest display name.
    public static let maximumDisplayNameLength = 100

    /// Whether `login` (lower-cased) is a login the users table accepts: `^[a-z0-9][a-z0-9._-]{1,63}$`.
    public static func isValidLogin(_ login: String) -> Bool {
        let scalars = Array(login.unicodeScalars)
        func allowed(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || (!first && (scalar == "." || scalar == "_" || scalar == "-"))
        }
        guard (2...64).contains(scalars.count), let head = scalars.first, allowed(head, first: true) else { return false }
        return scalars.dropFirst().allSatisfy { allowed($0, first: false) }
    }

    /// Creates a user; a clerk names its enterprise by credit code.
    @discardableResult
    public static func addUser(
        _ c: isolated Connection, login: String, displayName: String, role: Role, enterpriseCreditCode: String?, password: String
    ) throws -> User {
        guard isValidLogin(login.lowercased()) else {
            throw AccessError.invalidField(
                "login", message: "the login \"\(login.prefix(80))\" must be 2 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        guard !displayName.trimmingCharacters(in: .whitespaces).isEmpty, displayName.count <= maximumDisplayNameLength else {
            throw AccessError.invalidField("display_name", message: "the display name must be 1 to \(maximumDisplayNameLength) characters")
        }
        guard password.count >= minimumPasswordLength else {
            throw AccessError.invalidField("password", message: "the password must have at least \(minimumPasswordLength) characters")
        }
        guard (role == .enterpriseClerk) == (enterpriseCreditCode != nil) else {
            throw AccessError.invalidField(
                "enterprise", message: role == .enterpriseClerk ? "an enterprise clerk needs --enterprise" : "only an enterprise clerk is bound to an enterprise")
        }
        var enterpriseID: Int?
        if let code = enterpriseCreditCode {
            guard let row = try c.query("SELECT id FROM relief.enterprises WHERE tenant_id = $1 AND credit_code = $2", [MasterData.tenantID, code]).rows.first else {
                throw AccessError.invalidField("enterprise", message: "unknown enterprise \(code)")
            }
            enterpriseID = try row.decode(Int.self, at: 0)
        }
        let id = try c.query(
            "INSERT INTO relief.users (tenant_id, login, display_name, role, enterprise_id, password_hash) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            [MasterData.tenantID, login.lowercased(), displayName, role.rawValue, enterpriseID, Bcrypt.hash(password, cost: bcryptCost)]
        ).single().decode(Int.self, at: 0)
        return User(id: id, login: login.lowercased(), displayName: displayName, role: role, enterpriseID: enterpriseID, enterpriseCode: enterpriseCreditCode)
    }

    /// Checks a password. Every attempt is recorded; after ``maximumFailedLogins`` failures of a
    /// login, or ``maximumFailedLoginsPerAddress`` failures from one address, within the window
    /// the login is refused without checking the password, even a right one. Failures are counted
    /// by address only when `countByAddress` (the caller knows `remote` is the client's own
    /// address, not a proxy's that every client shares) and `remote` is not empty.
    ///
    /// The attempt is written (as failed) before the failures are counted, and marked succeeded
    /// only after the password checked out. Each attempt's count therefore includes every attempt
    /// that committed before it, its own too, so a burst of parallel guesses gets no more password
    /// checks than the limit (counting first and writing after the bcrypt check let every request
    /// of a burst see the same low count).
    public static func authenticate(
        _ c: isolated Connection, login: String, password: String, remote: String, countByAddress: Bool = true
    ) throws -> User {
        let name = login.lowercased()
        // A login is at most 64 characters (the users table's check); a longer one is recorded
        // shortened and never looked up.
        let recorded = String(name.prefix(64))
        let attempt = try c.query(
            "INSERT INTO relief.login_attempts (login, remote, succeeded) VALUES ($1, $2, false) RETURNING id", [recorded, remote]
        ).single().decode(Int64.self, at: 0)
        let failures = try c.query(
            """
            SELECT count(*) FILTER (WHERE login = $1), count(*) FILTER (WHERE remote = $2 AND $2 <> '')
            FROM relief.login_attempts
            WHERE NOT succeeded AND at > clock_timestamp() - make_interval(mins => $3) AND (login = $1 OR (remote = $2 AND $2 <> ''))
            """, [recorded, countByAddress ? remote : "", throttleWindowMinutes]
        ).single()
        let (ofLogin, ofAddress) = (try failures.decode(Int.self, at: 0), try failures.decode(Int.self, at: 1))
        if ofLogin > maximumFailedLogins || ofAddress > maximumFailedLoginsPerAddress {
            throw AccessError.throttled(retryAfterMinutes: throttleWindowMinutes)
        }
        let row = recorded == name
            ? try c.query("SELECT password_hash FROM relief.users WHERE tenant_id = $1 AND login = $2 AND disabled_at IS NULL", [MasterData.tenantID, name]).rows.first
            : nil
        // An unknown login still costs one bcrypt check, so response time does not reveal which
        // logins exist.
        let hash = try row?.decode(String.self, at: 0) ?? dummyHash
        guard Bcrypt.verify(password, hash: hash), row != nil, let user = try user(c, login: name) else {
            throw AccessError.invalidCredentials
        }
        try c.query("UPDATE relief.login_attempts SET succeeded = true WHERE id = $1", [attempt])
        return user
    }

    /// An active user by login.
    public static func user(_ c: isolated Connection, login: String) throws -> User? {
        try c.query(
            """
            SELECT u.id, u.login, u.display_name, u.role, u.enterprise_id, e.credit_code
            FROM relief.users u LEFT JOIN relief.enterprises e ON e.id = u.enterprise_id
            WHERE u.tenant_id = $1 AND u.login = $2 AND u.disabled_at IS NULL
            """, [MasterData.tenantID, login.lowercased()]
        ).rows.first.map(decodeUser)
    }

    static func decodeUser(_ row: PostgresRow) throws -> User {
        User(
            id: try row.decode(Int.self, at: 0), login: try row.decode(String.self, at: 1), displayName: try row.decode(String.self, at: 2),
            role: Role(rawValue: try row.decode(String.self, at: 3)) ?? .auditor, enterpriseID: try row.decodeOptional(Int.self, at: 4),
            enterpriseCode: try row.decodeOptional(String.self, at: 5))
    }

    /// Creates an API token for `login`, valid for `days`; returns the token, which is shown once
    /// and stored only as its SHA-256.
    public static func createToken(_ c: isolated Connection, login: String, name: String, days: Int) throws -> String {
        guard (1...366).contains(days) else { throw AccessError.invalid("a token lives 1 to 366 days") }
        guard let user = try user(c, login: login) else { throw AccessError.invalid("no active user \(login)") }
        var generator = SystemRandomNumberGenerator()
        let token = "rl_" + Chain.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try c.query(
            "INSERT INTO relief.api_tokens (user_id, name, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(days => $4))",
            [user.id, name, tokenHash(token), days])
        return token
    }

    /// The user a token belongs to: nil when unknown, revoked, expired, or its user is disabled
    /// (a token never outlives its user).
    public static func user(_ c: isolated Connection, token: String) throws -> User? {
        try user(c, tokenHash: tokenHash(token))
    }

    /// ``user(_:token:)`` from the token's hash (``tokenHash(_:)``).
    public static func user(_ c: isolated Connection, tokenHash: String) throws -> User? {
        try c.query(usersOfTokens, [PostgresArray.text([tokenHash])], prepared: true).rows.first.map(decodeUser)
    }

    /// How a token is stored and looked up: its SHA-256, in lower-case hex.
    public static func tokenHash(_ token: String) -> String { Chain.hex(Chain.sha256(Array(token.utf8))) }

    /// The users that API tokens give, from the tokens' hashes (`$1`, ``tokenHash(_:)``): one row
    /// per hash that is known, not revoked, not expired, and whose user is active. The user's
    /// columns come first (``decodeUser(_:)``), the token's hash last.
    static let usersOfTokens = """
        SELECT u.id, u.login, u.display_name, u.role, u.enterprise_id, e.credit_code, t.token_hash
        FROM relief.api_tokens t JOIN relief.users u ON u.id = t.user_id LEFT JOIN relief.enterprises e ON e.id = u.enterprise_id
        WHERE t.token_hash = ANY ($1::text[]) AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL
        """

    /// Disables a user: its API tokens are revoked and its browser sessions deleted in the same
    /// transaction, so that neither works again, not even if the user is enabled later.
    /// PostgreSQL does the same on its own (0012's trigger on `users`), and every token and
    /// session lookup also joins active users: three independent checks.
    public static func disable(_ c: isolated Connection, login: String) throws {
        try c.transactionIsolated { t in
            let ids = try t.query(
                "UPDATE relief.users SET disabled_at = now() WHERE tenant_id = $1 AND login = $2 AND disabled_at IS NULL RETURNING id",
                [MasterData.tenantID, login.lowercased()]
            ).rows.map { try $0.decode(Int.self, at: 0) }
            for id in ids { try endCredentials(t, userID: id) }
        }
    }

    /// Revokes every API token of a user and deletes its browser sessions.
    public static func endCredentials(_ c: isolated Connection, userID: Int) throws {
        try c.query("UPDATE relief.api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", [userID])
        try c.query("DELETE FROM relief.sessions WHERE user_id = $1", [userID])
    }

    /// Runs `body` in a transaction as `user`: `SET LOCAL ROLE` to the user's database role, with the
    /// acting user and enterprise as transaction settings. Grants and row-level security then
    /// confine every statement, whatever the application's queries forget.
    public static func asUser<T>(_ c: isolated Connection, _ user: User, _ body: @Sendable (isolated Connection) throws -> T) throws -> T {
        try c.transactionIsolated(first: settings(user)) { t, _ in try body(t) }
    }

    /// ``asUser(_:_:_:)`` for a user that API tokens gave earlier (the web app keeps the tokens
    /// it has looked up for a while): every token of `tokenHashes` (``tokenHash(_:)``) must still
    /// give exactly `user` (same role, enterprise, login and name) when the transaction starts,
    /// or ``AccessError/credentialsChanged`` is thrown before `body` runs and nothing is written.
    /// The check travels with the BEGIN, before the role is set: no round trip more than
    /// ``asUser(_:_:_:)``. With no hashes it is ``asUser(_:_:_:)``.
    public static func asUser<T>(
        _ c: isolated Connection, _ user: User, verifyingTokenHashes tokenHashes: [String], _ body: @Sendable (isolated Connection) throws -> T
    ) throws -> T {
        try asUser(c, user, verifyingTokenHashes: tokenHashes, readingFirst: []) { t, _ in try body(t) }
    }

    /// ``asUser(_:_:verifyingTokenHashes:_:)`` with `reads` in the same first round trip, after
    /// the user's settings (so under the user's role and row-level security): `body` gets their
    /// results, in order. When a token no longer gives `user`, their results are dropped unseen,
    /// ``AccessError/credentialsChanged`` is thrown and nothing is written.
    public static func asUser<T>(
        _ c: isolated Connection, _ user: User, verifyingTokenHashes tokenHashes: [String], readingFirst reads: [PipelineStatement],
        _ body: @Sendable (isolated Connection, [PostgresResult]) throws -> T
    ) throws -> T {
        let check = tokenHashes.isEmpty ? [] : [PipelineStatement(usersOfTokens, [PostgresArray.text(tokenHashes)], prepared: true)]
        return try c.transactionIsolated(first: check + [settings(user)] + reads) { t, results in
            if !check.isEmpty {
                var given: [String: User] = [:]
                for row in results[0].rows { given[try row.decode(String.self, at: 6)] = try decodeUser(row) }
                guard tokenHashes.allSatisfy({ given[$0] == user }) else { throw AccessError.credentialsChanged }
            }
            return try body(t, Array(results.dropFirst(check.count + 1)))
        }
    }

    /// The statement that makes a transaction `user`'s: `role` set through set_config is
    /// SET LOCAL ROLE, so one statement sets the three, sent with the BEGIN.
    private static func settings(_ user: User) -> PipelineStatement {
        PipelineStatement(
            "SELECT set_config('role', $1, true), set_config('relief.actor', $2, true), set_config('relief.enterprise_id', $3, true)",
            [user.role.databaseRole, user.actorName, user.enterpriseID.map(String.init) ?? ""], prepared: true)
    }

    /// One action for ``audit(_:_:actions:)``.
    public struct AuditAction: Sendable {
        /// What was done, e.g. `purchase.create`.
        public var action: String
        /// On what.
        public var target: String
        /// Details, stored as a JSON object.
        public var detail: [String: String]
        /// From where.
        public var remote: String

        /// Makes an action.
        public init(action: String, target: String = "", detail: [String: String] = [:], remote: String = "") {
            self.action = action
            self.target = target
            self.detail = detail
            self.remote = remote
        }
    }

    /// Appends one audit row per action, in order, in one statement: the purchases of a group
    /// commit are logged without one round trip each while the book is locked.
    public static func audit(_ c: isolated Connection, _ user: User, actions: [AuditAction]) throws {
        guard !actions.isEmpty else { return }
        let statement = auditStatement(user, actions: actions)
        try c.query(statement.sql, statement.parameters, prepared: statement.prepared)
    }

    /// The INSERT of ``audit(_:_:actions:)``, to send in a pipeline with others: its result's
    /// `affectedRows` is `actions.count`.
    public static func auditStatement(_ user: User, actions: [AuditAction]) -> PipelineStatement {
        let details = actions.map { JSONBytes.object($0.detail) }
        return PipelineStatement(
            """
            INSERT INTO relief.audit_log (tenant_id, actor, role, action, target, detail, remote)
            SELECT $1, $2, $3, u.action, u.target, u.detail::jsonb, u.remote
            FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(action, target, detail, remote, ord)
            ORDER BY u.ord
            """,
            [
                MasterData.tenantID, user.actorName, user.role.rawValue, PostgresArray.text(actions.map(\.action)),
                PostgresArray.text(actions.map(\.target)), PostgresArray.text(details), PostgresArray.text(actions.map(\.remote)),
            ], prepared: true)
    }

    /// Appends to the audit log: who, what, on what, from where.
    public static func audit(_ c: isolated Connection, _ user: User, action: String, target: String = "", detail: [String: String] = [:], remote: String = "") throws {
        try audit(c, user, actions: [AuditAction(action: action, target: target, detail: detail, remote: remote)])
    }
}
