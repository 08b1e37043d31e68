import Foundation
import Postgres
import ReliefCore
import ReliefStore
import ReliefTestSupport
import Testing

/// The set-based posting path (0016): a call of many entries is a few statements, and the books'
/// checks run once per INSERT statement. These tests pin down what it must keep from the per-entry
/// path and what the statement checks refuse that the foreign keys did not.
@Suite("set-based posting")
struct SetPostingTests {
    @Test func aCallNumbersItsEntriesLikeOneAtATimeAndAnswersRepeatsWithTheFirst() async throws {
        let books = try await Books.make("setcall")
        _ = try await books.ledger.post(transfer("before", "2020-06-01"))
        // Two months interleaved, a repeat of an earlier call's key and a key twice in the call.
        let drafts = [
            transfer("a", "2020-05-03"), transfer("b", "2020-06-04"), transfer("before", "2020-06-01"),
            transfer("c", "2020-05-05"), transfer("a", "2020-05-03"), transfer("d", "2020-06-06"),
        ]
        let posted = try await books.admin.run { c -> [PostedEntry] in
            try c.execute("BEGIN")
            let posted = try PostingWriter.post(c, bookCode: "main", actorName: "test", drafts: drafts)
            try c.execute("COMMIT")
            return posted
        }
        #expect(posted.map(\.existed) == [false, false, true, false, true, false])
        #expect(posted.map(\.seq) == [2, 3, 1, 4, 2, 5])
        #expect(posted.map(\.voucherNumber) == [1, 2, 1, 2, 1, 3])
        #expect(posted[4].id == posted[0].id && posted[4].hash == posted[0].hash)
        #expect(try await books.count("SELECT count(*)::integer FROM relief.entries") == 5)
        #expect(try await books.count("SELECT max(last_no) FROM relief.voucher_counters WHERE period = 202006") == 3)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    @Test func aRefusedCallWritesNothingAndNamesTheProblemAsBefore() async throws {
        let books = try await Books.make("setrefuse")
        _ = try await books.ledger.post(transfer("first"))
        func refusal(_ drafts: [EntryDraft]) async -> PostgresError? {
            do {
                _ = try await books.database.pool.transaction { c in
                    try PostingWriter.post(c, bookCode: "main", actorName: "test", drafts: drafts)
                }
                return nil
            } catch {
                return error as? PostgresError
            }
        }
        // An unknown account in the second entry: the whole call is refused, naming the entry and code.
        let unknown = await refusal([transfer("ok"), transfer("bad", debit: "999")])
        #expect(unknown?.sqlState == "RL003")
        #expect(unknown?.message.contains("bad") == true && unknown?.message.contains("999") == true)
        _ = try await books.ledger.closePeriod(Period(year: 2020, month: 5)!)
        let closed = await refusal([transfer("june", "2020-06-02"), transfer("may", "2020-05-30")])
        #expect(closed?.sqlState == "RL010")
        #expect(try await books.count("SELECT count(*)::integer FROM relief.entries") == 1)
        #expect(try await books.count("SELECT last_no FROM relief.voucher_counters WHERE period = 202005") == 1)
        #expect(try await books.verify().isSound)
        await books.close()
    }

    /// The statement checks replace seven foreign keys on postings and two on entries. They must
    /// refuse everything the keys refused, and more: a dimension column naming a value of another
    /// kind, which a foreign key to dimension_values let through.
    @Test func postingsNameOnlyExistingAccountsAndDimensionValuesOfTheirKind() async throws {
        let books = try await Books.make("setrefs")
        _ = try await books.admin.run { c in
            try c.execute("INSERT INTO relief.dimension_values (tenant_id, kind, code, name) VALUES (1, 'supplier', 'S1', '供应商')")
        }
        // Written by hand as the owner, the way post_entries writes: postings, then their entry.
        func postings(_ values: String) -> String {
            "INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen, enterprise_id) VALUES \(values)"
        }
        let account102 = try await books.count("SELECT id FROM relief.accounts WHERE code = '102'")
        let account403 = try await books.count("SELECT id FROM relief.accounts WHERE code = '403'")
        let supplier = try await books.count("SELECT id FROM relief.dimension_values WHERE code = 'S1'")
        // A supplier's id in the enterprise column: a foreign key to dimension_values allowed it.
        #expect(await books.ownerError(postings("(900001, 1, 1, \(account102), 'D', 5, \(supplier)), (900001, 2, 1, \(account403), 'C', 5, NULL)")) == "RL033")
        // No such account, no such dimension value.
        #expect(await books.ownerError(postings("(900002, 1, 1, 424242, 'D', 5, NULL)")) == "RL033")
        #expect(await books.ownerError(postings("(900003, 1, 1, \(account102), 'D', 5, 424242)")) == "RL033")
        // What postings name cannot go away or change its kind.
        #expect(await books.ownerError("DELETE FROM relief.dimension_values WHERE code = 'S1'") == "RL031")
        #expect(await books.ownerError("UPDATE relief.dimension_values SET kind = 'enterprise' WHERE code = 'S1'") == "RL031")
        #expect(await books.ownerError("DELETE FROM relief.accounts WHERE code = '510'") == "RL031")
        #expect(await books.ownerError("TRUNCATE relief.dimension_values CASCADE") == "RL031")
        #expect(await books.ownerError("DELETE FROM relief.books") == "RL031")
        // Renaming stays allowed.
        #expect(await books.ownerError("UPDATE relief.dimension_values SET name = '新名称' WHERE code = 'S1'") == nil)
        await books.close()
    }

    /// The entry checks run when the entries are inserted, for all of them at once: the owner
    /// inserting an unbalanced entry by hand is refused at that INSERT, not only at commit.
    @Test func theEntryChecksRefuseAnUnbalancedEntryAtItsInsert() async throws {
        let books = try await Books.make("setsound")
        _ = try await books.ledger.post(transfer("first"))
        let account102 = try await books.count("SELECT id FROM relief.accounts WHERE code = '102'")
        let account403 = try await books.count("SELECT id FROM relief.accounts WHERE code = '403'")
        func insert(debit: Int, credit: Int, seq: Int, voucher: Int) -> String {
            """
            INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen)
            VALUES (900001, 1, 1, \(account102), 'D', \(debit)), (900001, 2, 1, \(account403), 'C', \(credit));
            INSERT INTO relief.entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, created_at,
                                        idempotency_key, created_by, description, hash)
            VALUES (900001, 1, 1, \(seq), 202005, \(voucher), '2020-05-20', now(), 'by-hand', 'owner', '', sha256('x'));
            """
        }
        #expect(await books.ownerError(insert(debit: 5, credit: 4, seq: 2, voucher: 2)) == "RL021")
        #expect(await books.ownerError(insert(debit: 5, credit: 5, seq: 3, voucher: 2)) == "RL024")
        #expect(await books.ownerError(insert(debit: 5, credit: 5, seq: 2, voucher: 3)) == "RL023")
        // The same entry, balanced and in its place, goes in.
        #expect(await books.ownerError(insert(debit: 5, credit: 5, seq: 2, voucher: 2)) == nil)
        #expect(try await books.count("SELECT count(*)::integer FROM relief.entries") == 1)
        await books.close()
    }

    /// 0023 folded the closed-month check into the rules query and runs the mirror check only for
    /// statements with a reversal: a closed month is still named before any other problem, and a
    /// reversal by hand must still mirror its original.
    @Test func theEntryChecksNameAClosedMonthFirstAndRefuseAReversalThatDoesNotMirror() async throws {
        let books = try await Books.make("setmirror")
        let first = try await books.ledger.post(transfer("first", "2020-05-12", 100))
        let account102 = try await books.count("SELECT id FROM relief.accounts WHERE code = '102'")
        let account403 = try await books.count("SELECT id FROM relief.accounts WHERE code = '403'")
        func insert(debit: Int, credit: Int, date: String, period: Int, reverses: Int64? = nil) -> String {
            """
            INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen)
            VALUES (900001, 1, 1, \(account102), 'D', \(debit)), (900001, 2, 1, \(account403), 'C', \(credit));
            INSERT INTO relief.entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, reverses_id,
                                        created_at, idempotency_key, created_by, description, hash)
            VALUES (900001, 1, 1, 2, \(period), \(period == 202005 ? 2 : 1), '\(date)', \(reverses.map(String.init) ?? "NULL"),
                    now(), 'by-hand', 'owner', '', sha256('x'));
            """
        }
        // A reversal must carry its original's accounts, sides and amounts.
        #expect(await books.ownerError(insert(debit: 5, credit: 5, date: "2020-05-20", period: 202005, reverses: first.id)) == "RL022")
        #expect(await books.ownerError(insert(debit: 100, credit: 100, date: "2020-05-20", period: 202005, reverses: first.id)) == nil)
        // An ordinary entry by hand is not taken for a reversal.
        #expect(await books.ownerError(insert(debit: 5, credit: 5, date: "2020-05-20", period: 202005)) == nil)
        _ = try await books.ledger.closePeriod(Period(year: 2020, month: 5)!)
        // Unbalanced and in a closed month: the closed month is named.
        #expect(await books.ownerError(insert(debit: 5, credit: 4, date: "2020-05-20", period: 202005)) == "RL010")
        #expect(await books.ownerError(insert(debit: 5, credit: 4, date: "2020-06-20", period: 202006)) == "RL021")
        #expect(await books.ownerError(insert(debit: 5, credit: 5, date: "2020-06-20", period: 202006)) == nil)
        #expect(try await books.count("SELECT count(*)::integer FROM relief.entries") == 1)
        await books.close()
    }
}
