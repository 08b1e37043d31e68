/// The bank reconciliation statement (银行存款余额调节表) of account 102 银行存款 for one period.
///
/// Each side's balance is adjusted by the items the other side has recorded and it has not
/// (未达账项):
///
/// - 调节后日记账余额 = 银行存款日记账余额 + 银收企未收 − 银付企未付
/// - 调节后对账单余额 = 银行对账单余额 + 企收银未收 − 企付银未付
///
/// When the book and the bank agreed at some earlier date (e.g. the last reconciliation, with
/// its outstanding items) and every bank line and every book posting since then took part in
/// the matching, the two adjusted balances agree by construction. When they do not, something was
/// left out or counted twice: an earlier period's outstanding item that was not carried
/// forward, an item already booked in an earlier period, a balance taken at the wrong date, or
/// a bank line or posting that belongs to another period. ``renderTable()`` says so loudly.
public struct ReconciliationStatement: Sendable {
    /// The largest absolute value of each adjustment total; sums beyond it are clamped (they
    /// cannot arise from amounts that ``Money/parse(_:field:maximumFen:allowNegative:)``
    /// accepts in any realistic number of lines), so that adjusting any realistic balance cannot
    /// overflow.
    public static let maximumTotalFen: Int64 = Int64.max / 8

    /// The month reconciled.
    public var period: Period
    /// 银行存款日记账余额: the balance of account 102 in the books at the period's end.
    public var bookBalanceFen: Int64
    /// 银行对账单余额: the bank statement's balance at the period's end.
    public var bankBalanceFen: Int64
    /// 银收企未收: receipts on the statement that the books have not recorded (bank-only receipts).
    public var bankReceivedNotBookedFen: Int64
    /// 银付企未付: payments on the statement that the books have not recorded (bank-only payments).
    public var bankPaidNotBookedFen: Int64
    /// 企收银未收: receipts in the books that the bank has not recorded (book-only receipts).
    public var bookReceivedNotBankFen: Int64
    /// 企付银未付: payments in the books that the bank has not recorded (book-only payments).
    public var bookPaidNotBankFen: Int64
    /// The unmatched bank lines the bank-side adjustments come from, by date then line.
    public var bankOnly: [BankLine]
    /// The unmatched book items the book-side adjustments come from, by date then id.
    public var bookOnly: [BookItem]
    /// How many matches the matching found.
    public var matchCount: Int

    /// 调节后日记账余额: the book balance adjusted by the bank-only items.
    public var adjustedBookBalanceFen: Int64 {
        bookBalanceFen + bankReceivedNotBookedFen - bankPaidNotBookedFen
    }
    /// 调节后对账单余额: the bank balance adjusted by the book-only items.
    public var adjustedBankBalanceFen: Int64 { bankBalanceFen + bookReceivedNotBankFen - bookPaidNotBankFen }
    /// Whether the two adjusted balances agree.
    public var balances: Bool { adjustedBookBalanceFen == adjustedBankBalanceFen }

    /// Makes the statement, deriving the four adjustment totals from the unmatched items of
    /// `result`: bank-only receipts and payments, book-only receipts and payments.
    ///
    /// - Parameters:
    ///   - period: The month reconciled.
    ///   - bookBalanceFen: The balance of account 102 at the period's end.
    ///   - bankBalanceFen: The statement's balance at the period's end (e.g.
    ///     ``BankStatementReader/closingBalanceFen(_:)``).
    ///   - result: The matching of the statement against the 102 postings (see
    ///     ``BankMatcher/match(bank:book:dateWindowDays:maximumGroupSize:)``).
    public init(period: Period, bookBalanceFen: Int64, bankBalanceFen: Int64, result: BankMatchResult) {
        self.period = period
        self.bookBalanceFen = bookBalanceFen
        self.bankBalanceFen = bankBalanceFen
        bankOnly = result.bankOnly
        bookOnly = result.bookOnly
        matchCount = result.matches.count
        let bankAmounts = result.bankOnly.map(\.amountFen)
        let bookAmounts = result.bookOnly.map(\.amountFen)
        bankReceivedNotBookedFen = Self.total(bankAmounts.filter { $0 > 0 }.map { $0.magnitude })
        bankPaidNotBookedFen = Self.total(bankAmounts.filter { $0 < 0 }.map { $0.magnitude })
        bookReceivedNotBankFen = Self.total(bookAmounts.filter { $0 > 0 }.map { $0.magnitude })
        bookPaidNotBankFen = Self.total(bookAmounts.filter { $0 < 0 }.map { $0.magnitude })
    }

    /// The sum of magnitudes, clamped to ``maximumTotalFen``.
    private static func total(_ magnitudes: [UInt64]) -> Int64 {
        let limit = UInt64(maximumTotalFen)
        var sum: UInt64 = 0
        for magnitude in magnitudes {
            sum = min(limit, sum + min(limit, magnitude))  // both ≤ limit = Int64.max / 8: no overflow
        }
        return Int64(sum)
    }

    /// The statement as text for a terminal or a printout.
    ///
    /// The two sides stand next to each other, book on the left and bank on the right, down to
    /// the two adjusted balances; the unmatched items (未达账项明细) follow. The last lines say
    /// whether the adjusted balances agree; when they do not, a line starting `！！调节后余额不相等`
    /// gives the difference, which side is higher, how many unmatched items each side has, and
    /// any unmatched item whose amount equals the difference.
    public func renderTable() -> String {
        func yuan(_ fen: Int64) -> String { Money(fen: fen).formatted }
        func unsigned(_ fen: Int64) -> String { Self.unsignedYuan(fen) }
        var lines: [String] = []
        lines.append("银行存款余额调节表")
        lines.append("会计期间：\(period)    科目：102 银行存款    截至：\(period.lastDay)")
        lines.append("")

        var sides = TextTable(
            headers: ["项目（企业账面）", "金额", "项目（银行对账单）", "金额"],
            alignments: [.left, .right, .left, .right])
        sides.append(["银行存款日记账余额", yuan(bookBalanceFen), "银行对账单余额", yuan(bankBalanceFen)])
        sides.append([
            "加：银收企未收", yuan(bankReceivedNotBookedFen), "加：企收银未收", yuan(bookReceivedNotBankFen),
        ])
        sides.append([
            "减：银付企未付", yuan(bankPaidNotBookedFen), "减：企付银未付", yuan(bookPaidNotBankFen),
        ])
        sides.append(["调节后余额", yuan(adjustedBookBalanceFen), "调节后余额", yuan(adjustedBankBalanceFen)])
        lines.append(sides.render())

        if bankOnly.isEmpty && bookOnly.isEmpty {
            lines.append("未达账项：无（已匹配 \(matchCount) 组）")
        } else {
            lines.append("未达账项明细（已匹配 \(matchCount) 组）")
            lines.append(detailTable().render())
        }

        let (difference, _) = adjustedBookBalanceFen.subtractingReportingOverflow(adjustedBankBalanceFen)
        if balances {
            lines.append("调节后余额相等：\(yuan(adjustedBookBalanceFen))")
        } else {
            lines.append("！！调节后余额不相等：差额 \(unsigned(difference)) —— 请核对（bank-only 项目见上）")
            let higher = difference > 0 ? "调节后日记账余额（企业账面一方）" : "调节后对账单余额（银行一方）"
            lines.append("！！\(higher)高出 \(unsigned(difference))，有未能由未达账项解释的金额")
            lines.append(
                "！！未达账项：银行一方（bank-only，对账单有、账簿无）\(bankOnly.count) 笔，"
                    + "企业一方（book-only，账簿有、对账单无）\(bookOnly.count) 笔")
            for hint in itemsEqualTo(difference.magnitude) {
                lines.append("！！差额与此未达账项金额相同，它可能已在以前期间入账或重复计列：\(hint)")
            }
            lines.append("！！常见原因：上期未达账项未结转到本期、期末余额取数日期不一致、对账单或账簿中混入了其他期间的项目")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The unmatched items, bank side first.
    private func detailTable() -> TextTable {
        var table = TextTable(
            headers: ["类别", "日期", "金额", "来源", "说明"], alignments: [.left, .left, .right, .left, .left])
        for row in detailRows() { table.append(row) }
        return table
    }

    /// The unmatched items as rows of 类别, 日期, 金额, 来源, 说明; bank side first.
    private func detailRows() -> [[String]] {
        var rows: [[String]] = []
        for line in bankOnly {
            rows.append([
                line.amountFen > 0 ? "银收企未收" : "银付企未付", "\(line.date)", Self.unsignedYuan(line.amountFen),
                "对账单第 \(line.line) 行", describe(line),
            ])
        }
        for item in bookOnly {
            let category = item.amountFen > 0 ? "企收银未收" : item.amountFen < 0 ? "企付银未付" : "零金额分录"
            rows.append([
                category, "\(item.date)", Self.unsignedYuan(item.amountFen),
                item.voucher.isEmpty ? "分录 \(item.id)" : "凭证 \(item.voucher)", singleLine(item.reference),
            ])
        }
        return rows
    }

    /// The statement as a report (web page, CSV, XLSX, JSON): the two sides as rows; the
    /// unmatched items and the verdict as notes, the verdict's wording as in ``renderTable()``.
    public func report() -> Report {
        func fen(_ value: Int64) -> Report.Value { .fen(value) }
        var report = Report(
            title: "银行存款余额调节表 \(period) · 科目 102 银行存款 · 截至 \(period.lastDay)",
            columns: [.init("book_item", "项目（企业账面）"), .init("book_fen", "金额", .money), .init("bank_item", "项目（银行对账单）"), .init("bank_fen", "金额", .money)],
            rows: [
                [.text("银行存款日记账余额"), fen(bookBalanceFen), .text("银行对账单余额"), fen(bankBalanceFen)],
                [.text("加：银收企未收"), fen(bankReceivedNotBookedFen), .text("加：企收银未收"), fen(bookReceivedNotBankFen)],
                [.text("减：银付企未付"), fen(bankPaidNotBookedFen), .text("减：企付银未付"), fen(bookPaidNotBankFen)],
                [.text("调节后余额"), fen(adjustedBookBalanceFen), .text("调节后余额"), fen(adjustedBankBalanceFen)],
            ])
        let details = detailRows()
        report.notes.append(details.isEmpty ? "未达账项：无（已匹配 \(matchCount) 组）" : "未达账项明细（已匹配 \(matchCount) 组）：")
        for row in details { report.notes.append(row.filter { !$0.isEmpty }.joined(separator: "  ")) }
        let (difference, _) = adjustedBookBalanceFen.subtractingReportingOverflow(adjustedBankBalanceFen)
        report.notes.append(balances
            ? "调节后余额相等：\(Money(fen: adjustedBookBalanceFen).formatted)"
            : "！！调节后余额不相等：差额 \(Self.unsignedYuan(difference)) —— 请核对未达账项")
        return report
    }

    /// The amount without its sign, e.g. `1,200.00` for -120000 fen.
    private static func unsignedYuan(_ fen: Int64) -> String {
        String(Money(fen: fen).formatted.drop { $0 == "-" })
    }

    /// The summary, counterparty and note of a bank line, on one line.
    private func describe(_ line: BankLine) -> String {
        [line.summary, line.counterpartyName, line.note].filter { !$0.isEmpty }.map(singleLine).joined(
            separator: "；")
    }

    /// `text` with line breaks replaced by spaces and cut to a readable length.
    private func singleLine(_ text: String) -> String {
        let maximumCharacters = 60
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return flat.count > maximumCharacters ? String(flat.prefix(maximumCharacters)) + "…" : flat
    }

    /// Descriptions of the unmatched items whose amount's magnitude is `magnitude`.
    private func itemsEqualTo(_ magnitude: UInt64) -> [String] {
        var hints: [String] = []
        for line in bankOnly where line.amountFen.magnitude == magnitude {
            hints.append(
                "对账单第 \(line.line) 行 \(line.date) \(Money(fen: line.amountFen).formatted) \(describe(line))")
        }
        for item in bookOnly where item.amountFen.magnitude == magnitude {
            let source = item.voucher.isEmpty ? "分录 \(item.id)" : "凭证 \(item.voucher)"
            hints.append(
                "\(source) \(item.date) \(Money(fen: item.amountFen).formatted) \(singleLine(item.reference))"
            )
        }
        return hints
    }
}
