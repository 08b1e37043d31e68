-- 0009: the commit-time checks see every row, whoever commits. check_entry_at_commit looks for the
-- previous voucher number and chain position of the book; under row-level security an enterprise
-- clerk sees only its own enterprise's entries, so when the previous voucher of the month belonged
-- to another enterprise, the clerk's own, correct purchase was refused as leaving a gap (RL023).
-- Running the check with its owner's rights (SECURITY DEFINER; the owner owns the tables and so is
-- not subject to their policies) makes it judge the whole book. The clerk still reads only its own
-- rows: nothing here returns data to the caller, the function raises or returns NULL.

SET LOCAL search_path = relief, pg_catalog;

ALTER FUNCTION check_entry_at_commit() SECURITY DEFINER;
ALTER FUNCTION check_postings_with_entry() SECURITY DEFINER;
