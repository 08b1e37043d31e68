import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private PostgreSQL cluster that relief creates and runs under a home folder.
///
/// Layout (the *cluster folder* is normally `home` itself):
/// - `<cluster folder>/data`: the cluster, made by `initdb` (superuser `superuser`, trust auth, UTF8,
///   C locale);
/// - `<cluster folder>/run`: the Unix socket folder; the server listens on no TCP address at all;
/// - `<cluster folder>/postgres.log`: the server log;
/// - `<home>/.lock`: the lock that keeps two processes from starting or stopping the cluster at once.
///
/// Two fallbacks move things out of `home`:
/// - **Long socket paths.** Unix socket paths are limited to about 107 bytes. When
///   `<cluster folder>/run/.s.PGSQL.5432` would be longer than 100 bytes (or the path holds characters
///   other than letters, digits and `._+-/`), the socket folder is `/tmp/relief-<12 hex digits>` instead,
///   the digits being a stable hash (FNV-1a) of the home path. It is created with mode 0700.
/// - **Running as root.** `initdb` and `postgres` refuse to run as root, so when the effective user is
///   root every PostgreSQL program runs as the `postgres` OS account (`runuser -u postgres --`), and the
///   data folder, socket folder and log are owned by it. When that account cannot reach `home` (say it
///   is under `/root`, which is mode 0700), the cluster folder becomes `/var/tmp/relief-pg-<12 hex digits>`
///   (owned by postgres, mode 0700) and its path is written to `<home>/cluster-location`, so that later
///   runs, ``status()`` and the path properties find the same cluster. Until the first ``start()`` has
///   made that decision, ``dataDirectory``, ``socketDirectory``, ``logFile`` and ``connectionString``
///   name the folders under `home`.
///
/// Every wait is bounded: pg_ctl waits at most 60 seconds for the server, any one program is stopped
/// after 180 seconds, and the cluster lock is given up after 600 seconds.
public struct EmbeddedPostgres: Sendable {
    /// `max_connections` of the server: room for the test suite's parallel databases, each with
    /// its own pool (PostgreSQL's default of 100 ran out: "too many clients already"), and for
    /// `relief bench`'s 32 clients beside its pools.
    public static let maximumConnections = 400

    /// The server's port; with a socket folder of S the socket file is `S/.s.PGSQL.5432`.
    public static let port = 5432
    /// Longest socket file path (in bytes) used inside the cluster folder before falling back to /tmp.
    static let socketPathLimitBytes = 100
    /// How long pg_ctl waits for the server to start or stop (`pg_ctl -w -t`).
    static let pgCtlWaitSeconds = 60
    /// How long any one program may run before it is stopped; above pg_ctl's own bound.
    static let commandTimeoutSeconds = 180.0
    /// How long start() and stop() wait for another process holding the cluster lock.
    static let lockTimeoutSeconds = 600.0
    /// How many times start() runs `pg_ctl start` when the server reports a leftover from a crash.
    static let startAttemptLimit = 3
    /// Pause between such attempts, to let the crashed server's children exit.
    static let startRetryDelayMicroseconds: UInt32 = 1_000_000
    /// The file in `home` that records a cluster folder outside `home`.
    static let clusterLocationFileName = "cluster-location"
    static let lockFileName = ".lock"

    /// Whether the server is running.
    public enum Status: Sendable, Equatable {
        /// There is no cluster yet (no data folder with a `PG_VERSION` file).
        case notInitialized
        /// The cluster exists and no server is running on it.
        case stopped
        /// A server is running on the cluster; `pid` is its postmaster's process id.
        case running(pid: Int)
    }

    /// The absolute folder that holds everything (see the type's documentation for the exceptions).
    public let home: String
    /// The database that ``start()`` creates when missing and that ``connectionString`` names.
    public let databaseName: String
    /// The cluster's superuser (`initdb -U`), also the user in ``connectionString``.
    public let superuser: String
    /// When set, the only folders searched for initdb, pg_ctl and createdb (PATH is then ignored).
    public let binarySearchPaths: [String]?

    /// Describes a cluster under `home`; nothing happens on disk until ``start()``.
    ///
    /// - Parameters:
    ///   - home: folder that holds everything (data/, the socket, the log); a relative path is taken
    ///     relative to the current directory.
    ///   - databaseName: must match `^[a-z_][a-z0-9_]{0,62}$`, else ``start()`` throws.
    ///   - superuser: must match `^[a-z_][a-z0-9_]{0,62}$`, else ``start()`` throws.
    ///   - binarySearchPaths: folders to search for the PostgreSQL programs instead of PATH and
    ///     `/usr/lib/postgresql/*/bin`.
    public init(
        home: String, databaseName: String = "relief", superuser: String = "relief",
        binarySearchPaths: [String]? = nil
    ) {
        self.home = Self.absolutePath(home)
        self.databaseName = databaseName
        self.superuser = superuser
        self.binarySearchPaths = binarySearchPaths
    }

    /// `RELIEF_HOME` when set and non-empty, else `<current directory>/.relief`; always an absolute path.
    public static func defaultHome(environment: [String: String]) -> String {
        if let configured = environment["RELIEF_HOME"],
            !configured.trimmingCharacters(in: .whitespaces).isEmpty
        {
            return absolutePath(configured)
        }
        return absolutePath(".relief")
    }

    /// True when `DATABASE_URL`, `PGHOST` or `PGSERVICE` is set and non-empty: then relief must use that
    /// database and not start its own cluster.
    public static func isExternalDatabaseConfigured(environment: [String: String]) -> Bool {
        ["DATABASE_URL", "PGHOST", "PGSERVICE"].contains { key in
            guard let value = environment[key] else { return false }
            return !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
    }

    /// True when `name` can be a database or user name here: `^[a-z_][a-z0-9_]{0,62}$`.
    public static func isValidIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63 else { return false }
        func isLowerLetterOrUnderscore(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_")
        }
        return isLowerLetterOrUnderscore(first)
            && bytes.dropFirst().allSatisfy {
                isLowerLetterOrUnderscore($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            }
    }

    // MARK: - Paths

    /// The libpq connection string, e.g. `host=/abs/run port=5432 dbname=relief user=relief`.
    /// The same as ``start()`` returns; starts nothing.
    public var connectionString: String { connectionString(for: currentLayout()) }

    /// The cluster's data folder (`PGDATA`).
    public var dataDirectory: String { currentLayout().dataDirectory }

    /// The folder that holds the server's Unix socket.
    public var socketDirectory: String { currentLayout().socketDirectory }

    /// The server's log file.
    public var logFile: String { currentLayout().logFile }

    // MARK: - Operations

    /// Makes the cluster ready and returns its connection string: runs `initdb` when the data folder is
    /// new, starts the server when it is not running (clearing what a crashed server left behind), and
    /// then creates the database when it is missing. A call on a running cluster only returns the
    /// connection string. Safe to call from several processes at once (a lock file serializes them).
    @discardableResult
    public func start() throws(EmbeddedPostgresError) -> String {
        try validateConfiguration()
        let programs = try locatePrograms()
        let account = try serviceAccountForCurrentUser()
        let runner = CommandRunner(account: account)
        try createHome(account: account)
        return try FileLock.withLock(at: lockFilePath, timeoutSeconds: Self.lockTimeoutSeconds) {
            () throws(EmbeddedPostgresError) -> String in
            let layout = try prepareClusterFolder(account: account, runner: runner)
            if !layout.isInitialized {
                try initializeCluster(layout, programs: programs, account: account, runner: runner)
            }
            if case .running = try status(of: layout, programs: programs, runner: runner) {
                return connectionString(for: layout)
            }
            try prepareRuntimeFiles(layout, account: account)
            try startServer(layout, programs: programs, runner: runner)
            try createDatabaseIfMissing(layout, programs: programs, runner: runner)
            return connectionString(for: layout)
        }
    }

    /// How `pg_ctl stop` stops the server.
    public enum StopMode: String, Sendable {
        /// Sessions are disconnected, the server writes a checkpoint and shuts down cleanly.
        case fast
        /// Every server process quits at once, as in a power cut: the next start replays the WAL
        /// (crash recovery). The soak test uses it to prove the books survive a crash.
        case immediate
    }

    /// Stops the server (`pg_ctl stop -m fast -w`, or `-m immediate`): active sessions are
    /// disconnected. Does nothing when there is no cluster or no server running.
    public func stop(mode: StopMode = .fast) throws(EmbeddedPostgresError) {
        guard currentLayout().isInitialized else { return }
        let programs = try locatePrograms()
        let account = try serviceAccountForCurrentUser()
        let runner = CommandRunner(account: account)
        try FileLock.withLock(at: lockFilePath, timeoutSeconds: Self.lockTimeoutSeconds) {
            () throws(EmbeddedPostgresError) in
            let layout = currentLayout()
            guard case .running = try status(of: layout, programs: programs, runner: runner) else { return }
            let result = try runner.run(
                programs.pgCtl,
                [
                    "stop", "-D", layout.dataDirectory, "-m", mode.rawValue, "-w", "-t",
                    String(Self.pgCtlWaitSeconds),
                ],
                timeoutSeconds: Self.commandTimeoutSeconds)
            guard result.exitCode != 0 else { return }
            // Someone else may have stopped it in between; that is fine.
            if case .running = try status(of: layout, programs: programs, runner: runner) {
                throw EmbeddedPostgresError(
                    kind: .commandFailed,
                    message: "Could not stop the PostgreSQL server in \(layout.dataDirectory) "
                        + "(pg_ctl exit code \(result.exitCode)): \(result.diagnostics)\n"
                        + "Check the log \(layout.logFile); as a last resort stop the postmaster process.")
            }
        }
    }

    /// Whether the cluster exists and a server is running on it (`pg_ctl status`).
    public func status() throws(EmbeddedPostgresError) -> Status {
        let layout = currentLayout()
        guard layout.isInitialized else { return .notInitialized }
        let programs = try locatePrograms()
        let account = try serviceAccountForCurrentUser()
        return try status(of: layout, programs: programs, runner: CommandRunner(account: account))
    }

    /// The path of a PostgreSQL program (such as `psql`) from the folder initdb is taken from, so that
    /// its version matches the server's.
    public func programPath(named name: String) throws(EmbeddedPostgresError) -> String {
        let programs = try locatePrograms()
        let path = programs.binDirectory + "/" + name
        guard PostgresPrograms.isExecutable(path) else {
            throw EmbeddedPostgresError(
                kind: .programsNotFound,
                message: "The PostgreSQL program \(name) was not found in \(programs.binDirectory). "
                    + "Install it: apt-get install postgresql (Debian/Ubuntu).")
        }
        return path
    }

    // MARK: - Layout

    var lockFilePath: String { home + "/" + Self.lockFileName }
    var clusterLocationFilePath: String { home + "/" + Self.clusterLocationFileName }

    /// The cluster folder recorded in `<home>/cluster-location`, else `home`.
    func currentLayout() -> ClusterLayout {
        ClusterLayout(root: recordedClusterFolder() ?? home, home: home)
    }

    func recordedClusterFolder() -> String? {
        guard let text = try? String(contentsOfFile: clusterLocationFilePath, encoding: .utf8) else {
            return nil
        }
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? path : nil
    }

    func connectionString(for layout: ClusterLayout) -> String {
        "host=\(layout.socketDirectory) port=\(Self.port) dbname=\(databaseName) user=\(superuser)"
    }

    // MARK: - Steps of start()

    func validateConfiguration() throws(EmbeddedPostgresError) {
        for (what, name) in [("database name", databaseName), ("superuser name", superuser)]
        where !Self.isValidIdentifier(name) {
            throw EmbeddedPostgresError(
                kind: .invalidConfiguration,
                message: "The \(what) \"\(name)\" is not allowed: use 1 to 63 lowercase letters, digits and "
                    + "underscores, not starting with a digit.")
        }
        // pg_ctl puts the data folder and log path in double quotes on a shell command line.
        let unsafeCharacters: Set<Character> = ["\"", "\\", "$", "`", "\n", "\r"]
        if home.contains(where: { unsafeCharacters.contains($0) }) {
            throw EmbeddedPostgresError(
                kind: .invalidConfiguration,
                message: "The relief home \(home) contains a character (\", \\, $, ` or a line break) that "
                    + "cannot be passed to pg_ctl. Choose another folder (set RELIEF_HOME).")
        }
    }

    func locatePrograms() throws(EmbeddedPostgresError) -> PostgresPrograms {
        try PostgresPrograms.locate(
            searchPaths: binarySearchPaths, environmentPath: ProcessInfo.processInfo.environment["PATH"])
    }

    /// The `postgres` account when running as root (programs must then run as it), else nil.
    func serviceAccountForCurrentUser() throws(EmbeddedPostgresError) -> ServiceAccount? {
        guard geteuid() == 0 else { return nil }
        guard let account = ServiceAccount.lookUp(ServiceAccount.defaultName) else {
            throw EmbeddedPostgresError(
                kind: .serviceAccountMissing,
                message: "relief is running as root, but PostgreSQL refuses to run as root and there is no "
                    + "'\(ServiceAccount.defaultName)' OS user to run it as. "
                    + "Install PostgreSQL with apt-get install postgresql (which creates that user), "
                    + "or run relief as a non-root user.")
        }
        return account
    }

    func createHome(account: ServiceAccount?) throws(EmbeddedPostgresError) {
        // As root, the home must stay enterable by the postgres account; the data folder itself is 0700.
        try FileSystem.createDirectory(home, permissions: account == nil ? 0o700 : 0o755)
    }

    /// Decides (under the lock) where the cluster folder is, creating it when it is outside `home`.
    func prepareClusterFolder(account: ServiceAccount?, runner: CommandRunner) throws(EmbeddedPostgresError)
        -> ClusterLayout
    {
        if let recorded = recordedClusterFolder() {
            try FileSystem.createOwnedDirectory(recorded, account: account)
            return ClusterLayout(root: recorded, home: home)
        }
        let inHome = ClusterLayout(root: home, home: home)
        guard let account, !inHome.isInitialized,
            try !canAccount(account, enter: home, runner: runner)
        else { return inHome }

        let relocated = "/var/tmp/relief-pg-" + StableHash.hex12(home)
        try FileSystem.createOwnedDirectory(relocated, account: account)
        do {
            try (relocated + "\n").write(toFile: clusterLocationFilePath, atomically: true, encoding: .utf8)
        } catch {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message:
                    "Could not write \(clusterLocationFilePath): \(error). Check that \(home) is writable.")
        }
        return ClusterLayout(root: relocated, home: home)
    }

    /// Whether `account` can reach and enter `folder` (search permission on it and all its parents).
    func canAccount(_ account: ServiceAccount, enter folder: String, runner: CommandRunner)
        throws(EmbeddedPostgresError) -> Bool
    {
        let testProgram =
            ["/usr/bin/test", "/bin/test"].first { PostgresPrograms.isExecutable($0) } ?? "test"
        let result = try runner.run(testProgram, ["-x", folder], timeoutSeconds: Self.commandTimeoutSeconds)
        return result.exitCode == 0
    }

    /// Runs initdb into a staging folder and renames it to `data`, so that a cluster is either complete
    /// or absent even when initdb is interrupted.
    func initializeCluster(
        _ layout: ClusterLayout, programs: PostgresPrograms, account: ServiceAccount?, runner: CommandRunner
    ) throws(EmbeddedPostgresError) {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: layout.dataDirectory) {
            let contents = (try? fileManager.contentsOfDirectory(atPath: layout.dataDirectory)) ?? []
            guard contents.isEmpty else {
                throw EmbeddedPostgresError(
                    kind: .fileSystem,
                    message: "The data folder \(layout.dataDirectory) exists but is not a PostgreSQL cluster "
                        + "(it has no PG_VERSION file). Move it away or delete it, then start again.")
            }
            try FileSystem.remove(layout.dataDirectory)
        }
        let staging = layout.root + "/data.initdb"
        if fileManager.fileExists(atPath: staging) { try FileSystem.remove(staging) }
        try FileSystem.createDirectory(staging, permissions: 0o700)
        try FileSystem.setOwner(staging, account: account)

        let result = try runner.run(
            programs.initdb,
            [
                "-D", staging, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C",
            ],
            timeoutSeconds: Self.commandTimeoutSeconds)
        guard result.exitCode == 0 else {
            try? FileSystem.remove(staging)
            throw EmbeddedPostgresError(
                kind: .commandFailed,
                message: "initdb failed (exit code \(result.exitCode)) for \(layout.dataDirectory): "
                    + "\(result.diagnostics)\nFix the cause above and start again.")
        }
        do {
            try fileManager.moveItem(atPath: staging, toPath: layout.dataDirectory)
        } catch {
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not rename \(staging) to \(layout.dataDirectory): \(error).")
        }
    }

    /// Creates the socket folder and the log file with the right owner and mode.
    func prepareRuntimeFiles(_ layout: ClusterLayout, account: ServiceAccount?) throws(EmbeddedPostgresError)
    {
        try FileSystem.createOwnedDirectory(layout.socketDirectory, account: account)
        if !FileManager.default.fileExists(atPath: layout.logFile) {
            guard
                FileManager.default.createFile(
                    atPath: layout.logFile, contents: nil, attributes: [.posixPermissions: 0o600])
            else {
                throw EmbeddedPostgresError(
                    kind: .fileSystem,
                    message:
                        "Could not create the log file \(layout.logFile). Check that its folder is writable.")
            }
        }
        try FileSystem.setOwner(layout.logFile, account: account)
    }

    func startServer(_ layout: ClusterLayout, programs: PostgresPrograms, runner: CommandRunner)
        throws(EmbeddedPostgresError)
    {
        // pg_ctl hands -o to /bin/sh; the socket folder only holds [A-Za-z0-9._+/-] (see ClusterLayout).
        // JIT off: the books run many short statements whose row estimates can be large, and LLVM
        // compiled a 2 ms check for 10–50 ms on every call (docs/BENCHMARKS.md, 0016).
        let serverOptions =
            "-c listen_addresses='' -k '\(layout.socketDirectory)' -p \(Self.port) "
            + "-c unix_socket_permissions=0700 -c max_connections=\(Self.maximumConnections) -c jit=off"
        let arguments = [
            "start", "-D", layout.dataDirectory, "-l", layout.logFile, "-w", "-t",
            String(Self.pgCtlWaitSeconds),
            "-o", serverOptions,
        ]
        for attempt in 1...Self.startAttemptLimit {
            layout.removeLeftoversOfDeadServer()
            let result = try runner.run(
                programs.pgCtl, arguments, timeoutSeconds: Self.commandTimeoutSeconds, leavesDaemon: true)
            if result.exitCode == 0 { return }
            let logTail = layout.logTail()
            let leftoverOfCrash = [result.diagnostics, logTail].contains {
                $0.contains("lock file") || $0.contains("pre-existing shared memory block")
            }
            if leftoverOfCrash && attempt < Self.startAttemptLimit {
                usleep(Self.startRetryDelayMicroseconds)
                continue
            }
            throw EmbeddedPostgresError(
                kind: .commandFailed,
                message: "Could not start the PostgreSQL server in \(layout.dataDirectory) "
                    + "(pg_ctl exit code \(result.exitCode)): \(result.diagnostics)\n"
                    + "Last lines of \(layout.logFile):\n\(logTail)\n"
                    + "Fix the cause above (for a server left over from a crash, stop its postmaster) "
                    + "and start again.")
        }
    }

    func createDatabaseIfMissing(_ layout: ClusterLayout, programs: PostgresPrograms, runner: CommandRunner)
        throws(EmbeddedPostgresError)
    {
        if let psql = programs.psql {
            // databaseName is validated, so it can appear in the query as a literal.
            let query = try runner.run(
                psql,
                [
                    "-X", "-A", "-t", "-h", layout.socketDirectory, "-p", String(Self.port), "-U", superuser,
                    "-d", "postgres", "-c", "select 1 from pg_database where datname = '\(databaseName)'",
                ],
                timeoutSeconds: Self.commandTimeoutSeconds)
            if query.exitCode == 0
                && query.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            {
                return
            }
        }
        // Without psql (or when the query failed), createdb says "already exists" for an existing database.
        let result = try runner.run(
            programs.createdb,
            ["-h", layout.socketDirectory, "-p", String(Self.port), "-U", superuser, databaseName],
            timeoutSeconds: Self.commandTimeoutSeconds)
        guard result.exitCode != 0, !result.diagnostics.contains("already exists") else { return }
        throw EmbeddedPostgresError(
            kind: .commandFailed,
            message: "Could not create the database \(databaseName) (createdb exit code \(result.exitCode)): "
                + "\(result.diagnostics)\nCheck the log \(layout.logFile).")
    }

    /// `pg_ctl status`: exit code 0 running, 3 not running, 4 no (accessible) data folder.
    func status(of layout: ClusterLayout, programs: PostgresPrograms, runner: CommandRunner)
        throws(EmbeddedPostgresError) -> Status
    {
        guard layout.isInitialized else { return .notInitialized }
        let result = try runner.run(
            programs.pgCtl, ["status", "-D", layout.dataDirectory], timeoutSeconds: Self.commandTimeoutSeconds
        )
        switch result.exitCode {
        case 0:
            guard let pid = Self.pid(fromStatusOutput: result.standardOutput) ?? layout.postmasterPID() else {
                throw EmbeddedPostgresError(
                    kind: .commandFailed,
                    message:
                        "pg_ctl status reported a running server in \(layout.dataDirectory) but no process "
                        + "id: \(result.diagnostics)")
            }
            // A postmaster killed with SIGKILL whose parent never reaps it still "exists" as a zombie.
            return ProcessTable.isAlive(pid) ? .running(pid: pid) : .stopped
        case 3:
            return .stopped
        case 4:
            return .notInitialized
        default:
            throw EmbeddedPostgresError(
                kind: .commandFailed,
                message: "pg_ctl status failed for \(layout.dataDirectory) (exit code \(result.exitCode)): "
                    + "\(result.diagnostics)")
        }
    }

    /// The pid in `pg_ctl: server is running (PID: 1234)`.
    static func pid(fromStatusOutput output: String) -> Int? {
        guard let marker = output.range(of: "(PID: ") else { return nil }
        return Int(output[marker.upperBound...].prefix { $0.isNumber })
    }

    static func absolutePath(_ path: String) -> String {
        let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        let url =
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path, relativeTo: base)
        var standardized = url.standardizedFileURL.path
        while standardized.count > 1 && standardized.hasSuffix("/") { standardized.removeLast() }
        return standardized
    }
}
