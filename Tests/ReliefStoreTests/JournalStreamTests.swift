import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

/// The journal as `relief export` and `relief verify` read it: binary COPY in index order, no sort.
@Suite("journal stream")
struct JournalStreamTests {
    @Test func streamedEntriesRenderPostgreSQLsOwnCanonicalTextInChainOrder() async throws {
        let books = try await Books.make("stream")
        var awkward = transfer("k|ey\\1", "2020-05-12", 250)
        awkward.description = "摘要 with | pipe, \"quote\", back\\slash\nand a line break\r"
        awkward.postings[0].memo = "备注|\\\n"
        _ = try await books.ledger.post(awkward)
        for index in 2...6 { _ = try await books.ledger.post(transfer("e\(index)", "2020-0\(4 + index % 3)-1\(index)", Int64(index * 100))) }
        _ = try await books.ledger.reverse(seq: 2, reason: "冲销 #2", date: day("2020-06-20"))
        _ = try await books.ledger.post(transfer("last", "2020-05-28", 700))

        let (entries, expected) = try await books.admin.run { c in
            var entries: [ExportEntry] = []
            try JournalStream.forEach(c, bookCode: "main") { entries.append($0) }
            let expected = try c.query(
                "SELECT seq, relief.entry_canonical_text(id), encode(hash, 'hex') FROM relief.entries ORDER BY seq"
            ).rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)) }
            return (entries, expected)
        }
        #expect(entries.map(\.seq) == Array(1...8))
        #expect(entries.count == expected.count)
        for (entry, row) in zip(entries, expected) {
            #expect(entry.seq == row.0)
            #expect(entry.canonicalText == row.1, "entry \(entry.seq)")
            #expect(entry.hashHex == row.2, "entry \(entry.seq)")
            #expect(entry.postings.map(\.line) == Array(1...entry.postings.count))
        }
        #expect(entries[6].reversesSeq == 2 && entries[6].postings.allSatisfy(\.isRed))
        #expect(entries[0].postings[0].memo == "备注|\\\n")

        // A period range streams that range only, still in chain order.
        let june = try await books.admin.run { c in
            var seqs: [Int64] = []
            try JournalStream.forEach(c, bookCode: "main", periods: Period(year: 2020, month: 6)!...Period(year: 2020, month: 6)!) { seqs.append($0.seq) }
            return seqs
        }
        #expect(june == entries.filter { $0.period == Period(year: 2020, month: 6)! }.map(\.seq))
        #expect(!june.isEmpty)
        #expect(try await books.verify().isSound)

        // An entry whose postings were removed behind the triggers' back still streams, with none,
        // and verify names it; JIT is back to what it was.
        try await books.admin.run { c in
            try c.execute("SET session_replication_role = replica")
            try c.execute("DELETE FROM relief.postings WHERE entry_id = (SELECT id FROM relief.entries WHERE seq = 4)")
            try c.execute("SET session_replication_role = DEFAULT")
        }
        let (fourth, jit) = try await books.admin.run { c in
            var fourth: ExportEntry?
            try JournalStream.forEach(c, bookCode: "main") { if $0.seq == 4 { fourth = $0 } }
            return (fourth, try c.query("SELECT current_setting('jit')").single().decode(String.self, at: 0))
        }
        #expect(fourth?.postings.isEmpty == true)
        let report = try await books.verify()
        #expect(report.problems.first?.seq == 4)
        #expect(report.entriesChecked == 8)
        let defaultJIT = try await books.admin.run { c in try c.query("SELECT reset_val FROM pg_settings WHERE name = 'jit'").single().decode(String.self, at: 0) }
        #expect(jit == defaultJIT)
        await books.close()
    }

    @Test func entryIDsThatDoNotRiseWithTheChainAreReadInOrderAllTheSame() async throws {
        let books = try await Books.make("streamids")
        for index in 1...5 { _ = try await books.ledger.post(transfer("i\(index)", "2020-05-1\(index)", Int64(index * 100))) }
        // Entry 6 gets an id below every other (only possible behind the triggers' back), entry 7 a
        // normal one: the two-COPY merge must notice at 6 and read 6 and 7 another way.
        try await books.admin.run { c in
            try c.execute("SET session_replication_role = replica")
            for (seq, id) in [(6, "-5"), (7, "nextval('relief.entries_id_seq')")] {
                try c.execute(
                    """
                    INSERT INTO relief.entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, created_at, idempotency_key, created_by, description, hash)
                    SELECT \(id), tenant_id, book_id, \(seq), period, \(seq), entry_date, created_at, 'odd\(seq)', created_by, 'odd', hash
                    FROM relief.entries WHERE seq = 1
                    """)
                try c.execute(
                    """
                    INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen)
                    SELECT (SELECT id FROM relief.entries WHERE seq = \(seq)), line, tenant_id, account_id, side, amount_fen + \(seq)
                    FROM relief.postings WHERE entry_id = (SELECT id FROM relief.entries WHERE seq = 1)
                    """)
            }
            try c.execute("SET session_replication_role = DEFAULT")
        }
        let (outside, inside, expected) = try await books.admin.run { c in
            var outside: [String] = []
            try JournalStream.forEach(c, bookCode: "main") { outside.append($0.canonicalText) }
            // Inside a transaction the single-connection query reads.
            var inside: [String] = []
            try c.execute("BEGIN")
            try JournalStream.forEach(c, bookCode: "main") { inside.append($0.canonicalText) }
            try c.execute("COMMIT")
            let expected = try c.query("SELECT relief.entry_canonical_text(id) FROM relief.entries ORDER BY seq").rows.map { try $0.decode(String.self, at: 0) }
            return (outside, inside, expected)
        }
        #expect(expected.count == 7)
        #expect(outside == expected)
        #expect(inside == expected)
        // The read's own transaction is over.
        #expect(await books.admin.isIdle)
        await books.close()
    }

    @Test func theCSVExportHasOneRowPerPostingInChainOrder() async throws {
        let books = try await Books.make("streamcsv")
        for index in 1...300 { _ = try await books.ledger.post(transfer("c\(index)", "2020-05-1\(index % 10)", Int64(index))) }
        let path = NSTemporaryDirectory() + "relief-stream-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (count, entries) = try await books.admin.run { c in
            var entries: [ExportEntry] = []
            try JournalStream.forEach(c, bookCode: "main") { entries.append($0) }
            return (try JournalExport.write(c, bookCode: "main", format: .csv, to: path), entries)
        }
        #expect(count == 300)
        var writer = CSVJournalWriter()
        var expected = Array(writer.header(accounts: []).utf8)
        for entry in entries { expected += Array(writer.entry(entry).utf8) }
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == expected)
        await books.close()
    }
}
