-- Projects, stages and phases join the change feed (kind 'work'), so the Work screen follows every
-- control action and engine step, whoever makes it, like the other screens.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'stages', 'phases'] LOOP
        IF to_regclass('redkey.' || t) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON redkey.%I', t || '_notify_change', t);
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON redkey.%I '
                           'FOR EACH ROW EXECUTE FUNCTION redkey.rows_notify_change(%L, %L)',
                           t || '_notify_change', t, 'work', 'id');
        END IF;
    END LOOP;
END
$$;
