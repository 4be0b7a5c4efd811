-- The Data API lock-down can be limited to some of the per-client schemas:
-- redkey.lock_down_data_api(only_schemas) covers the redkey schema, public's crm_* objects and the
-- named client schemas (NULL: every schema in redkey.client_schemas, which is what
-- redkey.lock_down_data_api() does). A Layer 2 generation that rebuilt one client's schema locks down
-- that schema, not the two hundred it left untouched. The checks on ACLs are written inline
-- (aclexplode in the query, column ACLs in one uncorrelated scan) rather than through
-- redkey.acl_grants_to() per row, whose call with its own search_path made the full run cost
-- milliseconds per client schema.

CREATE OR REPLACE FUNCTION redkey.lock_down_data_api(only_schemas text[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$
DECLARE
    api_roles  text[] := ARRAY(SELECT rolname::text FROM pg_roles
                               WHERE rolname IN ('anon', 'authenticated') ORDER BY rolname);
    api_oids   oid[] := ARRAY(SELECT oid FROM pg_roles WHERE rolname IN ('anon', 'authenticated'));
    everyone   oid[];
    reader     oid := (SELECT oid FROM pg_roles WHERE rolname = 'authenticated');
    from_all   text;
    from_api   text;
    r          record;
    changed    integer := 0;
    targets    text[] := ARRAY(SELECT cs.schema_name FROM redkey.client_schemas cs
                               WHERE only_schemas IS NULL OR cs.schema_name = ANY (only_schemas));
BEGIN
    everyone := api_oids || 0::oid;  -- 0 is PUBLIC in an aclitem
    from_all := array_to_string('PUBLIC'::text || ARRAY(SELECT quote_ident(x) FROM unnest(api_roles) x), ', ');
    from_api := array_to_string(ARRAY(SELECT quote_ident(x) FROM unnest(api_roles) x), ', ');

    IF redkey.acl_grants_to((SELECT nspacl FROM pg_namespace WHERE nspname = 'redkey'), everyone) THEN
        EXECUTE format('REVOKE ALL ON SCHEMA redkey FROM %s', from_all);
        changed := changed + 1;
    END IF;

    FOR r IN
        SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND (n.nspname = 'redkey' OR (n.nspname = 'public' AND c.relname LIKE 'crm\_%'))
          AND (redkey.acl_grants_to(c.relacl, everyone,
                   CASE WHEN c.relkind = 'v' AND n.nspname = 'public' THEN reader END, 'SELECT')
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                          AND redkey.acl_grants_to(a.attacl, everyone)))
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                       CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name, from_all);
        changed := changed + 1;
    END LOOP;

    -- public crm_* functions: nothing for PUBLIC, anon or authenticated (NULL proacl = PUBLIC may execute).
    FOR r IN
        SELECT p.oid::regprocedure AS sig, p.prokind
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proname LIKE 'crm\_%' AND p.prokind IN ('f', 'p')
          AND (p.proacl IS NULL OR redkey.acl_grants_to(p.proacl, everyone))
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                       CASE WHEN r.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.sig, from_all);
        changed := changed + 1;
    END LOOP;

    -- redkey functions: what was granted to anon or authenticated by name.
    IF from_api <> '' THEN
        FOR r IN
            SELECT p.oid::regprocedure AS sig, p.prokind
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'redkey' AND p.prokind IN ('f', 'p')
              AND redkey.acl_grants_to(p.proacl, api_oids)
        LOOP
            EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                           CASE WHEN r.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.sig, from_api);
            changed := changed + 1;
        END LOOP;
    END IF;

    -- The per-client schemas (redkey.client_schemas): nothing at all for PUBLIC, anon or authenticated;
    -- only the store's session roles reach them.
    FOR r IN
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname = ANY (targets)
          AND EXISTS (SELECT 1 FROM aclexplode(n.nspacl) g WHERE g.grantee = ANY (everyone))
    LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', r.nspname, from_all);
        changed := changed + 1;
    END LOOP;
    FOR r IN
        SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND n.nspname = ANY (targets)
          AND (EXISTS (SELECT 1 FROM aclexplode(c.relacl) g WHERE g.grantee = ANY (everyone))
               OR c.oid IN (SELECT a.attrelid
                            FROM pg_attribute a
                            JOIN pg_class ac ON ac.oid = a.attrelid
                            JOIN pg_namespace an ON an.oid = ac.relnamespace
                            CROSS JOIN LATERAL aclexplode(a.attacl) g
                            WHERE an.nspname = ANY (targets) AND a.attnum > 0 AND a.attacl IS NOT NULL
                              AND g.grantee = ANY (everyone)))
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                       CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name, from_all);
        changed := changed + 1;
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS sig, p.prokind
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY (targets) AND p.prokind IN ('f', 'p')
          AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) g WHERE g.grantee = ANY (everyone)))
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %s',
                       CASE WHEN r.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.sig, from_all);
        changed := changed + 1;
    END LOOP;

    -- The one grant meant for REST: reads of the client-scoped crm_* views by signed-in callers.
    IF 'authenticated' = ANY (api_roles) THEN
        FOR r IN
            SELECT format('%I.%I', n.nspname, c.relname) AS name
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'v' AND n.nspname = 'public' AND c.relname LIKE 'crm\_%'
              AND NOT has_table_privilege('authenticated', c.oid, 'SELECT')
        LOOP
            EXECUTE format('GRANT SELECT ON TABLE %s TO authenticated', r.name);
            changed := changed + 1;
        END LOOP;
    END IF;
    RETURN changed;
END
$fn$;
COMMENT ON FUNCTION redkey.lock_down_data_api(text[]) IS
    'Revoke what PUBLIC, anon and authenticated hold on RedKey objects (client schemas: the named ones, NULL for all); grant SELECT on crm_* views to authenticated.';
REVOKE ALL ON FUNCTION redkey.lock_down_data_api(text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION redkey.lock_down_data_api() RETURNS integer
LANGUAGE sql SET search_path = pg_catalog AS $fn$
    SELECT redkey.lock_down_data_api(NULL::text[])
$fn$;
REVOKE ALL ON FUNCTION redkey.lock_down_data_api() FROM PUBLIC;

SELECT redkey.lock_down_data_api();
