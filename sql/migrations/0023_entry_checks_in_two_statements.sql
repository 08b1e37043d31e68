-- 0023: the entry checks in two statements instead of three, and the reversal check's plan
-- started only for a statement that carries a reversal.
--
-- check_entries_sound (0016, 0020) ran three queries for every INSERT into entries: the closed
-- month, then the balance, voucher, chain and book rules, then the mirror of every reversal.
-- PostgreSQL initialises each query's whole plan before it reads a row, and a posting call
-- carries one or a few entries, so that start-up was most of the trigger's cost: the reversal
-- query's plan (a set difference over four index scans) was started for every call although
-- post_entries never writes a reversal itself. Now the closed month is one more column of the
-- rules query (one probe of the book gives both its tenant and its closed month), and the
-- mirror query runs only when a new entry reverses another. Same rules, same messages, same
-- order: a closed month is still named before any other problem.
--
-- Measured on a copy of the bench's books (pgbench, pg_stat_user_functions, docs/BENCHMARKS.md,
-- session 11): the trigger took 77-79 µs of a one-entry call and 134-153 µs of an eight-entry
-- call; now 56-58 µs and 105 µs. In a 40,000-line import, 128 ms became 117 ms.

SET LOCAL search_path = relief, pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION check_entries_sound() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog, pg_temp SET jit = off SET enable_seqscan = off SET enable_hashjoin = off
SET enable_mergejoin = off AS $$
DECLARE
    bad record;
    label text;
BEGIN
    -- One probe per new entry and rule, each a LATERAL … LIMIT 1 by key: as EXISTS in the select
    -- list the planner may hash the whole entries table instead, once per statement. A closed
    -- month is named first, as 0020's separate check did.
    SELECT n.id, n.entry_date, n.period, n.voucher_no, n.seq, n.reverses_id, s.cnt, s.d, s.c, b.closed_through,
           b.closed_through IS NOT NULL AND n.period <= b.closed_through AS closed,
           n.voucher_no = 1 OR v.found IS NOT NULL AS voucher_ok,
           n.seq = 1 OR c.found IS NOT NULL AS chain_ok,
           b.tenant_id IS NOT DISTINCT FROM n.tenant_id AS book_ok
      INTO bad
      FROM new_entries n
      CROSS JOIN LATERAL (
          SELECT count(*) AS cnt, coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'D'), 0) AS d,
                 coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'C'), 0) AS c
          FROM postings p WHERE p.entry_id = n.id) s
      LEFT JOIN LATERAL (SELECT 1 AS found FROM entries e
                         WHERE e.book_id = n.book_id AND e.period = n.period AND e.voucher_no = n.voucher_no - 1 LIMIT 1) v ON true
      LEFT JOIN LATERAL (SELECT 1 AS found FROM entries e WHERE e.book_id = n.book_id AND e.seq = n.seq - 1 LIMIT 1) c ON true
      LEFT JOIN LATERAL (SELECT x.tenant_id, x.closed_through FROM books x WHERE x.id = n.book_id LIMIT 1) b ON true
     WHERE s.cnt < 2 OR s.d <> s.c OR (n.voucher_no <> 1 AND v.found IS NULL) OR (n.seq <> 1 AND c.found IS NULL)
        OR b.tenant_id IS DISTINCT FROM n.tenant_id OR (b.closed_through IS NOT NULL AND n.period <= b.closed_through)
     ORDER BY (b.closed_through IS NOT NULL AND n.period <= b.closed_through) DESC, n.seq
     LIMIT 1;
    IF NOT FOUND THEN
        -- A reversal mirrors its original: the same accounts, sides and amounts. The mirror check's
        -- plan is started only when the statement carries a reversal (posting never does).
        IF NOT EXISTS (SELECT 1 FROM new_entries n WHERE n.reverses_id IS NOT NULL) THEN
            RETURN NULL;
        END IF;
        SELECT n.id, n.period, n.voucher_no, n.reverses_id INTO bad
          FROM new_entries n
         WHERE n.reverses_id IS NOT NULL AND EXISTS (
                   (SELECT account_id, side, amount_fen FROM postings WHERE entry_id = n.reverses_id
                    EXCEPT ALL SELECT account_id, side, amount_fen FROM postings WHERE entry_id = n.id)
                   UNION ALL
                   (SELECT account_id, side, amount_fen FROM postings WHERE entry_id = n.id
                    EXCEPT ALL SELECT account_id, side, amount_fen FROM postings WHERE entry_id = n.reverses_id))
         ORDER BY n.seq
         LIMIT 1;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RL022',
            MESSAGE = format('entry %s (voucher %s-%s no. %s) reverses entry %s but does not mirror its postings',
                             bad.id, bad.period / 100, lpad((bad.period % 100)::text, 2, '0'), bad.voucher_no, bad.reverses_id);
    END IF;
    IF bad.closed THEN
        RAISE EXCEPTION USING ERRCODE = 'RL010',
            MESSAGE = format('entry dated %s falls in a closed period (closed through %s-%s)',
                bad.entry_date, bad.closed_through / 100, lpad((bad.closed_through % 100)::text, 2, '0')),
            HINT = 'date the entry in an open period; a closed month is frozen';
    END IF;
    IF NOT bad.book_ok THEN
        RAISE EXCEPTION USING ERRCODE = 'RL033',
            MESSAGE = format('entry %s names no book of its tenant', bad.id);
    END IF;
    label := format('entry %s (voucher %s-%s no. %s)', bad.id, bad.period / 100,
                    lpad((bad.period % 100)::text, 2, '0'), bad.voucher_no);
    IF bad.cnt < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL020',
            MESSAGE = format('%s has %s posting(s); a journal entry needs at least two', label, bad.cnt);
    END IF;
    IF bad.d <> bad.c THEN
        RAISE EXCEPTION USING ERRCODE = 'RL021',
            MESSAGE = format('%s is unbalanced: debits %s fen, credits %s fen', label, bad.d, bad.c);
    END IF;
    IF NOT bad.voucher_ok THEN
        RAISE EXCEPTION USING ERRCODE = 'RL023',
            MESSAGE = format('%s leaves a gap: voucher no. %s is missing', label, bad.voucher_no - 1);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'RL024',
        MESSAGE = format('%s leaves a gap in the chain: position %s is missing', label, bad.seq - 1);
END
$$;
