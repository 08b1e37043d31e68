-- 0007: idempotency keys of the web API's writes. A write's result is stored in the same
-- transaction as the write, so a client that retries with the same Idempotency-Key gets the
-- stored answer (and nothing is written twice); the same key with a different request is refused.
-- A key belongs to the user who sent it: row-level security keeps each user to its own keys, so
-- no one can read another user's answers by guessing keys.

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE idempotency_keys (
    actor         text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
    request_hash  text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    status        smallint NOT NULL CHECK (status BETWEEN 200 AND 299),
    body          bytea NOT NULL,
    content_type  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_keys ON idempotency_keys TO relief_app, relief_clerk
    USING (actor = current_setting('relief.actor', true))
    WITH CHECK (actor = current_setting('relief.actor', true));

-- Append-only for the roles that write: no UPDATE or DELETE grants.
GRANT SELECT, INSERT ON idempotency_keys TO relief_app, relief_clerk;
GRANT SELECT ON idempotency_keys TO relief_auditor;
CREATE POLICY auditors_read ON idempotency_keys FOR SELECT TO relief_auditor USING (true);
