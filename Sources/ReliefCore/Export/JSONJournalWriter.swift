/// The journal as one JSON array, streamed: `[` and a line feed, then one entry object per line
/// separated by `,` and a line feed, then a line feed, `]` and a line feed.
///
/// Each entry object has, in this order: `seq`, `voucher` (`2020-05/3`), `date`, `description`,
/// `idempotency_key`, `created_by`, `reverses_seq` (`null` unless a red reversal), `hash`,
/// `created_at_us` and `book` (with the other fields, what the chain's canonical text needs, so
/// the hashes can be recomputed offline), and `postings`: objects with `line`, `account_code`,
/// `account_name`, `side` (`"D"`/`"C"`), `amount_fen` (a positive integer), `red` (bool),
/// `enterprise`, `supplier`, `township`, `category`, `channel`, `program` and `memo` (`null` when
/// absent). Strings are escaped per RFC 8259 (control characters, U+2028 and U+2029 as `\uXXXX`);
/// other characters, Chinese included, are written as they are in UTF-8.
public struct JSONJournalWriter: JournalWriter, ByteJournalWriter, Sendable {
    private var entriesWritten = 0

    /// Makes a writer.
    public init() {}

    /// `[` and a line feed.
    public mutating func header(accounts: [Account]) -> String {
        "[\n"
    }

    /// The entry's object on one line, preceded by `,` and a line feed unless it is the first.
    public mutating func entry(_ entry: ExportEntry) -> String {
        let separator = entriesWritten == 0 ? "" : ",\n"
        entriesWritten += 1
        return separator + Self.object(entry)
    }

    /// A line feed, `]` and a line feed.
    public mutating func footer() -> String {
        "\n]\n"
    }

    /// One entry as a JSON object on one line.
    static func object(_ entry: ExportEntry) -> String {
        let postings = entry.postings.map(posting).joined(separator: ",")
        let fields: [(String, String)] = [
            ("seq", String(entry.seq)),
            ("voucher", quoted(entry.voucherReference)),
            ("date", quoted(entry.date.description)),
            ("description", quoted(entry.description)),
            ("idempotency_key", quoted(entry.idempotencyKey)),
            ("created_by", quoted(entry.createdBy)),
            ("reverses_seq", entry.reversesSeq.map { String($0) } ?? "null"),
            ("hash", quoted(entry.hashHex)),
            ("created_at_us", String(entry.createdAtMicroseconds)),
            ("book", quoted(entry.bookCode)),
            ("postings", "[" + postings + "]"),
        ]
        return members(fields)
    }

    /// One posting as a JSON object.
    static func posting(_ posting: ExportPosting) -> String {
        let dimensions = posting.dimensions
        let fields: [(String, String)] = [
            ("line", String(posting.line)),
            ("account_code", quoted(posting.account.code)),
            ("account_name", quoted(posting.account.name)),
            ("side", quoted(posting.side.rawValue)),
            ("amount_fen", String(posting.amountFen)),
            ("red", posting.isRed ? "true" : "false"),
            ("enterprise", optional(dimensions.enterprise)),
            ("supplier", optional(dimensions.supplier)),
            ("township", optional(dimensions.township)),
            ("category", optional(dimensions.category)),
            ("channel", optional(dimensions.channel)),
            ("program", optional(dimensions.program)),
            ("memo", optional(posting.memo)),
        ]
        return members(fields)
    }

    private static func members(_ fields: [(String, String)]) -> String {
        "{" + fields.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    private static func optional(_ text: String?) -> String {
        text.map(quoted) ?? "null"
    }

    /// A JSON string literal (``JSONBytes/appendString(_:to:)``).
    static func quoted(_ text: String) -> String {
        JSONBytes.quoted(text)
    }
}
