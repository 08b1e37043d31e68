import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where one cluster's files are.
struct ClusterLayout: Sendable {
    /// How many log lines error messages quote.
    static let logTailLineCount = 20

    /// The cluster folder: `home`, or the folder recorded in `<home>/cluster-location`.
    let root: String
    let dataDirectory: String
    let socketDirectory: String
    let logFile: String

    init(root: String, home: String) {
        self.root = root
        dataDirectory = root + "/data"
        logFile = root + "/postgres.log"
        let preferredSocketDirectory = root + "/run"
        let socketFile = preferredSocketDirectory + "/.s.PGSQL.\(EmbeddedPostgres.port)"
        if socketFile.utf8.count <= EmbeddedPostgres.socketPathLimitBytes
            && Self.isPlainPath(preferredSocketDirectory)
        {
            socketDirectory = preferredSocketDirectory
        } else {
            socketDirectory = "/tmp/relief-" + StableHash.hex12(home)
        }
    }

    /// Only characters that need no quoting in a shell, in `unix_socket_directories` and in a libpq
    /// connection string.
    static func isPlainPath(_ path: String) -> Bool {
        path.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || "._+-/".unicodeScalars.contains(scalar))
        }
    }

    var isInitialized: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") }

    var postmasterPIDFile: String { dataDirectory + "/postmaster.pid" }
    var socketLockFile: String { socketDirectory + "/.s.PGSQL.\(EmbeddedPostgres.port).lock" }

    /// The pid on the first line of `postmaster.pid`, if any.
    func postmasterPID() -> Int? { Self.pid(inLockFile: postmasterPIDFile) }

    /// Removes `postmaster.pid` and the socket lock file when the process they name is gone or a zombie
    /// (after a `kill -9`, a postmaster that nobody reaps stays a zombie, and postgres would refuse to
    /// start because its pid still "exists").
    func removeLeftoversOfDeadServer() {
        for lockFile in [postmasterPIDFile, socketLockFile] {
            guard let pid = Self.pid(inLockFile: lockFile), !ProcessTable.isAlive(pid) else { continue }
            try? FileManager.default.removeItem(atPath: lockFile)
        }
    }

    static func pid(inLockFile path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let firstLine = text.split(separator: "\n", maxSplits: 1).first ?? ""
        guard let pid = Int(firstLine.trimmingCharacters(in: .whitespaces)) else { return nil }
        // postgres writes a negative pid when a single-user backend holds the lock.
        return abs(pid)
    }

    /// The last lines of the server log, for error messages.
    func logTail() -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else {
            return "(the log \(logFile) could not be read)"
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(Self.logTailLineCount).joined(separator: "\n")
    }
}

/// Whether processes exist.
enum ProcessTable {
    /// True when `pid` names a process that exists and is not a zombie.
    static func isAlive(_ pid: Int) -> Bool {
        guard pid > 0, let processID = pid_t(exactly: pid) else { return false }
        if kill(processID, 0) != 0 && errno != EPERM { return false }
        #if os(Linux)
            // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let closing = stat.lastIndex(of: ")")
            {
                let state = stat[stat.index(after: closing)...].trimmingCharacters(in: .whitespaces).first
                return state != "Z" && state != "X"
            }
        #endif
        return true
    }
}

/// A hash that is the same in every process (Swift's `Hasher` is seeded per process): 64-bit FNV-1a.
enum StableHash {
    /// The first 12 hex digits of the hash of `text`.
    static func hex12(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }
}

/// Folder and ownership helpers with errors that say what to fix.
enum FileSystem {
    /// Creates `path` (and missing parents) with `permissions` when it does not exist.
    static func createDirectory(_ path: String, permissions: Int) throws(EmbeddedPostgresError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: [.posixPermissions: permissions])
        } catch {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not create the folder \(path): \(error). Check the permissions of its parent."
            )
        }
    }

    /// Makes `path` a real folder (not a symbolic link), mode 0700, owned by `account` (or by the
    /// current user when `account` is nil). An existing folder owned by anyone else is an error unless
    /// we are root, in which case it is taken over.
    static func createOwnedDirectory(_ path: String, account: ServiceAccount?) throws(EmbeddedPostgresError) {
        try createDirectory(path, permissions: 0o700)
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message:
                    "\(path) is not a folder (it may be a symbolic link or a file). Remove it and try again.")
        }
        let expectedOwner = account?.userID ?? geteuid()
        if info.st_uid != expectedOwner {
            guard geteuid() == 0 else {
                throw EmbeddedPostgresError(
                    kind: .fileSystem,
                    message: "The folder \(path) belongs to another user (uid \(info.st_uid)). "
                        + "Remove it (or ask its owner to) and try again.")
            }
            try setOwner(path, account: account)
        }
        guard chmod(path, 0o700) == 0 else {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not set mode 0700 on \(path): \(String(cString: strerror(errno))).")
        }
    }

    /// Gives `path` to `account`; does nothing when `account` is nil.
    static func setOwner(_ path: String, account: ServiceAccount?) throws(EmbeddedPostgresError) {
        guard let account else { return }
        guard chown(path, account.userID, account.groupID) == 0 else {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message:
                    "Could not give \(path) to the \(account.name) user: \(String(cString: strerror(errno)))."
            )
        }
    }

    static func remove(_ path: String) throws(EmbeddedPostgresError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not remove \(path): \(error). Remove it by hand and try again.")
        }
    }
}
