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
