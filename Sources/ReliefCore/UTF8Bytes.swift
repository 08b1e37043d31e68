/// A string's UTF-8 bytes without copying the string.
enum UTF8Bytes {
    /// Calls `body` with the UTF-8 of `text`: in place for native and small strings (borrowed: no
    /// retain, no copy of the `String` value as `var text = text; text.withUTF8` makes), copied
    /// once for bridged or other non-contiguous strings.
    @inline(__always)
    static func with<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        if let result = try text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(text.utf8).withUnsafeBufferPointer(body)
    }
}
