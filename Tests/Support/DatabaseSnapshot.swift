public import Postgres

/// What a refused command must leave unchanged: every table of the application's schemas (found in
/// the catalog, so a table a new migration adds is covered without editing a list) with its row
/// count and an MD5 of its rows, and every book's chain position and head.
///
/// Take it on a superuser or owner connection: row-level security would hide rows otherwise.
public struct DatabaseSnapshot: Sendable, Equatable, CustomStringConvertible {
    /// `schema.table` → row count and digest of the rows' text, sorted.
    public var tables: [String: Table]
    /// `code #seq head` per book, in code order.
    public var chainHeads: [String]

    /// One table's rows.
    public struct Table: Sendable, Equatable {
        /// How many.
        public var rows: Int
        /// MD5 of the rows as text, sorted and joined by line breaks ("" for an empty table).
        public var digest: String
    }

    /// Reads the snapshot on `c`.
    public static func take(_ connection: Connection) async throws -> DatabaseSnapshot {
        try await connection.run { c in
            var tables: [String: Table] = [:]
            // The statements are made by format() from catalog names, never from input.
            for row in try c.query(
                """
                SELECT n.nspname || '.' || c.relname,
                       (xpath('/row/n/text()', x))[1]::text::bigint,
                       coalesce((xpath('/row/d/text()', x))[1]::text, '')
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,
                LATERAL query_to_xml(format(
                    'SELECT count(*) AS n, md5(string_agg(t::text, E''\\n'' ORDER BY t::text)) AS d FROM %I.%I t',
                    n.nspname, c.relname), false, true, '') x
                WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg\\_%'
                """
            ).rows {
                tables[try row.decode(String.self, at: 0)] = Table(rows: try row.decode(Int.self, at: 1), digest: try row.decode(String.self, at: 2))
            }
            let heads = try c.query(
                "SELECT code || ' #' || chain_seq || ' ' || encode(chain_head, 'hex') FROM relief.books ORDER BY code"
            ).rows.map { try $0.decode(String.self, at: 0) }
            return DatabaseSnapshot(tables: tables, chainHeads: heads)
        }
    }

    /// Each table or head that differs from `other`, as `name: before → after`.
    public func differences(from other: DatabaseSnapshot) -> [String] {
        var lines: [String] = []
        for name in Set(tables.keys).union(other.tables.keys).sorted() where tables[name] != other.tables[name] {
            func text(_ table: Table?) -> String { table.map { "\($0.rows) rows \($0.digest.prefix(8))" } ?? "absent" }
            lines.append("\(name): \(text(other.tables[name])) → \(text(tables[name]))")
        }
        if chainHeads != other.chainHeads { lines.append("chain: \(other.chainHeads) → \(chainHeads)") }
        return lines
    }

    /// Row count of one table (0 when absent).
    public func rows(_ table: String) -> Int { tables[table]?.rows ?? 0 }

    public var description: String {
        "\(tables.count) tables, \(tables.values.reduce(0) { $0 + $1.rows }) rows, chain \(chainHeads)"
    }

    /// Who may do what in the relief schema, as text to compare between databases: each relation's
    /// row-level security flags and grants, each column's grants, each policy, each function's
    /// SECURITY DEFINER flag and grants, and the schema's grants. Grantors are left out (a restore
    /// grants as the restoring role).
    public static func access(_ connection: Connection) async throws -> [String] {
        try await connection.run { c in
            try c.query(
                """
                WITH acl AS (
                    SELECT 'relation ' || c.relname AS object, c.relacl AS acl,
                           'rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity AS extra
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'relief'
                    UNION ALL
                    SELECT 'column ' || c.relname || '.' || a.attname, a.attacl, ''
                    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'relief' AND a.attacl IS NOT NULL
                    UNION ALL
                    SELECT 'function ' || p.oid::regprocedure::text, p.proacl, 'definer=' || p.prosecdef
                    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'relief'
                    UNION ALL
                    SELECT 'schema relief', nspacl, '' FROM pg_catalog.pg_namespace WHERE nspname = 'relief'
                )
                SELECT object || ' ' || extra || ' ' || coalesce((
                    SELECT string_agg(coalesce(r.rolname, 'PUBLIC') || ':' || e.privilege_type || CASE WHEN e.is_grantable THEN '*' ELSE '' END,
                                      ',' ORDER BY coalesce(r.rolname, 'PUBLIC'), e.privilege_type)
                    FROM aclexplode(acl) e LEFT JOIN pg_catalog.pg_roles r ON r.oid = e.grantee
                    WHERE r.rolname IS DISTINCT FROM (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
                                                       WHERE c.relname = 'entries' AND c.relnamespace = 'relief'::regnamespace)
                ), '')
                FROM acl
                UNION ALL
                SELECT 'policy ' || tablename || '.' || policyname || ' ' || permissive || ' ' || cmd || ' ' || array_to_string(roles, ',')
                       || ' using ' || coalesce(qual, '') || ' check ' || coalesce(with_check, '')
                FROM pg_catalog.pg_policies WHERE schemaname = 'relief'
                ORDER BY 1
                """
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
    }

    /// The roles the relief schema grants privileges to or names in policies (owner and PUBLIC left out).
    public static func rolesGranted(_ connection: Connection) async throws -> Set<String> {
        let access = try await access(connection)
        var roles = Set<String>()
        for line in access {
            if line.hasPrefix("policy ") {
                let parts = line.split(separator: " ")
                if parts.count > 4 { roles.formUnion(parts[4].split(separator: ",").map(String.init)) }
            } else if let grants = line.split(separator: " ").last {
                for grant in grants.split(separator: ",") {
                    if let role = grant.split(separator: ":").first, grant.contains(":") { roles.insert(String(role)) }
                }
            }
        }
        roles.remove("PUBLIC")
        roles.remove("public")
        return roles
    }
}
