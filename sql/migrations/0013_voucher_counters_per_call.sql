-- 0013: voucher counters are written once per call of post_entries, not once per entry.
--
-- 0008 drew each entry's voucher number with an upsert of its month's counter row. Inside one long
-- transaction (a bulk import posts hundreds of thousands of entries before it commits) every update
-- leaves a row version that no one may prune until the commit, so each next lookup of the counter
-- walked all earlier versions of the import: quadratic. The full benchmark's 1,000,000-line import
-- spent about 40% of PostgreSQL's time in heap_hot_search_buffer and visibility checks after two
-- minutes, and more the longer it ran (perf, docs/BENCHMARKS.md).
--
-- Now a call reads a month's counter the first time it meets the month, counts on in a local array
-- and writes each month's last number back once after the loop; the book's row lock, taken first,
-- still serialises every writer of the book's counters. Numbers, hashes, results and errors are the
-- same. The write-back never lowers a counter (the WHERE), and the commit-time check (RL023) still
-- refuses any gap in the vouchers themselves.

SET LOCAL search_path = relief, pg_catalog;

CREATE OR REPLACE FUNCTION post_entries(p_book text, p_entries jsonb, p_actor text)
RETURNS TABLE (idx integer, entry_id bigint, seq bigint, period integer, voucher_no integer,
               created_at_us bigint, hash bytea, prev_hash bytea, existed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
#variable_conflict use_column
DECLARE
    b_id integer;
    b_tenant integer;
    b_code text;
    b_seq bigint;
    b_head bytea;
    b_closed integer;
    e jsonb;
    n integer;
    i integer;
    v_id bigint;
    v_key text;
    v_date date;
    v_period integer;
    v_no integer;
    v_rev_id bigint;
    v_rev_seq bigint;
    v_desc text;
    v_hash bytea;
    v_now timestamptz := now();
    v_now_us bigint := (extract(epoch FROM now()) * 1000000)::bigint;
    v_first_seq bigint;
    old record;
    missing text;
    -- one entry's postings, resolved
    p_count integer;
    p_found integer;
    p_dims_ok boolean;
    p_acc integer[];
    p_side "char"[];
    p_amt bigint[];
    p_inserted integer;
    v_last boolean;
    v_sign integer;
    v_booked boolean;
    booked boolean := false;
    p_text text;
    p_guarded boolean;
    -- the batch's balance changes
    ab_acc integer[] := '{}';
    ab_per integer[] := '{}';
    ab_side "char"[] := '{}';
    ab_amt bigint[] := '{}';
    ab_sign integer[] := '{}';
    guarded boolean := false;
    -- the batch's voucher counters: period and last number drawn, written back once per call
    vc_per integer[] := '{}';
    vc_no integer[] := '{}';
    vc_at integer;
BEGIN
    IF jsonb_typeof(p_entries) <> 'array' OR jsonb_array_length(p_entries) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL001', MESSAGE = 'post_entries needs a non-empty JSON array';
    END IF;
    SELECT x.id, x.tenant_id, x.code, x.chain_seq, x.chain_head, x.closed_through
      INTO b_id, b_tenant, b_code, b_seq, b_head, b_closed
      FROM books x WHERE x.code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;
    v_first_seq := b_seq;
    n := jsonb_array_length(p_entries);

    FOR i IN 1 .. n LOOP
        e := p_entries -> (i - 1);
        v_key := e->>'key';
        SELECT x.id, x.seq, x.period, x.voucher_no, x.created_at, x.hash INTO old
        FROM entries x WHERE x.book_id = b_id AND x.idempotency_key = v_key;
        IF FOUND THEN
            idx := i; entry_id := old.id; seq := old.seq; period := old.period;
            voucher_no := old.voucher_no; hash := old.hash; prev_hash := NULL; existed := true;
            created_at_us := (extract(epoch FROM old.created_at) * 1000000)::bigint;
            RETURN NEXT;
            CONTINUE;
        END IF;

        v_date := (e->>'date')::date;
        v_period := extract(year FROM v_date)::integer * 100 + extract(month FROM v_date)::integer;
        IF b_closed IS NOT NULL AND v_period <= b_closed THEN
            RAISE EXCEPTION USING ERRCODE = 'RL010',
                MESSAGE = format('entry %s is dated %s, in a closed period', v_key, v_date),
                HINT = 'date the entry in an open period; a closed month is frozen';
        END IF;

        v_rev_id := NULL;
        v_rev_seq := (e->>'reverses')::bigint;
        IF v_rev_seq IS NOT NULL THEN
            SELECT x.id INTO v_rev_id FROM entries x WHERE x.book_id = b_id AND x.seq = v_rev_seq;
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'RL005',
                    MESSAGE = format('entry %s reverses chain position %s, which does not exist', v_key, v_rev_seq);
            END IF;
            IF EXISTS (SELECT 1 FROM entries x WHERE x.id = v_rev_id AND x.reverses_id IS NOT NULL) THEN
                RAISE EXCEPTION USING ERRCODE = 'RL006',
                    MESSAGE = format('entry at chain position %s is itself a reversal', v_rev_seq),
                    HINT = 'post the correct entry instead of reversing a reversal';
            END IF;
            IF EXISTS (SELECT 1 FROM entries x WHERE x.reverses_id = v_rev_id) THEN
                RAISE EXCEPTION USING ERRCODE = 'RL007',
                    MESSAGE = format('entry at chain position %s is already reversed', v_rev_seq);
            END IF;
        END IF;

        -- The postings: parsed once, accounts and dimension values resolved once, inserted only when
        -- every code resolved (so that an unknown code is reported as such below), and rendered as
        -- the chain's canonical posting lines (docs/CHAIN.md) from the very values inserted.
        v_id := nextval('entries_id_seq');
        b_seq := b_seq + 1;
        v_desc := coalesce(e->>'description', '');
        v_last := i = n;
        v_sign := CASE WHEN v_rev_id IS NULL THEN 1 ELSE -1 END;
        WITH src AS (
            SELECT p.ord::smallint AS line, p.account, a.id AS account_id, a.code AS account_code,
                   a.never_negative, p.side::"char" AS side, p.amount_fen, p.memo,
                   de.id AS de_id, ds.id AS ds_id, dt.id AS dt_id, dc.id AS dc_id, dh.id AS dh_id, dp.id AS dp_id,
                   de.code AS de_code, ds.code AS ds_code, dt.code AS dt_code, dc.code AS dc_code,
                   dh.code AS dh_code, dp.code AS dp_code,
                   a.id IS NOT NULL AND (p.enterprise IS NULL OR de.id IS NOT NULL) AND (p.supplier IS NULL OR ds.id IS NOT NULL)
                       AND (p.township IS NULL OR dt.id IS NOT NULL) AND (p.category IS NULL OR dc.id IS NOT NULL)
                       AND (p.channel IS NULL OR dh.id IS NOT NULL) AND (p.program IS NULL OR dp.id IS NOT NULL) AS resolved
            FROM ROWS FROM (jsonb_to_recordset(e->'postings')
                     AS (account text, side text, amount_fen bigint, enterprise text, supplier text,
                         township text, category text, channel text, program text, memo text))
                 WITH ORDINALITY AS p(account, side, amount_fen, enterprise, supplier, township, category,
                                      channel, program, memo, ord)
            LEFT JOIN accounts a ON a.book_id = b_id AND a.code = p.account
            LEFT JOIN dimension_values de ON de.tenant_id = b_tenant AND de.kind = 'enterprise' AND de.code = p.enterprise
            LEFT JOIN dimension_values ds ON ds.tenant_id = b_tenant AND ds.kind = 'supplier' AND ds.code = p.supplier
            LEFT JOIN dimension_values dt ON dt.tenant_id = b_tenant AND dt.kind = 'township' AND dt.code = p.township
            LEFT JOIN dimension_values dc ON dc.tenant_id = b_tenant AND dc.kind = 'category' AND dc.code = p.category
            LEFT JOIN dimension_values dh ON dh.tenant_id = b_tenant AND dh.kind = 'channel' AND dh.code = p.channel
            LEFT JOIN dimension_values dp ON dp.tenant_id = b_tenant AND dp.kind = 'program' AND dp.code = p.program
            ), ok AS (
                SELECT coalesce(bool_and(s.resolved), true) AS ok, count(*) AS n, count(s.account_id) AS found,
                       coalesce(string_agg(concat_ws('|', 'P', s.line::text, canon_escape(s.account_code), s.side::text,
                                    s.amount_fen::text, canon_escape(s.de_code), canon_escape(s.ds_code), canon_escape(s.dt_code),
                                    canon_escape(s.dc_code), canon_escape(s.dh_code), canon_escape(s.dp_code), canon_escape(s.memo))
                                || E'\n', '' ORDER BY s.line), '') AS text,
                       coalesce(bool_or(s.never_negative), false) AS guarded,
                       array_agg(s.account_id) AS accs, array_agg(s.side) AS sides, array_agg(s.amount_fen) AS amts
                FROM src s
            ), ins AS (
                INSERT INTO postings (entry_id, line, tenant_id, account_id, side, amount_fen, enterprise_id,
                                      supplier_id, township_id, category_id, channel_id, program_id, memo)
                SELECT v_id, s.line, b_tenant, s.account_id, s.side, s.amount_fen, s.de_id, s.ds_id, s.dt_id,
                       s.dc_id, s.dh_id, s.dp_id, s.memo
                FROM src s, ok WHERE ok.ok
                RETURNING 1
            )
        SELECT ok.n, ok.found, ok.ok, (SELECT count(*) FROM ins), ok.text, ok.guarded, ok.accs, ok.sides, ok.amts
          INTO p_count, p_found, p_dims_ok, p_inserted, p_text, p_guarded, p_acc, p_side, p_amt
          FROM ok;

        IF p_found < p_count THEN
            SELECT string_agg(DISTINCT p.account, ', ') INTO missing
            FROM jsonb_to_recordset(e->'postings') AS p(account text)
            WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b_id AND a.code = p.account);
            RAISE EXCEPTION USING ERRCODE = 'RL003',
                MESSAGE = format('entry %s names unknown account(s): %s', v_key, missing),
                HINT = 'list the chart with: relief accounts';
        END IF;
        IF NOT p_dims_ok THEN
            SELECT string_agg(DISTINCT d.kind || ' ' || d.code, ', ') INTO missing
            FROM jsonb_to_recordset(e->'postings') AS p(enterprise text, supplier text, township text,
                                                       category text, channel text, program text)
            CROSS JOIN LATERAL (VALUES ('enterprise', p.enterprise), ('supplier', p.supplier),
                                       ('township', p.township), ('category', p.category),
                                       ('channel', p.channel), ('program', p.program)) AS d(kind, code)
            WHERE d.code IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM dimension_values v
                WHERE v.tenant_id = b_tenant AND v.kind = d.kind AND v.code = d.code);
            RAISE EXCEPTION USING ERRCODE = 'RL004',
                MESSAGE = format('entry %s names unknown dimension value(s): %s', v_key, missing);
        END IF;
        IF p_inserted <> p_count THEN
            RAISE EXCEPTION 'post_entries: % of % postings of entry % written', p_inserted, p_count, v_key;
        END IF;
        -- The next voucher number of the month, the entry with its hash and, with the last entry of
        -- the call, the book's chain head and the batch's balances. (A statement of its own: the
        -- postings' statement trigger must run before the entry exists, as in 0001.)
        -- The month's next voucher number: read from its counter the first time the call meets the
        -- month (the book row lock keeps it), then counted here and written back after the loop.
        vc_at := array_position(vc_per, v_period);
        IF vc_at IS NULL THEN
            v_no := coalesce((SELECT c.last_no FROM voucher_counters c WHERE c.book_id = b_id AND c.period = v_period), 0) + 1;
            vc_per := vc_per || v_period;
            vc_no := vc_no || v_no;
        ELSE
            v_no := vc_no[vc_at] + 1;
            vc_no[vc_at] := v_no;
        END IF;
        WITH x AS (
                INSERT INTO entries AS x (id, tenant_id, book_id, seq, period, voucher_no, entry_date, reverses_id,
                                          created_at, idempotency_key, created_by, description, hash)
                SELECT v_id, b_tenant, b_id, b_seq, v_period, v_no, v_date, v_rev_id, v_now, v_key, p_actor, v_desc,
                       sha256(b_head || convert_to(
                           canon_header(b_code, b_seq, v_period, v_no, v_date, v_rev_seq, v_now, p_actor, v_key, v_desc)
                           || p_text, 'UTF8'))
                RETURNING x.voucher_no, x.hash
            ), bk AS (
                UPDATE books SET chain_seq = b_seq, chain_head = x.hash FROM x WHERE books.id = b_id AND v_last
                RETURNING 1
            ), ab AS (
                INSERT INTO account_balances AS ab (book_id, account_id, period, tenant_id, debit_fen, credit_fen)
                SELECT b_id, t.acc, t.per, b_tenant,
                       sum(CASE WHEN t.side = 'D' THEN t.sign * t.amt ELSE 0 END),
                       sum(CASE WHEN t.side = 'C' THEN t.sign * t.amt ELSE 0 END)
                FROM (SELECT * FROM unnest(ab_acc, ab_per, ab_side, ab_amt, ab_sign) AS u(acc, per, side, amt, sign)
                      UNION ALL
                      SELECT u.acc, v_period, u.side, u.amt, v_sign FROM unnest(p_acc, p_side, p_amt) AS u(acc, side, amt)) AS t
                WHERE v_last AND EXISTS (SELECT 1 FROM x)
                GROUP BY t.acc, t.per
                ON CONFLICT ON CONSTRAINT account_balances_pkey DO UPDATE
                    SET debit_fen = ab.debit_fen + EXCLUDED.debit_fen, credit_fen = ab.credit_fen + EXCLUDED.credit_fen
            )
        SELECT x.hash, EXISTS (SELECT 1 FROM bk) INTO v_hash, v_booked FROM x;
        IF v_hash IS NULL THEN
            RAISE EXCEPTION 'post_entries: entry % was not written', v_key;
        END IF;

        booked := v_booked;

        -- Balance changes: red reversal amounts count negative.
        ab_acc := ab_acc || p_acc;
        ab_side := ab_side || p_side;
        ab_amt := ab_amt || p_amt;
        ab_per := ab_per || array_fill(v_period, ARRAY[p_count]);
        ab_sign := ab_sign || array_fill(v_sign, ARRAY[p_count]);
        guarded := guarded OR p_guarded;

        idx := i; entry_id := v_id; seq := b_seq; period := v_period; voucher_no := v_no;
        hash := v_hash; prev_hash := b_head; existed := false; created_at_us := v_now_us;
        RETURN NEXT;
        b_head := v_hash;
    END LOOP;

    IF b_seq > v_first_seq AND NOT booked THEN
        -- The last entry of the call was a repeat: write the chain head and balances here.
        WITH bk AS (
            UPDATE books SET chain_seq = b_seq, chain_head = b_head WHERE id = b_id
        )
        INSERT INTO account_balances AS ab (book_id, account_id, period, tenant_id, debit_fen, credit_fen)
        SELECT b_id, t.acc, t.per, b_tenant,
               sum(CASE WHEN t.side = 'D' THEN t.sign * t.amt ELSE 0 END),
               sum(CASE WHEN t.side = 'C' THEN t.sign * t.amt ELSE 0 END)
        FROM unnest(ab_acc, ab_per, ab_side, ab_amt, ab_sign) AS t(acc, per, side, amt, sign)
        GROUP BY t.acc, t.per
        ON CONFLICT ON CONSTRAINT account_balances_pkey DO UPDATE
            SET debit_fen = ab.debit_fen + EXCLUDED.debit_fen, credit_fen = ab.credit_fen + EXCLUDED.credit_fen;
    END IF;
    IF cardinality(vc_per) > 0 THEN
        INSERT INTO voucher_counters AS c (book_id, period, tenant_id, last_no)
        SELECT b_id, u.per, b_tenant, u.last_no FROM unnest(vc_per, vc_no) AS u(per, last_no)
        ON CONFLICT ON CONSTRAINT voucher_counters_pkey DO UPDATE SET last_no = EXCLUDED.last_no
            WHERE c.last_no < EXCLUDED.last_no;
    END IF;
    IF guarded THEN
        PERFORM check_never_negative(b_id, ARRAY(SELECT DISTINCT t.acc FROM unnest(ab_acc) AS t(acc)));
    END IF;
END
$$;
