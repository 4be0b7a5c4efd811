-- Per-client schemas: for each client with a workspace, Layer 2's generator also creates a schema
-- (redkey.client_schema(client_id)) holding the same stable views and functions as public, built
-- over that client's workspaces only. The store puts it first on its search_path per transaction, so
-- a client's queries plan one branch instead of one per registered workspace; public.crm_* stays the
-- contract for every other reader.
--
-- Reaching a per-client schema needs USAGE on it, which only the store's own session roles hold
-- (redkey_cockpit_*: the field-owning roles plus that). Client-bound logins and Data API callers are
-- members of the field-owning roles at most, so for them a per-client schema on their search_path is
-- skipped and they read public.crm_*.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_cockpit_readonly') THEN
        CREATE ROLE redkey_cockpit_readonly NOLOGIN INHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_cockpit_operational') THEN
        CREATE ROLE redkey_cockpit_operational NOLOGIN INHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_cockpit_strategic') THEN
        CREATE ROLE redkey_cockpit_strategic NOLOGIN INHERIT;
    END IF;
END
$$;
COMMENT ON ROLE redkey_cockpit_readonly IS 'RedKey: the store''s read-only sessions (redkey_readonly plus the per-client schemas).';
COMMENT ON ROLE redkey_cockpit_operational IS 'RedKey: the store''s operational sessions (redkey_operational plus the per-client schemas).';
COMMENT ON ROLE redkey_cockpit_strategic IS 'RedKey: the store''s strategic sessions (redkey_strategic plus the per-client schemas).';

GRANT redkey_readonly TO redkey_cockpit_readonly;
GRANT redkey_operational TO redkey_cockpit_operational;
GRANT redkey_strategic TO redkey_cockpit_strategic;

DO $$
BEGIN
    EXECUTE format('GRANT redkey_cockpit_readonly, redkey_cockpit_operational, redkey_cockpit_strategic TO %I',
                   current_user);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not grant redkey_cockpit roles to %: %', current_user, SQLERRM;
END
$$;

-- The schema of a client's single-branch views: client_<id> ('-' as '_'); an id that would not fit an
-- identifier, or that was changed to fit, gets a hash suffix so two clients never share a schema.
CREATE OR REPLACE FUNCTION redkey.client_schema(p_client text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_client ~ '^[a-z0-9_]{1,56}$' THEN 'client_' || p_client
                ELSE 'client_' || left(regexp_replace(lower(p_client), '[^a-z0-9_]', '_', 'g'), 47) || '_'
                     || left(encode(sha256(convert_to(p_client, 'UTF8')), 'hex'), 8) END
$$;
GRANT EXECUTE ON FUNCTION redkey.client_schema(text) TO PUBLIC;

-- What the generator made per client, and the fingerprint of its inputs (generator source, workspace
-- shapes): a client's schema is regenerated only when that changes.
CREATE TABLE IF NOT EXISTS redkey.client_schemas (
    client_id     text PRIMARY KEY,
    schema_name   text NOT NULL UNIQUE,
    sql_sha256    text NOT NULL,
    generated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.client_schemas IS 'Per-client schemas of single-branch Layer 2 views, generated from redkey.workspaces.';
REVOKE ALL ON redkey.client_schemas FROM PUBLIC;
