public import Postgres
import ReliefCore

/// What `relief verify` found.
public struct VerificationReport: Sendable {
    /// One thing that is wrong, tied to an entry where there is one.
    public struct Problem: Sendable, CustomStringConvertible {
        /// Chain position of the entry concerned, if any.
        public var seq: Int64?
        /// Voucher reference (`2020-05/3`) of the entry concerned, if any.
        public var voucher: String?
        /// What is wrong.
        public var message: String

        public var description: String {
            if let seq {
                return "entry #\(seq)" + (voucher.map { " (voucher \($0))" } ?? "") + ": \(message)"
            }
            return message
        }
    }

    /// The book checked.
    public var bookCode: String
    /// Entries read.
    public var entriesChecked = 0
    /// Postings read.
    public var postingsChecked = 0
    /// The last entry's hash as recomputed.
    public var chainHead = Chain.genesis
    /// Problems in chain order; at most ``Verifier/maximumProblems``.
    public var problems: [Problem] = []

    /// True when nothing is wrong.
    public var isSound: Bool { problems.isEmpty }
}

/// Recomputes a book from its rows, independently of the SQL that wrote it: every hash in the
/// chain, voucher continuity per month, balance and posting count per entry, the per-account
/// monthly totals, the books' chain head, and each period close's head and closing balances.
public enum Verifier {
    /// The most problems listed (the first is what matters; the rest give scale).
    public static let maximumProblems = 100
    /// Entries handed to the checking thread at a time.
    static let entriesPerBatch = 512
    /// Batches read ahead of the checking thread at most: memory stays bounded by about
    /// `batchesInFlight × entriesPerBatch` entries' text whatever the size of the book.
    static let batchesInFlight = 4

    /// Verifies `bookCode`, streaming entries and postings with COPY (memory does not grow with
    /// the number of entries, only with accounts × months).
    public static func verify(_ c: isolated Connection, bookCode: String) throws -> VerificationReport {
        var report = VerificationReport(bookCode: bookCode)
        let book = try c.query("SELECT id, chain_seq, chain_head FROM relief.books WHERE code = $1", [bookCode]).rows.first
        guard let book else { throw LedgerError.unknownBook(bookCode) }
        let bookID = try book.decode(Int.self, at: 0)
        // Several months can close at one chain position (no entries between them): keep them all.
        var closes: [Int64: [(period: Int, head: [UInt8])]] = [:]
        for row in try c.query("SELECT chain_seq, period, chain_head FROM relief.period_closes WHERE book_id = $1", [bookID]).rows {
            closes[try row.decode(Int64.self, at: 0), default: []].append((try row.decode(Int.self, at: 1), try row.decode(PostgresBytes.self, at: 2).bytes))
        }
        // The connection's thread reads the rows; a second thread recomputes the chain and checks.
        let checker = StreamChecker(report: report)
        let closeHeads = closes
        let pipeline = BatchPipeline<ChainBatch>(batchSize: 1, depth: Self.batchesInFlight, name: "relief.verify") { batches in
            for index in batches.indices { checker.check(batches[index], closes: closeHeads) }
        }
        do {
            try JournalStream.forEachChainBatch(c, bookCode: bookCode, entriesPerBatch: Self.entriesPerBatch) { batch in try pipeline.send(batch) }
        } catch {
            try? pipeline.finish()
            throw error
        }
        try pipeline.finish()
        let state = checker.state
        report = checker.report
        state.checkClose(closes: closes, report: &report)

        // The books row must point at the last entry.
        let storedSeq = try book.decode(Int64.self, at: 1)
        let storedHead = try book.decode(PostgresBytes.self, at: 2).bytes
        if storedSeq != state.lastSeq || storedHead != state.previousHash {
            report.add(.init(message: "the book's chain head (position \(storedSeq), \(Chain.hex(storedHead).prefix(16))…) does not match its last entry (position \(state.lastSeq))"))
        }
        for (seq, list) in closes where seq > state.lastSeq {
            for close in list {
                report.add(.init(message: "the close of \(Period(yyyymm: close.period)?.description ?? "?") records chain position \(seq), which does not exist"))
            }
        }
        try compareMonthlyTotals(c, bookID: bookID, computed: state.monthly, report: &report)
        try compareClosingBalances(c, bookID: bookID, computed: state.monthly, report: &report)
        try comparePurchaseMonthTotals(c, bookID: bookID, report: &report)
        report.chainHead = state.previousHash
        return report
    }

    private static func compareMonthlyTotals(
        _ c: isolated Connection, bookID: Int, computed: [MonthKey: (Int64, Int64)], report: inout VerificationReport
    ) throws {
        var stored: [MonthKey: (Int64, Int64)] = [:]
        for row in try c.query("SELECT account_id, period, debit_fen, credit_fen FROM relief.account_balances WHERE book_id = $1", [bookID]).rows {
            stored[MonthKey(accountID: try row.decode(Int.self, at: 0), period: try row.decode(Int.self, at: 1))] =
                (try row.decode(Int64.self, at: 2), try row.decode(Int64.self, at: 3))
        }
        for key in Set(stored.keys).union(computed.keys).sorted(by: { ($0.period, $0.accountID) < ($1.period, $1.accountID) }) {
            let s = stored[key] ?? (0, 0)
            let r = computed[key] ?? (0, 0)
            if s != r {
                report.add(.init(message: "account id \(key.accountID), period \(key.period): stored monthly totals debit \(s.0) / credit \(s.1) fen, postings add up to \(r.0) / \(r.1)"))
            }
        }
    }

    /// The kept purchase totals the 月报 reads (per program of this book, enterprise and month)
    /// against the purchase lines they sum.
    private static func comparePurchaseMonthTotals(_ c: isolated Connection, bookID: Int, report: inout VerificationReport) throws {
        let rows = try c.query(
            """
            WITH summed AS (
                SELECT p.program_id, p.enterprise_id,
                       extract(year FROM p.purchase_date)::integer * 100 + extract(month FROM p.purchase_date)::integer AS period,
                       sum(l.amount_fen) FILTER (WHERE l.eligible) AS eligible, sum(l.amount_fen) FILTER (WHERE NOT l.eligible) AS ineligible
                FROM relief.purchases p JOIN relief.purchase_lines l ON l.purchase_id = p.id
                JOIN relief.programs g ON g.id = p.program_id WHERE g.book_id = $1
                GROUP BY 1, 2, 3),
            kept AS (
                SELECT t.* FROM relief.purchase_month_totals t JOIN relief.programs g ON g.id = t.program_id WHERE g.book_id = $1)
            SELECT coalesce(s.program_id, k.program_id), coalesce(s.enterprise_id, k.enterprise_id), coalesce(s.period, k.period),
                   coalesce(k.eligible_fen, 0), coalesce(k.ineligible_fen, 0), coalesce(s.eligible, 0)::bigint, coalesce(s.ineligible, 0)::bigint
            FROM summed s FULL JOIN kept k ON k.program_id = s.program_id AND k.enterprise_id = s.enterprise_id AND k.period = s.period
            WHERE coalesce(k.eligible_fen, 0) <> coalesce(s.eligible, 0) OR coalesce(k.ineligible_fen, 0) <> coalesce(s.ineligible, 0)
            ORDER BY 1, 2, 3 LIMIT \(maximumProblems)
            """, [bookID]
        ).rows
        for row in rows {
            report.add(.init(message: "purchase totals of program id \(try row.decode(Int.self, at: 0)), enterprise id \(try row.decode(Int.self, at: 1)), period \(try row.decode(Int.self, at: 2)): "
                + "kept eligible \(try row.decode(Int64.self, at: 3)) / ineligible \(try row.decode(Int64.self, at: 4)) fen, the lines add up to \(try row.decode(Int64.self, at: 5)) / \(try row.decode(Int64.self, at: 6))"))
        }
    }

    private static func compareClosingBalances(
        _ c: isolated Connection, bookID: Int, computed: [MonthKey: (Int64, Int64)], report: inout VerificationReport
    ) throws {
        for row in try c.query("SELECT period, account_id, debit_fen, credit_fen FROM relief.closing_balances WHERE book_id = $1", [bookID]).rows {
            let period = try row.decode(Int.self, at: 0)
            let account = try row.decode(Int.self, at: 1)
            var debit: Int64 = 0
            var credit: Int64 = 0
            for (key, value) in computed where key.accountID == account && key.period <= period {
                debit += value.0
                credit += value.1
            }
            let storedDebit = try row.decode(Int64.self, at: 2)
            let storedCredit = try row.decode(Int64.self, at: 3)
            if storedDebit != debit || storedCredit != credit {
                report.add(.init(message: "closing balance of account id \(account) at \(period): recorded \(storedDebit) / \(storedCredit) fen, postings add up to \(debit) / \(credit)"))
            }
        }
    }

    /// The stream's state and findings, used by one thread at a time: the pipeline's worker while
    /// entries stream, the verifying thread after ``BatchPipeline/finish()``.
    final class StreamChecker: @unchecked Sendable {
        var state = StreamState()
        var report: VerificationReport

        init(report: VerificationReport) { self.report = report }

        /// Checks `batch` in order, on locals swapped out of the object: through the stored
        /// properties each access went through the class's exclusivity checks.
        func check(_ batch: ChainBatch, closes: [Int64: [(period: Int, head: [UInt8])]]) {
            var state = StreamState()
            var report = VerificationReport(bookCode: "")
            swap(&state, &self.state)
            swap(&report, &self.report)
            defer {
                swap(&state, &self.state)
                swap(&report, &self.report)
            }
            state.check(batch, closes: closes, report: &report)
        }
    }

    struct MonthKey: Hashable {
        var accountID: Int
        var period: Int
    }

    /// Checks entries one by one in chain order, carrying what spans entries.
    struct StreamState {
        var lastSeq: Int64 = 0
        var previousHash = Chain.genesis
        var lastVoucher: [Int: Int] = [:]
        /// Debit and credit totals per account and month; complete after ``foldOpenMonth()``.
        var monthly: [MonthKey: (Int64, Int64)] = [:]
        /// The hash of the entry being checked, reused: after a match it becomes
        /// `previousHash` and the old one is reused in its place.
        var computed = Chain.genesis

        /// A close recorded at chain position N must carry hash N.
        func checkClose(closes: [Int64: [(period: Int, head: [UInt8])]], report: inout VerificationReport) {
            for close in closes[lastSeq] ?? [] where close.head != previousHash {
                report.add(.init(seq: lastSeq == 0 ? nil : lastSeq, message: "the close of \(close.period) recorded a chain head that is not \(lastSeq == 0 ? "the genesis hash" : "this entry's hash")"))
            }
        }

        /// Checks the entries of `batch` one by one, in chain order.
        mutating func check(_ batch: ChainBatch, closes: [Int64: [(period: Int, head: [UInt8])]], report: inout VerificationReport) {
            batch.text.withBytes { text in
                batch.hashes.withUnsafeBufferPointer { hashes in
                    batch.entries.withUnsafeBufferPointer { entries in
                        batch.postings.withUnsafeBufferPointer { postings in
                            var textStart = 0
                            var hashStart = 0
                            var postingsStart = 0
                            for index in entries.indices {
                                checkClose(closes: closes, report: &report)
                                check(
                                    entries[index], text: UnsafeBufferPointer(rebasing: text[textStart..<entries[index].textEnd]),
                                    storedHash: UnsafeBufferPointer(rebasing: hashes[hashStart..<entries[index].hashEnd]),
                                    postings: UnsafeBufferPointer(rebasing: postings[postingsStart..<entries[index].postingsEnd]),
                                    report: &report)
                                textStart = entries[index].textEnd
                                hashStart = entries[index].hashEnd
                                postingsStart = entries[index].postingsEnd
                            }
                        }
                    }
                }
            }
        }

        /// Checks one entry: its canonical text `text` against `storedHash`, its place in the
        /// chain and the month's vouchers, its balance, and adds its postings to the monthly totals.
        mutating func check(
            _ entry: ChainBatch.Entry, text: UnsafeBufferPointer<UInt8>, storedHash: UnsafeBufferPointer<UInt8>,
            postings: UnsafeBufferPointer<ChainBatch.Posting>, report: inout VerificationReport
        ) {
            report.entriesChecked += 1
            report.postingsChecked += postings.count
            let periodNumber = entry.period.yyyymm
            func problem(_ message: String) {
                report.add(.init(seq: entry.seq, voucher: "\(entry.period)/\(entry.voucherNumber)", message: message))
            }

            if entry.seq != lastSeq + 1 { problem("chain position \(lastSeq + 1) is missing before this entry") }
            if entry.voucherNumber != (lastVoucher[periodNumber] ?? 0) + 1 {
                problem("voucher numbers of \(entry.period) jump from \(lastVoucher[periodNumber] ?? 0) to \(entry.voucherNumber)")
            }
            lastVoucher[periodNumber] = entry.voucherNumber
            lastSeq = entry.seq

            Chain.next(previous: previousHash, canonicalBytes: text, into: &computed)
            if computed.elementsEqual(storedHash) {
                swap(&previousHash, &computed)
            } else {
                let stored = Array(storedHash)
                problem("stored hash \(Chain.hex(stored).prefix(16))… ≠ recomputed \(Chain.hex(computed).prefix(16))…: the entry or its postings changed after it was written")
                // Continue from the stored hash so one altered entry is reported once, not for every later one.
                previousHash = stored
            }
            if entry.date.period != entry.period { problem("dated \(entry.date) but filed in period \(entry.period)") }
            if postings.count < 2 { problem("has \(postings.count) posting(s); an entry needs at least two") }
            var debitFen: Int64 = 0
            var creditFen: Int64 = 0
            for posting in postings {
                if posting.isDebit { debitFen += posting.amountFen } else { creditFen += posting.amountFen }
                let key = MonthKey(accountID: posting.accountID, period: periodNumber)
                let signed = posting.isRed ? -posting.amountFen : posting.amountFen
                monthly[key, default: (0, 0)].0 += posting.isDebit ? signed : 0
                monthly[key, default: (0, 0)].1 += posting.isDebit ? 0 : signed
            }
            if debitFen != creditFen { problem("unbalanced: debits \(debitFen) fen, credits \(creditFen) fen") }
        }
    }
}

extension VerificationReport {
    mutating func add(_ problem: Problem) {
        if problems.count < Verifier.maximumProblems { problems.append(problem) }
    }
}
