import ReliefCore
import Testing

/// A statement read from CSV text as a bank exports it.
private func statement(_ csv: String, fileName: String = "statement.csv") throws -> [BankLine] {
    let table = try TableReader.read(Array(csv.utf8), fileName: fileName)
    return try BankStatementReader.read(table)
}

/// The problems `BankStatementReader` reports for a CSV text (none when it reads).
private func problems(_ csv: String) throws -> [ImportProblem] {
    let table = try TableReader.read(Array(csv.utf8), fileName: "statement.csv")
    do {
        _ = try BankStatementReader.read(table)
        return []
    } catch {
        return error.problems
    }
}

private func day(_ text: String) -> LocalDate {
    LocalDate(parsing: text)!
}

private func bankLine(
    _ line: Int, _ date: String, _ amountFen: Int64, note: String = "", summary: String = ""
)
    -> BankLine
{
    BankLine(
        line: line, date: day(date), summary: summary, inFen: max(0, amountFen), outFen: max(0, -amountFen),
        note: note)
}

private func bookItem(_ id: Int64, _ date: String, _ amountFen: Int64, _ reference: String = "") -> BookItem {
    BookItem(id: id, date: day(date), amountFen: amountFen, reference: reference, voucher: "记-\(id)")
}

@Suite("Bank reconciliation")
struct BankReconciliationTests {
    // MARK: Reading statements

    @Test("reads 借方/贷方 columns, ignoring the bank's other columns")
    func readDebitCreditHeaders() throws {
        let lines = try statement(
            """
            交易日期,流水号,摘要,借方发生额,贷方发生额,余额,对方户名,对方账号,附言,币种
            2020-05-06,A001,转账,,"20,000.00","70,000.00",某某慈善基金会,6222 0000 1111,RL-D-0001 捐款,人民币
            2020/05/09,A002,代发工资,"3,000.00",0,"67,000.00",张三,6222000022223333,工资,人民币
            20200513,A003,批量代付,"2,500.00",0.00,"64,500.00",,,RL-B5 批量代付,人民币
            2020-05-15 10:22:03,A004,利息,,12.34,"64,512.34",,,,人民币
            2020/5/16,A005,手续费,¥15.00,,"64,497.34",,,,人民币

            """)
        #expect(lines.map(\.line) == [2, 3, 4, 5, 6])
        #expect(
            lines.map(\.date)
                == ["2020-05-06", "2020-05-09", "2020-05-13", "2020-05-15", "2020-05-16"].map(day))
        #expect(lines.map(\.amountFen) == [2_000_000, -300_000, -250_000, 1_234, -1_500])
        #expect(lines[0].inFen == 2_000_000 && lines[0].outFen == 0)
        #expect(lines[1].inFen == 0 && lines[1].outFen == 300_000)
        #expect(lines[0].summary == "转账")
        #expect(lines[0].counterpartyName == "某某慈善基金会")
        #expect(lines[0].counterpartyAccount == "6222 0000 1111")
        #expect(lines[0].note == "RL-D-0001 捐款")
        #expect(lines[4].balanceFen == 6_449_734)
        #expect(BankStatementReader.openingBalanceFen(lines) == 5_000_000)
        #expect(BankStatementReader.closingBalanceFen(lines) == 6_449_734)
    }

    @Test("reads 支出/收入 columns, newest first, with 记账日期 and 交易日期 both present")
    func readOutInHeaders() throws {
        let lines = try statement(
            """
            记账日期,交易日期,交易时间,收入金额（元）,支出金额（元）,账户余额,对方户名,用途,备注
            20200520,2020/05/20 09:30:00,09:30,,"1,200.00","8,800.00",李四,货款,RL-B5-91420
            20200518,2020/05/18 16:01:00,16:01,"5,000.00",,"10,000.00",王五,会费,
            """)
        // Read backwards into chronological order; 交易日期 wins over 记账日期.
        #expect(lines.map(\.line) == [3, 2])
        #expect(lines.map(\.date) == [day("2020-05-18"), day("2020-05-20")])
        #expect(lines.map(\.amountFen) == [500_000, -120_000])
        #expect(lines[1].note == "货款 / RL-B5-91420")
        #expect(BankStatementReader.openingBalanceFen(lines) == 500_000)
        #expect(BankStatementReader.closingBalanceFen(lines) == 880_000)

        let plain = try statement(
            """
            日期,支出,收入,摘要
            2020-05-01,,100,存入
            2020-05-02,40.5,,取出
            """)
        #expect(plain.map(\.amountFen) == [10_000, -4_050])
        #expect(plain.allSatisfy { $0.balanceFen == nil })
        #expect(BankStatementReader.openingBalanceFen(plain) == nil)
        #expect(BankStatementReader.closingBalanceFen(plain) == nil)
    }

    @Test("every problem is reported with its line and column")
    func readProblems() throws {
        let found = try problems(
            """
            交易日期,借方发生额,贷方发生额,余额
            2020-05-01,,"1,000.00","11,000.00"
            2020-05-02,-100.00,,"10,900.00"
            2020-05-03,50.00,50.00,"10,900.00"
            2020-05-04,,200.00,"11,000.00"
            2020-05-05,,,"11,000.00"
            2020-13-01,,10.00,"11,010.00"
            2020-05-07,"1,0000.00",,"1,010.00"
            """)
        #expect(found.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(found[0].column == "借方发生额" && found[0].message.contains("negative"))
        #expect(found[1].message.contains("both"))
        #expect(found[2].column == "余额")
        #expect(found[2].message.contains("余额 does not follow from the previous line: expected 11,100.00"))
        #expect(found[3].message.contains("neither"))
        #expect(found[4].column == "交易日期" && found[4].message.contains("not a date"))
        #expect(found[5].column == "借方发生额")

        let missing = try problems("交易日期,借方发生额,摘要\n2020-05-01,1.00,x\n")
        #expect(missing.count == 1)
        #expect(missing.first?.line == 1 && missing.first?.column == "贷方发生额")

        let twice = try problems("交易日期,借方发生额,贷方发生额,支出\n2020-05-01,1.00,,\n")
        #expect(twice.contains { $0.line == 1 && $0.column == "支出" && $0.message.contains("twice") })
    }

    @Test(
        "date formats",
        arguments: [
            ("2020-05-12", "2020-05-12"), ("2020/05/12", "2020-05-12"), ("20200512", "2020-05-12"),
            ("2020-05-12 14:03:59", "2020-05-12"), ("2020/5/2", "2020-05-02"),
            ("20200512 140359", "2020-05-12"),
        ])
    func dateFormats(text: String, expected: String) throws {
        let lines = try statement("交易日期,借方发生额,贷方发生额\n\(text),1.00,\n")
        #expect(lines.first?.date == day(expected))
    }

    @Test(
        "invalid dates",
        arguments: ["2020-02-30", "2020.05.12", "202005", "2020-05-12T10:00", "12/05/2020", "2020-05-12 晚"])
    func invalidDates(text: String) throws {
        #expect(try problems("交易日期,借方发生额,贷方发生额\n\(text),1.00,\n").map(\.line) == [2])
    }

    // MARK: Matching

    @Test("matches by reference regardless of date, at a token boundary")
    func matchByReference() {
        let bank = [bankLine(2, "2020-05-02", -120_000, note: "代付 RL-B5-91420")]
        let book = [
            bookItem(1, "2020-05-01", -120_000, "RL-B5-9142"),  // a prefix of the real reference
            bookItem(2, "2020-05-01", -120_000, "RL-B5-91421"),
            bookItem(3, "2020-05-20", -120_000, "rl-b5-91420"),
        ]
        let result = BankMatcher.match(bank: bank, book: book)
        #expect(result.matches == [BankMatch(bankLines: [2], bookItems: [3], rule: "reference")])
        #expect(result.bookOnly.map(\.id) == [1, 2])
        #expect(result.bankOnly.isEmpty)
    }

    @Test("matches by amount and date within the window only, earliest first")
    func matchByAmountAndDate() {
        let bank = [
            bankLine(2, "2020-05-10", 50_000),
            bankLine(3, "2020-05-20", 50_000),
            bankLine(4, "2020-05-10", 70_000),
        ]
        let book = [
            bookItem(2, "2020-05-12", 50_000),
            bookItem(1, "2020-05-08", 50_000),
            bookItem(3, "2020-05-10", -70_000),  // opposite sign
        ]
        let result = BankMatcher.match(bank: bank, book: book)
        #expect(result.matches == [BankMatch(bankLines: [2], bookItems: [1], rule: "amount+date")])
        #expect(result.bankOnly.map(\.line) == [4, 3])
        #expect(result.bookOnly.map(\.id) == [3, 2])

        let wider = BankMatcher.match(bank: bank, book: book, dateWindowDays: 10)
        #expect(wider.matches.map(\.bookItems) == [[1], [2]])
        #expect(wider.bankOnly.map(\.line) == [4])
    }

    @Test("one bank line pays a batch of three book items, preferring the batch's reference prefix")
    func oneBankLineToThreeBookItems() {
        let bank = [bankLine(7, "2020-05-13", -250_000, note: "RL-B5 批量代付")]
        let book = [
            bookItem(11, "2020-05-12", -170_000, "RL-C1-00001"),
            bookItem(12, "2020-05-12", -80_000, "RL-C1-00002"),
            bookItem(21, "2020-05-12", -120_000, "RL-B5-91420"),
            bookItem(22, "2020-05-12", -80_000, "RL-B5-91421"),
            bookItem(23, "2020-05-12", -50_000, "RL-B5-91422"),
            bookItem(31, "2020-05-12", 250_000, "RL-B5-99999"),  // a receipt: other sign
        ]
        let result = BankMatcher.match(bank: bank, book: book)
        #expect(result.matches == [BankMatch(bankLines: [7], bookItems: [21, 22, 23], rule: "one-to-many")])
        #expect(result.bookOnly.map(\.id) == [11, 12, 31])
        #expect(result.bankOnly.isEmpty)

        // Without the batch, the other pair is found.
        let other = BankMatcher.match(bank: bank, book: Array(book[0..<2]))
        #expect(other.matches == [BankMatch(bankLines: [7], bookItems: [11, 12], rule: "one-to-many")])
    }

    @Test("two bank lines make up one book item (a split transfer)")
    func twoBankLinesToOneBookItem() {
        let bank = [
            bankLine(4, "2020-05-15", 600_000, note: "会费 第一笔"),
            bankLine(5, "2020-05-16", 400_000, note: "会费 第二笔"),
            bankLine(6, "2020-05-30", 400_000),  // outside the window
        ]
        let book = [bookItem(3001, "2020-05-15", 1_000_000, "会费收入")]
        let result = BankMatcher.match(bank: bank, book: book)
        #expect(result.matches == [BankMatch(bankLines: [4, 5], bookItems: [3001], rule: "one-to-many")])
        #expect(result.bankOnly.map(\.line) == [6])
        #expect(result.bookOnly.isEmpty)
    }

    @Test("an injected bank line with no book item is bank-only")
    func injectedBankLine() {
        let bank = [
            bankLine(2, "2020-05-06", 2_000_000, note: "RL-D-0001"),
            bankLine(3, "2020-05-21", -1_500, summary: "手续费"),
        ]
        let book = [bookItem(1, "2020-05-06", 2_000_000, "RL-D-0001")]
        let result = BankMatcher.match(bank: bank, book: book)
        #expect(result.matches.count == 1)
        #expect(result.bankOnly == [bank[1]])
        #expect(result.bookOnly.isEmpty)
    }

    @Test("the bounded search finishes on 200 equal amounts and is deterministic")
    func boundedSearch() {
        // 200 equal book payments; 60 bank lines no subset can make (each search runs into its
        // cap), then 100 bank lines of three payments each.
        let book = (1...200).map { bookItem(Int64($0), "2020-05-10", -10_000) }
        let impossible = (0..<60).map { bankLine(2 + $0, "2020-05-10", -100_050) }
        let triples = (0..<100).map { bankLine(100 + $0, "2020-05-10", -30_000) }
        let first = BankMatcher.match(bank: impossible + triples, book: book)
        let second = BankMatcher.match(bank: (impossible + triples).reversed(), book: book.reversed())
        #expect(first.matches == second.matches)
        #expect(first.bankOnly == second.bankOnly)
        #expect(first.bookOnly == second.bookOnly)
        #expect(first.matches.count == 66)
        #expect(first.matches.allSatisfy { $0.rule == "one-to-many" && $0.bookItems.count == 3 })
        #expect(
            first.matches.first == BankMatch(bankLines: [100], bookItems: [1, 2, 3], rule: "one-to-many"))
        #expect(Set(first.matches.flatMap(\.bookItems)).count == 198)
        #expect(first.bankOnly.count == 60 + 34)
        #expect(first.bookOnly.map(\.id) == [199, 200])

        // And 200 equal amounts on both sides pair up first-in first-out.
        let bank = (0..<200).map { bankLine(2 + $0, "2020-05-10", -10_000) }
        let pairs = BankMatcher.match(bank: bank, book: book)
        #expect(pairs.matches.count == 200)
        #expect(
            pairs.matches.allSatisfy {
                $0.rule == "amount+date" && $0.bookItems == [Int64($0.bankLines[0] - 1)]
            })
    }

    // MARK: The statement

    /// May 2020: opening 50,000.00 on both sides; a donation by reference, wages by amount, a
    /// batch of three payments, a split receipt, an outstanding cheque, a bank fee and interest.
    private static let scenarioRows = [
        "2020-05-06,转账,,\"20,000.00\",\"70,000.00\",某某慈善基金会,RL-D-0001 捐款",
        "2020-05-09,代发,\"3,000.00\",,\"67,000.00\",张三,工资",
        "2020-05-13,批量代付,\"2,500.00\",,\"64,500.00\",,RL-B5 批量代付",
        "2020-05-15,转账,,\"6,000.00\",\"70,500.00\",某工会,会费",
        "2020-05-16,转账,,\"4,000.00\",\"74,500.00\",某工会,会费",
        "2020-05-21,手续费,15.00,,\"74,485.00\",,",
        "2020-05-31,利息,,12.34,\"74,497.34\",,",
    ]

    private static func scenarioCSV(_ rows: [String]) -> String {
        (["交易日期,摘要,借方发生额,贷方发生额,余额,对方户名,附言"] + rows).joined(separator: "\n") + "\n"
    }

    private static let scenarioBook = [
        bookItem(1001, "2020-05-06", 2_000_000, "RL-D-0001"),
        bookItem(1002, "2020-05-08", -300_000, "发放工资"),
        bookItem(2001, "2020-05-12", -120_000, "RL-B5-91420"),
        bookItem(2002, "2020-05-12", -80_000, "RL-B5-91421"),
        bookItem(2003, "2020-05-12", -50_000, "RL-B5-91422"),
        bookItem(3001, "2020-05-15", 1_000_000, "收到会费"),
        bookItem(4001, "2020-05-30", -70_000, "支票 No.5678 付印刷费"),
    ]

    @Test("a consistent scenario balances")
    func consistentScenarioBalances() throws {
        let lines = try statement(Self.scenarioCSV(Self.scenarioRows))
        #expect(BankStatementReader.openingBalanceFen(lines) == 5_000_000)
        let result = BankMatcher.match(bank: lines, book: Self.scenarioBook)
        #expect(result.matches.map(\.rule) == ["reference", "amount+date", "one-to-many", "one-to-many"])
        #expect(result.bankOnly.map(\.line) == [7, 8])
        #expect(result.bookOnly.map(\.id) == [4001])

        let bookBalance = 5_000_000 + Self.scenarioBook.map(\.amountFen).reduce(0, +)
        let reconciliation = ReconciliationStatement(
            period: Period(year: 2020, month: 5)!, bookBalanceFen: bookBalance,
            bankBalanceFen: try #require(BankStatementReader.closingBalanceFen(lines)), result: result)
        #expect(reconciliation.bookBalanceFen == 7_380_000)
        #expect(reconciliation.bankBalanceFen == 7_449_734)
        #expect(reconciliation.bankReceivedNotBookedFen == 1_234)
        #expect(reconciliation.bankPaidNotBookedFen == 1_500)
        #expect(reconciliation.bookReceivedNotBankFen == 0)
        #expect(reconciliation.bookPaidNotBankFen == 70_000)
        #expect(reconciliation.adjustedBookBalanceFen == 7_379_734)
        #expect(reconciliation.adjustedBankBalanceFen == 7_379_734)
        #expect(reconciliation.balances)
        let text = reconciliation.renderTable()
        #expect(text.contains("银行存款余额调节表"))
        #expect(text.contains("调节后余额相等：73,797.34"))
        #expect(text.contains("企付银未付"))
        #expect(!text.contains("！！"))
    }

    @Test("an unexplained bank line makes the statement not balance, loudly")
    func unexplainedBankLine() throws {
        // The bank clears on 3 May a cheque booked in April, which is not among the book items
        // reconciled, so the bank's opening balance is 900.00 higher than the books'.
        let cheque = "2020-05-03,支票,900.00,,\"50,000.00\",某印刷厂,支票 No.1234"
        let lines = try statement(Self.scenarioCSV([cheque] + Self.scenarioRows))
        #expect(BankStatementReader.openingBalanceFen(lines) == 5_090_000)
        let result = BankMatcher.match(bank: lines, book: Self.scenarioBook)
        #expect(result.bankOnly.map(\.amountFen) == [-90_000, -1_500, 1_234])

        let bookBalance = 5_000_000 + Self.scenarioBook.map(\.amountFen).reduce(0, +)
        let reconciliation = ReconciliationStatement(
            period: Period(year: 2020, month: 5)!, bookBalanceFen: bookBalance,
            bankBalanceFen: try #require(BankStatementReader.closingBalanceFen(lines)), result: result)
        #expect(!reconciliation.balances)
        #expect(reconciliation.adjustedBookBalanceFen - reconciliation.adjustedBankBalanceFen == -90_000)
        let text = reconciliation.renderTable()
        #expect(text.contains("！！调节后余额不相等：差额 900.00 —— 请核对（bank-only 项目见上）"))
        #expect(text.contains("调节后对账单余额（银行一方）高出 900.00"))
        #expect(text.contains("对账单第 2 行"))
        #expect(text.contains("bank-only，对账单有、账簿无）3 笔"))
    }
}
