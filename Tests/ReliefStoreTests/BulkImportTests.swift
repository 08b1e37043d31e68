import Foundation
import Postgres
import ReliefCore
import ReliefTestSupport
import Testing

@testable import ReliefStore

/// The bulk path of a purchase import (0024): Swift numbers and hashes, COPY stages, and
/// `relief.post_staged_purchases` moves the rows in with every check of the books.
@Suite("bulk purchase import")
struct BulkImportTests {
    /// Every row an import leaves in the books, as text, in one order: what the two paths must
    /// agree on. Entries by chain position, postings by their entry's position and account and
    /// dimension codes, purchases and lines by key; ids and timestamps, which differ between two
    /// databases, are left out (the chains are verified instead).
    static func contents(_ books: Books) async throws -> [String] {
        try await books.admin.run { c in
            try c.query(
                """
                SELECT x FROM (
                  SELECT concat_ws('|', 'E', e.seq, e.period, e.voucher_no, e.entry_date, e.idempotency_key, e.description, e.created_by) AS x
                  FROM relief.entries e
                  UNION ALL
                  SELECT concat_ws('|', 'P', e.seq, p.line, a.code, p.side, p.amount_fen, de.code, ds.code, dt.code, dc.code, dh.code, dp.code, p.memo)
                  FROM relief.postings p JOIN relief.entries e ON e.id = p.entry_id JOIN relief.accounts a ON a.id = p.account_id
                  LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
                  LEFT JOIN relief.dimension_values dt ON dt.id = p.township_id LEFT JOIN relief.dimension_values dc ON dc.id = p.category_id
                  LEFT JOIN relief.dimension_values dh ON dh.id = p.channel_id LEFT JOIN relief.dimension_values dp ON dp.id = p.program_id
                  UNION ALL
                  SELECT concat_ws('|', 'U', p.purchase_key, e.seq, p.enterprise_id, p.supplier_id, p.purchase_date, p.channel, p.purpose,
                                   p.invoice_number, p.invoice_date, p.seller_tax_id, p.created_by)
                  FROM relief.purchases p JOIN relief.entries e ON e.id = p.entry_id
                  UNION ALL
                  SELECT concat_ws('|', 'L', p.purchase_key, l.line, l.product_id, l.quantity, l.unit, l.unit_price, l.amount_fen, l.eligible,
                                   l.reason_codes::text, l.reasons)
                  FROM relief.purchase_lines l JOIN relief.purchases p ON p.id = l.purchase_id
                  UNION ALL
                  SELECT concat_ws('|', 'B', a.code, b.period, b.debit_fen, b.credit_fen)
                  FROM relief.account_balances b JOIN relief.accounts a ON a.id = b.account_id
                  UNION ALL
                  SELECT concat_ws('|', 'V', v.period, v.last_no) FROM relief.voucher_counters v
                  UNION ALL
                  SELECT concat_ws('|', 'M', t.program_id, t.enterprise_id, t.period, t.eligible_fen, t.ineligible_fen) FROM relief.purchase_month_totals t
                  UNION ALL
                  SELECT concat_ws('|', 'C', b.code, b.chain_seq) FROM relief.books b
                ) rows ORDER BY x
                """
            ).rows.map { try $0.decode(String.self, at: 0) }
        }
    }

    /// Imports `table` through `path` as relief_app (the CLI's role).
    static func importThrough(_ path: Purchases.WritePath, _ books: Books, _ table: Table) async throws
        -> ImportSummary
    {
        let (records, mapProblems, parseProblems) = Purchases.parse(table)
        let file = Purchases.ParsedFile(
            fileName: table.fileName, rowCount: table.rows.count, records: records, mapProblems: mapProblems,
            parseProblems: parseProblems)
        return try await books.database.pool.withConnection { connection in
            try await connection.run { c in
                try Purchases.importParsed(
                    c, file, programCode: Demo.programCode, actorName: "bulk", path: path,
                    progress: { _, _ in })
            }
        }
    }

    static func summaryFigures(_ s: ImportSummary) -> [Int] {
        [s.rows, s.created, s.unchanged, s.ineligibleLines, s.entriesPosted]
    }

    /// The same files, imported through post_entries into one database and through the bulk path
    /// into another, leave the same rows, balances, counters and month totals, and both chains
    /// verify. The second file continues the chain and the voucher numbers the first left; the
    /// first imported again changes nothing.
    @Test func theBulkPathWritesWhatPostEntriesWrites() async throws {
        let data = DemoData(volume: .init(enterprises: 30, purchases: 2_600))
        let early = data.purchasesEarly
        let may = data.purchasesMay
        var results: [[String]] = []
        var summaries: [[[Int]]] = []
        for (label, path) in [("bulkref", Purchases.WritePath.postEntries), ("bulkpath", .bulk)] {
            let books = try await Books.make(label)
            _ = try await books.admin.run { c in try Demo.loadMasterData(c, data) }
            let first = try await Self.importThrough(path, books, early)
            let second = try await Self.importThrough(path, books, may)
            let again = try await Self.importThrough(path, books, early)
            summaries.append([first, second, again].map(Self.summaryFigures))
            #expect(try await books.verify().isSound, "\(label) verifies")
            #expect(again.created == 0 && again.unchanged == first.created)
            results.append(try await Self.contents(books))
            await books.close()
        }
        #expect(summaries[0] == summaries[1])
        #expect(
            summaries[1][0][1] > Purchases.bulkMinimumPurchases,
            "the first file alone would take the bulk path")
        #expect(results[0].count > 10_000)
        #expect(results[0] == results[1])
        if results[0] != results[1] {
            let difference = results[1].difference(from: results[0])
            Issue.record("first differences: \(Array(difference.prefix(6)))")
        }
    }

    /// One purchase entry staged by hand as the owner, its hash computed by SQL from its rows;
    /// `change` alters the staging before the call. Returns the SQLSTATE the transaction failed
    /// with, nil when the rows were moved.
    static func stagedCall(_ books: Books, _ change: String = "") async -> String? {
        await books.ownerError(
            """
            SELECT relief.begin_purchase_import('main');
            INSERT INTO pg_temp.bulk_entries
              SELECT b.chain_seq + 1, 202005, coalesce((SELECT last_no FROM relief.voucher_counters v WHERE v.book_id = b.id AND v.period = 202005), 0) + 1,
                     '2020-05-12', 'bulk:hand', 'by hand', '\\x00'
              FROM relief.books b WHERE b.code = 'main';
            INSERT INTO pg_temp.bulk_postings (seq, line, account_id, side, amount_fen)
              SELECT e.seq, 1, a.id, 'D', 100 FROM pg_temp.bulk_entries e, relief.accounts a JOIN relief.books b ON b.id = a.book_id AND b.code = 'main' WHERE a.code = '901';
            INSERT INTO pg_temp.bulk_postings (seq, line, account_id, side, amount_fen)
              SELECT e.seq, 2, a.id, 'C', 100 FROM pg_temp.bulk_entries e, relief.accounts a JOIN relief.books b ON b.id = a.book_id AND b.code = 'main' WHERE a.code = '902';
            \(change);
            UPDATE pg_temp.bulk_entries e SET hash = sha256((SELECT chain_head FROM relief.books WHERE code = 'main') || convert_to(
                relief.canon_header('main', e.seq, e.period, e.voucher_no, e.entry_date, NULL, now(), 'hand', e.idempotency_key, e.description)
                || (SELECT string_agg(concat_ws('|', 'P', p.line::text, a.code, p.side::text, p.amount_fen::text, '', '', '', '', '', '', '') || E'\\n', '' ORDER BY p.line)
                    FROM pg_temp.bulk_postings p JOIN relief.accounts a ON a.id = p.account_id WHERE p.seq = e.seq), 'UTF8'))
             WHERE e.hash = '\\x00';
            SELECT * FROM relief.post_staged_purchases('main', NULL, 'hand');
            """)
    }

    /// PostgreSQL's side of the bulk path refuses, by itself, staged rows that would break the
    /// books: a hash that its rows do not give, a gap in the chain, a posting of no staged entry,
    /// an unbalanced entry (the entries' own trigger), a key already in the book.
    @Test func postgresRefusesStagedRowsThatBreakTheBooks() async throws {
        let books = try await ProgramTests.demoBooks("bulkchecks")
        #expect(await Self.stagedCall(books) == nil, "the well-formed entry is moved")
        #expect(
            await Self.stagedCall(books, "UPDATE pg_temp.bulk_postings SET amount_fen = 90 WHERE line = 2")
                == "RL021")
        let gap = await Self.stagedCall(
            books,
            "UPDATE pg_temp.bulk_entries SET seq = seq + 1; UPDATE pg_temp.bulk_postings SET seq = seq + 1")
        #expect(gap == "RL024", "\(gap ?? "moved")")
        #expect(
            await Self.stagedCall(
                books,
                "INSERT INTO pg_temp.bulk_postings (seq, line, account_id, side, amount_fen) SELECT seq + 7, 1, account_id, side, amount_fen FROM pg_temp.bulk_postings WHERE line = 1"
            )
                == "RL034")
        #expect(
            await Self.stagedCall(books, "UPDATE pg_temp.bulk_entries SET hash = sha256('tampered'::bytea)")
                == "RL025")
        #expect(
            await Self.stagedCall(
                books,
                "UPDATE pg_temp.bulk_entries SET idempotency_key = (SELECT idempotency_key FROM relief.entries LIMIT 1)"
            ) == "23505")
        #expect(
            await Self.stagedCall(books, "UPDATE pg_temp.bulk_entries SET period = 202004") == "23514",
            "the period must be the date's")
        await books.close()
    }

    /// A clerk may not take the bulk path (its inserts stay under row-level security): PostgreSQL
    /// refuses the functions, and an import told to take it says so.
    @Test func aClerkCannotTakeTheBulkPath() async throws {
        let books = try await ProgramTests.demoBooks("bulkclerk")
        let (clerk, _) = try await AccessTests.clerks(books)
        let refused = await #expect(throws: PostgresError.self) {
            _ = try await books.database.pool.withConnection { connection in
                try await connection.run { c in
                    try Access.asUser(c, clerk) { t in
                        try t.query("SELECT * FROM relief.begin_purchase_import('main')")
                    }
                }
            }
        }
        #expect(refused?.sqlState == "42501")
        let data = DemoData()
        var cells = data.purchasesMay.rows[0].cells
        cells[0] = "CLERK-BULK"
        cells[1] = clerk.enterpriseCode!
        let table = Table(
            fileName: "clerk.csv", headers: data.purchasesMay.headers, rows: [TableRow(line: 2, cells: cells)]
        )
        let (records, _, _) = Purchases.parse(table)
        let file = Purchases.ParsedFile(
            fileName: "clerk.csv", rowCount: 1, records: records, mapProblems: [], parseProblems: [])
        let bulk = await #expect(throws: SubsidyError.self) {
            _ = try await books.database.pool.withConnection { connection in
                try await connection.run { c in
                    try Access.asUser(c, clerk) { t in
                        try Purchases.importParsed(
                            t, file, programCode: Demo.programCode, actorName: clerk.actorName, path: .bulk,
                            progress: { _, _ in })
                    }
                }
            }
        }
        #expect(bulk?.message.contains("bulk") == true)
        // The same purchase through the automatic path (post_entries) is recorded.
        _ = try await books.database.pool.withConnection { connection in
            try await connection.run { c in
                try Access.asUser(c, clerk) { t in
                    try Purchases.importPurchases(
                        t, table, programCode: Demo.programCode, actorName: clerk.actorName)
                }
            }
        }
        #expect(
            try await books.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = 'CLERK-BULK'")
                == 1)
        await books.close()
    }
}

/// The COPY text rows the bulk path stages, without a database.
@Suite("bulk staging rows")
struct CopyRowTests {
    @Test func fieldsAreSeparatedEscapedAndEnded() {
        var row = CopyRow()
        var out: [UInt8] = []
        row.integer(-42)
        row.text("")
        row.text("a\tb\nc\\d\re")
        row.null()
        row.bytea([0x00, 0xab, 0xff])
        row.end(into: &out)
        row.text("")
        row.integer(7)
        row.end(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "-42\t\ta\\tb\\nc\\\\d\\re\t\\N\t\\\\x00abff\n\t7\n")
    }

    @Test func chunksStartSmallThenTakeTheFullSizeAndCoverEveryPurchaseOnce() {
        #expect(Purchases.bulkChunks(0).isEmpty)
        #expect(Purchases.bulkChunks(5) == [0..<5])
        let first = Purchases.bulkFirstChunkPurchases
        let size = Purchases.bulkChunkPurchases
        let count = first + 2 * size + 7
        let chunks = Purchases.bulkChunks(count)
        #expect(chunks.map(\.count) == [first, size, size, 7])
        #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == count)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    @Test func postingRowsCollectApartAndAreTakenOnce() {
        var row = CopyRow()
        row.integer(1)
        row.text("D")
        row.endPosting()
        row.integer(2)
        row.endPosting()
        #expect(String(decoding: row.takePostings(), as: UTF8.self) == "1\tD\n2\n")
        #expect(row.takePostings().isEmpty)
    }
}
