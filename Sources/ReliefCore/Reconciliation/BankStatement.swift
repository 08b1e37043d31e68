/// One transaction line of a bank statement (银行对账单) of the union's bank account, which the
/// ledger keeps as account 102 银行存款.
///
/// Amounts are from *our* point of view: ``inFen`` is money received into the account (the
/// bank's 贷方 / 收入), ``outFen`` money paid out of it (the bank's 借方 / 支出). Exactly one of
/// them is non-zero, and neither is negative.
public struct BankLine: Sendable, Hashable {
    /// The line (CSV) or row (XLSX) number in the statement file.
    public var line: Int
    /// The transaction (or booking) date; any time of day in the file is dropped.
    public var date: LocalDate
    /// The bank's 摘要 (e.g. `转账`, `跨行汇款`, `利息`), trimmed; empty when absent.
    public var summary: String
    /// Money received, in fen (贷方发生额 / 收入); zero on a payment line.
    public var inFen: Int64
    /// Money paid out, in fen (借方发生额 / 支出); zero on a receipt line.
    public var outFen: Int64
    /// The account balance after this line (余额), when the statement has that column.
    public var balanceFen: Int64?
    /// The other party's account name (对方户名); empty when absent.
    public var counterpartyName: String
    /// The other party's account number (对方账号), as written; empty when absent.
    public var counterpartyAccount: String
    /// The payer's message: the non-empty cells of 附言, 用途 and 备注, in that order, joined by
    /// `" / "`; empty when there are none. Payment references (e.g. `RL-B5-91420`) are found here.
    public var note: String

    /// The signed amount in fen: receipts positive, payments negative (`inFen - outFen`).
    public var amountFen: Int64 { inFen - outFen }

    /// Makes a line from its parts.
    public init(
        line: Int, date: LocalDate, summary: String = "", inFen: Int64, outFen: Int64,
        balanceFen: Int64? = nil, counterpartyName: String = "", counterpartyAccount: String = "",
        note: String = ""
    ) {
        self.line = line
        self.date = date
        self.summary = summary
        self.inFen = inFen
        self.outFen = outFen
        self.balanceFen = balanceFen
        self.counterpartyName = counterpartyName
        self.counterpartyAccount = counterpartyAccount
        self.note = note
    }
}

/// Reads a bank statement (银行对账单) as Chinese banks export it from online banking, after
/// ``TableReader`` has turned the CSV or XLSX file into a ``Table``.
///
/// Columns are found by their header (case-insensitive for Latin letters; an amount or balance
/// header may also end in `（元）` or `(元)`, e.g. `借方发生额（元）`). Columns with other headers
/// are ignored, since banks add many (流水号, 凭证号, 币种, 交易机构, …). When several date
/// columns are present (banks often give both 交易日期 and 记账日期), the first of 交易日期,
/// 记账日期, 日期 is used. Any other column given twice is a problem. The accepted headers:
///
/// | Field | Headers | Required |
/// |---|---|---|
/// | date | 交易日期, 记账日期, 日期 | yes |
/// | summary | 摘要 | no |
/// | money out | 借方发生额, 借方金额, 支出, 支出金额 | yes |
/// | money in | 贷方发生额, 贷方金额, 收入, 收入金额 | yes |
/// | balance | 余额, 账户余额 | no |
/// | counterparty name | 对方户名, 对方名称 | no |
/// | counterparty account | 对方账号 | no |
/// | note | 附言, 用途, 备注 (each its own column; the non-empty ones are joined) | no |
///
/// 借方 and 贷方 are the bank's view of our deposit: 借方 is money out of our account, 贷方 is
/// money in.
///
/// Dates may be written `2020-05-12`, `2020/05/12` (month and day may have one digit with a
/// separator: `2020/5/12`) or `20200512`, optionally followed by a space and a time of day
/// (`2020-05-12 14:03:59`), which is dropped.
///
/// Amounts are parsed by ``Money/parse(_:field:maximumFen:allowNegative:)``: thousands
/// separators and a leading `¥` are accepted. The unused side may be empty or zero. Negative
/// amounts are not accepted; the balance may be negative (an overdraft).
///
/// Rows whose recognised cells are all empty (blank separator rows) are skipped; every other
/// row is checked, and all problems are reported together.
public enum BankStatementReader {
    /// The column layout of a statement; see ``BankStatementReader``.
    public static let layout = ImportLayout(
        [
            .init("date", ["交易日期", "记账日期", "日期"], required: false),
            .init("summary", ["摘要"], required: false),
            .init("out", withYuanSuffixes(["借方发生额", "借方金额", "支出", "支出金额"]), required: false),
            .init("in", withYuanSuffixes(["贷方发生额", "贷方金额", "收入", "收入金额"]), required: false),
            .init("balance", withYuanSuffixes(["余额", "账户余额"]), required: false),
            .init("counterparty_name", ["对方户名", "对方名称"], required: false),
            .init("counterparty_account", ["对方账号"], required: false),
            .init("note_message", ["附言"], required: false),
            .init("note_purpose", ["用途"], required: false),
            .init("note_remark", ["备注"], required: false),
        ])

    /// The longest 摘要, 对方户名, 对方账号, 附言, 用途 or 备注 accepted, in characters.
    public static let maximumTextLength = 500

    /// The keys of the columns whose cells are joined into ``BankLine/note``, in order.
    private static let noteKeys = ["note_message", "note_purpose", "note_remark"]

    /// The required columns: key, the header to report, and the headers to suggest.
    private static let requiredColumns: [(key: String, header: String, names: String)] = [
        ("date", "交易日期", "交易日期 (or 记账日期, 日期)"),
        ("out", "借方发生额", "借方发生额 (or 支出, 支出金额: money out of the account)"),
        ("in", "贷方发生额", "贷方发生额 (or 收入, 收入金额: money into the account)"),
    ]

    /// `headers` plus each with `（元）` and `(元)` appended.
    private static func withYuanSuffixes(_ headers: [String]) -> [String] {
        headers + headers.map { $0 + "（元）" } + headers.map { $0 + "(元)" }
    }

    /// Reads the transaction lines of a statement.
    ///
    /// The lines are returned in chronological order: in file order, or reversed when the
    /// file lists the newest transaction first (the first row's date is later than the last
    /// row's), as some banks export.
    ///
    /// When the statement has a 余额 column, the running balance is checked: each line's
    /// balance must equal the previous line's balance plus money in minus money out (the first
    /// line establishes the opening balance as its balance − in + out). After a break, checking
    /// continues from the balance as stated.
    ///
    /// - Throws: ``ImportErrors`` listing every problem (line and column header): a missing
    ///   required column, a column given twice, a date or amount that cannot be read, a
    ///   negative amount, a line with both or neither of money in and money out, a balance that
    ///   does not follow from the previous line. Nothing is returned when there is any problem.
    public static func read(_ table: Table) throws(ImportErrors) -> [BankLine] {
        guard table.rows.count <= RecordParser.maximumRows else {
            throw ImportErrors(
                fileName: table.fileName,
                problems: [
                    ImportProblem(
                        line: nil, column: nil,
                        message:
                            "has \(table.rows.count) rows; at most \(RecordParser.maximumRows) are accepted")
                ])
        }
        let (rows, layoutProblems) = layout.map(recognisedColumns(of: table))
        var problems = layoutProblems
        let presentKeys = presentColumnKeys(table)
        for column in requiredColumns where !presentKeys.contains(column.key) {
            problems.append(
                ImportProblem(
                    line: 1, column: column.header,
                    message: "required column is missing; expected \(column.names)"))
        }
        guard problems.isEmpty else {
            throw ImportErrors(fileName: table.fileName, problems: problems)
        }
        let hasBalance = presentKeys.contains("balance")

        var parsed: [ParsedRow] = []
        parsed.reserveCapacity(rows.count)
        for row in rows {
            if layout.columns.allSatisfy({ row[$0.key].isEmpty }) {
                continue
            }
            parsed.append(parse(row, hasBalance: hasBalance, problems: &problems))
        }
        // Newest first in the file (by the first and last readable dates): read it backwards.
        if let first = parsed.first(where: { $0.date != nil })?.date,
            let last = parsed.last(where: { $0.date != nil })?.date, first > last
        {
            parsed.reverse()
        }
        if hasBalance {
            checkRunningBalance(parsed, header: rows.first?.headers["balance"] ?? "余额", problems: &problems)
        }
        guard problems.isEmpty else {
            throw ImportErrors(fileName: table.fileName, problems: inFileOrder(problems))
        }
        let lines = parsed.compactMap(\.bankLine)
        return lines
    }

    /// The balance before the first line (its balance − in + out), or `nil` when there are no
    /// lines or the statement has no 余额 column.
    public static func openingBalanceFen(_ lines: [BankLine]) -> Int64? {
        guard let first = lines.first, let balance = first.balanceFen else { return nil }
        return balance - first.inFen + first.outFen
    }

    /// The balance after the last line, or `nil` when there are no lines or the statement has no
    /// 余额 column.
    public static func closingBalanceFen(_ lines: [BankLine]) -> Int64? {
        lines.last?.balanceFen
    }

    // MARK: Implementation

    /// The problems by line, whole-file problems first, keeping the order within a line.
    private static func inFileOrder(_ problems: [ImportProblem]) -> [ImportProblem] {
        problems.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
    }

    /// Whether `header` is one of the layout's headers.
    private static func isRecognised(_ header: String) -> Bool {
        let normalised = header.lowercased()
        return layout.columns.contains { $0.headers.contains { $0.lowercased() == normalised } }
    }

    /// The keys of the layout columns that the table has.
    private static func presentColumnKeys(_ table: Table) -> Set<String> {
        var keys: Set<String> = []
        for header in table.headers {
            let normalised = header.lowercased()
            if let column = layout.columns.first(where: {
                $0.headers.contains { $0.lowercased() == normalised }
            }) {
                keys.insert(column.key)
            }
        }
        return keys
    }

    /// The table with only the columns the layout recognises, so that the bank's other columns
    /// are not reported as unknown.
    ///
    /// Many banks export both 交易日期 and 记账日期; then the first of 交易日期, 记账日期, 日期
    /// (in that order) is used and the others are ignored.
    private static func recognisedColumns(of table: Table) -> Table {
        var kept = table.headers.indices.filter { isRecognised(table.headers[$0]) }
        if let dateHeaders = layout.columns.first(where: { $0.key == "date" })?.headers.map({
            $0.lowercased()
        }) {
            let dateColumns = kept.filter { dateHeaders.contains(table.headers[$0].lowercased()) }
            let rank = { (index: Int) in
                dateHeaders.firstIndex(of: table.headers[index].lowercased()) ?? Int.max
            }
            let ranks = Set(dateColumns.map(rank))
            if ranks.count > 1, let best = ranks.min() {
                kept.removeAll { dateColumns.contains($0) && rank($0) != best }
            }
        }
        let rows = table.rows.map { row in
            TableRow(line: row.line, cells: kept.map { $0 < row.cells.count ? row.cells[$0] : "" })
        }
        return Table(
            fileName: table.fileName, headers: kept.map { table.headers[$0] }, rows: rows,
            encoding: table.encoding)
    }

    /// What could be read of one row; ``bankLine`` is set only when the row has no problem.
    private struct ParsedRow {
        var line: Int
        var date: LocalDate?
        /// In minus out, when both amounts could be read (even if the row is otherwise wrong).
        var netFen: Int64?
        var balanceFen: Int64?
        var bankLine: BankLine?
    }

    /// Reads one row, recording its problems.
    private static func parse(
        _ row: ImportLayout.Row, hasBalance: Bool, problems: inout [ImportProblem]
    ) -> ParsedRow {
        let before = problems.count
        let date = parseDate(row["date"])
        if date == nil {
            let text = row["date"]
            problems.append(
                row.problem(
                    "date",
                    text.isEmpty
                        ? "is empty"
                        : "\"\(text)\" is not a date; write e.g. 2020-05-12, 2020/05/12 or 20200512"))
        }
        let inFen = amount(row, "in", problems: &problems)
        let outFen = amount(row, "out", problems: &problems)
        if let inFen, let outFen {
            let inHeader = row.headers["in"] ?? "贷方发生额"
            let outHeader = row.headers["out"] ?? "借方发生额"
            if inFen != 0 && outFen != 0 {
                problems.append(
                    ImportProblem(
                        line: row.line, column: outHeader,
                        message:
                            "both \(outHeader) and \(inHeader) have an amount; a line is either money out or money in"
                    ))
            } else if inFen == 0 && outFen == 0 {
                problems.append(
                    ImportProblem(
                        line: row.line, column: outHeader,
                        message: "neither \(outHeader) nor \(inHeader) has an amount; a line must move money")
                )
            }
        }
        var balanceFen: Int64?
        if hasBalance {
            let text = row["balance"]
            if text.isEmpty {
                problems.append(row.problem("balance", "is empty"))
            } else {
                do {
                    balanceFen = try Money.parse(
                        text, field: row.headers["balance"] ?? "余额", allowNegative: true
                    ).fen
                } catch {
                    problems.append(row.problem("balance", error.description))
                }
            }
        }
        for key in ["summary", "counterparty_name", "counterparty_account"] + noteKeys
        where row[key].count > maximumTextLength {
            problems.append(row.problem(key, "is longer than \(maximumTextLength) characters"))
        }
        var parsed = ParsedRow(line: row.line, date: date, balanceFen: balanceFen)
        if let inFen, let outFen {
            parsed.netFen = inFen - outFen
        }
        if problems.count == before, let date, let inFen, let outFen {
            let note = noteKeys.map { row[$0] }.filter { !$0.isEmpty }.joined(separator: " / ")
            parsed.bankLine = BankLine(
                line: row.line, date: date, summary: row["summary"], inFen: inFen, outFen: outFen,
                balanceFen: balanceFen, counterpartyName: row["counterparty_name"],
                counterpartyAccount: row["counterparty_account"], note: note)
        }
        return parsed
    }

    /// The amount in column `key` (zero when empty), or `nil` after recording a problem.
    private static func amount(_ row: ImportLayout.Row, _ key: String, problems: inout [ImportProblem])
        -> Int64?
    {
        let text = row[key]
        if text.isEmpty { return 0 }
        let header = row.headers[key] ?? key
        do {
            let fen = try Money.parse(text, field: header, allowNegative: true).fen
            if fen < 0 {
                problems.append(
                    row.problem(
                        key,
                        "\"\(text)\" is negative; the statement must show money out under 借方发生额/支出 "
                            + "and money in under 贷方发生额/收入, both as positive amounts"))
                return nil
            }
            return fen
        } catch {
            problems.append(row.problem(key, error.description))
            return nil
        }
    }

    /// Checks that each row's balance follows from the previous row's (in chronological order).
    /// A row whose balance cannot be read breaks the chain; a row whose amounts cannot be read
    /// is not checked, and the chain continues from its stated balance, as after a break.
    private static func checkRunningBalance(
        _ rows: [ParsedRow], header: String, problems: inout [ImportProblem]
    ) {
        var previous: (balance: Int64, line: Int)?
        for row in rows {
            guard let balance = row.balanceFen else {
                previous = nil
                continue
            }
            if let previous, let net = row.netFen {
                let expected = previous.balance + net
                if balance != expected {
                    problems.append(
                        ImportProblem(
                            line: row.line, column: header,
                            message: "余额 does not follow from the previous line: expected "
                                + "\(Money(fen: expected).formatted) (line \(previous.line)'s balance "
                                + "\(Money(fen: previous.balance).formatted) \(net < 0 ? "−" : "+") "
                                + "\(Money(fen: abs(net)).formatted)), "
                                + "found \(Money(fen: balance).formatted)"))
                }
            }
            previous = (balance, row.line)
        }
    }

    /// Parses `2020-05-12`, `2020/05/12`, `2020/5/12`, `20200512`, each optionally followed by a
    /// space and a time of day (digits, `:` and `.`), which is dropped.
    static func parseDate(_ text: String) -> LocalDate? {
        var datePart = Substring(text)
        if let space = text.firstIndex(where: { $0 == " " || $0 == "\u{3000}" || $0 == "\t" }) {
            let time = String(text[space...]).trimmingWhitespace()
            guard !time.isEmpty, time.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ":" || $0 == ".") }),
                time.first?.isNumber == true
            else {
                return nil
            }
            datePart = text[..<space]
        }
        guard datePart.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "/") }) else {
            return nil
        }
        let fields: [Substring]
        if datePart.contains("-") || datePart.contains("/") {
            let separator: Character = datePart.contains("-") ? "-" : "/"
            fields = datePart.split(separator: separator, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].count == 4, (1...2).contains(fields[1].count),
                (1...2).contains(fields[2].count)
            else {
                return nil
            }
        } else {
            guard datePart.count == 8 else { return nil }
            let characters = Array(datePart)
            fields = [
                Substring(String(characters[0..<4])), Substring(String(characters[4..<6])),
                Substring(String(characters[6..<8])),
            ]
        }
        guard let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2]) else {
            return nil
        }
        return LocalDate(year: year, month: month, day: day)
    }
}
