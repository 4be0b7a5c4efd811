-- Change stamps for the change feed's poll of contacts, companies, activities, notes and tasks: it aggregated the
-- whole views every 5 s (0.25-0.5 s at 200k contacts and 2M activities) to notice what raises no
-- NOTIFY (Twenty's writes to its own tables; everything behind a transaction pooler).
--
-- Every statement that writes one of a workspace's tracked tables (person, company, timelineActivity,
-- note, noteTarget, task, taskTarget) appends a row to redkey.change_stamps in the writer's transaction (scope = the
-- workspace schema); every write to RedKey's contact_ext, company_ext, deal_ext and activities appends one per
-- client it touched (scope = the client). Writers only insert, so they never wait on each other here;
-- every 64th stamp of a scope and relation folds the older ones away (rows another fold holds are
-- skipped). The poll reads count and sum of the ids (redkey.changes_stamp / redkey.rows_stamp): any
-- committed write moves them (a fold does too: one extra report, never a missed one). While a
-- workspace's table lacks its enabled trigger the functions return NULL and the poll scans as before.

CREATE TABLE redkey.change_stamps (
    id       bigserial PRIMARY KEY,
    scope    text NOT NULL,
    relation text NOT NULL
);
CREATE INDEX change_stamps_scope_idx ON redkey.change_stamps (scope, relation) INCLUDE (id);
COMMENT ON TABLE redkey.change_stamps IS
    'One row per statement that wrote a tracked table (scope: a workspace schema for Twenty''s tables, a client id for RedKey''s), folded every 64: the change feed polls their count and id sum.';
REVOKE ALL ON TABLE redkey.change_stamps FROM PUBLIC;
REVOKE ALL ON SEQUENCE redkey.change_stamps_id_seq FROM PUBLIC;

-- The tables of a workspace whose writes are stamped.
CREATE FUNCTION redkey.stamped_relations() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $fn$ SELECT ARRAY['person', 'company', 'timelineActivity', 'note', 'noteTarget', 'task', 'taskTarget'] $fn$;

CREATE FUNCTION redkey.change_stamps_add(p_scope text, p_relation text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO redkey.change_stamps (scope, relation) VALUES (p_scope, p_relation) RETURNING id INTO v_id;
    -- folding under REPEATABLE READ could fail the writer on a row another fold deleted meanwhile
    IF v_id % 64 = 0 AND current_setting('transaction_isolation') = 'read committed' THEN
        DELETE FROM redkey.change_stamps t
        WHERE t.id IN (SELECT s.id FROM redkey.change_stamps s
                       WHERE s.scope = p_scope AND s.relation = p_relation AND s.id < v_id
                       FOR UPDATE SKIP LOCKED);
    END IF;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.change_stamps_add(text, text) FROM PUBLIC;

-- On a workspace's tables: one stamp per statement (any of INSERT, UPDATE, DELETE, TRUNCATE).
CREATE FUNCTION redkey.stamp_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM redkey.change_stamps_add(TG_TABLE_SCHEMA, TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.stamp_statement() FROM PUBLIC;

-- On RedKey's client-scoped tables: one stamp per client a statement wrote (every client on TRUNCATE).
CREATE FUNCTION redkey.stamp_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM redkey.change_stamps_add(c.client_id, TG_TABLE_NAME) FROM redkey.clients c;
    ELSE
        PERFORM redkey.change_stamps_add(d.client_id, TG_TABLE_NAME)
        FROM (SELECT DISTINCT r.client_id FROM changed_rows r WHERE r.client_id IS NOT NULL) d;
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.stamp_rows() FROM PUBLIC;

DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['contact_ext', 'company_ext', 'deal_ext', 'activities'] LOOP
        EXECUTE format('CREATE TRIGGER redkey_change_stamp_insert AFTER INSERT ON redkey.%1$I '
                       'REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION redkey.stamp_rows();'
                       'CREATE TRIGGER redkey_change_stamp_update AFTER UPDATE ON redkey.%1$I '
                       'REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION redkey.stamp_rows();'
                       'CREATE TRIGGER redkey_change_stamp_delete AFTER DELETE ON redkey.%1$I '
                       'REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION redkey.stamp_rows();'
                       'CREATE TRIGGER redkey_change_stamp_truncate AFTER TRUNCATE ON redkey.%1$I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION redkey.stamp_rows();'
                       'ALTER TABLE redkey.%1$I ENABLE ALWAYS TRIGGER redkey_change_stamp_insert,'
                       ' ENABLE ALWAYS TRIGGER redkey_change_stamp_update, ENABLE ALWAYS TRIGGER redkey_change_stamp_delete,'
                       ' ENABLE ALWAYS TRIGGER redkey_change_stamp_truncate', t);
    END LOOP;
END
$do$;

-- Whether a workspace table's writes are stamped (a table the workspace does not have: nothing to stamp).
CREATE FUNCTION redkey.change_stamps_ready(p_schema text, p_relation text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT to_regclass(format('%I.%I', p_schema, p_relation)) IS NULL
        OR EXISTS (SELECT 1 FROM pg_trigger t
                   WHERE t.tgrelid = to_regclass(format('%I.%I', p_schema, p_relation))
                     AND t.tgname = 'redkey_change_stamp'
                     AND t.tgfoid = 'redkey.stamp_statement()'::regprocedure
                     AND t.tgenabled IN ('O', 'A')
                     AND t.tgtype = 4 | 8 | 16 | 32)  -- after insert, delete, update and truncate, per statement
$fn$;
REVOKE ALL ON FUNCTION redkey.change_stamps_ready(text, text) FROM PUBLIC;

-- (Re)start stamping a workspace's tables; a no-op for those already stamped.
CREATE FUNCTION redkey.track_table_changes(p_schema text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY redkey.stamped_relations() LOOP
        IF NOT redkey.change_stamps_ready(p_schema, r) THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER redkey_change_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
                           ' ON %1$I.%2$I FOR EACH STATEMENT EXECUTE FUNCTION redkey.stamp_statement();'
                           'ALTER TABLE %1$I.%2$I ENABLE ALWAYS TRIGGER redkey_change_stamp', p_schema, r);
        END IF;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.track_table_changes(text) FROM PUBLIC;

-- Stop (a workspace unregistered): its triggers dropped, its stamps forgotten.
CREATE FUNCTION redkey.untrack_table_changes(p_schema text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY redkey.stamped_relations() LOOP
        IF to_regclass(format('%I.%I', p_schema, r)) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS redkey_change_stamp ON %I.%I', p_schema, r);
        END IF;
    END LOOP;
    DELETE FROM redkey.change_stamps WHERE scope = p_schema;
END
$fn$;
REVOKE ALL ON FUNCTION redkey.untrack_table_changes(text) FROM PUBLIC;

-- The stamps of the client's workspaces' ``p_relations``: NULL while one of them is not stamped.
CREATE FUNCTION redkey.changes_stamp(p_client text, p_relations text[]) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN bool_and(redkey.change_stamps_ready(w.schema_name, r.relation)) THEN
               (SELECT count(*)::text || '/' || coalesce(sum(s.id), 0)::text FROM redkey.change_stamps s
                WHERE s.relation = ANY (p_relations)
                  AND s.scope IN (SELECT v.schema_name FROM redkey.workspaces v WHERE v.client_id = p_client))
           END
    FROM redkey.workspaces w CROSS JOIN unnest(p_relations) AS r(relation)
    WHERE w.client_id = p_client
$fn$;
REVOKE ALL ON FUNCTION redkey.changes_stamp(text, text[]) FROM PUBLIC;

-- The stamps of the client's rows in RedKey's ``p_relation``: NULL while its triggers are not all enabled.
CREATE FUNCTION redkey.rows_stamp(p_client text, p_relation text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN (SELECT count(*) FROM pg_trigger t
                      WHERE t.tgrelid = to_regclass(format('redkey.%I', p_relation))
                        AND t.tgfoid = 'redkey.stamp_rows()'::regprocedure AND t.tgenabled IN ('O', 'A')) = 4 THEN
               (SELECT count(*)::text || '/' || coalesce(sum(s.id), 0)::text FROM redkey.change_stamps s
                WHERE s.scope = p_client AND s.relation = p_relation)
           END
$fn$;
REVOKE ALL ON FUNCTION redkey.rows_stamp(text, text) FROM PUBLIC;
