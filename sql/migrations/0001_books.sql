-- 0001: the books. Tenants, books, chart of accounts, dimensions, journal entries and postings,
-- periods, voucher counters, the hash chain, and the invariants PostgreSQL enforces on its own.
-- Runs inside one transaction (the migrator wraps it). Every table carries tenant_id, the operator
-- union, so that a distributed deployment can shard by it.

SET LOCAL search_path = relief, pg_catalog;

-- Roles: the application acts as relief_app (no UPDATE/DELETE on the books), auditors as
-- relief_auditor (read only). Roles are cluster-wide, so create them only when missing.
DO $$
BEGIN
    BEGIN
        CREATE ROLE relief_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE relief_auditor NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;

CREATE TABLE tenants (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    name        text NOT NULL CHECK (name <> '')
);

CREATE TABLE books (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       integer NOT NULL REFERENCES tenants,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name            text NOT NULL CHECK (name <> ''),
    -- The chain: position and hash of the last entry (32 zero bytes before the first).
    chain_seq       bigint NOT NULL DEFAULT 0 CHECK (chain_seq >= 0),
    chain_head      bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
                    CHECK (length(chain_head) = 32),
    -- The last closed period as YYYYMM; entries must be dated after it.
    closed_through  integer CHECK (closed_through % 100 BETWEEN 1 AND 12)
);

CREATE TABLE accounts (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES tenants,
    book_id     integer NOT NULL REFERENCES books,
    code        text NOT NULL CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$'),
    name        text NOT NULL CHECK (name <> '' AND name !~ '[|\r\n]'),
    category    text NOT NULL CHECK (category IN
                    ('asset', 'liability', 'net_assets', 'income', 'expense', 'memorandum')),
    normal_side "char" NOT NULL CHECK (normal_side IN ('D', 'C')),
    -- Cash and bank may never go below zero: the fund cannot pay more than it holds.
    never_negative boolean NOT NULL DEFAULT false,
    UNIQUE (book_id, code)
);

-- Dimension values: enterprise, supplier, township, product category, channel, program.
-- Postings refer to them by id; the chain's canonical text names them by code.
CREATE TABLE dimension_values (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES tenants,
    kind        text NOT NULL CHECK (kind IN
                    ('enterprise', 'supplier', 'township', 'category', 'channel', 'program')),
    code        text NOT NULL CHECK (code ~ '^[^|\r\n\\[:cntrl:]]{1,64}$'),
    name        text NOT NULL CHECK (name <> ''),
    UNIQUE (tenant_id, kind, code)
);

CREATE SEQUENCE entries_id_seq AS bigint;

CREATE TABLE entries (
    id              bigint PRIMARY KEY DEFAULT nextval('entries_id_seq'),
    tenant_id       integer NOT NULL REFERENCES tenants,
    book_id         integer NOT NULL REFERENCES books,
    seq             bigint NOT NULL CHECK (seq > 0),
    period          integer NOT NULL,
    voucher_no      integer NOT NULL CHECK (voucher_no > 0),
    entry_date      date NOT NULL,
    reverses_id     bigint REFERENCES entries,
    created_at      timestamptz NOT NULL,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_by      text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
    description     text NOT NULL CHECK (length(description) <= 500),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    CHECK (period = extract(year FROM entry_date)::integer * 100 + extract(month FROM entry_date)::integer),
    CHECK (reverses_id IS NULL OR reverses_id <> id),
    UNIQUE (book_id, seq),
    UNIQUE (book_id, period, voucher_no),
    UNIQUE (book_id, idempotency_key)
);
ALTER SEQUENCE entries_id_seq OWNED BY entries.id;
-- An entry is reversed at most once.
CREATE UNIQUE INDEX entries_reversed_once ON entries (reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE postings (
    entry_id        bigint NOT NULL REFERENCES entries DEFERRABLE INITIALLY DEFERRED,
    line            smallint NOT NULL CHECK (line > 0),
    tenant_id       integer NOT NULL,
    account_id      integer NOT NULL REFERENCES accounts,
    side            "char" NOT NULL CHECK (side IN ('D', 'C')),
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 10000000000000),
    enterprise_id   integer REFERENCES dimension_values,
    supplier_id     integer REFERENCES dimension_values,
    township_id     integer REFERENCES dimension_values,
    category_id     integer REFERENCES dimension_values,
    channel_id      integer REFERENCES dimension_values,
    program_id      integer REFERENCES dimension_values,
    memo            text CHECK (length(memo) <= 200),
    PRIMARY KEY (entry_id, line)
);
CREATE INDEX postings_by_account ON postings (account_id, entry_id);

-- Gapless voucher numbers: one counter row per book and month, incremented inside the posting
-- transaction (a rolled-back transaction rolls its numbers back too; a sequence would burn them).
CREATE TABLE voucher_counters (
    book_id     integer NOT NULL REFERENCES books,
    period      integer NOT NULL CHECK (period % 100 BETWEEN 1 AND 12),
    tenant_id   integer NOT NULL,
    last_no     integer NOT NULL CHECK (last_no > 0),
    PRIMARY KEY (book_id, period)
);

-- Period activity per account, kept by the posting function: debits and credits net of red
-- (reversal) amounts. Reports read this instead of summing every posting.
CREATE TABLE account_balances (
    book_id     integer NOT NULL REFERENCES books,
    account_id  integer NOT NULL REFERENCES accounts,
    period      integer NOT NULL CHECK (period % 100 BETWEEN 1 AND 12),
    tenant_id   integer NOT NULL,
    debit_fen   bigint NOT NULL,
    credit_fen  bigint NOT NULL,
    PRIMARY KEY (book_id, period, account_id)
);

CREATE TABLE period_closes (
    book_id     integer NOT NULL REFERENCES books,
    period      integer NOT NULL CHECK (period % 100 BETWEEN 1 AND 12),
    tenant_id   integer NOT NULL,
    closed_at   timestamptz NOT NULL DEFAULT now(),
    closed_by   text NOT NULL,
    chain_seq   bigint NOT NULL,
    chain_head  bytea NOT NULL CHECK (length(chain_head) = 32),
    PRIMARY KEY (book_id, period)
);

-- Every account's cumulative debits and credits through the closed period, frozen at close.
CREATE TABLE closing_balances (
    book_id     integer NOT NULL,
    period      integer NOT NULL,
    account_id  integer NOT NULL REFERENCES accounts,
    tenant_id   integer NOT NULL,
    debit_fen   bigint NOT NULL,
    credit_fen  bigint NOT NULL,
    PRIMARY KEY (book_id, period, account_id),
    FOREIGN KEY (book_id, period) REFERENCES period_closes DEFERRABLE INITIALLY DEFERRED
);

-- ---------------------------------------------------------------------------------------------
-- Append-only: entries, postings, closes and closing balances are never updated or deleted.
CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'RL030',
        MESSAGE = format('%s is append-only: %s is not allowed', TG_TABLE_NAME, TG_OP),
        HINT = 'correct a mistake with a reversal entry (relief reverse) and a new entry';
END
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER period_closes_append_only BEFORE UPDATE OR DELETE ON period_closes
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER closing_balances_append_only BEFORE UPDATE OR DELETE ON closing_balances
    FOR EACH ROW EXECUTE FUNCTION reject_change();

-- Codes named in the chain's canonical text never change.
CREATE FUNCTION reject_code_change() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
BEGIN
    IF NEW.code IS DISTINCT FROM OLD.code THEN
        RAISE EXCEPTION USING ERRCODE = 'RL031',
            MESSAGE = format('%s code %s cannot change: the hash chain names it', TG_TABLE_NAME, OLD.code);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_code_fixed BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION reject_code_change();
CREATE TRIGGER dimension_values_code_fixed BEFORE UPDATE ON dimension_values
    FOR EACH ROW EXECUTE FUNCTION reject_code_change();
CREATE TRIGGER books_code_fixed BEFORE UPDATE OF code ON books
    FOR EACH ROW EXECUTE FUNCTION reject_code_change();

-- No entry in a closed period (checked for every inserted row, whoever inserts it).
CREATE FUNCTION check_period_open() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, n.entry_date, n.period, b.closed_through INTO bad
    FROM new_entries n JOIN books b ON b.id = n.book_id
    WHERE b.closed_through IS NOT NULL AND n.period <= b.closed_through
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL010',
            MESSAGE = format('entry dated %s falls in a closed period (closed through %s-%s)',
                bad.entry_date, bad.closed_through / 100, lpad((bad.closed_through % 100)::text, 2, '0')),
            HINT = 'date the entry in an open period; a closed month is frozen';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER entries_period_open AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION check_period_open();

-- Postings are written with their entry, in the same transaction, never added later.
CREATE FUNCTION check_postings_with_entry() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT n.entry_id INTO bad
    FROM new_postings n LEFT JOIN entries e ON e.id = n.entry_id
    WHERE e.id IS NOT NULL AND e.xmin <> pg_current_xact_id()::xid
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL032',
            MESSAGE = format('postings cannot be added to entry %s after it was written', bad);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER postings_with_entry AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION check_postings_with_entry();

-- At commit: at least two postings, debits equal credits, a reversal mirrors its original,
-- voucher numbers and chain positions have no gaps.
CREATE FUNCTION check_entry_at_commit() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    n integer;
    debit_fen numeric;
    credit_fen numeric;
    label text := format('entry %s (voucher %s-%s no. %s)', NEW.id, NEW.period / 100,
                         lpad((NEW.period % 100)::text, 2, '0'), NEW.voucher_no);
BEGIN
    SELECT count(*), coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'D'), 0),
           coalesce(sum(p.amount_fen) FILTER (WHERE p.side = 'C'), 0)
      INTO n, debit_fen, credit_fen
      FROM postings p WHERE p.entry_id = NEW.id;
    IF n < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL020',
            MESSAGE = format('%s has %s posting(s); a journal entry needs at least two', label, n);
    END IF;
    IF debit_fen <> credit_fen THEN
        RAISE EXCEPTION USING ERRCODE = 'RL021',
            MESSAGE = format('%s is unbalanced: debits %s fen, credits %s fen', label, debit_fen, credit_fen);
    END IF;
    IF NEW.reverses_id IS NOT NULL AND EXISTS (
        (SELECT account_id, side, amount_fen FROM postings WHERE entry_id = NEW.reverses_id
         EXCEPT ALL SELECT account_id, side, amount_fen FROM postings WHERE entry_id = NEW.id)
        UNION ALL
        (SELECT account_id, side, amount_fen FROM postings WHERE entry_id = NEW.id
         EXCEPT ALL SELECT account_id, side, amount_fen FROM postings WHERE entry_id = NEW.reverses_id))
    THEN
        RAISE EXCEPTION USING ERRCODE = 'RL022',
            MESSAGE = format('%s reverses entry %s but does not mirror its postings', label, NEW.reverses_id);
    END IF;
    IF NEW.voucher_no > 1 AND NOT EXISTS (
        SELECT 1 FROM entries e WHERE e.book_id = NEW.book_id AND e.period = NEW.period
                                  AND e.voucher_no = NEW.voucher_no - 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'RL023',
            MESSAGE = format('%s leaves a gap: voucher no. %s is missing', label, NEW.voucher_no - 1);
    END IF;
    IF NEW.seq > 1 AND NOT EXISTS (
        SELECT 1 FROM entries e WHERE e.book_id = NEW.book_id AND e.seq = NEW.seq - 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'RL024',
            MESSAGE = format('%s leaves a gap in the chain: position %s is missing', label, NEW.seq - 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER entries_sound_at_commit AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_entry_at_commit();

-- ---------------------------------------------------------------------------------------------
-- The chain's canonical text (docs/CHAIN.md). One line for the entry, one per posting, each ending
-- in a newline; fields separated by '|'; text fields escaped (\ → \\, | → \|, LF → \n, CR → \r).
CREATE FUNCTION canon_escape(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(replace(replace(replace(coalesce(t, ''), '\', '\\'), '|', '\|'), E'\n', '\n'), E'\r', '\r')
$$;

CREATE FUNCTION canon_header(
    book_code text, seq bigint, period integer, voucher_no integer, entry_date date,
    reverses_seq bigint, created_at timestamptz, created_by text, idempotency_key text,
    description text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT concat_ws('|', 'E', relief.canon_escape(book_code), seq::text,
        (period / 100)::text || '-' || lpad((period % 100)::text, 2, '0'),
        voucher_no::text, to_char(entry_date, 'YYYY-MM-DD'), coalesce(reverses_seq::text, ''),
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        relief.canon_escape(created_by), relief.canon_escape(idempotency_key), relief.canon_escape(description)) || E'\n'
$$;

-- PL/pgSQL, not SQL, so that the plan of this seven-way join is cached per session.
CREATE FUNCTION canon_postings(p_entry_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(string_agg(concat_ws('|', 'P', p.line::text, relief.canon_escape(a.code), p.side::text,
                   p.amount_fen::text, relief.canon_escape(de.code), relief.canon_escape(ds.code),
                   relief.canon_escape(dt.code), relief.canon_escape(dc.code), relief.canon_escape(dh.code),
                   relief.canon_escape(dp.code), relief.canon_escape(p.memo))
                   || E'\n', '' ORDER BY p.line), '')
        FROM relief.postings p
        JOIN relief.accounts a ON a.id = p.account_id
        LEFT JOIN relief.dimension_values de ON de.id = p.enterprise_id
        LEFT JOIN relief.dimension_values ds ON ds.id = p.supplier_id
        LEFT JOIN relief.dimension_values dt ON dt.id = p.township_id
        LEFT JOIN relief.dimension_values dc ON dc.id = p.category_id
        LEFT JOIN relief.dimension_values dh ON dh.id = p.channel_id
        LEFT JOIN relief.dimension_values dp ON dp.id = p.program_id
        WHERE p.entry_id = p_entry_id);
END
$$;

-- The canonical text of a stored entry, for auditors working in psql.
CREATE FUNCTION entry_canonical_text(p_entry_id bigint) RETURNS text LANGUAGE sql STABLE SET search_path = relief, pg_catalog AS $$
    SELECT canon_header(b.code, e.seq, e.period, e.voucher_no, e.entry_date, r.seq, e.created_at,
                        e.created_by, e.idempotency_key, e.description) || canon_postings(e.id)
    FROM entries e JOIN books b ON b.id = e.book_id LEFT JOIN entries r ON r.id = e.reverses_id
    WHERE e.id = p_entry_id
$$;

-- Recomputes a book's chain inside PostgreSQL; returns the first entry whose stored hash differs
-- (no row when the chain is intact). relief verify does the same independently in Swift.
CREATE FUNCTION verify_chain(p_book text)
RETURNS TABLE (seq bigint, entry_id bigint, stored_hash bytea, computed_hash bytea)
LANGUAGE plpgsql STABLE SET search_path = relief, pg_catalog AS $$
DECLARE
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    r record;
    h bytea;
BEGIN
    FOR r IN SELECT e.id, e.seq, e.hash FROM entries e JOIN books b ON b.id = e.book_id
             WHERE b.code = p_book ORDER BY e.seq LOOP
        h := sha256(prev || convert_to(entry_canonical_text(r.id), 'UTF8'));
        IF h <> r.hash THEN
            seq := r.seq; entry_id := r.id; stored_hash := r.hash; computed_hash := h;
            RETURN NEXT;
            RETURN;
        END IF;
        prev := r.hash;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Accounts whose balance may never go below zero (on their normal side).

CREATE FUNCTION check_never_negative(p_book integer, p_accounts integer[]) RETURNS void
LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    bad record;
BEGIN
    SELECT a.code, a.name, sum(ab.debit_fen - ab.credit_fen) * CASE a.normal_side WHEN 'D' THEN 1 ELSE -1 END AS balance
    INTO bad
    FROM accounts a JOIN account_balances ab ON ab.account_id = a.id AND ab.book_id = p_book
    WHERE a.never_negative AND a.id = ANY (p_accounts)
    GROUP BY a.id
    HAVING sum(ab.debit_fen - ab.credit_fen) * CASE a.normal_side WHEN 'D' THEN 1 ELSE -1 END < 0
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL040',
            MESSAGE = format('account %s %s would go negative (%s fen)', bad.code, bad.name, bad.balance),
            HINT = 'the fund cannot pay more than it holds';
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The posting path. Posts a batch of entries to one book in one call: takes the book's row lock
-- (which serialises writers of that book), skips entries whose idempotency key is already there
-- (returning the original), allocates gapless voucher numbers and chain positions, writes the
-- postings and the entry with its hash, and keeps account_balances. Returns one row per input
-- entry, in input order.
--
-- p_entries: [{"key", "date", "description", "reverses" (chain seq, optional),
--              "postings": [{"account", "side" (D|C), "amount_fen", "enterprise", "supplier",
--                            "township", "category", "channel", "program", "memo"}]}]
CREATE FUNCTION post_entries(p_book text, p_entries jsonb, p_actor text)
RETURNS TABLE (idx integer, entry_id bigint, seq bigint, period integer, voucher_no integer,
               created_at_us bigint, hash bytea, prev_hash bytea, existed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
#variable_conflict use_column
DECLARE
    b books%ROWTYPE;
    e jsonb;
    i integer := 0;
    v_id bigint;
    v_key text;
    v_date date;
    v_period integer;
    v_no integer;
    v_rev_id bigint;
    v_rev_seq bigint;
    v_hash bytea;
    v_now timestamptz := now();
    v_first_seq bigint;
    old record;
    missing text;
BEGIN
    IF jsonb_typeof(p_entries) <> 'array' OR jsonb_array_length(p_entries) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL001', MESSAGE = 'post_entries needs a non-empty JSON array';
    END IF;
    SELECT * INTO b FROM books WHERE code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;
    v_first_seq := b.chain_seq;

    FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
        i := i + 1;
        v_key := e->>'key';
        SELECT x.id, x.seq, x.period, x.voucher_no, x.created_at, x.hash INTO old
        FROM entries x WHERE x.book_id = b.id AND x.idempotency_key = v_key;
        IF FOUND THEN
            idx := i; entry_id := old.id; seq := old.seq; period := old.period;
            voucher_no := old.voucher_no; hash := old.hash; prev_hash := NULL; existed := true;
            created_at_us := (extract(epoch FROM old.created_at) * 1000000)::bigint;
            RETURN NEXT;
            CONTINUE;
        END IF;

        v_date := (e->>'date')::date;
        v_period := extract(year FROM v_date)::integer * 100 + extract(month FROM v_date)::integer;
        IF b.closed_through IS NOT NULL AND v_period <= b.closed_through THEN
            RAISE EXCEPTION USING ERRCODE = 'RL010',
                MESSAGE = format('entry %s is dated %s, in a closed period', v_key, v_date),
                HINT = 'date the entry in an open period; a closed month is frozen';
        END IF;

        SELECT string_agg(DISTINCT p.account, ', ') INTO missing
        FROM jsonb_to_recordset(e->'postings') AS p(account text)
        WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.book_id = b.id AND a.code = p.account);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RL003',
                MESSAGE = format('entry %s names unknown account(s): %s', v_key, missing),
                HINT = 'list the chart with: relief accounts';
        END IF;
        SELECT string_agg(DISTINCT d.kind || ' ' || d.code, ', ') INTO missing
        FROM jsonb_to_recordset(e->'postings') AS p(enterprise text, supplier text, township text,
                                                   category text, channel text, program text)
        CROSS JOIN LATERAL (VALUES ('enterprise', p.enterprise), ('supplier', p.supplier),
                                   ('township', p.township), ('category', p.category),
                                   ('channel', p.channel), ('program', p.program)) AS d(kind, code)
        WHERE d.code IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dimension_values v
            WHERE v.tenant_id = b.tenant_id AND v.kind = d.kind AND v.code = d.code);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'RL004',
                MESSAGE = format('entry %s names unknown dimension value(s): %s', v_key, missing);
        END IF;

        v_rev_id := NULL;
        v_rev_seq := (e->>'reverses')::bigint;
        IF v_rev_seq IS NOT NULL THEN
            SELECT x.id INTO v_rev_id FROM entries x WHERE x.book_id = b.id AND x.seq = v_rev_seq;
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

        INSERT INTO voucher_counters AS c (book_id, period, tenant_id, last_no)
        VALUES (b.id, v_period, b.tenant_id, 1)
        ON CONFLICT ON CONSTRAINT voucher_counters_pkey DO UPDATE SET last_no = c.last_no + 1
        RETURNING c.last_no INTO v_no;

        v_id := nextval('entries_id_seq');
        b.chain_seq := b.chain_seq + 1;

        INSERT INTO postings (entry_id, line, tenant_id, account_id, side, amount_fen, enterprise_id,
                              supplier_id, township_id, category_id, channel_id, program_id, memo)
        SELECT v_id, p.ord, b.tenant_id, a.id, p.side::"char", p.amount_fen,
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'enterprise' AND v.code = p.enterprise),
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'supplier' AND v.code = p.supplier),
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'township' AND v.code = p.township),
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'category' AND v.code = p.category),
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'channel' AND v.code = p.channel),
               (SELECT v.id FROM dimension_values v WHERE v.tenant_id = b.tenant_id AND v.kind = 'program' AND v.code = p.program),
               p.memo
        FROM ROWS FROM (jsonb_to_recordset(e->'postings')
                 AS (account text, side text, amount_fen bigint, enterprise text, supplier text,
                     township text, category text, channel text, program text, memo text))
             WITH ORDINALITY AS p(account, side, amount_fen, enterprise, supplier, township, category,
                                  channel, program, memo, ord)
        JOIN accounts a ON a.book_id = b.id AND a.code = p.account;

        v_hash := sha256(b.chain_head || convert_to(
            canon_header(b.code, b.chain_seq, v_period, v_no, v_date, v_rev_seq, v_now, p_actor,
                         v_key, coalesce(e->>'description', '')) || canon_postings(v_id), 'UTF8'));

        INSERT INTO entries (id, tenant_id, book_id, seq, period, voucher_no, entry_date, reverses_id,
                             created_at, idempotency_key, created_by, description, hash)
        VALUES (v_id, b.tenant_id, b.id, b.chain_seq, v_period, v_no, v_date, v_rev_id,
                v_now, v_key, p_actor, coalesce(e->>'description', ''), v_hash);

        idx := i; entry_id := v_id; seq := b.chain_seq; period := v_period; voucher_no := v_no;
        hash := v_hash; prev_hash := b.chain_head; existed := false;
        created_at_us := (extract(epoch FROM v_now) * 1000000)::bigint;
        RETURN NEXT;
        b.chain_head := v_hash;
    END LOOP;

    IF b.chain_seq > v_first_seq THEN
        UPDATE books SET chain_seq = b.chain_seq, chain_head = b.chain_head WHERE id = b.id;
        INSERT INTO account_balances AS ab (book_id, account_id, period, tenant_id, debit_fen, credit_fen)
        SELECT b.id, p.account_id, x.period, b.tenant_id,
               sum(CASE WHEN p.side = 'D' THEN (CASE WHEN x.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END) ELSE 0 END),
               sum(CASE WHEN p.side = 'C' THEN (CASE WHEN x.reverses_id IS NULL THEN p.amount_fen ELSE -p.amount_fen END) ELSE 0 END)
        FROM entries x JOIN postings p ON p.entry_id = x.id
        WHERE x.book_id = b.id AND x.seq > v_first_seq
        GROUP BY p.account_id, x.period
        ON CONFLICT ON CONSTRAINT account_balances_pkey DO UPDATE
            SET debit_fen = ab.debit_fen + EXCLUDED.debit_fen, credit_fen = ab.credit_fen + EXCLUDED.credit_fen;
        PERFORM check_never_negative(b.id, ARRAY(
            SELECT DISTINCT p.account_id FROM entries x JOIN postings p ON p.entry_id = x.id
            WHERE x.book_id = b.id AND x.seq > v_first_seq));
    END IF;
END
$$;

-- Closes a month: frozen from then on. Months close in order; the first close must not leave an
-- earlier month with entries open. Records every account's cumulative totals and the chain head.
CREATE FUNCTION close_period(p_book text, p_period integer, p_actor text)
RETURNS TABLE (chain_seq bigint, chain_head bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
#variable_conflict use_column
DECLARE
    b books%ROWTYPE;
    expected integer;
    earliest integer;
BEGIN
    IF p_period % 100 NOT BETWEEN 1 AND 12 THEN
        RAISE EXCEPTION USING ERRCODE = 'RL011', MESSAGE = format('%s is not a month (YYYYMM)', p_period);
    END IF;
    SELECT * INTO b FROM books WHERE code = p_book FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL002', MESSAGE = format('unknown book %s', p_book);
    END IF;
    IF b.closed_through IS NOT NULL THEN
        expected := CASE WHEN b.closed_through % 100 = 12 THEN (b.closed_through / 100 + 1) * 100 + 1
                         ELSE b.closed_through + 1 END;
        IF p_period <> expected THEN
            RAISE EXCEPTION USING ERRCODE = 'RL012',
                MESSAGE = format('months close in order: the next month to close is %s-%s',
                                 expected / 100, lpad((expected % 100)::text, 2, '0'));
        END IF;
    ELSE
        SELECT min(x.period) INTO earliest FROM entries x WHERE x.book_id = b.id;
        IF earliest IS NOT NULL AND earliest < p_period THEN
            RAISE EXCEPTION USING ERRCODE = 'RL012',
                MESSAGE = format('months close in order: close %s-%s first',
                                 earliest / 100, lpad((earliest % 100)::text, 2, '0'));
        END IF;
    END IF;
    INSERT INTO period_closes (book_id, period, tenant_id, closed_by, chain_seq, chain_head)
    VALUES (b.id, p_period, b.tenant_id, p_actor, b.chain_seq, b.chain_head);
    INSERT INTO closing_balances (book_id, period, account_id, tenant_id, debit_fen, credit_fen)
    SELECT b.id, p_period, a.id, b.tenant_id,
           coalesce(sum(ab.debit_fen), 0), coalesce(sum(ab.credit_fen), 0)
    FROM accounts a LEFT JOIN account_balances ab
         ON ab.account_id = a.id AND ab.book_id = b.id AND ab.period <= p_period
    WHERE a.book_id = b.id
    GROUP BY a.id;
    UPDATE books SET closed_through = p_period WHERE id = b.id;
    chain_seq := b.chain_seq;
    chain_head := b.chain_head;
    RETURN NEXT;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Seed: one operator union, one book, the default chart (工会会计制度 codes where one fits, plus
-- memorandum accounts for procurement statistics). Finance may extend the chart.
INSERT INTO tenants (code, name) VALUES ('default', '运营工会');
INSERT INTO books (tenant_id, code, name) SELECT id, 'main', '帮扶资金账' FROM tenants WHERE code = 'default';
INSERT INTO accounts (tenant_id, book_id, code, name, category, normal_side, never_negative)
SELECT b.tenant_id, b.id, c.code, c.name, c.category, c.side::"char", c.code IN ('101', '102')
FROM books b, (VALUES
    ('101', '库存现金', 'asset', 'D'),
    ('102', '银行存款', 'asset', 'D'),
    ('135', '其他应收款', 'asset', 'D'),
    ('215', '其他应付款', 'liability', 'C'),
    ('301', '工会资金', 'net_assets', 'C'),
    ('403', '上级补助收入', 'income', 'C'),
    ('409', '其他收入', 'income', 'C'),
    ('508', '补助下级支出', 'expense', 'D'),
    ('510', '其他支出', 'expense', 'D'),
    ('901', '备查 帮扶采购', 'memorandum', 'D'),
    ('902', '备查 帮扶销售', 'memorandum', 'C')
) AS c(code, name, category, side)
WHERE b.code = 'main';

-- ---------------------------------------------------------------------------------------------
-- Grants: the application reads everything, writes the books only through the functions above,
-- and may extend the chart and the dimension values. No UPDATE or DELETE on the books.
GRANT USAGE ON SCHEMA relief TO relief_app, relief_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA relief TO relief_app, relief_auditor;
GRANT INSERT ON accounts, dimension_values TO relief_app;
GRANT UPDATE (name) ON accounts, dimension_values TO relief_app;
REVOKE ALL ON FUNCTION post_entries(text, jsonb, text), close_period(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION post_entries(text, jsonb, text), close_period(text, integer, text) TO relief_app;
