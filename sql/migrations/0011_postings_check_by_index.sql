-- 0011: the "postings are written with their entry" check looks each entry up by its primary key.
-- 0001's check joined the statement's new postings to entries; inside one long transaction (a bulk
-- import posts hundreds of thousands of entries before it commits) the planner, working from the
-- statistics of a nearly empty table, chose a sequential scan of entries for every INSERT of
-- postings, so each chunk read every entry the import had written so far: quadratic. The full
-- benchmark's 1,000,000-line import spent most of its time there (perf: heap visibility checks and
-- xmin comparisons). The rule is unchanged: a posting may not be added to an entry written by an
-- earlier transaction (RL032). Still with its owner's rights (0009).

SET LOCAL search_path = relief, pg_catalog;

CREATE OR REPLACE FUNCTION check_postings_with_entry() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = relief, pg_catalog AS $$
DECLARE
    entry bigint;
    written xid;
BEGIN
    -- Bounded by the statement's own postings; each lookup is one primary-key probe.
    FOR entry IN SELECT DISTINCT n.entry_id FROM new_postings n LOOP
        SELECT e.xmin INTO written FROM entries e WHERE e.id = entry;
        IF FOUND AND written <> pg_current_xact_id()::xid THEN
            RAISE EXCEPTION USING ERRCODE = 'RL032',
                MESSAGE = format('postings cannot be added to entry %s after it was written', entry);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
