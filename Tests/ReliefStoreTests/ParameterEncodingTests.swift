import Foundation
import Postgres
import ReliefCore
@testable import ReliefStore
import Testing

/// The array literals and the JSON the import sends as parameters: PostgreSQL must read back
/// exactly the strings that went in, whatever they hold.
@Suite("parameter encodings")
struct PostgresArrayTests {
    @Test func postgresReadsBackEveryElementAsItWasSent() async throws {
        let books = try await Books.make("pgarray")
        let values = [
            "", "plain", "有\"引号\"", "back\\slash", "\\\"", "a,b", "{braces}", "NULL", " spaced ", "多字节：宣恩县",
            "tab\there", "line\nbreak",
        ]
        let literal = PostgresArray.text(values)
        let back = try await books.admin.run { c -> [String] in
            try c.query("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", [literal]).rows.map {
                try $0.decode(String.self, at: 0)
            }
        }
        #expect(back == values)
        #expect(PostgresArray.text([]) == "{}")
        await books.close()
    }

    @Test func postgresReadsThePostingPayloadAsTheDraftsSaidIt() async throws {
        let books = try await Books.make("payload")
        let awkward = "引号\"反斜杠\\控制\u{01}\t\n\r末尾\u{1F}é😀"
        let drafts = [
            EntryDraft(
                idempotencyKey: "k-" + awkward, date: day("2020-05-12"), description: awkward,
                postings: [
                    PostingDraft(
                        accountCode: "901", side: .debit, amount: Money(fen: 12_345),
                        dimensions: Dimensions(enterprise: "E1", channel: "直采", program: "P"), memo: awkward),
                    PostingDraft(accountCode: "902", side: .credit, amount: Money(fen: 12_345)),
                ]),
            EntryDraft(
                idempotencyKey: "second", date: day("2020-06-01"), description: "",
                postings: [PostingDraft(accountCode: "102", side: .debit, amount: Money(fen: 1))], reversesSeq: 7),
        ]
        let payload = PostPayload.encode(drafts)
        #expect(try JSONSerialization.jsonObject(with: Data(payload.utf8)) is [Any])
        let rows = try await books.admin.run { c -> [[String?]] in
            try c.query(
                """
                SELECT e.key, e.date, e.description, e.reverses::text, p.account, p.side, p.amount_fen::text,
                       p.enterprise, p.supplier, p.channel, p.program, p.memo
                FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j(value, n)
                CROSS JOIN LATERAL jsonb_to_record(j.value) AS e(key text, date text, description text, reverses bigint)
                CROSS JOIN LATERAL ROWS FROM (
                    jsonb_to_recordset(j.value -> 'postings') AS (account text, side text, amount_fen bigint, enterprise text,
                                                                  supplier text, channel text, program text, memo text)
                ) WITH ORDINALITY AS p(account, side, amount_fen, enterprise, supplier, channel, program, memo, m)
                ORDER BY j.n, p.m
                """, [payload]
            ).rows.map { row in try (0..<12).map { try row.decodeOptional(String.self, at: $0) } }
        }
        #expect(rows.count == 3)
        #expect(rows[0] == ["k-" + awkward, "2020-05-12", awkward, nil, "901", "D", "12345", "E1", nil, "直采", "P", awkward])
        #expect(rows[1] == ["k-" + awkward, "2020-05-12", awkward, nil, "902", "C", "12345", nil, nil, nil, nil, nil])
        #expect(rows[2] == ["second", "2020-06-01", "", "7", "102", "D", "1", nil, nil, nil, nil, nil])
        await books.close()
    }
}
