import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// A purchase as `POST /api/v1/purchases` receives it: strings only, amounts like "3800.00".
struct PurchaseInput: Sendable {
    struct Line: Sendable {
        var product: String
        var quantity: String
        var unit: String
        var unitPrice: String
        var amount: String
    }

    var enterprise: String
    var supplier: String
    var date: String
    var channel: String
    var purpose: String
    var invoiceNumber: String
    var invoiceDate: String
    var sellerTaxId: String
    var lines: [Line]

    /// The most lines one request may carry.
    static let maximumLines = 500

    /// Reads the JSON object, collecting every missing or non-string field (422).
    init(_ object: [String: Any]) throws {
        var problems: [APIError.Problem] = []
        func string(_ value: Any?, _ field: String, line: Int? = nil) -> String {
            switch value {
            case let text as String:
                return text
            case nil, is NSNull:
                problems.append(.init(field: field, line: line, message: "缺少字段 \(field)"))
            default:
                problems.append(.init(field: field, line: line, message: "\(field) 必须是字符串（金额、数量也写成字符串，如 \"3800.00\"）"))
            }
            return ""
        }
        enterprise = string(object["enterprise"], "enterprise")
        supplier = string(object["supplier"], "supplier")
        date = string(object["date"], "date")
        channel = string(object["channel"], "channel")
        purpose = string(object["purpose"], "purpose")
        invoiceNumber = string(object["invoice_number"], "invoice_number")
        invoiceDate = string(object["invoice_date"], "invoice_date")
        sellerTaxId = string(object["seller_tax_id"], "seller_tax_id")
        var lines: [Line] = []
        switch object["lines"] {
        case let array as [Any] where !array.isEmpty && array.count <= Self.maximumLines:
            for (index, element) in array.enumerated() {
                let prefix = "lines[\(index)]"
                guard let line = element as? [String: Any] else {
                    problems.append(.init(field: prefix, line: index + 1, message: "\(prefix) 必须是对象"))
                    continue
                }
                lines.append(Line(
                    product: string(line["product"], prefix + ".product", line: index + 1),
                    quantity: string(line["quantity"], prefix + ".quantity", line: index + 1),
                    unit: string(line["unit"], prefix + ".unit", line: index + 1),
                    unitPrice: string(line["unit_price"], prefix + ".unit_price", line: index + 1),
                    amount: string(line["amount"], prefix + ".amount", line: index + 1)))
            }
        case let array as [Any] where array.count > Self.maximumLines:
            problems.append(.init(field: "lines", line: nil, message: "一张采购单最多 \(Self.maximumLines) 行"))
        case nil, is NSNull:
            problems.append(.init(field: "lines", line: nil, message: "缺少字段 lines"))
        default:
            problems.append(.init(field: "lines", line: nil, message: "lines 必须是非空数组"))
        }
        self.lines = lines
        if let first = problems.first {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", first.message, field: first.field, problems: problems)
        }
    }

    /// The purchase as an import table with the documented headers (the first of each column),
    /// one row per line; row `line` numbers are 1-based line indexes.
    func table(key: String) -> Table {
        let rows = lines.enumerated().map { index, line in
            let values: [String: String] = [
                "key": key, "enterprise": enterprise, "supplier": supplier, "date": date, "channel": channel, "purpose": purpose,
                "invoice": invoiceNumber, "invoice_date": invoiceDate, "seller_tax_id": sellerTaxId, "product": line.product,
                "quantity": line.quantity, "unit": line.unit, "unit_price": line.unitPrice, "amount": line.amount,
            ]
            return TableRow(line: index + 1, cells: ImportLayouts.purchases.columns.map { values[$0.key] ?? "" })
        }
        return Table(fileName: "request", headers: Self.headers, rows: rows)
    }

    /// The headers of ``table(key:)``: the first of each column of the purchase layout.
    static let headers = ImportLayouts.purchases.columns.map { $0.headers[0] }

    /// Where ``headers`` put each column: the same for every request, so found once (it was
    /// about a tenth of a purchase POST's CPU on the server).
    static let mapping: ImportLayout.Mapping = {
        let (mapping, problems) = ImportLayouts.purchases.mapping(headers: headers)
        precondition(problems.isEmpty, "the purchase layout's own headers map without problems")
        return mapping
    }()

    /// The request field of an import column key.
    static func field(forColumnKey key: String, line: Int?) -> String? {
        switch key {
        case "key": return "Idempotency-Key"
        case "invoice": return "invoice_number"
        case "product", "quantity", "unit", "unit_price", "amount": return line.map { "lines[\($0 - 1)].\(key)" } ?? "lines"
        default: return key
        }
    }

    /// Import problems as a 422 whose `field` is the first problem's request field.
    static func validationError(_ errors: ImportErrors) -> APIError {
        var keyOfHeader: [String: String] = [:]
        for column in ImportLayouts.purchases.columns { for header in column.headers { keyOfHeader[header] = column.key } }
        let problems = errors.problems.map { problem in
            APIError.Problem(
                field: problem.column.flatMap { keyOfHeader[$0] }.flatMap { field(forColumnKey: $0, line: problem.line) } ?? problem.column,
                line: problem.line, message: problem.message)
        }
        return APIError(
            .unprocessableContent, "VALIDATION_FAILED", "采购单有 \(problems.count) 处错误：" + (problems.first?.message ?? ""),
            field: problems.first?.field, problems: problems)
    }
}

/// A stored purchase line, as the API shows it.
struct PurchaseLineView: Sendable, Encodable {
    var line: Int
    var product: String
    var productName: String
    var quantity: String
    var unit: String
    var unitPrice: String
    var amount: String
    var amountFen: Int64
    var eligible: Bool
    var reasonCodes: [String]
    var reasons: String
}

/// A stored purchase with its lines.
struct PurchaseView: Sendable, Encodable {
    var purchaseKey: String
    var enterprise: String
    var enterpriseName: String
    var supplier: String
    var supplierName: String
    var date: String
    var channel: String
    var purpose: String
    var invoiceNumber: String
    var invoiceDate: String
    var sellerTaxId: String
    var createdBy: String
    var totalFen: Int64
    var eligibleFen: Int64
    var lines: [PurchaseLineView]

    /// True when `records` (the parsed request) describe this purchase: a repeated request with
    /// the same Idempotency-Key must say the same thing.
    func matches(_ records: [PurchaseRowRecord]) -> Bool {
        guard records.count == lines.count, let first = records.first else { return false }
        guard first.enterpriseCreditCode == enterprise, first.supplierCreditCode == supplier, first.date.description == date,
              first.channel == channel, first.purpose == purpose, first.invoiceNumber == invoiceNumber,
              first.invoiceDate.description == invoiceDate, first.sellerTaxId == sellerTaxId
        else { return false }
        for (record, line) in zip(records, lines) {
            guard record.productCode == line.product, record.unit == line.unit, record.amount.fen == line.amountFen,
                  let quantity = try? Quantity.parse(line.quantity, field: "quantity"), quantity == record.quantity,
                  let price = try? UnitPrice.parse(line.unitPrice, field: "unit_price"), price == record.unitPrice
            else { return false }
        }
        return true
    }
}

extension PurchaseView {
    /// The view as the API answers it, with a final line feed: the bytes `JSONResponse.make`
    /// writes through `JSONEncoder` (snake-case keys, sorted, slashes unescaped), written
    /// member by member (``JSONBytes``), since a purchase POST answers with it every time.
    /// `PurchaseViewJSONTests` compares the two.
    func jsonLine() -> [UInt8] {
        var json = JSONBytes(capacity: 512 + 320 * lines.count)
        json.beginObject()
        json.key("channel")
        json.string(channel)
        json.key("created_by")
        json.string(createdBy)
        json.key("date")
        json.string(date)
        json.key("eligible_fen")
        json.integer(eligibleFen)
        json.key("enterprise")
        json.string(enterprise)
        json.key("enterprise_name")
        json.string(enterpriseName)
        json.key("invoice_date")
        json.string(invoiceDate)
        json.key("invoice_number")
        json.string(invoiceNumber)
        json.key("lines")
        json.beginArray()
        for line in lines { line.write(to: &json) }
        json.endArray()
        json.key("purchase_key")
        json.string(purchaseKey)
        json.key("purpose")
        json.string(purpose)
        json.key("seller_tax_id")
        json.string(sellerTaxId)
        json.key("supplier")
        json.string(supplier)
        json.key("supplier_name")
        json.string(supplierName)
        json.key("total_fen")
        json.integer(totalFen)
        json.endObject()
        return json.bytes + [UInt8(ascii: "\n")]
    }
}

extension PurchaseLineView {
    /// The line as one object of ``PurchaseView/jsonLine()``'s `lines`.
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("amount")
        json.string(amount)
        json.key("amount_fen")
        json.integer(amountFen)
        json.key("eligible")
        json.bool(eligible)
        json.key("line")
        json.integer(Int64(line))
        json.key("product")
        json.string(product)
        json.key("product_name")
        json.string(productName)
        json.key("quantity")
        json.string(quantity)
        json.key("reason_codes")
        json.strings(reasonCodes)
        json.key("reasons")
        json.string(reasons)
        json.key("unit")
        json.string(unit)
        json.key("unit_price")
        json.string(unitPrice)
        json.endObject()
    }
}

/// One purchase line in a listing, with its purchase's header.
struct PurchaseLineListing: Sendable, Encodable {
    var purchaseKey: String
    var enterprise: String
    var enterpriseName: String
    var supplier: String
    var supplierName: String
    var date: String
    var channel: String
    var invoiceNumber: String
    var line: Int
    var product: String
    var productName: String
    var quantity: String
    var unit: String
    var unitPrice: String
    var amount: String
    var amountFen: Int64
    var eligible: Bool
    var reasonCodes: [String]
    var reasons: String
}

/// Purchase queries. They carry no enterprise filter for clerks: run under ``Access/asUser``,
/// row-level security returns only the clerk's own enterprise's rows.
enum PurchaseQueries {
    static let select = columns + """
         FROM relief.purchases p JOIN relief.programs g ON g.id = p.program_id
        """ + details

    /// What ``line(_:)`` reads, in its order (`p` a purchase, then ``details``).
    static let columns = """
        SELECT p.purchase_key, e.credit_code, e.name, s.credit_code, s.name, p.purchase_date::text, p.channel, p.purpose,
               p.invoice_number, p.invoice_date::text, p.seller_tax_id, p.created_by,
               l.line, pr.code, pr.name, l.quantity::text, l.unit, l.unit_price, l.amount_fen, l.eligible,
               array_to_string(l.reason_codes, ','), l.reasons
        """

    /// The purchase `p`'s enterprise, supplier, lines and products.
    static let details = """

        JOIN relief.enterprises e ON e.id = p.enterprise_id JOIN relief.suppliers s ON s.id = p.supplier_id
        JOIN relief.purchase_lines l ON l.purchase_id = p.id JOIN relief.products pr ON pr.id = l.product_id
        """

    /// Purchases by key (distinct keys), one index probe each (``Purchases/purchasesByKeys``).
    static let byKeys = columns + Purchases.purchasesByKeys + details

    static func line(_ row: PostgresRow) throws -> PurchaseLineListing {
        let quantityText = try row.decode(String.self, at: 15)
        let quantity = (try? Quantity.parse(quantityText, field: "quantity"))?.description ?? quantityText
        let price = try row.decode(Int64.self, at: 17)
        let amount = try row.decode(Int64.self, at: 18)
        let codes = try row.decode(String.self, at: 20)
        return PurchaseLineListing(
            purchaseKey: try row.decode(String.self, at: 0), enterprise: try row.decode(String.self, at: 1),
            enterpriseName: try row.decode(String.self, at: 2), supplier: try row.decode(String.self, at: 3),
            supplierName: try row.decode(String.self, at: 4), date: try row.decode(String.self, at: 5), channel: try row.decode(String.self, at: 6),
            invoiceNumber: try row.decode(String.self, at: 8), line: try row.decode(Int.self, at: 12), product: try row.decode(String.self, at: 13),
            productName: try row.decode(String.self, at: 14), quantity: quantity, unit: try row.decode(String.self, at: 16),
            unitPrice: UnitPrice(tenThousandthsOfYuan: price)?.description ?? String(price), amount: Money(fen: amount).plain, amountFen: amount,
            eligible: try row.decode(Bool.self, at: 19), reasonCodes: codes.isEmpty ? [] : codes.split(separator: ",").map(String.init),
            reasons: try row.decode(String.self, at: 21))
    }

    /// One purchase by key, or nil when there is none (or RLS hides it).
    static func purchase(_ c: isolated Connection, programCode: String, key: String) throws -> PurchaseView? {
        let rows = try c.query(select + " WHERE g.code = $1 AND p.purchase_key = $2 ORDER BY l.line", [programCode, key]).rows
        return try view(rows)
    }

    /// Several purchases by distinct keys, in one query: those found (and not hidden by RLS), by key.
    static func purchases(_ c: isolated Connection, programCode: String, keys: [String]) throws -> [String: PurchaseView] {
        let statement = purchasesStatement(programCode: programCode, keys: keys)
        return try purchases(from: try c.query(statement.sql, statement.parameters, prepared: statement.prepared))
    }

    /// The query of ``purchases(_:programCode:keys:)``, to send in a pipeline with others.
    static func purchasesStatement(programCode: String, keys: [String]) -> PipelineStatement {
        PipelineStatement(byKeys + " ORDER BY p.purchase_key, l.line", [programCode, PostgresArray.text(keys)], prepared: true)
    }

    /// The purchases in the result of ``purchasesStatement(programCode:keys:)``, by key.
    static func purchases(from result: PostgresResult) throws -> [String: PurchaseView] {
        var byKey: [String: [PostgresRow]] = [:]
        for row in result.rows { byKey[try row.decode(String.self, at: 0), default: []].append(row) }
        return try byKey.compactMapValues { try view($0) }
    }

    /// The purchase of `rows` (one per line, in line order), or nil for none.
    private static func view(_ rows: [PostgresRow]) throws -> PurchaseView? {
        guard let first = rows.first else { return nil }
        let lines = try rows.map(line)
        return PurchaseView(
            purchaseKey: try first.decode(String.self, at: 0), enterprise: try first.decode(String.self, at: 1),
            enterpriseName: try first.decode(String.self, at: 2), supplier: try first.decode(String.self, at: 3),
            supplierName: try first.decode(String.self, at: 4), date: try first.decode(String.self, at: 5), channel: try first.decode(String.self, at: 6),
            purpose: try first.decode(String.self, at: 7), invoiceNumber: try first.decode(String.self, at: 8),
            invoiceDate: try first.decode(String.self, at: 9), sellerTaxId: try first.decode(String.self, at: 10),
            createdBy: try first.decode(String.self, at: 11), totalFen: lines.reduce(0) { $0 + $1.amountFen },
            eligibleFen: lines.filter(\.eligible).reduce(0) { $0 + $1.amountFen },
            lines: lines.map {
                PurchaseLineView(
                    line: $0.line, product: $0.product, productName: $0.productName, quantity: $0.quantity, unit: $0.unit, unitPrice: $0.unitPrice,
                    amount: $0.amount, amountFen: $0.amountFen, eligible: $0.eligible, reasonCodes: $0.reasonCodes, reasons: $0.reasons)
            })
    }

    /// Purchase lines of the program, newest first; only ineligible ones when asked; within a
    /// month when `period` is given.
    static func lines(_ c: isolated Connection, programCode: String, ineligibleOnly: Bool, period: Period?, limit: Int) throws -> [PurchaseLineListing] {
        var sql = select + " WHERE g.code = $1"
        var parameters: [(any PostgresEncodable)?] = [programCode]
        if ineligibleOnly { sql += " AND NOT l.eligible" }
        if let period {
            parameters += [period.firstDay.description, period.lastDay.description]
            sql += " AND p.purchase_date BETWEEN $2::date AND $3::date"
        }
        parameters.append(limit)
        sql += " ORDER BY p.purchase_date DESC, p.purchase_key, l.line LIMIT $\(parameters.count)"
        return try c.query(sql, parameters).rows.map(line)
    }
}
