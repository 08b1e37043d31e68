-- 0006: browser sessions of the web app. The cookie holds a random value; only its SHA-256 is
-- stored, so a copy of this table signs nobody in. Each session carries the CSRF token that its
-- pages embed in their forms. A session never outlives its user (the lookup joins active users).

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE sessions (
    id_hash     text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    user_id     integer NOT NULL REFERENCES users,
    csrf_token  text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Only the application role signs in and out; clerks and auditors never read sessions.
GRANT SELECT, INSERT, DELETE ON sessions TO relief_app;
