// A Swift 6.3.1 optimizer fault found in session 13 (docs/BENCHMARKS.md, "Session 13"): digits
// written through a second pointer walking backwards from a number's end are lost with -O.
//
//   swiftc -O -swift-version 6 docs/toolchain/lost-stores.swift -o /tmp/lost && /tmp/lost
//     prints "0 0 45 49" (the first number's two digit stores are gone)
//   swiftc -Onone docs/toolchain/lost-stores.swift -o /tmp/lost && /tmp/lost
//     prints "50 48 45 49" ("20-1", right)
//
// Sources/ReliefCore/ByteOutput.swift writes digits by index from the cursor instead, which both
// builds get right; scripts/release-smoke runs a release build so that a fault like this fails
// the tests.
struct Cursor {
    var position: UnsafeMutablePointer<UInt8>
    mutating func digits(_ value: Int, count: Int) {
        var rest = value
        var end = position + count
        position = end
        for _ in 0..<count {
            end -= 1
            end.pointee = UInt8(48 + rest % 10)
            rest /= 10
        }
    }
}
@inline(never) func run(_ a: Int, _ b: Int) -> [UInt8] {
    var storage = [UInt8](repeating: 0, count: 8)
    let written = storage.withUnsafeMutableBufferPointer { buffer -> Int in
        var c = Cursor(position: buffer.baseAddress!)
        c.digits(a, count: 2)
        c.position.pointee = 45
        c.position += 1
        c.digits(b, count: 1)
        return c.position - buffer.baseAddress!
    }
    return Array(storage[..<written])
}
print(run(20 + CommandLine.arguments.count - 1, 1).map { String($0) }.joined(separator: " "))
