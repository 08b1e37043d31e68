/// An error from PostgreSQL or from libpq, with the server's SQLSTATE and fields when there are any.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the error arose.
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected a statement.
        case server
        /// COPY protocol failure.
        case copy
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The statement was cancelled (task cancellation or statement timeout).
        case cancelled
        /// The pool could not hand out a connection.
        case pool
    }

    /// Where the error arose.
    public var kind: Kind
    /// Five-character SQLSTATE, e.g. `23505` (unique violation), when the server sent one.
    public var sqlState: String?
    /// Primary message.
    public var message: String
    /// The server's DETAIL field.
    public var detail: String?
    /// The server's HINT field.
    public var hint: String?
    /// The constraint name for integrity violations.
    public var constraint: String?

    /// Makes an error.
    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    /// True for errors a transaction retry can cure: serialization failure and deadlock.
    public var isTransient: Bool {
        sqlState == "40001" || sqlState == "40P01"
    }

    public var description: String {
        var text = message
        if let sqlState { text = "\(text) (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "\nDETAIL: \(detail)" }
        if let hint, !hint.isEmpty { text += "\nHINT: \(hint)" }
        return text
    }
}
