-- Claiming arlo's next task: the oldest claimable one on the queue (new, or its lease ran out, and not
-- waiting for anything it depends on) of any client, or p_task_id if it is claimable. FOR UPDATE SKIP
-- LOCKED keeps concurrent workers apart; the claim is a task.claimed message on the task's topic (the
-- listener applies it). Only the owner may call it: it is the one place that looks across clients.
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
        WHERE t.role = p_queue AND cardinality(t.waiting_on) = 0
          AND (t.status = 'created' OR (t.status IN ('claimed', 'in_progress') AND t.lease_until < now()))
        ORDER BY t.created_at, t.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSE
        SELECT t.id, t.attempts + 1 INTO v_id, v_attempt FROM redkey.tasks t
        WHERE t.id = p_task_id AND cardinality(t.waiting_on) = 0
          AND (t.status = 'created' OR (t.status IN ('claimed', 'in_progress') AND t.lease_until < now()))
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
