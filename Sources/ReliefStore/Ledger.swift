import Foundation
public import Postgres
public import ReliefCore

/// An entry as written: where it sits in the chain and its voucher number.
public struct PostedEntry: Sendable, Hashable {
    /// Database id.
    public var id: Int64
    /// Chain position in its book (1, 2, …).
    public var seq: Int64
    /// The month.
    public var period: Period
    /// 记字第N号 within the book and month.
    public var voucherNumber: Int
    /// The entry's chain hash.
    public var hash: [UInt8]
    /// True when the idempotency key was already there: this is the first result, and nothing
    /// was written now.
    public var existed: Bool

    /// `2020-05/3`: the voucher reference the CLI accepts back.
    public var voucherReference: String { "\(period)/\(voucherNumber)" }
}

/// The posting path of one book.
///
/// Concurrent callers are committed together: while one transaction is in flight, new entries
/// queue; the next transaction takes up to ``maximumBatchEntries`` of them (group commit). The
/// book's row lock in PostgreSQL serialises writers anyway (gapless vouchers, one chain), so
/// batching turns N commits into one without weakening any invariant. An entry that PostgreSQL
/// refuses inside a batch does not fail the others: the batch is retried one entry at a time.
public actor Ledger {
    /// The most entries one posting transaction carries.
    public static let maximumBatchEntries = 256

    /// The book's code.
    public nonisolated let bookCode: String
    /// Who posts (recorded as `created_by` and hashed into the chain).
    public nonisolated let actorName: String
    private let pool: ConnectionPool
    private var accounts: [String: Account] = [:]
    private var closedThrough: Period?
    private var pending: [Pending] = []
    private var isFlushing = false
    /// The flush loop waiting for callers to come back: its generation, the queue length it
    /// waits for, and how to wake it.
    private var gatherWaiter: (generation: Int, target: Int, continuation: CheckedContinuation<Void, Never>)?
    private var gatherGeneration = 0
    /// Group-commit transactions written by ``post(_:)`` so far, and the entries they carried.
    public private(set) var groupCommits: (transactions: Int, entries: Int) = (0, 0)

    private struct Pending {
        let draft: EntryDraft
        let continuation: CheckedContinuation<PostedEntry, any Error>
    }

    /// Opens the ledger of `bookCode`, loading the chart and the closed-through month.
    public init(database: ReliefDatabase, bookCode: String = "main", actorName: String) async throws {
        self.pool = database.pool
        self.bookCode = bookCode
        self.actorName = actorName
        try await reload()
    }

    /// Reloads the chart and the closed-through month from the database.
    public func reload() async throws {
        let book = bookCode
        let (chart, closed) = try await pool.withConnection { connection in
            try await connection.run { c in
                let bookRows = try c.query("SELECT id, closed_through FROM relief.books WHERE code = $1", [book]).rows
                guard let bookRow = bookRows.first else { throw LedgerError.unknownBook(book) }
                let bookID = try bookRow.decode(Int.self, at: 0)
                let closed = try bookRow.decodeOptional(Int.self, at: 1)
                let chart = try Reports.accounts(c, bookID: bookID)
                return (chart, closed)
            }
        }
        accounts = Dictionary(uniqueKeysWithValues: chart.map { ($0.code, $0) })
        closedThrough = closed.flatMap { Period(yyyymm: $0) }
    }

    /// The accounts of the book, by code.
    public var chart: [String: Account] { accounts }

    /// Posts one entry after checking it in Swift; PostgreSQL checks it again at commit.
    /// A repeat of an idempotency key returns the first result and writes nothing.
    public func post(_ draft: EntryDraft) async throws -> PostedEntry {
        try await check(draft)
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(draft: draft, continuation: continuation))
            if let waiter = gatherWaiter, pending.count >= waiter.target { endGather(waiter.generation) }
            if !isFlushing {
                isFlushing = true
                Task { await self.flush() }
            }
        }
    }

    /// Posts several entries all-or-nothing: every one is checked in Swift first, then all are
    /// written in one transaction (PostgreSQL checks them again at commit). If any is refused,
    /// none is written. Repeated idempotency keys return their first results.
    public func postAll(_ drafts: [EntryDraft]) async throws -> [PostedEntry] {
        for (index, draft) in drafts.enumerated() {
            do {
                try await check(draft)
            } catch let error as LedgerError {
                throw LedgerBatchError(index: index, error: error)
            }
        }
        let book = bookCode
        let actor = actorName
        do {
            return try await pool.transaction { c in
                try PostingWriter.post(c, bookCode: book, actorName: actor, drafts: drafts)
            }
        } catch {
            throw await settle(error)
        }
    }

    /// Posts the red reversal (红字冲销) of the entry at chain position `seq`: the same accounts,
    /// sides and amounts, marked red and linked to the original. Its default key makes a repeat safe.
    public func reverse(seq: Int64, reason: String, date: LocalDate, idempotencyKey: String? = nil) async throws -> PostedEntry {
        let book = bookCode
        let postings = try await pool.withConnection { connection in
            try await connection.run { c in try Reports.postings(c, bookCode: book, seq: seq) }
        }
        guard !postings.isEmpty else { throw LedgerError.unknownEntry(String(seq)) }
        let draft = EntryDraft.reversal(
            of: postings, originalSeq: seq, key: idempotencyKey ?? "reversal-of-\(seq)", date: date,
            reason: reason)
        return try await post(draft)
    }

    /// Closes a month; returns the chain head recorded with it.
    public func closePeriod(_ period: Period) async throws -> (seq: Int64, head: [UInt8]) {
        let book = bookCode
        let actor = actorName
        let row: PostgresRow
        do {
            row = try await pool.transaction { c in
                try c.query("SELECT chain_seq, chain_head FROM relief.close_period($1, $2, $3)", [book, period.yyyymm, actor]).single()
            }
        } catch {
            throw LedgerError.from(error)
        }
        closedThrough = period
        return (try row.decode(Int64.self, at: 0), try row.decode(PostgresBytes.self, at: 1).bytes)
    }

    // MARK: Swift-side checks

    private func check(_ draft: EntryDraft) async throws {
        do {
            try draft.validate()
        } catch {
            throw LedgerError.invalidEntry(error)
        }
        if let closedThrough, draft.date.period <= closedThrough {
            throw LedgerError.closedPeriod(date: draft.date, closedThrough: closedThrough)
        }
        for posting in draft.postings where accounts[posting.accountCode] == nil {
            try await reload()  // another process may have extended the chart
            guard accounts[posting.accountCode] != nil else { throw LedgerError.unknownAccount(posting.accountCode) }
        }
    }

    // MARK: Group commit

    /// Writes what is queued until nothing is, on one connection leased for the whole run:
    /// leasing and returning it for every transaction cost two more thread hand-overs per group.
    /// A connection that broke is returned (the pool discards it) and another leased for what is
    /// still queued; entries queued while a lease is returned are written too.
    private func flush() async {
        while !pending.isEmpty {
            do {
                try await pool.withConnection { connection in await self.flush(on: connection) }
            } catch {
                // No connection: every queued caller gets the reason.
                let failed = pending
                pending.removeAll()
                for item in failed { item.continuation.resume(throwing: LedgerError.from(error)) }
            }
        }
        isFlushing = false
    }

    /// Writes queued entries on `connection` until none is queued, or until a write failed and
    /// left the connection unusable.
    private func flush(on connection: Connection) async {
        var resumed = 0
        while true {
            // Also when nothing is queued: the callers just answered are about to post again.
            if resumed > 0 { await gather(expected: resumed) }
            if pending.isEmpty { break }
            let count = min(pending.count, Self.maximumBatchEntries)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            do {
                let posted = try await write(batch.map(\.draft), on: connection)
                groupCommits.transactions += 1
                groupCommits.entries += batch.count
                for (item, entry) in zip(batch, posted) { item.continuation.resume(returning: entry) }
                resumed = batch.count
            } catch {
                resumed = batch.count
                // A refusal leaves the connection idle; a broken one is given back for another.
                let usable = await connection.isIdle
                if batch.count == 1 || !usable {
                    for item in batch { item.continuation.resume(throwing: await settle(error)) }
                    if usable { continue }
                    return
                }
                for item in batch {
                    do {
                        let posted = try await write([item.draft], on: connection)
                        item.continuation.resume(returning: posted[0])
                    } catch {
                        item.continuation.resume(throwing: await settle(error))
                    }
                }
            }
        }
    }

    /// How long ``gather(expected:)`` waits at most for the callers just answered, in
    /// microseconds: about one small posting transaction. Callers that keep posting come back
    /// within it (measured: 8.0 entries per commit with 8 callers); the wait runs out only when
    /// they stop, and they have their answers by then.
    static let gatherTimeoutMicroseconds = 1_000

    /// Lets the callers just answered come back before the next batch is taken. Without it they
    /// settle into two cohorts that alternate, each transaction carrying half of them (measured:
    /// 4.0 entries per commit with 8 callers, and each transaction costs about the same whatever
    /// it carries). Returns when `expected` more entries are queued, or after
    /// ``gatherTimeoutMicroseconds``.
    private func gather(expected: Int) async {
        let target = min(pending.count + expected, Self.maximumBatchEntries)
        guard pending.count < target else { return }
        gatherGeneration += 1
        let generation = gatherGeneration
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            gatherWaiter = (generation, target, continuation)
            Task {
                try? await Task.sleep(for: .microseconds(Self.gatherTimeoutMicroseconds))
                self.endGather(generation)
            }
        }
    }

    /// Resumes the waiting ``gather(expected:)`` of `generation`, if it still waits.
    private func endGather(_ generation: Int) {
        guard let waiter = gatherWaiter, waiter.generation == generation else { return }
        gatherWaiter = nil
        waiter.continuation.resume()
    }

    /// Turns a database refusal into the ledger's error, refreshing caches the refusal proves stale.
    private func settle(_ error: any Error) async -> any Error {
        if let pg = error as? PostgresError, pg.sqlState == "RL010" || pg.sqlState == "RL003" {
            try? await reload()
        }
        return LedgerError.from(error)
    }

    /// One transaction for `drafts`. BEGIN and the `post_entries` call travel together: two
    /// round trips (that pair, then COMMIT after the Swift checks) instead of three.
    private func write(_ drafts: [EntryDraft], on connection: Connection) async throws -> [PostedEntry] {
        let book = bookCode
        let actor = actorName
        let call = PostingWriter.statement(bookCode: book, actorName: actor, drafts: drafts)
        return try await connection.run { c in
            try c.transactionIsolated(first: call) { _, result in
                try PostingWriter.check(result.rows, bookCode: book, actorName: actor, drafts: drafts)
            }
        }
    }
}

/// Posts entries inside the caller's transaction: the path that imports and subsidy approvals use
/// so that their rows and their entries commit or roll back together.
public enum PostingWriter {
    /// Posts `drafts` (at most ``Ledger/maximumBatchEntries`` per call is sensible; any count
    /// works) through `relief.post_entries` and checks every returned hash in Swift. Throws, and
    /// so lets the caller's transaction roll back, when anything disagrees. Does not run
    /// ``EntryDraft/validate()``: callers do that before they open the transaction.
    public static func post(
        _ c: isolated Connection, bookCode book: String, actorName actor: String, drafts: [EntryDraft]
    ) throws -> [PostedEntry] {
        let call = statement(bookCode: book, actorName: actor, drafts: drafts)
        return try check(try c.query(call.sql, call.parameters).rows, bookCode: book, actorName: actor, drafts: drafts)
    }

    /// The `post_entries` call for `drafts`, to run with ``check(_:bookCode:actorName:drafts:)``
    /// on its rows: ``post(_:bookCode:actorName:drafts:)`` in two halves, so that the call can
    /// travel with its BEGIN (``Ledger``).
    public static func statement(bookCode book: String, actorName actor: String, drafts: [EntryDraft]) -> PipelineStatement {
        PipelineStatement(
            """
            SELECT idx, entry_id, seq, period, voucher_no, created_at_us, hash, prev_hash, existed
            FROM relief.post_entries($1, $2::jsonb, $3)
            """, [book, PostPayload.encode(drafts), actor], prepared: true)
    }

    /// The posted entries in `rows`, each hash recomputed in Swift; throws when anything
    /// disagrees with `drafts`.
    static func check(_ rows: [PostgresRow], bookCode book: String, actorName actor: String, drafts: [EntryDraft]) throws -> [PostedEntry] {
        guard rows.count == drafts.count else {
            throw LedgerError.chainMismatch(seq: 0, detail: "PostgreSQL returned \(rows.count) results for \(drafts.count) entries")
        }
        var posted: [PostedEntry] = []
        posted.reserveCapacity(rows.count)
        var expectedPrevious: [UInt8]?
        for (draft, row) in zip(drafts, rows) {
            guard let period = Period(yyyymm: try row.decode(Int.self, at: 3)) else {
                throw LedgerError.chainMismatch(seq: 0, detail: "PostgreSQL returned an invalid period")
            }
            let entry = PostedEntry(
                id: try row.decode(Int64.self, at: 1), seq: try row.decode(Int64.self, at: 2),
                period: period,
                voucherNumber: try row.decode(Int.self, at: 4),
                hash: try row.decode(PostgresBytes.self, at: 6).bytes, existed: try row.decode(Bool.self, at: 8))
            if !entry.existed {
                // The second guard on the chain: recompute in Swift before COMMIT.
                let previous = try row.decode(PostgresBytes.self, at: 7).bytes
                if let expectedPrevious, expectedPrevious != previous {
                    throw LedgerError.chainMismatch(seq: entry.seq, detail: "previous hash does not continue the batch")
                }
                let text = CanonicalText.entry(
                    draft, bookCode: book, seq: entry.seq, voucherNumber: entry.voucherNumber,
                    createdAtMicroseconds: try row.decode(Int64.self, at: 5), createdBy: actor)
                let computed = Chain.next(previous: previous, canonicalText: text)
                guard computed == entry.hash, entry.period == draft.date.period else {
                    throw LedgerError.chainMismatch(
                        seq: entry.seq, detail: "PostgreSQL hashed \(Chain.hex(entry.hash)), Swift computed \(Chain.hex(computed))")
                }
                expectedPrevious = entry.hash
            }
            posted.append(entry)
        }
        return posted
    }
}

/// An entry of a batch refused before anything was written.
public struct LedgerBatchError: Error, Sendable, CustomStringConvertible {
    /// Position of the entry in the batch.
    public var index: Int
    /// Why it was refused.
    public var error: LedgerError

    public var description: String { "entry [\(index)]: \(error)" }
}

/// The JSON that `relief.post_entries` takes: an array of entries, each with its postings;
/// absent optional fields are left out. Written byte by byte: JSONEncoder was 17% of a bulk
/// import's Swift time (perf, docs/BENCHMARKS.md) for a shape that never changes.
enum PostPayload {
    static func encode(_ drafts: [EntryDraft]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(drafts.count * 512)
        out.append(UInt8(ascii: "["))
        for (index, draft) in drafts.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            append(&out, "{\"key\":")
            appendString(&out, draft.idempotencyKey)
            append(&out, ",\"date\":")
            appendString(&out, draft.date.description)
            append(&out, ",\"description\":")
            appendString(&out, draft.description)
            if let reverses = draft.reversesSeq {
                append(&out, ",\"reverses\":" + String(reverses))
            }
            append(&out, ",\"postings\":[")
            for (line, p) in draft.postings.enumerated() {
                if line > 0 { out.append(UInt8(ascii: ",")) }
                append(&out, "{\"account\":")
                appendString(&out, p.accountCode)
                append(&out, ",\"side\":")
                appendString(&out, p.side.rawValue)
                append(&out, ",\"amount_fen\":" + String(p.amount.fen))
                let d = p.dimensions
                for (name, value) in [
                    ("enterprise", d.enterprise), ("supplier", d.supplier), ("township", d.township),
                    ("category", d.category), ("channel", d.channel), ("program", d.program), ("memo", p.memo),
                ] {
                    guard let value else { continue }
                    append(&out, ",\"" + name + "\":")
                    appendString(&out, value)
                }
                out.append(UInt8(ascii: "}"))
            }
            append(&out, "]}")
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ out: inout [UInt8], _ text: String) {
        out.append(contentsOf: text.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string: quote, backslash and control characters escaped, everything else as UTF-8.
    static func appendString(_ out: inout [UInt8], _ value: String) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
