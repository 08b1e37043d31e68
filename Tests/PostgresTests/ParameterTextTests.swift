import Testing

@testable import Postgres

/// The NUL check every parameter passes before libpq sees it (libpq would end the value there).
@Suite("parameter texts")
struct ParameterTextTests {
    @Test func aNULIsFoundWhereverItIsAndOnlyThen() {
        #expect(!Connection.containsNUL(""))
        #expect(!Connection.containsNUL("宣恩县 椒园镇 |\\n"))
        #expect(Connection.containsNUL("\u{0}"))
        #expect(Connection.containsNUL("a\u{0}b"))
        let big = String(repeating: "采购", count: 1 << 20)
        #expect(!Connection.containsNUL(big))
        #expect(Connection.containsNUL(big + "\u{0}"))
        #expect(Connection.containsNUL("\u{0}" + big))
        // A substring's own storage is not the string's: the check still sees only its bytes.
        let withNUL = "ab\u{0}cd"
        #expect(!Connection.containsNUL(String(withNUL.prefix(2))))
        #expect(Connection.containsNUL(String(withNUL.suffix(3))))
    }
}
