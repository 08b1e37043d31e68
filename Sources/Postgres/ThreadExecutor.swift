import Foundation

/// A serial executor that runs every job on one dedicated OS thread.
///
/// A ``Connection`` actor uses one of these as its executor so that blocking libpq calls
/// never run on Swift's cooperative pool or on an event loop: a connection owns its thread.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var isStopping = false
    private var thread: Thread?
    private var threadID: pthread_t?

    /// Starts the thread. `name` shows in debuggers and `top -H`.
    init(name: String) {
        // Linux threads inherit their creator's name, so the name is set from inside the thread.
        let thread = Thread { [unowned self] in
            Thread.current.name = name
            self.condition.lock()
            self.threadID = pthread_self()
            self.condition.broadcast()
            self.condition.unlock()
            self.runLoop()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
        condition.lock()
        while threadID == nil { condition.wait() }
        condition.unlock()
    }

    // Not implemented: `checkIsolated()`. With Swift 6.3.1 on Linux, providing it made the
    // concurrency runtime jump to a bad address when processing default-actor jobs (seen in
    // `relief verify`); the thread identity is tested through `Connection.isOnConnectionThread()`.

    /// True when the caller runs on this executor's thread.
    func isCurrent() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }



    func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        condition.lock()
        jobs.append(unownedJob)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued, then exit.
    func shutdown() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !isStopping { condition.wait() }
            if jobs.isEmpty && isStopping {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
