import Foundation
import Postgres
import ReliefCore
import ReliefTestSupport
import Testing

/// A folder of its own in the temporary directory, removed with its contents when the last
/// value holding it goes away (each test's ``CLI`` and the ones derived from it).
final class TemporaryFolder: Sendable {
    let url: URL

    init(prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs the built `relief` executable as a child process.
struct CLI {
    let environment: [String: String]
    /// Where the commands run and the tests' files are written; removed after the test.
    let home: TemporaryFolder
    var folder: URL { home.url }

    /// The same folder, another environment.
    func with(environment: [String: String]) -> CLI {
        CLI(environment: environment, home: home)
    }

    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("relief")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/relief")
    }

    static func make(_ label: String) async throws -> CLI {
        let configuration = try await TestDatabase.fresh(label)
        return CLI(environment: TestDatabase.environment(for: configuration), home: try TemporaryFolder(prefix: "relief-cli"))
    }

    struct Result {
        var exitCode: Int32
        var output: String
        var error: String
        /// Standard output as bytes (Foundation drops a BOM when it decodes text).
        var bytes: [UInt8]
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    @discardableResult
    func run(_ arguments: [String]) throws -> Result {
        let outURL = folder.appendingPathComponent("out-\(UUID().uuidString)")
        let errURL = folder.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return Result(
            exitCode: process.terminationStatus, output: try String(contentsOf: outURL, encoding: .utf8),
            error: try String(contentsOf: errURL, encoding: .utf8), bytes: Array(try Data(contentsOf: outURL)))
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func entry(_ key: String, date: String = "2020-05-12", debit: String = "100.00", credit: String = "100.00", account: String = "102") -> String {
        #"{"date":"\#(date)","idempotency_key":"\#(key)","description":"测试","postings":[{"account":"\#(account)","side":"借","amount":"\#(debit)"},{"account":"403","side":"贷","amount":"\#(credit)"}]}"#
    }
}

@Suite("relief command line")
struct CLITests {
    @Test func badEntriesAreRefusedWithClearErrorsAndChangeNothing() async throws {
        let cli = try await CLI.make("cli_bad")
        let good = try cli.run("post", "--file", try cli.write("good.json", cli.entry("good")))
        #expect(good.exitCode == 0, "\(good.error)")
        let before = try cli.run("report", "trial-balance", "--period", "2020-05", "--format", "json").output
        #expect(try cli.run("period", "close", "2020-05").exitCode == 0)
        let cases: [(file: String, body: String, expected: String)] = [
            ("unbalanced.json", cli.entry("u", date: "2020-06-01", credit: "99.99"), "debits 100.00 ≠ credits 99.99"),
            ("decimals.json", cli.entry("d", date: "2020-06-01", debit: "1.005", credit: "1.005"), "postings[0].amount"),
            ("account.json", cli.entry("a", date: "2020-06-01", account: "999"), "unknown account 999"),
            ("closed.json", cli.entry("c", date: "2020-05-31"), "closed through 2020-05"),
            ("broken.json", "{\"date\":", "is not valid JSON"),
        ]
        for item in cases {
            let result = try cli.run("post", "--file", try cli.write(item.file, item.body))
            #expect(result.exitCode != 0, "\(item.file) should fail")
            #expect(result.error.contains(item.file), "\(item.file): \(result.error)")
            #expect(result.error.contains(item.expected), "\(item.file): \(result.error)")
            #expect(result.output.isEmpty, "\(item.file) printed to stdout: \(result.output)")
        }
        let after = try cli.run("report", "trial-balance", "--period", "2020-05", "--format", "json").output
        #expect(before == after)
        let june = try cli.run("report", "trial-balance", "--period", "2020-06", "--format", "json")
        #expect(!june.output.contains("\"debit_fen\" : 1"))  // nothing reached June
        #expect(try cli.run("verify").exitCode == 0)
    }

    @Test func aFileOfEntriesIsAllOrNothing() async throws {
        let cli = try await CLI.make("cli_batch")
        let good1 = cli.entry("batch-1")
        let good2 = cli.entry("batch-2")
        let bad = cli.entry("batch-3", credit: "99.99")
        let file = try cli.write("batch.json", "[\(good1),\(good2),\(bad)]")
        let result = try cli.run("post", "--file", file)
        #expect(result.exitCode != 0)
        #expect(result.error.contains("[2]") && result.error.contains("nothing was written"), "\(result.error)")
        let balance = try cli.run("balance", "102")
        #expect(balance.output.contains("借 0.00"), "\(balance.output)")
        // Rejected by PostgreSQL rather than Swift (unknown dimension): still nothing written.
        let dimension = try cli.write("dim.json", "[\(good1),\(cli.entry("batch-4").replacingOccurrences(of: "\"account\":\"403\"", with: "\"account\":\"403\",\"enterprise\":\"NOPE\""))]")
        let refused = try cli.run("post", "--file", dimension)
        #expect(refused.exitCode != 0 && refused.error.contains("unknown dimension"), "\(refused.error)")
        #expect(try cli.run("balance", "102").output.contains("借 0.00"))
        let ok = try cli.write("ok.json", "[\(good1),\(good2)]")
        #expect(try cli.run("post", "--file", ok).output.contains("posted 2020-05/2"))
    }

    @Test func theSameKeyTwiceMakesOneEntry() async throws {
        let cli = try await CLI.make("cli_idem")
        let file = try cli.write("e.json", cli.entry("once"))
        let first = try cli.run("post", "--file", file)
        let second = try cli.run("post", "--file", file)
        #expect(first.exitCode == 0 && second.exitCode == 0)
        #expect(first.output.contains("posted 2020-05/1"))
        #expect(second.output.contains("already posted as 2020-05/1"))
        let balance = try cli.run("balance", "102")
        #expect(balance.output.contains("借 100.00"))
        #expect(balance.output.contains("人民币壹佰元整"))
    }

    @Test func verifyFailsNamingATamperedEntry() async throws {
        let cli = try await CLI.make("cli_tamper")
        for index in 1...3 {
            #expect(try cli.run("post", "--file", try cli.write("e\(index).json", cli.entry("k\(index)"))).exitCode == 0)
        }
        #expect(try cli.run("verify").exitCode == 0)
        let admin = try await Connection.connect(ConnectionConfiguration(conninfo: cli.environment["DATABASE_URL"] ?? ""))
        try await admin.run { c in
            try c.execute("SET session_replication_role = replica")
            try c.execute("UPDATE relief.postings SET amount_fen = 99999 WHERE line = 2 AND entry_id = (SELECT id FROM relief.entries WHERE seq = 2)")
        }
        await admin.close()
        let result = try cli.run("verify")
        #expect(result.exitCode == 1)
        #expect(result.error.contains("entry #2 (voucher 2020-05/2)"))
    }

    @Test func reverseAndUpAreSafeToRepeat() async throws {
        let cli = try await CLI.make("cli_up")
        let up = try cli.run("up")
        #expect(up.exitCode == 0, "\(up.error)")
        #expect(up.output.contains("借贷平衡"))
        #expect(try cli.run("up").output.contains("loaded") == false)
        let reversed = try cli.run("reverse", "2020-05/3", "--reason", "冲销测试", "--date", "2020-05-28")
        #expect(reversed.exitCode == 0, "\(reversed.error)")
        #expect(try cli.run("reverse", "2020-05/3", "--reason", "again", "--date", "2020-05-28").output.contains("already reversed"))
        let missing = try cli.run("reverse", "2020-05/99", "--reason", "x")
        #expect(missing.exitCode != 0 && missing.error.contains("no entry matches 2020-05/99"))
        #expect(try cli.run("verify").exitCode == 0)
        let csv = try cli.run("report", "trial-balance", "--period", "2020-05", "--format", "csv")
        #expect(csv.bytes.starts(with: [0xEF, 0xBB, 0xBF] + Array("科目编码".utf8)))
    }
}

@Suite("relief command line: the program")
struct ProgramCLITests {
    @Test func demoThroughTheApplicationRoleThenVerify() async throws {
        let cli = try await CLI.make("cli_demo")
        let demo = try cli.run("demo")
        #expect(demo.exitCode == 0, "\(demo.error)")
        #expect(demo.output.contains("23 enterprises"))
        #expect(try cli.run("verify").exitCode == 0)
        let ineligible = try cli.run("purchase", "list", "--ineligible")
        #expect(ineligible.output.contains("SUPPLIER_UNCERTIFIED"))
        #expect(ineligible.output.contains("PRICE_OUT_OF_BAND"))
        #expect(ineligible.output.contains("INVOICE_DUPLICATE"))
        let again = try cli.run("demo")
        #expect(again.exitCode != 0 && again.error.contains("already loaded"))
    }

    @Test func importErrorsListLineAndColumnAndExitNonZero() async throws {
        let cli = try await CLI.make("cli_import")
        #expect(try cli.run("demo").exitCode == 0)
        let file = try cli.write("enterprises.csv", """
            统一社会信用代码,企业名称,工会名称,年度,会员人数,年度采购目标（元）
            91350200776049653B,甲公司,甲公司工会,2020,100,10000
            91350200776049653A,乙公司,乙公司工会,2020,abc,10000.005

            """)
        let result = try cli.run("import", "enterprises", file)
        #expect(result.exitCode != 0)
        #expect(result.error.contains("enterprises.csv line 2, column 统一社会信用代码"), "\(result.error)")
        #expect(result.error.contains("line 3, column 会员人数"), "\(result.error)")
        #expect(result.error.contains("line 3, column 年度采购目标（元）"), "\(result.error)")
        #expect(result.error.contains("nothing was imported"))
    }

    @Test func thePreparerCannotApproveThroughTheCLI() async throws {
        let cli = try await CLI.make("cli_maker")
        #expect(try cli.run("demo").exitCode == 0)
        var preparer = cli
        preparer = cli.with(environment: cli.environment.merging(["RELIEF_ACTOR": "finance:王会计"]) { $1 })
        let june = try cli.write("june.csv", """
            采购单号,企业信用代码,供应商信用代码,采购日期,渠道,用途,发票号码,开票日期,销方税号,商品编码,数量,单位,单价（元）,金额（元）
            PO-J1,\(DemoData().enterprises.rows[0].cells[0]),\(DemoData().suppliers.rows[0].cells[0]),2020-06-05,直采,食堂,66666666,2020-06-05,\(DemoData().suppliers.rows[0].cells[0]),\(DemoData().products.rows[0].cells[0]),10,斤,380,3800

            """)
        #expect(try preparer.run("import", "purchases", june).exitCode == 0)
        let prepared = try preparer.run("subsidy", "prepare", "--period", "2020-06")
        #expect(prepared.exitCode == 0, "\(prepared.error)")
        let batch = prepared.output.split(separator: " ")[2]
        let own = try preparer.run("subsidy", "approve", String(batch))
        #expect(own.exitCode != 0 && own.error.contains("maker-checker"), "\(own.error)")
        let approver = cli.with(environment: cli.environment.merging(["RELIEF_ACTOR": "finance:赵主任"]) { $1 })
        #expect(try approver.run("subsidy", "approve", String(batch)).exitCode == 0)
        let paid = try preparer.run("subsidy", "pay", String(batch), "--out", cli.folder.appendingPathComponent("pay.csv").path, "--date", "2020-06-30")
        #expect(paid.exitCode == 0, "\(paid.error)")
        let file = try String(contentsOf: cli.folder.appendingPathComponent("pay.csv"), encoding: .utf8)
        #expect(file.contains("人民币"))
        #expect(file.contains("RL-B\(batch)-"))
        #expect(try cli.run("verify").exitCode == 0)
    }

    @Test func aGB18030FileFromChineseExcelImports() async throws {
        let cli = try await CLI.make("cli_gb")
        #expect(try cli.run("demo").exitCode == 0)
        // 统一社会信用代码,企业名称,… encoded as GB18030, as WPS/Excel on Chinese Windows save CSV.
        let header: [UInt8] = [0xCD, 0xB3, 0xD2, 0xBB, 0xC9, 0xE7, 0xBB, 0xE1, 0xD0, 0xC5, 0xD3, 0xC3, 0xB4, 0xFA, 0xC2, 0xEB, 0x2C, 0xC6, 0xF3, 0xD2, 0xB5, 0xC3, 0xFB, 0xB3, 0xC6, 0x2C, 0xB9, 0xA4, 0xBB, 0xE1, 0xC3, 0xFB, 0xB3, 0xC6, 0x2C, 0xC4, 0xEA, 0xB6, 0xC8, 0x2C, 0xBB, 0xE1, 0xD4, 0xB1, 0xC8, 0xCB, 0xCA, 0xFD, 0x2C, 0xC4, 0xEA, 0xB6, 0xC8, 0xB2, 0xC9, 0xB9, 0xBA, 0xC4, 0xBF, 0xB1, 0xEA, 0x0D, 0x0A]
        let row: [UInt8] = Array("91350200776049653A,".utf8) + [0xD2, 0xD2, 0xB9, 0xAB, 0xCB, 0xBE, 0x2C, 0xD2, 0xD2, 0xB9, 0xA4, 0xBB, 0xE1] + Array(",2020,10,100\r\n".utf8)
        let url = cli.folder.appendingPathComponent("gb.csv")
        try Data(header + row).write(to: url)
        let result = try cli.run("import", "enterprises", url.path)
        #expect(result.exitCode == 0, "\(result.error)")
        #expect(result.output.contains("1 created"))
        let admin = try await Connection.connect(ConnectionConfiguration(conninfo: cli.environment["DATABASE_URL"] ?? ""))
        let name = try await admin.run { c in
            try c.query("SELECT name || '/' || union_name FROM relief.enterprises WHERE credit_code = '91350200776049653A'").single().decode(String.self, at: 0)
        }
        await admin.close()
        #expect(name == "乙公司/乙工会")
    }

    @Test func exportsPacksAndReconciliationThroughTheBinary() async throws {
        let cli = try await CLI.make("cli_audit")
        #expect(try cli.run("demo").exitCode == 0)
        let reconcile = try cli.run("reconcile", "bank", "--period", "2020-05")
        #expect(reconcile.exitCode == 0, "\(reconcile.error)")
        #expect(reconcile.output.contains("调节后余额相等"))
        let csv = cli.folder.appendingPathComponent("journal.csv").path
        #expect(try cli.run("export", "journal", "--format", "csv", "--out", csv).exitCode == 0)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: csv)).prefix(3)) == [0xEF, 0xBB, 0xBF])
        let gb = cli.folder.appendingPathComponent("journal-gb.csv").path
        #expect(try cli.run("export", "journal", "--format", "csv", "--encoding", "gb18030", "--out", gb, "--period", "2020-05").exitCode == 0)
        #expect(try TableReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: gb))), fileName: "gb").encoding == .gb18030)
        let pack = cli.folder.appendingPathComponent("pack").path
        let made = try cli.run("export", "pack", "--period", "2020-05", "--out", pack)
        #expect(made.exitCode == 0, "\(made.error)")
        // Offline: no database in the environment at all.
        var offline = cli
        offline = cli.with(environment: cli.environment.filter { $0.key != "DATABASE_URL" }.merging(["PGHOST": "/nonexistent"]) { $1 })
        #expect(try offline.run("verify", "--pack", pack).exitCode == 0)
        let tb = pack + "/trial-balance.csv"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tb)))
        bytes[bytes.count - 4] = bytes[bytes.count - 4] == 0x31 ? 0x32 : 0x31
        try Data(bytes).write(to: URL(fileURLWithPath: tb))
        let broken = try offline.run("verify", "--pack", pack)
        #expect(broken.exitCode == 1)
        #expect(broken.error.contains("trial-balance.csv: changed"), "\(broken.error)")
        let statement = try cli.run("report", "statement", "--enterprise", DemoData().enterprises.rows[0].cells[0], "--period", "2020-05")
        #expect(statement.output.contains("（大写）：人民币"))
        let xlsx = cli.folder.appendingPathComponent("monthly.xlsx").path
        #expect(try cli.run("report", "monthly", "--period", "2020-05", "--format", "xlsx", "--out", xlsx).exitCode == 0)
        #expect(try TableReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: xlsx))), fileName: "m.xlsx").headers.first == "排名")
    }

    @Test func usersAndTokensFromTheCommandLine() async throws {
        let cli = try await CLI.make("cli_users")
        #expect(try cli.run("demo").exitCode == 0)
        let withPassword = cli.with(environment: cli.environment.merging(["RELIEF_PASSWORD": "a sufficiently long one"]) { $1 })
        let added = try withPassword.run("user", "add", "--login", "shen-ji", "--name", "审计二", "--role", "auditor")
        #expect(added.exitCode == 0, "\(added.error)")
        let clerkWithoutEnterprise = try withPassword.run("user", "add", "--login", "clerk-x", "--name", "x", "--role", "enterprise_clerk")
        #expect(clerkWithoutEnterprise.exitCode != 0 && clerkWithoutEnterprise.error.contains("--enterprise"))
        let token = try cli.run("token", "create", "--login", "shen-ji", "--days", "7")
        #expect(token.exitCode == 0 && token.output.hasPrefix("rl_") && token.output.count > 60)
        let admin = try await Connection.connect(ConnectionConfiguration(conninfo: cli.environment["DATABASE_URL"] ?? ""))
        let stored = try await admin.run { c in
            (try c.query("SELECT count(*) FROM relief.api_tokens WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", [token.output.trimmingCharacters(in: .whitespacesAndNewlines)]).single().decode(Int.self, at: 0),
             try c.query("SELECT count(*) FROM relief.audit_log WHERE action = 'user.add' AND target = 'shen-ji'").single().decode(Int.self, at: 0))
        }
        await admin.close()
        #expect(stored.0 == 1 && stored.1 == 1)
    }
}

