import Foundation

/// An account of the chart (科目).
public struct Account: Sendable, Hashable {
    /// Database id.
    public var id: Int
    /// Code, e.g. `102`.
    public var code: String
    /// Name, e.g. 银行存款.
    public var name: String
    /// asset, liability, net_assets, income, expense or memorandum (备查).
    public var category: String
    /// The side its balance normally sits on.
    public var normalSide: Side

    /// Makes an account.
    public init(id: Int, code: String, name: String, category: String, normalSide: Side) {
        self.id = id
        self.code = code
        self.name = name
        self.category = category
        self.normalSide = normalSide
    }
}

/// One account's line in the 科目余额表.
public struct TrialBalanceRow: Sendable, Hashable, Codable {
    /// Account code.
    public var code: String
    /// Account name.
    public var name: String
    /// Opening balance on the debit side (0 when it sits on the credit side).
    public var openingDebitFen: Int64
    /// Opening balance on the credit side.
    public var openingCreditFen: Int64
    /// Debits in the period, net of red (reversal) amounts.
    public var debitFen: Int64
    /// Credits in the period, net of red amounts.
    public var creditFen: Int64
    /// Closing balance on the debit side.
    public var closingDebitFen: Int64
    /// Closing balance on the credit side.
    public var closingCreditFen: Int64

    enum CodingKeys: String, CodingKey {
        case code, name
        case openingDebitFen = "opening_debit_fen"
        case openingCreditFen = "opening_credit_fen"
        case debitFen = "debit_fen"
        case creditFen = "credit_fen"
        case closingDebitFen = "closing_debit_fen"
        case closingCreditFen = "closing_credit_fen"
    }
}

/// The trial balance (科目余额表) of one period.
public struct TrialBalance: Sendable {
    /// The month.
    public var period: Period
    /// One row per account, in code order.
    public var rows: [TrialBalanceRow]

    /// Builds the rows from each account's net balance (debit − credit) before the period and its
    /// debits and credits in the period. A net balance is shown on the side it falls on.
    public init(period: Period, accounts: [Account], openingNetFen: [Int: Int64], debitFen: [Int: Int64], creditFen: [Int: Int64]) {
        self.period = period
        self.rows = accounts.sorted { $0.code < $1.code }.map { account in
            let opening = openingNetFen[account.id] ?? 0
            let debit = debitFen[account.id] ?? 0
            let credit = creditFen[account.id] ?? 0
            let closing = opening + debit - credit
            return TrialBalanceRow(
                code: account.code, name: account.name,
                openingDebitFen: max(opening, 0), openingCreditFen: max(-opening, 0),
                debitFen: debit, creditFen: credit,
                closingDebitFen: max(closing, 0), closingCreditFen: max(-closing, 0))
        }
    }

    /// Column totals: opening debit/credit, period debit/credit, closing debit/credit.
    public var totals: TrialBalanceRow {
        var total = TrialBalanceRow(code: "", name: "合计", openingDebitFen: 0, openingCreditFen: 0, debitFen: 0, creditFen: 0, closingDebitFen: 0, closingCreditFen: 0)
        for row in rows {
            total.openingDebitFen += row.openingDebitFen
            total.openingCreditFen += row.openingCreditFen
            total.debitFen += row.debitFen
            total.creditFen += row.creditFen
            total.closingDebitFen += row.closingDebitFen
            total.closingCreditFen += row.closingCreditFen
        }
        return total
    }

    /// True when each pair of columns agrees: the books balance.
    public var isBalanced: Bool {
        let t = totals
        return t.openingDebitFen == t.openingCreditFen && t.debitFen == t.creditFen && t.closingDebitFen == t.closingCreditFen
    }

    static let headers = ["科目编码", "科目名称", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方"]

    private static func cells(_ row: TrialBalanceRow) -> [String] {
        [row.code, row.name] + [row.openingDebitFen, row.openingCreditFen, row.debitFen, row.creditFen, row.closingDebitFen, row.closingCreditFen]
            .map { Money(fen: $0).formatted }
    }

    /// A terminal table, Chinese text aligned by display width, with totals and a balance line.
    public func renderTable() -> String {
        var table = TextTable(headers: Self.headers, alignments: [.left, .left] + Array(repeating: .right, count: 6))
        for row in rows { table.append(Self.cells(row)) }
        table.append(Self.cells(totals))
        let status = isBalanced ? "借贷平衡 (balanced)" : "借贷不平衡 (NOT balanced)"
        return "科目余额表 \(period)\n" + table.render() + status + "\n"
    }

    /// CSV with a UTF-8 BOM, amounts in yuan with two decimals.
    public func renderCSV() -> String {
        var lines = [CSV.row(Self.headers)]
        for row in rows + [totals] {
            lines.append(CSV.row([row.code, row.name] + [row.openingDebitFen, row.openingCreditFen, row.debitFen, row.creditFen, row.closingDebitFen, row.closingCreditFen].map { Money(fen: $0).plain }))
        }
        return CSV.byteOrderMark + lines.joined()
    }

    /// A JSON array, one object per account with fen amounts.
    public func renderJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
    }
}

/// RFC 4180 CSV lines.
public enum CSV {
    /// The UTF-8 byte order mark, so Excel and WPS on Chinese Windows read the file as UTF-8.
    public static let byteOrderMark = "\u{FEFF}"

    /// One line, fields quoted when they contain a comma, quote, CR or LF; ends in CRLF.
    public static func row(_ fields: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(2) { $0 + $1.utf8.count + 3 })
        appendRow(fields, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``row(_:)``'s line as UTF-8 to `bytes` (the journal export writes one row per
    /// posting straight into its output buffer).
    ///
    /// Scans UTF-8 bytes, not Characters: faster, and a CRLF inside a field, which is one
    /// Character, is still seen and quoted. Quotes are doubled byte by byte: a quote followed by a
    /// combining mark is one Character, which a Character-wise replace would not double (found by
    /// fuzz-csv).
    public static func appendRow(_ fields: [String], to bytes: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(0x2C) }
            appendField(field, to: &bytes)
        }
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    /// Appends one field: as is, or in double quotes with quotes doubled when it holds a comma,
    /// quote, CR or LF.
    static func appendField(_ field: String, to bytes: inout [UInt8]) {
        UTF8Bytes.with(field) { appendField(utf8: $0, to: &bytes) }
    }

    /// ``appendField(_:to:)`` from the field's UTF-8 bytes.
    static func appendField(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.write(maximum: 2 + 2 * utf8.count) { $0.csvField(utf8) }
    }
}
