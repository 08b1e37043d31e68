-- 0010: the 月报 reads kept monthly totals instead of summing every purchase line of the program.
-- purchase_month_totals holds, per program, enterprise and month, the eligible and ineligible
-- purchase amounts. Purchase lines are append-only, so the totals only ever grow: one statement-
-- level trigger adds each INSERT's lines, grouped, whoever inserts them (a clerk through the API,
-- the finance import, the demo). The 月报 then reads at most twelve rows per enterprise, whatever
-- the number of purchases. `relief verify` recomputes the totals from the lines (checked twice).

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE purchase_month_totals (
    program_id      integer NOT NULL REFERENCES programs,
    enterprise_id   integer NOT NULL REFERENCES enterprises,
    period          integer NOT NULL CHECK (period % 100 BETWEEN 1 AND 12),
    tenant_id       integer NOT NULL,
    eligible_fen    bigint NOT NULL CHECK (eligible_fen >= 0),
    ineligible_fen  bigint NOT NULL CHECK (ineligible_fen >= 0),
    PRIMARY KEY (program_id, enterprise_id, period)
);

INSERT INTO purchase_month_totals (program_id, enterprise_id, period, tenant_id, eligible_fen, ineligible_fen)
SELECT p.program_id, p.enterprise_id,
       (extract(year FROM p.purchase_date)::integer * 100 + extract(month FROM p.purchase_date)::integer), p.tenant_id,
       coalesce(sum(l.amount_fen) FILTER (WHERE l.eligible), 0), coalesce(sum(l.amount_fen) FILTER (WHERE NOT l.eligible), 0)
FROM purchases p JOIN purchase_lines l ON l.purchase_id = p.id
GROUP BY 1, 2, 3, 4;

-- Runs with its owner's rights: a clerk may not write the totals directly, and its row-level
-- security must not hide the purchase its own lines belong to from the grouping (it cannot: the
-- lines are its own), nor stop the upsert of its enterprise's row.
CREATE FUNCTION add_purchase_month_totals() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog AS $$
BEGIN
    INSERT INTO purchase_month_totals AS t (program_id, enterprise_id, period, tenant_id, eligible_fen, ineligible_fen)
    SELECT p.program_id, p.enterprise_id,
           (extract(year FROM p.purchase_date)::integer * 100 + extract(month FROM p.purchase_date)::integer), p.tenant_id,
           coalesce(sum(n.amount_fen) FILTER (WHERE n.eligible), 0), coalesce(sum(n.amount_fen) FILTER (WHERE NOT n.eligible), 0)
    FROM new_lines n JOIN purchases p ON p.id = n.purchase_id
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3  -- one lock order for every writer: no deadlock between two imports
    ON CONFLICT (program_id, enterprise_id, period) DO UPDATE
        SET eligible_fen = t.eligible_fen + EXCLUDED.eligible_fen, ineligible_fen = t.ineligible_fen + EXCLUDED.ineligible_fen;
    RETURN NULL;
END $$;

CREATE TRIGGER purchase_lines_month_totals AFTER INSERT ON purchase_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION add_purchase_month_totals();

REVOKE ALL ON FUNCTION add_purchase_month_totals() FROM PUBLIC;

-- Read like the purchases they sum: every row for finance and auditors, a clerk its own enterprise.
GRANT SELECT ON purchase_month_totals TO relief_app, relief_auditor, relief_clerk;
ALTER TABLE purchase_month_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY everything ON purchase_month_totals TO relief_app, relief_auditor USING (true);
CREATE POLICY own_enterprise ON purchase_month_totals TO relief_clerk USING (enterprise_id = acting_enterprise());
