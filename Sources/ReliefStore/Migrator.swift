public import Postgres
import ReliefCore
import ReliefMigrations

/// Applies the numbered migrations in `sql/migrations`, each in its own transaction, recording
/// version, name and SHA-256 checksum in `relief.schema_migrations`.
public enum Migrator {
    /// An advisory-lock key so two processes never migrate at once.
    static let lockKey: Int64 = 0x7265_6c69_6566  // "relief"

    /// A migration problem, with what to do about it.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Applies pending migrations; returns the names applied now. Refuses to run when an applied
    /// migration's file has changed since.
    @discardableResult
    public static func migrate(_ connection: Connection) async throws -> [String] {
        let files = try MigrationFiles.all()
        let plan = files.map { (version: $0.version, name: $0.name, sql: $0.sql, checksum: Chain.hex(Chain.sha256($0.sql.utf8))) }
        return try await connection.run { c in
            try c.execute("SELECT pg_advisory_lock(\(lockKey))")
            defer { _ = try? c.execute("SELECT pg_advisory_unlock(\(lockKey))") }
            try c.execute("""
                CREATE SCHEMA IF NOT EXISTS relief;
                CREATE TABLE IF NOT EXISTS relief.schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            var applied: [Int: (name: String, checksum: String)] = [:]
            for row in try c.query("SELECT version, name, checksum FROM relief.schema_migrations").rows {
                applied[try row.decode(Int.self, at: 0)] = (try row.decode(String.self, at: 1), try row.decode(String.self, at: 2))
            }
            var appliedNow: [String] = []
            for file in plan {
                if let previous = applied[file.version] {
                    guard previous.checksum == file.checksum else {
                        throw Failure(description: """
                            migration \(file.name) was applied with checksum \(previous.checksum.prefix(12))… but the file \
                            now has \(file.checksum.prefix(12))…; applied migrations are immutable: restore the file and \
                            put the change in a new numbered migration
                            """)
                    }
                    continue
                }
                try c.transactionIsolated { t in
                    do {
                        try t.execute(file.sql)
                    } catch {
                        throw Failure(description: "migration \(file.name) failed: \(error)")
                    }
                    try t.query(
                        "INSERT INTO relief.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [file.version, file.name, file.checksum])
                }
                appliedNow.append(file.name)
            }
            let unknown = applied.keys.filter { version in !plan.contains { $0.version == version } }
            if let newest = unknown.max() {
                throw Failure(description: "the database has migration \(newest) (\(applied[newest]!.name)) that this build does not know; run a newer relief")
            }
            // Let the login role act as each acting role (a no-op for superusers, who may SET ROLE
            // anyway). Every run, not only in the migrations that made the roles: memberships
            // belong to the cluster, so a database restored onto another server has none.
            try c.execute("""
                DO $$
                DECLARE
                    acting text;
                BEGIN
                    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                        RETURN;
                    END IF;
                    FOREACH acting IN ARRAY ARRAY['relief_app', 'relief_clerk', 'relief_auditor'] LOOP
                        BEGIN
                            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = acting) AND NOT pg_has_role(current_user, acting, 'MEMBER') THEN
                                EXECUTE format('GRANT %I TO %I', acting, current_user);
                            END IF;
                        EXCEPTION WHEN others THEN NULL;
                        END;
                    END LOOP;
                END $$
                """)
            return appliedNow
        }
    }
}
