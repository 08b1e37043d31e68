import Foundation

/// Reads journal entries from the JSON documented in docs/ENTRY-JSON.md: one entry object or an
/// array of them. Every error names the field by its JSON path.
public enum EntryJSON {
    /// The most entries one file may hold.
    public static let maximumEntries = 100_000

    /// An entry read from JSON, with the book it names (nil: the default book).
    public struct Parsed: Sendable {
        /// The book code, when the entry names one.
        public var book: String?
        /// The entry.
        public var draft: EntryDraft
    }

    /// Parses `data`; throws ``EntryError`` naming the JSON path of the first bad field.
    public static func parse(_ data: [UInt8]) throws(EntryError) -> [Parsed] {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(data), options: [])
        } catch {
            throw EntryError(field: "(file)", message: "is not valid JSON: " + syntaxProblem(error, in: data))
        }
        if let object = root as? [String: Any] { return [try entry(object, path: "")] }
        guard let array = root as? [Any] else {
            throw EntryError(field: "(file)", message: "must hold one entry object or an array of entry objects")
        }
        guard !array.isEmpty, array.count <= maximumEntries else {
            throw EntryError(field: "(file)", message: "must hold 1 to \(maximumEntries) entries")
        }
        var parsed: [Parsed] = []
        for (index, element) in array.enumerated() {
            guard let object = element as? [String: Any] else {
                throw EntryError(field: "[\(index)]", message: "must be an object")
            }
            parsed.append(try entry(object, path: "[\(index)]."))
        }
        return parsed
    }

    /// Whether a value from JSONSerialization was a JSON `true` or `false`. Booleans come as
    /// NSNumber subclasses whose type code is `c` (char), on Linux and Darwin alike; the numbers 0
    /// and 1 bridge to Bool too, so `value is Bool` cannot tell them apart.
    public static func isJSONBoolean(_ value: Any) -> Bool {
        if type(of: value) == Bool.self { return true }
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// What the JSON parser found wrong, with the line and column when it names a position
    /// (Foundation's message says "around character N", N a 0-based byte offset).
    public static func syntaxProblem(_ error: any Error, in data: [UInt8]) -> String {
        var detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        while detail.hasSuffix(".") { detail.removeLast() }
        if let marker = detail.range(of: "character "), let offset = Int(detail[marker.upperBound...].prefix { $0.isNumber }),
            offset <= data.count
        {
            var line = 1
            var lineStart = 0
            for (index, byte) in data.prefix(offset).enumerated() where byte == 0x0A {
                line += 1
                lineStart = index + 1
            }
            detail += " (line \(line), column \(offset - lineStart + 1))"
        } else if detail.contains("end of file") {
            detail += " (the file ends inside an object, array or string: a closing }, ] or \" is missing)"
        }
        return detail + "; check the commas, brackets and quotes there, and that the file is UTF-8"
    }

    private static let entryKeys: Set<String> = ["book", "date", "description", "idempotency_key", "postings"]
    private static let postingKeys: Set<String> = [
        "account", "side", "amount", "amount_fen", "memo",
        "enterprise", "supplier", "township", "category", "channel", "program",
    ]

    private static func entry(_ object: [String: Any], path: String) throws(EntryError) -> Parsed {
        if let unknown = object.keys.sorted().first(where: { !entryKeys.contains($0) }) {
            throw EntryError(field: path + unknown, message: "is not a known field; expected one of \(entryKeys.sorted().joined(separator: ", "))")
        }
        let book = try optionalString(object, "book", path)
        let dateText = try requiredString(object, "date", path)
        guard let date = LocalDate(parsing: dateText) else {
            throw EntryError(field: path + "date", message: "\"\(dateText)\" is not a date; write YYYY-MM-DD, e.g. 2020-05-12")
        }
        let key = try requiredString(object, "idempotency_key", path)
        let description = try optionalString(object, "description", path) ?? ""
        guard let postingValues = object["postings"] as? [Any] else {
            throw EntryError(field: path + "postings", message: "is required and must be an array of postings")
        }
        guard postingValues.count <= EntryDraft.maximumPostings else {
            throw EntryError(field: path + "postings", message: "has more than \(EntryDraft.maximumPostings) postings")
        }
        var postings: [PostingDraft] = []
        for (index, value) in postingValues.enumerated() {
            let postingPath = "\(path)postings[\(index)]."
            guard let posting = value as? [String: Any] else {
                throw EntryError(field: String(postingPath.dropLast()), message: "must be an object")
            }
            postings.append(try self.posting(posting, path: postingPath))
        }
        let draft = EntryDraft(idempotencyKey: key, date: date, description: description, postings: postings)
        do {
            try draft.validate()
        } catch {
            throw EntryError(field: path + error.field, message: error.message)
        }
        return Parsed(book: book, draft: draft)
    }

    private static func posting(_ object: [String: Any], path: String) throws(EntryError) -> PostingDraft {
        if let unknown = object.keys.sorted().first(where: { !postingKeys.contains($0) }) {
            throw EntryError(field: path + unknown, message: "is not a known field; expected one of \(postingKeys.sorted().joined(separator: ", "))")
        }
        let account = try requiredString(object, "account", path)
        let sideText = try requiredString(object, "side", path)
        guard let side = Side(parsing: sideText) else {
            throw EntryError(field: path + "side", message: "\"\(sideText)\" is not a side; write 借 or 贷 (or D / C)")
        }
        let amount: Money
        switch (object["amount"], object["amount_fen"]) {
        case (let text as String, nil):
            do {
                amount = try Money.parse(text, field: path + "amount")
            } catch {
                let prefix = "\(path)amount "
                let text = error.description
                throw EntryError(field: path + "amount", message: text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
            }
        case (nil, let number?):
            guard !isJSONBoolean(number), let fen = number as? Int64, !(number is String) else {
                throw EntryError(field: path + "amount_fen", message: "must be a whole number of fen, e.g. 1800000")
            }
            amount = Money(fen: fen)
        case (nil, nil):
            throw EntryError(field: path + "amount", message: "is required: \"amount\" in yuan as a string (\"18,000.00\") or \"amount_fen\" as an integer")
        case (.some, .some):
            throw EntryError(field: path + "amount", message: "give either \"amount\" or \"amount_fen\", not both")
        case (.some, nil):
            throw EntryError(field: path + "amount", message: "must be a string such as \"18000.50\" (JSON numbers are binary floating point); or use \"amount_fen\" with an integer")
        }
        var dimensions = Dimensions()
        dimensions.enterprise = try optionalString(object, "enterprise", path)
        dimensions.supplier = try optionalString(object, "supplier", path)
        dimensions.township = try optionalString(object, "township", path)
        dimensions.category = try optionalString(object, "category", path)
        dimensions.channel = try optionalString(object, "channel", path)
        dimensions.program = try optionalString(object, "program", path)
        return PostingDraft(
            accountCode: account, side: side, amount: amount, dimensions: dimensions,
            memo: try optionalString(object, "memo", path))
    }

    private static func requiredString(_ object: [String: Any], _ key: String, _ path: String) throws(EntryError) -> String {
        guard let value = try optionalString(object, key, path), !value.isEmpty else {
            throw EntryError(field: path + key, message: "is required")
        }
        return value
    }

    private static func optionalString(_ object: [String: Any], _ key: String, _ path: String) throws(EntryError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else {
            throw EntryError(field: path + key, message: "must be a string")
        }
        if let control = text.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" }) {
            throw EntryError(
                field: path + key,
                message: "contains the control character U+\(String(format: "%04X", control.value)); remove it")
        }
        return text
    }
}
