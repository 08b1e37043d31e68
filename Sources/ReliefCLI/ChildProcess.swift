import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts this executable again as a child process (posix_spawn) with `DATABASE_URL` set: the
/// benchmark's `relief export`/`relief verify` runs and the soak test's `relief serve`.
enum ChildProcess {
    /// This executable's path.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Spawns `relief ARGUMENTS`; standard input from /dev/null, standard output (and standard error
    /// with it, when `outputPath` is given) appended to `outputPath`, or to /dev/null. The child
    /// starts with no signal blocked and default handlers, whatever this process's threads block,
    /// so it answers SIGINT/SIGTERM as in production. Returns the pid; the caller waits for it.
    static func spawn(_ arguments: [String], databaseURL: String, outputPath: String?) throws -> pid_t {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        return try spawn(program: Self.executable, arguments, environment: environment, outputPath: outputPath)
    }

    /// A wait status as a shell reports it: the exit code, or 128 plus the signal that ended it.
    static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Spawns `program ARGUMENTS` (an absolute path) with `environment`, standard input and output
    /// as in ``spawn(_:databaseURL:outputPath:)``. Returns the pid; the caller waits for it.
    static func spawn(program executable: String, _ arguments: [String], environment: [String: String], outputPath: String?) throws -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        if let outputPath {
            posix_spawn_file_actions_addopen(&fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&fileActions, 1, "/dev/null", O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard spawned == 0 else { throw Failure(description: "relief: cannot start \(executable) \(arguments.first ?? ""): errno \(spawned)") }
        return pid
    }
}
