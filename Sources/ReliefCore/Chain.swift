import Crypto

/// The hash chain: `hash_n = SHA-256(hash_{n-1} ‖ UTF-8(canonical_text(entry_n)))`, per book,
/// starting from 32 zero bytes. docs/CHAIN.md specifies the canonical text; PostgreSQL's
/// `relief.canon_header` / `relief.canon_postings` implement the same text.
public enum Chain {
    /// The hash before the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The next hash in the chain.
    public static func next(previous: [UInt8], canonicalText: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: Array(canonicalText.utf8))
        return Array(hasher.finalize())
    }

    /// SHA-256 of bytes.
    public static func sha256(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(bytes)))
    }

    /// Lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}

/// The canonical text of an entry: what the chain hashes.
public enum CanonicalText {
    /// Escapes a text field: `\` → `\\`, `|` → `\|`, LF → `\n`, CR → `\r`.
    public static func escape(_ text: String) -> String {
        // Most texts need no escaping: return them as they are.
        guard text.utf8.contains(where: { $0 == 0x5c || $0 == 0x7c || $0 == 0x0a || $0 == 0x0d }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "|": out += "\\|"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The entry line.
    public static func header(
        bookCode: String, seq: Int64, period: Period, voucherNumber: Int, date: LocalDate,
        reversesSeq: Int64?, createdAtMicroseconds: Int64, createdBy: String, idempotencyKey: String,
        description: String
    ) -> String {
        [
            "E", escape(bookCode), String(seq), period.description, String(voucherNumber), date.description,
            reversesSeq.map { String($0) } ?? "", Timestamp.iso8601(microseconds: createdAtMicroseconds),
            escape(createdBy), escape(idempotencyKey), escape(description),
        ].joined(separator: "|") + "\n"
    }

    /// One posting line.
    public static func posting(line: Int, accountCode: String, side: Side, amountFen: Int64, dimensions: [String?], memo: String?) -> String {
        var fields = ["P", String(line), escape(accountCode), side.rawValue, String(amountFen)]
        for value in dimensions { fields.append(escape(value ?? "")) }
        fields.append(escape(memo ?? ""))
        return fields.joined(separator: "|") + "\n"
    }

    /// Header plus postings of a draft once the database has numbered it.
    public static func entry(
        _ draft: EntryDraft, bookCode: String, seq: Int64, voucherNumber: Int, createdAtMicroseconds: Int64, createdBy: String
    ) -> String {
        var text = header(
            bookCode: bookCode, seq: seq, period: draft.date.period, voucherNumber: voucherNumber, date: draft.date,
            reversesSeq: draft.reversesSeq, createdAtMicroseconds: createdAtMicroseconds, createdBy: createdBy,
            idempotencyKey: draft.idempotencyKey, description: draft.description)
        for (index, posting) in draft.postings.enumerated() {
            text += Self.posting(
                line: index + 1, accountCode: posting.accountCode, side: posting.side, amountFen: posting.amount.fen,
                dimensions: posting.dimensions.ordered, memo: posting.memo)
        }
        return text
    }
}

/// UTC timestamps as integer microseconds since 1970-01-01T00:00:00Z.
public enum Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always six fraction digits.
    public static func iso8601(microseconds: Int64) -> String {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let date = LocalDate(daysSinceEpoch: Int(days))?.description ?? "0000-00-00"
        let fraction = rest % 1_000_000
        let seconds = rest / 1_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(date)T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 6))Z"
    }
}
