import Foundation
import Testing

@testable import ReliefCore

/// A small journal in memory: accounts of every category and five entries.
private enum Sample {
    static let bank = Account(id: 1, code: "102", name: "银行存款", category: "asset", normalSide: .debit)
    static let donations = Account(id: 2, code: "403", name: "捐赠收入", category: "income", normalSide: .credit)
    static let subsidyExpense = Account(
        id: 3, code: "508", name: "帮扶补贴支出", category: "expense", normalSide: .debit)
    static let subsidyPayable = Account(
        id: 4, code: "215", name: "应付补贴款", category: "liability", normalSide: .credit)
    static let memoPurchases = Account(
        id: 5, code: "901", name: "备查 帮扶采购", category: "memorandum", normalSide: .debit)
    static let memoContra = Account(
        id: 6, code: "902", name: "备查/对方", category: "memorandum", normalSide: .credit)
    static let surplus = Account(
        id: 7, code: "301", name: "累计盈余（结余）", category: "net_assets", normalSide: .credit)

    static let accounts = [
        bank, donations, subsidyExpense, subsidyPayable, memoPurchases, memoContra, surplus,
    ]

    /// Quotes, a backslash, a line break, a comma, a semicolon and Chinese.
    static let trickyDescription = "收到\"爱心\"捐款\n含逗号,分号;反斜杠\\结束"

    static let dimensions = Dimensions(
        enterprise: "91500000MA5U000000", supplier: "某县农产品合作社", township: "青山镇", category: "粮油",
        channel: "832平台", program: "2020消费帮扶")

    static func posting(
        _ line: Int, _ account: Account, _ side: Side, _ fen: Int64, red: Bool = false,
        dimensions: Dimensions = Dimensions(), memo: String? = nil
    ) -> ExportPosting {
        ExportPosting(
            line: line, account: account, side: side, amountFen: fen, isRed: red, dimensions: dimensions,
            memo: memo)
    }

    static func date(_ text: String) -> LocalDate {
        guard let date = LocalDate(parsing: text) else { fatalError("bad test date \(text)") }
        return date
    }

    static func entry(
        _ seq: Int64, _ number: Int, _ day: String, _ description: String, key: String,
        reverses: Int64? = nil, _ postings: [ExportPosting]
    ) -> ExportEntry {
        let date = date(day)
        return ExportEntry(
            seq: seq, period: date.period, voucherNumber: number, date: date, description: description,
            idempotencyKey: key, createdBy: "张会计", reversesSeq: reverses,
            hashHex: String(repeating: String(seq, radix: 16), count: 64), postings: postings,
            createdAtMicroseconds: 1_589_000_000_000_000 + seq, bookCode: "main")
    }

    static let entries = [
        entry(
            1, 1, "2020-05-12", trickyDescription, key: "import:funds.csv:row,7",
            [
                posting(1, bank, .debit, 180_000), posting(2, donations, .credit, 180_000),
            ]),
        entry(
            2, 2, "2020-05-15", "计提消费帮扶补贴", key: "subsidy-2",
            [
                posting(1, subsidyExpense, .debit, 50_000, dimensions: dimensions),
                posting(2, subsidyPayable, .credit, 50_000, dimensions: dimensions),
            ]),
        entry(
            3, 3, "2020-05-20", "支付补贴", key: "pay-3",
            [
                posting(1, subsidyPayable, .debit, 30_000), posting(2, bank, .credit, 30_000, memo: "工行, 转账"),
            ]),
        entry(
            4, 4, "2020-05-20", "备查：帮扶采购统计", key: "memo-4",
            [
                posting(1, memoPurchases, .debit, 1_234_567, dimensions: dimensions, memo: "发票 No.12345678"),
                posting(2, memoContra, .credit, 1_234_567, dimensions: dimensions),
            ]),
        entry(
            5, 1, "2020-06-02", "红字冲销：计提补贴有误", key: "reverse-2", reverses: 2,
            [
                posting(1, subsidyExpense, .debit, 50_000, red: true, dimensions: dimensions),
                posting(2, subsidyPayable, .credit, 50_000, red: true, dimensions: dimensions),
            ]),
        // Backdated (out of date order), no description, the largest amount, awkward key and memo.
        entry(
            6, 9, "2020-04-30", "", key: "k\"ey\n\\6",
            [
                posting(1, bank, .debit, Money.maximumFen),
                posting(2, donations, .credit, Money.maximumFen, memo: "a;b,c:d \"q\" \\"),
            ]),
        // Three postings, single fen, a description that looks like hledger syntax.
        entry(
            7, 2, "2020-06-03", "*! (x) | ; # 描述 ", key: "tiny-7",
            [
                posting(1, subsidyExpense, .debit, 1), posting(2, subsidyExpense, .debit, 2),
                posting(3, bank, .credit, 3),
            ]),
    ]

    /// The sum of signed fen per ledger account name, every account included (zero when unused).
    static var expectedBalances: [String: Int64] {
        var sums: [String: Int64] = [:]
        for account in accounts {
            sums[LedgerAccountName.name(account)] = 0
        }
        for entry in entries {
            for posting in entry.postings {
                sums[LedgerAccountName.name(posting.account), default: 0] += posting.signedFen
            }
        }
        return sums
    }

    static var postingCount: Int { entries.reduce(0) { $0 + $1.postings.count } }

    /// The whole file as text from a streaming writer.
    static func text<W: JournalWriter>(_ writer: W, accounts: [Account] = accounts) -> String {
        var writer = writer
        var text = writer.header(accounts: accounts)
        for entry in entries {
            text += writer.entry(entry)
        }
        return text + writer.footer()
    }

    /// The whole file as bytes from a streaming writer.
    static func bytes<W: ByteJournalWriter>(_ writer: W) throws -> [UInt8] {
        var writer = writer
        var bytes = try writer.headerBytes(accounts: accounts)
        for entry in entries {
            bytes += try writer.entryBytes(entry)
        }
        return bytes + (try writer.footerBytes())
    }
}

// MARK: - Running the real tools

/// A command-line tool that is missing: the test fails with how to install it.
private struct MissingTool: Error, CustomStringConvertible {
    var name: String
    var description: String {
        "\(name) is not on PATH; install the real tools for these tests: apt-get install -y hledger beancount"
    }
}

private struct ToolRun {
    var status: Int32
    var output: String
    var error: String
}

/// A scratch folder for one test.
private func scratchFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "journal-writer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// The executable named `name` on PATH, or `MissingTool`.
private func tool(_ name: String) throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
    }
    throw MissingTool(name: name)
}

/// Runs a tool to completion with its output in files (so that no pipe can fill up).
private func run(_ name: String, _ arguments: [String], in folder: URL) throws -> ToolRun {
    let outURL = folder.appendingPathComponent("out-\(UUID().uuidString)")
    let errURL = folder.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = try tool(name)
    process.arguments = arguments
    process.currentDirectoryURL = folder
    var environment = ProcessInfo.processInfo.environment
    environment["LANG"] = "C.UTF-8"
    environment["LC_ALL"] = "C.UTF-8"
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus, output: try String(contentsOf: outURL, encoding: .utf8),
        error: try String(contentsOf: errURL, encoding: .utf8))
}

/// Balances from a two-column CSV report (account, amount such as `1800.00 CNY`, `-12.50` or `0`).
private func balances(fromCSV text: String, tool: String) throws -> [String: Int64] {
    let table = try TableReader.read(Array(text.utf8), fileName: "\(tool).csv")
    var result: [String: Int64] = [:]
    for row in table.rows {
        let account = TableReader.trimmed(row.cells[0])
        var amount = TableReader.trimmed(row.cells[1])
        if amount.hasSuffix("CNY") {
            amount = TableReader.trimmed(String(amount.dropLast(3)))
        }
        result[account] = try Money.parse(
            amount, field: "\(tool) balance of \(account)", maximumFen: Int64.max, allowNegative: true
        ).fen
    }
    return result
}

/// Every expected account has its balance in the tool's report, and the report has no other
/// non-zero account.
private func expectBalances(_ actual: [String: Int64], tool: String) {
    let expected = Sample.expectedBalances
    for (account, fen) in expected.sorted(by: { $0.key < $1.key }) {
        #expect(
            actual[account] ?? 0 == fen, "\(tool): \(account) is \(actual[account] ?? 0) fen, expected \(fen)"
        )
    }
    for (account, fen) in actual where expected[account] == nil {
        #expect(fen == 0, "\(tool): unexpected account \(account) with \(fen) fen")
    }
    #expect(actual.keys.contains(LedgerAccountName.name(Sample.bank)), "\(tool) report: \(actual)")
}

// MARK: - Tests

@Suite("Journal writers")
struct JournalWriterTests {
    @Test("CSV: BOM, Chinese headers, one row per posting, RFC 4180 round trip")
    func csvUTF8() throws {
        let bytes = try Sample.bytes(CSVJournalWriter())
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(Array(Sample.text(CSVJournalWriter()).utf8) == bytes)
        let table = try TableReader.read(bytes, fileName: "journal.csv")
        #expect(table.encoding == .utf8WithBOM)
        #expect(table.headers == CSVJournalWriter.headers)
        #expect(table.headers.count == 21)
        #expect(table.rows.count == Sample.postingCount)

        let first = table.rows[0].cells
        #expect(
            first == [
                "1", "2020-05/1", "2020-05-12", Sample.trickyDescription, "1", "102", "银行存款", "借", "1800.00",
                "否",
                "", "", "", "", "", "", "", "", "张会计", "import:funds.csv:row,7",
                String(repeating: "1", count: 64),
            ])
        let column = { (name: String) -> Int in table.headers.firstIndex(of: name) ?? -1 }
        #expect(
            table.rows.map { $0.cells[column("金额")] } == [
                "1800.00", "1800.00", "500.00", "500.00", "300.00", "300.00", "12345.67", "12345.67",
                "500.00", "500.00",
                "100000000000.00", "100000000000.00", "0.01", "0.02", "0.03",
            ])
        #expect(
            table.rows.map { $0.cells[column("方向")] } == [
                "借", "贷", "借", "贷", "借", "贷", "借", "贷", "借", "贷", "借", "贷", "借", "借", "贷",
            ])
        #expect(table.rows.map { $0.cells[column("红字")] }.filter { $0 == "是" }.count == 2)
        #expect(table.rows[8].cells[column("红字")] == "是" && table.rows[9].cells[column("红字")] == "是")
        #expect(
            table.rows.map { $0.cells[column("冲销链序号")] } == [
                "", "", "", "", "", "", "", "", "2", "2", "", "", "", "", "",
            ])
        #expect(table.rows[10].cells[column("幂等键")] == "k\"ey\n\\6")
        #expect(table.rows[11].cells[column("备注")] == "a;b,c:d \"q\" \\")
        #expect(table.rows[12].cells[column("摘要")] == "*! (x) | ; # 描述 ")
        #expect(table.rows[5].cells[column("备注")] == "工行, 转账")
        #expect(table.rows[6].cells[column("乡镇")] == "青山镇")
        #expect(table.rows[6].cells[column("渠道")] == "832平台")
        #expect(table.rows[8].cells[column("凭证号")] == "2020-06/1")
    }

    @Test("CSV rows written field by field are the bytes of CSV.appendRow of their cells")
    func csvRowsEqualTheirCells() throws {
        let odd = ExportEntry(
            seq: 12_345_678_901, period: Period(year: 2020, month: 1)!, voucherNumber: 7,
            date: LocalDate(year: 987, month: 12, day: 3)!, description: "a\rb", idempotencyKey: "k,\"", createdBy: "x\r\ny",
            reversesSeq: 3, hashHex: "ab",
            postings: [
                Sample.posting(1, Sample.bank, .debit, -5),
                Sample.posting(2, Sample.donations, .credit, 7, red: true, dimensions: Sample.dimensions, memo: ""),
                Sample.posting(10, Sample.surplus, .credit, 100, memo: "\"引号\""),
            ], createdAtMicroseconds: 0, bookCode: "main")
        let empty = ExportEntry(
            seq: 9, period: Period(year: 2021, month: 2)!, voucherNumber: 1, date: LocalDate(year: 2021, month: 2, day: 1)!,
            description: "", idempotencyKey: "k", createdBy: "b", reversesSeq: nil, hashHex: "", postings: [])
        for entry in Sample.entries + [odd, empty] {
            var expected: [UInt8] = []
            for posting in entry.postings { CSV.appendRow(CSVJournalWriter.cells(entry, posting), to: &expected) }
            var bytes: [UInt8] = []
            CSVJournalWriter.appendRows(entry, to: &bytes)
            #expect(bytes == expected, "entry \(entry.seq)")
        }
    }

    @Test("CSV in GB18030: no BOM, decodes back to the same cells")
    func csvGB18030() throws {
        let bytes = try Sample.bytes(CSVJournalWriter(encoding: .gb18030))
        #expect(!bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(bytes.starts(with: [0xC1, 0xB4]))  // 链
        let table = try TableReader.read(bytes, fileName: "journal.csv")
        #expect(table.encoding == .gb18030)
        let utf8 = try TableReader.read(try Sample.bytes(CSVJournalWriter()), fileName: "journal.csv")
        #expect(table.headers == utf8.headers)
        #expect(table.rows == utf8.rows)
        #expect(Sample.text(CSVJournalWriter(encoding: .gb18030)).first == "链")
    }

    @Test("GB18030 encoder: two- and four-byte characters, empty text")
    func gb18030Encoder() throws {
        #expect(try GB18030Encoder.encode("中a") == [0xD6, 0xD0, 0x61])
        #expect(try GB18030Encoder.encode("") == [])
        let rare = "😀𠀀€ǅ"
        let encoded = try GB18030Encoder.encode(rare)
        #expect(encoded.count == 4 + 4 + 2 + 4)
        #expect(CSVReader.GB18030.decode(encoded) == Array(rare.utf8))
    }

    @Test("JSON: an array of entries with integer fen, nulls and exact strings")
    func json() throws {
        let text = Sample.text(JSONJournalWriter())
        #expect(text.hasPrefix("[\n{\"seq\":1,"))
        #expect(text.hasSuffix("}\n]\n"))
        #expect(text.contains("\"amount_fen\":180000,"))
        #expect(text.components(separatedBy: "\n").count == Sample.entries.count + 3)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let entries = try #require(parsed as? [[String: Any]])
        #expect(entries.count == Sample.entries.count)
        let first = entries[0]
        #expect(first["seq"] as? Int == 1)
        #expect(first["voucher"] as? String == "2020-05/1")
        #expect(first["date"] as? String == "2020-05-12")
        #expect(first["description"] as? String == Sample.trickyDescription)
        #expect(first["idempotency_key"] as? String == "import:funds.csv:row,7")
        #expect(first["created_by"] as? String == "张会计")
        #expect(first["reverses_seq"] is NSNull)
        #expect(first["hash"] as? String == String(repeating: "1", count: 64))
        #expect(first["created_at_us"] as? Int64 == 1_589_000_000_000_001)
        #expect(first["book"] as? String == "main")
        #expect(entries[4]["reverses_seq"] as? Int == 2)

        let postings = try #require(entries[3]["postings"] as? [[String: Any]])
        #expect(postings.count == 2)
        #expect(postings[0]["line"] as? Int == 1)
        #expect(postings[0]["account_code"] as? String == "901")
        #expect(postings[0]["account_name"] as? String == "备查 帮扶采购")
        #expect(postings[0]["side"] as? String == "D")
        #expect(postings[1]["side"] as? String == "C")
        #expect(postings[0]["red"] as? Bool == false)
        #expect(postings[0]["township"] as? String == "青山镇")
        #expect(postings[0]["memo"] as? String == "发票 No.12345678")
        #expect(postings[1]["memo"] is NSNull)
        #expect(try #require(entries[0]["postings"] as? [[String: Any]])[0]["enterprise"] is NSNull)
        let red = try #require(entries[4]["postings"] as? [[String: Any]])
        #expect(red.map { $0["red"] as? Bool } == [true, true])

        var sums: [String: Int64] = [:]
        for entry in entries {
            for posting in try #require(entry["postings"] as? [[String: Any]]) {
                let amount = try #require(posting["amount_fen"] as? NSNumber)
                #expect(amount.int64Value > 0)
                #expect(Double(amount.int64Value) == amount.doubleValue)
                #expect(posting["amount_fen"] as? Int64 != nil, "amount_fen must be an integer")
                let code = try #require(posting["account_code"] as? String)
                sums[code, default: 0] += amount.int64Value
            }
        }
        #expect(sums["102"] == 210_003 + Money.maximumFen)
        #expect(entries[5]["idempotency_key"] as? String == "k\"ey\n\\6")
        #expect(entries[5]["description"] as? String == "")

        var empty = JSONJournalWriter()
        let none = empty.header(accounts: []) + empty.footer()
        #expect((try JSONSerialization.jsonObject(with: Data(none.utf8)) as? [Any])?.isEmpty == true)
    }

    @Test("JSON: control characters and U+2028 are escaped")
    func jsonEscaping() throws {
        let text = "a\"b\\c\nd\u{01}e\u{2028}f\t中"
        let literal = JSONJournalWriter.quoted(text)
        #expect(literal == "\"a\\\"b\\\\c\\nd\\u0001e\\u2028f\\t中\"")
        let decoded = try JSONSerialization.jsonObject(with: Data(("[" + literal + "]").utf8)) as? [String]
        #expect(decoded == [text])
    }

    @Test("ledger account names: a root per category, then code-name with forbidden characters as -")
    func accountNames() {
        #expect(HledgerJournalWriter.accountName(Sample.bank) == "Assets:102-银行存款")
        #expect(BeancountJournalWriter.accountName(Sample.bank) == "Assets:102-银行存款")
        #expect(LedgerAccountName.name(Sample.donations) == "Income:403-捐赠收入")
        #expect(LedgerAccountName.name(Sample.subsidyExpense) == "Expenses:508-帮扶补贴支出")
        #expect(LedgerAccountName.name(Sample.subsidyPayable) == "Liabilities:215-应付补贴款")
        #expect(LedgerAccountName.name(Sample.memoPurchases) == "Equity:Memo:901-备查-帮扶采购")
        #expect(LedgerAccountName.name(Sample.memoContra) == "Equity:Memo:902-备查-对方")
        #expect(LedgerAccountName.name(Sample.surplus) == "Equity:301-累计盈余-结余")
        let odd = Account(
            id: 9, code: "1002", name: " Bank: ICBC (No.1) ; x_y\t·", category: "asset", normalSide: .debit)
        #expect(LedgerAccountName.name(odd) == "Assets:1002-Bank-ICBC-No-1-x-y")
        let lower = Account(id: 10, code: "a1", name: "", category: "other", normalSide: .debit)
        #expect(LedgerAccountName.name(lower) == "Equity:Uncategorized:X-a1")
        let decomposed = Account(
            id: 11, code: "1", name: "Cafe\u{301}", category: "expense", normalSide: .debit)
        #expect(LedgerAccountName.name(decomposed) == "Expenses:1-Café")
        #expect(HledgerJournalWriter.accountType(Sample.bank) == "A")
        #expect(HledgerJournalWriter.accountType(Sample.subsidyPayable) == "L")
        #expect(HledgerJournalWriter.accountType(Sample.surplus) == "E")
        #expect(HledgerJournalWriter.accountType(Sample.donations) == "R")
        #expect(HledgerJournalWriter.accountType(Sample.subsidyExpense) == "X")
        #expect(HledgerJournalWriter.accountType(Sample.memoPurchases) == "E")
    }

    @Test("hledger text: declarations, code, tags, signed two-decimal amounts")
    func hledgerText() {
        let text = Sample.text(HledgerJournalWriter())
        #expect(text.contains("commodity 1000.00 CNY\n"))
        #expect(text.contains("account Assets:102-银行存款  ; type: A\n"))
        #expect(text.contains("account Equity:Memo:901-备查-帮扶采购  ; type: E\n"))
        #expect(text.contains("2020-05-12 (2020-05/1) 收到\"爱心\"捐款 含逗号,分号；反斜杠\\结束\n"))
        #expect(
            text.contains(
                "    ; seq:1, hash:\(String(repeating: "1", count: 64)), key:import:funds.csv:row，7, created_by:张会计\n"
            ))
        #expect(text.contains("    Assets:102-银行存款  1800.00 CNY  ; side:D\n"))
        #expect(
            text.contains(
                "    Expenses:508-帮扶补贴支出  -500.00 CNY  ; side:D, red:true, enterprise:91500000MA5U000000"))
        #expect(text.contains(", reverses:2\n"))
        #expect(text.contains("memo:工行， 转账\n"))
    }

    @Test("beancount text: options, opens, metadata, escaped strings")
    func beancountText() {
        let text = Sample.text(BeancountJournalWriter(openDate: Sample.date("2000-01-01")))
        #expect(text.hasPrefix("option \"title\" \"ReliefLedger\"\noption \"operating_currency\" \"CNY\"\n"))
        #expect(text.contains("2000-01-01 open Equity:Memo:902-备查-对方 CNY\n"))
        #expect(text.contains("2020-05-12 * \"收到\\\"爱心\\\"捐款 含逗号,分号;反斜杠\\\\结束\"\n"))
        #expect(text.contains("  seq: 5\n  voucher: \"2020-06/1\"\n"))
        #expect(text.contains("  reverses: 2\n"))
        #expect(text.contains("  Liabilities:215-应付补贴款  500.00 CNY\n    side: \"C\"\n    red: TRUE\n"))
        #expect(text.contains("  Equity:Memo:901-备查-帮扶采购  12345.67 CNY\n"))
    }

    @Test("accounts missing from the header are declared before their first entry")
    func lateDeclarations() {
        let accounts = Sample.accounts.filter { $0.code != "902" }
        let hledger = Sample.text(HledgerJournalWriter(), accounts: accounts)
        let declaration = "account Equity:Memo:902-备查-对方  ; type: E\n"
        #expect(hledger.components(separatedBy: declaration).count == 2)
        #expect(hledger.contains(declaration + "2020-05-20 (2020-05/4)"))
        let beancount = Sample.text(
            BeancountJournalWriter(openDate: Sample.date("2000-01-01")), accounts: accounts)
        #expect(beancount.components(separatedBy: "open Equity:Memo:902-备查-对方 CNY").count == 2)
        #expect(beancount.contains("2000-01-01 open Equity:Memo:902-备查-对方 CNY\n2020-05-20 * "))
    }

    @Test("hledger 1.25 accepts the journal and its balances equal the signed sums")
    func hledgerAcceptsJournal() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, accounts) in [
            ("full", Sample.accounts), ("late", Sample.accounts.filter { $0.code != "902" }),
        ] {
            let file = folder.appendingPathComponent("\(name).journal")
            try Data(Sample.text(HledgerJournalWriter(), accounts: accounts).utf8).write(to: file)

            let check = try run("hledger", ["-f", file.path, "-s", "check"], in: folder)
            #expect(check.status == 0, "hledger -s check failed: \(check.error)")
            let balance = try run(
                "hledger", ["-f", file.path, "balance", "--flat", "-N", "-E", "-O", "csv"], in: folder)
            #expect(balance.status == 0, "hledger balance failed: \(balance.error)")
            expectBalances(try balances(fromCSV: balance.output, tool: "hledger"), tool: "hledger")

            let types = try run("hledger", ["-f", file.path, "accounts", "--types"], in: folder)
            #expect(types.status == 0, "\(types.error)")
            #expect(types.output.contains("Liabilities:215-应付补贴款") && types.output.contains("type: L"))
            let reversal = try run("hledger", ["-f", file.path, "print", "tag:reverses=2"], in: folder)
            #expect(reversal.status == 0, "\(reversal.error)")
            #expect(reversal.output.hasPrefix("2020-06-02 (2020-06/1) 红字冲销：计提补贴有误\n"))
            let key = try run(
                "hledger", ["-f", file.path, "register", "-O", "csv", "tag:key=import:funds.csv:row，7"],
                in: folder)
            #expect(key.status == 0, "\(key.error)")
            #expect(key.output.contains("\"1800.00 CNY\""), "\(key.output)")
        }
    }

    @Test("beancount 2.3 accepts the ledger and its balances equal the signed sums")
    func beancountAcceptsLedger() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, accounts) in [
            ("full", Sample.accounts), ("late", Sample.accounts.filter { $0.code != "902" }),
        ] {
            let file = folder.appendingPathComponent("\(name).beancount")
            let writer = BeancountJournalWriter(openDate: Sample.date("2000-01-01"))
            try Data(Sample.text(writer, accounts: accounts).utf8).write(to: file)

            let check = try run("bean-check", [file.path], in: folder)
            #expect(check.status == 0, "bean-check failed: \(check.error)\(check.output)")
            #expect(check.error.isEmpty && check.output.isEmpty, "bean-check: \(check.error)\(check.output)")
            let query = try run(
                "bean-query",
                [
                    "-f", "csv", file.path,
                    "SELECT account, sum(number) AS total GROUP BY account ORDER BY account",
                ],
                in: folder)
            #expect(query.status == 0, "bean-query failed: \(query.error)")
            expectBalances(try balances(fromCSV: query.output, tool: "bean-query"), tool: "bean-query")

            let narration = try run(
                "bean-query",
                [
                    "-f", "csv", file.path,
                    "SELECT DISTINCT narration, entry_meta('key') WHERE entry_meta('seq') = 1",
                ],
                in: folder)
            #expect(narration.status == 0, "\(narration.error)")
            let table = try TableReader.read(Array(narration.output.utf8), fileName: "narration.csv")
            #expect(
                table.rows.map { $0.cells.map(TableReader.trimmed) } == [
                    ["收到\"爱心\"捐款 含逗号,分号;反斜杠\\结束", "import:funds.csv:row,7"]
                ])
        }
    }
}
