import FuzzSupport
import ReliefCore

/// Validates the input as an uploaded purchase file, as Purchases.importPurchases does before
/// it reads the database: read the table (CSV or XLSX by content), map it onto the purchase
/// layout, parse every row into a record, and judge each record's eligibility against master
/// data made up from the record itself (the database lookups are not pure and not fuzzed).
///
/// Properties: nothing traps; the mapping keeps every row and its line; each row becomes a
/// record or problems on that row's line, never both; every record holds what the parser
/// promises (a positive amount within Money.maximumFen that agrees with quantity × unit price
/// within a fen, a valid invoice number, a known channel and purpose, non-empty key, product
/// and unit); judgments list each reason code at most once, in ReasonCode order; and every
/// problem and error renders.
func fuzzPurchaseImport(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    let table: Table
    do {
        table = try TableReader.read(input, fileName: "purchases.csv")
    } catch {
        require(!error.description.isEmpty && !error.chineseDescription.isEmpty, "empty message")
        return 0
    }
    let (rows, mapProblems) = ImportLayouts.purchases.map(table)
    require(rows.map(\.line) == table.rows.map(\.line), "mapping changed the lines")
    require(mapProblems.allSatisfy { $0.line == 1 && !$0.description.isEmpty }, "header problem off line 1")
    if !mapProblems.isEmpty {
        require(!ImportErrors(fileName: table.fileName, problems: mapProblems).description.isEmpty, "empty message")
        return 0
    }

    let (records, problems) = RecordParser.purchases(rows)
    let recordLines = Set(records.map(\.line))
    let problemLines = Set(problems.compactMap(\.line))
    require(problems.allSatisfy { $0.line != nil && $0.column != nil }, "a row problem without its place")
    // An XLSX file may give two rows the same number (its `r` attribute); lines then say less.
    if Set(rows.map(\.line)).count == rows.count {
        require(recordLines.isDisjoint(with: problemLines), "a line is both a record and a problem")
        require(records.count + problemLines.count == rows.count, "a row is neither a record nor a problem")
    }
    require(recordLines.union(problemLines) == Set(rows.map(\.line)), "a row is neither a record nor a problem")
    require(!ImportErrors(fileName: table.fileName, problems: problems).description.isEmpty, "empty message")

    for record in records {
        require(record.amount.fen > 0 && record.amount.fen <= Money.maximumFen, "line \(record.line): amount \(record.amount.fen)")
        require(
            LineAmount.agrees(amountFen: record.amount.fen, quantity: record.quantity, unitPrice: record.unitPrice),
            "line \(record.line): \(record.amount.fen) fen ≠ \(record.quantity) × \(record.unitPrice)")
        require(
            (try? InvoiceNumber.validate(record.invoiceNumber, field: "invoice")) == record.invoiceNumber,
            "line \(record.line): invoice \(record.invoiceNumber.debugDescription)")
        require(ImportLayouts.channels.contains(record.channel), "line \(record.line): channel \(record.channel)")
        require(ImportLayouts.purposes.contains(record.purpose), "line \(record.line): purpose \(record.purpose)")
        require(!record.key.isEmpty && !record.productCode.isEmpty && !record.unit.isEmpty, "line \(record.line): empty text")
        for code in [record.enterpriseCreditCode, record.supplierCreditCode, record.sellerTaxId] {
            require(
                (try? CreditCode.validate(code, field: "code")) == code,
                "line \(record.line): credit code \(code.debugDescription) does not validate again")
        }

        let judgment = EligibilityRules.judge(facts(for: record), program: program)
        let codes = judgment.reasons.map(\.code)
        let order = codes.map { ReasonCode.allCases.firstIndex(of: $0)! }
        require(order == order.sorted() && Set(codes).count == codes.count, "line \(record.line): reasons \(codes)")
        require(judgment.isEligible == codes.isEmpty, "isEligible disagrees with the reasons")
        require(judgment.reasons.allSatisfy { !$0.message.isEmpty }, "a reason without a message")
    }
    return 0
}

/// The programme the fuzzer judges against: the demo's paired county.
let program = ProgramFacts(
    pairedCounty: "宣恩县", townships: ["珠山镇", "椒园镇", "沙道沟镇"], eligibleChannels: ["832平台", "直采"])

/// Master data made up from the record, varied by its line so that every rule both passes and
/// fails somewhere: certifications that do or do not cover the date, origins in and out of the
/// county, a price band around the price or away from it, a prohibited category.
func facts(for record: PurchaseRowRecord) -> LineFacts {
    let variant = record.line
    let from = LocalDate(year: 2020, month: 1, day: 1)!
    let to = variant % 3 == 0 ? LocalDate(year: 2020, month: 3, day: 31)! : nil
    let certifications = variant % 5 == 0 ? [] : [Certification(number: "C-\(variant)", validFrom: from, validTo: to)]
    let price = record.unitPrice.tenThousandthsOfYuan
    let low = UnitPrice(tenThousandthsOfYuan: variant % 4 == 0 ? price + 1 : max(1, price / 2))
    let high = UnitPrice(tenThousandthsOfYuan: variant % 7 == 0 ? max(1, price - 1) : price)
    return LineFacts(
        purchaseDate: record.date, channel: record.channel,
        supplier: SupplierFacts(
            code: record.supplierCreditCode, name: "供应商", creditCode: record.supplierCreditCode,
            certifications: certifications),
        product: ProductFacts(
            code: record.productCode, name: record.productCode, category: variant % 11 == 0 ? "购物卡" : record.unit,
            originTownship: variant % 2 == 0 ? "珠山镇" : record.unit, certifications: variant % 6 == 0 ? certifications : [],
            priceMin: low, priceMax: high),
        unitPrice: record.unitPrice, invoiceNumber: record.invoiceNumber, invoiceUsedElsewhere: variant % 9 == 0,
        sellerTaxId: record.sellerTaxId)
}
