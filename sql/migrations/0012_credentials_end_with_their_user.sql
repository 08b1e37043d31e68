-- 0012: credentials never outlive their user, and login throttling that a burst cannot outrun.
--
-- * Disabling a user, changing its role, enterprise or password revokes its API tokens and deletes
--   its browser sessions, here in PostgreSQL, whoever runs the UPDATE (the app, `relief user
--   disable`, or someone with psql). Before this, a disabled user's tokens were only refused by the
--   lookups' join on active users: enabling the user again (disabled_at = NULL) brought every old
--   token and session back to life, including the leaked one that was the reason to disable it.
-- * No token and no session can be created for a disabled user: the insert waits for a concurrent
--   disable (FOR SHARE on the user row) and then sees it.
-- * Login attempts are written before they are counted and marked succeeded afterwards (the app
--   needs UPDATE of `succeeded`), and are counted per remote address too (index below).

SET LOCAL search_path = relief, pg_catalog;

CREATE FUNCTION end_user_credentials() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
BEGIN
    UPDATE api_tokens SET revoked_at = now() WHERE user_id = NEW.id AND revoked_at IS NULL;
    DELETE FROM sessions WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION end_user_credentials() FROM PUBLIC;

CREATE TRIGGER users_end_credentials AFTER UPDATE OF disabled_at, role, enterprise_id, password_hash ON users
    FOR EACH ROW
    WHEN ((NEW.disabled_at IS NOT NULL AND OLD.disabled_at IS NULL)
          OR NEW.role IS DISTINCT FROM OLD.role
          OR NEW.enterprise_id IS DISTINCT FROM OLD.enterprise_id
          OR NEW.password_hash IS DISTINCT FROM OLD.password_hash)
    EXECUTE FUNCTION end_user_credentials();

CREATE FUNCTION check_credential_user_active() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
BEGIN
    PERFORM 1 FROM users WHERE id = NEW.user_id AND disabled_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL070',
            MESSAGE = format('user %s is disabled: no %s may be issued to it', NEW.user_id, TG_TABLE_NAME);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION check_credential_user_active() FROM PUBLIC;

CREATE TRIGGER api_tokens_user_active BEFORE INSERT ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION check_credential_user_active();
CREATE TRIGGER sessions_user_active BEFORE INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION check_credential_user_active();

GRANT UPDATE (succeeded) ON login_attempts TO relief_app;
CREATE INDEX login_attempts_by_remote ON login_attempts (remote, at);
