import Foundation

/// A PostgreSQL client program (`pg_dump`, `pg_restore`, `psql`) chosen to suit one server.
///
/// pg_dump refuses a server newer than itself, and pg_restore cannot read an archive written by a
/// newer pg_dump, so the program must be at least as new as the server; the same major version is
/// best. ``locate(_:serverMajorVersion:searchPaths:environmentPath:)`` looks where
/// ``EmbeddedPostgres`` looks for initdb, with the server's own version folder first.
public struct PostgresClientProgram: Sendable {
    /// The most candidate folders examined (PATH entries plus versioned install folders).
    static let maximumCandidates = 64
    /// How long `--version` may take.
    static let versionTimeoutSeconds = 30.0

    /// The program's name, e.g. `pg_dump`.
    public let name: String
    /// Its absolute path, symbolic links resolved.
    public let path: String
    /// Its major version (15 for 15.8).
    public let majorVersion: Int

    /// Finds `name` for a server whose major version is `serverMajorVersion`.
    ///
    /// Looks in `/usr/lib/postgresql/<serverMajorVersion>/bin` first, then in `searchPaths` when
    /// given, else in the folders of PATH and `/usr/lib/postgresql/*/bin` (highest version first).
    /// The first program of the server's major version wins; failing that, the oldest one newer
    /// than the server. An older program is never chosen.
    ///
    /// - Throws: ``EmbeddedPostgresError`` of kind `programsNotFound`, saying which versions were
    ///   found and which package to install.
    public static func locate(
        _ name: String, serverMajorVersion: Int, searchPaths: [String]? = nil, environmentPath: String?
    ) throws(EmbeddedPostgresError) -> PostgresClientProgram {
        let versioned = "\(PostgresPrograms.versionedInstallRoot)/\(serverMajorVersion)/bin"
        let others =
            searchPaths
            ?? ((environmentPath ?? "").split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
                + PostgresPrograms.versionedBinDirectories())
        var folders: [String] = []
        for folder in [versioned] + others where !folders.contains(folder) && folders.count < maximumCandidates {
            folders.append(folder)
        }
        var seen: [String] = []
        var newer: [PostgresClientProgram] = []
        var older: [PostgresClientProgram] = []
        for folder in folders where PostgresPrograms.isExecutable(folder + "/" + name) {
            let path = PostgresPrograms.resolvedPath(folder + "/" + name)
            guard !seen.contains(path) else { continue }
            seen.append(path)
            guard let major = try? majorVersion(of: path) else { continue }
            let program = PostgresClientProgram(name: name, path: path, majorVersion: major)
            if major == serverMajorVersion { return program }
            if major > serverMajorVersion { newer.append(program) } else { older.append(program) }
        }
        if let oldestNewer = newer.min(by: { $0.majorVersion < $1.majorVersion }) { return oldestNewer }
        let found =
            older.isEmpty
            ? "none was found on PATH or under \(PostgresPrograms.versionedInstallRoot)/*/bin"
            : "only " + older.map { "\($0.path) (version \($0.majorVersion))" }.joined(separator: ", ")
                + " was found, older than the server"
        throw EmbeddedPostgresError(
            kind: .programsNotFound,
            message: "\(name) of PostgreSQL \(serverMajorVersion) or newer is needed for this server, but \(found). "
                + "Install it: apt-get install postgresql-client-\(serverMajorVersion) (Debian/Ubuntu, "
                + "from apt.postgresql.org when your release lacks it).")
    }

    /// The major version a program reports with `--version` (`pg_dump (PostgreSQL) 15.8 …` → 15).
    static func majorVersion(of path: String) throws(EmbeddedPostgresError) -> Int {
        let result = try CommandRunner(account: nil).run(path, ["--version"], timeoutSeconds: versionTimeoutSeconds)
        guard result.exitCode == 0, let major = parseMajorVersion(result.standardOutput) else {
            throw EmbeddedPostgresError(
                kind: .commandFailed, message: "\(path) --version did not report a version: \(result.diagnostics)")
        }
        return major
    }

    /// The major version in a `--version` line: the number after `(PostgreSQL) `.
    static func parseMajorVersion(_ text: String) -> Int? {
        guard let marker = text.range(of: "(PostgreSQL) ") else { return nil }
        return Int(text[marker.upperBound...].prefix { $0.isNumber })
    }

    /// Runs the program as the current user with exactly `environment` (plus `LC_ALL=C`, so its
    /// messages are in English), waiting at most `timeoutSeconds`; a program still running then
    /// is stopped and an error thrown. Paths in `arguments` must be absolute (it runs in `/`).
    public func run(_ arguments: [String], environment: [String: String], timeoutSeconds: Double)
        throws(EmbeddedPostgresError) -> CommandResult
    {
        var environment = environment
        environment["LC_ALL"] = "C"
        return try CommandRunner(account: nil).run(
            path, arguments, timeoutSeconds: timeoutSeconds, environment: environment)
    }
}
