/// When a soak run ends: not before `--seconds`, then on while fewer writes were acknowledged or
/// fewer crashes injected than the run's minimums, and never after `overtimeFactor` times
/// `--seconds`. A loaded machine (a CI run beside 290 other tests) spends most of a short run
/// restarting PostgreSQL; the minimums keep such a run from checking almost nothing.
actor SoakSchedule {
    /// The longest a run may go on past `--seconds`, as a multiple of it.
    static let overtimeFactor = 6

    private let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let end: ContinuousClock.Instant
    let hardEnd: ContinuousClock.Instant
    let minimumAcknowledged: Int
    let minimumCrashes: Int
    private(set) var acknowledged = 0
    private(set) var crashes = 0
    /// When the run stopped sending new writes; clients may still retry for the grace period.
    private(set) var stopped: ContinuousClock.Instant?

    init(seconds: Int, minimumAcknowledged: Int, minimumCrashes: Int, overtimeFactor: Int = SoakSchedule.overtimeFactor) {
        precondition(seconds > 0 && minimumAcknowledged >= 0 && minimumCrashes >= 0 && overtimeFactor >= 1)
        started = clock.now
        end = started + .seconds(seconds)
        hardEnd = started + .seconds(seconds * overtimeFactor)
        self.minimumAcknowledged = minimumAcknowledged
        self.minimumCrashes = minimumCrashes
    }

    /// True while clients should start new writes and the crasher should go on; once false, it
    /// stays false.
    func isRunning() -> Bool {
        if stopped != nil { return false }
        let now = clock.now
        let owed = acknowledged < minimumAcknowledged || crashes < minimumCrashes
        if now < end || (owed && now < hardEnd) { return true }
        stopped = now
        return false
    }

    /// True while a write already started may be sent again.
    func mayRetry() -> Bool {
        clock.now < (stopped ?? hardEnd) + .seconds(SoakPlan.retryGraceSeconds)
    }

    func noteAcknowledged() { acknowledged += 1 }
    func noteCrash() { crashes += 1 }

    /// Whole seconds from the start to the stop (or to now).
    func elapsedSeconds() -> Int {
        Int(((stopped ?? clock.now) - started).components.seconds)
    }
}
