/// JSON text written straight into UTF-8 bytes, member by member, for the documents on hot paths:
/// the purchase the API answers to every POST, the detail of every audit row.
///
/// Foundation's `JSONEncoder` builds a tree of boxed values, converts every key to snake case and
/// sorts the keys of every object at run time: perf put it at 41% of a purchase POST's CPU on the
/// server (docs/BENCHMARKS.md, session 16). Here the caller writes the members in their final
/// order; ``key(_:)`` asserts (in debug builds) that an object's keys come in ascending byte order,
/// the order `JSONEncoder`'s `.sortedKeys` gives them, so a document reads the same either way.
///
/// Strings are escaped as ``appendString(_:to:)`` says.
public struct JSONBytes: Sendable {
    /// The most objects and arrays open at once: the documents written here are two deep.
    public static let maximumDepth = 16

    /// The text so far.
    public private(set) var bytes: [UInt8]
    /// Per open object or array: which it is, whether it has a member yet, and (objects, debug
    /// builds) the last key.
    private var open: [(isObject: Bool, hasMember: Bool, lastKey: String?)] = []
    /// Whether a key was just written, so the next value is its value, with no comma before it.
    private var afterKey = false

    /// An empty document with room for about `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Opens an object (`{`).
    public mutating func beginObject() {
        separateValue()
        precondition(
            open.count < Self.maximumDepth, "a JSON document nests at most \(Self.maximumDepth) deep")
        bytes.append(UInt8(ascii: "{"))
        open.append((true, false, nil))
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        precondition(
            open.last?.isObject == true && !afterKey,
            "endObject closes an open object after a complete member")
        open.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    /// Opens an array (`[`).
    public mutating func beginArray() {
        separateValue()
        precondition(
            open.count < Self.maximumDepth, "a JSON document nests at most \(Self.maximumDepth) deep")
        bytes.append(UInt8(ascii: "["))
        open.append((false, false, nil))
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        precondition(open.last?.isObject == false && !afterKey, "endArray closes an open array")
        open.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a member's key; its value comes next. Keys of one object must ascend.
    public mutating func key(_ name: String) {
        precondition(
            open.last?.isObject == true && !afterKey,
            "a key belongs in an open object, after a complete member")
        #if DEBUG
            // Kept only where it is checked: a release build stores no key.
            if let last = open[open.count - 1].lastKey {
                assert(
                    last.utf8.lexicographicallyPrecedes(name.utf8),
                    "JSON keys must ascend: \(last) before \(name)")
            }
            open[open.count - 1].lastKey = name
        #endif
        if open[open.count - 1].hasMember { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1].hasMember = true
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// Writes a string value.
    public mutating func string(_ value: String) {
        separateValue()
        Self.appendString(value, to: &bytes)
    }

    /// Writes an integer value.
    public mutating func integer(_ value: Int64) {
        separateValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separateValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Writes an array of strings.
    public mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A comma before a value that is not its object's member value or its array's first.
    private mutating func separateValue() {
        if afterKey {
            afterKey = false
            return
        }
        guard !open.isEmpty else { return }
        precondition(!open[open.count - 1].isObject, "a value inside an object needs its key first")
        if open[open.count - 1].hasMember { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1].hasMember = true
    }

    /// The object of `members` with its keys in ascending byte order: the detail of an audit row.
    public static func object(_ members: [String: String]) -> String {
        var json = JSONBytes(capacity: 16 + members.count * 32)
        json.beginObject()
        for (name, value) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            json.key(name)
            json.string(value)
        }
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal (RFC 8259): the quotation mark and the reverse
    /// solidus escaped, the control characters as `\b`, `\f`, `\n`, `\r`, `\t` or `\u00xx`, and
    /// U+2028 and U+2029 as `\u2028` and `\u2029` (JavaScript reads them as line ends); every
    /// other character as its UTF-8, the solidus included.
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var index = 0
            var runStart = 0
            while index < utf8.count {
                let byte = utf8[index]
                let escape: String?
                let width: Int
                switch byte {
                case UInt8(ascii: "\""): (escape, width) = ("\\\"", 1)
                case UInt8(ascii: "\\"): (escape, width) = ("\\\\", 1)
                case 0x0A: (escape, width) = ("\\n", 1)
                case 0x0D: (escape, width) = ("\\r", 1)
                case 0x09: (escape, width) = ("\\t", 1)
                case 0x08: (escape, width) = ("\\b", 1)
                case 0x0C: (escape, width) = ("\\f", 1)
                case 0x00..<0x20: (escape, width) = (unicodeEscape(UInt32(byte)), 1)
                case 0xE2
                where index + 2 < utf8.count && utf8[index + 1] == 0x80
                    && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                    (escape, width) = (utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029", 3)
                default: (escape, width) = (nil, 1)
                }
                if let escape {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                    output.append(contentsOf: escape.utf8)
                    runStart = index + width
                }
                index += width
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// `\u00xx` for a control character, in lower-case hexadecimal.
    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: false)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// `text` as a JSON string literal (``appendString(_:to:)``).
    public static func quoted(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 2)
        appendString(text, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
