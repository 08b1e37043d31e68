import Foundation

/// Makes items `0..<count` in order on a thread of its own, at most `depth` ahead of the caller,
/// who takes them in the same order with ``next()``: the reverse of ``BatchPipeline``. A bulk
/// import prepares its next chunk (judging, drafting, encoding) while PostgreSQL writes the one
/// before, on the machine's other core.
///
/// At most `depth` made items wait, so memory stays bounded by `depth` items whatever `count`
/// is. When `make` throws, ``next()`` rethrows its error and nothing more is made. Call
/// ``stop()`` exactly once when done, also after a failure: it ends the thread and waits for it.
final class Prefetcher<Item: Sendable>: @unchecked Sendable {
    // Every var below is read and written only under `condition`'s lock.
    private let condition = NSCondition()
    private var ready: [Item] = []
    private var stopped = false
    private var finished = false
    private var failure: (any Error)?
    private var taken = 0
    /// How many items there are.
    let count: Int
    private let depth: Int

    /// Starts the thread, which calls `make` with 0, 1, … `count - 1`.
    init(count: Int, depth: Int = 2, name: String, make: @escaping @Sendable (Int) throws -> Item) {
        precondition(count >= 0, "a prefetcher makes zero or more items")
        self.count = count
        self.depth = max(1, depth)
        let thread = Thread { [self] in self.work(make) }
        thread.name = name
        thread.start()
    }

    /// The next item in order, waiting for it if it is not made yet; nil after the last.
    /// Rethrows the error of `make`.
    func next() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        guard taken < count else { return nil }
        while ready.isEmpty && failure == nil && !finished { condition.wait() }
        // The items made before a failure come first, then the failure.
        if !ready.isEmpty {
            taken += 1
            condition.broadcast()
            return ready.removeFirst()
        }
        if let failure { throw failure }
        return nil  // stopped before this one was made
    }

    /// Stops making items after the one being made and waits for the thread to end.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func work(_ make: @Sendable (Int) throws -> Item) {
        var index = 0
        while true {
            condition.lock()
            while ready.count >= depth && !stopped { condition.wait() }
            guard !stopped && index < count else {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            do {
                let item = try make(index)
                condition.lock()
                ready.append(item)
                index += 1
                condition.broadcast()
                condition.unlock()
            } catch {
                condition.lock()
                failure = error
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }
}
