-- 0017: the postings reference check (RL033, 0016) distinct per column.
--
-- 0016 turned every posting into seven (kind, id) rows and sorted them together by a text key
-- before probing each distinct one: in a 40,000-line import that sort was 2.1 s of PostgreSQL's
-- 5.2 s (pg_stat_statements, docs/BENCHMARKS.md). Each column is now reduced to its distinct
-- integer ids on its own, the kind a constant beside them; the probes are the same primary-key
-- lookups as before, and the rule is unchanged: the account belongs to the posting's tenant, each
-- dimension column names a value of its own kind and tenant.

SET LOCAL search_path = relief, pg_catalog;

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
    SELECT x.kind, x.id INTO bad
      FROM (SELECT 'account'::text AS kind, r.id
              FROM (SELECT DISTINCT n.account_id AS id, n.tenant_id FROM new_postings n) r
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.id AND a.tenant_id = r.tenant_id)
            UNION ALL
            SELECT r.kind, r.id
              FROM (SELECT 'enterprise'::text AS kind, d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.enterprise_id AS id, n.tenant_id FROM new_postings n WHERE n.enterprise_id IS NOT NULL) d
                    UNION ALL
                    SELECT 'supplier', d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.supplier_id AS id, n.tenant_id FROM new_postings n WHERE n.supplier_id IS NOT NULL) d
                    UNION ALL
                    SELECT 'township', d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.township_id AS id, n.tenant_id FROM new_postings n WHERE n.township_id IS NOT NULL) d
                    UNION ALL
                    SELECT 'category', d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.category_id AS id, n.tenant_id FROM new_postings n WHERE n.category_id IS NOT NULL) d
                    UNION ALL
                    SELECT 'channel', d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.channel_id AS id, n.tenant_id FROM new_postings n WHERE n.channel_id IS NOT NULL) d
                    UNION ALL
                    SELECT 'program', d.id, d.tenant_id
                      FROM (SELECT DISTINCT n.program_id AS id, n.tenant_id FROM new_postings n WHERE n.program_id IS NOT NULL) d) r
             WHERE NOT EXISTS (SELECT 1 FROM dimension_values v
                                WHERE v.id = r.id AND v.kind = r.kind AND v.tenant_id = r.tenant_id)) x
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL033',
            MESSAGE = format('postings name %s %s, which does not exist for their tenant', bad.kind, bad.id),
            HINT = 'accounts and dimension values are resolved from their codes by relief.post_entries';
    END IF;
    RETURN NULL;
END
$$;
