import CLibPQ

/// Builds COPY text-format data and sends it in chunks.
public struct CopyWriter {
    private var buffer: [UInt8] = []
    /// Rows written so far.
    public private(set) var rowCount = 0
    private let conn: OpaquePointer

    init(conn: OpaquePointer) {
        self.conn = conn
        buffer.reserveCapacity(Connection.copyChunkBytes + 4096)
    }

    /// Appends one row; nil fields are written as `\N`. Fields are escaped for COPY text format.
    /// Sends a chunk to the server whenever the buffer fills.
    public mutating func appendRow(_ fields: [String?]) throws(PostgresError) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            guard let field else {
                buffer.append(contentsOf: [0x5c, 0x4e])  // \N
                continue
            }
            CopyText.escape(field, into: &buffer)
        }
        buffer.append(0x0a)
        rowCount += 1
        if buffer.count >= Connection.copyChunkBytes { try flush() }
    }

    mutating func flush() throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let code = buffer.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                PQputCopyData(conn, $0, Int32(bytes.count))
            }
        }
        if code != 1 {
            throw PostgresError(kind: .copy, message: "COPY send failed: " + String(cString: PQerrorMessage(conn)))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// PostgreSQL's COPY text format: tab-separated fields, `\N` for NULL, backslash escapes.
public enum CopyText {
    /// Appends `field` escaped for COPY text format.
    public static func escape(_ field: String, into buffer: inout [UInt8]) {
        for byte in field.utf8 {
            switch byte {
            case 0x5c: buffer.append(contentsOf: [0x5c, 0x5c])
            case 0x09: buffer.append(contentsOf: [0x5c, 0x74])
            case 0x0a: buffer.append(contentsOf: [0x5c, 0x6e])
            case 0x0d: buffer.append(contentsOf: [0x5c, 0x72])
            default: buffer.append(byte)
            }
        }
    }

    /// Splits one COPY text line into fields, undoing escapes; nil for `\N`.
    public static func fields(_ line: UnsafeBufferPointer<UInt8>) -> [String?] {
        var fields: [String?] = []
        fields.reserveCapacity(24)
        let count = line.count
        var start = 0
        // Fast path per field: no backslash means the bytes are the text (one copy, no appends).
        while start <= count {
            var end = start
            var escaped = false
            while end < count, line[end] != 0x09 {
                if line[end] == 0x5c { escaped = true }
                end += 1
            }
            let field = UnsafeBufferPointer(rebasing: line[start..<end])
            fields.append(escaped ? unescape(field) : String(decoding: field, as: UTF8.self))
            start = end + 1
        }
        return fields
    }

    /// One field with backslash escapes: `\N` alone is NULL; `\t`, `\n`, `\r`, `\b`, `\f`, `\v`
    /// are control characters; any other escaped byte stands for itself.
    static func unescape(_ field: UnsafeBufferPointer<UInt8>) -> String? {
        if field.count == 2, field[0] == 0x5c, field[1] == 0x4e { return nil }
        var current: [UInt8] = []
        current.reserveCapacity(field.count)
        var index = 0
        while index < field.count {
            let byte = field[index]
            if byte == 0x5c, index + 1 < field.count {
                let next = field[index + 1]
                index += 2
                switch next {
                case 0x74: current.append(0x09)
                case 0x6e: current.append(0x0a)
                case 0x72: current.append(0x0d)
                case 0x62: current.append(0x08)
                case 0x66: current.append(0x0c)
                case 0x76: current.append(0x0b)
                default: current.append(next)
                }
                continue
            }
            current.append(byte)
            index += 1
        }
        return String(decoding: current, as: UTF8.self)
    }
}

/// The field boundaries of one COPY text line, kept from line to line so that a stream of
/// millions of lines splits each without allocating, and decodes only the fields it reads.
public struct CopyFields: Sendable {
    private var starts: [Int] = []
    private var ends: [Int] = []

    /// An empty split.
    public init() {
        starts.reserveCapacity(32)
        ends.reserveCapacity(32)
    }

    /// The number of fields of the last line split.
    public var count: Int { starts.count }

    /// Splits `line` at its tabs (escaped tabs are `\t`, so every tab byte separates).
    public mutating func split(_ line: UnsafeBufferPointer<UInt8>) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var start = 0
        for index in 0..<line.count where line[index] == 0x09 {
            starts.append(start)
            ends.append(index)
            start = index + 1
        }
        starts.append(start)
        ends.append(line.count)
    }

    /// Field `index` of `line` (the line last split) as text, escapes undone; nil for `\N` or a
    /// missing field.
    public func string(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> String? {
        guard index < starts.count else { return nil }
        let field = UnsafeBufferPointer(rebasing: line[starts[index]..<ends[index]])
        guard field.contains(0x5c) else { return String(decoding: field, as: UTF8.self) }
        return CopyText.unescape(field)
    }

    /// Field `index` as a decimal integer; nil for `\N`, a missing field, anything but an
    /// optional `-` and digits, or a value outside Int64.
    public func int64(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard index < starts.count else { return nil }
        var position = starts[index]
        let end = ends[index]
        let negative = position < end && line[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < end, end - position <= 19 else { return nil }
        var magnitude: UInt64 = 0
        while position < end {
            let digit = line[position] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = times10 + UInt64(digit)
            position += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// True when field `index` is NULL (`\N`) or missing.
    public func isNull(_ index: Int, in line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard index < starts.count else { return true }
        return ends[index] - starts[index] == 2 && line[starts[index]] == 0x5c && line[starts[index] + 1] == UInt8(ascii: "N")
    }
}

