-- 0016: post_entries writes a call's entries as sets, and the books' checks run per statement.
--
-- Until now a call looped over its entries one by one: about ten statements per entry inside
-- PL/pgSQL, and at commit the deferred row trigger entries_sound_at_commit ran four queries per
-- entry again. A 1,000,000-line import spent its time there (1,762 lines/s while PostgreSQL wrote
-- the same rows with their indexes at 83,048 lines/s: docs/BENCHMARKS.md), and a group of 8
-- concurrent purchases cost eight times one.
--
-- Now a call of N entries without reversals is a handful of statements whatever N is:
--   1. the book row lock (still first: it serialises every writer of the book's chain and counters);
--   2. one query reads the call's entries, drops keys the book already has (and repeats of a key
--      within the call), numbers the rest (chain positions, gapless vouchers from each month's
--      counter) and renders their canonical header lines (docs/CHAIN.md);
--   3. one statement inserts every posting of the call, resolving account and dimension codes with
--      one join each, keeps account_balances, and renders each entry's canonical posting lines from
--      the very values it inserts;
--   4. the chain: a loop of sha256 over the texts, nothing else (each hash needs the one before);
--   5. one INSERT of the entries, the chain head, the voucher counters.
-- A call with a reversal, or one that PostgreSQL would refuse (closed month, unknown account or
-- dimension value), goes through the previous function, kept as post_entries_serial: the same
-- results, hashes and errors as before, and nothing has been written when it takes over.
--
-- The commit-time row trigger becomes a statement trigger (entries_sound) that checks the same
-- rules for all the entries of an INSERT at once: at least two postings, debits equal credits, a
-- reversal mirrors its original, no gap in vouchers or chain positions. It can run when the entries
-- are inserted rather than at commit because postings must now come before their entry: the
-- postings trigger refuses postings for any entry that already exists (RL032; before, only for one
-- written by an earlier transaction). So once an entry exists its postings are final, and what is
-- checked at its INSERT stays true. A posting without an entry is still refused at commit by the
-- deferred foreign key.

SET LOCAL search_path = relief, pg_catalog;

ALTER FUNCTION post_entries(text, jsonb, text) RENAME TO post_entries_serial;
REVOKE ALL ON FUNCTION post_entries_serial(text, jsonb, text) FROM PUBLIC, relief_app, relief_clerk;

-- Planned without sequential scans: every lookup of the books is by key (idempotency key, voucher
-- counter, code), and a plan made while a table was small must not scan it whole once it is large
-- (0011, 0014). Hash joins stay allowed for the call's own rows against the few codes they name.
-- Generic plans, made once per session: the planner otherwise re-planned the postings statement
-- on every call (1.2 ms of planning for a one-entry call, twice its execution).
CREATE FUNCTION post_entries(p_book text, p_entries jsonb, p_actor text)
RETURNS TABLE (idx integer, entry_id bigint, seq bigint, period integer, voucher_no integer,
               created_at_us bigint, hash bytea, prev_hash bytea, existed boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog SET jit = off SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    b_id integer;
    b_tenant integer;
    b_code text;
    b_seq bigint;
    b_head bytea;
    b_closed integer;
    v_now timestamptz := now();
    v_now_us bigint := (extract(epoch FROM now()) * 1000000)::bigint;
    k integer;
    j integer;
    h bytea;
    late integer;
    -- the call's new entries in chain order
    e_idx integer[];
    e_key text[];
    e_date date[];
    e_period integer[];
    e_no integer[];
    e_desc text[];
    e_header text[];
    e_id bigint[];
    e_seq bigint[];
    e_text text[];
    e_hash bytea[];
    e_prev bytea[];
    -- the postings statement's findings
    p_ok boolean;
    p_count integer;
    p_inserted integer;
    p_guarded boolean;
    p_accounts integer[];
BEGIN
    IF jsonb_typeof(p_entries) <> 'array' OR jsonb_array_length(p_entries) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL001', MESSAGE = 'post_entries needs a non-empty JSON array';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_entries) AS x(v) WHERE x.v->>'reverses' IS NOT NULL) THEN
        RETURN QUERY SELECT * FROM post_entries_serial(p_book, p_entries, p_actor);
        RETURN;
    END IF;
    SELECT x.id, x.tenant_id, x.code, x.chain_seq, x.chain_head, x.closed_through
      INTO b_id, b_tenant, b_code, b_seq, b_head, b_closed
      FROM books x WHERE x.code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;

    -- The new entries: first occurrence of each key the book does not have yet, in call order,
    -- numbered on from the book's chain and each month's voucher counter.
    WITH src AS (
        SELECT s.ord::integer AS idx, s.key, s.date, coalesce(s.description, '') AS descr,
               extract(year FROM s.date)::integer * 100 + extract(month FROM s.date)::integer AS period
        FROM ROWS FROM (jsonb_to_recordset(p_entries) AS (key text, date date, description text))
             WITH ORDINALITY AS s(key, date, description, ord)
    ), fresh AS (
        -- LATERAL … LIMIT 1: one probe of the (book, key) index per key. As NOT EXISTS the planner
        -- made it an anti join that read every entry of the book once per call.
        SELECT DISTINCT ON (s.key) s.* FROM src s
        LEFT JOIN LATERAL (SELECT y.id FROM entries y WHERE y.book_id = b_id AND y.idempotency_key = s.key LIMIT 1) y ON true
        WHERE y.id IS NULL
        ORDER BY s.key, s.idx
    ), numbered AS (
        SELECT f.*, b_seq + row_number() OVER (ORDER BY f.idx) AS seq,
               (coalesce((SELECT c.last_no FROM voucher_counters c WHERE c.book_id = b_id AND c.period = f.period), 0)
                + row_number() OVER (PARTITION BY f.period ORDER BY f.idx))::integer AS no
        FROM fresh f
    )
    SELECT array_agg(n.idx ORDER BY n.idx), array_agg(n.key ORDER BY n.idx), array_agg(n.date ORDER BY n.idx),
           array_agg(n.period ORDER BY n.idx), array_agg(n.no ORDER BY n.idx), array_agg(n.descr ORDER BY n.idx),
           array_agg(n.seq ORDER BY n.idx),
           array_agg(canon_header(b_code, n.seq, n.period, n.no, n.date, NULL, v_now, p_actor, n.key, n.descr) ORDER BY n.idx),
           min(n.period) FILTER (WHERE b_closed IS NOT NULL AND n.period <= b_closed)
      INTO e_idx, e_key, e_date, e_period, e_no, e_desc, e_seq, e_header, late
      FROM numbered n;
    k := coalesce(cardinality(e_idx), 0);
    IF late IS NOT NULL THEN
        -- A closed month: the serial path refuses it with its usual message (nothing written yet).
        RETURN QUERY SELECT * FROM post_entries_serial(p_book, p_entries, p_actor);
        RETURN;
    END IF;

    IF k > 0 THEN
        e_id := ARRAY(SELECT nextval('entries_id_seq') FROM generate_series(1, k));
        -- Every posting of the call: inserted only when every code resolved, with the balances
        -- they change and the canonical posting lines of each entry.
        WITH ne AS (
            SELECT u.idx, u.id, u.period, u.ord FROM unnest(e_idx, e_id, e_period) WITH ORDINALITY AS u(idx, id, period, ord)
        ), src AS (
            SELECT ne.ord, ne.id AS entry_id, ne.period, p.line::smallint AS line, p.account, a.id AS account_id,
                   a.code AS account_code, a.never_negative, p.side::"char" AS side, p.amount_fen, p.memo,
                   de.id AS de_id, ds.id AS ds_id, dt.id AS dt_id, dc.id AS dc_id, dh.id AS dh_id, dp.id AS dp_id,
                   de.code AS de_code, ds.code AS ds_code, dt.code AS dt_code, dc.code AS dc_code,
                   dh.code AS dh_code, dp.code AS dp_code,
                   a.id IS NOT NULL AND (p.enterprise IS NULL OR de.id IS NOT NULL) AND (p.supplier IS NULL OR ds.id IS NOT NULL)
                       AND (p.township IS NULL OR dt.id IS NOT NULL) AND (p.category IS NULL OR dc.id IS NOT NULL)
                       AND (p.channel IS NULL OR dh.id IS NOT NULL) AND (p.program IS NULL OR dp.id IS NOT NULL) AS resolved
            FROM ne
            CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(p_entries -> (ne.idx - 1) -> 'postings')
                     AS (account text, side text, amount_fen bigint, enterprise text, supplier text,
                         township text, category text, channel text, program text, memo text))
                 WITH ORDINALITY AS p(account, side, amount_fen, enterprise, supplier, township, category,
                                      channel, program, memo, line)
            LEFT JOIN accounts a ON a.book_id = b_id AND a.code = p.account
            LEFT JOIN dimension_values de ON de.tenant_id = b_tenant AND de.kind = 'enterprise' AND de.code = p.enterprise
            LEFT JOIN dimension_values ds ON ds.tenant_id = b_tenant AND ds.kind = 'supplier' AND ds.code = p.supplier
            LEFT JOIN dimension_values dt ON dt.tenant_id = b_tenant AND dt.kind = 'township' AND dt.code = p.township
            LEFT JOIN dimension_values dc ON dc.tenant_id = b_tenant AND dc.kind = 'category' AND dc.code = p.category
            LEFT JOIN dimension_values dh ON dh.tenant_id = b_tenant AND dh.kind = 'channel' AND dh.code = p.channel
            LEFT JOIN dimension_values dp ON dp.tenant_id = b_tenant AND dp.kind = 'program' AND dp.code = p.program
        ), ok AS (
            SELECT coalesce(bool_and(s.resolved), true) AS ok, count(*)::integer AS n,
                   coalesce(bool_or(s.never_negative), false) AS guarded,
                   array_agg(DISTINCT s.account_id) FILTER (WHERE s.never_negative) AS guarded_accounts
            FROM src s
        ), ins AS (
            INSERT INTO postings (entry_id, line, tenant_id, account_id, side, amount_fen, enterprise_id,
                                  supplier_id, township_id, category_id, channel_id, program_id, memo)
            SELECT s.entry_id, s.line, b_tenant, s.account_id, s.side, s.amount_fen, s.de_id, s.ds_id, s.dt_id,
                   s.dc_id, s.dh_id, s.dp_id, s.memo
            FROM src s, ok WHERE ok.ok
            ORDER BY s.entry_id, s.line
            RETURNING 1
        ), bal AS (
            INSERT INTO account_balances AS ab (book_id, account_id, period, tenant_id, debit_fen, credit_fen)
            SELECT b_id, s.account_id, s.period, b_tenant,
                   coalesce(sum(s.amount_fen) FILTER (WHERE s.side = 'D'), 0),
                   coalesce(sum(s.amount_fen) FILTER (WHERE s.side = 'C'), 0)
            FROM src s, ok WHERE ok.ok
            GROUP BY s.account_id, s.period
            ORDER BY s.period, s.account_id  -- one lock order for every writer
            ON CONFLICT ON CONSTRAINT account_balances_pkey DO UPDATE
                SET debit_fen = ab.debit_fen + EXCLUDED.debit_fen, credit_fen = ab.credit_fen + EXCLUDED.credit_fen
        ), txt AS (
            SELECT s.ord,
                   -- Account and dimension codes are written as they are: their CHECK constraints
                   -- exclude every character canon_escape would change. Only the memo is escaped.
                   string_agg(concat_ws('|', 'P', s.line::text, s.account_code, s.side::text,
                                        s.amount_fen::text, coalesce(s.de_code, ''), coalesce(s.ds_code, ''), coalesce(s.dt_code, ''),
                                        coalesce(s.dc_code, ''), coalesce(s.dh_code, ''), coalesce(s.dp_code, ''), canon_escape(s.memo))
                              || E'\n', '' ORDER BY s.line) AS t
            FROM src s GROUP BY s.ord
        )
        SELECT ok.ok, ok.n, (SELECT count(*)::integer FROM ins), ok.guarded, ok.guarded_accounts,
               ARRAY(SELECT coalesce(txt.t, '') FROM ne LEFT JOIN txt ON txt.ord = ne.ord ORDER BY ne.ord)
          INTO p_ok, p_count, p_inserted, p_guarded, p_accounts, e_text
          FROM ok;
        IF NOT p_ok THEN
            -- An unknown account or dimension value: nothing was inserted; the serial path names it.
            RETURN QUERY SELECT * FROM post_entries_serial(p_book, p_entries, p_actor);
            RETURN;
        END IF;
        IF p_inserted <> p_count THEN
            RAISE EXCEPTION 'post_entries: % of % postings written', p_inserted, p_count;
        END IF;

        -- The chain: each hash covers the one before it (docs/CHAIN.md).
        e_hash := array_fill(NULL::bytea, ARRAY[k]);
        e_prev := array_fill(NULL::bytea, ARRAY[k]);
        h := b_head;
        FOR j IN 1 .. k LOOP
            e_prev[j] := h;
            h := sha256(h || convert_to(e_header[j] || e_text[j], 'UTF8'));
            e_hash[j] := h;
        END LOOP;

        INSERT INTO entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, reverses_id,
                             created_at, idempotency_key, created_by, description, hash)
        SELECT u.id, b_tenant, b_id, u.seq, u.period, u.no, u.date, NULL, v_now, u.key, p_actor, u.descr, u.hash
        FROM unnest(e_id, e_seq, e_period, e_no, e_date, e_key, e_desc, e_hash) AS u(id, seq, period, no, date, key, descr, hash);

        UPDATE books SET chain_seq = e_seq[k], chain_head = h WHERE id = b_id;
        INSERT INTO voucher_counters AS c (book_id, period, tenant_id, last_no)
        SELECT b_id, u.per, b_tenant, max(u.no) FROM unnest(e_period, e_no) AS u(per, no)
        GROUP BY u.per ORDER BY u.per
        ON CONFLICT ON CONSTRAINT voucher_counters_pkey DO UPDATE SET last_no = EXCLUDED.last_no
            WHERE c.last_no < EXCLUDED.last_no;
        IF p_guarded THEN
            PERFORM check_never_negative(b_id, p_accounts);
        END IF;
    END IF;

    -- One row per input entry, in call order: the new ones as written, the others as first written.
    IF k = jsonb_array_length(p_entries) THEN
        RETURN QUERY
        SELECT u.idx, u.id, u.seq, u.period, u.no, v_now_us, u.hash, u.prev, false
        FROM unnest(e_idx, e_id, e_seq, e_period, e_no, e_hash, e_prev) AS u(idx, id, seq, period, no, hash, prev)
        ORDER BY u.idx;
        RETURN;
    END IF;
    RETURN QUERY
    WITH src AS (
        SELECT s.ord::integer AS idx, s.key
        FROM ROWS FROM (jsonb_to_recordset(p_entries) AS (key text)) WITH ORDINALITY AS s(key, ord)
    ), ne AS (
        SELECT * FROM unnest(e_idx, e_id, e_seq, e_period, e_no, e_hash, e_prev) AS u(idx, id, seq, period, no, hash, prev)
    )
    SELECT s.idx, ne.id, ne.seq, ne.period, ne.no, v_now_us, ne.hash, ne.prev, false
    FROM src s JOIN ne ON ne.idx = s.idx
    UNION ALL
    SELECT s.idx, y.id, y.seq, y.period, y.voucher_no, (extract(epoch FROM y.created_at) * 1000000)::bigint,
           y.hash, NULL::bytea, true
    FROM src s
    CROSS JOIN LATERAL (SELECT * FROM entries y WHERE y.book_id = b_id AND y.idempotency_key = s.key LIMIT 1) y
    WHERE s.idx <> ALL (coalesce(e_idx, '{}'))
    ORDER BY 1;
END
$$;
REVOKE ALL ON FUNCTION post_entries(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION post_entries(text, jsonb, text) TO relief_app, relief_clerk;

-- Postings come before their entry, all in one go: none may be added to an entry that exists,
-- whoever wrote it and whenever (RL032). And every reference of a new posting is checked here, for
-- the whole statement at once, instead of by seven foreign keys that each ran a query per row
-- (about 6 µs each, 14 per purchase entry: more than the rest of the posting's work together).
-- The check is stronger than the keys were: the account belongs to the posting's tenant, and each
-- dimension column names a value of its own kind. The rows it relies on cannot go away (the
-- triggers below). Every probe is one primary-key lookup per new posting, whatever the planner
-- thinks of a table that was nearly empty when the plan was made (0011).
CREATE OR REPLACE FUNCTION check_postings_with_entry() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.id INTO bad
      FROM (SELECT DISTINCT n.entry_id FROM new_postings n) x JOIN entries e ON e.id = x.entry_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL032',
            MESSAGE = format('postings cannot be added to entry %s after it was written', bad.id),
            HINT = 'postings are written with their entry, before it; correct an entry with a reversal';
    END IF;
    -- Each distinct (kind, id, tenant) the statement names, probed once.
    SELECT r.kind, r.id INTO bad
      FROM (SELECT DISTINCT v.kind, v.id, n.tenant_id
              FROM new_postings n
              CROSS JOIN LATERAL (VALUES ('account', n.account_id), ('enterprise', n.enterprise_id),
                                         ('supplier', n.supplier_id), ('township', n.township_id),
                                         ('category', n.category_id), ('channel', n.channel_id),
                                         ('program', n.program_id)) AS v(kind, id)
             WHERE v.id IS NOT NULL) r
     WHERE CASE WHEN r.kind = 'account'
                THEN NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.id AND a.tenant_id = r.tenant_id)
                ELSE NOT EXISTS (SELECT 1 FROM dimension_values d
                                 WHERE d.id = r.id AND d.kind = r.kind AND d.tenant_id = r.tenant_id) END
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL033',
            MESSAGE = format('postings name %s %s, which does not exist for their tenant', bad.kind, bad.id),
            HINT = 'accounts and dimension values are resolved from their codes by relief.post_entries';
    END IF;
    RETURN NULL;
END
$$;

ALTER TABLE postings
    DROP CONSTRAINT postings_account_id_fkey,
    DROP CONSTRAINT postings_enterprise_id_fkey,
    DROP CONSTRAINT postings_supplier_id_fkey,
    DROP CONSTRAINT postings_township_id_fkey,
    DROP CONSTRAINT postings_category_id_fkey,
    DROP CONSTRAINT postings_channel_id_fkey,
    DROP CONSTRAINT postings_program_id_fkey;

-- What postings name stays: no account or dimension value is ever deleted, nor moved to another
-- kind or tenant (their codes were already fixed, 0001).
CREATE FUNCTION reject_named_change() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
BEGIN
    -- Only dimension values have a kind; to_jsonb reads it without naming a column other tables lack.
    IF TG_OP = 'UPDATE' AND NEW.tenant_id = OLD.tenant_id AND to_jsonb(NEW)->'kind' IS NOT DISTINCT FROM to_jsonb(OLD)->'kind' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'RL031',
        MESSAGE = format('%s rows are named by postings: %s of their identity is not allowed', TG_TABLE_NAME, TG_OP),
        HINT = 'add a new row instead; names may change, codes and kinds may not';
END
$$;
CREATE TRIGGER accounts_kept BEFORE UPDATE OF tenant_id OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION reject_named_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION reject_named_change();
CREATE TRIGGER dimension_values_kept BEFORE UPDATE OF tenant_id, kind OR DELETE ON dimension_values
    FOR EACH ROW EXECUTE FUNCTION reject_named_change();
CREATE TRIGGER dimension_values_no_truncate BEFORE TRUNCATE ON dimension_values
    FOR EACH STATEMENT EXECUTE FUNCTION reject_named_change();

-- The rules 0001's commit trigger checked, for all the entries of one INSERT at once.
CREATE FUNCTION check_entries_sound() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    bad record;
    label text;
BEGIN
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
REVOKE ALL ON FUNCTION check_entries_sound() FROM PUBLIC;

-- The entry's book and tenant are checked above, with the rest, instead of by two foreign keys
-- that each ran a query and locked the book's row once more per entry.
ALTER TABLE entries DROP CONSTRAINT entries_tenant_id_fkey, DROP CONSTRAINT entries_book_id_fkey;
CREATE TRIGGER books_kept BEFORE UPDATE OF tenant_id OR DELETE ON books
    FOR EACH ROW EXECUTE FUNCTION reject_named_change();
CREATE TRIGGER books_no_truncate BEFORE TRUNCATE ON books
    FOR EACH STATEMENT EXECUTE FUNCTION reject_named_change();

DROP TRIGGER entries_sound_at_commit ON entries;
CREATE TRIGGER entries_sound AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION check_entries_sound();
