-- The change feed: every write the screens show (records through the Layer 2 views, activities, tasks,
-- the exec inbox, proposals and decisions, sequences, enrollments, the outbox) is announced at commit
-- on its client's own change channel with the payload '<kind>:<id>'. The channel is named by a keyed
-- hash of the client id (the key is readable by the owner only), so a listener hears only its own
-- client's changes and cannot work out another client's channel. Writes Twenty makes into its own
-- tables are not announced; the feed finds those with a cheap poll.

CREATE TABLE IF NOT EXISTS redkey.notify_keys (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    channel_key  text NOT NULL DEFAULT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                                     || clock_timestamp()::text, 'UTF8')), 'hex'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO redkey.notify_keys DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
ALTER TABLE redkey.notify_keys ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION redkey.change_channel_of(p_client text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'redkey_changes_' || left(encode(sha256(convert_to(k.channel_key || ':changes:' || p_client, 'UTF8')), 'hex'), 32)
    FROM redkey.notify_keys k
    WHERE p_client IS NOT NULL AND p_client <> ''
$$;
REVOKE ALL ON FUNCTION redkey.change_channel_of(text) FROM PUBLIC;

-- This session's change channel: its own client's, NULL when unscoped.
CREATE OR REPLACE FUNCTION redkey.change_channel() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT redkey.change_channel_of(redkey.current_client_id())
$$;
GRANT EXECUTE ON FUNCTION redkey.change_channel() TO PUBLIC;

-- Announce one change of a client's record (the Layer 2 views' write triggers call this).
CREATE OR REPLACE FUNCTION redkey.notify_change(p_client text, p_kind text, p_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_channel text := redkey.change_channel_of(p_client);
BEGIN
    IF v_channel IS NOT NULL THEN
        PERFORM pg_notify(v_channel, p_kind || ':' || coalesce(p_id, ''));
    END IF;
END
$$;
REVOKE ALL ON FUNCTION redkey.notify_change(text, text, text) FROM PUBLIC;

-- Row trigger for RedKey's own tables: TG_ARGV[0] is the kind, TG_ARGV[1] the id column.
CREATE OR REPLACE FUNCTION redkey.rows_notify_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_row jsonb := to_jsonb(coalesce(NEW, OLD));
BEGIN
    PERFORM redkey.notify_change(v_row ->> 'client_id', TG_ARGV[0], v_row ->> TG_ARGV[1]);
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('activities', 'activity', 'id'),
        ('tasks', 'task', 'id'),
        ('exec_inbox', 'inbox', 'id'),
        ('proposals', 'proposal', 'proposal_id'),
        ('approval_decisions', 'decision', 'decision_id'),
        ('sequences', 'sequence', 'id'),
        ('sequence_enrollments', 'enrollment', 'id'),
        ('email_outbox', 'outbox', 'id'),
        ('contact_ext', 'contact', 'record_id'),
        ('company_ext', 'company', 'record_id'),
        ('deal_ext', 'deal', 'record_id')
    ) AS v(tbl, kind, idcol) LOOP
        IF to_regclass('redkey.' || t.tbl) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON redkey.%I', t.tbl || '_notify_change', t.tbl);
            EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON redkey.%I '
                           'FOR EACH ROW EXECUTE FUNCTION redkey.rows_notify_change(%L, %L)',
                           t.tbl || '_notify_change', t.tbl, t.kind, t.idcol);
        END IF;
    END LOOP;
END
$$;
