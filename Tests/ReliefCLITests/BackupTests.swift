import Foundation
import Postgres
import ReliefStore
import ReliefTestSupport
import Testing

extension CLI {
    /// The same folder, another (fresh, empty) database.
    func withFreshDatabase(_ label: String) async throws -> CLI {
        with(environment: TestDatabase.environment(for: try await TestDatabase.fresh(label)))
    }

    /// A superuser connection to this CLI's database.
    func connect() async throws -> Connection {
        try await Connection.connect(ConnectionConfiguration(conninfo: environment["DATABASE_URL"] ?? ""))
    }

    /// Runs `body` on a superuser connection to this CLI's database.
    func withAdmin<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await connect()
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The text after `prefix` on the first line of `text` that has it, up to the line's end.
    static func field(_ text: String, after prefix: String) -> String? {
        for line in text.split(separator: "\n") {
            if let range = line.range(of: prefix) { return String(line[range.upperBound...]) }
        }
        return nil
    }
}

@Suite("relief backup and restore")
struct BackupTests {
    static let periods = ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"]

    @Test func aBackupRestoresIntoAFreshDatabaseWithTheSameBooksGrantsAndChain() async throws {
        let source = try await CLI.make("cli_backup_src")
        let up = try source.run("up")
        #expect(up.exitCode == 0, "\(up.error)")
        for day in 1...3 {
            let posted = try source.run("post", "--file", try source.write("june-\(day).json", source.entry("backup-june-\(day)", date: "2020-06-0\(day)")))
            #expect(posted.exitCode == 0, "\(posted.error)")
        }
        #expect(try source.run("reverse", "2020-06/2", "--reason", "录入错误", "--date", "2020-06-05").exitCode == 0)
        let sourceVerify = try source.run("verify")
        #expect(sourceVerify.exitCode == 0, "\(sourceVerify.error)")
        let head = try #require(CLI.field(sourceVerify.output, after: "chain head "))
        #expect(head.count == 64)

        let file = source.folder.appendingPathComponent("books.dump").path
        let backup = try source.run("backup", "--out", file)
        #expect(backup.exitCode == 0, "\(backup.error)")
        let sourceSnapshot = try await source.withAdmin { try await DatabaseSnapshot.take($0) }
        let entries = sourceSnapshot.rows("relief.entries")
        #expect(entries > 200)
        #expect(backup.output.contains("book main: \(entries) entries, chain #\(entries) head \(head)"), "\(backup.output)")
        // The newest migration's number: the file names in sql/migrations.
        let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql/migrations")
        let newest = try FileManager.default.contentsOfDirectory(atPath: migrations.path).compactMap { Int($0.prefix { $0.isNumber }) }.max() ?? 0
        #expect(newest >= 12)
        #expect(backup.output.contains("schema version \(newest)"), "\(backup.output)")
        #expect(!FileManager.default.fileExists(atPath: file + Backup.partialSuffix))
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(backup.output.contains("(\((attributes[.size] as? NSNumber)?.intValue ?? -1) bytes)"), "\(backup.output)")

        // An existing file is kept unless --force, and then replaced by a complete backup.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let again = try source.run("backup", "--out", file)
        #expect(again.exitCode != 0)
        #expect(again.error.contains("\(file) already exists") && again.error.contains("--force"), "\(again.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)
        #expect(try source.run("backup", "--out", file, "--force").exitCode == 0)
        #expect(try source.run("backup", "--out", source.folder.path).error.contains("is a folder"))
        #expect(try source.run("backup", "--out", "/nonexistent-folder/x.dump").error.contains("does not exist"))

        // Into a fresh database.
        let target = try await source.withFreshDatabase("cli_backup_dst")
        let restored = try target.run("restore", file)
        #expect(restored.exitCode == 0, "\(restored.error)")
        #expect(restored.output.contains("book main: \(entries) entries, chain #\(entries) head \(head)"), "\(restored.output)")
        #expect(restored.output.contains("verify main: OK — \(entries) entries"), "\(restored.output)")
        #expect(restored.output.contains("trial balance 2020-06: ") && restored.output.contains("借贷平衡"), "\(restored.output)")

        // The same books: every table row for row, the chain head, every month's trial balance.
        let targetSnapshot = try await target.withAdmin { try await DatabaseSnapshot.take($0) }
        #expect(targetSnapshot.differences(from: sourceSnapshot) == [])
        #expect(targetSnapshot.chainHeads == ["main #\(entries) \(head)"])
        for period in Self.periods {
            let before = try source.run("report", "trial-balance", "--period", period, "--format", "json")
            let after = try target.run("report", "trial-balance", "--period", period, "--format", "json")
            #expect(before.exitCode == 0 && before.output.contains("debit_fen"), "\(period): \(before.error)")
            #expect(after.output == before.output, "trial balance \(period)")
        }
        let targetVerify = try target.run("verify")
        #expect(targetVerify.exitCode == 0 && targetVerify.output == sourceVerify.output, "\(targetVerify.output) \(targetVerify.error)")

        // Grants, row-level security and policies came along, and the archive names every role the schema grants to.
        let sourceAccess = try await source.withAdmin { try await DatabaseSnapshot.access($0) }
        let targetAccess = try await target.withAdmin { try await DatabaseSnapshot.access($0) }
        #expect(sourceAccess.contains { $0.hasPrefix("policy entries.own_enterprise") })
        #expect(sourceAccess.contains { $0.hasPrefix("relation entries rls=true") })
        #expect(targetAccess == sourceAccess)
        let granted = try await source.withAdmin { try await DatabaseSnapshot.rolesGranted($0) }
        #expect(granted == ["relief_app", "relief_auditor", "relief_clerk"])
        let serverMajor = try await source.withAdmin { connection in await connection.serverVersion / 10000 }
        #expect(try Backup.archiveRoles(file, serverMajorVersion: serverMajor) == granted)

        // The restored books take new entries (sequences came along) and still verify.
        let next = try target.run("post", "--file", try target.write("after.json", target.entry("after-restore", date: "2020-06-10")))
        #expect(next.exitCode == 0 && next.output.contains("posted 2020-06/"), "\(next.output) \(next.error)")
        #expect(try target.run("verify").exitCode == 0)

        // A second restore into the now non-empty database is refused and changes nothing.
        let filled = try await target.withAdmin { try await DatabaseSnapshot.take($0) }
        let refused = try target.run("restore", file)
        #expect(refused.exitCode != 0)
        #expect(refused.error.contains("already has relief data") && refused.error.contains("--replace"), "\(refused.error)")
        #expect(try await target.withAdmin { try await DatabaseSnapshot.take($0) }.differences(from: filled) == [])
        // --replace puts the backup's books back, in one transaction.
        let replaced = try target.run("restore", file, "--replace")
        #expect(replaced.exitCode == 0, "\(replaced.error)")
        #expect(try await target.withAdmin { try await DatabaseSnapshot.take($0) }.differences(from: sourceSnapshot) == [])
    }

    @Test func aDamagedBackupIsRefusedAndLeavesTheTargetAsItWas() async throws {
        let source = try await CLI.make("cli_backup_bad")
        #expect(try source.run("demo").exitCode == 0)
        let file = source.folder.appendingPathComponent("good.dump").path
        #expect(try source.run("backup", "--out", file).exitCode == 0)
        let good = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(good.count > 100_000)
        var zeroed = good
        for index in (good.count - good.count / 10)..<(good.count - good.count / 10 + 4096) { zeroed[index] = 0 }
        let damaged: [(name: String, bytes: [UInt8], expected: String)] = [
            // A copy interrupted near the end: the table of contents reads, the last table's data does not.
            ("cut-at-end.dump", Array(good.dropLast(100)), "pg_restore failed"),
            // Damaged bytes inside the compressed data.
            ("zeroed.dump", zeroed, "pg_restore failed"),
            // Cut inside the table of contents.
            ("cut-early.dump", Array(good.prefix(good.count / 5)), "cannot be read as a pg_dump archive"),
            ("text.dump", Array("relief backup\n".utf8), "is not a relief backup"),
            ("empty.dump", [], "this file is empty"),
        ]
        // Into an empty database: it stays without a relief schema.
        let empty = try await source.withFreshDatabase("cli_backup_empty")
        // Over existing books with --replace: they stay as they were.
        let filled = try await source.withFreshDatabase("cli_backup_filled")
        #expect(try filled.run("restore", file).exitCode == 0)
        let filledBefore = try await filled.withAdmin { try await DatabaseSnapshot.take($0) }
        for item in damaged {
            let path = source.folder.appendingPathComponent(item.name).path
            try Data(item.bytes).write(to: URL(fileURLWithPath: path))
            let intoEmpty = try empty.run("restore", path)
            #expect(intoEmpty.exitCode != 0, "\(item.name)")
            #expect(intoEmpty.error.contains(path) && intoEmpty.error.contains(item.expected), "\(item.name): \(intoEmpty.error)")
            #expect(intoEmpty.error.contains("nothing was restored"), "\(item.name): \(intoEmpty.error)")
            #expect(intoEmpty.output.isEmpty, "\(item.name): \(intoEmpty.output)")
            let relations = try await empty.withAdmin { connection in
                try await connection.run { c in
                    try c.query("SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'relief'").single().decode(Int.self, at: 0)
                }
            }
            #expect(relations == 0, "\(item.name) left \(relations) relations behind")
            let overBooks = try filled.run("restore", path, "--replace")
            #expect(overBooks.exitCode != 0 && overBooks.error.contains(item.expected), "\(item.name): \(overBooks.error)")
            #expect(try await filled.withAdmin { try await DatabaseSnapshot.take($0) }.differences(from: filledBefore) == [], "\(item.name)")
        }
        #expect(try filled.run("verify").exitCode == 0)
    }
}
