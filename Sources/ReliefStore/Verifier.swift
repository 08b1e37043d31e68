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

    /// Verifies `bookCode`, streaming entries and postings with COPY (memory does not grow with
    /// the number of entries, only with accounts × months).
    public static func verify(_ c: isolated Connection, bookCode: String) throws -> VerificationReport {
        var report = VerificationReport(bookCode: bookCode)
        let book = try c.query("SELECT id, chain_seq, chain_head FROM relief.books WHERE code = $1", [bookCode]).rows.first
        guard let book else { throw LedgerError.unknownBook(bookCode) }
        let bookID = try book.decode(Int.self, at: 0)
        var closes: [Int64: (period: Int, head: [UInt8])] = [:]
        for row in try c.query("SELECT chain_seq, period, chain_head FROM relief.period_closes WHERE book_id = $1", [bookID]).rows {
            closes[try row.decode(Int64.self, at: 0), default: (0, [])] = (try row.decode(Int.self, at: 1), try row.decode(PostgresBytes.self, at: 2).bytes)
        }
        var state = StreamState(bookCode: bookCode)
        try c.copyOut(
            """
            COPY (SELECT e.seq, e.period, e.voucher_no, e.entry_date, r.seq,
                         (extract(epoch FROM e.created_at) * 1000000)::bigint, e.created_by, e.idempotency_key,
                         e.description, encode(e.hash, 'hex'), p.line, a.code, p.side, p.amount_fen,
                         de.code, ds.code, dt.code, dc.code, dh.code, dp.code, p.memo, p.account_id
                  FROM relief.entries e
                  LEFT JOIN relief.entries r ON r.id = e.reverses_id
                  LEFT JOIN relief.postings p ON p.entry_id = e.id
                  LEFT JOIN relief.accounts a ON a.id = p.account_id
                  LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id
                  LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
                  LEFT JOIN relief.dimension_values dt ON dt.id = p.township_id
                  LEFT JOIN relief.dimension_values dc ON dc.id = p.category_id
                  LEFT JOIN relief.dimension_values dh ON dh.id = p.channel_id
                  LEFT JOIN relief.dimension_values dp ON dp.id = p.program_id
                  WHERE e.book_id = \(bookID)
                  ORDER BY e.seq, p.line) TO STDOUT
            """
        ) { line in
            state.consume(CopyText.fields(line), closes: closes, report: &report)
        }
        state.finishEntry(report: &report)
        state.checkClose(closes: closes, report: &report)

        // The books row must point at the last entry.
        let storedSeq = try book.decode(Int64.self, at: 1)
        let storedHead = try book.decode(PostgresBytes.self, at: 2).bytes
        if storedSeq != state.lastSeq || storedHead != state.previousHash {
            report.add(.init(message: "the book's chain head (position \(storedSeq), \(Chain.hex(storedHead).prefix(16))…) does not match its last entry (position \(state.lastSeq))"))
        }
        for (seq, close) in closes where seq > state.lastSeq || (seq == 0 && close.head != Chain.genesis) {
            report.add(.init(message: "the close of \(Period(yyyymm: close.period)?.description ?? "?") records chain position \(seq), which does not exist"))
        }
        try compareMonthlyTotals(c, bookID: bookID, computed: state.monthly, report: &report)
        try compareClosingBalances(c, bookID: bookID, computed: state.monthly, report: &report)
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

    struct MonthKey: Hashable {
        var accountID: Int
        var period: Int
    }

    /// Accumulates one entry's rows, then checks it when the next entry starts.
    struct StreamState {
        let bookCode: String
        var lastSeq: Int64 = 0
        var previousHash = Chain.genesis
        var lastVoucher: [Int: Int] = [:]
        var monthly: [MonthKey: (Int64, Int64)] = [:]
        var current: [String?]?
        var postingText = ""
        var postingCount = 0
        var debitFen: Int64 = 0
        var creditFen: Int64 = 0
        var postingsOfCurrent: [(accountID: Int, side: Side, amountFen: Int64)] = []

        init(bookCode: String) { self.bookCode = bookCode }

        mutating func consume(_ f: [String?], closes: [Int64: (period: Int, head: [UInt8])], report: inout VerificationReport) {
            if current?[0] != f[0] {
                finishEntry(report: &report)
                current = f
                checkClose(closes: closes, report: &report)
            }
            guard let lineText = f[10], let line = Int(lineText), let amountText = f[13], let amount = Int64(amountText),
                let sideText = f[12], let side = Side(rawValue: sideText), let accountText = f[21], let accountID = Int(accountText)
            else { return }  // an entry without postings: caught in finishEntry
            report.postingsChecked += 1
            postingCount += 1
            postingText += CanonicalText.posting(
                line: line, accountCode: f[11] ?? "", side: side, amountFen: amount, dimensions: Array(f[14...19]), memo: f[20])
            if side == .debit { debitFen += amount } else { creditFen += amount }
            postingsOfCurrent.append((accountID, side, amount))
        }

        /// Position of the close check: a close recorded at position N must carry hash N.
        mutating func checkClose(closes: [Int64: (period: Int, head: [UInt8])], report: inout VerificationReport) {
            if let close = closes[lastSeq], close.head != previousHash {
                report.add(.init(seq: lastSeq, message: "the close of \(close.period) recorded a chain head that is not this entry's hash"))
            }
        }

        mutating func finishEntry(report: inout VerificationReport) {
            guard let f = current else { return }
            defer {
                current = nil
                postingText = ""
                postingCount = 0
                debitFen = 0
                creditFen = 0
                postingsOfCurrent.removeAll(keepingCapacity: true)
            }
            report.entriesChecked += 1
            let seq = Int64(f[0] ?? "") ?? -1
            let periodNumber = Int(f[1] ?? "") ?? 0
            let voucher = Int(f[2] ?? "") ?? 0
            let voucherReference = "\(Period(yyyymm: periodNumber)?.description ?? String(periodNumber))/\(voucher)"
            func problem(_ message: String) { report.add(.init(seq: seq, voucher: voucherReference, message: message)) }

            if seq != lastSeq + 1 { problem("chain position \(lastSeq + 1) is missing before this entry") }
            if voucher != (lastVoucher[periodNumber] ?? 0) + 1 {
                problem("voucher numbers of \(voucherReference.prefix(7)) jump from \(lastVoucher[periodNumber] ?? 0) to \(voucher)")
            }
            lastVoucher[periodNumber] = voucher
            lastSeq = seq

            let storedHash = Hex.decode(f[9] ?? "") ?? []
            guard let period = Period(yyyymm: periodNumber), let date = LocalDate(parsing: f[3] ?? ""),
                let createdAt = Int64(f[5] ?? "")
            else {
                problem("unreadable entry row")
                previousHash = storedHash
                return
            }
            let header = CanonicalText.header(
                bookCode: bookCode, seq: seq, period: period, voucherNumber: voucher, date: date,
                reversesSeq: f[4].flatMap { Int64($0) }, createdAtMicroseconds: createdAt, createdBy: f[6] ?? "",
                idempotencyKey: f[7] ?? "", description: f[8] ?? "")
            let computed = Chain.next(previous: previousHash, canonicalText: header + postingText)
            if computed != storedHash {
                problem("stored hash \(Chain.hex(storedHash).prefix(16))… ≠ recomputed \(Chain.hex(computed).prefix(16))…: the entry or its postings changed after it was written")
            }
            if date.period != period { problem("dated \(date) but filed in period \(period)") }
            if postingCount < 2 { problem("has \(postingCount) posting(s); an entry needs at least two") }
            if debitFen != creditFen { problem("unbalanced: debits \(debitFen) fen, credits \(creditFen) fen") }
            let isRed = f[4] != nil
            for posting in postingsOfCurrent {
                let key = MonthKey(accountID: posting.accountID, period: periodNumber)
                let signed = isRed ? -posting.amountFen : posting.amountFen
                var totals = monthly[key] ?? (0, 0)
                if posting.side == .debit { totals.0 += signed } else { totals.1 += signed }
                monthly[key] = totals
            }
            // Continue from the stored hash so one altered entry is reported once, not for every later one.
            previousHash = storedHash
        }
    }
}

extension VerificationReport {
    mutating func add(_ problem: Problem) {
        if problems.count < Verifier.maximumProblems { problems.append(problem) }
    }
}
