// Judging whether one purchase line of the consumer-aid programme (消费帮扶) is eligible, with
// every reason kept. Pure: the caller gathers the facts (certifications, reference prices,
// whether the invoice was used elsewhere) and this file only decides.

/// Why a purchase line is not eligible. The raw values are stable codes for storage and export.
///
/// ``EligibilityRules/judge(_:program:)`` reports reasons in the order of ``allCases``.
public enum ReasonCode: String, Sendable, Codable, CaseIterable {
    /// No certification of the supplier covers the purchase date.
    case supplierUncertified = "SUPPLIER_UNCERTIFIED"
    /// The product needs its own certification and none covers the purchase date.
    case productUncertified = "PRODUCT_UNCERTIFIED"
    /// The product's origin township is not one of the paired county's townships (or is unknown).
    case originOutside = "ORIGIN_OUTSIDE"
    /// The unit price is below the minimum or above the maximum of the reference price band.
    case priceOutOfBand = "PRICE_OUT_OF_BAND"
    /// The invoice number is already used by another purchase line of the programme.
    case invoiceDuplicate = "INVOICE_DUPLICATE"
    /// The invoice's seller tax id differs from the supplier's unified social credit code.
    case sellerTaxIdMismatch = "SELLER_TAX_ID_MISMATCH"
    /// Cash, shopping, prepaid or gift cards, vouchers (全总“八不准”).
    case prohibitedItem = "PROHIBITED_ITEM"
    /// The purchase channel is not eligible under the rule version.
    case channelIneligible = "CHANNEL_INELIGIBLE"
}

/// One reason a purchase line is not eligible: a stable code and a Simplified Chinese message
/// with the specifics, e.g. `供应商 X 在 2020-05-12 无有效认证（证书 A 有效期 2019-01-01 至 2020-04-30）`.
public struct Reason: Sendable, Hashable, Codable {
    /// The stable code.
    public var code: ReasonCode
    /// The explanation in Simplified Chinese, naming the facts that decided.
    public var message: String

    /// Creates a reason.
    public init(code: ReasonCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// A certificate (of a supplier or a product) valid from `validFrom` to `validTo`, both
/// inclusive; `validTo == nil` means open-ended.
public struct Certification: Sendable, Hashable, Codable {
    /// The certificate number.
    public var number: String
    /// The first day of validity (inclusive).
    public var validFrom: LocalDate
    /// The last day of validity (inclusive), or `nil` when it has no end.
    public var validTo: LocalDate?

    /// Creates a certification.
    public init(number: String, validFrom: LocalDate, validTo: LocalDate?) {
        self.number = number
        self.validFrom = validFrom
        self.validTo = validTo
    }

    /// Whether the certificate is valid on `date`: `validFrom ≤ date ≤ validTo` (no upper
    /// bound when `validTo` is `nil`).
    public func covers(_ date: LocalDate) -> Bool {
        guard validFrom <= date else {
            return false
        }
        guard let validTo else {
            return true
        }
        return date <= validTo
    }

    /// The validity in Chinese, e.g. `证书 A 有效期 2019-01-01 至 2020-04-30` or
    /// `证书 A 自 2019-01-01 起长期有效`.
    var chineseSummary: String {
        if let validTo {
            return "证书 \(number) 有效期 \(validFrom) 至 \(validTo)"
        }
        return "证书 \(number) 自 \(validFrom) 起长期有效"
    }
}

/// What is known about the supplier of a purchase line.
public struct SupplierFacts: Sendable, Hashable {
    /// The supplier's code in the programme.
    public var code: String
    /// The supplier's name.
    public var name: String
    /// The supplier's unified social credit code (统一社会信用代码).
    public var creditCode: String
    /// All of the supplier's certifications as a poverty-alleviation supplier, current or not.
    public var certifications: [Certification]

    /// Creates supplier facts.
    public init(code: String, name: String, creditCode: String, certifications: [Certification]) {
        self.code = code
        self.name = name
        self.creditCode = creditCode
        self.certifications = certifications
    }
}

/// What is known about the product of a purchase line.
public struct ProductFacts: Sendable, Hashable {
    /// The product's code in the programme.
    public var code: String
    /// The product's name.
    public var name: String
    /// The product's category, compared with ``ProgramFacts/prohibitedCategories``.
    public var category: String
    /// The township the product comes from, or `nil` when unknown (which is not eligible).
    public var originTownship: String?
    /// The product's own certifications; empty means the product needs no certification of its
    /// own (the supplier's suffices).
    public var certifications: [Certification]
    /// The lowest reference price, or `nil` for no lower bound.
    public var priceMin: UnitPrice?
    /// The highest reference price, or `nil` for no upper bound.
    public var priceMax: UnitPrice?

    /// Creates product facts.
    public init(
        code: String, name: String, category: String, originTownship: String?,
        certifications: [Certification], priceMin: UnitPrice?, priceMax: UnitPrice?
    ) {
        self.code = code
        self.name = name
        self.category = category
        self.originTownship = originTownship
        self.certifications = certifications
        self.priceMin = priceMin
        self.priceMax = priceMax
    }
}

/// What is fixed for the whole programme.
public struct ProgramFacts: Sendable, Hashable {
    /// The categories that may never be bought with programme money (全总“八不准”): cash,
    /// shopping cards, stored-value cards, top-up cards, gift cards and vouchers.
    public static let defaultProhibitedCategories: Set<String> = ["现金", "购物卡", "储值卡", "充值卡", "礼品卡", "代金券"]

    /// The paired county, e.g. `宣恩县`.
    public var pairedCounty: String
    /// The paired county's townships; a product's origin must be one of them.
    public var townships: Set<String>
    /// Product categories that are never eligible; a product is also prohibited when its name
    /// contains one of them.
    public var prohibitedCategories: Set<String>
    /// The purchase channels eligible under the rule version in force.
    public var eligibleChannels: Set<String>

    /// Creates programme facts.
    public init(
        pairedCounty: String, townships: Set<String>,
        prohibitedCategories: Set<String> = ProgramFacts.defaultProhibitedCategories,
        eligibleChannels: Set<String>
    ) {
        self.pairedCounty = pairedCounty
        self.townships = townships
        self.prohibitedCategories = prohibitedCategories
        self.eligibleChannels = eligibleChannels
    }
}

/// What is known about one purchase line.
public struct LineFacts: Sendable, Hashable {
    /// The date of the purchase, against which certifications are checked.
    public var purchaseDate: LocalDate
    /// The purchase channel, e.g. `线上平台`.
    public var channel: String
    /// The supplier.
    public var supplier: SupplierFacts
    /// The product.
    public var product: ProductFacts
    /// The unit price paid.
    public var unitPrice: UnitPrice
    /// The invoice number (see ``InvoiceNumber``).
    public var invoiceNumber: String
    /// Whether the invoice number is already used by another line of the programme.
    public var invoiceUsedElsewhere: Bool
    /// The seller's tax id printed on the invoice.
    public var sellerTaxId: String

    /// Creates line facts.
    public init(
        purchaseDate: LocalDate, channel: String, supplier: SupplierFacts, product: ProductFacts,
        unitPrice: UnitPrice, invoiceNumber: String, invoiceUsedElsewhere: Bool, sellerTaxId: String
    ) {
        self.purchaseDate = purchaseDate
        self.channel = channel
        self.supplier = supplier
        self.product = product
        self.unitPrice = unitPrice
        self.invoiceNumber = invoiceNumber
        self.invoiceUsedElsewhere = invoiceUsedElsewhere
        self.sellerTaxId = sellerTaxId
    }
}

/// The verdict on one purchase line: eligible exactly when there is no reason against it.
public struct Judgment: Sendable, Hashable, Codable {
    /// Every reason against the line, in the order of ``ReasonCode/allCases``.
    public var reasons: [Reason]

    /// Whether the line is eligible (no reasons).
    public var isEligible: Bool {
        reasons.isEmpty
    }

    /// Creates a judgment.
    public init(reasons: [Reason]) {
        self.reasons = reasons
    }
}

/// The eligibility rules for a purchase line.
public enum EligibilityRules {
    /// Judges a line, collecting all reasons against it (not only the first), one per
    /// ``ReasonCode`` at most, in the order of ``ReasonCode/allCases``.
    ///
    /// - Supplier: some certification must cover the purchase date (inclusive at both ends).
    /// - Product: when it has certifications of its own, one must cover the purchase date.
    /// - Origin: the origin township (trimmed) must be in ``ProgramFacts/townships``; an
    ///   unknown origin is not eligible.
    /// - Price: `priceMin ≤ unitPrice ≤ priceMax`; the band edges are eligible.
    /// - Invoice: not used elsewhere in the programme.
    /// - Seller tax id: equal to the supplier's credit code, ignoring surrounding whitespace
    ///   and ASCII letter case.
    /// - Prohibited: the category (trimmed) is a prohibited category, or the product name
    ///   contains one.
    /// - Channel: in ``ProgramFacts/eligibleChannels`` (exact match).
    public static func judge(_ line: LineFacts, program: ProgramFacts) -> Judgment {
        var reasons: [Reason] = []
        for code in ReasonCode.allCases {
            if let reason = check(code, line, program) {
                reasons.append(reason)
            }
        }
        return Judgment(reasons: reasons)
    }

    private static func check(_ code: ReasonCode, _ line: LineFacts, _ program: ProgramFacts) -> Reason? {
        let date = line.purchaseDate
        let supplier = line.supplier
        let product = line.product
        // Only a reason's message needs the name: built when there is one, not eight times a line.
        var productName: String { "产品 \(product.name)（\(product.code)）" }
        switch code {
        case .supplierUncertified:
            if supplier.certifications.contains(where: { $0.covers(date) }) {
                return nil
            }
            return Reason(
                code: code,
                message: "供应商 \(supplier.name)（\(supplier.code)）在 \(date) 无有效认证（"
                    + certificationList(supplier.certifications) + "）")
        case .productUncertified:
            if product.certifications.isEmpty || product.certifications.contains(where: { $0.covers(date) }) {
                return nil
            }
            return Reason(
                code: code,
                message: "\(productName)在 \(date) 无有效认证（" + certificationList(product.certifications) + "）")
        case .originOutside:
            let origin = trimmed(product.originTownship ?? "")
            if origin.isEmpty {
                return Reason(
                    code: code,
                    message: "\(productName)未填写产地乡镇，无法确认产自结对县 \(program.pairedCounty)")
            }
            if program.townships.contains(origin) {
                return nil
            }
            return Reason(
                code: code,
                message: "\(productName)产地 \(origin) 不属于结对县 \(program.pairedCounty) 的乡镇")
        case .priceOutOfBand:
            let price = line.unitPrice
            if let minimum = product.priceMin, price < minimum {
                return Reason(
                    code: code,
                    message: "\(productName)单价 \(price) 元低于参考价下限 \(minimum) 元" + band(product))
            }
            if let maximum = product.priceMax, price > maximum {
                return Reason(
                    code: code,
                    message: "\(productName)单价 \(price) 元高于参考价上限 \(maximum) 元" + band(product))
            }
            return nil
        case .invoiceDuplicate:
            if !line.invoiceUsedElsewhere {
                return nil
            }
            return Reason(code: code, message: "发票号码 \(line.invoiceNumber) 已在本项目其他采购中使用，不得重复申报")
        case .sellerTaxIdMismatch:
            let seller = normalizedTaxId(line.sellerTaxId)
            let expected = normalizedTaxId(supplier.creditCode)
            if !seller.isEmpty && seller == expected {
                return nil
            }
            let supplierText = "供应商 \(supplier.name) 的统一社会信用代码 \(supplier.creditCode)"
            if seller.isEmpty {
                return Reason(code: code, message: "发票 \(line.invoiceNumber) 未填写销售方纳税人识别号（\(supplierText)）")
            }
            return Reason(
                code: code,
                message: "发票 \(line.invoiceNumber) 销售方纳税人识别号 \(trimmed(line.sellerTaxId)) 与\(supplierText)不一致"
            )
        case .prohibitedItem:
            let category = trimmed(product.category)
            if program.prohibitedCategories.contains(category) {
                return Reason(
                    code: code,
                    message: "\(productName)品类 \(category) 属于禁止采购的品类（全总“八不准”：不得以现金、购物卡、储值卡等形式发放）")
            }
            // firstRange (the standard library's, by Character) rather than Foundation's contains,
            // which bridged both strings to NSString for every line of an import. Not a byte
            // search: Characters compare by canonical equivalence (a CJK compatibility ideograph
            // equals its unified form), bytes do not.
            let terms = program.prohibitedCategories.filter { !$0.isEmpty && product.name.firstRange(of: $0) != nil }
                .sorted()
            if let term = terms.first {
                return Reason(
                    code: code,
                    message: "\(productName)名称含禁止采购的“\(term)”（全总“八不准”：不得以现金、购物卡、储值卡等形式发放）")
            }
            return nil
        case .channelIneligible:
            if program.eligibleChannels.contains(line.channel) {
                return nil
            }
            let allowed = program.eligibleChannels.sorted().joined(separator: "、")
            return Reason(
                code: code,
                message: "采购渠道 \(line.channel) 不在本期规则认可的渠道内（认可渠道：\(allowed.isEmpty ? "无" : allowed)）")
        }
    }

    /// `证书 A 有效期 …；证书 B …`, or `无认证记录`.
    private static func certificationList(_ certifications: [Certification]) -> String {
        if certifications.isEmpty {
            return "无认证记录"
        }
        return certifications.map(\.chineseSummary).joined(separator: "；")
    }

    /// `（参考价 13 至 20 元）`, with open ends written as `不限`.
    private static func band(_ product: ProductFacts) -> String {
        let low = product.priceMin.map { "\($0)" } ?? "不限"
        let high = product.priceMax.map { "\($0)" } ?? "不限"
        return "（参考价 \(low) 至 \(high) 元）"
    }

    /// The text without surrounding whitespace.
    private static func trimmed(_ text: String) -> String {
        if let first = text.first, let last = text.last, !first.isWhitespace, !last.isWhitespace {
            return text
        }
        let characters = Array(text)
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
            let last = characters.lastIndex(where: { !$0.isWhitespace })
        else {
            return ""
        }
        return String(characters[first...last])
    }

    /// A tax id trimmed and with ASCII letters in uppercase.
    static func normalizedTaxId(_ text: String) -> String {
        // Tax ids are ASCII: upper-case their bytes, without a Unicode property lookup per
        // character (that lookup was 6% of a bulk import's Swift time).
        let text = trimmed(text)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: text.utf8.map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
        }
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.isASCII && scalar.properties.isLowercase
                        ? Unicode.Scalar(UInt8(scalar.value) - 32) : scalar
                }))
    }
}
