-- 0020: the closed-period check (RL010) runs inside entries_sound instead of as a statement
-- trigger of its own.
--
-- pgbench on post_entries (docs/BENCHMARKS.md, session 9): a statement trigger with a transition
-- table costs about 45 µs before its query runs, and entries_period_open's query took 6 µs of the
-- 51 µs it added to every INSERT of entries. One trigger now checks the period first (so a closed
-- month is still the error named when an entry is wrong in several ways, as when
-- entries_period_open fired before entries_sound), then the rest as before. Same codes, messages
-- and hints. The book is probed by its key for each new entry, like the other lookups here.

SET LOCAL search_path = relief, pg_catalog;

DROP TRIGGER entries_period_open ON entries;
DROP FUNCTION check_period_open();

CREATE OR REPLACE FUNCTION check_entries_sound() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    bad record;
    label text;
    closed record;
BEGIN
    -- No entry in a closed period (0001's check_period_open, for every inserted row).
    SELECT n.id, n.entry_date, n.period, x.closed_through INTO closed
      FROM new_entries n
      CROSS JOIN LATERAL (SELECT b.closed_through FROM books b WHERE b.id = n.book_id LIMIT 1) x
     WHERE x.closed_through IS NOT NULL AND n.period <= x.closed_through
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL010',
            MESSAGE = format('entry dated %s falls in a closed period (closed through %s-%s)',
                closed.entry_date, closed.closed_through / 100, lpad((closed.closed_through % 100)::text, 2, '0')),
            HINT = 'date the entry in an open period; a closed month is frozen';
    END IF;
    -- Every lookup is a LATERAL … LIMIT 1, a probe by key for each new entry: as EXISTS in the
    -- select list the planner may hash the whole entries table instead, once per statement.
    SELECT n.id, n.period, n.voucher_no, n.seq, n.reverses_id, s.cnt, s.d, s.c,
           n.voucher_no = 1 OR v.found IS NOT NULL AS voucher_ok,
           n.seq = 1 OR c.found IS NOT NULL AS chain_ok,
           b.found IS NOT NULL AS book_ok
      INTO bad
      FROM new_entries n
      CROSS JOIN LATERAL (
          SELECT count(*) AS cnt, coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'D'), 0) AS d,
                 coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'C'), 0) AS c
          FROM postings p WHERE p.entry_id = n.id) s
      LEFT JOIN LATERAL (SELECT 1 AS found FROM entries e
                         WHERE e.book_id = n.book_id AND e.period = n.period AND e.voucher_no = n.voucher_no - 1 LIMIT 1) v ON true
      LEFT JOIN LATERAL (SELECT 1 AS found FROM entries e WHERE e.book_id = n.book_id AND e.seq = n.seq - 1 LIMIT 1) c ON true
      LEFT JOIN LATERAL (SELECT 1 AS found FROM books x WHERE x.id = n.book_id AND x.tenant_id = n.tenant_id LIMIT 1) b ON true
     WHERE s.cnt < 2 OR s.d <> s.c OR (n.voucher_no <> 1 AND v.found IS NULL) OR (n.seq <> 1 AND c.found IS NULL)
        OR b.found IS NULL
     ORDER BY n.seq
     LIMIT 1;
    IF NOT FOUND THEN
        -- A reversal mirrors its original: the same accounts, sides and amounts.
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
