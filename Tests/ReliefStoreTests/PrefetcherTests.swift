import Foundation
import Testing

@testable import ReliefStore

/// The thread a bulk import prepares its next chunk on: items in order, never more than `depth`
/// ahead, the maker's error passed on, and a stop that ends the thread early.
@Suite("prefetcher")
struct PrefetcherTests {
    /// Counts what the maker has made, shared with its thread.
    final class Made: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    @Test func itemsArriveInOrderAndThenNil() throws {
        let prefetcher = Prefetcher(count: 50, depth: 3, name: "test.prefetch") { $0 * $0 }
        defer { prefetcher.stop() }
        var items: [Int] = []
        while let item = try prefetcher.next() { items.append(item) }
        #expect(items == (0..<50).map { $0 * $0 })
        #expect(try prefetcher.next() == nil)
    }

    @Test func theMakerStaysAtMostDepthAhead() throws {
        let made = Made()
        let prefetcher = Prefetcher(count: 100, depth: 2, name: "test.prefetch") { index in
            made.increment()
            return index
        }
        defer { prefetcher.stop() }
        #expect(try prefetcher.next() == 0)
        // Let the thread run ahead as far as it may (one taken, two waiting), then check that it
        // went no further.
        for _ in 0..<500 where made.count < 3 { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(made.count == 3)
    }

    @Test func theMakersErrorReachesTheTakerAfterTheItemsBeforeIt() throws {
        struct Refused: Error {}
        let prefetcher = Prefetcher(count: 10, depth: 2, name: "test.prefetch") { index in
            if index == 3 { throw Refused() }
            return index
        }
        defer { prefetcher.stop() }
        var items: [Int] = []
        #expect(throws: Refused.self) {
            while let item = try prefetcher.next() { items.append(item) }
        }
        #expect(items == [0, 1, 2])
    }

    @Test func stopEndsTheThreadBeforeEverythingIsMade() throws {
        let made = Made()
        let prefetcher = Prefetcher(count: 1_000, depth: 2, name: "test.prefetch") { index in
            made.increment()
            return index
        }
        #expect(try prefetcher.next() == 0)
        prefetcher.stop()
        #expect(made.count <= 4)
        let after = made.count
        Thread.sleep(forTimeInterval: 0.05)
        #expect(made.count == after)
    }

    @Test func nothingToMakeIsNilAtOnce() throws {
        let prefetcher = Prefetcher(count: 0, name: "test.prefetch") { (index: Int) -> Int in index }
        #expect(try prefetcher.next() == nil)
        prefetcher.stop()
    }
}
