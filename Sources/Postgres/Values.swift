/// A Swift value that can be sent as a statement parameter (in PostgreSQL's text format).
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

/// A Swift value that can be read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    /// Parses the text form; returns nil when the text is not a valid value of this type.
    init?(postgresText text: String)
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self }
    public init?(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self ? "true" : "false" }
    public init?(postgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

/// A `bytea` value.
public struct PostgresBytes: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The raw bytes.
    public var bytes: [UInt8]

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Lower-case hexadecimal, two digits a byte.
    public var hex: String { Hex.encode(bytes) }

    public var postgresText: String { "\\x" + Hex.encode(bytes) }

    public init?(postgresText text: String) {
        guard text.hasPrefix("\\x"), let bytes = Hex.decode(text.dropFirst(2)) else { return nil }
        self.bytes = bytes
    }
}

/// Hexadecimal encoding helpers.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`, written straight into the string's storage: the export and
    /// verify call this once per entry, and the generic form below was neither specialised nor
    /// inlined across modules (perf: 3.4% of an export's samples, with its iterator).
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var position = 0
            for byte in bytes {
                out[position] = digits[Int(byte >> 4)]
                out[position + 1] = digits[Int(byte & 0x0f)]
                position += 2
            }
            return position
        }
    }

    /// Lower-case hex of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { encode($0) }
    }

    /// Lower-case hex of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string (either case); nil when the text is not hex of even length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            let high = nibbles[Int(utf8[index])]
            let low = nibbles[Int(utf8[index + 1])]
            guard high < 16, low < 16 else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// True when `text` (either case) spells `bytes`, compared in place: `relief verify` checks
    /// each stored hash against the recomputed one without decoding it into an array.
    public static func spells(_ text: String, _ bytes: [UInt8]) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard utf8.count == bytes.count * 2 else { return false }
            return bytes.withUnsafeBufferPointer { bytes in
                var index = 0
                while index < bytes.count {
                    let high = nibbles[Int(utf8[2 * index])]
                    let low = nibbles[Int(utf8[2 * index + 1])]
                    // 0xFF marks a byte that is not a hex digit: it never equals a nibble.
                    guard high < 16, low < 16, high << 4 | low == bytes[index] else { return false }
                    index += 1
                }
                return true
            }
        } ?? (decode(text) == bytes)
    }

    /// The value of each ASCII hex digit (either case) by byte; 0xFF for every other byte.
    private static let nibbles: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        switch byte {
        case 0x30...0x39: return UInt8(byte - 0x30)
        case 0x61...0x66: return UInt8(byte - 0x61 + 10)
        case 0x41...0x46: return UInt8(byte - 0x41 + 10)
        default: return 0xFF
        }
    }
}

/// Column names of a result, shared by its rows.
public final class PostgresColumns: Sendable {
    /// Column names in order.
    public let names: [String]
    private let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.indexByName = index
    }

    /// Position of a column, or nil.
    public func index(of name: String) -> Int? { indexByName[name] }
}

/// One row of a result, values in text format (nil for SQL NULL).
public struct PostgresRow: Sendable {
    /// The result's columns.
    public let columns: PostgresColumns
    /// Raw text values; nil is SQL NULL.
    public let values: [String?]

    /// Decodes column `index`; throws when it is NULL or does not parse.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws(PostgresError) -> T {
        guard index < values.count else {
            throw PostgresError(kind: .decoding, message: "column \(index) out of range (\(values.count) columns)")
        }
        guard let text = values[index] else {
            throw PostgresError(
                kind: .decoding, message: "column \(columns.names[index]) is NULL; expected \(T.self)")
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(
                kind: .decoding, message: "column \(columns.names[index]): cannot read \"\(text)\" as \(T.self)")
        }
        return value
    }

    /// Decodes column `index`, nil for SQL NULL.
    public func decodeOptional<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws(PostgresError) -> T? {
        guard index < values.count, values[index] != nil else { return nil }
        return try decode(type, at: index)
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws(PostgresError) -> T {
        guard let index = columns.index(of: name) else {
            throw PostgresError(kind: .decoding, message: "no column named \(name)")
        }
        return try decode(type, at: index)
    }

    /// Decodes the column named `name`, nil for SQL NULL.
    public func decodeOptional<T: PostgresDecodable>(_ type: T.Type, column name: String) throws(PostgresError) -> T? {
        guard let index = columns.index(of: name) else {
            throw PostgresError(kind: .decoding, message: "no column named \(name)")
        }
        return try decodeOptional(type, at: index)
    }
}

/// The materialised result of one statement.
public struct PostgresResult: Sendable {
    /// Column names.
    public let columns: PostgresColumns
    /// The rows, in the order the server sent them.
    public let rows: [PostgresRow]
    /// Rows affected, for INSERT/UPDATE/DELETE/COPY (from the command tag), else 0.
    public let affectedRows: Int

    /// The only row; throws when there is not exactly one.
    public func single() throws(PostgresError) -> PostgresRow {
        guard rows.count == 1 else {
            throw PostgresError(kind: .decoding, message: "expected exactly one row, got \(rows.count)")
        }
        return rows[0]
    }
}

/// One statement of a ``Connection/pipeline(_:)``: its SQL and its parameters (text format; nil
/// is SQL NULL), as ``Connection/query(_:_:)`` takes them.
public struct PipelineStatement: Sendable {
    /// The SQL, one statement, `$1`… for parameters.
    public var sql: String
    /// The parameters.
    public var parameters: [(any PostgresEncodable)?]
    /// Keep it prepared on the session (see ``Connection/query(_:_:prepared:)``).
    public var prepared: Bool

    /// Makes a statement.
    public init(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [], prepared: Bool = false) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
    }
}
