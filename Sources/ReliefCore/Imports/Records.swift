/// The documented column layouts (docs/IMPORTS.md). The first header of each column is the one
/// the documentation and templates use; the others are accepted too.
public enum ImportLayouts {
    /// Enterprises: one row per enterprise and year.
    public static let enterprises = ImportLayout([
        .init("credit_code", ["统一社会信用代码", "信用代码", "credit_code"]),
        .init("name", ["企业名称", "name"]),
        .init("union_name", ["工会名称", "union_name"]),
        .init("year", ["年度", "year"]),
        .init("members", ["会员人数", "members"]),
        .init("target", ["年度采购目标（元）", "年度采购目标", "target"]),
        .init("bank_name", ["开户银行", "bank_name"], required: false),
        .init("bank_account", ["银行账号", "bank_account"], required: false),
    ])

    /// Suppliers, with one certification each (repeat the row for more certifications).
    public static let suppliers = ImportLayout([
        .init("credit_code", ["统一社会信用代码", "信用代码", "credit_code"]),
        .init("name", ["供应商名称", "name"]),
        .init("township", ["乡镇", "township"]),
        .init("village", ["村", "village"], required: false),
        .init("on_832", ["832平台", "on_832"], required: false),
        .init("cert_number", ["认证证书编号", "cert_number"], required: false),
        .init("cert_from", ["认证开始日期", "cert_from"], required: false),
        .init("cert_to", ["认证结束日期", "cert_to"], required: false),
    ])

    /// Products of suppliers.
    public static let products = ImportLayout([
        .init("code", ["商品编码", "code"]),
        .init("supplier", ["供应商信用代码", "supplier"]),
        .init("name", ["商品名称", "name"]),
        .init("spec", ["规格", "spec"], required: false),
        .init("unit", ["单位", "unit"]),
        .init("category", ["品类", "category"]),
        .init("origin", ["产地乡镇", "origin"], required: false),
        .init("price_min", ["参考价下限（元）", "参考价下限", "price_min"], required: false),
        .init("price_max", ["参考价上限（元）", "参考价上限", "price_max"], required: false),
        .init("cert_number", ["商品认证证书编号", "cert_number"], required: false),
        .init("cert_from", ["认证开始日期", "cert_from"], required: false),
        .init("cert_to", ["认证结束日期", "cert_to"], required: false),
    ])

    /// Purchases: one row per line; rows with the same 采购单号 form one purchase.
    public static let purchases = ImportLayout([
        .init("key", ["采购单号", "purchase_key"]),
        .init("enterprise", ["企业信用代码", "enterprise"]),
        .init("supplier", ["供应商信用代码", "supplier"]),
        .init("date", ["采购日期", "date"]),
        .init("channel", ["渠道", "channel"]),
        .init("purpose", ["用途", "purpose"]),
        .init("invoice", ["发票号码", "invoice_number"]),
        .init("invoice_date", ["开票日期", "invoice_date"]),
        .init("seller_tax_id", ["销方税号", "seller_tax_id"]),
        .init("product", ["商品编码", "product"]),
        .init("quantity", ["数量", "quantity"]),
        .init("unit", ["单位", "unit"]),
        .init("unit_price", ["单价（元）", "单价", "unit_price"]),
        .init("amount", ["金额（元）", "金额", "amount"]),
    ])

    /// The purchase channels.
    public static let channels: Set<String> = ["832平台", "专馆专区专柜", "直采", "消费券"]
    /// The purchase purposes.
    public static let purposes: Set<String> = ["节日慰问", "爱心消费", "食堂"]
}

/// An enterprise and its figures for one year.
public struct EnterpriseRecord: Sendable, Hashable {
    public var line: Int
    public var creditCode: String
    public var name: String
    public var unionName: String
    public var year: Int
    public var members: Int
    public var targetFen: Int64
    public var bankName: String?
    public var bankAccount: String?
}

/// A supplier with at most one certification.
public struct SupplierRecord: Sendable, Hashable {
    public var line: Int
    public var creditCode: String
    public var name: String
    public var township: String
    public var village: String?
    public var on832: Bool
    public var certification: Certification?
}

/// A product.
public struct ProductRecord: Sendable, Hashable {
    public var line: Int
    public var code: String
    public var supplierCreditCode: String
    public var name: String
    public var spec: String?
    public var unit: String
    public var category: String
    public var originTownship: String?
    public var priceMin: UnitPrice?
    public var priceMax: UnitPrice?
    /// The product's own certification (e.g. 扶贫产品认定), if it has one.
    public var certification: Certification?
}

/// One purchase line with its purchase's header fields.
public struct PurchaseRowRecord: Sendable, Hashable {
    public var line: Int
    public var key: String
    public var enterpriseCreditCode: String
    public var supplierCreditCode: String
    public var date: LocalDate
    public var channel: String
    public var purpose: String
    public var invoiceNumber: String
    public var invoiceDate: LocalDate
    public var sellerTaxId: String
    public var productCode: String
    public var quantity: Quantity
    public var unit: String
    public var unitPrice: UnitPrice
    public var amount: Money
}

/// Parses mapped rows into records, collecting every problem rather than stopping at the first.
public enum RecordParser {
    /// The most rows one import may hold.
    public static let maximumRows = 2_000_000

    struct Cells {
        let row: ImportLayout.Row
        var problems: [ImportProblem] = []
        /// Credit codes already found valid in this file, as written → as returned: a purchase
        /// file repeats a few thousand codes on every line, three per line.
        var validCreditCodes: [String: String] = [:]

        mutating func text(_ key: String, maximumLength: Int = 200) -> String {
            let value = row[key]
            if value.isEmpty {
                problems.append(row.problem(key, "is empty"))
            } else if value.count > maximumLength {
                problems.append(row.problem(key, "is longer than \(maximumLength) characters"))
            }
            return value
        }

        mutating func optionalText(_ key: String, maximumLength: Int = 200) -> String? {
            let value = row[key]
            if value.count > maximumLength {
                problems.append(row.problem(key, "is longer than \(maximumLength) characters"))
            }
            return value.isEmpty ? nil : value
        }

        /// A code that appears in the chain's canonical text and in `|`-joined lists: no `|`, no
        /// backslash, no control characters (the database refuses them too).
        mutating func code(_ key: String, maximumLength: Int) -> String {
            let value = text(key, maximumLength: maximumLength)
            if value.unicodeScalars.contains(where: { $0 == "|" || $0 == "\\" || $0.properties.generalCategory == .control }) {
                problems.append(row.problem(key, "\"\(value)\" must not contain | or \\ or control characters"))
            }
            return value
        }

        mutating func creditCode(_ key: String) -> String {
            let written = row[key]
            if let valid = validCreditCodes[written] { return valid }
            do {
                let valid = try CreditCode.validate(written, field: row.headers[key] ?? key)
                validCreditCodes[written] = valid
                return valid
            } catch {
                problems.append(row.problem(key, error.description))
                return row[key]
            }
        }

        mutating func date(_ key: String) -> LocalDate {
            if let date = LocalDate(parsing: row[key]) { return date }
            problems.append(row.problem(key, "\"\(row[key])\" is not a date; write YYYY-MM-DD, e.g. 2020-05-12"))
            return LocalDate(year: 2000, month: 1, day: 1)!
        }

        mutating func optionalDate(_ key: String) -> LocalDate? { row[key].isEmpty ? nil : date(key) }

        mutating func integer(_ key: String, range: ClosedRange<Int>) -> Int {
            if let value = Int(row[key]), range.contains(value) { return value }
            problems.append(row.problem(key, "\"\(row[key])\" must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
            return range.lowerBound
        }

        mutating func money(_ key: String) -> Money {
            do {
                return try Money.parse(row[key], field: row.headers[key] ?? key)
            } catch {
                problems.append(row.problem(key, error.description))
                return Money(fen: 0)
            }
        }

        mutating func unitPrice(_ key: String) -> UnitPrice? {
            guard !row[key].isEmpty else { return nil }
            do {
                return try UnitPrice.parse(row[key], field: row.headers[key] ?? key)
            } catch {
                problems.append(row.problem(key, "\(error)"))
                return nil
            }
        }

        mutating func quantity(_ key: String) -> Quantity? {
            do {
                return try Quantity.parse(row[key], field: row.headers[key] ?? key)
            } catch {
                problems.append(row.problem(key, "\(error)"))
                return nil
            }
        }

        mutating func bankAccount(_ key: String) -> String? {
            let digits = row[key].filter { $0 != " " && $0 != "-" }
            guard !digits.isEmpty else { return nil }
            if !(6...32).contains(digits.count) || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                problems.append(row.problem(key, "\"\(row[key])\" is not a bank account number (6 to 32 digits)"))
            }
            return digits
        }

        mutating func oneOf(_ key: String, _ allowed: Set<String>) -> String {
            let value = row[key]
            if !allowed.contains(value) {
                problems.append(row.problem(key, "\"\(value)\" must be one of \(allowed.sorted().joined(separator: ", "))"))
            }
            return value
        }
    }

    /// Enterprises.
    public static func enterprises(_ rows: some Collection<ImportLayout.Row>) -> ([EnterpriseRecord], [ImportProblem]) {
        parse(rows) { cells in
            EnterpriseRecord(
                line: cells.row.line, creditCode: cells.creditCode("credit_code"), name: cells.text("name"),
                unionName: cells.text("union_name"), year: cells.integer("year", range: 2000...2100),
                members: cells.integer("members", range: 0...10_000_000), targetFen: cells.money("target").fen,
                bankName: cells.optionalText("bank_name"), bankAccount: cells.bankAccount("bank_account"))
        }
    }

    /// Suppliers.
    public static func suppliers(_ rows: some Collection<ImportLayout.Row>) -> ([SupplierRecord], [ImportProblem]) {
        parse(rows) { cells in
            var certification: Certification?
            if let number = cells.optionalText("cert_number") {
                let from = cells.date("cert_from")
                let to = cells.optionalDate("cert_to")
                if let to, to < from { cells.problems.append(cells.row.problem("cert_to", "is before 认证开始日期 \(from)")) }
                certification = Certification(number: number, validFrom: from, validTo: to)
            }
            let on832: Bool
            switch cells.row["on_832"] {
            case "", "否", "N", "n", "no", "false", "0": on832 = false
            case "是", "Y", "y", "yes", "true", "1": on832 = true
            default:
                cells.problems.append(cells.row.problem("on_832", "write 是 or 否"))
                on832 = false
            }
            return SupplierRecord(
                line: cells.row.line, creditCode: cells.creditCode("credit_code"), name: cells.text("name"),
                township: cells.text("township"), village: cells.optionalText("village"), on832: on832,
                certification: certification)
        }
    }

    /// Products.
    public static func products(_ rows: some Collection<ImportLayout.Row>) -> ([ProductRecord], [ImportProblem]) {
        parse(rows) { cells in
            let minimum = cells.unitPrice("price_min")
            let maximum = cells.unitPrice("price_max")
            if let minimum, let maximum, maximum.tenThousandthsOfYuan < minimum.tenThousandthsOfYuan {
                cells.problems.append(cells.row.problem("price_max", "is below 参考价下限"))
            }
            var certification: Certification?
            if let number = cells.optionalText("cert_number") {
                let from = cells.date("cert_from")
                let to = cells.optionalDate("cert_to")
                if let to, to < from { cells.problems.append(cells.row.problem("cert_to", "is before 认证开始日期 \(from)")) }
                certification = Certification(number: number, validFrom: from, validTo: to)
            }
            return ProductRecord(
                line: cells.row.line, code: cells.code("code", maximumLength: 64), supplierCreditCode: cells.creditCode("supplier"),
                name: cells.text("name"), spec: cells.optionalText("spec"), unit: cells.text("unit", maximumLength: 20),
                category: cells.text("category", maximumLength: 40), originTownship: cells.optionalText("origin"),
                priceMin: minimum, priceMax: maximum, certification: certification)
        }
    }

    /// Purchase lines; also checks that each line's amount agrees with quantity × unit price.
    public static func purchases(_ rows: some Collection<ImportLayout.Row>) -> ([PurchaseRowRecord], [ImportProblem]) {
        parse(rows, purchase)
    }

    /// One purchase line from its cells.
    static func purchase(_ cells: inout Cells) -> PurchaseRowRecord {
        let quantity = cells.quantity("quantity")
        let unitPrice = cells.unitPrice("unit_price")
        if cells.row["unit_price"].isEmpty { cells.problems.append(cells.row.problem("unit_price", "is empty")) }
        let amount = cells.money("amount")
        if amount.fen == 0, cells.problems.isEmpty { cells.problems.append(cells.row.problem("amount", "must be positive")) }
        if let quantity, let unitPrice, amount.fen > 0, !LineAmount.agrees(amountFen: amount.fen, quantity: quantity, unitPrice: unitPrice) {
            let expected = Money(fen: LineAmount.expectedFen(quantity: quantity, unitPrice: unitPrice))
            cells.problems.append(cells.row.problem("amount", "\(amount.formatted) does not agree with 数量 × 单价 = \(expected.formatted) (within 0.01)"))
        }
        let invoice: String
        do {
            invoice = try InvoiceNumber.validate(cells.row["invoice"], field: cells.row.headers["invoice"] ?? "invoice")
        } catch {
            cells.problems.append(cells.row.problem("invoice", "\(error)"))
            invoice = cells.row["invoice"]
        }
        return PurchaseRowRecord(
            line: cells.row.line, key: cells.text("key", maximumLength: 100),
            enterpriseCreditCode: cells.creditCode("enterprise"), supplierCreditCode: cells.creditCode("supplier"),
            date: cells.date("date"), channel: cells.oneOf("channel", ImportLayouts.channels),
            purpose: cells.oneOf("purpose", ImportLayouts.purposes), invoiceNumber: invoice,
            invoiceDate: cells.date("invoice_date"), sellerTaxId: cells.creditCode("seller_tax_id"),
            productCode: cells.text("product", maximumLength: 64), quantity: quantity ?? Quantity(thousandths: 1)!,
            unit: cells.text("unit", maximumLength: 20), unitPrice: unitPrice ?? UnitPrice(tenThousandthsOfYuan: 1)!,
            amount: amount)
    }

    static func parse<R>(_ rows: some Collection<ImportLayout.Row>, _ make: @escaping (inout Cells) -> R) -> ([R], [ImportProblem]) {
        var parser = Incremental(make)
        for row in rows { parser.add(row) }
        return parser.finish()
    }

    /// Purchase lines one row at a time: ``purchases(_:)`` for a file read row by row
    /// (``TableReader/forEachRow(_:fileName:header:row:)``).
    public static func purchaseParser() -> Incremental<PurchaseRowRecord> {
        Incremental(purchase)
    }

    /// Records parsed as their rows arrive, with every row's problems.
    public struct Incremental<R> {
        private let make: (inout Cells) -> R
        /// Credit codes already found valid in this file (see ``Cells``).
        private var validCreditCodes: [String: String] = [:]
        private var records: [R] = []
        private var problems: [ImportProblem] = []
        /// Rows added so far.
        public private(set) var rowCount = 0

        init(_ make: @escaping (inout Cells) -> R) {
            self.make = make
        }

        /// Parses `row`; past ``RecordParser/maximumRows`` rows are only counted.
        public mutating func add(_ row: ImportLayout.Row) {
            rowCount += 1
            guard rowCount <= maximumRows else { return }
            var cells = Cells(row: row)
            swap(&cells.validCreditCodes, &validCreditCodes)  // moved, not copied: one dictionary for the file
            let record = make(&cells)
            swap(&cells.validCreditCodes, &validCreditCodes)
            if cells.problems.isEmpty { records.append(record) } else { problems += cells.problems }
        }

        /// The records of the rows without problems, and every problem; a file of more than
        /// ``RecordParser/maximumRows`` rows is one problem and no records.
        public func finish() -> ([R], [ImportProblem]) {
            if rowCount > maximumRows {
                return ([], [ImportProblem(line: nil, column: nil, message: "has \(rowCount) rows; at most \(maximumRows) per file")])
            }
            return (records, problems)
        }
    }
}
