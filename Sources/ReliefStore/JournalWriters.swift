import ReliefCore

/// The writers of each export format, as byte producers.
enum JournalWriters {
    /// The streaming writer of a text format. Beancount's `open` directives are dated 2000-01-01,
    /// before any entry the program can hold.
    static func make(_ format: ExportFormat, gb18030: Bool) -> any ByteJournalWriter {
        switch format {
        case .csv: return CSVJournalWriter(encoding: gb18030 ? .gb18030 : .utf8BOM)
        case .json: return JSONJournalWriter()
        case .hledger: return HledgerJournalWriter()
        case .beancount: return BeancountJournalWriter(openDate: LocalDate(year: 2000, month: 1, day: 1)!)
        case .xlsx: preconditionFailure("XLSX is written as a whole workbook, not streamed")
        }
    }

    static let xlsxHeader: [XLSXCell] = ["链序号", "凭证号", "日期", "摘要", "科目编码", "科目名称", "方向", "金额", "红字", "企业", "供应商", "备注"].map { .text($0) }

    static func xlsxRows(_ entry: ExportEntry) -> [[XLSXCell]] {
        entry.postings.map { p in
            [.number(String(entry.seq)), .text(entry.voucherReference), .text(entry.date.description), .text(entry.description),
             .text(p.account.code), .text(p.account.name), .text(p.side.chinese), .number(Money(fen: p.amountFen).plain),
             .text(p.isRed ? "是" : "否"), .text(p.dimensions.enterprise ?? ""), .text(p.dimensions.supplier ?? ""), .text(p.memo ?? "")]
        }
    }
}
