-- The pipeline's "stalest first" order, kept indexable: coalesce(last_activity_at, created_at) spans
-- Twenty's opportunity table (stage, "createdAt") and RedKey's deal_ext (last_activity_at), so no index
-- on either table can walk a stage's deals in that order (ranking every deal: 6 s at 1M deals).
--
-- redkey.deal_stale_keys holds one row per live deal ("deletedAt" IS NULL) of each tracked workspace:
-- its stage, "createdAt" and the client's deal_ext.last_activity_at, indexed on (workspace, stage,
-- coalesce(last_activity_at, created_at), id). Statement-level triggers keep it exact in the writer's
-- transaction: per workspace on its opportunity table (insert, update, delete, truncate) and once on
-- redkey.deal_ext (a change of last_activity_at updates the rows of the client's workspaces). A
-- workspace's rows are read only while its triggers and the columns they copy are as they were when
-- it was counted (redkey.deal_stale_keys_ready); otherwise the board ranks that workspace's deals.

CREATE TABLE redkey.deal_stale_keys (
    workspace        text NOT NULL,
    id               uuid NOT NULL,
    stage            text,
    created_at       timestamptz,
    last_activity_at timestamptz,
    PRIMARY KEY (workspace, id)
);
CREATE INDEX deal_stale_keys_order_idx ON redkey.deal_stale_keys
    (workspace, stage, (coalesce(last_activity_at, created_at)), id);
COMMENT ON TABLE redkey.deal_stale_keys IS
    'Each live deal''s stage, creation time and last activity (Twenty''s opportunity and RedKey''s deal_ext), kept by triggers: the pipeline''s stalest-first order walks its index.';

CREATE TABLE redkey.deal_stale_keys_basis (
    workspace  text PRIMARY KEY,
    basis      text NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.deal_stale_keys_basis IS
    'What each workspace''s deal_stale_keys were copied against (column types, trigger rows): they are read only while it still holds.';

REVOKE ALL ON TABLE redkey.deal_stale_keys, redkey.deal_stale_keys_basis FROM PUBLIC;

CREATE FUNCTION redkey.deal_stale_keys_basis_now(p_schema text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT string_agg(a.attname || ':' || a.atttypid::text, ',' ORDER BY a.attname)
           -- a trigger disabled and enabled again rewrites its pg_trigger row: a new xmin
           || '|' || coalesce((SELECT string_agg(t.tgname || '@' || t.xmin::text, ',' ORDER BY t.tgname)
                               FROM pg_trigger t
                               WHERE t.tgrelid IN (to_regclass(format('%I.opportunity', p_schema)),
                                                   'redkey.deal_ext'::regclass)
                                 AND t.tgname LIKE 'redkey\_stale\_keys\_%'), '')
    FROM pg_attribute a
    WHERE a.attrelid = to_regclass(format('%I.opportunity', p_schema))
      AND a.attname IN ('id', 'stage', 'createdAt', 'deletedAt') AND NOT a.attisdropped
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stale_keys_basis_now(text) FROM PUBLIC;

-- On a workspace's opportunity table: TG_OP says which transition tables exist (new_rows, old_rows).
CREATE FUNCTION redkey.deal_stale_keys_track() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_ws text := TG_TABLE_SCHEMA;
    v_client text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM redkey.deal_stale_keys WHERE workspace = v_ws;
        RETURN NULL;
    END IF;
    -- (each transition table is named only where it exists: a statement is planned when it runs)
    IF TG_OP = 'DELETE' THEN
        DELETE FROM redkey.deal_stale_keys k USING old_rows o WHERE k.workspace = v_ws AND k.id = o.id;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        -- soft-deleted or re-keyed rows
        DELETE FROM redkey.deal_stale_keys k USING old_rows o
        WHERE k.workspace = v_ws AND k.id = o.id
          AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n."deletedAt" IS NULL);
    END IF;
    BEGIN
        SELECT w.client_id INTO v_client FROM redkey.workspaces w WHERE w.schema_name = v_ws;
        -- last_activity_at is kept by deal_ext's trigger once the row exists: only a new row copies it
        INSERT INTO redkey.deal_stale_keys AS k (workspace, id, stage, created_at, last_activity_at)
        SELECT v_ws, n.id, n.stage::text, n."createdAt", x.last_activity_at
        FROM new_rows n
        LEFT JOIN redkey.deal_ext x ON x.client_id = v_client AND x.record_id = n.id
        WHERE n."deletedAt" IS NULL
        ON CONFLICT (workspace, id) DO UPDATE SET stage = EXCLUDED.stage, created_at = EXCLUDED.created_at
        WHERE (k.stage, k.created_at) IS DISTINCT FROM (EXCLUDED.stage, EXCLUDED.created_at);
    END;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stale_keys_track() FROM PUBLIC;

-- On redkey.deal_ext: last_activity_at follows into the rows of the client's workspaces.
CREATE FUNCTION redkey.deal_stale_keys_activity() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE redkey.deal_stale_keys SET last_activity_at = NULL WHERE last_activity_at IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE redkey.deal_stale_keys k SET last_activity_at = NULL
        FROM old_rows o JOIN redkey.workspaces w ON w.client_id = o.client_id
        WHERE k.workspace = w.schema_name AND k.id = o.record_id AND k.last_activity_at IS NOT NULL;
    ELSE
        UPDATE redkey.deal_stale_keys k SET last_activity_at = n.last_activity_at
        FROM new_rows n JOIN redkey.workspaces w ON w.client_id = n.client_id
        WHERE k.workspace = w.schema_name AND k.id = n.record_id
          AND k.last_activity_at IS DISTINCT FROM n.last_activity_at;
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stale_keys_activity() FROM PUBLIC;

CREATE TRIGGER redkey_stale_keys_insert AFTER INSERT ON redkey.deal_ext REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_activity();
CREATE TRIGGER redkey_stale_keys_update AFTER UPDATE ON redkey.deal_ext REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_activity();
CREATE TRIGGER redkey_stale_keys_delete AFTER DELETE ON redkey.deal_ext REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_activity();
CREATE TRIGGER redkey_stale_keys_truncate AFTER TRUNCATE ON redkey.deal_ext
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_activity();
ALTER TABLE redkey.deal_ext ENABLE ALWAYS TRIGGER redkey_stale_keys_insert,
    ENABLE ALWAYS TRIGGER redkey_stale_keys_update, ENABLE ALWAYS TRIGGER redkey_stale_keys_delete,
    ENABLE ALWAYS TRIGGER redkey_stale_keys_truncate;

-- Whether a workspace's rows can be read: the eight triggers present and enabled, the basis unchanged.
CREATE FUNCTION redkey.deal_stale_keys_ready(p_schema text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT (SELECT count(*) FROM pg_trigger t
            WHERE t.tgrelid = to_regclass(format('%I.opportunity', p_schema))
              AND t.tgname IN ('redkey_stale_keys_insert', 'redkey_stale_keys_update',
                               'redkey_stale_keys_delete', 'redkey_stale_keys_truncate')
              AND t.tgfoid = 'redkey.deal_stale_keys_track()'::regprocedure
              AND t.tgenabled IN ('O', 'A')) = 4
       AND (SELECT count(*) FROM pg_trigger t
            WHERE t.tgrelid = 'redkey.deal_ext'::regclass
              AND t.tgname IN ('redkey_stale_keys_insert', 'redkey_stale_keys_update',
                               'redkey_stale_keys_delete', 'redkey_stale_keys_truncate')
              AND t.tgfoid = 'redkey.deal_stale_keys_activity()'::regprocedure
              AND t.tgenabled IN ('O', 'A')) = 4
       AND EXISTS (SELECT 1 FROM redkey.deal_stale_keys_basis b
                   WHERE b.workspace = p_schema AND b.basis = redkey.deal_stale_keys_basis_now(p_schema))
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stale_keys_ready(text) FROM PUBLIC;

-- (Re)start keeping a workspace's rows: its triggers created and the rows copied afresh under locks
-- that keep writers of both tables out between the copy and the triggers. A no-op while they are ready.
CREATE FUNCTION redkey.track_deal_stale_keys(p_schema text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_table text := format('%I.opportunity', p_schema);
    v_client text;
BEGIN
    IF to_regclass(v_table) IS NULL OR redkey.deal_stale_keys_ready(p_schema) THEN
        RETURN false;
    END IF;
    SELECT w.client_id INTO v_client FROM redkey.workspaces w WHERE w.schema_name = p_schema;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    LOCK TABLE redkey.deal_ext IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format('DROP TRIGGER IF EXISTS redkey_stale_keys_insert ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stale_keys_update ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stale_keys_delete ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stale_keys_truncate ON %1$s', v_table);
    EXECUTE format('CREATE TRIGGER redkey_stale_keys_insert AFTER INSERT ON %1$s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_track();'
                   'CREATE TRIGGER redkey_stale_keys_update AFTER UPDATE ON %1$s '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_track();'
                   'CREATE TRIGGER redkey_stale_keys_delete AFTER DELETE ON %1$s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_track();'
                   'CREATE TRIGGER redkey_stale_keys_truncate AFTER TRUNCATE ON %1$s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stale_keys_track();'
                   'ALTER TABLE %1$s ENABLE ALWAYS TRIGGER redkey_stale_keys_insert,'
                   ' ENABLE ALWAYS TRIGGER redkey_stale_keys_update,'
                   ' ENABLE ALWAYS TRIGGER redkey_stale_keys_delete,'
                   ' ENABLE ALWAYS TRIGGER redkey_stale_keys_truncate', v_table);
    DELETE FROM redkey.deal_stale_keys WHERE workspace = p_schema;
    EXECUTE format('INSERT INTO redkey.deal_stale_keys (workspace, id, stage, created_at, last_activity_at) '
                   'SELECT %L, p.id, p.stage::text, p."createdAt", x.last_activity_at FROM %s p '
                   'LEFT JOIN redkey.deal_ext x ON x.client_id = %L AND x.record_id = p.id '
                   'WHERE p."deletedAt" IS NULL', p_schema, v_table, v_client);
    INSERT INTO redkey.deal_stale_keys_basis (workspace, basis)
    VALUES (p_schema, redkey.deal_stale_keys_basis_now(p_schema))
    ON CONFLICT (workspace) DO UPDATE SET basis = EXCLUDED.basis, counted_at = now();
    RETURN true;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.track_deal_stale_keys(text) FROM PUBLIC;

-- Stop keeping them (a workspace unregistered): its triggers dropped, its rows forgotten.
CREATE FUNCTION redkey.untrack_deal_stale_keys(p_schema text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_table text := format('%I.opportunity', p_schema);
BEGIN
    IF to_regclass(v_table) IS NOT NULL THEN
        EXECUTE format('DROP TRIGGER IF EXISTS redkey_stale_keys_insert ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stale_keys_update ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stale_keys_delete ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stale_keys_truncate ON %1$s', v_table);
    END IF;
    DELETE FROM redkey.deal_stale_keys WHERE workspace = p_schema;
    DELETE FROM redkey.deal_stale_keys_basis WHERE workspace = p_schema;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.untrack_deal_stale_keys(text) FROM PUBLIC;
