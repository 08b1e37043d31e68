-- 0005: who may do what. Users with roles, API tokens (stored hashed), login attempts for
-- throttling, the audit log, and the database side of roles: each request's transaction runs as
-- relief_app (finance, admin), relief_clerk (an enterprise clerk) or relief_auditor (read only),
-- with the acting user and enterprise in transaction settings; row-level security keeps a clerk
-- to its own enterprise's rows even if an application query forgets the filter.

SET LOCAL search_path = relief, pg_catalog;

DO $$
BEGIN
    BEGIN
        CREATE ROLE relief_clerk NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;

CREATE TABLE users (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       integer NOT NULL REFERENCES tenants,
    login           text NOT NULL CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name    text NOT NULL CHECK (display_name <> ''),
    role            text NOT NULL CHECK (role IN ('admin', 'finance_preparer', 'finance_approver', 'enterprise_clerk', 'auditor')),
    enterprise_id   integer REFERENCES enterprises,
    password_hash   text NOT NULL CHECK (password_hash LIKE '$2%'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    UNIQUE (tenant_id, login),
    CHECK ((role = 'enterprise_clerk') = (enterprise_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

CREATE TABLE login_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login       text NOT NULL,
    remote      text NOT NULL,
    succeeded   boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_attempts_recent ON login_attempts (login, at);

-- Who did what, when, from where. Append-only; auditors read it.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    remote      text NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- The acting enterprise of this transaction (NULL unless a clerk's).
CREATE FUNCTION acting_enterprise() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('relief.enterprise_id', true), '')::integer
$$;
CREATE FUNCTION acting_enterprise_dimension() RETURNS integer LANGUAGE sql STABLE SET search_path = relief, pg_catalog AS $$
    SELECT dimension_id FROM enterprises WHERE id = acting_enterprise()
$$;

-- Row-level security: the policies below apply to relief_clerk; the other roles see every row
-- (relief_app and relief_auditor through an unconditional policy). Owners bypass RLS.
ALTER TABLE enterprises ENABLE ROW LEVEL SECURITY;
ALTER TABLE enterprise_years ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchases ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchase_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE subsidy_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;

CREATE POLICY everything ON enterprises TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON enterprise_years TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON purchases TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON purchase_lines TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON subsidy_items TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON postings TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON entries TO relief_app, relief_auditor USING (true) WITH CHECK (true);
CREATE POLICY everything ON users TO relief_app, relief_auditor USING (true) WITH CHECK (true);

CREATE POLICY own_enterprise ON enterprises TO relief_clerk USING (id = acting_enterprise());
CREATE POLICY own_enterprise ON enterprise_years TO relief_clerk USING (enterprise_id = acting_enterprise());
CREATE POLICY own_enterprise ON purchases TO relief_clerk
    USING (enterprise_id = acting_enterprise()) WITH CHECK (enterprise_id = acting_enterprise());
CREATE POLICY own_enterprise ON purchase_lines TO relief_clerk
    USING (EXISTS (SELECT 1 FROM purchases p WHERE p.id = purchase_id AND p.enterprise_id = acting_enterprise()))
    WITH CHECK (EXISTS (SELECT 1 FROM purchases p WHERE p.id = purchase_id AND p.enterprise_id = acting_enterprise()));
CREATE POLICY own_enterprise ON subsidy_items TO relief_clerk USING (enterprise_id = acting_enterprise());
CREATE POLICY own_enterprise ON postings TO relief_clerk USING (enterprise_id = acting_enterprise_dimension());
CREATE POLICY own_enterprise ON entries TO relief_clerk
    USING (EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = id AND p.enterprise_id = acting_enterprise_dimension()));
CREATE POLICY own_user ON users TO relief_clerk USING (enterprise_id = acting_enterprise());

-- A clerk posts only memorandum purchase entries of its own enterprise, even through the posting
-- function (which runs with its owner's rights).
CREATE FUNCTION check_clerk_postings() RETURNS trigger LANGUAGE plpgsql SET search_path = relief, pg_catalog AS $$
DECLARE
    bad record;
BEGIN
    IF current_setting('role', true) IS DISTINCT FROM 'relief_clerk' THEN
        RETURN NULL;
    END IF;
    SELECT n.entry_id, a.code INTO bad
    FROM new_postings n JOIN accounts a ON a.id = n.account_id
    WHERE a.code NOT IN ('901', '902') OR n.enterprise_id IS DISTINCT FROM acting_enterprise_dimension()
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL060',
            MESSAGE = format('an enterprise clerk may post only its own purchases (account %s refused)', bad.code);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER postings_clerk_scope AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION check_clerk_postings();

-- Invoice uniqueness spans the whole program, but a clerk sees only its own purchases: this
-- function tells which of the given invoice numbers are in use, and by which purchase key.
CREATE FUNCTION invoices_in_use(p_program integer, p_invoices text[])
RETURNS TABLE (invoice_number text, purchase_key text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
    SELECT p.invoice_number, p.purchase_key FROM purchases p
    WHERE p.program_id = p_program AND p.invoice_number = ANY (p_invoices)
$$;
REVOKE ALL ON FUNCTION invoices_in_use(integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invoices_in_use(integer, text[]) TO relief_app, relief_clerk;

-- Grants. Auditors read everything and write nothing but their own audit trail.
GRANT USAGE ON SCHEMA relief TO relief_clerk;
GRANT SELECT ON tenants, books, accounts, dimension_values, organisations, suppliers, products, certifications, programs,
    subsidy_rules, subsidy_batches, enterprises, enterprise_years, purchases, purchase_lines, subsidy_items, postings, entries,
    users, schema_migrations TO relief_clerk;
GRANT INSERT ON purchases, purchase_lines, dimension_values, audit_log TO relief_clerk;
GRANT EXECUTE ON FUNCTION post_entries(text, jsonb, text) TO relief_clerk;
GRANT SELECT ON ALL TABLES IN SCHEMA relief TO relief_app, relief_auditor;
GRANT INSERT ON users, api_tokens, login_attempts, audit_log TO relief_app;
GRANT UPDATE (display_name, password_hash, disabled_at) ON users TO relief_app;
GRANT UPDATE (revoked_at) ON api_tokens TO relief_app;
GRANT INSERT ON audit_log TO relief_auditor;
REVOKE SELECT ON users, api_tokens, login_attempts FROM relief_auditor;
GRANT SELECT (id, tenant_id, login, display_name, role, enterprise_id, created_at, disabled_at) ON users TO relief_auditor;
-- Membership so the login role can switch to each acting role per transaction.
DO $$ BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT relief_clerk, relief_auditor TO %I', current_user);
    END IF;
EXCEPTION WHEN others THEN NULL;
END $$;
