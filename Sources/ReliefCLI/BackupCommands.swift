import ArgumentParser
import Foundation
import ReliefCore
import ReliefStore

/// `relief backup --out FILE`: the whole database as a pg_dump custom-format archive.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the whole database to a file (pg_dump, custom format); see docs/BACKUP.md.",
        discussion: """
            Uses the database every other command uses (DATABASE_URL / PG* variables, else the embedded cluster \
            under RELIEF_HOME). pg_dump writes FILE.partial, the archive is read back, and only then renamed to \
            FILE, so FILE is never a truncated backup. Prints the size, and each book's entry count and chain head \
            as of the moment dumped; `relief restore FILE` prints the same figures for the restored copy.
            """)

    @Option(name: .long, help: "The backup file to write (e.g. relief-2020-05-31.dump).")
    var out: String
    @Flag(name: .long, help: "Replace FILE if it exists (only once the new backup is complete).")
    var force = false
    @Option(name: .long, help: "Stop pg_dump after this many minutes.")
    var timeoutMinutes: Int = Int(Backup.defaultTimeoutSeconds / 60)

    func validate() throws {
        guard timeoutMinutes > 0 else { throw ValidationError("--timeout-minutes must be a positive number of minutes") }
    }

    func run() async throws {
        let configuration = try ReliefDatabase.locate(environment: Session.environment)
        let summary: Backup.BackupSummary
        do {
            summary = try await Backup.create(configuration, to: out, overwrite: force, timeoutSeconds: Double(timeoutMinutes) * 60)
        } catch let error as Backup.Failure {
            throw Failure(description: "relief backup: \(error.description)")
        }
        print("backup \(summary.file): \(Self.size(summary.bytes)) (\(summary.bytes) bytes), database \(summary.database), PostgreSQL \(summary.serverVersion), schema version \(summary.schemaVersion)")
        for book in summary.books { print(book.description) }
    }

    /// `1.2 MB`, `340 KB`, `12 bytes`.
    static func size(_ bytes: Int64) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.0f KB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) bytes"
    }
}

/// `relief restore FILE`: a backup into an empty database, in one transaction, then verified.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into an empty database (pg_restore, one transaction), then verify it; see docs/BACKUP.md.",
        discussion: """
            The target is the database every other command uses (DATABASE_URL / PG* variables, else the embedded \
            cluster under RELIEF_HOME). It must have no relief schema; --replace replaces an existing one, dropping \
            and recreating the backup's objects in the same transaction. A failed restore changes nothing. \
            Afterwards every book is verified (chain, vouchers, balances, closes) and its trial balance totals and \
            chain head printed; the exit code is 1 when verification fails.
            """)

    @Argument(help: "The file `relief backup --out` wrote.")
    var file: String
    @Flag(name: .long, help: "Replace the relief schema of a database that already has one.")
    var replace = false
    @Option(name: .long, help: "Stop pg_restore after this many minutes (the restore is then rolled back).")
    var timeoutMinutes: Int = Int(Backup.defaultTimeoutSeconds / 60)

    func validate() throws {
        guard timeoutMinutes > 0 else { throw ValidationError("--timeout-minutes must be a positive number of minutes") }
    }

    func run() async throws {
        let configuration = try ReliefDatabase.locate(environment: Session.environment)
        let summary: Backup.RestoreSummary
        do {
            summary = try await Backup.restore(configuration, from: file, replace: replace, timeoutSeconds: Double(timeoutMinutes) * 60)
        } catch let error as Backup.Failure {
            throw Failure(description: "relief restore: \(error.description)")
        }
        print("restored \(summary.file) into database \(summary.database): \(summary.tables) tables")
        if !summary.createdRoles.isEmpty { print("created roles: \(summary.createdRoles.joined(separator: ", "))") }
        for book in summary.books {
            print(book.state.description)
            if let trial = book.trialBalance {
                let t = trial.totals
                let amounts = [t.openingDebitFen, t.openingCreditFen, t.debitFen, t.creditFen, t.closingDebitFen, t.closingCreditFen].map { Money(fen: $0).formatted }
                print("trial balance \(trial.period): 期初 借 \(amounts[0]) 贷 \(amounts[1]) · 本期 借 \(amounts[2]) 贷 \(amounts[3]) · 期末 借 \(amounts[4]) 贷 \(amounts[5]) · \(trial.isBalanced ? "借贷平衡 (balanced)" : "借贷不平衡 (NOT balanced)")")
            }
            let report = book.verification
            if report.isSound {
                print("verify \(book.state.code): OK — \(report.entriesChecked) entries, \(report.postingsChecked) postings, chain head \(Chain.hex(report.chainHead))")
            } else {
                printError("verify \(book.state.code): FAILED — \(report.problems.count) problem(s) in \(report.entriesChecked) entries")
                for problem in report.problems { printError("  \(problem)") }
            }
        }
        if !summary.isSound { throw ExitCode(1) }
    }
}
