public import Postgres
public import ReliefCore

/// Why the ledger refused a write or a read, in words a finance clerk and an operator understand.
public enum LedgerError: Error, Sendable, CustomStringConvertible {
    /// The entry breaks an invariant (checked in Swift before writing).
    case invalidEntry(EntryError)
    /// The entry is dated in a closed month.
    case closedPeriod(date: LocalDate, closedThrough: Period)
    /// An account code the book does not have.
    case unknownAccount(String)
    /// A book code that does not exist.
    case unknownBook(String)
    /// An entry reference that matches nothing.
    case unknownEntry(String)
    /// PostgreSQL refused (its own checks, constraints or triggers), with its message.
    case rejected(PostgresError)
    /// The chain position or hash PostgreSQL computed differs from the one Swift computed: the
    /// transaction was rolled back.
    case chainMismatch(seq: Int64, detail: String)

    public var description: String {
        switch self {
        case .invalidEntry(let error):
            return "invalid entry: \(error)"
        case .closedPeriod(let date, let closedThrough):
            return "the entry is dated \(date), but the books are closed through \(closedThrough); date it in an open month (after \(closedThrough))"
        case .unknownAccount(let code):
            return "unknown account \(code); list the chart with `relief accounts`"
        case .unknownBook(let code):
            return "unknown book \(code)"
        case .unknownEntry(let reference):
            return "no entry matches \(reference); give a chain position like 17 or a voucher like 2020-05/3"
        case .rejected(let error):
            return "the database refused the write: \(error)"
        case .chainMismatch(let seq, let detail):
            return "chain check failed at position \(seq): \(detail); nothing was written"
        }
    }

    /// Maps a database error from the posting path to the clearest case.
    static func from(_ error: any Error) -> any Error {
        guard let pg = error as? PostgresError else { return error }
        switch pg.sqlState {
        case "RL002": return LedgerError.rejected(pg)
        default: return LedgerError.rejected(pg)
        }
    }
}
