import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

@Suite("access: roles, row-level security, users, tokens, audit")
struct AccessTests {
    static func clerks(_ books: Books) async throws -> (User, User) {
        let data = DemoData()
        let a = try await books.admin.run { c in
            try Access.addUser(c, login: "clerk-a", displayName: "甲企业录入员", role: .enterpriseClerk, enterpriseCreditCode: data.enterprises.rows[0].cells[0], password: "correct horse a")
        }
        let b = try await books.admin.run { c in
            try Access.addUser(c, login: "clerk-b", displayName: "乙企业录入员", role: .enterpriseClerk, enterpriseCreditCode: data.enterprises.rows[1].cells[0], password: "correct horse b")
        }
        return (a, b)
    }

    @Test func rowLevelSecurityAloneKeepsAClerkToItsEnterprise() async throws {
        let books = try await ProgramTests.demoBooks("rls")
        let (a, b) = try await Self.clerks(books)
        let expected = try await books.count("SELECT count(*) FROM relief.purchases p JOIN relief.enterprises e ON e.id = p.enterprise_id WHERE e.credit_code = '\(a.enterpriseCode!)'")
        #expect(expected > 0)
        // The application role's connection, acting as clerk A, queries WITHOUT any enterprise filter.
        let seen = try await books.database.pool.withConnection { connection in
            try await connection.run { c in
                try Access.asUser(c, a) { t in
                    (
                        purchases: try t.query("SELECT count(*), count(*) FILTER (WHERE enterprise_id <> $1) FROM relief.purchases", [a.enterpriseID!]).single(),
                        lines: try t.query("SELECT count(*) FROM relief.purchase_lines").single().decode(Int.self, at: 0),
                        enterprises: try t.query("SELECT count(*) FROM relief.enterprises").single().decode(Int.self, at: 0),
                        postingsOfB: try t.query("SELECT count(*) FROM relief.postings p JOIN relief.dimension_values d ON d.id = p.enterprise_id WHERE d.code = $1", [b.enterpriseCode!]).single().decode(Int.self, at: 0),
                        entries: try t.query("SELECT count(*) FROM relief.entries").single().decode(Int.self, at: 0)
                    )
                }
            }
        }
        #expect(try seen.purchases.decode(Int.self, at: 0) == expected)
        #expect(try seen.purchases.decode(Int.self, at: 1) == 0)
        #expect(seen.enterprises == 1)
        #expect(seen.postingsOfB == 0)
        let allLines = try await books.count("SELECT count(*) FROM relief.purchase_lines")
        let allEntries = try await books.count("SELECT count(*) FROM relief.entries")
        #expect(seen.lines > 0 && seen.lines < allLines)
        #expect(seen.entries > 0 && seen.entries < allEntries)
        await books.close()
    }

    @Test func aClerkRecordsOnlyItsOwnPurchasesAndInvoiceUniquenessStillSpansTheProgram() async throws {
        let books = try await ProgramTests.demoBooks("clerkwrite")
        let (a, _) = try await Self.clerks(books)
        let data = DemoData()
        let usedInvoice = data.purchasesEarly.rows[0].cells[6]
        func purchase(_ key: String, enterprise: String, invoice: String) -> Table {
            var cells = data.purchasesMay.rows[0].cells
            cells[0] = key
            cells[1] = enterprise
            cells[6] = invoice
            return Table(fileName: "\(key).csv", headers: data.purchasesMay.headers, rows: [TableRow(line: 2, cells: cells)])
        }
        let own = purchase("CLERK-1", enterprise: a.enterpriseCode!, invoice: usedInvoice)
        _ = try await books.database.pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, a) { t in try Purchases.importPurchases(t, own, programCode: Demo.programCode, actorName: a.actorName) } }
        }
        let reasons = try await books.admin.run { c in
            try c.query("SELECT array_to_string(l.reason_codes, ',') FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id WHERE p.purchase_key = 'CLERK-1'").single().decode(String.self, at: 0)
        }
        #expect(reasons.contains("INVOICE_DUPLICATE"))  // used by another enterprise's purchase the clerk cannot see
        let other = purchase("CLERK-2", enterprise: data.enterprises.rows[4].cells[0], invoice: "13131313")
        await #expect(throws: (any Error).self) {
            _ = try await books.database.pool.withConnection { connection in
                try await connection.run { c in try Access.asUser(c, a) { t in try Purchases.importPurchases(t, other, programCode: Demo.programCode, actorName: a.actorName) } }
            }
        }
        // Even through the posting function, a clerk posts only memorandum entries of its enterprise.
        let money = await #expect(throws: PostgresError.self) {
            _ = try await books.database.pool.withConnection { connection in
                try await connection.run { c in
                    try Access.asUser(c, a) { t in
                        try t.query("SELECT * FROM relief.post_entries('main', $1::jsonb, 'x')", [#"[{"key":"steal","date":"2020-06-01","postings":[{"account":"215","side":"D","amount_fen":100},{"account":"102","side":"C","amount_fen":100}]}]"#])
                    }
                }
            }
        }
        #expect(money?.sqlState == "RL060")
        // Memorandum accounts, but naming another enterprise: refused by the same check.
        let otherEnterprise = data.enterprises.rows[4].cells[0]
        let othersMemo = await #expect(throws: PostgresError.self) {
            _ = try await books.database.pool.withConnection { connection in
                try await connection.run { c in
                    try Access.asUser(c, a) { t in
                        try t.query(
                            "SELECT * FROM relief.post_entries('main', $1::jsonb, 'x')",
                            [#"[{"key":"others","date":"2020-06-01","postings":[{"account":"901","side":"D","amount_fen":100,"enterprise":"\#(otherEnterprise)"},{"account":"902","side":"C","amount_fen":100,"enterprise":"\#(otherEnterprise)"}]}]"#])
                    }
                }
            }
        }
        #expect(othersMemo?.sqlState == "RL060")
        #expect(try await books.count("SELECT count(*) FROM relief.purchases WHERE purchase_key LIKE 'CLERK-%'") == 1)
        await books.close()
    }

    /// PostgreSQL searches a session's temporary tables before the schemas of a function's
    /// search_path unless the path names pg_temp (0021). A clerk's temporary `books`, claiming
    /// every month closed, must not stand in for the book when the clerk records a purchase.
    @Test func aSessionsTemporaryTablesCannotStandInForTheBooks() async throws {
        let books = try await ProgramTests.demoBooks("pgtemp")
        let (a, _) = try await Self.clerks(books)
        let data = DemoData()
        var cells = data.purchasesMay.rows[0].cells
        cells[0] = "TEMP-1"
        cells[1] = a.enterpriseCode!
        cells[6] = "14141414"
        let purchase = Table(fileName: "temp.csv", headers: data.purchasesMay.headers, rows: [TableRow(line: 2, cells: cells)])
        let chainBefore = try await books.count("SELECT chain_seq FROM relief.books WHERE code = 'main'")
        let summary = try await books.database.pool.withConnection { connection in
            try await connection.run { c in
                try Access.asUser(c, a) { t in
                    _ = try t.execute("CREATE TEMPORARY TABLE books ON COMMIT DROP AS SELECT * FROM relief.books")
                    _ = try t.execute("UPDATE books SET closed_through = 209912, chain_seq = chain_seq + 1000")
                    #expect(try t.query("SELECT closed_through FROM books WHERE code = 'main'").single().decode(Int.self, at: 0) == 209912)
                    return try Purchases.importPurchases(t, purchase, programCode: Demo.programCode, actorName: a.actorName)
                }
            }
        }
        #expect(summary.created == 1)
        #expect(try await books.count("SELECT chain_seq FROM relief.books WHERE code = 'main'") == chainBefore + 1)
        #expect(try await books.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = 'TEMP-1'") == 1)
        // And the rule that keeps it so, for every function a later migration may replace.
        let pathsWithoutTempLast = try await books.admin.run { c in
            try c.query(
                """
                SELECT p.oid::regprocedure::text, c.setting FROM pg_proc p, unnest(p.proconfig) AS c(setting)
                WHERE p.pronamespace = 'relief'::regnamespace AND c.setting LIKE 'search\\_path=%'
                  AND c.setting NOT LIKE '%, pg\\_temp'
                """
            ).rows.map { "\(try $0.decode(String.self, at: 0)): \(try $0.decode(String.self, at: 1))" }
        }
        #expect(pathsWithoutTempLast == [])
        let pathsInAll = try await books.count(
            "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'relief'::regnamespace AND p.proconfig::text LIKE '%search_path=%'")
        #expect(pathsInAll >= 20, "the check above looked at the functions that set a path")
        await books.close()
    }

    @Test func auditorsReadButNeverWriteNorSeePasswordHashes() async throws {
        let books = try await ProgramTests.demoBooks("auditor")
        let auditor = try await books.admin.run { c in
            try Access.addUser(c, login: "audit", displayName: "审计", role: .auditor, enterpriseCreditCode: nil, password: "auditor password")
        }
        func asAuditor(_ sql: String) async -> PostgresError? {
            await #expect(throws: PostgresError.self) {
                _ = try await books.database.pool.withConnection { connection in
                    try await connection.run { c in try Access.asUser(c, auditor) { t in try t.execute(sql) } }
                }
            }
        }
        #expect(await asAuditor("INSERT INTO relief.organisations (tenant_id, code, name, kind, parent_id) VALUES (1, 'x', 'x', 'county_union', 1)")?.sqlState == "42501")
        #expect(await asAuditor("SELECT password_hash FROM relief.users")?.sqlState == "42501")
        #expect(await asAuditor("SELECT * FROM relief.post_entries('main', '[]'::jsonb, 'x')")?.sqlState == "42501")
        let count = try await books.database.pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, auditor) { t in try t.query("SELECT count(*) FROM relief.purchases").single().decode(Int.self, at: 0) } }
        }
        let all = try await books.count("SELECT count(*) FROM relief.purchases")
        #expect(count == all)
        await books.close()
    }

    @Test func passwordsAreBcryptedLoginsThrottledAndTokensDieWithTheirUser() async throws {
        let books = try await Books.make("users")
        _ = try await books.admin.run { c in try Access.addUser(c, login: "Finance-A", displayName: "张会计", role: .financePreparer, enterpriseCreditCode: nil, password: "a long passphrase") }
        let stored = try await books.admin.run { c in try c.query("SELECT password_hash FROM relief.users WHERE login = 'finance-a'").single().decode(String.self, at: 0) }
        #expect(stored.hasPrefix("$2") && !stored.contains("passphrase"))
        let user = try await books.admin.run { c in try Access.authenticate(c, login: "finance-a", password: "a long passphrase", remote: "127.0.0.1") }
        #expect(user.role == .financePreparer && user.actorName == "finance_preparer:finance-a")
        for _ in 0..<Access.maximumFailedLogins {
            await #expect(throws: AccessError.invalidCredentials) {
                _ = try await books.admin.run { c in try Access.authenticate(c, login: "finance-a", password: "wrong", remote: "10.0.0.9") }
            }
        }
        await #expect(throws: AccessError.throttled(retryAfterMinutes: Access.throttleWindowMinutes)) {
            _ = try await books.admin.run { c in try Access.authenticate(c, login: "finance-a", password: "a long passphrase", remote: "127.0.0.1") }
        }
        let token = try await books.admin.run { c in try Access.createToken(c, login: "finance-a", name: "cli", days: 30) }
        #expect(try await books.count("SELECT count(*) FROM relief.api_tokens WHERE token_hash = '\(token)'") == 0)  // stored hashed
        #expect(try await books.admin.run { c in try Access.user(c, token: token) }?.login == "finance-a")
        #expect(try await books.admin.run { c in try Access.user(c, token: token + "x") } == nil)
        try await books.admin.run { c in try Access.disable(c, login: "finance-a") }
        #expect(try await books.admin.run { c in try Access.user(c, token: token) } == nil)
        await #expect(throws: AccessError.self) {
            _ = try await books.admin.run { c in try Access.addUser(c, login: "short", displayName: "x", role: .auditor, enterpriseCreditCode: nil, password: "short") }
        }
        await books.close()
    }

    /// A user that tokens gave earlier (the web app keeps them) acts only while every one of the
    /// tokens still gives that same user: checked in the transaction, before anything of its own.
    @Test func aTransactionOfAUserFromKeptTokensChecksThemFirst() async throws {
        let books = try await Books.make("keptTokens")
        struct BodyRan: Error {}
        _ = try await books.admin.run { c in try Access.addUser(c, login: "finance-k", displayName: "甲会计", role: .financePreparer, enterpriseCreditCode: nil, password: "a long passphrase") }
        let (kept, revoked) = try await books.admin.run { c in
            (try Access.createToken(c, login: "finance-k", name: "kept", days: 1), try Access.createToken(c, login: "finance-k", name: "revoked", days: 1))
        }
        let user = try #require(try await books.admin.run { c in try Access.user(c, token: kept) })
        let (keptHash, revokedHash) = (Access.tokenHash(kept), Access.tokenHash(revoked))
        #expect(keptHash.count == 64 && keptHash != revokedHash)
        func act(_ acting: User, _ hashes: [String]) async throws -> String {
            try await books.database.pool.withConnection { connection in
                try await connection.run { c in
                    try Access.asUser(c, acting, verifyingTokenHashes: hashes) { t in
                        try t.query("SELECT current_setting('relief.actor') || ' as ' || current_user").single().decode(String.self, at: 0)
                    }
                }
            }
        }
        // Both tokens give the user: the body runs as the user's role.
        #expect(try await act(user, [keptHash, revokedHash]) == "finance_preparer:finance-k as relief_app")
        try await books.admin.run { c in _ = try c.query("UPDATE relief.api_tokens SET revoked_at = now() WHERE token_hash = $1", [revokedHash]) }
        await #expect(throws: AccessError.credentialsChanged) { _ = try await act(user, [keptHash, revokedHash]) }
        await #expect(throws: AccessError.credentialsChanged) { _ = try await act(user, [revokedHash]) }
        #expect(try await act(user, [keptHash]) == "finance_preparer:finance-k as relief_app")
        // A token of a user that changed since it was looked up no longer vouches for the old value.
        try await books.admin.run { c in _ = try c.query("UPDATE relief.users SET display_name = '乙会计' WHERE login = 'finance-k'") }
        await #expect(throws: AccessError.credentialsChanged) { _ = try await act(user, [keptHash]) }
        let renamed = try #require(try await books.admin.run { c in try Access.user(c, token: kept) })
        #expect(try await act(renamed, [keptHash]) == "finance_preparer:finance-k as relief_app")
        // An unknown token, or one for another user, is refused; with no token it is asUser.
        await #expect(throws: AccessError.credentialsChanged) { _ = try await act(renamed, [String(repeating: "0", count: 64)]) }
        let other = try await books.admin.run { c in
            _ = try Access.addUser(c, login: "finance-o", displayName: "丙会计", role: .financePreparer, enterpriseCreditCode: nil, password: "a long passphrase")
            return try Access.createToken(c, login: "finance-o", name: "other", days: 1)
        }
        await #expect(throws: AccessError.credentialsChanged) { _ = try await act(renamed, [keptHash, Access.tokenHash(other)]) }
        #expect(try await act(renamed, []) == "finance_preparer:finance-k as relief_app")
        // Refused before the body: a body that throws its own error never gets to.
        await #expect(throws: AccessError.credentialsChanged) {
            try await books.database.pool.withConnection { connection in
                try await connection.run { c in try Access.asUser(c, renamed, verifyingTokenHashes: [revokedHash]) { _ in throw BodyRan() } }
            }
        }
        await books.close()
    }

    @Test func theAuditLogRecordsAndCannotBeRewritten() async throws {
        let books = try await Books.make("auditlog")
        let admin = try await books.admin.run { c in try Access.addUser(c, login: "root-admin", displayName: "管理员", role: .admin, enterpriseCreditCode: nil, password: "admin password") }
        try await books.database.pool.withConnection { connection in
            try await connection.run { c in try Access.asUser(c, admin) { t in try Access.audit(t, admin, action: "user.add", target: "clerk-x", detail: ["role": "enterprise_clerk"], remote: "127.0.0.1") } }
        }
        #expect(try await books.count("SELECT count(*) FROM relief.audit_log WHERE actor = 'admin:root-admin' AND action = 'user.add' AND remote = '127.0.0.1'") == 1)
        let error = await #expect(throws: PostgresError.self) { try await books.admin.run { c in try c.execute("UPDATE relief.audit_log SET actor = 'someone else'") } }
        #expect(error?.sqlState == "RL030")
        await books.close()
    }
}
