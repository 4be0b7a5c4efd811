-- Arlo's task queue (seed 003): the topic log is the source, redkey.tasks is current state.
--
-- Every task transition is an INSERT into redkey.topic_log on the task's own topic. The listener — the
-- trigger below, calling redkey.apply_task_message — applies each message to redkey.tasks in the same
-- transaction, so state can never run ahead of the log, and a message whose transition is not allowed
-- (completing a cancelled task, a stale worker completing a task someone else re-claimed) is refused
-- together with its log entry. Anyone may append (cockpit, arlo, a SQL console): state follows.

CREATE OR REPLACE FUNCTION redkey.apply_task_message(p_seq bigint, p_topic text, p_type text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t redkey.tasks%ROWTYPE;
    v_agent text := p_payload->>'agent';
BEGIN
    IF p_type = 'task.created' THEN
        INSERT INTO redkey.tasks (id, client_id, role, task_type, brief, params, depends_on, created_by,
                                  phase_id, stage_id, project_id, status, last_log_seq)
        VALUES (p_topic, p_payload->>'client_id', coalesce(p_payload->>'role', 'roles.crm'), p_payload->>'task_type',
                p_payload->>'brief', coalesce(p_payload->'params', '{}'::jsonb),
                coalesce(ARRAY(SELECT jsonb_array_elements_text(p_payload->'depends_on')), '{}'),
                p_payload->>'created_by', p_payload->>'phase_id', p_payload->>'stage_id', p_payload->>'project_id',
                'created', p_seq);
        RETURN;
    END IF;

    SELECT * INTO t FROM redkey.tasks WHERE id = p_topic FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_topic USING ERRCODE = 'RKT04';
    END IF;

    IF p_type = 'task.claimed' THEN
        IF t.status NOT IN ('created', 'claimed', 'in_progress') THEN
            RAISE EXCEPTION 'task % is %, it cannot be claimed', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'claimed', agent = v_agent, attempts = attempts + 1,
               lease_until = (p_payload->>'lease_until')::timestamptz, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type IN ('task.started', 'task.heartbeat') THEN
        IF t.status NOT IN ('claimed', 'in_progress') OR t.agent IS DISTINCT FROM v_agent
           OR t.attempts <> (p_payload->>'attempt')::int THEN
            RAISE EXCEPTION 'task % is no longer held by %', p_topic, v_agent USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'in_progress',
               lease_until = coalesce((p_payload->>'lease_until')::timestamptz, lease_until),
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type IN ('task.complete', 'task.blocked') THEN
        IF t.status <> 'in_progress' OR t.agent IS DISTINCT FROM v_agent
           OR t.attempts <> (p_payload->>'attempt')::int THEN
            RAISE EXCEPTION 'task % is no longer held by %', p_topic, v_agent USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = CASE WHEN p_type = 'task.complete' THEN 'complete' ELSE 'blocked' END,
               output = p_payload->'output', output_ref = p_payload->>'output_ref',
               cost_usd = coalesce((p_payload->>'cost_usd')::numeric, 0),
               duration_seconds = (p_payload->>'duration_seconds')::int,
               lease_until = NULL, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.on_hold' THEN
        IF t.status NOT IN ('created', 'assigned', 'claimed', 'in_progress') THEN
            RAISE EXCEPTION 'task % is %, it cannot be put on hold', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'on_hold', agent = NULL, lease_until = NULL,
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.resumed' THEN
        IF t.status NOT IN ('on_hold', 'blocked') THEN
            RAISE EXCEPTION 'task % is %, only a held or blocked task can be resumed', p_topic, t.status
                USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'created', agent = NULL, lease_until = NULL,
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.cancelled' THEN
        IF t.status IN ('complete', 'cancelled') THEN
            RAISE EXCEPTION 'task % is already %', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'cancelled', agent = NULL, lease_until = NULL,
               replaced_by = p_payload->>'replaced_by', last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSE
        RAISE EXCEPTION 'unknown task message type %', p_type USING ERRCODE = 'RKT22';
    END IF;
END
$$;

-- The listener: messages on task topics are applied as they are appended.
CREATE OR REPLACE FUNCTION redkey.topic_log_listener() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.message_type LIKE 'task.%'
       AND EXISTS (SELECT 1 FROM redkey.topics WHERE topic_id = NEW.topic_id AND kind = 'task') THEN
        PERFORM redkey.apply_task_message(NEW.seq, NEW.topic_id, NEW.message_type, NEW.payload);
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS topic_log_apply ON redkey.topic_log;
CREATE TRIGGER topic_log_apply AFTER INSERT ON redkey.topic_log
    FOR EACH ROW EXECUTE FUNCTION redkey.topic_log_listener();

-- The log is append-only.
CREATE OR REPLACE FUNCTION redkey.topic_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'redkey.topic_log is append-only' USING ERRCODE = '428C9';
END
$$;
DROP TRIGGER IF EXISTS topic_log_no_rewrite ON redkey.topic_log;
CREATE TRIGGER topic_log_no_rewrite BEFORE UPDATE OR DELETE ON redkey.topic_log
    FOR EACH ROW EXECUTE FUNCTION redkey.topic_log_append_only();

-- Claiming: the queue scan looks at claimable rows only.
CREATE INDEX IF NOT EXISTS tasks_claim_idx ON redkey.tasks (role, created_at)
    WHERE status IN ('created', 'claimed', 'in_progress');

-- No second periodic task of a kind per client while one is pending (the engine also checks first).
CREATE UNIQUE INDEX IF NOT EXISTS tasks_one_pending_periodic ON redkey.tasks (client_id, task_type)
    WHERE created_by = 'engine' AND status IN ('created', 'assigned', 'claimed', 'in_progress', 'on_hold');

-- Each loop's last run, next run, last result and error, per client (the Arlo screen reads it).
CREATE TABLE IF NOT EXISTS redkey.arlo_loops (
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    task_type     text NOT NULL,
    last_run_at   timestamptz,
    next_run_at   timestamptz,
    last_task_id  text,
    last_status   text,
    last_result   text,
    last_error    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, task_type)
);
GRANT SELECT ON redkey.arlo_loops TO redkey_readonly, redkey_operational, redkey_strategic;
