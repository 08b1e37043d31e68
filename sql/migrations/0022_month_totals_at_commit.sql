-- 0022: the 月报 totals (0010) are added once per transaction, at commit, instead of once per
-- statement.
--
-- An upsert of a row the same transaction has already updated costs more each time: the old
-- versions cannot be pruned before the commit, and the conflict check visits every one of them.
-- Measured on this machine (docs/BENCHMARKS.md, session 10): 2,000 totals upserted again and
-- again in one transaction took 10 ms the first time, 55 ms the 60th and 94 ms the 120th. An import
-- writes its lines 2,048 purchases at a time, and with 2,000 enterprises every chunk touches
-- nearly every (enterprise, month) row, so the totals of a 1,000,000-line import cost about
-- 10 + 0.7 × n ms for its n-th chunk of a month: quadratic in the size of one import.
--
-- Now each INSERT of purchase lines adds its grouped sums to purchase_month_pending, a plain
-- append, and the transaction's first such row carries a deferred constraint trigger that, at
-- commit, adds the transaction's pending sums to the totals in one upsert (each row once, in one
-- lock order) and deletes them. The totals are the same whatever the statements were, and
-- `relief verify` still recomputes them from the lines.
--
-- Pending rows are this transaction's own (xact = txid_current()); a savepoint rolled back takes
-- its rows, and the fold queued with them, along, and the next statement marks a new first row.
-- Under SET CONSTRAINTS purchase_month_pending_fold IMMEDIATE the fold runs after each statement,
-- as the totals did before. (ALL IMMEDIATE refuses any posting: postings precede their entry.)
-- The table is UNLOGGED: it is empty outside a running transaction, and a crash ends those.
-- Only the two functions below (SECURITY DEFINER) touch it; no role has a grant on it.

SET LOCAL search_path = relief, pg_catalog, pg_temp;

CREATE UNLOGGED TABLE purchase_month_pending (
    xact            bigint NOT NULL,
    program_id      integer NOT NULL,
    enterprise_id   integer NOT NULL,
    period          integer NOT NULL,
    tenant_id       integer NOT NULL,
    eligible_fen    bigint NOT NULL,
    ineligible_fen  bigint NOT NULL,
    -- The transaction's first pending row: its insert queues the fold.
    fold            boolean NOT NULL
);
CREATE INDEX purchase_month_pending_by_xact ON purchase_month_pending (xact);
REVOKE ALL ON purchase_month_pending FROM PUBLIC;

-- The statement trigger on purchase lines (0010, 0014, 0017): the same sums, appended.
CREATE OR REPLACE FUNCTION add_purchase_month_totals() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog, pg_temp SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    v_xact bigint := txid_current();
    v_first boolean;
BEGIN
    v_first := NOT EXISTS (SELECT 1 FROM purchase_month_pending WHERE xact = v_xact);
    INSERT INTO purchase_month_pending (xact, program_id, enterprise_id, period, tenant_id, eligible_fen, ineligible_fen, fold)
    SELECT v_xact, s.program_id, s.enterprise_id, s.period, s.tenant_id, s.eligible_fen, s.ineligible_fen,
           v_first AND row_number() OVER () = 1
    FROM (SELECT p.program_id, p.enterprise_id,
                 (extract(year FROM p.purchase_date)::integer * 100 + extract(month FROM p.purchase_date)::integer) AS period,
                 p.tenant_id,
                 coalesce(sum(n.amount_fen) FILTER (WHERE n.eligible), 0) AS eligible_fen,
                 coalesce(sum(n.amount_fen) FILTER (WHERE NOT n.eligible), 0) AS ineligible_fen
          FROM new_lines n
          CROSS JOIN LATERAL (SELECT x.program_id, x.enterprise_id, x.purchase_date, x.tenant_id
                              FROM purchases x WHERE x.id = n.purchase_id LIMIT 1) p
          GROUP BY 1, 2, 3, 4) s;
    RETURN NULL;
END $$;

-- At commit: the transaction's pending sums into the totals, each row once, in one lock order
-- for every writer (no deadlock between two imports committing at once).
CREATE FUNCTION fold_purchase_month_totals() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog, pg_temp SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    INSERT INTO purchase_month_totals AS t (program_id, enterprise_id, period, tenant_id, eligible_fen, ineligible_fen)
    SELECT q.program_id, q.enterprise_id, q.period, q.tenant_id, sum(q.eligible_fen), sum(q.ineligible_fen)
    FROM purchase_month_pending q WHERE q.xact = NEW.xact
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3
    ON CONFLICT (program_id, enterprise_id, period) DO UPDATE
        SET eligible_fen = t.eligible_fen + EXCLUDED.eligible_fen, ineligible_fen = t.ineligible_fen + EXCLUDED.ineligible_fen;
    DELETE FROM purchase_month_pending WHERE xact = NEW.xact;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION fold_purchase_month_totals() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER purchase_month_pending_fold AFTER INSERT ON purchase_month_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.fold) EXECUTE FUNCTION fold_purchase_month_totals();
