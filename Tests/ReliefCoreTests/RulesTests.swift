import Foundation
import ReliefCore
import Testing

// MARK: - Fixtures

/// A date from `YYYY-MM-DD`; the texts below are all valid.
private func day(_ text: String) -> LocalDate {
    guard let date = LocalDate(parsing: text) else {
        preconditionFailure("bad fixture date \(text)")
    }
    return date
}

/// A unit price from text; the texts below are all valid.
private func price(_ text: String) -> UnitPrice {
    do {
        return try UnitPrice.parse(text, field: "unit price")
    } catch {
        preconditionFailure("bad fixture price \(text): \(error)")
    }
}

/// A quantity from text; the texts below are all valid.
private func quantity(_ text: String) -> Quantity {
    do {
        return try Quantity.parse(text, field: "quantity")
    } catch {
        preconditionFailure("bad fixture quantity \(text): \(error)")
    }
}

private let creditCode = "91350200776049653A"

private let program = ProgramFacts(
    pairedCounty: "宣恩县", townships: ["珠山镇", "椒园镇", "沙道沟镇", "李家河镇"], eligibleChannels: ["832平台", "直采"])

/// A line that passes every rule: supplier certified for 2020, product needing no certificate
/// of its own, origin in the paired county, price inside the band 100…300, fresh invoice,
/// matching seller tax id, tea (not prohibited), eligible channel.
private func eligibleLine() -> LineFacts {
    LineFacts(
        purchaseDate: day("2020-05-12"), channel: "直采",
        supplier: SupplierFacts(
            code: "S001", name: "宣恩县伍家台茶业有限公司", creditCode: creditCode,
            certifications: [
                Certification(number: "FP-2020-001", validFrom: day("2020-01-01"), validTo: day("2020-12-31"))
            ]),
        product: ProductFacts(
            code: "P001", name: "伍家台贡茶", category: "茶叶", originTownship: "椒园镇", certifications: [],
            priceMin: price("100"), priceMax: price("300")),
        unitPrice: price("200"), invoiceNumber: "12345678", invoiceUsedElsewhere: false,
        sellerTaxId: creditCode)
}

/// Changes an eligible line so that exactly the rule of `code` fails.
private func breaking(_ code: ReasonCode, _ line: LineFacts) -> LineFacts {
    var line = line
    switch code {
    case .supplierUncertified:
        line.supplier.certifications = [
            Certification(number: "FP-2019-007", validFrom: day("2019-01-01"), validTo: day("2020-04-30"))
        ]
    case .productUncertified:
        line.product.certifications = [
            Certification(number: "LS-01", validFrom: day("2020-06-01"), validTo: nil)
        ]
    case .originOutside:
        line.product.originTownship = "翔凤镇"
    case .priceOutOfBand:
        line.unitPrice = price("300.0001")
    case .invoiceDuplicate:
        line.invoiceUsedElsewhere = true
    case .sellerTaxIdMismatch:
        line.sellerTaxId = "91420000MA4F1234X1"
    case .prohibitedItem:
        line.product.category = "购物卡"
    case .channelIneligible:
        line.channel = "商超"
    }
    return line
}

private func codes(_ line: LineFacts) -> [ReasonCode] {
    EligibilityRules.judge(line, program: program).reasons.map(\.code)
}

// MARK: - Eligibility

@Suite("Rules: eligibility")
struct RulesEligibilityTests {
    @Test("the base line is eligible")
    func baseLineEligible() {
        let judgment = EligibilityRules.judge(eligibleLine(), program: program)
        #expect(judgment.isEligible)
        #expect(judgment.reasons.isEmpty)
    }

    @Test("each reason is triggered on its own", arguments: ReasonCode.allCases)
    func eachReasonAlone(code: ReasonCode) {
        let judgment = EligibilityRules.judge(breaking(code, eligibleLine()), program: program)
        #expect(!judgment.isEligible)
        #expect(judgment.reasons.map(\.code) == [code])
        #expect(judgment.reasons.allSatisfy { !$0.message.isEmpty })
    }

    @Test("several reasons are all listed, in ReasonCode order")
    func severalReasons() {
        var line = eligibleLine()
        for code in [ReasonCode.channelIneligible, .invoiceDuplicate, .supplierUncertified] {
            line = breaking(code, line)
        }
        #expect(codes(line) == [.supplierUncertified, .invoiceDuplicate, .channelIneligible])

        var everything = eligibleLine()
        for code in ReasonCode.allCases.reversed() {
            everything = breaking(code, everything)
        }
        #expect(codes(everything) == ReasonCode.allCases)
    }

    @Test("the supplier message names the supplier, the date and each certificate")
    func supplierMessage() {
        let judgment = EligibilityRules.judge(
            breaking(.supplierUncertified, eligibleLine()), program: program)
        #expect(
            judgment.reasons.first?.message
                == "供应商 宣恩县伍家台茶业有限公司（S001）在 2020-05-12 无有效认证（证书 FP-2019-007 有效期 2019-01-01 至 2020-04-30）")

        var none = eligibleLine()
        none.supplier.certifications = []
        #expect(
            EligibilityRules.judge(none, program: program).reasons.first?.message
                == "供应商 宣恩县伍家台茶业有限公司（S001）在 2020-05-12 无有效认证（无认证记录）")
    }

    @Test("other messages carry their specifics")
    func otherMessages() {
        func message(_ code: ReasonCode) -> String {
            EligibilityRules.judge(breaking(code, eligibleLine()), program: program).reasons.first?.message
                ?? ""
        }
        #expect(
            message(.productUncertified) == "产品 伍家台贡茶（P001）在 2020-05-12 无有效认证（证书 LS-01 自 2020-06-01 起长期有效）")
        #expect(message(.originOutside) == "产品 伍家台贡茶（P001）产地 翔凤镇 不属于结对县 宣恩县 的乡镇")
        #expect(message(.priceOutOfBand) == "产品 伍家台贡茶（P001）单价 300.0001 元高于参考价上限 300 元（参考价 100 至 300 元）")
        #expect(message(.invoiceDuplicate).contains("12345678"))
        #expect(message(.sellerTaxIdMismatch).contains("91420000MA4F1234X1"))
        #expect(message(.sellerTaxIdMismatch).contains(creditCode))
        #expect(message(.prohibitedItem).contains("购物卡"))
        #expect(message(.channelIneligible) == "采购渠道 商超 不在本期规则认可的渠道内（认可渠道：832平台、直采）")
    }

    @Test(
        "supplier certificate 2020-01-01…2020-12-31 covers both end dates and nothing outside",
        arguments: [
            ("2019-12-31", false), ("2020-01-01", true), ("2020-05-12", true), ("2020-12-31", true),
            ("2021-01-01", false),
        ])
    func supplierBoundaries(date: String, eligible: Bool) {
        var line = eligibleLine()
        line.purchaseDate = day(date)
        #expect(codes(line) == (eligible ? [] : [.supplierUncertified]))
    }

    @Test("an open-ended certificate covers every later date")
    func openEnded() {
        var line = eligibleLine()
        line.supplier.certifications = [
            Certification(number: "FP-OPEN", validFrom: day("2020-01-01"), validTo: nil)
        ]
        line.purchaseDate = day("2099-12-31")
        #expect(codes(line) == [])
        line.purchaseDate = day("2019-12-31")
        #expect(codes(line) == [.supplierUncertified])
    }

    @Test("a supplier that lost its certification is eligible up to the last day only")
    func lostCertification() {
        var line = breaking(.supplierUncertified, eligibleLine())  // certified 2019-01-01…2020-04-30
        line.purchaseDate = day("2020-04-30")
        #expect(codes(line) == [])
        line.purchaseDate = day("2020-05-01")
        #expect(codes(line) == [.supplierUncertified])
    }

    @Test("any one of several certificates suffices; a gap between them does not")
    func severalCertificates() {
        var line = eligibleLine()
        line.supplier.certifications = [
            Certification(number: "A", validFrom: day("2019-01-01"), validTo: day("2019-12-31")),
            Certification(number: "B", validFrom: day("2020-03-01"), validTo: day("2020-12-31")),
        ]
        line.purchaseDate = day("2020-03-01")
        #expect(codes(line) == [])
        line.purchaseDate = day("2020-02-29")
        let reasons = EligibilityRules.judge(line, program: program).reasons
        #expect(reasons.map(\.code) == [.supplierUncertified])
        #expect(
            reasons.first?.message.contains(
                "证书 A 有效期 2019-01-01 至 2019-12-31；证书 B 有效期 2020-03-01 至 2020-12-31") == true)
    }

    @Test("a product certificate is checked on its boundary dates")
    func productBoundaries() {
        var line = eligibleLine()
        line.product.certifications = [
            Certification(number: "LS", validFrom: day("2020-05-12"), validTo: day("2020-05-31"))
        ]
        #expect(codes(line) == [])
        line.purchaseDate = day("2020-05-31")
        #expect(codes(line) == [])
        line.purchaseDate = day("2020-06-01")
        #expect(codes(line) == [.productUncertified])
        line.purchaseDate = day("2020-05-11")
        #expect(codes(line) == [.productUncertified])
    }

    @Test(
        "price exactly at the band edges is eligible, one ten-thousandth outside is not",
        arguments: [
            ("100", true), ("300", true), ("99.9999", false), ("300.0001", false), ("100.0001", true),
        ])
    func priceBand(text: String, eligible: Bool) {
        var line = eligibleLine()
        line.unitPrice = price(text)
        #expect(codes(line) == (eligible ? [] : [.priceOutOfBand]))
    }

    @Test("a band without bounds does not limit the price")
    func openBand() {
        var line = eligibleLine()
        line.product.priceMin = nil
        line.product.priceMax = nil
        line.unitPrice = price("0.0001")
        #expect(codes(line) == [])
        line.unitPrice = price("99,999,999.9999")
        #expect(codes(line) == [])
        line.product.priceMin = price("1")
        line.unitPrice = price("0.9999")
        #expect(codes(line) == [.priceOutOfBand])
    }

    @Test("an unknown or blank origin is outside the county; surrounding spaces are ignored")
    func origin() {
        var line = eligibleLine()
        line.product.originTownship = nil
        #expect(codes(line) == [.originOutside])
        line.product.originTownship = "  "
        #expect(codes(line) == [.originOutside])
        line.product.originTownship = " 椒园镇 "
        #expect(codes(line) == [])
    }

    @Test("the seller tax id is compared ignoring surrounding spaces and letter case; blank mismatches")
    func sellerTaxId() {
        var line = eligibleLine()
        line.sellerTaxId = " 91350200776049653a "
        #expect(codes(line) == [])
        line.sellerTaxId = ""
        #expect(codes(line) == [.sellerTaxIdMismatch])
        line.sellerTaxId = "91350200776049653B"
        #expect(codes(line) == [.sellerTaxIdMismatch])
    }

    @Test(
        "prohibited items are caught by category or by name",
        arguments: ["现金", "购物卡", "储值卡", "充值卡", "礼品卡", "代金券"])
    func prohibited(term: String) {
        var byCategory = eligibleLine()
        byCategory.product.category = term
        #expect(codes(byCategory) == [.prohibitedItem])
        var byName = eligibleLine()
        byName.product.name = "伍家台贡茶" + term
        #expect(codes(byName) == [.prohibitedItem])
    }

    @Test("a judgment round-trips through JSON with stable codes")
    func judgmentJSON() throws {
        let judgment = EligibilityRules.judge(breaking(.invoiceDuplicate, eligibleLine()), program: program)
        let data = try JSONEncoder().encode(judgment)
        #expect(String(decoding: data, as: UTF8.self).contains("\"INVOICE_DUPLICATE\""))
        #expect(try JSONDecoder().decode(Judgment.self, from: data) == judgment)
    }
}

// MARK: - Invoice numbers

@Suite("Rules: invoice numbers")
struct RulesInvoiceNumberTests {
    @Test("8 and 20 digits are accepted, trimmed")
    func accepted() throws {
        #expect(try InvoiceNumber.validate("12345678", field: "发票号码") == "12345678")
        #expect(try InvoiceNumber.validate(" 00123456\t", field: "发票号码") == "00123456")
        #expect(try InvoiceNumber.validate("24422000000012345678", field: "发票号码") == "24422000000012345678")
    }

    @Test(
        "other forms are rejected with the right reason",
        arguments: [
            ("", InvoiceNumberError.Reason.empty),
            ("   ", .empty),
            ("1234567", .wrongLength(7)),
            ("123456789", .wrongLength(9)),
            ("1234567890", .looksLikeInvoiceCode(10)),
            ("123456789012", .looksLikeInvoiceCode(12)),
            ("2442200000001234567", .wrongLength(19)),
            ("244220000000123456789", .wrongLength(21)),
            ("1234567a", .invalidCharacter("a", position: 8)),
            ("1234 5678", .invalidCharacter(" ", position: 5)),
            ("１２３４５６７８", .invalidCharacter("１", position: 1)),
            ("No.12345678", .invalidCharacter("N", position: 1)),
        ])
    func rejected(text: String, reason: InvoiceNumberError.Reason) {
        #expect(throws: InvoiceNumberError(field: "发票号码", value: text, reason: reason)) {
            try InvoiceNumber.validate(text, field: "发票号码")
        }
    }

    @Test("messages name the field and the text, in English and Chinese")
    func messages() {
        let error = InvoiceNumberError(
            field: "invoice", value: "1234567890", reason: .looksLikeInvoiceCode(10))
        #expect(error.description.hasPrefix("invoice \"1234567890\": "))
        #expect(error.description.contains("invoice code"))
        #expect(error.chineseDescription.contains("发票代码"))
        let length = InvoiceNumberError(field: "invoice", value: "123", reason: .wrongLength(3))
        #expect(length.chineseDescription.contains("实际为 3 位"))
    }
}

// MARK: - Quantities, unit prices, line amounts

@Suite("Rules: quantities and prices")
struct RulesQuantityAndPriceTests {
    @Test(
        "quantities parse exactly",
        arguments: [
            ("12", Int64(12_000)), ("12.5", 12_500), ("1,000.125", 1_000_125), ("0.001", 1), (" 3 ", 3_000),
            ("007.250", 7_250), ("99,999,999,999.999", 99_999_999_999_999),
        ])
    func quantityAccepted(text: String, thousandths: Int64) throws {
        #expect(try Quantity.parse(text, field: "quantity").thousandths == thousandths)
    }

    @Test(
        "quantities are rejected with the right reason",
        arguments: [
            ("", QuantityError.Reason.empty),
            ("0", .notPositive),
            ("0.000", .notPositive),
            ("-5", .notPositive),
            ("1.0005", .tooManyDecimalPlaces(maximumPlaces: 3)),
            ("1.0000", .tooManyDecimalPlaces(maximumPlaces: 3)),
            ("1e3", .exponentNotation),
            ("1.5E2", .exponentNotation),
            ("100,000,000,000", .exceedsMaximum(maximum: "99,999,999,999.999")),
            ("99999999999999999999999", .exceedsMaximum(maximum: "99,999,999,999.999")),
            ("1,00", .invalidGrouping(ungrouped: "100")),
            ("1.2.3", .multipleDecimalPoints),
            (".5", .missingDigit(suggestion: "0.5")),
            ("5.", .missingDigit(suggestion: "5")),
            ("+5", .invalidCharacter("+", position: 1)),
            ("12kg", .invalidCharacter("k", position: 3)),
            ("¥5", .invalidCharacter("¥", position: 1)),
            ("-", .noDigits),
        ])
    func quantityRejected(text: String, reason: QuantityError.Reason) {
        #expect(throws: QuantityError(field: "quantity", value: text, reason: reason)) {
            try Quantity.parse(text, field: "quantity")
        }
    }

    @Test("quantities print in their shortest exact form")
    func quantityDescription() {
        #expect(quantity("12.500").description == "12.5")
        #expect(quantity("1,000.125").description == "1000.125")
        #expect(quantity("1,000.125").formatted == "1,000.125")
        #expect(quantity("3").description == "3")
        #expect(quantity("0.001").description == "0.001")
        #expect(quantity("10.100").description == "10.1")
        #expect(Quantity(thousandths: 0) == nil)
        #expect(Quantity(thousandths: Quantity.maximumThousandths + 1) == nil)
        #expect(quantity("2") < quantity("2.001"))
    }

    @Test("quantity errors read well in English and Chinese")
    func quantityMessages() {
        let zero = QuantityError(field: "quantity", value: "0", reason: .notPositive)
        #expect(zero.description == "quantity \"0\": must be positive (greater than zero)")
        #expect(zero.chineseDescription == "quantity \"0\" 数量必须大于零")
        let places = QuantityError(
            field: "数量", value: "1.0005", reason: .tooManyDecimalPlaces(maximumPlaces: 3))
        #expect(places.chineseDescription == "数量 \"1.0005\" 最多 3 位小数")
    }

    @Test(
        "unit prices parse exactly",
        arguments: [
            ("12.5", Int64(125_000)), ("3.3333", 33_333), ("1,200", 12_000_000), ("¥8", 80_000),
            ("￥0.0001", 1),
            ("99,999,999.9999", 999_999_999_999),
        ])
    func priceAccepted(text: String, tenThousandths: Int64) throws {
        #expect(try UnitPrice.parse(text, field: "unit price").tenThousandthsOfYuan == tenThousandths)
    }

    @Test(
        "unit prices are rejected with the right reason",
        arguments: [
            ("3.33333", UnitPriceError.Reason.tooManyDecimalPlaces(maximumPlaces: 4)),
            ("0", .notPositive),
            ("0.0000", .notPositive),
            ("-1", .notPositive),
            ("¥-1", .notPositive),
            ("100,000,000", .exceedsMaximum(maximum: "99,999,999.9999")),
            ("1e2", .exponentNotation),
            ("", .empty),
            ("¥", .noDigits),
        ])
    func priceRejected(text: String, reason: UnitPriceError.Reason) {
        #expect(throws: UnitPriceError(field: "unit price", value: text, reason: reason)) {
            try UnitPrice.parse(text, field: "unit price")
        }
    }

    @Test("unit prices print in their shortest exact form")
    func priceDescription() {
        #expect(price("12.5000").description == "12.5")
        #expect(price("3.3333").description == "3.3333")
        #expect(price("1,200").description == "1200")
        #expect(price("1,200.5").formatted == "1,200.5")
        #expect(price("0.0001").description == "0.0001")
    }

    @Test("quantities and prices encode as bare integers and refuse invalid values")
    func codable() throws {
        let encoded = try JSONEncoder().encode([quantity("12.5")])
        #expect(String(decoding: encoded, as: UTF8.self) == "[12500]")
        #expect(try JSONDecoder().decode([Quantity].self, from: encoded) == [quantity("12.5")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Quantity].self, from: Data("[0]".utf8))
        }
        let priceData = try JSONEncoder().encode([price("3.3333")])
        #expect(String(decoding: priceData, as: UTF8.self) == "[33333]")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([UnitPrice].self, from: Data("[-1]".utf8))
        }
    }

    @Test("12.5 × 3.3333 = 4,166.625 fen: 4167 expected; 4166 and 4167 agree, 4165 and 4168 do not")
    func lineAmountExample() {
        let q = quantity("12.5")
        let p = price("3.3333")
        #expect(LineAmount.expectedFen(quantity: q, unitPrice: p) == 4_167)
        #expect(LineAmount.agrees(amountFen: 4_167, quantity: q, unitPrice: p))
        #expect(LineAmount.agrees(amountFen: 4_166, quantity: q, unitPrice: p))
        #expect(!LineAmount.agrees(amountFen: 4_168, quantity: q, unitPrice: p))
        #expect(!LineAmount.agrees(amountFen: 4_165, quantity: q, unitPrice: p))
        #expect(!LineAmount.agrees(amountFen: -4_167, quantity: q, unitPrice: p))
    }

    @Test("agreement is judged on the exact product, not on the rounded one")
    func agreementExact() {
        // 1 × 1.004 元 = 100.4 fen: 99 is 1.4 fen away although the rounded product is 100.
        let q = quantity("1")
        let p = price("1.004")
        #expect(LineAmount.expectedFen(quantity: q, unitPrice: p) == 100)
        #expect(!LineAmount.agrees(amountFen: 99, quantity: q, unitPrice: p))
        #expect(LineAmount.agrees(amountFen: 100, quantity: q, unitPrice: p))
        #expect(LineAmount.agrees(amountFen: 101, quantity: q, unitPrice: p))
        #expect(!LineAmount.agrees(amountFen: 102, quantity: q, unitPrice: p))
        // A whole number of fen: 2 × 1.5 = 300 fen; 299…301 agree.
        let whole = (quantity("2"), price("1.5"))
        #expect(LineAmount.expectedFen(quantity: whole.0, unitPrice: whole.1) == 300)
        #expect(
            (298...302).filter { LineAmount.agrees(amountFen: $0, quantity: whole.0, unitPrice: whole.1) }
                == [299, 300, 301])
    }

    @Test("line amounts round half-up to the fen")
    func lineAmountRounding() {
        #expect(LineAmount.expectedFen(quantity: quantity("1"), unitPrice: price("0.005")) == 1)
        #expect(LineAmount.expectedFen(quantity: quantity("1"), unitPrice: price("0.0049")) == 0)
        #expect(LineAmount.expectedFen(quantity: quantity("0.001"), unitPrice: price("0.0001")) == 0)
        #expect(LineAmount.agrees(amountFen: 0, quantity: quantity("0.001"), unitPrice: price("0.0001")))
        #expect(LineAmount.expectedFen(quantity: quantity("3"), unitPrice: price("0.0050")) == 2)  // 1.5 fen
    }

    @Test("products beyond 64 bits are exact; beyond Int64 fen the expectation saturates")
    func lineAmountWide() {
        // 99,999,999,999.999 × 12,345.6789 元 = 123,456,788,999,998,765.43211 fen.
        let q = quantity("99,999,999,999.999")
        let p = price("12,345.6789")
        #expect(LineAmount.expectedFen(quantity: q, unitPrice: p) == 123_456_788_999_998_765)
        #expect(LineAmount.agrees(amountFen: 123_456_788_999_998_765, quantity: q, unitPrice: p))
        #expect(LineAmount.agrees(amountFen: 123_456_788_999_998_766, quantity: q, unitPrice: p))
        #expect(!LineAmount.agrees(amountFen: 123_456_788_999_998_764, quantity: q, unitPrice: p))
        let top = price("99,999,999.9999")
        #expect(LineAmount.expectedFen(quantity: q, unitPrice: top) == Int64.max)
        #expect(!LineAmount.agrees(amountFen: Int64.max, quantity: q, unitPrice: top))
    }
}

// MARK: - Subsidy

@Suite("Rules: subsidy")
struct RulesSubsidyTests {
    /// 10%, 300.00 per member, 50,000.00 per enterprise.
    static let rule = SubsidyRule(
        version: 1, rateBasisPoints: 1_000, perMemberCapFen: 30_000, perEnterpriseCapFen: 5_000_000,
        eligibleChannels: ["832平台", "直采"], effectiveFrom: day("2020-01-01"))

    private func one(
        _ eligibleFen: Int64, members: Int = 1_000, approvedFen: Int64 = 0, fundFen: Int64 = 100_000_000,
        rule: SubsidyRule = RulesSubsidyTests.rule
    ) -> SubsidyProposal? {
        let input = SubsidyInput(
            enterpriseCode: "E001", eligibleAmountFen: eligibleFen, members: members,
            alreadyApprovedFen: approvedFen)
        let proposals = SubsidyFormula.propose(rule: rule, inputs: [input], fundRemainingFen: fundFen)
        return proposals.count == 1 ? proposals[0] : nil
    }

    @Test("the rate binds: 10% × 32,504.00 = 3,250.40, with the working shown")
    func rateBinds() throws {
        let proposal = try #require(one(3_250_400, members: 100))
        #expect(proposal.amountFen == 325_040)
        #expect(proposal.binding == .rate)
        #expect(proposal.enterpriseCode == "E001")
        #expect(proposal.steps.map(\.amountFen) == [325_040, 3_000_000, 5_000_000, 100_000_000, 325_040])
        #expect(proposal.steps.first?.label == "补助比例 10% × 合格采购额 32,504.00")
        #expect(proposal.steps[1].label == "会员人均上限 300.00 × 会员 100 人")
    }

    @Test("the member cap binds: 20 members × 300.00 = 6,000.00")
    func memberCapBinds() throws {
        let proposal = try #require(one(10_000_000, members: 20))
        #expect(proposal.amountFen == 600_000)
        #expect(proposal.binding == .memberCap)
    }

    @Test("the enterprise cap binds: 50,000.00")
    func enterpriseCapBinds() throws {
        let proposal = try #require(one(100_000_000, members: 1_000))
        #expect(proposal.amountFen == 5_000_000)
        #expect(proposal.binding == .enterpriseCap)
    }

    @Test("the fund binds: only 2,000.00 left")
    func fundBinds() throws {
        let proposal = try #require(one(3_250_400, members: 100, fundFen: 200_000))
        #expect(proposal.amountFen == 200_000)
        #expect(proposal.binding == .fund)
        #expect(proposal.steps[3].label == "专项资金余额 2,000.00")
    }

    @Test("earlier approvals reduce both caps, floored at zero")
    func alreadyApproved() throws {
        let enterprise = try #require(one(100_000_000, members: 1_000, approvedFen: 4_800_000))
        #expect(enterprise.amountFen == 200_000)
        #expect(enterprise.binding == .enterpriseCap)
        #expect(enterprise.steps[2].label == "单位上限 50,000.00 − 本年度已核定 48,000.00")

        let member = try #require(one(10_000_000, members: 20, approvedFen: 500_000))
        #expect(member.amountFen == 100_000)
        #expect(member.binding == .memberCap)

        let overMember = try #require(one(10_000_000, members: 20, approvedFen: 700_000))
        #expect(overMember.amountFen == 0)
        #expect(overMember.binding == .memberCap)
        #expect(overMember.steps[1].amountFen == 0)

        let overEnterprise = try #require(one(100_000_000, members: 1_000, approvedFen: 6_000_000))
        #expect(overEnterprise.amountFen == 0)
        #expect(overEnterprise.binding == .enterpriseCap)
        #expect(overEnterprise.steps[2].amountFen == 0)
    }

    @Test("the fund runs out across enterprises in code order, whatever the input order")
    func fundRunsOut() {
        let inputs = ["E003", "E004", "E001", "E002"].map {
            SubsidyInput(
                enterpriseCode: $0, eligibleAmountFen: 3_000_000, members: 1_000, alreadyApprovedFen: 0)
        }
        let proposals = SubsidyFormula.propose(rule: Self.rule, inputs: inputs, fundRemainingFen: 700_000)
        #expect(proposals.map(\.enterpriseCode) == ["E001", "E002", "E003", "E004"])
        #expect(proposals.map(\.amountFen) == [300_000, 300_000, 100_000, 0])
        #expect(proposals.map(\.binding) == [.rate, .rate, .fund, .fund])
        #expect(proposals.map { $0.steps[3].amountFen } == [700_000, 400_000, 100_000, 0])
    }

    @Test(
        "the rate amount rounds half-up to the fen",
        arguments: [
            (Int64(1), 5_000, Int64(1)), (1, 4_999, 0), (3, 5_000, 2), (5, 1_000, 1), (4, 1_000, 0),
            (15, 1_000, 2),
            (14, 1_000, 1), (1, 10_000, 1), (12_345, 0, 0),
        ])
    func halfUp(eligibleFen: Int64, rateBasisPoints: Int, expectedFen: Int64) throws {
        var rule = Self.rule
        rule.rateBasisPoints = rateBasisPoints
        let proposal = try #require(one(eligibleFen, rule: rule))
        #expect(proposal.amountFen == expectedFen)
        #expect(proposal.binding == .rate)
    }

    @Test("zero eligible amount gives 0 bound by the rate, even when the fund is empty too")
    func zeroEligible() throws {
        let proposal = try #require(one(0))
        #expect(proposal.amountFen == 0)
        #expect(proposal.binding == .rate)
        let empty = try #require(one(0, fundFen: 0))
        #expect(empty.binding == .rate)
        let negative = try #require(one(-5_000))
        #expect(negative.amountFen == 0)
        #expect(negative.binding == .rate)
    }

    @Test("ties go to rate, then member cap, then enterprise cap, then fund")
    func ties() throws {
        // rate 6,000.00 = member cap 20 × 300.00.
        let rateMember = try #require(one(6_000_000, members: 20))
        #expect(rateMember.binding == .rate)
        // member cap 50,000.00 = enterprise cap < rate.
        var rule = Self.rule
        rule.perMemberCapFen = 50_000
        let exact = try #require(one(100_000_000, members: 100, rule: rule))  // 100 × 500.00 = 50,000.00
        #expect(exact.amountFen == 5_000_000)
        #expect(exact.binding == .memberCap)
        let enterpriseFund = try #require(one(100_000_000, members: 1_000, fundFen: 5_000_000))
        #expect(enterpriseFund.binding == .enterpriseCap)
    }

    @Test("huge figures do not overflow")
    func noOverflow() throws {
        var rule = Self.rule
        rule.rateBasisPoints = 10_000
        rule.perEnterpriseCapFen = Int64.max
        let full = try #require(one(Int64.max, members: Int.max, fundFen: Int64.max, rule: rule))
        #expect(full.amountFen == Int64.max)
        #expect(full.binding == .rate)
        rule.rateBasisPoints = 9_999
        let almost = try #require(one(Int64.max, members: Int.max, fundFen: Int64.max, rule: rule))
        // ⌊(2⁶³−1) × 9999 / 10000 + ½⌋
        #expect(almost.amountFen == 9_222_449_699_651_090_329)
    }

    @Test("a repeated enterprise code counts its earlier proposal against its caps")
    func repeatedCode() {
        let input = SubsidyInput(
            enterpriseCode: "E001", eligibleAmountFen: 30_000_000, members: 1_000, alreadyApprovedFen: 0)
        let proposals = SubsidyFormula.propose(
            rule: Self.rule, inputs: [input, input], fundRemainingFen: 100_000_000)
        #expect(proposals.map(\.amountFen) == [3_000_000, 2_000_000])
        #expect(proposals.map(\.binding) == [.rate, .enterpriseCap])
    }

    @Test("rule validation rejects nonsense")
    func validation() throws {
        try Self.rule.validate()
        var rule = Self.rule
        rule.rateBasisPoints = 10_001
        #expect(throws: SubsidyRuleError(version: 1, reason: .rateOutOfRange(10_001))) { try rule.validate() }
        rule.rateBasisPoints = -1
        #expect(throws: SubsidyRuleError(version: 1, reason: .rateOutOfRange(-1))) { try rule.validate() }
        rule = Self.rule
        rule.perMemberCapFen = -1
        #expect(throws: SubsidyRuleError(version: 1, reason: .negativePerMemberCap(-1))) {
            try rule.validate()
        }
        rule = Self.rule
        rule.perEnterpriseCapFen = -1
        #expect(throws: SubsidyRuleError(version: 1, reason: .negativePerEnterpriseCap(-1))) {
            try rule.validate()
        }
        rule = Self.rule
        rule.version = 0
        #expect(throws: SubsidyRuleError(version: 0, reason: .versionNotPositive)) { try rule.validate() }
        rule = Self.rule
        rule.rateBasisPoints = 0
        rule.perMemberCapFen = 0
        rule.perEnterpriseCapFen = 0
        try rule.validate()
    }

    @Test("a proposal round-trips through JSON")
    func proposalJSON() throws {
        let proposal = try #require(one(3_250_400, members: 100))
        let data = try JSONEncoder().encode(proposal)
        #expect(String(decoding: data, as: UTF8.self).contains("\"binding\":\"rate\""))
        #expect(try JSONDecoder().decode(SubsidyProposal.self, from: data) == proposal)
    }
}
