import Foundation

/// Hands items from the thread that reads them (a connection's thread, streaming COPY) to one
/// worker thread that consumes them (hashing, formatting, writing), in batches, so that reading
/// and consuming use two cores.
///
/// At most `depth` batches wait at a time: the reader blocks when the worker falls that far
/// behind, so memory stays bounded by `depth × batchSize` items whatever the length of the
/// stream. The worker sees the items in the order they were sent. When the worker throws, the
/// next ``send(_:)`` or ``finish()`` rethrows its error and the rest is not consumed.
final class BatchPipeline<Item: Sendable>: @unchecked Sendable {
    // Every var below is read and written only under `condition`'s lock, except `pending`,
    // which only the sending thread touches.
    private let condition = NSCondition()
    private var batches: [[Item]] = []
    private var closed = false
    private var finished = false
    private var failure: (any Error)?
    private var pending: [Item] = []
    private let batchSize: Int
    private let depth: Int

    /// Starts the worker thread, which calls `consume` with each batch in order.
    init(batchSize: Int = 256, depth: Int = 4, name: String, consume: @escaping @Sendable ([Item]) throws -> Void) {
        self.batchSize = max(1, batchSize)
        self.depth = max(1, depth)
        pending.reserveCapacity(self.batchSize)
        let thread = Thread { [self] in
            Thread.current.name = name
            self.work(consume)
        }
        thread.name = name
        thread.start()
    }

    /// Queues `item` (moved in, not copied); blocks while `depth` batches wait. Throws the
    /// worker's error, if any.
    func send(_ item: consuming Item) throws {
        pending.append(item)
        if pending.count >= batchSize { try push() }
    }

    /// Hands over what is pending, waits until the worker has consumed everything, and throws
    /// its error, if any. Call it exactly once, also after a failure (it ends the thread).
    func finish() throws {
        condition.lock()
        if failure == nil && !pending.isEmpty { batches.append(pending) }
        pending = []
        closed = true
        condition.broadcast()
        while !finished { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    private func push() throws {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= depth && failure == nil { condition.wait() }
        if let failure { throw failure }
        batches.append(pending)
        pending = []
        pending.reserveCapacity(batchSize)
        condition.broadcast()
    }

    private func work(_ consume: @Sendable ([Item]) throws -> Void) {
        while true {
            condition.lock()
            while batches.isEmpty && !closed { condition.wait() }
            if batches.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = batches.removeFirst()
            let failed = failure != nil
            condition.broadcast()
            condition.unlock()
            guard !failed else { continue }  // drain without consuming after an error
            do {
                try consume(batch)
            } catch {
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
