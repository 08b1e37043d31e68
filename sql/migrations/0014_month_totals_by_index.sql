-- 0014: the 月报's kept totals (0010) look each new line's purchase up by its primary key.
--
-- The statement trigger joins the statement's new purchase lines to purchases. Its plan is made
-- when the first chunk of an import arrives, with purchases nearly empty, and PL/pgSQL keeps it
-- for the rest of the transaction: a hash join that reads every purchase the import has written
-- so far, once per chunk of 256. Inside a 1,000,000-line import (one transaction) that is
-- quadratic, the same shape as 0011; pg_stat_activity showed the lines' INSERT in a third of the
-- samples, perf showed hash-table building at the top of the profile.
--
-- The function now plans without sequential scans, hash or merge joins: a nested loop that probes
-- purchases_pkey once per new line, whatever the statistics say. The sums are unchanged, and
-- `relief verify` still recomputes them from the lines.

SET LOCAL search_path = relief, pg_catalog;

ALTER FUNCTION add_purchase_month_totals() SET enable_seqscan = off;
ALTER FUNCTION add_purchase_month_totals() SET enable_hashjoin = off;
ALTER FUNCTION add_purchase_month_totals() SET enable_mergejoin = off;
