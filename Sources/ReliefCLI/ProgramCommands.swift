import ArgumentParser
import Foundation
import Postgres
import ReliefCore
import ReliefStore

/// Reads an import file into a table, naming the file in every error.
func readTable(_ path: String) throws -> Table {
    try readingImportFile(path) { bytes, fileName in try TableReader.read(bytes, fileName: fileName) }
}

/// Runs `body` with an import file's bytes and name; a file that cannot be opened, and a
/// ``TableReadError`` from `body`, become a `Failure` naming the file.
func readingImportFile<T>(_ path: String, _ body: (consuming [UInt8], String) throws -> T) throws -> T {
    guard let bytes = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
        throw Failure(description: "\(path): cannot read the file")
    }
    do {
        return try body(bytes, (path as NSString).lastPathComponent)
    } catch let error as TableReadError {
        throw Failure(description: error.description)
    }
}

/// Runs `body` on one connection of an open session.
func withConnection<T: Sendable>(book: String = "main", _ body: @escaping @Sendable (isolated Connection) throws -> T) async throws -> T {
    try await Session.with(book: book) { session in
        try await session.database.pool.withConnection { connection in try await connection.run(body) }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import master data or purchases from CSV (UTF-8, with or without BOM, or GB18030) or XLSX; see docs/IMPORTS.md.",
        discussion: "Every row is checked first; any problem rejects the whole file, listing each by line and column, and nothing is written. Importing the same file again changes nothing.",
        subcommands: [Enterprises.self, Suppliers.self, Products.self, PurchasesImport.self, ImportBankStatement.self, ImportSupplierConfirmations.self])

    struct Enterprises: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enterprises: 统一社会信用代码, 企业名称, 工会名称, 年度, 会员人数, 年度采购目标（元）[, 开户银行, 银行账号].")
        @Argument(help: "The file.") var file: String
        func run() async throws {
            let table = try readTable(file)
            print(try await withConnection { c in try MasterData.importEnterprises(c, table) })
        }
    }

    struct Suppliers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suppliers: 统一社会信用代码, 供应商名称, 乡镇[, 村, 832平台, 认证证书编号, 认证开始日期, 认证结束日期].")
        @Argument(help: "The file.") var file: String
        func run() async throws {
            let table = try readTable(file)
            print(try await withConnection { c in try MasterData.importSuppliers(c, table) })
        }
    }

    struct Products: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Products: 商品编码, 供应商信用代码, 商品名称, 单位, 品类[, 规格, 产地乡镇, 参考价下限（元）, 参考价上限（元）].")
        @Argument(help: "The file.") var file: String
        func run() async throws {
            let table = try readTable(file)
            print(try await withConnection { c in try MasterData.importProducts(c, table) })
        }
    }

    struct PurchasesImport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purchases",
            abstract: "Purchases, one row per line; rows with the same 采购单号 form one purchase. Each line is judged for eligibility and the reasons kept.")
        @Argument(help: "The file.") var file: String
        @Option(name: .long, help: "The program's code.") var program: String = Demo.programCode
        func run() async throws {
            let file = file
            let program = program
            let terminal = isatty(STDERR_FILENO) == 1
            let actor = Session.actorName
            let summary = try await withConnection { c in
                // The bytes are handed over: the import reads a CSV file row by row into records
                // and lets the bytes go, so the file is never held as a table too.
                try readingImportFile(file) { bytes, fileName in
                    try Purchases.importPurchases(c, file: bytes, fileName: fileName, programCode: program, actorName: actor) { done, total in
                        if terminal { FileHandle.standardError.write(Data("\r\(done)/\(total) purchases written".utf8)) }
                    }
                }
            }
            if terminal { printError("") }
            print(summary)
        }
    }
}

struct ProgramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "program", abstract: "The pairing, the notice and the organisation tree.", subcommands: [Setup.self, AddUnion.self])

    struct Setup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a program: operator union, paired county, notice (文号), dates, townships.")
        @Option var code: String
        @Option var name: String
        @Option(name: .customLong("operator-code")) var operatorCode: String
        @Option(name: .customLong("operator-name")) var operatorName: String
        @Option(help: "The paired county, e.g. 宣恩县.") var county: String
        @Option(help: "The notice number (文号).") var notice: String
        @Option var from: LocalDate
        @Option var to: LocalDate
        @Option(help: "The paired county's townships, comma-separated.") var townships: String
        func run() async throws {
            let setup = Programs.Setup(
                code: code, name: name, operatorCode: operatorCode, operatorName: operatorName, pairedCounty: county, noticeNumber: notice,
                startsOn: from, endsOn: to, townships: townships.split(whereSeparator: { $0 == "," || $0 == "，" }).map { $0.trimmingCharacters(in: .whitespaces) })
            let created = try await withConnection { c in try Programs.setup(c, setup) }
            print(created ? "program \(setup.code) created" : "program \(setup.code) already exists; nothing changed")
        }
    }

    struct AddUnion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-union", abstract: "Add a county or district union under the operator.")
        @Option var code: String
        @Option var name: String
        @Option(help: "county_union or district_union.") var kind: String = "county_union"
        @Option(help: "The organisation above it (the operator's code).") var parent: String
        @Option var region: String?
        func run() async throws {
            let (code, name, kind, parent, region) = (code, name, kind, parent, region)
            try await withConnection { c in try Programs.addUnion(c, code: code, name: name, kind: kind, parentCode: parent, region: region) }
            print("organisation \(code) added under \(parent)")
        }
    }
}

struct PurchaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purchase", abstract: "Purchases (采购单).", subcommands: [Record.self, List.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record one purchase; --line PRODUCT,QUANTITY,UNIT,UNIT_PRICE,AMOUNT once per line.")
        @Option var program: String = Demo.programCode
        @Option(help: "The purchase key (采购单号); recording the same key again changes nothing.") var key: String
        @Option(help: "The enterprise's 统一社会信用代码.") var enterprise: String
        @Option(help: "The supplier's 统一社会信用代码.") var supplier: String
        @Option var date: LocalDate
        @Option(help: "832平台, 专馆专区专柜, 直采 or 消费券.") var channel: String
        @Option(help: "节日慰问, 爱心消费 or 食堂.") var purpose: String
        @Option(help: "Invoice number: 8 digits, or 20 for 数电票.") var invoice: String
        @Option(name: .customLong("invoice-date")) var invoiceDate: LocalDate
        @Option(name: .customLong("seller-tax-id")) var sellerTaxId: String
        @Option(parsing: .singleValue, help: "PRODUCT,QUANTITY,UNIT,UNIT_PRICE,AMOUNT") var line: [String]

        func run() async throws {
            var rows: [TableRow] = []
            for (index, text) in line.enumerated() {
                let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 5 else { throw ValidationError("--line \(index + 1) must be PRODUCT,QUANTITY,UNIT,UNIT_PRICE,AMOUNT (amount without thousands separators)") }
                rows.append(TableRow(line: index + 1, cells: [key, enterprise, supplier, date.description, channel, purpose, invoice, invoiceDate.description, sellerTaxId] + parts))
            }
            let table = Table(fileName: "--line", headers: ImportLayouts.purchases.columns.map { $0.headers[0] }, rows: rows)
            let program = program
            print(try await withConnection { c in try Purchases.importPurchases(c, table, programCode: program, actorName: Session.actorName) })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List purchase lines with their eligibility and reasons.")
        @Flag(help: "Only ineligible lines.") var ineligible = false
        @Option(help: "Only this enterprise (统一社会信用代码).") var enterprise: String?
        func run() async throws {
            let (ineligible, enterprise) = (ineligible, enterprise)
            let rows = try await withConnection { c in
                try c.query(
                    """
                    SELECT p.purchase_key, p.purchase_date::text, e.name, s.name, pr.name, l.amount_fen, l.eligible, array_to_string(l.reason_codes, ','), l.reasons
                    FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id
                    JOIN relief.enterprises e ON e.id = p.enterprise_id JOIN relief.suppliers s ON s.id = p.supplier_id
                    JOIN relief.products pr ON pr.id = l.product_id
                    WHERE (NOT $1 OR NOT l.eligible) AND ($2::text IS NULL OR e.credit_code = $2)
                    ORDER BY p.purchase_date, p.purchase_key, l.line LIMIT 10000
                    """, [ineligible, enterprise]
                ).rows.map { row in try (0..<9).map { try row.decodeOptional(String.self, at: $0) ?? "" } }
            }
            var table = TextTable(headers: ["采购单号", "日期", "企业", "供应商", "商品", "金额", "合格", "原因"], alignments: [.left, .left, .left, .left, .left, .right, .left, .left])
            for r in rows {
                table.append([r[0], r[1], r[2], r[3], r[4], Money(fen: Int64(r[5]) ?? 0).formatted, r[6] == "t" ? "是" : "否", r[7].isEmpty ? "" : "\(r[7]) \(r[8])"])
            }
            print(table.render(), terminator: "")
        }
    }
}

struct SubsidyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subsidy", abstract: "Subsidies: rules, computation, batches with maker-checker, payment.",
        subcommands: [Rule.self, Compute.self, Prepare.self, Approve.self, Pay.self, Clawback.self])

    struct Clawback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claw back subsidy from an enterprise found ineligible (借 135 / 贷 508), or with --repaid record its repayment (借 102 / 贷 135).")
        @Option var program: String = Demo.programCode
        @Option(help: "The enterprise's 统一社会信用代码.") var enterprise: String
        @Option(help: "Amount in yuan.") var amount: String
        @Option(help: "Why (which purchase, which finding).") var reason: String
        @Option(help: "Entry date (default today, China time).") var date: LocalDate?
        @Option(help: "Idempotency key; repeating the command with the same key writes nothing.") var key: String
        @Flag(help: "Record money the enterprise paid back.") var repaid = false
        func run() async throws {
            let money = try Money.parse(amount, field: "--amount")
            let (program, enterprise, reason, date, key, repaid, actor) = (program, enterprise, reason, date ?? todayInChina(), key, repaid, Session.actorName)
            let posted = try await withConnection { c in
                try Subsidies.clawback(c, programCode: program, enterpriseCreditCode: enterprise, amount: money, reason: reason, date: date, actorName: actor, repaid: repaid, idempotencyKey: key)
            }
            print(posted.existed ? "already recorded as \(posted.voucherReference); nothing written" : "posted \(posted.voucherReference) (chain #\(posted.seq))")
        }
    }

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a rule version.")
        @Option var program: String = Demo.programCode
        @Option var version: Int
        @Option(name: .customLong("rate-bp"), help: "Rate in basis points (1000 = 10%).") var rateBasisPoints: Int
        @Option(name: .customLong("member-cap"), help: "Cap per member, yuan.") var memberCap: String
        @Option(name: .customLong("enterprise-cap"), help: "Cap per enterprise, yuan.") var enterpriseCap: String
        @Option(help: "Eligible channels, comma-separated.") var channels: String = "832平台,专馆专区专柜,直采,消费券"
        @Option var from: LocalDate
        func run() async throws {
            let rule = SubsidyRule(
                version: version, rateBasisPoints: rateBasisPoints, perMemberCapFen: try Money.parse(memberCap, field: "--member-cap").fen,
                perEnterpriseCapFen: try Money.parse(enterpriseCap, field: "--enterprise-cap").fen,
                eligibleChannels: Set(channels.split(separator: ",").map(String.init)), effectiveFrom: from)
            let program = program
            try await withConnection { c in try Subsidies.addRule(c, programCode: program, rule: rule) }
            print("rule version \(version) recorded")
        }
    }

    struct Compute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Propose each enterprise's subsidy for a month, with the working.")
        @Option var program: String = Demo.programCode
        @Option var period: Period
        func run() async throws {
            let (program, period) = (program, period)
            let (rule, proposals, fund) = try await withConnection { c in try Subsidies.compute(c, programCode: program, period: period) }
            print("补助测算 \(period) · 规则第\(rule.version)版 · 比例 \(Double(rule.rateBasisPoints) / 100)% · 资金余额 \(Money(fen: fund).formatted)")
            var table = TextTable(headers: ["企业", "补助", "决定因素", "测算过程"], alignments: [.left, .right, .left, .left])
            for proposal in proposals {
                table.append([proposal.enterpriseCode, Money(fen: proposal.amountFen).formatted, proposal.binding.rawValue, proposal.steps.map { "\($0.label)=\(Money(fen: $0.amountFen).formatted)" }.joined(separator: "；")])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prepare the month's batch (as RELIEF_ACTOR, the preparer).")
        @Option var program: String = Demo.programCode
        @Option var period: Period
        func run() async throws {
            let (program, period, actor) = (program, period, Session.actorName)
            let batch = try await withConnection { c in try Subsidies.prepare(c, programCode: program, period: period, actorName: actor) }
            print("prepared batch \(batch) for \(period); a different finance approver must approve it")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a batch (as RELIEF_ACTOR; not the preparer).")
        @Argument var batch: Int
        func run() async throws {
            let (batch, actor) = (batch, Session.actorName)
            try await withConnection { c in try Subsidies.approve(c, batchID: batch, actorName: actor) }
            print("approved batch \(batch)")
        }
    }

    struct Pay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pay an approved batch: post the payments and write the payment file.")
        @Argument var batch: Int
        @Option(help: "Where to write the payment CSV.") var out: String
        @Option(help: "Payment date (default today, China time).") var date: LocalDate?
        func run() async throws {
            let (batch, actor, date) = (batch, Session.actorName, date ?? todayInChina())
            let lines = try await withConnection { c in try Subsidies.pay(c, batchID: batch, actorName: actor, date: date) }
            try Subsidies.paymentFile(lines).write(toFile: out, atomically: true, encoding: .utf8)
            print("paid batch \(batch): \(lines.count) payments, \(Money(fen: lines.reduce(0) { $0 + $1.amountFen }).formatted); payment file \(out)")
        }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Load the deterministic demo program (荆州市总工会 × 宣恩县, January–May 2020) into an empty database.")
    @Option(help: "Enterprises (the seed has 23).") var enterprises: Int = DemoData.Volume.seed.enterprises
    @Option(help: "Purchases over January–May 2020.") var purchases: Int = DemoData.Volume.seed.purchases
    func run() async throws {
        let volume = DemoData.Volume(enterprises: enterprises, purchases: purchases)
        let summary = try await withConnection { c in try Demo.load(c, volume: volume) { printError($0) } }
        print("demo loaded: \(summary.enterprises) enterprises, \(summary.purchases) purchases (\(summary.ineligibleLines) ineligible lines), \(summary.batches) subsidy batches paid")
    }
}
