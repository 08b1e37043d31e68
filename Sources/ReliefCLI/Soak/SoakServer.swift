import EmbeddedPostgres
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `relief serve` child process of a soak run: started, killed with SIGKILL and started again
/// on the same port, its output appended to one log file.
final class SoakServer: @unchecked Sendable {
    /// The most polls of `/metrics` while waiting for a started server to answer (50 ms apart).
    static let readyPollLimit = 400
    /// The most times a start is tried before the run gives up (a start fails while PostgreSQL
    /// is still recovering).
    static let startAttemptLimit = 20

    let port: Int
    let databaseURL: String
    let logPath: String
    private let lock = NSLock()
    private var pid: pid_t = 0

    init(port: Int, databaseURL: String, logPath: String) {
        self.port = port
        self.databaseURL = databaseURL
        self.logPath = logPath
    }

    /// A TCP port nobody listens on now.
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "relief soak: socket() failed: errno \(errno)") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "relief soak: cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the server and waits until it answers; retries while it exits early (PostgreSQL
    /// still starting up).
    func start() async throws {
        for attempt in 1...Self.startAttemptLimit {
            try spawn()
            if try await waitUntilReady() { return }
            kill()
            try await Task.sleep(for: .milliseconds(200 * attempt))
        }
        throw Failure(description: "relief soak: the server did not answer after \(Self.startAttemptLimit) starts; see \(logPath)")
    }

    /// SIGKILL, then reaps the process.
    func kill() {
        lock.lock()
        let victim = pid
        pid = 0
        lock.unlock()
        guard victim > 0 else { return }
        _ = Glibc.kill(victim, SIGKILL)
        var status: Int32 = 0
        while waitpid(victim, &status, 0) == -1 && errno == EINTR {}
    }

    private func spawn() throws {
        let child = try ChildProcess.spawn(["serve", "--port", String(port), "--connections", "12"], databaseURL: databaseURL, outputPath: logPath)
        lock.lock()
        pid = child
        lock.unlock()
    }

    /// Polls `/metrics` until it answers 200; false when the process exited first or the polls
    /// ran out.
    private func waitUntilReady() async throws -> Bool {
        for _ in 0..<Self.readyPollLimit {
            if !isRunning() { return false }
            if Self.answers(port: port) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private func isRunning() -> Bool {
        lock.lock()
        let current = pid
        lock.unlock()
        guard current > 0 else { return false }
        var status: Int32 = 0
        let waited = waitpid(current, &status, WNOHANG)
        if waited == current {
            lock.lock()
            pid = 0
            lock.unlock()
            return false
        }
        return true
    }

    /// Whether a plain HTTP GET of /metrics on the port answers 200 (blocking, 1 s timeout).
    static func answers(port: Int) -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return false }
        defer { close(socketFD) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(socketFD, request, request.count, 0) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = recv(socketFD, &buffer, buffer.count, 0)
        guard received > 12 else { return false }
        return String(decoding: buffer[0..<received], as: UTF8.self).hasPrefix("HTTP/1.1 200")
    }
}

/// Injects crashes at random moments until told to stop: SIGKILL of the server, `pg_ctl stop -m
/// immediate` of PostgreSQL, or both, each followed by a restart.
actor SoakCrasher {
    /// What one crash did.
    enum Kind: String, CaseIterable, Sendable {
        case server = "kill -9 server"
        case database = "pg_ctl stop -m immediate"
        case both = "kill -9 server and pg_ctl stop -m immediate"
    }

    let server: SoakServer
    let cluster: EmbeddedPostgres
    let plan: SoakPlan
    private(set) var counts: [Kind: Int] = [:]

    init(server: SoakServer, cluster: EmbeddedPostgres, plan: SoakPlan) {
        self.server = server
        self.cluster = cluster
        self.plan = plan
    }

    /// The most crashes one run injects (a bound on the loop; the schedule ends runs long before).
    static let crashLimit = 100_000

    /// Crashes at random moments while the schedule runs, then leaves both running.
    func run(while schedule: SoakSchedule, random seed: UInt64) async throws {
        var random = SoakRandom(seed: seed ^ 0xC4A5_11E5)
        for _ in 0..<Self.crashLimit {
            let pause = Duration.milliseconds(random.int(plan.crashMinMs...plan.crashMaxMs))
            try await Task.sleep(for: pause)
            guard await schedule.isRunning() else { break }
            let kind = Kind.allCases[random.int(0...2)]
            try await crash(kind, downMilliseconds: random.int(0...800))
            counts[kind, default: 0] += 1
            await schedule.noteCrash()
        }
    }

    private func crash(_ kind: Kind, downMilliseconds: Int) async throws {
        if kind != .database { server.kill() }
        if kind != .server {
            try cluster.stop(mode: .immediate)
            try await Task.sleep(for: .milliseconds(downMilliseconds))
            try cluster.start()
        }
        if kind != .database { try await server.start() }
    }

    /// Crashes injected so far.
    var total: Int { counts.values.reduce(0, +) }
}
