import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// Random values, hashes and constant-time comparison.
enum Secrets {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// 32 random bytes as 64 hex digits.
    static func randomToken() -> String { Chain.hex(randomBytes(32)) }

    static func sha256Hex(_ text: String) -> String { Chain.hex(Chain.sha256(Array(text.utf8))) }

    /// HMAC-SHA256 of `text` under `key`, as hex.
    static func hmac(_ text: String, key: [UInt8]) -> String {
        Chain.hex(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))))
    }

    /// Compares without stopping at the first difference.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// True for 64 lowercase hex digits (what our cookies hold).
    static func isToken(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// A signed-in browser session.
struct WebSession: Sendable {
    var user: User
    var csrfToken: String
}

/// Cookie names and attributes.
enum Cookies {
    /// The session cookie.
    static let session = "relief_session"
    /// The pre-session cookie a login form's CSRF token is bound to.
    static let login = "relief_login"

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when the request came over TLS.
    static func set(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// A `Set-Cookie` value that deletes the cookie.
    static func clear(_ name: String, secure: Bool) -> String { set(name, "", maxAge: 0, secure: secure) }
}

extension WebServer {
    /// The client's address for the audit log and login throttling records. Behind a trusted
    /// proxy, the last X-Forwarded-For entry: the address the proxy saw. The entries before it
    /// came from the client, which can write anything there (a proxy appends to what it got).
    func remoteAddress(_ request: Request, _ context: WebContext) -> String {
        if configuration.trustForwardedFor, let forwarded = request.headers[values: .xForwardedFor].last {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !last.isEmpty { return String(last.prefix(64)) }
        }
        return context.peerAddress
    }

    /// Whether login throttling may count failures by `remote`: only when it is the client's own
    /// address. Without a trusted X-Forwarded-For, a loopback peer is a proxy on this host (or a
    /// local user): every client would share its address, and twenty failures from anyone would
    /// lock everyone out.
    static func isClientAddress(_ remote: String, trustForwardedFor: Bool) -> Bool {
        guard !remote.isEmpty else { return false }
        if trustForwardedFor { return true }
        let loopback = remote == "::1" || remote.hasPrefix("127.") || remote.lowercased().hasPrefix("::ffff:127.")
        return !loopback
    }

    /// True when the request came over TLS, directly or through a proxy that says so.
    func isSecure(_ request: Request) -> Bool {
        if request.head.scheme?.lowercased() == "https" { return true }
        let proto = request.headers[.xForwardedProto]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased()
        return proto == "https"
    }

    // MARK: API: bearer tokens

    /// The bearer token of `Authorization`, if any.
    func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 200 ? nil : token
    }

    /// The bearer token's user from ``TokenCache`` when it is kept there with a role in
    /// `allowed`, else as ``authenticate(_:allowed:)`` finds it (then kept). Returns the token's
    /// hash with it: whatever is written for this user must be written through
    /// ``Access/asUser(_:_:verifyingTokenHashes:_:)`` with that hash, which checks the token
    /// again in the writing transaction.
    func authenticateKept(_ request: Request, allowed: Set<Role>) async throws -> (user: User, tokenHash: String) {
        guard let token = bearerToken(request) else { throw APIError.unauthenticated() }
        let hash = Access.tokenHash(token)
        if let kept = tokenCache.user(tokenHash: hash), allowed.contains(kept.role) { return (kept, hash) }
        let user = try await lookUp(tokenHash: hash, allowed: allowed)
        tokenCache.keep(user, tokenHash: hash)
        return (user, hash)
    }

    /// Resolves the bearer token (as the application role: no user is known yet) and checks the
    /// role. 401 without a valid token, 403 for a role not in `allowed`.
    func authenticate(_ request: Request, allowed: Set<Role>) async throws -> User {
        guard let token = bearerToken(request) else { throw APIError.unauthenticated() }
        return try await lookUp(tokenHash: Access.tokenHash(token), allowed: allowed)
    }

    /// The user of the token hashed `tokenHash`, looked up now: 401 for none, 403 for a role not
    /// in `allowed`.
    private func lookUp(tokenHash: String, allowed: Set<Role>) async throws -> User {
        let user = try await pool.withConnection { connection in
            try await connection.run { c in try Access.user(c, tokenHash: tokenHash) }
        }
        guard let user else { throw APIError.unauthenticated("令牌无效或已过期，请重新登录") }
        guard allowed.contains(user.role) else { throw APIError.forbidden(user.role, allowed: allowed) }
        return user
    }

    /// Runs `body` in one transaction as `user` (``Access/asUser(_:_:_:)``): the user's database
    /// role, acting user and enterprise apply to every statement.
    func asUser<T: Sendable>(_ user: User, _ body: @Sendable (isolated Connection) throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, user, body) }
        }
    }

    /// ``asUser(_:_:)`` for a user that the API tokens of `tokenHashes` gave earlier
    /// (``authenticateKept(_:allowed:)``): the transaction checks them first and throws
    /// ``AccessError/credentialsChanged`` when one no longer gives `user`.
    func asUser<T: Sendable>(
        _ user: User, verifyingTokenHashes tokenHashes: [String], _ body: @Sendable (isolated Connection) throws -> T
    ) async throws -> T {
        try await pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, user, verifyingTokenHashes: tokenHashes, body) }
        }
    }

    /// ``asUser(_:verifyingTokenHashes:_:)`` with `reads` sent in the transaction's first round
    /// trip, after the user's settings; `body` gets their results.
    func asUser<T: Sendable>(
        _ user: User, verifyingTokenHashes tokenHashes: [String], readingFirst reads: [PipelineStatement],
        _ body: @Sendable (isolated Connection, [PostgresResult]) throws -> T
    ) async throws -> T {
        try await pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, user, verifyingTokenHashes: tokenHashes, readingFirst: reads, body) }
        }
    }

    /// ``authenticate(_:allowed:)`` then ``asUser(_:_:)`` on one connection.
    func withUser<T: Sendable>(_ request: Request, allowed: Set<Role>, _ body: @Sendable (isolated Connection, User) throws -> T) async throws -> T {
        guard let token = bearerToken(request) else { throw APIError.unauthenticated() }
        return try await pool.withConnection { connection in
            try await connection.run { c in
                guard let user = try Access.user(c, token: token) else { throw APIError.unauthenticated("令牌无效或已过期，请重新登录") }
                guard allowed.contains(user.role) else { throw APIError.forbidden(user.role, allowed: allowed) }
                return try Access.asUser(c, user) { t in try body(t, user) }
            }
        }
    }

    // MARK: Pages: sessions

    /// The session named by the request's cookie: nil when absent, unknown, expired, or its user
    /// is disabled.
    func session(_ request: Request) async throws -> WebSession? {
        guard let value = request.cookies[Cookies.session]?.value, Secrets.isToken(value) else { return nil }
        let hash = Secrets.sha256Hex(value)
        return try await pool.withConnection { connection in
            try await connection.run { c -> WebSession? in
                guard let row = try c.query(
                    """
                    SELECT u.login, s.csrf_token FROM relief.sessions s JOIN relief.users u ON u.id = s.user_id
                    WHERE s.id_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL
                    """, [hash]
                ).rows.first else { return nil }
                guard let user = try Access.user(c, login: try row.decode(String.self, at: 0)) else { return nil }
                return WebSession(user: user, csrfToken: try row.decode(String.self, at: 1))
            }
        }
    }

    /// Starts a session for `user`; returns the cookie value (stored only as its SHA-256).
    func startSession(for user: User) async throws -> String {
        let value = Secrets.randomToken()
        let (hash, csrf, hours) = (Secrets.sha256Hex(value), Secrets.randomToken(), configuration.sessionHours)
        try await pool.withConnection { connection in
            try await connection.run { c in
                try c.transactionIsolated { t in
                    try t.query("DELETE FROM relief.sessions WHERE expires_at < now()")
                    try t.query(
                        "INSERT INTO relief.sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
                        [hash, user.id, csrf, hours])
                }
            }
        }
        return value
    }

    /// Ends the session named by the request's cookie.
    func endSession(_ request: Request) async throws {
        guard let value = request.cookies[Cookies.session]?.value, Secrets.isToken(value) else { return }
        let hash = Secrets.sha256Hex(value)
        try await pool.withConnection { connection in
            try await connection.run { c in _ = try c.query("DELETE FROM relief.sessions WHERE id_hash = $1", [hash]) }
        }
    }

    /// The CSRF token of a login form: an HMAC of the pre-session cookie, so a form works only
    /// with the cookie it was served with.
    func loginFormToken(preSession: String) -> String {
        Secrets.hmac("login-form:" + preSession, key: configuration.formKey)
    }

    // MARK: Logins (API and pages)

    /// Checks a password (throttled by ``Access``), and writes the attempt to the audit log with
    /// the remote address. Authentication runs as the application role, in autocommit, so that a
    /// failed attempt stays recorded.
    func logIn(login: String, password: String, remote: String, channel: String) async throws -> User {
        let byAddress = Self.isClientAddress(remote, trustForwardedFor: configuration.trustForwardedFor)
        do {
            let user = try await pool.withConnection { connection in
                try await connection.run { c in try Access.authenticate(c, login: login, password: password, remote: remote, countByAddress: byAddress) }
            }
            try await asUser(user) { t in try Access.audit(t, user, action: "login", target: channel, remote: remote) }
            return user
        } catch let error as AccessError {
            let action: String
            switch error {
            case .throttled: action = "login.throttled"
            default: action = "login.failed"
            }
            let actor = "anonymous:" + String(login.lowercased().prefix(64))
            try await pool.withConnection { connection in
                try await connection.run { c in
                    _ = try c.query(
                        "INSERT INTO relief.audit_log (tenant_id, actor, role, action, target, detail, remote) VALUES ($1, $2, 'anonymous', $3, $4, '{}'::jsonb, $5)",
                        [MasterData.tenantID, actor, action, channel, remote])
                }
            }
            throw error
        }
    }
}
