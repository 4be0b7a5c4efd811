-- redkey.current_client_id() gates every view. Its bound-login branch calls redkey.login_client_id(),
-- which a caller without USAGE on schema redkey (Supabase's anon/authenticated after the Data API
-- lock-down) cannot even name: reading a view then failed with "permission denied for schema redkey"
-- instead of seeing its client (or nothing). Running it as its owner keeps the lock-down and the scope.
CREATE OR REPLACE FUNCTION redkey.current_client_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN pg_has_role(session_user, 'redkey_client_login', 'USAGE')
             AND NOT pg_has_role(session_user, 'redkey_superuser_probe', 'USAGE')
        THEN redkey.login_client_id()
        ELSE coalesce(
            nullif(current_setting('redkey.client_id', true), ''),
            nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'client_id', ''))
    END
$$;
