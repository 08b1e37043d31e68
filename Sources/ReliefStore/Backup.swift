import EmbeddedPostgres
import Foundation
public import Postgres
public import ReliefCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Backups of a whole relief database with pg_dump (custom format), and their restore with
/// pg_restore into an empty database, in one transaction, followed by a full verification.
///
/// pg_dump and pg_restore are taken from the server's own version folder when installed (see
/// ``PostgresClientProgram``). The password of the connection travels in `PGPASSWORD`, never on a
/// command line. docs/BACKUP.md describes what a backup holds and how to check a restore.
public enum Backup {
    /// How long pg_dump or pg_restore may run before it is stopped (the backup then fails).
    public static let defaultTimeoutSeconds = 4.0 * 3600
    /// The first bytes of a pg_dump custom-format archive.
    static let archiveMagic = Array("PGDMP".utf8)
    /// The suffix of the file pg_dump writes before it is renamed into place.
    public static let partialSuffix = ".partial"
    /// Roles a backup may name that restore creates when missing (NOLOGIN, as the migrations do).
    static let createdRolePrefix = "relief_"
    /// The most lines of a program's messages quoted in an error.
    static let quotedDiagnosticLines = 20
    /// The most lines of a schema script examined for role names.
    static let maximumScriptLines = 1_000_000
    /// How long `pg_restore --list` and the schema listing may take.
    static let listingTimeoutSeconds = 600.0

    /// A backup or restore that was refused or failed; the message says what to do.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong and how to fix it.
        public var description: String
    }

    /// One book's extent: entries and chain head.
    public struct BookState: Sendable, Equatable {
        /// The book's code.
        public var code: String
        /// Entries in the book (vouchers, reversals included).
        public var entries: Int
        /// The chain position of the last entry.
        public var chainSeq: Int64
        /// The last entry's hash (32 zero bytes before the first).
        public var chainHead: [UInt8]

        /// `book main: 245 entries, chain #245 head 3f2a…` with the whole head in hex.
        public var description: String {
            "book \(code): \(entries) entries, chain #\(chainSeq) head \(Chain.hex(chainHead))"
        }
    }

    /// What a backup holds, read in the same snapshot pg_dump dumped.
    public struct BackupSummary: Sendable {
        /// The backup file (absolute path).
        public var file: String
        /// Its size in bytes.
        public var bytes: Int64
        /// The database dumped.
        public var database: String
        /// The server's version, e.g. `15.8`.
        public var serverVersion: String
        /// The newest migration applied, e.g. 9.
        public var schemaVersion: Int
        /// Each book as it was in the dumped snapshot.
        public var books: [BookState]
        /// The pg_dump used.
        public var program: String
    }

    /// What a restore did and what the verifier found.
    public struct RestoreSummary: Sendable {
        /// One book after the restore.
        public struct RestoredBook: Sendable {
            /// Entries and chain head as stored.
            public var state: BookState
            /// The verifier's report (chain, vouchers, balances, closes).
            public var verification: VerificationReport
            /// The trial balance of the book's latest month with entries, nil for empty books.
            public var trialBalance: TrialBalance?
        }

        /// The backup file (absolute path).
        public var file: String
        /// The database restored into.
        public var database: String
        /// Tables in the relief schema afterwards.
        public var tables: Int
        /// Roles the restore created because the server lacked them.
        public var createdRoles: [String]
        /// Each book.
        public var books: [RestoredBook]
        /// The pg_restore used.
        public var program: String

        /// True when every book verified.
        public var isSound: Bool { books.allSatisfy(\.verification.isSound) }
    }

    // MARK: Backup

    /// Dumps the whole database `configuration` names into `path` (`pg_dump --format=custom`).
    ///
    /// pg_dump writes `path.partial` (mode 0600: the backup holds password hashes), the archive is
    /// read back with `pg_restore --list`, and only then renamed to `path`; on any failure the
    /// partial file is removed, so a file at `path` is always a complete backup. The chain heads
    /// and entry counts returned are read in the snapshot pg_dump uses (`--snapshot`), so they
    /// describe exactly what the file holds even while others keep posting.
    ///
    /// - Parameter overwrite: replace an existing file at `path` (only once the new one is complete).
    public static func create(
        _ configuration: ConnectionConfiguration, to path: String, overwrite: Bool,
        timeoutSeconds: Double = defaultTimeoutSeconds
    ) async throws -> BackupSummary {
        let file = absolutePath(path)
        try checkDestination(file, shownAs: path, overwrite: overwrite)
        let partial = file + partialSuffix
        let connection = try await Connection.connect(configuration)
        do {
            let server = try await connection.run { c in try ServerFacts.read(c) }
            guard server.hasReliefSchema else {
                throw Failure(description: "database \(server.database) has no relief schema, so there is nothing to back up; check DATABASE_URL / PG* variables or RELIEF_HOME")
            }
            let pgDump = try PostgresClientProgram.locate(
                "pg_dump", serverMajorVersion: server.majorVersion, environmentPath: environmentPath)
            let pgRestore = try PostgresClientProgram.locate(
                "pg_restore", serverMajorVersion: server.majorVersion, environmentPath: environmentPath)
            let target = try ProgramConnection(configuration, database: server.database)
            try? FileManager.default.removeItem(atPath: partial)
            guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw Failure(description: "cannot create \(partial); check that the folder is writable")
            }
            let (books, schemaVersion) = try await connection.run { c in
                // One snapshot for pg_dump and for the figures reported: export it, keep it open.
                try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                do {
                    let snapshot = try c.query("SELECT pg_export_snapshot()").single().decode(String.self, at: 0)
                    let books = try bookStates(c)
                    let schemaVersion = try c.query("SELECT coalesce(max(version), 0) FROM relief.schema_migrations").single().decode(Int.self, at: 0)
                    let result = try pgDump.run(
                        ["--format=custom", "--no-password", "--file=\(partial)", "--snapshot=\(snapshot)", "--dbname=\(target.conninfo)"],
                        environment: programEnvironment(target, application: "relief-backup"), timeoutSeconds: timeoutSeconds)
                    guard result.exitCode == 0 else {
                        throw Failure(description: "pg_dump failed (exit code \(result.exitCode)); \(path) was not written:\n\(tail(result.diagnostics))")
                    }
                    try c.execute("COMMIT")
                    return (books, schemaVersion)
                } catch {
                    _ = try? c.execute("ROLLBACK")
                    throw error
                }
            }
            let listing = try pgRestore.run(
                ["--list", partial], environment: ProcessInfo.processInfo.environment, timeoutSeconds: listingTimeoutSeconds)
            guard listing.exitCode == 0, listing.standardOutput.contains("SCHEMA - relief") else {
                throw Failure(description: "the archive pg_dump wrote cannot be read back (pg_restore --list exit code \(listing.exitCode)); \(path) was not written:\n\(tail(listing.diagnostics))")
            }
            guard rename(partial, file) == 0 else {
                throw Failure(description: "cannot rename \(partial) to \(file): \(String(cString: strerror(errno)))")
            }
            await connection.close()
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            return BackupSummary(
                file: file, bytes: size, database: server.database, serverVersion: server.version, schemaVersion: schemaVersion,
                books: books, program: pgDump.path)
        } catch {
            await connection.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Refuses a destination that is a folder, sits in a missing folder, or exists without `overwrite`.
    static func checkDestination(_ file: String, shownAs path: String, overwrite: Bool) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw Failure(description: "\(path) is a folder; give a file name, e.g. \(path)/relief.dump")
            }
            if !overwrite {
                throw Failure(description: "\(path) already exists; choose another name, or pass --force to replace it (it is replaced only once the new backup is complete)")
            }
        }
        let folder = (file as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "the folder \(folder) does not exist; create it first (mkdir -p \(folder))")
        }
    }

    // MARK: Restore

    /// Restores the backup at `path` into the database `configuration` names, which must have no
    /// relief schema unless `replace` is set.
    ///
    /// Steps: the file must be a custom-format archive holding the relief schema; roles the archive
    /// grants to or names in row-level security policies are created when missing (`relief_*`,
    /// NOLOGIN; any other missing role is an error, before anything changes); then
    /// `pg_restore --exit-on-error --single-transaction --no-owner` (with `--clean --if-exists`
    /// for `replace`, which drops the archive's objects and recreates them in that same
    /// transaction), so a failed restore leaves the database as it was. Objects end up owned by
    /// the login role; grants and policies are restored as dumped. Afterwards pending migrations
    /// are applied, statistics gathered (ANALYZE), and every book verified.
    public static func restore(
        _ configuration: ConnectionConfiguration, from path: String, replace: Bool,
        timeoutSeconds: Double = defaultTimeoutSeconds
    ) async throws -> RestoreSummary {
        let file = absolutePath(path)
        try checkArchiveHeader(file, shownAs: path)
        let connection = try await Connection.connect(configuration)
        let prepared: (server: ServerFacts, program: PostgresClientProgram, created: [String])
        do {
            let server = try await connection.run { c in try ServerFacts.read(c) }
            let pgRestore = try PostgresClientProgram.locate(
                "pg_restore", serverMajorVersion: server.majorVersion, environmentPath: environmentPath)
            let listing = try pgRestore.run(
                ["--list", file], environment: ProcessInfo.processInfo.environment, timeoutSeconds: listingTimeoutSeconds)
            guard listing.exitCode == 0 else {
                throw Failure(description: "\(path) cannot be read as a pg_dump archive (pg_restore --list exit code \(listing.exitCode)); nothing was restored:\n\(tail(listing.diagnostics))")
            }
            guard listing.standardOutput.contains("SCHEMA - relief") else {
                throw Failure(description: "\(path) is a pg_dump archive without the relief schema, so it is not a relief backup; nothing was restored")
            }
            if server.hasReliefSchema && !replace {
                let (tables, entries) = try await connection.run { c in try contents(c) }
                throw Failure(description: """
                    database \(server.database) already has relief data (\(tables) tables, \(entries) entries); nothing was restored. \
                    Restore into an empty database (createdb NAME, then point DATABASE_URL at it, or use a new RELIEF_HOME), \
                    or pass --replace to replace the relief schema of \(server.database) with the backup in one transaction
                    """)
            }
            let roles = try archiveRoles(file, program: pgRestore)
            let created = try await connection.run { c in try ensureRoles(c, roles, file: path) }
            prepared = (server, pgRestore, created)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()

        let target = try ProgramConnection(configuration, database: prepared.server.database)
        var arguments = ["--exit-on-error", "--single-transaction", "--no-owner", "--no-password", "--dbname=\(target.conninfo)"]
        if replace { arguments += ["--clean", "--if-exists"] }
        let result = try prepared.program.run(
            arguments + [file], environment: programEnvironment(target, application: "relief-restore"), timeoutSeconds: timeoutSeconds)
        guard result.exitCode == 0 else {
            throw Failure(description: """
                pg_restore failed (exit code \(result.exitCode)); it ran in one transaction, so nothing was restored and database \
                \(prepared.server.database) is unchanged. Check that \(path) is a complete relief backup (an interrupted copy is truncated):
                \(tail(result.diagnostics))
                """)
        }

        // Pending migrations (a backup of an older relief), memberships of the login role; then
        // statistics, which pg_restore does not carry, and the verifier on every book.
        do {
            let database = try await ReliefDatabase.open(configuration, maximumConnections: 1)
            await database.close()
        } catch {
            throw Failure(description: "\(path) was restored into \(prepared.server.database), but applying this relief's migrations to it failed: \(error)")
        }
        let check = try await Connection.connect(configuration)
        do {
            try await check.run { c in _ = try c.execute("ANALYZE") }
            let (tables, books) = try await check.run { c in
                let tables = try c.query(
                    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'relief'"
                ).single().decode(Int.self, at: 0)
                var books: [RestoreSummary.RestoredBook] = []
                for state in try bookStates(c) {
                    let verification = try Verifier.verify(c, bookCode: state.code)
                    let trial = try Reports.latestPeriod(c, bookCode: state.code).map {
                        try Reports.trialBalance(c, bookCode: state.code, period: $0)
                    }
                    books.append(.init(state: state, verification: verification, trialBalance: trial))
                }
                return (tables, books)
            }
            await check.close()
            return RestoreSummary(
                file: file, database: prepared.server.database, tables: tables, createdRoles: prepared.created, books: books,
                program: prepared.program.path)
        } catch {
            await check.close()
            throw error
        }
    }

    /// Refuses a missing, unreadable or foreign file before any connection is made.
    static func checkArchiveHeader(_ file: String, shownAs path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw Failure(description: "\(path): no such file; give the file `relief backup --out` wrote")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw Failure(description: "\(path): cannot read the file; check its permissions")
        }
        defer { try? handle.close() }
        let head = Array((try? handle.read(upToCount: archiveMagic.count)) ?? Data())
        guard head == archiveMagic else {
            throw Failure(description: "\(path) is not a relief backup: a pg_dump custom-format archive starts with PGDMP\(head.isEmpty ? " and this file is empty" : ""); nothing was restored")
        }
    }

    /// The roles an archive's schema grants privileges to or names in policies.
    public static func archiveRoles(_ path: String, serverMajorVersion: Int) throws -> Set<String> {
        let program = try PostgresClientProgram.locate(
            "pg_restore", serverMajorVersion: serverMajorVersion, environmentPath: environmentPath)
        return try archiveRoles(absolutePath(path), program: program)
    }

    static func archiveRoles(_ file: String, program: PostgresClientProgram) throws -> Set<String> {
        let script = try program.run(
            ["--schema-only", "--no-owner", "--file=-", file], environment: ProcessInfo.processInfo.environment,
            timeoutSeconds: listingTimeoutSeconds)
        guard script.exitCode == 0 else {
            throw Failure(description: "\(file): cannot list the archive's schema (pg_restore exit code \(script.exitCode)); nothing was restored:\n\(tail(script.diagnostics))")
        }
        return rolesNamed(inScript: script.standardOutput)
    }

    /// Role names in the GRANT, REVOKE, ALTER DEFAULT PRIVILEGES and CREATE POLICY statements of a
    /// schema script as pg_dump writes it (one statement start per line), PUBLIC left out.
    static func rolesNamed(inScript script: String) -> Set<String> {
        var roles = Set<String>()
        for line in script.split(separator: "\n", omittingEmptySubsequences: true).prefix(maximumScriptLines) {
            let text = String(line)
            var list: Substring?
            if text.hasPrefix("GRANT ") || (text.hasPrefix("ALTER DEFAULT PRIVILEGES") && text.contains(" GRANT ")) {
                list = text.range(of: " TO ", options: .backwards).map { text[$0.upperBound...] }
            } else if text.hasPrefix("REVOKE ") || (text.hasPrefix("ALTER DEFAULT PRIVILEGES") && text.contains(" REVOKE ")) {
                list = text.range(of: " FROM ", options: .backwards).map { text[$0.upperBound...] }
            } else if text.hasPrefix("CREATE POLICY "), let on = text.range(of: " ON "),
                let to = text.range(of: " TO ", range: on.upperBound..<text.endIndex)
            {
                var rest = text[to.upperBound...]
                for stop in [" USING ", " USING(", " WITH CHECK", ";"] {
                    if let end = rest.range(of: stop) { rest = rest[..<end.lowerBound] }
                }
                list = rest
            }
            guard var list else { continue }
            if let end = list.range(of: " WITH GRANT OPTION") ?? list.range(of: " GRANTED BY ") { list = list[..<end.lowerBound] }
            for item in list.split(separator: ",") {
                var name = item.trimmingCharacters(in: .whitespaces)
                if name.hasSuffix(";") { name.removeLast() }
                if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                    name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
                }
                if !name.isEmpty, name.lowercased() != "public" { roles.insert(name) }
            }
        }
        return roles
    }

    /// Creates the missing `relief_*` roles (NOLOGIN); throws naming any other missing role.
    static func ensureRoles(_ c: isolated Connection, _ roles: Set<String>, file: String) throws -> [String] {
        var missing: [String] = []
        for role in roles.sorted() {
            if try c.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role]).rows.isEmpty { missing.append(role) }
        }
        let foreign = missing.filter { !$0.hasPrefix(createdRolePrefix) || !EmbeddedPostgres.isValidIdentifier($0) }
        guard foreign.isEmpty else {
            throw Failure(description: "\(file) grants privileges to roles this server lacks: \(foreign.joined(separator: ", ")); create them (CREATE ROLE name NOLOGIN) and restore again; nothing was restored")
        }
        for role in missing {
            do {
                // The name is checked above; format('%I') quotes it all the same.
                let statement = try c.query("SELECT format('CREATE ROLE %I NOLOGIN', $1::text)", [role]).single().decode(String.self, at: 0)
                try c.execute(statement)
            } catch {
                if error.sqlState == "42710" { continue }  // created meanwhile by another process
                throw Failure(description: "the role \(role) is missing and could not be created (\(error.message)); a superuser must run CREATE ROLE \(role) NOLOGIN, then restore again; nothing was restored")
            }
        }
        return missing
    }

    // MARK: Shared

    /// What restore and backup need to know about the server and the database.
    struct ServerFacts: Sendable {
        var database: String
        var version: String
        var majorVersion: Int
        var hasReliefSchema: Bool

        static func read(_ c: isolated Connection) throws -> ServerFacts {
            let row = try c.query(
                """
                SELECT current_database(), current_setting('server_version'), current_setting('server_version_num')::int / 10000,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'relief')
                """
            ).single()
            return ServerFacts(
                database: try row.decode(String.self, at: 0), version: try row.decode(String.self, at: 1),
                majorVersion: try row.decode(Int.self, at: 2), hasReliefSchema: try row.decode(Bool.self, at: 3))
        }
    }

    /// Tables in the relief schema and entries in all books (0 when there is no entries table).
    static func contents(_ c: isolated Connection) throws -> (tables: Int, entries: Int) {
        let tables = try c.query("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'relief'").single().decode(Int.self, at: 0)
        let hasEntries = try c.query("SELECT to_regclass('relief.entries') IS NOT NULL").single().decode(Bool.self, at: 0)
        let entries = hasEntries ? try c.query("SELECT count(*) FROM relief.entries").single().decode(Int.self, at: 0) : 0
        return (tables, entries)
    }

    /// Every book's entry count and chain head, in code order.
    static func bookStates(_ c: isolated Connection) throws -> [BookState] {
        try c.query(
            """
            SELECT b.code, (SELECT count(*) FROM relief.entries e WHERE e.book_id = b.id), b.chain_seq, b.chain_head
            FROM relief.books b ORDER BY b.code
            """
        ).rows.map { row in
            BookState(
                code: try row.decode(String.self, at: 0), entries: try row.decode(Int.self, at: 1),
                chainSeq: try row.decode(Int64.self, at: 2), chainHead: try row.decode(PostgresBytes.self, at: 3).bytes)
        }
    }

    /// Our environment plus the password and an application name, for pg_dump and pg_restore.
    static func programEnvironment(_ target: ProgramConnection, application: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.merging(target.environment) { $1 }
        environment["PGAPPNAME"] = application
        return environment
    }

    static var environmentPath: String? { ProcessInfo.processInfo.environment["PATH"] }

    /// The last lines of a program's messages.
    static func tail(_ text: String) -> String {
        text.split(separator: "\n").suffix(quotedDiagnosticLines).map { "  " + $0 }.joined(separator: "\n")
    }

    static func absolutePath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
        return url.standardizedFileURL.path
    }
}
