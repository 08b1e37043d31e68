import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a file, shared by all processes (and threads: each holder opens the file
/// itself) that use the same path.
enum FileLock {
    /// How often a waiting holder retries.
    static let pollIntervalMicroseconds: UInt32 = 100_000

    /// Runs `body` while holding the lock at `path`, waiting at most `timeoutSeconds` for it.
    static func withLock<T>(
        at path: String, timeoutSeconds: Double, _ body: () throws(EmbeddedPostgresError) -> T
    ) throws(EmbeddedPostgresError) -> T {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not open the lock file \(path): \(String(cString: strerror(errno))). "
                    + "Check that its folder exists and is writable.")
        }
        defer { close(descriptor) }

        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let lockError = errno
            guard lockError == EWOULDBLOCK || lockError == EINTR else {
                throw EmbeddedPostgresError(
                    kind: .fileSystem,
                    message: "Could not lock \(path): \(String(cString: strerror(lockError))).")
            }
            guard Date() < deadline else {
                throw EmbeddedPostgresError(
                    kind: .lockTimeout,
                    message: "Another relief process has held the cluster lock \(path) for more than "
                        + "\(Int(timeoutSeconds)) seconds. Wait for it to finish, or stop it and try again.")
            }
            usleep(pollIntervalMicroseconds)
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
