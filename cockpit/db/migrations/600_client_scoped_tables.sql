-- RedKey's own tables are held to the session's client like the stable views: row-level security with
-- one policy per table, client_id = redkey.current_client_id(). Unscoped sessions of the roles (and of
-- client-bound logins, migration 602) see no row; a write must carry the session's client.
--
-- The login that owns these tables (the cockpit, arlo, migrations) is the trusted owner: it is a
-- superuser on the embedded server and has BYPASSRLS on Supabase, so FORCE ROW LEVEL SECURITY would not
-- bind it; it scopes its own statements. Its one deliberate cross-client step is claiming arlo's next
-- task (redkey.claim_task below): the task then runs scoped to its own client.

-- The topic log gets the client of each message, so it can be scoped too: a task topic's messages
-- belong to the task's client; other topics' messages (roles.crm availability, roles.exec summaries)
-- to the client their payload names. Messages of no client are visible to the owner only.
ALTER TABLE redkey.topic_log ADD COLUMN IF NOT EXISTS client_id text REFERENCES redkey.clients (client_id);

CREATE OR REPLACE FUNCTION redkey.topic_log_client() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_task_client text;
BEGIN
    SELECT t.client_id INTO v_task_client FROM redkey.tasks t WHERE t.id = NEW.topic_id;
    NEW.client_id := coalesce(v_task_client, nullif(NEW.payload ->> 'client_id', ''));
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS topic_log_client ON redkey.topic_log;
CREATE TRIGGER topic_log_client BEFORE INSERT ON redkey.topic_log
    FOR EACH ROW EXECUTE FUNCTION redkey.topic_log_client();

ALTER TABLE redkey.topic_log DISABLE TRIGGER topic_log_no_rewrite;
UPDATE redkey.topic_log l
SET client_id = coalesce((SELECT t.client_id FROM redkey.tasks t WHERE t.id = l.topic_id),
                         (SELECT c.client_id FROM redkey.clients c WHERE c.client_id = l.payload ->> 'client_id'))
WHERE l.client_id IS NULL;
ALTER TABLE redkey.topic_log ENABLE TRIGGER topic_log_no_rewrite;
CREATE INDEX IF NOT EXISTS topic_log_client_idx ON redkey.topic_log (client_id, seq);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'workspaces', 'stage_settings', 'tasks', 'topic_log', 'exec_inbox',
                             'arlo_loops', 'import_batches', 'import_manifests', 'import_rows', 'proposals',
                             'approval_decisions', 'artifacts', 'record_merges'] LOOP
        EXECUTE format('ALTER TABLE redkey.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS scoped ON redkey.%I', t);
        EXECUTE format('CREATE POLICY scoped ON redkey.%I USING (client_id = redkey.current_client_id())'
                       ' WITH CHECK (client_id = redkey.current_client_id())', t);
    END LOOP;
END
$$;

-- Claiming arlo's next task: the oldest claimable one on the queue (new, or its lease ran out) of any
-- client, or p_task_id if it is claimable. FOR UPDATE SKIP LOCKED keeps concurrent workers apart; the
-- claim is a task.claimed message on the task's topic (the listener applies it). Only the owner may call
-- it (no role and no client-bound login): it is the one place that looks across clients.
CREATE OR REPLACE FUNCTION redkey.claim_task(p_agent text, p_lease_seconds double precision, p_queue text,
                                             p_task_id text DEFAULT NULL)
RETURNS SETOF redkey.tasks
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id text;
    v_attempt integer;
    v_lease timestamptz;
BEGIN
    IF p_task_id IS NULL THEN
        SELECT t.id, t.attempts + 1 INTO v_id, v_attempt FROM redkey.tasks t
        WHERE t.role = p_queue AND (t.status = 'created' OR (t.status IN ('claimed', 'in_progress')
                                                             AND t.lease_until < now()))
        ORDER BY t.created_at, t.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSE
        SELECT t.id, t.attempts + 1 INTO v_id, v_attempt FROM redkey.tasks t
        WHERE t.id = p_task_id AND (t.status = 'created' OR (t.status IN ('claimed', 'in_progress')
                                                             AND t.lease_until < now()))
        FOR UPDATE SKIP LOCKED;
    END IF;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    v_lease := now() + make_interval(secs => p_lease_seconds);
    INSERT INTO redkey.topic_log (topic_id, message_type, payload)
    VALUES (v_id, 'task.claimed', jsonb_build_object('agent', p_agent, 'attempt', v_attempt, 'lease_until', v_lease));
    RETURN QUERY SELECT * FROM redkey.tasks WHERE id = v_id;
END
$$;
REVOKE ALL ON FUNCTION redkey.claim_task(text, double precision, text, text) FROM PUBLIC;
