import Foundation
import Postgres
import ReliefCore
@testable import ReliefStore
import ReliefTestSupport
import Testing

/// What `relief verify` hashes: each entry's canonical text written from the COPY rows' bytes
/// (the two-stream path) or from an ``ExportEntry`` (the single-connection path) must be
/// PostgreSQL's own canonical text, byte for byte, with the stored hash and the postings' facts.
@Suite("chain batches")
struct ChainBatchTests {
    @Test func everyPathWritesPostgreSQLsCanonicalTextAndTheStoredHashes() async throws {
        let books = try await Self.bookWithAwkwardEntry(
            "chainbatch", key: "k|ey\\1", description: "摘要 with | pipe, back\\slash\nand a line break\r", memo: "备注|\\\n")
        for index in 2...6 { _ = try await books.ledger.post(transfer("e\(index)", "2020-0\(4 + index % 3)-1\(index)", Int64(index * 100))) }
        _ = try await books.ledger.reverse(seq: 2, reason: "冲销 #2", date: day("2020-06-20"))
        _ = try await books.ledger.post(transfer("last", "2020-05-28", 700))

        let (outside, inside, expected) = try await books.admin.run { c in
            var outside: [ChainBatch] = []
            try JournalStream.forEachChainBatch(c, bookCode: "main", entriesPerBatch: 3) { outside.append($0) }
            var inside: [ChainBatch] = []
            try c.execute("BEGIN")
            try JournalStream.forEachChainBatch(c, bookCode: "main", entriesPerBatch: 3) { inside.append($0) }
            try c.execute("COMMIT")
            return (outside, inside, try Self.expected(c))
        }
        #expect(expected.count == 8)
        #expect(outside.map(\.entries.count) == [3, 3, 2])
        for (path, batches) in [("two streams", outside), ("one connection", inside)] {
            let entries = Self.entries(batches)
            #expect(entries.count == expected.count, "\(path)")
            for (entry, row) in zip(entries, expected) {
                #expect(entry.seq == row.seq, "\(path)")
                #expect(String(decoding: entry.text, as: UTF8.self) == String(decoding: row.text, as: UTF8.self), "\(path), entry \(row.seq)")
                #expect(entry.hash == row.hash, "\(path), entry \(row.seq)")
                #expect(entry.postings == row.postings, "\(path), entry \(row.seq)")
            }
        }
        // The reversal's postings count red.
        #expect(Self.entries(outside)[6].postings.allSatisfy { $0.hasSuffix("red") })
        #expect(try await books.verify().isSound)
        await books.close()
    }

    /// A posting changed behind the triggers' back is found on the two-stream path by its
    /// entry's hash, and the chain goes on from the stored hash (one problem, not one per entry).
    @Test func verifyNamesTheOneEntryWhosePostingChanged() async throws {
        let books = try await Books.make("chainbatchtamper")
        for index in 1...7 { _ = try await books.ledger.post(transfer("t\(index)", "2020-05-1\(index)", Int64(index * 100))) }
        try await books.admin.run { c in
            try c.execute("SET session_replication_role = replica")
            try c.execute("UPDATE relief.postings SET memo = 'x|y' WHERE entry_id = (SELECT id FROM relief.entries WHERE seq = 5) AND line = 2")
            try c.execute("SET session_replication_role = DEFAULT")
        }
        let report = try await books.verify()
        #expect(report.entriesChecked == 7)
        #expect(report.postingsChecked == 14)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.seq == 5)
        #expect(report.problems.first?.message.contains("stored hash") == true)
        await books.close()
    }

    /// A book whose first entry has `key`, `description` and a first posting with `memo` and
    /// three dimensions: the text the readers must escape or quote.
    static func bookWithAwkwardEntry(_ label: String, key: String, description: String, memo: String) async throws -> Books {
        let books = try await Books.make(label)
        try await books.admin.run { c in
            let statement = MasterData.ensureDimensionsStatement([("enterprise", "E-1"), ("supplier", "S-2"), ("channel", "线下")])!
            _ = try c.query(statement.sql, statement.parameters)
        }
        var awkward = transfer(key, "2020-05-12", 250)
        awkward.description = description
        awkward.postings[0].memo = memo
        awkward.postings[0].dimensions = Dimensions(enterprise: "E-1", supplier: "S-2", channel: "线下")
        _ = try await books.ledger.post(awkward)
        return books
    }

    struct Expected: Equatable {
        var seq: Int64
        var text: [UInt8]
        var hash: [UInt8]
        var postings: [String]
    }

    static func expected(_ c: isolated Connection) throws -> [Expected] {
        try c.query(
            """
            SELECT e.seq, convert_to(relief.entry_canonical_text(e.id), 'UTF8'), e.hash,
                   (SELECT array_to_string(array_agg(p.account_id || ' ' || p.side::text || ' ' || p.amount_fen || (CASE WHEN e.reverses_id IS NULL THEN '' ELSE ' red' END) ORDER BY p.line), ',')
                    FROM relief.postings p WHERE p.entry_id = e.id)
            FROM relief.entries e ORDER BY e.seq
            """
        ).rows.map { row in
            Expected(
                seq: try row.decode(Int64.self, at: 0), text: try row.decode(PostgresBytes.self, at: 1).bytes,
                hash: try row.decode(PostgresBytes.self, at: 2).bytes,
                postings: (try row.decode(String.self, at: 3)).split(separator: ",").map(String.init))
        }
    }

    /// The batches' entries, each with its slices of the batch's buffers.
    static func entries(_ batches: [ChainBatch]) -> [Expected] {
        var result: [Expected] = []
        for batch in batches {
            var textStart = 0
            var hashStart = 0
            var postingsStart = 0
            for entry in batch.entries {
                let postings = batch.postings[postingsStart..<entry.postingsEnd].map {
                    "\($0.accountID) \($0.isDebit ? "D" : "C") \($0.amountFen)" + ($0.isRed ? " red" : "")
                }
                result.append(Expected(
                    seq: entry.seq, text: Array(batch.text.bytes[textStart..<entry.textEnd]),
                    hash: Array(batch.hashes[hashStart..<entry.hashEnd]), postings: postings))
                textStart = entry.textEnd
                hashStart = entry.hashEnd
                postingsStart = entry.postingsEnd
            }
        }
        return result
    }
}

/// `relief export journal --format csv` writes each row straight from the COPY rows' bytes on the
/// two-stream path: the same bytes as the CSV writer makes from ``ExportEntry`` values.
@Suite("CSV rows from bytes")
struct CSVRowsFromBytesTests {
    @Test func theExportWritesTheSameBytesOnEveryPath() async throws {
        let books = try await ChainBatchTests.bookWithAwkwardEntry(
            "csvrows", key: "k,ey\"1", description: "摘要, with \"quotes\", a comma\nand a line break\r", memo: "备注,\"x\"\n")
        for index in 2...6 { _ = try await books.ledger.post(transfer("e\(index)", "2020-0\(4 + index % 3)-1\(index)", Int64(index * 1_000_001))) }
        _ = try await books.ledger.reverse(seq: 2, reason: "冲销 #2", date: day("2020-06-20"))

        let folder = NSTemporaryDirectory() + "relief-csvrows-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (streamed, streamedCount, inside, reference, written) = try await books.admin.run { c in
            var streamed: [UInt8] = []
            var chunks = 0
            let streamedCount = try JournalStream.forEachCSVChunk(c, bookCode: "main", chunkBytes: 100) { streamed += $0; chunks += 1 }
            #expect(chunks > 1)
            var reference: [UInt8] = []
            var inside: [UInt8] = []
            try c.execute("BEGIN")
            try JournalStream.forEach(c, bookCode: "main") { CSVJournalWriter.appendRows($0, to: &reference) }
            _ = try JournalStream.forEachCSVChunk(c, bookCode: "main", chunkBytes: 1 << 20) { inside += $0 }
            try c.execute("COMMIT")
            let path = folder + "/journal.csv"
            try JournalExport.write(c, bookCode: "main", format: .csv, to: path)
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            return (streamed, streamedCount, inside, reference, written)
        }
        #expect(streamedCount == 7)
        #expect(!reference.isEmpty)
        #expect(String(decoding: streamed, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
        #expect(inside == reference)
        #expect(written == Array((CSV.byteOrderMark + CSV.row(CSVJournalWriter.headers)).utf8) + reference)
        // The awkward cells are quoted, the hash is the stored one in hex.
        let text = String(decoding: streamed, as: UTF8.self)
        #expect(text.contains("\"摘要, with \"\"quotes\"\", a comma\nand a line break\r\""))
        #expect(text.contains("\"备注,\"\"x\"\"\n\""))
        await books.close()
    }
}
