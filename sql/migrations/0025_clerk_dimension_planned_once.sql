-- 0025: the clerk's enterprise dimension, planned once per session instead of on every call.
--
-- acting_enterprise_dimension() (0005) is a SQL-language function with a SET clause, so
-- PostgreSQL 15 cannot inline it and parses and plans its one query on every call. The clerk
-- check on postings (check_clerk_postings, 0018) calls it once per statement, and the row-level
-- security policies on postings and entries once per query: each call took 0.100 ms of a clerk's
-- group of web purchases (pg_stat_user_functions over 924 groups of 16, docs/BENCHMARKS.md,
-- session 16), for one index probe. As PL/pgSQL its plan is cached per session, as 0018 did for
-- invoices_in_use. Same result: the dimension of the acting enterprise, or NULL. Temporary
-- tables are searched last, as 0021 set for every function.

SET LOCAL search_path = relief, pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION acting_enterprise_dimension() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = relief, pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT dimension_id FROM enterprises WHERE id = acting_enterprise());
END
$$;
