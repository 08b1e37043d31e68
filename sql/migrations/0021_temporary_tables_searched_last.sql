-- 0021: every function of the books searches the session's temporary tables last, not first.
--
-- A function's `SET search_path = relief, pg_catalog` does not leave pg_temp out: PostgreSQL
-- searches the session's temporary schema FIRST for tables whenever the path does not name it
-- ("Writing SECURITY DEFINER Functions Safely", PostgreSQL manual). So a session that could run
-- SQL, as any role with the TEMPORARY privilege (PUBLIC has it by default), could create a
-- temporary table called books, accounts or entries, and post_entries, the commit-time checks
-- and the clerk check would have read it instead of the books: a closed month read from a fake
-- books row, the codes of a fake chart. Naming pg_temp last makes every unqualified table of
-- these functions the books' own. Functions are never looked up in pg_temp, so only tables and
-- types were at stake.
--
-- Every function of the schema that sets a search_path gets the same one, with pg_temp last; the
-- other settings (planner switches, plan_cache_mode, jit) are kept. A test checks the catalog,
-- so that a later CREATE OR REPLACE cannot bring the old path back unnoticed.

SET LOCAL search_path = relief, pg_catalog, pg_temp;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'relief'::regnamespace
           AND EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c(setting) WHERE c.setting LIKE 'search\_path=%')
         ORDER BY p.oid
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = relief, pg_catalog, pg_temp', f);
    END LOOP;
END
$$;
