-- 0018: what a clerk's purchase runs, planned once per session instead of on every call.
--
-- pg_stat_statements (track = all, track_planning) over 10 s of POST /api/v1/purchases at 16
-- connections (1,861 purchase groups of about 8, docs/BENCHMARKS.md):
--   * invoices_in_use took 0.207 ms per call, of which its one query took 0.041: a SQL-language
--     function that cannot be inlined (SECURITY DEFINER, SET) is parsed and planned on every call
--     in PostgreSQL 15 (95 µs of planning per call). As PL/pgSQL its plan is cached per session.
--   * the clerk check on postings (check_clerk_postings) took 0.157 ms per statement: it called
--     acting_enterprise_dimension(), another such SQL function, once per posting row, each call
--     planned again. It is now called once per statement.
--   * the row-level security policies on postings and entries call it once per row read, e.g.
--     each row of a clerk's 对账单. As a scalar subquery it is evaluated once per query (an
--     InitPlan) with the same result: the function is STABLE and reads only this transaction's
--     settings and the enterprises table.
-- No rule changes: the same refusals, with the same codes and messages.

SET LOCAL search_path = relief, pg_catalog;

CREATE OR REPLACE FUNCTION invoices_in_use(p_program integer, p_invoices text[])
RETURNS TABLE (invoice_number text, purchase_key text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = relief, pg_catalog SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN QUERY
    SELECT p.invoice_number, p.purchase_key
    FROM (SELECT DISTINCT i.invoice_number FROM unnest(p_invoices) AS i(invoice_number)) i
    JOIN purchases p ON p.program_id = p_program AND p.invoice_number = i.invoice_number;
END
$$;

CREATE OR REPLACE FUNCTION check_clerk_postings() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    bad record;
    v_dimension integer;
BEGIN
    IF current_setting('role', true) IS DISTINCT FROM 'relief_clerk' THEN
        RETURN NULL;
    END IF;
    v_dimension := acting_enterprise_dimension();
    SELECT n.entry_id, a.code INTO bad
    FROM new_postings n JOIN accounts a ON a.id = n.account_id
    WHERE a.code NOT IN ('901', '902') OR n.enterprise_id IS DISTINCT FROM v_dimension
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL060',
            MESSAGE = format('an enterprise clerk may post only its own purchases (account %s refused)', bad.code);
    END IF;
    RETURN NULL;
END
$$;

ALTER POLICY own_enterprise ON postings USING (enterprise_id = (SELECT acting_enterprise_dimension()));
ALTER POLICY own_enterprise ON entries
    USING (EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = id AND p.enterprise_id = (SELECT acting_enterprise_dimension())));
