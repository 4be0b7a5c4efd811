-- The change feed's triggers on RedKey's tables fire once per statement instead of once per row: a bulk
-- write (an import's 100k proposals, a COPY into an extension table) called notify_change and hashed the
-- channel name for every row. Each statement now announces, per client, each changed id when it changed
-- at most 100 rows of a table, and one '<kind>:' (some rows of that kind changed; listeners re-read)
-- when it changed more. Payloads and channels are unchanged.

CREATE OR REPLACE FUNCTION redkey.rows_notify_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_kind text := TG_ARGV[0];
    v_idcol text := TG_ARGV[1];
    r record;
BEGIN
    FOR r IN SELECT c.client_id, count(*) AS n FROM changed_rows c GROUP BY c.client_id LOOP
        IF r.client_id IS NULL THEN
            CONTINUE;
        ELSIF r.n <= 100 THEN
            EXECUTE format('SELECT redkey.notify_change($1, $2, i) FROM '
                           '(SELECT DISTINCT c.%I::text AS i FROM changed_rows c WHERE c.client_id = $1) d', v_idcol)
                USING r.client_id, v_kind;
        ELSE
            PERFORM redkey.notify_change(r.client_id, v_kind, NULL);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION redkey.rows_notify_changes() FROM PUBLIC;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgname, c.relname,
                    encode(tg.tgargs, 'escape') AS args
             FROM pg_catalog.pg_trigger tg
             JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'redkey' AND NOT tg.tgisinternal
               AND tg.tgfoid = 'redkey.rows_notify_change()'::regprocedure LOOP
        DECLARE
            v_args text[] := string_to_array(rtrim(t.args, E'\\000'), E'\\000');
        BEGIN
            EXECUTE format('DROP TRIGGER %I ON redkey.%I', t.tgname, t.relname);
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON redkey.%I REFERENCING NEW TABLE AS changed_rows '
                           'FOR EACH STATEMENT EXECUTE FUNCTION redkey.rows_notify_changes(%L, %L)',
                           t.relname || '_notify_insert', t.relname, v_args[1], v_args[2]);
            EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON redkey.%I REFERENCING NEW TABLE AS changed_rows '
                           'FOR EACH STATEMENT EXECUTE FUNCTION redkey.rows_notify_changes(%L, %L)',
                           t.relname || '_notify_update', t.relname, v_args[1], v_args[2]);
            EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON redkey.%I REFERENCING OLD TABLE AS changed_rows '
                           'FOR EACH STATEMENT EXECUTE FUNCTION redkey.rows_notify_changes(%L, %L)',
                           t.relname || '_notify_delete', t.relname, v_args[1], v_args[2]);
        END;
    END LOOP;
END
$$;
