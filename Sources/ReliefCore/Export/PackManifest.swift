import Foundation

/// `manifest.json` of an audit pack: every file's SHA-256 and the chain head the pack is cut at.
public struct PackManifest: Codable, Sendable, Equatable {
    /// One file of the pack.
    public struct File: Codable, Sendable, Equatable {
        /// Name inside the pack folder.
        public var name: String
        /// SHA-256, lower-case hex.
        public var sha256: String
        /// Size in bytes.
        public var bytes: Int

        /// Makes a file entry.
        public init(name: String, sha256: String, bytes: Int) {
            self.name = name
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// `relief-pack-1`.
    public var format = "relief-pack-1"
    /// The book.
    public var book: String
    /// The period the reports are for.
    public var period: String
    /// The chain position the journal in the pack runs to (1…chain_seq).
    public var chainSeq: Int64
    /// The hash of that entry: recomputing the chain over journal.json must end here.
    public var chainHead: String
    /// Whether the period was closed when the pack was made.
    public var periodClosed: Bool
    /// For a closed period: SHA-256 over its closing balances (docs/EXPORTS.md), else nil.
    public var closingDigest: String?
    /// The files, in name order.
    public var files: [File]

    enum CodingKeys: String, CodingKey {
        case format, book, period, files
        case chainSeq = "chain_seq"
        case chainHead = "chain_head"
        case periodClosed = "period_closed"
        case closingDigest = "closing_digest"
    }

    /// Makes a manifest.
    public init(book: String, period: String, chainSeq: Int64, chainHead: String, periodClosed: Bool, closingDigest: String?, files: [File]) {
        self.book = book
        self.period = period
        self.chainSeq = chainSeq
        self.chainHead = chainHead
        self.periodClosed = periodClosed
        self.closingDigest = closingDigest
        self.files = files
    }

    /// The manifest as pretty, key-sorted JSON.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0a]
    }

    /// The digest of closing balances: SHA-256 of one line per account `code|debit_fen|credit_fen\n`
    /// in code order (cumulative debits and credits through the period).
    public static func closingDigest(_ lines: [(code: String, debitFen: Int64, creditFen: Int64)]) -> String {
        let text = lines.sorted { $0.code < $1.code }.map { "\($0.code)|\($0.debitFen)|\($0.creditFen)\n" }.joined()
        return Chain.hex(Chain.sha256(Array(text.utf8)))
    }
}

/// Reads the JSON journal back into entries so an auditor's copy can be checked without the database.
public enum JournalJSONReader {
    /// Parses journal.json (as written by ``JSONJournalWriter``); throws naming the entry at fault.
    public static func read(_ bytes: [UInt8]) throws -> [ExportEntry] {
        guard let array = try JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else {
            throw PackError(message: "journal.json is not an array of entries")
        }
        return try array.enumerated().map { index, object in
            func text(_ key: String) throws -> String {
                guard let value = object[key] as? String else { throw PackError(message: "journal.json entry [\(index)]: \(key) is missing") }
                return value
            }
            func integer(_ key: String, in object: [String: Any]) throws -> Int64 {
                guard let value = object[key] as? Int64 ?? (object[key] as? Int).map(Int64.init) else {
                    throw PackError(message: "journal.json entry [\(index)]: \(key) is missing")
                }
                return value
            }
            let voucher = try text("voucher").split(separator: "/")
            guard voucher.count == 2, let period = Period(parsing: String(voucher[0])), let number = Int(voucher[1]),
                let date = LocalDate(parsing: try text("date")), let postings = object["postings"] as? [[String: Any]]
            else { throw PackError(message: "journal.json entry [\(index)] is malformed") }
            let isRed = object["reverses_seq"] is NSNumber
            return ExportEntry(
                seq: try integer("seq", in: object), period: period, voucherNumber: number, date: date,
                description: try text("description"), idempotencyKey: try text("idempotency_key"), createdBy: try text("created_by"),
                reversesSeq: (object["reverses_seq"] as? NSNumber)?.int64Value, hashHex: try text("hash"),
                postings: try postings.map { p in
                    ExportPosting(
                        line: Int(try integer("line", in: p)),
                        account: Account(id: 0, code: p["account_code"] as? String ?? "", name: p["account_name"] as? String ?? "", category: "", normalSide: .debit),
                        side: Side(rawValue: p["side"] as? String ?? "") ?? .debit, amountFen: try integer("amount_fen", in: p), isRed: isRed,
                        dimensions: Dimensions(
                            enterprise: p["enterprise"] as? String, supplier: p["supplier"] as? String, township: p["township"] as? String,
                            category: p["category"] as? String, channel: p["channel"] as? String, program: p["program"] as? String),
                        memo: p["memo"] as? String)
                },
                createdAtMicroseconds: try integer("created_at_us", in: object), bookCode: try text("book"))
        }
    }
}

/// A problem with an audit pack.
public struct PackError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Makes an error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
