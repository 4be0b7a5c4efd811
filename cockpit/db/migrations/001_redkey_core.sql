-- RedKey's own schema, its roles, the client registry and client scoping.
--
-- Scoping: a session is scoped to one client by the setting redkey.client_id (set_config), or, through
-- Supabase's REST API (PostgREST), by the client_id claim of its JWT (request.jwt.claims). Every stable
-- view filters on redkey.current_client_id(); with no scope it returns NULL and the views show nothing,
-- superuser or not (the filter is in the view, not in RLS, so BYPASSRLS does not bypass it).

CREATE SCHEMA IF NOT EXISTS redkey;

-- Roles are cluster-wide, so create them only if missing (several databases share them).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_readonly') THEN
        CREATE ROLE redkey_readonly NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_operational') THEN
        CREATE ROLE redkey_operational NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_strategic') THEN
        CREATE ROLE redkey_strategic NOLOGIN;
    END IF;
END
$$;

COMMENT ON ROLE redkey_readonly IS 'RedKey: browse the stable views and redkey tables; writes nothing.';
COMMENT ON ROLE redkey_operational IS 'RedKey: arlo''s operational loops; may write operational (agent-owned) fields only.';
COMMENT ON ROLE redkey_strategic IS 'RedKey: Justin''s strategic calls; may write strategic (human-owned) fields only.';

-- The login role must be able to SET ROLE to each (a no-op for a superuser, needed on Supabase).
DO $$
BEGIN
    EXECUTE format('GRANT redkey_readonly, redkey_operational, redkey_strategic TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not grant redkey roles to %: %', current_user, SQLERRM;
END
$$;

GRANT USAGE ON SCHEMA redkey TO redkey_readonly, redkey_operational, redkey_strategic;
GRANT USAGE ON SCHEMA public TO redkey_readonly, redkey_operational, redkey_strategic;

CREATE TABLE IF NOT EXISTS redkey.clients (
    client_id   text PRIMARY KEY CHECK (client_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.clients IS 'The clients RedKey serves; each Twenty workspace belongs to one.';

CREATE TABLE IF NOT EXISTS redkey.workspaces (
    schema_name  text PRIMARY KEY,
    client_id    text NOT NULL REFERENCES redkey.clients (client_id),
    label        text,
    is_fixture   boolean NOT NULL DEFAULT false,
    added_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.workspaces IS
    'Twenty workspace schema -> client_id. The stable views have one branch per row, regenerated when it changes.';
CREATE INDEX IF NOT EXISTS workspaces_client_idx ON redkey.workspaces (client_id);

-- The scope of the current session: the redkey.client_id setting, else the JWT claim, else NULL.
CREATE OR REPLACE FUNCTION redkey.current_client_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        nullif(current_setting('redkey.client_id', true), ''),
        nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'client_id', '')
    )
$$;
COMMENT ON FUNCTION redkey.current_client_id() IS
    'Client scope of this session: set_config(''redkey.client_id'', ...) or the JWT client_id claim; NULL = sees nothing.';

-- Per-client stage settings the enum cannot hold: which stages are closed, colours, label overrides.
CREATE TABLE IF NOT EXISTS redkey.stage_settings (
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    stage_id    text NOT NULL,
    label       text,
    color       text,
    is_closed   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (client_id, stage_id)
);

GRANT SELECT ON redkey.clients, redkey.workspaces, redkey.stage_settings
    TO redkey_readonly, redkey_operational, redkey_strategic;
GRANT EXECUTE ON FUNCTION redkey.current_client_id() TO PUBLIC;
