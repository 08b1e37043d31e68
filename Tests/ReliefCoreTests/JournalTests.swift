import ReliefCore
import Testing

private func posting(_ account: String, _ side: Side, _ fen: Int64) -> PostingDraft {
    PostingDraft(accountCode: account, side: side, amount: Money(fen: fen))
}

private func draft(_ postings: [PostingDraft], key: String = "k") -> EntryDraft {
    EntryDraft(idempotencyKey: key, date: LocalDate(year: 2020, month: 5, day: 12)!, description: "d", postings: postings)
}

@Suite("journal entry invariants")
struct JournalTests {
    @Test func aBalancedEntryPasses() throws {
        try draft([posting("102", .debit, 100), posting("403", .credit, 60), posting("409", .credit, 40)]).validate()
    }

    @Test func unbalancedEntriesAreRefusedWithTheDifference() {
        let error = #expect(throws: EntryError.self) {
            try draft([posting("102", .debit, 10_000), posting("403", .credit, 9_999)]).validate()
        }
        #expect(error?.field == "postings")
        #expect(error?.message.contains("the difference is 0.01") == true)
    }

    @Test func fewerThanTwoPostingsAreRefused() {
        #expect(throws: EntryError.self) { try draft([posting("102", .debit, 1)]).validate() }
        #expect(throws: EntryError.self) { try draft([]).validate() }
    }

    @Test func amountsMustBePositiveAndWithinTheMaximum() {
        let zero = #expect(throws: EntryError.self) { try draft([posting("102", .debit, 0), posting("403", .credit, 0)]).validate() }
        #expect(zero?.field == "postings[0].amount")
        let negative = #expect(throws: EntryError.self) { try draft([posting("102", .debit, -5), posting("403", .credit, -5)]).validate() }
        #expect(negative?.field == "postings[0].amount")
        let huge = Money.maximumFen + 1
        #expect(throws: EntryError.self) { try draft([posting("102", .debit, huge), posting("403", .credit, huge)]).validate() }
    }

    @Test func keysAndTextsAreBounded() {
        #expect(throws: EntryError.self) { try draft([posting("102", .debit, 1), posting("403", .credit, 1)], key: "").validate() }
        let long = String(repeating: "键", count: EntryDraft.maximumKeyLength + 1)
        #expect(throws: EntryError.self) { try draft([posting("102", .debit, 1), posting("403", .credit, 1)], key: long).validate() }
        var tooMany = draft(Array(repeating: posting("102", .debit, 1), count: EntryDraft.maximumPostings))
        tooMany.postings.append(posting("403", .credit, Int64(EntryDraft.maximumPostings)))
        #expect(throws: EntryError.self) { try tooMany.validate() }
    }

    @Test func sidesParseInChineseAndEnglish() {
        #expect(Side(parsing: "借") == .debit)
        #expect(Side(parsing: "贷") == .credit)
        #expect(Side(parsing: "D") == .debit)
        #expect(Side(parsing: "credit") == .credit)
        #expect(Side(parsing: "x") == nil)
    }
}

@Suite("canonical text and chain")
struct ChainTests {
    @Test func escapingKeepsFieldsUnambiguous() {
        #expect(CanonicalText.escape("a|b") == "a\\|b")
        #expect(CanonicalText.escape("a\\b") == "a\\\\b")
        #expect(CanonicalText.escape("a\nb\rc") == "a\\nb\\rc")
        #expect(CanonicalText.escape("银行存款") == "银行存款")
    }

    @Test func entryTextFollowsTheDocumentedLayout() {
        var entry = draft([posting("102", .debit, 1_800_000), posting("403", .credit, 1_800_000)], key: "fund-1")
        entry.postings[0].dimensions = Dimensions(enterprise: "91350200776049653A", channel: "832平台")
        entry.postings[1].memo = "省总|拨付"
        let text = CanonicalText.entry(entry, bookCode: "main", seq: 7, voucherNumber: 3, createdAtMicroseconds: 1_590_000_000_123_456, createdBy: "cli:root")
        #expect(text == """
            E|main|7|2020-05|3|2020-05-12||2020-05-20T18:40:00.123456Z|cli:root|fund-1|d
            P|1|102|D|1800000|91350200776049653A||||832平台||
            P|2|403|C|1800000|||||||省总\\|拨付

            """)
    }

    @Test func theChainStartsAtZeroAndEachHashDependsOnThePrevious() {
        #expect(Chain.genesis == [UInt8](repeating: 0, count: 32))
        let first = Chain.next(previous: Chain.genesis, canonicalText: "x\n")
        let second = Chain.next(previous: first, canonicalText: "x\n")
        #expect(first != second)
        #expect(Chain.hex(Chain.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(first == Chain.sha256(Chain.genesis + Array("x\n".utf8)))
    }

    @Test func oneReusedWriterWritesTheSameBytesAsTheTextForms() {
        var entry = draft([posting("102", .debit, 1_800_000), posting("403", .credit, 1_800_000)], key: "k\\1")
        entry.postings[0].dimensions = Dimensions(enterprise: "E|1", supplier: "S", township: "T", category: "C", channel: "832平台", program: "P")
        entry.postings[1].memo = "行\r\n尾"
        var writer = CanonicalWriter()
        writer.header(
            bookCode: "main", seq: 1, period: entry.date.period, voucherNumber: 1, date: entry.date, reversesSeq: nil,
            createdAtMicroseconds: 0, createdBy: "x", idempotencyKey: "y", description: "z")
        writer.reset()
        for seq: Int64 in [Int64.max, 0] {
            writer.reset()
            writer.header(
                bookCode: "main", seq: seq, period: entry.date.period, voucherNumber: 12, date: entry.date, reversesSeq: -5,
                createdAtMicroseconds: -1, createdBy: "cli:root", idempotencyKey: entry.idempotencyKey, description: entry.description)
            for (index, p) in entry.postings.enumerated() {
                writer.posting(line: index + 1, accountCode: p.accountCode, side: p.side, amountFen: p.amount.fen, dimensions: p.dimensions, memo: p.memo)
            }
            let text = CanonicalText.entry(
                EntryDraft(idempotencyKey: entry.idempotencyKey, date: entry.date, description: entry.description, postings: entry.postings, reversesSeq: -5),
                bookCode: "main", seq: seq, voucherNumber: 12, createdAtMicroseconds: -1, createdBy: "cli:root")
            #expect(String(decoding: writer.bytes, as: UTF8.self) == text)
            #expect(Chain.next(previous: Chain.genesis, canonicalBytes: writer.bytes) == Chain.next(previous: Chain.genesis, canonicalText: text))
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self).hasPrefix("E|main|0|2020-05|12|2020-05-12|-5|1969-12-31T23:59:59.999999Z|cli:root|k\\\\1|"))
        #expect(String(decoding: writer.bytes, as: UTF8.self).contains("P|1|102|D|1800000|E\\|1|S|T|C|832平台|P|\n"))
        #expect(String(decoding: writer.bytes, as: UTF8.self).hasSuffix("P|2|403|C|1800000|||||||行\\r\\n尾\n"))
    }

    @Test func timestampsAreUTCWithSixFractionDigits() {
        #expect(Timestamp.iso8601(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.iso8601(microseconds: 1_590_000_000_123_456) == "2020-05-20T18:40:00.123456Z")
        #expect(Timestamp.iso8601(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
    }
}

@Suite("entry JSON")
struct EntryJSONTests {
    private func parse(_ text: String) throws(EntryError) -> [EntryJSON.Parsed] { try EntryJSON.parse(Array(text.utf8)) }

    @Test func readsAnEntryWithYuanAndFenAmounts() throws {
        let parsed = try parse(#"{"date":"2020-05-12","idempotency_key":"k","description":"收到","postings":[{"account":"102","side":"借","amount":"18,000.00","enterprise":"E1"},{"account":"403","side":"贷","amount_fen":1800000}]}"#)
        #expect(parsed.count == 1)
        #expect(parsed[0].draft.postings[0].amount.fen == 1_800_000)
        #expect(parsed[0].draft.postings[0].dimensions.enterprise == "E1")
        #expect(parsed[0].draft.postings[1].side == .credit)
    }

    @Test func errorsNameTheFieldPath() {
        let cases: [(String, String)] = [
            (#"[{"date":"2020-05-12","idempotency_key":"k","postings":[{"account":"102","side":"借","amount":"1.005"},{"account":"403","side":"贷","amount":"1"}]}]"#, "[0].postings[0].amount"),
            (#"{"date":"2020-02-30","idempotency_key":"k","postings":[]}"#, "date"),
            (#"{"date":"2020-05-12","idempotency_key":"k","postings":[{"account":"102","side":"左","amount":"1"},{"account":"403","side":"贷","amount":"1"}]}"#, "postings[0].side"),
            (#"{"date":"2020-05-12","idempotency_key":"k","postings":[{"account":"102","side":"借","amount":1.5},{"account":"403","side":"贷","amount":"1.5"}]}"#, "postings[0].amount"),
            (#"{"date":"2020-05-12","idempotency_key":"k","colour":"red","postings":[]}"#, "colour"),
            (#"{"date":"2020-05-12","postings":[]}"#, "idempotency_key"),
            (#"{"date":"2020-05-12","idempotency_key":"k","postings":[{"account":"102","side":"借","amount":"1e3"},{"account":"403","side":"贷","amount":"1000"}]}"#, "postings[0].amount"),
        ]
        for (text, field) in cases {
            let error = #expect(throws: EntryError.self) { _ = try parse(text) }
            #expect(error?.field == field, "\(text) → \(String(describing: error))")
        }
    }
}

@Suite("trial balance")
struct TrialBalanceTests {
    @Test func balancesLandOnTheSideTheyFallOnAndTotalsAgree() throws {
        let accounts = [
            Account(id: 1, code: "102", name: "银行存款", category: "asset", normalSide: .debit),
            Account(id: 2, code: "403", name: "上级补助收入", category: "income", normalSide: .credit),
        ]
        let report = TrialBalance(
            period: Period(year: 2020, month: 6)!, accounts: accounts, openingNetFen: [1: 500, 2: -500],
            debitFen: [1: 100], creditFen: [2: 100])
        #expect(report.rows[0].openingDebitFen == 500 && report.rows[0].closingDebitFen == 600)
        #expect(report.rows[1].openingCreditFen == 500 && report.rows[1].closingCreditFen == 600)
        #expect(report.isBalanced)
        let broken = TrialBalance(period: report.period, accounts: accounts, openingNetFen: [:], debitFen: [1: 1], creditFen: [:])
        #expect(!broken.isBalanced)
        #expect(report.renderCSV().hasPrefix("\u{FEFF}科目编码,"))
        let json = try report.renderJSON()
        for key in ["code", "name", "opening_debit_fen", "opening_credit_fen", "debit_fen", "credit_fen", "closing_debit_fen", "closing_credit_fen"] {
            #expect(json.contains("\"\(key)\""))
        }
        #expect(report.renderTable().contains("借贷平衡"))
    }

    @Test func csvQuotesOnlyWhatNeedsIt() {
        #expect(CSV.row(["a", "b,c", "say \"hi\""]) == "a,\"b,c\",\"say \"\"hi\"\"\"\r\n")
        // A CRLF inside a field is one Character; it must still be quoted, as must a lone CR or LF.
        #expect(CSV.row(["行一\r\n行二", "x\ry", "x\ny", "采购"]) == "\"行一\r\n行二\",\"x\ry\",\"x\ny\",采购\r\n")
        #expect(CSV.row([]) == "\r\n")
    }
}

/// The canonical writer from UTF-8 bytes (what `relief verify` writes from COPY rows) and from
/// Strings must give the same bytes.
@Suite("canonical writer from bytes")
struct CanonicalWriterBytesTests {
    @Test func bytesAndStringsWriteTheSameHeaderAndPostings() {
        let book = "main", by = "张三|admin", key = "k|ey\\1\r", text = "摘要 | back\\slash\nline"
        var fromStrings = CanonicalWriter()
        fromStrings.header(
            bookCode: book, seq: 42, period: Period(year: 2020, month: 5)!, voucherNumber: 7, date: LocalDate(year: 2020, month: 5, day: 9)!,
            reversesSeq: 3, createdAtMicroseconds: 1_589_000_000_123_456, createdBy: by, idempotencyKey: key, description: text)
        fromStrings.posting(
            line: 1, accountCode: "9|01", side: .debit, amountFen: 380_000,
            dimensions: Dimensions(enterprise: "E\\1", township: "沙道沟镇", program: "P\n"), memo: "备注|")
        fromStrings.posting(line: 2, accountCode: "902", side: .credit, amountFen: 380_000, dimensions: Dimensions(), memo: nil)

        var fromBytes = CanonicalWriter()
        func bytes(_ value: String) -> [UInt8] { Array(value.utf8) }
        let (b, y, k, t) = (bytes(book), bytes(by), bytes(key), bytes(text))
        b.withUnsafeBufferPointer { b in
            y.withUnsafeBufferPointer { y in
                k.withUnsafeBufferPointer { k in
                    t.withUnsafeBufferPointer { t in
                        fromBytes.header(
                            bookCode: b, seq: 42, period: Period(year: 2020, month: 5)!, voucherNumber: 7,
                            date: LocalDate(year: 2020, month: 5, day: 9)!, reversesSeq: 3,
                            createdAtMicroseconds: 1_589_000_000_123_456, createdBy: y, idempotencyKey: k, description: t)
                    }
                }
            }
        }
        let fields: [String?] = ["E\\1", nil, "沙道沟镇", nil, nil, "P\n"]
        bytes("9|01").withUnsafeBufferPointer { fromBytes.beginPosting(line: 1, accountCode: $0, side: .debit, amountFen: 380_000) }
        for field in fields {
            if let field { bytes(field).withUnsafeBufferPointer { fromBytes.field(utf8: $0) } } else { fromBytes.field(utf8: nil) }
        }
        bytes("备注|").withUnsafeBufferPointer { fromBytes.endPosting(memo: $0) }
        bytes("902").withUnsafeBufferPointer { fromBytes.beginPosting(line: 2, accountCode: $0, side: .credit, amountFen: 380_000) }
        for _ in 0..<6 { fromBytes.field(utf8: nil) }
        fromBytes.endPosting(memo: nil as UnsafeBufferPointer<UInt8>?)

        #expect(fromBytes.bytes == fromStrings.bytes)
        let written = String(decoding: fromBytes.bytes, as: UTF8.self)
        #expect(written.hasPrefix("E|main|42|2020-05|7|2020-05-09|3|2020-05-09T04:53:20.123456Z|张三\\|admin|k\\|ey\\\\1\\r|摘要 \\| back\\\\slash\\nline\n"))
        #expect(written.hasSuffix("P|2|902|C|380000|||||||\n"))
    }

    @Test func theHashWrittenInPlaceIsTheChainsNextHash() {
        let text = Array("E|main|1|2020-05|1|2020-05-09||2020-05-09T04:53:20.000000Z|a|k|d\n".utf8)
        var reused = [UInt8](repeating: 7, count: 3)
        text.withUnsafeBufferPointer { Chain.next(previous: Chain.genesis, canonicalBytes: $0, into: &reused) }
        #expect(reused == Chain.next(previous: Chain.genesis, canonicalBytes: text))
        let second = Chain.next(previous: reused, canonicalBytes: text)
        let previous = reused
        text.withUnsafeBufferPointer { Chain.next(previous: previous, canonicalBytes: $0, into: &reused) }
        #expect(reused == second)
    }
}
