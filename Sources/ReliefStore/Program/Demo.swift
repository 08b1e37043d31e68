public import Postgres
public import ReliefCore

/// Loads ``DemoData`` through the same import, posting and subsidy paths that files and clerks use.
public enum Demo {
    /// The demo program's code.
    public static let programCode = "xe2020"
    /// The demo's finance preparer and approver (maker-checker needs two people).
    public static let preparer = "finance:张会计"
    /// The demo's approver.
    public static let approver = "finance:李主任"

    /// What the demo loaded.
    public struct Summary: Sendable {
        public var enterprises = 0
        public var purchases = 0
        public var ineligibleLines = 0
        public var batches = 0
    }

    /// Loads the demo into an empty program database; refuses when the demo program exists.
    public static func load(_ c: isolated Connection, volume: DemoData.Volume = .seed, progress: (String) -> Void = { _ in }) throws -> Summary {
        if try !c.query("SELECT 1 FROM relief.programs WHERE code = $1", [programCode]).rows.isEmpty {
            throw SubsidyError(message: "the demo program \(programCode) is already loaded; use an empty database (RELIEF_HOME=… or another DATABASE_URL)")
        }
        let data = DemoData(volume: volume)
        var summary = Summary()
        try Programs.setup(c, Programs.Setup(
            code: programCode, name: "2020年荆州市总工会对口帮扶宣恩县消费帮扶", operatorCode: "jz-zgh", operatorName: "荆州市总工会",
            pairedCounty: "宣恩县", noticeNumber: "荆工发〔2020〕12号", startsOn: LocalDate(year: 2020, month: 1, day: 1)!,
            endsOn: LocalDate(year: 2020, month: 12, day: 31)!, townships: DemoData.townships))
        for union in data.unions {
            try Programs.addUnion(c, code: union.code, name: union.name, kind: union.kind, parentCode: "jz-zgh", region: union.region)
        }
        summary.enterprises = try MasterData.importEnterprises(c, data.enterprises).created
        _ = try MasterData.importSuppliers(c, data.suppliers)
        _ = try MasterData.importProducts(c, data.products)
        try Subsidies.addRule(c, programCode: programCode, rule: data.rule)
        progress("master data loaded")
        try c.transactionIsolated { t in
            _ = try MasterData.dimensionID(t, kind: "program", code: programCode, name: programCode)
            _ = try PostingWriter.post(t, bookCode: "main", actorName: preparer, drafts: [
                EntryDraft(
                    idempotencyKey: "demo:fund-received", date: LocalDate(year: 2020, month: 1, day: 6)!,
                    description: "收到湖北省总工会消费帮扶补助资金",
                    postings: [
                        PostingDraft(accountCode: "102", side: .debit, amount: Money(fen: data.fundFen), dimensions: Dimensions(program: programCode)),
                        PostingDraft(accountCode: "403", side: .credit, amount: Money(fen: data.fundFen), dimensions: Dimensions(program: programCode)),
                    ])
            ])
        }
        for table in [data.purchasesEarly, data.purchasesMay] {
            let imported = try Purchases.importPurchases(c, table, programCode: programCode, actorName: preparer)
            summary.purchases += imported.created
            summary.ineligibleLines += imported.ineligibleLines
            progress("\(table.fileName): \(imported)")
        }
        for month in 1...5 {
            let period = Period(year: 2020, month: month)!
            let batch = try Subsidies.prepare(c, programCode: programCode, period: period, actorName: preparer)
            try Subsidies.approve(c, batchID: batch, actorName: approver)
            _ = try Subsidies.pay(c, batchID: batch, actorName: preparer, date: period.lastDay)
            summary.batches += 1
        }
        progress("subsidies computed, approved and paid for 2020-01 … 2020-05")
        return summary
    }
}
