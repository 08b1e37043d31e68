-- 0024: a bulk path for purchase imports. Swift numbers, resolves and hashes each chunk of an
-- import, COPY stages its rows, and one call moves them into the books, where every check of
-- the books runs as it does for post_entries.
--
-- Through post_entries (0016) PostgreSQL parsed every posting from JSON, resolved its seven codes
-- with an index probe each, rendered its canonical line and hashed each entry in a loop: 23 µs of
-- a backend's time per posting in a 160,000-line import, and the import is one transaction on
-- one backend (docs/BENCHMARKS.md, session 11). Here the importing session, which holds the
-- book's lock for its whole transaction, does that work in Swift on another core; PostgreSQL
-- checks it set-based:
--   * the chain: every staged hash is recomputed from the staged rows (canon_header and the
--     posting lines rendered from the codes of the ids they name), each from the one before it,
--     the first from the book's head; positions continue the book's chain without a gap;
--   * the rows: the same triggers as ever (entries_sound, postings_with_entry, the reference
--     checks, the month totals) fire on the INSERT … SELECT of each table, and the deferred
--     foreign key of postings at commit;
--   * the counts: every staged row must land; a posting, purchase or line whose entry is not
--     staged is refused, not dropped.
-- created_at is the transaction's now() and created_by the caller's actor, as in post_entries;
-- a hash computed with any other value does not match.
--
-- Only relief_app may use it: a clerk's import stays on post_entries and the INSERTs under
-- row-level security, as COPY into a table with row-level security is refused. The staging
-- tables are temporary (this session's, dropped at commit), created by begin_purchase_import
-- (owned by this function's owner, so a session cannot hand it a table of its own making under
-- that name) and writable by relief_app only; every function here names them pg_temp.bulk_*.

SET LOCAL search_path = relief, pg_catalog, pg_temp;

-- Locks the book for the transaction, (re)creates the empty staging tables, and returns what the
-- caller numbers and hashes from: the chain's position and head, the closed month and now().
CREATE FUNCTION begin_purchase_import(p_book text)
RETURNS TABLE (book_id integer, tenant_id integer, chain_seq bigint, chain_head bytea, closed_through integer,
               created_at_us bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog, pg_temp SET jit = off AS $$
#variable_conflict use_column
DECLARE
    b record;
BEGIN
    SELECT x.id, x.tenant_id, x.chain_seq, x.chain_head, x.closed_through INTO b
      FROM books x WHERE x.code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;
    DROP TABLE IF EXISTS pg_temp.bulk_entries, pg_temp.bulk_postings, pg_temp.bulk_purchases, pg_temp.bulk_lines, pg_temp.bulk_ids;
    CREATE TEMPORARY TABLE bulk_entries (
        seq bigint NOT NULL, period integer NOT NULL, voucher_no integer NOT NULL, entry_date date NOT NULL,
        idempotency_key text NOT NULL, description text NOT NULL, hash bytea NOT NULL
    ) ON COMMIT DROP;
    CREATE TEMPORARY TABLE bulk_postings (
        seq bigint NOT NULL, line smallint NOT NULL, account_id integer NOT NULL, side "char" NOT NULL,
        amount_fen bigint NOT NULL, enterprise_id integer, supplier_id integer, township_id integer,
        category_id integer, channel_id integer, program_id integer, memo text
    ) ON COMMIT DROP;
    CREATE TEMPORARY TABLE bulk_purchases (
        seq bigint NOT NULL, purchase_key text NOT NULL, enterprise_id integer NOT NULL, supplier_id integer NOT NULL,
        purchase_date date NOT NULL, channel text NOT NULL, purpose text NOT NULL, invoice_number text NOT NULL,
        invoice_date date NOT NULL, seller_tax_id text NOT NULL
    ) ON COMMIT DROP;
    CREATE TEMPORARY TABLE bulk_lines (
        seq bigint NOT NULL, line smallint NOT NULL, product_id integer NOT NULL, quantity numeric(14,3) NOT NULL,
        unit text NOT NULL, unit_price bigint NOT NULL, amount_fen bigint NOT NULL, eligible boolean NOT NULL,
        reason_codes text[] NOT NULL, reasons text NOT NULL
    ) ON COMMIT DROP;
    CREATE TEMPORARY TABLE bulk_ids (seq bigint PRIMARY KEY, entry_id bigint NOT NULL, purchase_id bigint NOT NULL) ON COMMIT DROP;
    GRANT INSERT ON pg_temp.bulk_entries, pg_temp.bulk_postings, pg_temp.bulk_purchases, pg_temp.bulk_lines TO relief_app;
    RETURN QUERY SELECT b.id, b.tenant_id, b.chain_seq, b.chain_head, b.closed_through,
                        (extract(epoch FROM now()) * 1000000)::bigint;
END
$$;

-- Moves the staged chunk into the books and empties the staging tables. Returns the counts
-- written and the chain's new position and head, which the caller compares with its own.
CREATE FUNCTION post_staged_purchases(p_book text, p_program integer, p_actor text)
RETURNS TABLE (entries integer, postings integer, purchases integer, lines integer, chain_seq bigint, chain_head bytea)
LANGUAGE plpgsql SECURITY DEFINER
-- work_mem: the hash check sorts a chunk's postings (about 33,000), which spilled to disk at 4 MB.
SET search_path = relief, pg_catalog, pg_temp SET jit = off SET work_mem = '64MB' AS $$
#variable_conflict use_column
DECLARE
    b record;
    v_now timestamptz := now();
    k integer;
    lo bigint;
    hi bigint;
    n_postings integer;
    n_purchases integer;
    n_lines integer;
    written integer;
    bad bigint;
    guarded integer[];
    last_hash bytea;
BEGIN
    SELECT x.id, x.tenant_id, x.code, x.chain_seq, x.chain_head INTO b FROM books x WHERE x.code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;
    SELECT count(*)::integer, min(e.seq), max(e.seq) INTO k, lo, hi FROM pg_temp.bulk_entries e;
    SELECT count(*)::integer INTO n_postings FROM pg_temp.bulk_postings;
    SELECT count(*)::integer INTO n_purchases FROM pg_temp.bulk_purchases;
    SELECT count(*)::integer INTO n_lines FROM pg_temp.bulk_lines;
    IF k = 0 THEN
        IF n_postings + n_purchases + n_lines > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'RL034', MESSAGE = 'staged rows without their entries';
        END IF;
        RETURN QUERY SELECT 0, 0, 0, 0, b.chain_seq, b.chain_head;
        RETURN;
    END IF;
    -- Positions continue the chain: k distinct positions from chain_seq + 1 to chain_seq + k.
    IF lo <> b.chain_seq + 1 OR hi <> b.chain_seq + k
       OR (SELECT count(DISTINCT e.seq) FROM pg_temp.bulk_entries e) <> k THEN
        RAISE EXCEPTION USING ERRCODE = 'RL024',
            MESSAGE = format('staged entries take chain positions %s to %s (%s entries); the chain is at %s', lo, hi, k, b.chain_seq);
    END IF;

    -- Every hash, recomputed from the staged rows and the codes their ids name, each from the one
    -- before it (the first from the book's head). A posting whose account or value is unknown
    -- renders an empty code here and is refused by the postings' own check below.
    SELECT s.seq INTO bad
      FROM (SELECT e.seq, e.hash,
                   coalesce(lag(e.hash) OVER (ORDER BY e.seq), b.chain_head) AS prev,
                   canon_header(b.code, e.seq, e.period, e.voucher_no, e.entry_date, NULL, v_now, p_actor,
                                e.idempotency_key, e.description) AS header
              FROM pg_temp.bulk_entries e) s
      LEFT JOIN (
          SELECT p.seq,
                 string_agg(concat_ws('|', 'P', p.line::text, a.code, p.side::text, p.amount_fen::text,
                                      coalesce(de.code, ''), coalesce(ds.code, ''), coalesce(dt.code, ''),
                                      coalesce(dc.code, ''), coalesce(dh.code, ''), coalesce(dp.code, ''),
                                      canon_escape(p.memo)) || E'\n', '' ORDER BY p.line) AS txt
            FROM pg_temp.bulk_postings p
            LEFT JOIN accounts a ON a.id = p.account_id AND a.book_id = b.id
            LEFT JOIN dimension_values de ON de.id = p.enterprise_id
            LEFT JOIN dimension_values ds ON ds.id = p.supplier_id
            LEFT JOIN dimension_values dt ON dt.id = p.township_id
            LEFT JOIN dimension_values dc ON dc.id = p.category_id
            LEFT JOIN dimension_values dh ON dh.id = p.channel_id
            LEFT JOIN dimension_values dp ON dp.id = p.program_id
           GROUP BY p.seq) t ON t.seq = s.seq
     WHERE sha256(s.prev || convert_to(s.header || coalesce(t.txt, ''), 'UTF8')) IS DISTINCT FROM s.hash
     ORDER BY s.seq
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL025',
            MESSAGE = format('staged entry at chain position %s: its hash is not what its rows and the one before it give', bad),
            HINT = 'the importer computes each hash from the canonical text of docs/CHAIN.md';
    END IF;

    -- Ids: one entry and one purchase per staged position.
    TRUNCATE pg_temp.bulk_ids;
    INSERT INTO pg_temp.bulk_ids (seq, entry_id, purchase_id)
    SELECT e.seq, nextval('entries_id_seq'), nextval('purchases_id_seq') FROM pg_temp.bulk_entries e ORDER BY e.seq;

    -- Postings first: the entries' check reads them (docs/ARCHITECTURE.md).
    INSERT INTO postings (entry_id, line, tenant_id, account_id, side, amount_fen, enterprise_id, supplier_id,
                          township_id, category_id, channel_id, program_id, memo)
    SELECT i.entry_id, p.line, b.tenant_id, p.account_id, p.side, p.amount_fen, p.enterprise_id, p.supplier_id,
           p.township_id, p.category_id, p.channel_id, p.program_id, p.memo
      FROM pg_temp.bulk_postings p JOIN pg_temp.bulk_ids i ON i.seq = p.seq
     ORDER BY i.entry_id, p.line;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written <> n_postings THEN
        RAISE EXCEPTION USING ERRCODE = 'RL034', MESSAGE = format('%s of %s staged postings name a staged entry', written, n_postings);
    END IF;

    INSERT INTO entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, reverses_id, created_at,
                         idempotency_key, created_by, description, hash)
    SELECT i.entry_id, b.tenant_id, b.id, e.seq, e.period, e.voucher_no, e.entry_date, NULL, v_now,
           e.idempotency_key, p_actor, e.description, e.hash
      FROM pg_temp.bulk_entries e JOIN pg_temp.bulk_ids i ON i.seq = e.seq
     ORDER BY e.seq;

    INSERT INTO purchases (id, tenant_id, program_id, purchase_key, enterprise_id, supplier_id, purchase_date, channel,
                           purpose, invoice_number, invoice_date, seller_tax_id, entry_id, created_by)
    OVERRIDING SYSTEM VALUE
    SELECT i.purchase_id, b.tenant_id, p_program, x.purchase_key, x.enterprise_id, x.supplier_id, x.purchase_date,
           x.channel, x.purpose, x.invoice_number, x.invoice_date, x.seller_tax_id, i.entry_id, p_actor
      FROM pg_temp.bulk_purchases x JOIN pg_temp.bulk_ids i ON i.seq = x.seq
     ORDER BY x.seq;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written <> n_purchases THEN
        RAISE EXCEPTION USING ERRCODE = 'RL034', MESSAGE = format('%s of %s staged purchases name a staged entry', written, n_purchases);
    END IF;

    INSERT INTO purchase_lines (purchase_id, line, tenant_id, product_id, quantity, unit, unit_price, amount_fen,
                                eligible, reason_codes, reasons)
    SELECT i.purchase_id, l.line, b.tenant_id, l.product_id, l.quantity, l.unit, l.unit_price, l.amount_fen,
           l.eligible, l.reason_codes, l.reasons
      FROM pg_temp.bulk_lines l JOIN pg_temp.bulk_ids i ON i.seq = l.seq
     ORDER BY i.purchase_id, l.line;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written <> n_lines THEN
        RAISE EXCEPTION USING ERRCODE = 'RL034', MESSAGE = format('%s of %s staged purchase lines name a staged purchase', written, n_lines);
    END IF;

    INSERT INTO account_balances AS ab (book_id, account_id, period, tenant_id, debit_fen, credit_fen)
    SELECT b.id, p.account_id, e.period, b.tenant_id,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'D'), 0),
           coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'C'), 0)
      FROM pg_temp.bulk_postings p JOIN pg_temp.bulk_entries e ON e.seq = p.seq
     GROUP BY p.account_id, e.period
     ORDER BY e.period, p.account_id  -- one lock order for every writer
    ON CONFLICT ON CONSTRAINT account_balances_pkey DO UPDATE
        SET debit_fen = ab.debit_fen + EXCLUDED.debit_fen, credit_fen = ab.credit_fen + EXCLUDED.credit_fen;

    INSERT INTO voucher_counters AS c (book_id, period, tenant_id, last_no)
    SELECT b.id, e.period, b.tenant_id, max(e.voucher_no) FROM pg_temp.bulk_entries e
     GROUP BY e.period ORDER BY e.period
    ON CONFLICT ON CONSTRAINT voucher_counters_pkey DO UPDATE SET last_no = EXCLUDED.last_no
        WHERE c.last_no < EXCLUDED.last_no;

    SELECT e.hash INTO last_hash FROM pg_temp.bulk_entries e WHERE e.seq = hi;
    UPDATE books SET chain_seq = hi, chain_head = last_hash WHERE id = b.id;

    SELECT array_agg(DISTINCT a.id) INTO guarded
      FROM (SELECT DISTINCT p.account_id FROM pg_temp.bulk_postings p) p JOIN accounts a ON a.id = p.account_id
     WHERE a.never_negative;
    IF guarded IS NOT NULL THEN
        PERFORM check_never_negative(b.id, guarded);
    END IF;

    TRUNCATE pg_temp.bulk_entries, pg_temp.bulk_postings, pg_temp.bulk_purchases, pg_temp.bulk_lines;
    RETURN QUERY SELECT k, n_postings, n_purchases, n_lines, hi, last_hash;
END
$$;

REVOKE ALL ON FUNCTION begin_purchase_import(text), post_staged_purchases(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION begin_purchase_import(text), post_staged_purchases(text, integer, text) TO relief_app;
