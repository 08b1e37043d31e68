-- 0019: the "postings are written before their entry" check probes entries once per entry of the
-- statement, whatever the planner thinks of the entries table.
--
-- 0016/0017 wrote it as a join of the statement's distinct entry ids to entries. On a book whose
-- statistics were taken while it was nearly empty (ANALYZE or autovacuum after a first few
-- entries), the planner put entries on the inside of a nested loop as a materialised scan of its
-- whole primary key, estimated at 3 rows, and compared every new entry id with every entry: inside
-- one long import each 2,048-entry chunk read every entry written so far. auto_explain on a
-- 40,000-line import into such a book: 394 ms per chunk, 3.9 s of the import's 6.7 s. A lateral
-- subquery with LIMIT cannot be turned inside out, so each distinct id is one primary-key probe
-- (0011 did the same with a loop). The rule is unchanged (RL032, same message and hint).

SET LOCAL search_path = relief, pg_catalog;

CREATE OR REPLACE FUNCTION check_postings_with_entry() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.id INTO bad
      FROM (SELECT DISTINCT n.entry_id FROM new_postings n) x
      CROSS JOIN LATERAL (SELECT e0.id FROM entries e0 WHERE e0.id = x.entry_id LIMIT 1) e
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
