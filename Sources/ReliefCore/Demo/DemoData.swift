/// A deterministic, realistic program modelled on the seed: 荆州市总工会 paired with 宣恩县.
/// The same generator feeds `relief demo` and the benchmarks; volume is a parameter.
public struct DemoData: Sendable {
    /// The townships of 宣恩县.
    public static let townships = ["珠山镇", "椒园镇", "沙道沟镇", "李家河镇", "高罗镇", "万寨乡", "长潭河侗族乡", "晓关侗族乡", "椿木营乡"]

    /// How much to generate.
    public struct Volume: Sendable {
        /// Enterprises (23 in the seed).
        public var enterprises: Int
        /// Purchases over January to May 2020 (each has one to three lines).
        public var purchases: Int

        /// The seed's scale.
        public static let seed = Volume(enterprises: 23, purchases: 230)

        /// Makes a volume.
        public init(enterprises: Int, purchases: Int) {
            precondition(enterprises >= 1 && enterprises <= 1_000_000 && purchases >= 0 && purchases <= 50_000_000)
            self.enterprises = enterprises
            self.purchases = purchases
        }
    }

    /// The enterprises table (统一社会信用代码, 企业名称, 工会名称, 年度, 会员人数, 年度采购目标, 开户银行, 银行账号).
    public var enterprises: Table
    /// The suppliers table, with certifications.
    public var suppliers: Table
    /// The products table.
    public var products: Table
    /// Purchases of January to April.
    public var purchasesEarly: Table
    /// Purchases of May, including the deliberately ineligible lines.
    public var purchasesMay: Table
    /// The fund received from the provincial union.
    public var fundFen: Int64
    /// The subsidy rule.
    public var rule: SubsidyRule
    /// County and district unions under the operator: (code, name, kind, region).
    public var unions: [(code: String, name: String, kind: String, region: String)]

    /// The supplier whose certification ended on 2020-03-31.
    public static let lapsedSupplierIndex = 3

    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    static func creditCode(prefix: String, serial: Int) -> String {
        let digits = String(serial)
        let body = prefix + String(repeating: "0", count: 17 - prefix.count - digits.count) + digits
        return body + String(CreditCode.checkCharacter(forFirst17: body)!)
    }

    static let enterpriseNames = [
        "荆州市城市建设投资集团有限公司", "荆州市水务集团有限公司", "荆州市公共交通集团有限公司", "荆州市燃气集团有限公司",
        "荆州市国有资产经营有限公司", "荆州市文化旅游集团有限公司", "荆州市农业发展投资有限公司", "荆州市交通投资集团有限公司",
        "荆州市粮食储备有限公司", "荆州市长江港务集团有限公司", "荆州市城发物业管理有限公司", "荆州市医药集团有限公司",
        "荆州市市政工程有限公司", "荆州市供销合作集团有限公司", "荆州市新华书店有限公司", "荆州市广电网络有限公司",
        "荆州市热力有限公司", "荆州市环境卫生投资有限公司", "荆州市担保集团有限公司", "荆州市商贸物流集团有限公司",
        "荆州市建筑设计研究院有限公司", "荆州市人才发展集团有限公司", "荆州市数据科技有限公司",
    ]

    /// (product, category, unit, min yuan, max yuan, typical yuan)
    static let catalogue: [(String, String, String, Int64, Int64, Int64)] = [
        ("伍家台贡茶", "茶叶", "斤", 200, 600, 380), ("贡水白柚", "水果", "斤", 4, 12, 6), ("宣恩火腿", "肉制品", "斤", 60, 120, 88),
        ("黑猪肉", "肉类", "斤", 28, 60, 38), ("黄金梨", "水果", "斤", 5, 15, 8), ("高山蔬菜", "蔬菜", "斤", 3, 10, 5),
        ("土蜂蜜", "蜂产品", "斤", 60, 150, 98), ("富硒大米", "粮油", "斤", 4, 10, 6),
    ]

    /// Generates the program for `volume`; the same volume gives the same data, byte for byte.
    public init(volume: Volume = .seed) {
        var random = Generator(state: 20_200_501)
        let year = "2020"
        var enterpriseRows: [TableRow] = []
        var enterpriseCodes: [String] = []
        for index in 0..<volume.enterprises {
            let code = Self.creditCode(prefix: "91421000", serial: 70_000_000 + index * 7)
            enterpriseCodes.append(code)
            let name = index < Self.enterpriseNames.count ? Self.enterpriseNames[index] : "荆州市示范企业\(index + 1)有限公司"
            let members = 80 + random.below(1_900)
            let targetYuan = Int64(members) * 300 / 1000 * 1000 + 20_000
            enterpriseRows.append(TableRow(line: index + 2, cells: [
                code, name, name.replacingOccurrences(of: "有限公司", with: "") + "工会委员会", year, String(members), String(targetYuan),
                "中国工商银行荆州分行", "18090" + String(100_000_000_000 + index),
            ]))
        }
        enterprises = Table(fileName: "demo-enterprises", headers: ["统一社会信用代码", "企业名称", "工会名称", "年度", "会员人数", "年度采购目标（元）", "开户银行", "银行账号"], rows: enterpriseRows)

        var supplierRows: [TableRow] = []
        var supplierCodes: [String] = []
        let supplierCount = 12
        for index in 0..<supplierCount {
            let code = Self.creditCode(prefix: index % 2 == 0 ? "93422825" : "92422825", serial: 10_000_000 + index * 13)
            supplierCodes.append(code)
            let township = Self.townships[index % Self.townships.count]
            let certTo = index == Self.lapsedSupplierIndex ? "2020-03-31" : "2021-12-31"
            supplierRows.append(TableRow(line: index + 2, cells: [
                code, "宣恩县\(township.prefix(2))\(["生态", "绿源", "山珍", "富硒", "侗乡", "贡水"][index % 6])农业专业合作社", township,
                "\(["龙潭", "茅坝", "金盆", "红岩"][index % 4])村", index % 3 == 0 ? "是" : "否", "XE-RZ-2019-\(100 + index)", "2019-01-01", certTo,
            ]))
        }
        suppliers = Table(fileName: "demo-suppliers", headers: ["统一社会信用代码", "供应商名称", "乡镇", "村", "832平台", "认证证书编号", "认证开始日期", "认证结束日期"], rows: supplierRows)

        var productRows: [TableRow] = []
        var productsOfSupplier: [[(code: String, item: Int)]] = Array(repeating: [], count: supplierCount)
        for supplier in 0..<supplierCount {
            for offset in 0..<2 {
                let item = (supplier + offset * 3) % Self.catalogue.count
                let (name, category, unit, low, high, _) = Self.catalogue[item]
                let code = "XE-\(supplier + 1)-\(item + 1)"
                productsOfSupplier[supplier].append((code, item))
                productRows.append(TableRow(line: productRows.count + 2, cells: [
                    code, supplierCodes[supplier], name, "500g", unit, category, Self.townships[supplier % Self.townships.count], String(low), String(high),
                ]))
            }
        }
        products = Table(fileName: "demo-products", headers: ["商品编码", "供应商信用代码", "商品名称", "规格", "单位", "品类", "产地乡镇", "参考价下限（元）", "参考价上限（元）"], rows: productRows)

        let headers = ["采购单号", "企业信用代码", "供应商信用代码", "采购日期", "渠道", "用途", "发票号码", "开票日期", "销方税号", "商品编码", "数量", "单位", "单价（元）", "金额（元）"]
        let channels = ["832平台", "专馆专区专柜", "直采", "消费券"]
        let purposes = ["节日慰问", "爱心消费", "食堂"]
        var early: [TableRow] = []
        var may: [TableRow] = []
        var firstAprilInvoice: String?
        for index in 0..<volume.purchases {
            let month = 1 + index * 5 / max(volume.purchases, 1)
            let day = 1 + random.below(28)
            let date = "2020-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
            let enterprise = enterpriseCodes[index % enterpriseCodes.count]
            var supplier = random.below(supplierCount)
            if month >= 4 && supplier == Self.lapsedSupplierIndex { supplier = (supplier + 1) % supplierCount }
            let key = "PO2020\(month < 10 ? "0" : "")\(month)-\(String(100_000 + index))"
            let invoice = "4420" + String(1_000_000_000_000_000 + index)
            if month == 4 && firstAprilInvoice == nil { firstAprilInvoice = invoice }
            let channel = channels[random.below(channels.count)]
            let purpose = purposes[random.below(purposes.count)]
            let lineCount = 1 + random.below(3)
            for line in 0..<lineCount {
                let product = productsOfSupplier[supplier][line % productsOfSupplier[supplier].count]
                let typical = Self.catalogue[product.item].5
                let priceYuan = typical * Int64(90 + random.below(21)) / 100
                let quantity = Int64(10 + random.below(200))
                let row = TableRow(line: 0, cells: [
                    key, enterprise, supplierCodes[supplier], date, channel, purpose, invoice, date, supplierCodes[supplier], product.code,
                    String(quantity), Self.catalogue[product.item].2, String(priceYuan), String(quantity * priceYuan),
                ])
                if month == 5 { may.append(row) } else { early.append(row) }
            }
        }
        // The deliberately ineligible May lines: an uncertified supplier, a price out of band, and
        // an invoice already used in April.
        let lapsed = Self.lapsedSupplierIndex
        let lapsedProduct = productsOfSupplier[lapsed][0]
        may.append(TableRow(line: 0, cells: [
            "PO202005-X1", enterpriseCodes[0], supplierCodes[lapsed], "2020-05-08", "直采", "食堂", "44209999000000000001", "2020-05-08",
            supplierCodes[lapsed], lapsedProduct.code, "100", Self.catalogue[lapsedProduct.item].2, String(Self.catalogue[lapsedProduct.item].5),
            String(100 * Self.catalogue[lapsedProduct.item].5),
        ]))
        let teaSupplier = 0
        let tea = productsOfSupplier[teaSupplier][0]
        let pricey = Self.catalogue[tea.item].4 * 2
        may.append(TableRow(line: 0, cells: [
            "PO202005-X2", enterpriseCodes[min(1, enterpriseCodes.count - 1)], supplierCodes[teaSupplier], "2020-05-12", "专馆专区专柜", "节日慰问",
            "44209999000000000002", "2020-05-12", supplierCodes[teaSupplier], tea.code, "20", Self.catalogue[tea.item].2, String(pricey), String(20 * pricey),
        ]))
        if let reused = firstAprilInvoice {
            let product = productsOfSupplier[1][0]
            let price = Self.catalogue[product.item].5
            may.append(TableRow(line: 0, cells: [
                "PO202005-X3", enterpriseCodes[min(2, enterpriseCodes.count - 1)], supplierCodes[1], "2020-05-20", "直采", "爱心消费", reused, "2020-05-20",
                supplierCodes[1], product.code, "50", Self.catalogue[product.item].2, String(price), String(50 * price),
            ]))
        }
        func numbered(_ rows: [TableRow]) -> [TableRow] { rows.enumerated().map { TableRow(line: $0.offset + 2, cells: $0.element.cells) } }
        purchasesEarly = Table(fileName: "demo-purchases-2020-01-04", headers: headers, rows: numbered(early))
        purchasesMay = Table(fileName: "demo-purchases-2020-05", headers: headers, rows: numbered(may))
        fundFen = max(180_000_000, Int64(volume.enterprises) * 8_000_000)
        rule = SubsidyRule(
            version: 1, rateBasisPoints: 1_000, perMemberCapFen: 10_000, perEnterpriseCapFen: 5_000_000,
            eligibleChannels: Set(channels), effectiveFrom: LocalDate(year: 2020, month: 1, day: 1)!)
        unions = [
            ("xe-zgh", "宣恩县总工会", "county_union", "恩施州宣恩县"), ("jz-shashi", "荆州市沙市区总工会", "district_union", "荆州市沙市区"),
            ("jz-jingzhou", "荆州市荆州区总工会", "district_union", "荆州市荆州区"), ("jz-gongan", "公安县总工会", "county_union", "荆州市公安县"),
            ("jz-jianli", "监利市总工会", "county_union", "荆州市监利市"), ("jz-honghu", "洪湖市总工会", "county_union", "荆州市洪湖市"),
        ]
    }
}
