/// A growable byte buffer written a stretch at a time through a pointer: the canonical text that
/// `relief verify` hashes and the CSV rows of a journal export, millions of short fields each.
///
/// Appending to a `[UInt8]` byte by byte checks uniqueness, capacity and exclusive access on every
/// byte; perf of a 2M-posting verify and export put a quarter of their writing threads there.
/// Here a caller states the most bytes a stretch can take (``write(maximum:_:)``), the room is
/// made once, and the stretch is written through a ``ByteCursor`` with no check per byte.
struct ByteOutput: Sendable {
    /// Initialized storage, never shrunk: only the first ``count`` bytes are the output.
    private var storage: [UInt8]
    /// The bytes written since the last ``removeAll()``.
    private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes.
    init(capacity: Int) {
        storage = [UInt8](repeating: 0, count: max(capacity, 64))
    }

    /// Forgets the output, keeping the room.
    mutating func removeAll() { count = 0 }

    /// Writes one stretch of at most `maximum` bytes through `body`'s cursor.
    @inline(__always)
    mutating func write(maximum: Int, _ body: (inout ByteCursor) -> Void) {
        if storage.count - count < maximum { grow(toHold: count + maximum) }
        let start = count
        count =
            start
            + storage.withUnsafeMutableBufferPointer {
                ByteCursor.write($0, at: start, maximum: maximum, body)
            }
    }

    /// Appends bytes as they are.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        write(maximum: bytes.count) { $0.append(bytes) }
    }

    /// Calls `body` with the output.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// The output as an array (a copy).
    var array: [UInt8] { Array(storage[..<count]) }

    /// Doubles the room until `total` bytes fit.
    private mutating func grow(toHold total: Int) {
        var size = storage.count
        while size < total { size *= 2 }
        storage.append(contentsOf: repeatElement(0, count: size - storage.count))
    }
}

extension [UInt8] {
    /// Appends at most `maximum` bytes written through a ``ByteCursor``, as a ``ByteOutput``
    /// stretch is written: for the writers that build an array (the CSV cells of an
    /// ``ExportEntry``), so that digits, quoting and amounts have one implementation.
    mutating func write(maximum: Int, _ body: (inout ByteCursor) -> Void) {
        guard maximum > 0 else { return }
        let start = count
        append(contentsOf: repeatElement(0, count: maximum))
        let written = withUnsafeMutableBufferPointer {
            ByteCursor.write($0, at: start, maximum: maximum, body)
        }
        removeLast(maximum - written)
    }
}

/// Where the next byte of a ``ByteOutput/write(maximum:_:)`` stretch goes. In release builds the
/// stretch's bound is checked once, after it is written; debug builds (the tests) also check each
/// write against it before it happens (`assert`), so an overrun stops there, not after the fact.
struct ByteCursor {
    /// The next byte's address.
    var position: UnsafeMutablePointer<UInt8>
    /// Just past the last byte the stretch may write.
    let end: UnsafeMutablePointer<UInt8>

    /// Runs `body` on a cursor at `start` of `buffer`, which has room for `maximum` bytes from
    /// there; returns how many it wrote.
    @inline(__always)
    static func write(
        _ buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int, maximum: Int,
        _ body: (inout ByteCursor) -> Void
    ) -> Int {
        precondition(
            start >= 0 && maximum >= 0 && buffer.count - start >= maximum, "a stretch needs its room")
        let base = buffer.baseAddress! + start
        var cursor = ByteCursor(position: base, end: base + maximum)
        body(&cursor)
        let written = cursor.position - base
        // After the write, not before: a stretch longer than its bound has already overrun.
        precondition(written <= maximum, "a stretch of \(written) bytes overran its bound of \(maximum)")
        return written
    }

    /// One byte.
    @inline(__always)
    mutating func byte(_ value: UInt8) {
        assert(position < end, "a stretch overran its bound")
        position.pointee = value
        position += 1
    }

    /// Bytes as they are.
    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        assert(end - position >= bytes.count, "a stretch overran its bound")
        position.update(from: start, count: bytes.count)
        position += bytes.count
    }

    /// Bytes as they are, from an array.
    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// The decimal digits of `value`, zero-padded in front to at least `width` digits: at most
    /// max(20, `width`) bytes.
    @inline(__always)
    mutating func decimal(_ value: UInt64, width: Int = 1) {
        var digitCount = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digitCount += 1
        }
        let total = max(digitCount, width)
        writeDigits(value, count: total)
    }

    /// `value` in decimal, `-` in front of a negative one: at most 20 bytes.
    @inline(__always)
    mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(value.magnitude)
    }

    /// The last `width` decimal digits of `value` (≥ 0), exactly `width` bytes.
    @inline(__always)
    mutating func lastDigits(_ value: Int, width: Int) {
        writeDigits(UInt64(value.magnitude), count: width)
    }

    /// The last `count` decimal digits of `value`, the last digit written first, by index from
    /// the cursor. A first version walked a second pointer backwards from the end; Swift 6.3.1's
    /// optimizer drops some of those stores (docs/toolchain/lost-stores.swift reproduces it), so
    /// release builds wrote zero bytes where digits belonged. The release smoke run
    /// (scripts/release-smoke) fails on such a build.
    @inline(__always)
    private mutating func writeDigits(_ value: UInt64, count: Int) {
        assert(end - position >= count, "a stretch overran its bound")
        var rest = value
        var index = count
        while index > 0 {
            index -= 1
            position[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        position += count
    }
}
