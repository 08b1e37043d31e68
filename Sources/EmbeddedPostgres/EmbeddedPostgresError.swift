/// A failure of ``EmbeddedPostgres``. The ``message`` says what failed and how to fix it, and
/// includes the standard error of the PostgreSQL program that failed when there was one.
public struct EmbeddedPostgresError: Error, Sendable, CustomStringConvertible {
    /// The broad category of a failure, for callers that react differently to each.
    public enum Kind: Sendable, Equatable {
        /// initdb, pg_ctl or another PostgreSQL program is not installed.
        case programsNotFound
        /// The database name, user name or home path cannot be used.
        case invalidConfiguration
        /// Running as root, but there is no `postgres` OS account to run the server as.
        case serviceAccountMissing
        /// A file or folder could not be created, changed or read.
        case fileSystem
        /// A PostgreSQL program (or runuser) failed or did not finish in time.
        case commandFailed
        /// Another process held the cluster lock for too long.
        case lockTimeout
    }

    /// The category of the failure.
    public let kind: Kind
    /// What failed and how to fix it.
    public let message: String

    /// Creates an error of the given kind with a message that says what failed and how to fix it.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
