-- Client-bound logins: database logins held to one client by the database itself. For such a login
-- (a member of redkey_client_login, created by `cockpit client login CLIENT`) the scope comes from
-- redkey.client_logins, keyed by session_user, whatever the session sets in redkey.client_id or a JWT
-- claim. A login that is a member but has no row sees nothing. SET ROLE does not change session_user,
-- and only a superuser can SET SESSION AUTHORIZATION, so the binding holds for the whole session.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_client_login') THEN
        CREATE ROLE redkey_client_login NOLOGIN;
    END IF;
    -- Granted to nobody. A superuser counts as a member of every role, this one included, which is how
    -- current_client_id() tells a superuser (never bound) from a bound login.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_superuser_probe') THEN
        CREATE ROLE redkey_superuser_probe NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE redkey_client_login IS 'RedKey: marks client-bound logins; their scope comes from redkey.client_logins.';
COMMENT ON ROLE redkey_superuser_probe IS 'RedKey: granted to nobody; membership means superuser.';

CREATE TABLE IF NOT EXISTS redkey.client_logins (
    login       text PRIMARY KEY,
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    powers      text[] NOT NULL CHECK (powers <@ ARRAY['readonly', 'operational', 'strategic']::text[]),
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.client_logins IS 'Client-bound database logins: login -> the one client it may see.';

-- The bound client of this session's login (NULL when it has none: sees nothing).
CREATE OR REPLACE FUNCTION redkey.login_client_id() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_client text;
BEGIN
    SELECT l.client_id INTO v_client FROM redkey.client_logins l WHERE l.login = session_user;
    RETURN v_client;
END
$$;
GRANT EXECUTE ON FUNCTION redkey.login_client_id() TO PUBLIC;

-- USAGE (privileges through inheritance), not MEMBER: on PostgreSQL 16+ the creator of a role is a
-- member of it without inheriting, and the owner must not count as bound. A session that is not a
-- bound login pays two cached role lookups and no table read.
CREATE OR REPLACE FUNCTION redkey.current_client_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN pg_has_role(session_user, 'redkey_client_login', 'USAGE')
             AND NOT pg_has_role(session_user, 'redkey_superuser_probe', 'USAGE')
        THEN redkey.login_client_id()
        ELSE coalesce(
            nullif(current_setting('redkey.client_id', true), ''),
            nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'client_id', ''))
    END
$$;
COMMENT ON FUNCTION redkey.current_client_id() IS
    'Client scope of this session: a client-bound login''s own client; else set_config(''redkey.client_id'', ...) '
    'or the JWT client_id claim; NULL = sees nothing.';
