-- Equivalence check for 0008: run on a database migrated through 0007 and on one through 0008 (each
-- with setup.sql applied) and diff the outputs (compare.sh does it); only entry ids, timestamps,
-- hashes (they include created_at) and error CONTEXT lines may differ.
\set ON_ERROR_STOP 0
\set SHOW_CONTEXT never
INSERT INTO relief.dimension_values (tenant_id, kind, code, name) VALUES
 (1,'township','T1','t'),(1,'category','C 1','c'),(1,'channel','线上','h'),(1,'program','P-2020','p');
-- all dimensions, memo with escapes, batch of three with a repeat key inside
SELECT idx, seq, period, voucher_no, existed FROM relief.post_entries('main', $j$[
 {"key":"a1","date":"2020-05-20","description":"采购|x\\y\nz","postings":[
   {"account":"901","side":"D","amount_fen":100,"enterprise":"E-BENCH","supplier":"S-BENCH","township":"T1","category":"C 1","channel":"线上","program":"P-2020","memo":"m|1\r"},
   {"account":"902","side":"C","amount_fen":60,"enterprise":"E-BENCH"},
   {"account":"902","side":"C","amount_fen":40,"memo":""}]},
 {"key":"a2","date":"2020-06-01","postings":[{"account":"102","side":"D","amount_fen":500},{"account":"301","side":"C","amount_fen":500}]},
 {"key":"a1","date":"2020-05-20","postings":[]}
]$j$, 'tester');
-- reversal of seq 2
SELECT idx, seq, period, voucher_no, existed FROM relief.post_entries('main', '[{"key":"r2","date":"2020-06-02","description":"冲销","reverses":2,"postings":[{"account":"102","side":"D","amount_fen":500},{"account":"301","side":"C","amount_fen":500}]}]', 'tester');
-- errors
SELECT * FROM relief.post_entries('main', '[{"key":"e1","date":"2020-06-02","postings":[{"account":"999","side":"D","amount_fen":5},{"account":"998","side":"C","amount_fen":5}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e2","date":"2020-06-02","postings":[{"account":"901","side":"D","amount_fen":5,"supplier":"nope"},{"account":"902","side":"C","amount_fen":5,"program":"zz"}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e3","date":"2020-06-02","postings":[{"account":"901","side":"D","amount_fen":5},{"account":"902","side":"C","amount_fen":6}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e4","date":"2020-06-02","postings":[{"account":"901","side":"D","amount_fen":5}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e5","date":"2020-06-02","postings":[{"account":"101","side":"C","amount_fen":5},{"account":"510","side":"D","amount_fen":5}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e6","date":"2020-06-02","reverses":2,"postings":[{"account":"102","side":"D","amount_fen":500},{"account":"301","side":"C","amount_fen":500}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e7","date":"2020-06-02","reverses":3,"postings":[{"account":"102","side":"D","amount_fen":500},{"account":"301","side":"C","amount_fen":500}]}]', 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e8","date":"2020-06-02","reverses":1,"postings":[{"account":"102","side":"D","amount_fen":500},{"account":"301","side":"C","amount_fen":500}]}]', 't');
SELECT * FROM relief.post_entries('main', '[]', 't');
SELECT * FROM relief.post_entries('nobook', '[{}]', 't');
-- direct tampering
UPDATE relief.entries SET description = 'x' WHERE seq = 1;
DELETE FROM relief.postings WHERE entry_id = 1;
BEGIN; INSERT INTO relief.entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, created_at, idempotency_key, created_by, description, hash) VALUES (999, 1, 1, 10, 202006, 9, '2020-06-03', now(), 'zz', 'x', '', '\x0000000000000000000000000000000000000000000000000000000000000000');
INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen) VALUES (999,1,1,1,'D',5),(999,2,1,2,'C',5); COMMIT;
BEGIN; INSERT INTO relief.postings (entry_id, line, tenant_id, account_id, side, amount_fen) VALUES (1,9,1,1,'D',5); COMMIT;
SELECT relief.close_period('main', 202005, 't');
SELECT * FROM relief.post_entries('main', '[{"key":"e9","date":"2020-05-31","postings":[{"account":"901","side":"D","amount_fen":5},{"account":"902","side":"C","amount_fen":5}]}]', 't');
SELECT idx, seq, period, voucher_no, existed FROM relief.post_entries('main', '[{"key":"ok6","date":"2020-06-30","postings":[{"account":"901","side":"D","amount_fen":5},{"account":"902","side":"C","amount_fen":5}]}]', 't');
SELECT e.seq, e.period, e.voucher_no, r.seq AS reverses_seq, encode(e.hash,'hex') FROM relief.entries e LEFT JOIN relief.entries r ON r.id = e.reverses_id ORDER BY e.seq;
SELECT account_id, period, debit_fen, credit_fen FROM relief.account_balances ORDER BY 1,2;
SELECT relief.entry_canonical_text(id) FROM relief.entries WHERE seq=1;
SELECT * FROM relief.verify_chain('main');
SELECT chain_seq, encode(chain_head,'hex') FROM relief.books;
SELECT idx, seq, period, voucher_no, existed FROM relief.post_entries('main', $j$[
 {"key":"b1","date":"2020-07-01","postings":[{"account":"102","side":"D","amount_fen":1000},{"account":"301","side":"C","amount_fen":1000}]},
 {"key":"b2","date":"2020-07-02","postings":[{"account":"510","side":"D","amount_fen":300},{"account":"102","side":"C","amount_fen":300}]},
 {"key":"a2","date":"2020-06-01","postings":[]},
 {"key":"b3","date":"2020-08-02","reverses":4,"postings":[{"account":"901","side":"D","amount_fen":5},{"account":"902","side":"C","amount_fen":5}]},
 {"key":"b4","date":"2020-08-03","postings":[{"account":"510","side":"D","amount_fen":700},{"account":"102","side":"C","amount_fen":700}]}
]$j$, 'tester');
SELECT * FROM relief.post_entries('main', '[{"key":"b5","date":"2020-08-03","postings":[{"account":"510","side":"D","amount_fen":700},{"account":"102","side":"C","amount_fen":700}]}]', 't');
SELECT account_id, period, debit_fen, credit_fen FROM relief.account_balances ORDER BY 1,2;
SELECT e.seq, e.period, e.voucher_no, r.seq AS reverses_seq FROM relief.entries e LEFT JOIN relief.entries r ON r.id = e.reverses_id ORDER BY e.seq;
SELECT * FROM relief.voucher_counters ORDER BY period;
SELECT * FROM relief.verify_chain('main');
-- inside a savepoint (the Swift pool nests transactions this way), as a clerk and as relief_app
BEGIN; SAVEPOINT s1;
SELECT idx, seq, voucher_no, existed FROM relief.post_entries('main', '[{"key":"sp1","date":"2020-09-01","postings":[{"account":"901","side":"D","amount_fen":9,"enterprise":"E-BENCH"},{"account":"902","side":"C","amount_fen":9,"enterprise":"E-BENCH"}]}]', 't');
RELEASE s1; SAVEPOINT s2;
SELECT idx, seq, voucher_no, existed FROM relief.post_entries('main', '[{"key":"sp2","date":"2020-09-01","postings":[{"account":"901","side":"D","amount_fen":9},{"account":"902","side":"C","amount_fen":9}]},{"key":"sp3","date":"2020-09-02","postings":[{"account":"901","side":"D","amount_fen":9},{"account":"902","side":"C","amount_fen":9}]}]', 't');
ROLLBACK TO s2; COMMIT;
BEGIN; SET LOCAL ROLE relief_app;
SELECT idx, seq, voucher_no, existed FROM relief.post_entries('main', '[{"key":"app1","date":"2020-09-03","postings":[{"account":"901","side":"D","amount_fen":9},{"account":"902","side":"C","amount_fen":9}]}]', 't');
COMMIT;
BEGIN; SET LOCAL ROLE relief_clerk;
SELECT idx, seq, voucher_no, existed FROM relief.post_entries('main', '[{"key":"clerk1","date":"2020-09-03","postings":[{"account":"102","side":"D","amount_fen":9},{"account":"301","side":"C","amount_fen":9}]}]', 't');
ROLLBACK;
SELECT e.seq, e.period, e.voucher_no, e.idempotency_key FROM relief.entries e WHERE e.period >= 202009 ORDER BY e.seq;
SELECT * FROM relief.verify_chain('main');
