-- Per-stage deal counts and amount sums of each Twenty workspace, kept exact by statement-level
-- triggers on its opportunity table (the pipeline's column headers read them instead of aggregating
-- every deal: 0.3-0.5 s at 1M deals).
--
-- redkey.deal_stage_totals holds signed deltas: the totals of a workspace's stage are the sums of its
-- rows. Each INSERT, UPDATE or DELETE statement on the table appends one row per stage it changed (in
-- the writer's transaction, so a reader's snapshot sees a write and its delta together or neither);
-- writers only insert, so concurrent writers never wait on each other or deadlock here. Every 64th
-- delta folds the workspace's rows into one per stage (rows another transaction is folding are
-- skipped, so folding never waits either). A deal counts while "deletedAt" IS NULL, as in crm_deals;
-- its amount is the view's round(micros / 1e6, 2). TRUNCATE empties the workspace's totals.
--
-- redkey.deal_stage_totals_basis records, per workspace, what the totals were counted against (the
-- types of the columns read, the stage enum's labels, the triggers' catalog rows).
-- redkey.workspace_stage_totals(schema) reads the deltas only while that basis still holds and the four
-- triggers are in place and enabled; after DDL the triggers cannot see (a column type change, an enum
-- label renamed, a trigger disabled and enabled again) it aggregates the table itself, exact but
-- slower, until redkey.track_deal_stage_totals(schema) (run by every Layer 2 generation of the
-- workspace's client) counts afresh.

CREATE TABLE redkey.deal_stage_totals (
    id        bigserial PRIMARY KEY,
    workspace text NOT NULL,
    stage     text NOT NULL,
    deals     bigint NOT NULL,
    amount    numeric NOT NULL
);
CREATE INDEX deal_stage_totals_workspace_idx ON redkey.deal_stage_totals (workspace);
COMMENT ON TABLE redkey.deal_stage_totals IS
    'Signed per-stage deltas of each workspace''s live deals (count, summed amount); a stage''s totals are the sum of its rows. Written by triggers on Twenty''s opportunity tables.';

CREATE TABLE redkey.deal_stage_totals_basis (
    workspace  text PRIMARY KEY,
    basis      text NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE redkey.deal_stage_totals_basis IS
    'What each workspace''s deal_stage_totals were counted against (column types, stage labels, trigger rows): the deltas are read only while it still holds.';

REVOKE ALL ON TABLE redkey.deal_stage_totals, redkey.deal_stage_totals_basis FROM PUBLIC;
REVOKE ALL ON SEQUENCE redkey.deal_stage_totals_id_seq FROM PUBLIC;

CREATE FUNCTION redkey.deal_stage_totals_basis_now(p_schema text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT string_agg(a.attname || ':' || a.atttypid::text, ',' ORDER BY a.attname)
           || '|' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                               FROM pg_enum e
                               WHERE e.enumtypid = max(a.atttypid) FILTER (WHERE a.attname = 'stage')), '')
           -- a trigger disabled and enabled again rewrites its pg_trigger row: a new xmin
           || '|' || coalesce((SELECT string_agg(t.tgname || '@' || t.xmin::text, ',' ORDER BY t.tgname)
                               FROM pg_trigger t
                               WHERE t.tgrelid = to_regclass(format('%I.opportunity', p_schema))
                                 AND t.tgname LIKE 'redkey\_stage\_totals\_%'), '')
    FROM pg_attribute a
    WHERE a.attrelid = to_regclass(format('%I.opportunity', p_schema))
      AND a.attname IN ('stage', 'amountAmountMicros', 'deletedAt') AND NOT a.attisdropped
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stage_totals_basis_now(text) FROM PUBLIC;

CREATE FUNCTION redkey.deal_stage_totals_fold(p_workspace text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $fn$
    WITH gone AS (
        DELETE FROM redkey.deal_stage_totals t
        WHERE t.id IN (SELECT s.id FROM redkey.deal_stage_totals s WHERE s.workspace = p_workspace
                       FOR UPDATE SKIP LOCKED)
        RETURNING t.stage, t.deals, t.amount)
    INSERT INTO redkey.deal_stage_totals (workspace, stage, deals, amount)
    SELECT p_workspace, g.stage, sum(g.deals), sum(g.amount) FROM gone g
    GROUP BY g.stage HAVING sum(g.deals) <> 0 OR sum(g.amount) <> 0
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stage_totals_fold(text) FROM PUBLIC;

-- The trigger function: TG_OP says which transition tables exist (new_rows, old_rows).
CREATE FUNCTION redkey.deal_stage_totals_track() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_ws text := TG_TABLE_SCHEMA;
    v_fold boolean;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM redkey.deal_stage_totals WHERE workspace = v_ws;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        WITH ins AS (
            INSERT INTO redkey.deal_stage_totals (workspace, stage, deals, amount)
            SELECT v_ws, n.stage::text, count(*), coalesce(sum(round(n."amountAmountMicros" / 1000000.0, 2)), 0)
            FROM new_rows n WHERE n."deletedAt" IS NULL GROUP BY n.stage::text
            RETURNING id)
        SELECT bool_or(ins.id % 64 = 0) INTO v_fold FROM ins;
    ELSIF TG_OP = 'DELETE' THEN
        WITH ins AS (
            INSERT INTO redkey.deal_stage_totals (workspace, stage, deals, amount)
            SELECT v_ws, o.stage::text, -count(*), -coalesce(sum(round(o."amountAmountMicros" / 1000000.0, 2)), 0)
            FROM old_rows o WHERE o."deletedAt" IS NULL GROUP BY o.stage::text
            RETURNING id)
        SELECT bool_or(ins.id % 64 = 0) INTO v_fold FROM ins;
    ELSE
        WITH d AS (
            SELECT n.stage::text AS stage, 1 AS deals, coalesce(round(n."amountAmountMicros" / 1000000.0, 2), 0) AS amount
            FROM new_rows n WHERE n."deletedAt" IS NULL
            UNION ALL
            SELECT o.stage::text, -1, -coalesce(round(o."amountAmountMicros" / 1000000.0, 2), 0)
            FROM old_rows o WHERE o."deletedAt" IS NULL),
        ins AS (
            INSERT INTO redkey.deal_stage_totals (workspace, stage, deals, amount)
            SELECT v_ws, d.stage, sum(d.deals), sum(d.amount) FROM d
            GROUP BY d.stage HAVING sum(d.deals) <> 0 OR sum(d.amount) <> 0
            RETURNING id)
        SELECT bool_or(ins.id % 64 = 0) INTO v_fold FROM ins;
    END IF;
    -- folding under REPEATABLE READ could fail the writer on a row another fold deleted meanwhile
    IF v_fold AND current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM redkey.deal_stage_totals_fold(v_ws);
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stage_totals_track() FROM PUBLIC;

-- Whether a workspace's deltas can be read: the four triggers present and enabled, the basis unchanged.
CREATE FUNCTION redkey.deal_stage_totals_ready(p_schema text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT (SELECT count(*) FROM pg_trigger t
            WHERE t.tgrelid = to_regclass(format('%I.opportunity', p_schema))
              AND t.tgname IN ('redkey_stage_totals_insert', 'redkey_stage_totals_update',
                               'redkey_stage_totals_delete', 'redkey_stage_totals_truncate')
              AND t.tgfoid = 'redkey.deal_stage_totals_track()'::regprocedure
              AND t.tgenabled IN ('O', 'A')) = 4
       AND EXISTS (SELECT 1 FROM redkey.deal_stage_totals_basis b
                   WHERE b.workspace = p_schema AND b.basis = redkey.deal_stage_totals_basis_now(p_schema))
$fn$;
REVOKE ALL ON FUNCTION redkey.deal_stage_totals_ready(text) FROM PUBLIC;

-- (Re)start tracking a workspace: the triggers created and the totals counted afresh under a lock that
-- keeps writers out between the count and the triggers. A no-op while its totals are ready.
CREATE FUNCTION redkey.track_deal_stage_totals(p_schema text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_table text := format('%I.opportunity', p_schema);
BEGIN
    IF to_regclass(v_table) IS NULL OR redkey.deal_stage_totals_ready(p_schema) THEN
        RETURN false;
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    EXECUTE format('DROP TRIGGER IF EXISTS redkey_stage_totals_insert ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stage_totals_update ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stage_totals_delete ON %1$s;'
                   'DROP TRIGGER IF EXISTS redkey_stage_totals_truncate ON %1$s', v_table);
    EXECUTE format('CREATE TRIGGER redkey_stage_totals_insert AFTER INSERT ON %1$s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stage_totals_track();'
                   'CREATE TRIGGER redkey_stage_totals_update AFTER UPDATE ON %1$s '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stage_totals_track();'
                   'CREATE TRIGGER redkey_stage_totals_delete AFTER DELETE ON %1$s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stage_totals_track();'
                   'CREATE TRIGGER redkey_stage_totals_truncate AFTER TRUNCATE ON %1$s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION redkey.deal_stage_totals_track();'
                   -- also in session_replication_role = replica (a restore, logical replication)
                   'ALTER TABLE %1$s ENABLE ALWAYS TRIGGER redkey_stage_totals_insert,'
                   ' ENABLE ALWAYS TRIGGER redkey_stage_totals_update,'
                   ' ENABLE ALWAYS TRIGGER redkey_stage_totals_delete,'
                   ' ENABLE ALWAYS TRIGGER redkey_stage_totals_truncate', v_table);
    DELETE FROM redkey.deal_stage_totals WHERE workspace = p_schema;
    EXECUTE format('INSERT INTO redkey.deal_stage_totals (workspace, stage, deals, amount) '
                   'SELECT %L, p.stage::text, count(*), coalesce(sum(round(p."amountAmountMicros" / 1000000.0, 2)), 0) '
                   'FROM %s p WHERE p."deletedAt" IS NULL GROUP BY p.stage::text', p_schema, v_table);
    INSERT INTO redkey.deal_stage_totals_basis (workspace, basis)
    VALUES (p_schema, redkey.deal_stage_totals_basis_now(p_schema))
    ON CONFLICT (workspace) DO UPDATE SET basis = EXCLUDED.basis, counted_at = now();
    RETURN true;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.track_deal_stage_totals(text) FROM PUBLIC;

-- Stop tracking (a workspace unregistered): its triggers dropped, its totals forgotten.
CREATE FUNCTION redkey.untrack_deal_stage_totals(p_schema text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_table text := format('%I.opportunity', p_schema);
BEGIN
    IF to_regclass(v_table) IS NOT NULL THEN
        EXECUTE format('DROP TRIGGER IF EXISTS redkey_stage_totals_insert ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stage_totals_update ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stage_totals_delete ON %1$s;'
                       'DROP TRIGGER IF EXISTS redkey_stage_totals_truncate ON %1$s', v_table);
    END IF;
    DELETE FROM redkey.deal_stage_totals WHERE workspace = p_schema;
    DELETE FROM redkey.deal_stage_totals_basis WHERE workspace = p_schema;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.untrack_deal_stage_totals(text) FROM PUBLIC;

-- One workspace's live deals per stage: from the deltas while they are ready, else from the table.
CREATE FUNCTION redkey.workspace_stage_totals(p_schema text)
RETURNS TABLE (stage text, deals bigint, amount numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF redkey.deal_stage_totals_ready(p_schema) THEN
        RETURN QUERY SELECT t.stage, sum(t.deals)::bigint, sum(t.amount) FROM redkey.deal_stage_totals t
                     WHERE t.workspace = p_schema GROUP BY t.stage HAVING sum(t.deals) <> 0;
    ELSIF to_regclass(format('%I.opportunity', p_schema)) IS NOT NULL THEN
        RETURN QUERY EXECUTE format(
            'SELECT p.stage::text, count(*), coalesce(sum(round(p."amountAmountMicros" / 1000000.0, 2)), 0) '
            'FROM %I.opportunity p WHERE p."deletedAt" IS NULL GROUP BY p.stage::text', p_schema);
    END IF;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.workspace_stage_totals(text) FROM PUBLIC;
