-- The listener for projects, stages, phases and definitions, and the task messages' part in the
-- structure (dependencies, cascading holds, replacements). Each apply function checks the transition and
-- raises (refusing the message with its log entry) when it is not allowed.

-- ---------------------------------------------------------------------------------------------
-- Queue availability: a task is announced on its role's topic when nothing it depends on is open.
CREATE OR REPLACE FUNCTION redkey.work_post_available(p_task text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t redkey.tasks%ROWTYPE;
BEGIN
    SELECT * INTO t FROM redkey.tasks WHERE id = p_task;
    PERFORM redkey.work_append(redkey.new_topic('static', t.role), 'task.available',
                               jsonb_build_object('task_id', t.id, 'task_type', t.task_type, 'client_id', t.client_id,
                                                  'model_hint', t.params->>'model_hint', 'posted_at', now()));
END
$$;

-- p_id completed: it no longer holds up anything that waits on it.
CREATE OR REPLACE FUNCTION redkey.work_release(p_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN UPDATE redkey.tasks SET waiting_on = array_remove(waiting_on, p_id), updated_at = now()
             WHERE waiting_on @> ARRAY[p_id] RETURNING id, status, waiting_on LOOP
        IF cardinality(r.waiting_on) = 0 AND r.status = 'created' THEN
            PERFORM redkey.work_post_available(r.id);
        END IF;
    END LOOP;
    FOR r IN UPDATE redkey.phases SET waiting_on = array_remove(waiting_on, p_id), updated_at = now()
             WHERE waiting_on @> ARRAY[p_id] RETURNING id, status, waiting_on LOOP
        IF cardinality(r.waiting_on) = 0 AND r.status = 'pending' THEN
            PERFORM redkey.work_append(r.id, 'phase.started', '{"by": "engine"}');
        END IF;
    END LOOP;
END
$$;

-- p_old was cancelled with a replacement: whatever depended on it depends on the replacement.
CREATE OR REPLACE FUNCTION redkey.work_rewire(p_old text, p_new text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE redkey.tasks SET depends_on = array_replace(depends_on, p_old, p_new),
           waiting_on = array_replace(waiting_on, p_old, p_new), updated_at = now()
    WHERE depends_on @> ARRAY[p_old] OR waiting_on @> ARRAY[p_old];
    UPDATE redkey.phases SET depends_on = array_replace(depends_on, p_old, p_new),
           waiting_on = array_replace(waiting_on, p_old, p_new), updated_at = now()
    WHERE depends_on @> ARRAY[p_old] OR waiting_on @> ARRAY[p_old];
    IF redkey.work_status(p_new) = 'complete' THEN
        PERFORM redkey.work_release(p_new);
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Cascades. p_root is the seq of the control message at the top of the cascade, p_via its topic.
CREATE OR REPLACE FUNCTION redkey.work_hold_tasks(p_where text, p_id text, p_root bigint, p_via text, p_reason text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_payload jsonb := jsonb_build_object('reason', p_reason, 'held_by', p_root, 'via', p_via, 'by', 'engine');
BEGIN
    FOR r IN EXECUTE format('SELECT id, status FROM redkey.tasks WHERE %s ORDER BY created_at, id', p_where) USING p_id LOOP
        IF r.status IN ('created', 'assigned') THEN
            PERFORM redkey.work_append(r.id, 'task.on_hold', v_payload);
        ELSIF r.status IN ('claimed', 'in_progress') THEN
            PERFORM redkey.work_append(r.id, 'task.stop_requested', v_payload);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION redkey.work_resume_tasks(p_where text, p_id text, p_root bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN EXECUTE format('SELECT id FROM redkey.tasks WHERE %s AND ((status = ''on_hold'' AND hold_seq = $2) '
                            'OR stop_seq = $2) ORDER BY created_at, id', p_where) USING p_id, p_root LOOP
        PERFORM redkey.work_append(r.id, 'task.resumed', jsonb_build_object('held_by', p_root, 'by', 'engine'));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION redkey.work_cancel_tasks(p_where text, p_id text, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN EXECUTE format('SELECT id FROM redkey.tasks WHERE %s AND status NOT IN (''complete'', ''cancelled'') '
                            'ORDER BY created_at, id', p_where) USING p_id LOOP
        PERFORM redkey.work_append(r.id, 'task.cancelled', jsonb_build_object('reason', p_reason, 'by', 'engine'));
    END LOOP;
END
$$;

-- After a task or phase reached a final status: complete its phase, then its stage, when nothing is open.
CREATE OR REPLACE FUNCTION redkey.work_check_done(p_phase text, p_stage text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_phase IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM redkey.phases WHERE id = p_phase AND status = 'active')
           AND NOT EXISTS (SELECT 1 FROM redkey.tasks WHERE phase_id = p_phase AND status NOT IN ('complete', 'cancelled'))
           AND EXISTS (SELECT 1 FROM redkey.tasks WHERE phase_id = p_phase AND status = 'complete') THEN
            PERFORM redkey.work_append(p_phase, 'phase.complete', '{"by": "engine"}');
        END IF;
        RETURN;  -- the phase's completion checks the stage
    END IF;
    IF p_stage IS NOT NULL
       AND EXISTS (SELECT 1 FROM redkey.stages WHERE id = p_stage AND status = 'active')
       AND NOT EXISTS (SELECT 1 FROM redkey.tasks WHERE stage_id = p_stage AND status NOT IN ('complete', 'cancelled'))
       AND NOT EXISTS (SELECT 1 FROM redkey.phases WHERE stage_id = p_stage AND status NOT IN ('complete', 'cancelled'))
       AND (EXISTS (SELECT 1 FROM redkey.tasks WHERE stage_id = p_stage AND status = 'complete')
            OR EXISTS (SELECT 1 FROM redkey.phases WHERE stage_id = p_stage AND status = 'complete')) THEN
        PERFORM redkey.work_append(p_stage, 'stage.complete', '{"by": "engine"}');
    END IF;
END
$$;

-- Start the project's stage at p_pos of its stage_sequence: the stage topic, stage.created, its tasks.
-- A sequence entry is a stage type, or {stage_type, title, steps?, tasks: [{role, task_type, brief, after: [i]}]}.
CREATE OR REPLACE FUNCTION redkey.work_start_stage(p_project text, p_pos integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p redkey.projects%ROWTYPE;
    v_spec jsonb;
    v_stage text;
    v_task text;
    v_ids text[] := '{}';
    v_t jsonb;
    v_deps text[];
BEGIN
    SELECT * INTO p FROM redkey.projects WHERE id = p_project;
    v_spec := p.stage_sequence -> p_pos;
    IF jsonb_typeof(v_spec) = 'string' THEN
        v_spec := jsonb_build_object('stage_type', v_spec #>> '{}');
    END IF;
    v_stage := redkey.new_topic('stage');
    PERFORM redkey.work_append(v_stage, 'stage.created', jsonb_build_object(
        'client_id', p.client_id, 'project_id', p.id, 'stage_type', v_spec->>'stage_type',
        'title', coalesce(v_spec->>'title', initcap(replace(v_spec->>'stage_type', '_', ' '))),
        'step_snapshot', v_spec->'steps', 'position', p_pos, 'by', 'engine'));
    FOR v_t IN SELECT value FROM jsonb_array_elements(coalesce(v_spec->'tasks', '[]')) LOOP
        v_deps := ARRAY(SELECT v_ids[(i #>> '{}')::int + 1] FROM jsonb_array_elements(coalesce(v_t->'after', '[]')) i);
        v_task := redkey.new_topic('task');
        PERFORM redkey.work_append(v_task, 'task.created', jsonb_build_object(
            'client_id', p.client_id, 'role', coalesce(v_t->>'role', 'roles.coordinator'),
            'task_type', coalesce(v_t->>'task_type', 'work_item'), 'brief', v_t->>'brief',
            'params', coalesce(v_t->'params', '{}'), 'depends_on', to_jsonb(v_deps),
            'stage_id', v_stage, 'project_id', p.id, 'created_by', coalesce(p.template, 'coordinator')));
        IF cardinality((SELECT waiting_on FROM redkey.tasks WHERE id = v_task)) = 0 THEN
            PERFORM redkey.work_post_available(v_task);
        END IF;
        v_ids := v_ids || v_task;
    END LOOP;
    RETURN v_stage;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tasks (replaces the function of the task queue: the same transitions, plus dependencies, cascaded
-- holds with exact resume, stop requests for claimed tasks, and replacements).
CREATE OR REPLACE FUNCTION redkey.apply_task_message(p_seq bigint, p_topic text, p_type text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t redkey.tasks%ROWTYPE;
    v_agent text := p_payload->>'agent';
    v_client text := p_payload->>'client_id';
    v_deps text[];
    v_phase text := p_payload->>'phase_id';
    v_stage text := p_payload->>'stage_id';
    v_project text := p_payload->>'project_id';
    v_status text;
    v_wait text[] := '{}';
    v_held bigint := (p_payload->>'held_by')::bigint;
BEGIN
    IF p_type = 'task.created' THEN
        v_deps := coalesce(ARRAY(SELECT jsonb_array_elements_text(p_payload->'depends_on')), '{}');
        IF v_phase IS NOT NULL THEN
            SELECT stage_id, project_id, status, waiting_on INTO v_stage, v_project, v_status, v_wait
            FROM redkey.phases WHERE id = v_phase AND client_id = v_client;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'phase % is not a phase of this client', v_phase USING ERRCODE = 'RKT04';
            END IF;
            IF v_status NOT IN ('pending', 'active') THEN
                RAISE EXCEPTION 'phase % is %, it takes no new tasks', v_phase, v_status USING ERRCODE = 'RKT09';
            END IF;
        END IF;
        IF v_stage IS NOT NULL THEN
            SELECT project_id, status INTO v_project, v_status FROM redkey.stages WHERE id = v_stage AND client_id = v_client;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'stage % is not a stage of this client', v_stage USING ERRCODE = 'RKT04';
            END IF;
            IF v_status <> 'active' THEN
                RAISE EXCEPTION 'stage % is %, it takes no new tasks', v_stage, v_status USING ERRCODE = 'RKT09';
            END IF;
        ELSIF v_project IS NOT NULL THEN
            SELECT status INTO v_status FROM redkey.projects WHERE id = v_project AND client_id = v_client;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'project % is not a project of this client', v_project USING ERRCODE = 'RKT04';
            END IF;
            IF v_status <> 'active' THEN
                RAISE EXCEPTION 'project % is %, it takes no new tasks', v_project, v_status USING ERRCODE = 'RKT09';
            END IF;
        END IF;
        PERFORM redkey.work_check_deps(p_topic, v_client, v_deps);
        v_wait := ARRAY(SELECT DISTINCT x FROM unnest(redkey.work_unmet(v_deps) || coalesce(v_wait, '{}')) x ORDER BY x);
        INSERT INTO redkey.tasks (id, client_id, role, task_type, brief, params, depends_on, waiting_on, created_by,
                                  phase_id, stage_id, project_id, status, last_log_seq)
        VALUES (p_topic, v_client, coalesce(p_payload->>'role', 'roles.crm'), p_payload->>'task_type',
                p_payload->>'brief', coalesce(p_payload->'params', '{}'::jsonb), v_deps, v_wait,
                p_payload->>'created_by', v_phase, v_stage, v_project, 'created', p_seq);
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
        IF cardinality(t.waiting_on) > 0 THEN
            RAISE EXCEPTION 'task % waits for %, it cannot be claimed', p_topic, array_to_string(t.waiting_on, ', ')
                USING ERRCODE = 'RKT09';
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
        IF t.stop_seq IS NOT NULL THEN  -- held with its project/stage/phase: told to stop now
            PERFORM redkey.work_append(p_topic, 'task.on_hold', jsonb_build_object(
                'reason', t.status_reason, 'held_by', t.stop_seq, 'via', t.held_via, 'by', 'engine'));
        END IF;
    ELSIF p_type IN ('task.complete', 'task.blocked') THEN
        IF t.status <> 'in_progress' OR t.agent IS DISTINCT FROM v_agent
           OR t.attempts <> (p_payload->>'attempt')::int THEN
            RAISE EXCEPTION 'task % is no longer held by %', p_topic, v_agent USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = CASE WHEN p_type = 'task.complete' THEN 'complete' ELSE 'blocked' END,
               output = p_payload->'output', output_ref = p_payload->>'output_ref',
               cost_usd = coalesce((p_payload->>'cost_usd')::numeric, 0),
               duration_seconds = (p_payload->>'duration_seconds')::int,
               lease_until = NULL, stop_seq = NULL, held_via = NULL, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        IF p_type = 'task.complete' THEN
            PERFORM redkey.work_release(p_topic);
            PERFORM redkey.work_check_done(t.phase_id, t.stage_id);
        END IF;
    ELSIF p_type = 'task.stop_requested' THEN
        IF t.status NOT IN ('claimed', 'in_progress') THEN
            RAISE EXCEPTION 'task % is %, there is no running task to stop', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET stop_seq = coalesce(v_held, p_seq), held_via = coalesce(p_payload->>'via', p_topic),
               status_reason = p_payload->>'reason', last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.on_hold' THEN
        IF t.status NOT IN ('created', 'assigned', 'claimed', 'in_progress') THEN
            RAISE EXCEPTION 'task % is %, it cannot be put on hold', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'on_hold', agent = NULL, lease_until = NULL, stop_seq = NULL,
               hold_seq = coalesce(v_held, p_seq), held_via = coalesce(p_payload->>'via', p_topic),
               status_reason = p_payload->>'reason', last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.resumed' THEN
        IF v_held IS NOT NULL AND t.stop_seq = v_held AND t.status IN ('claimed', 'in_progress') THEN
            -- the hold it was to stop for was lifted before its next heartbeat: it keeps running
            UPDATE redkey.tasks SET stop_seq = NULL, held_via = NULL, status_reason = NULL, last_log_seq = p_seq,
                   updated_at = now() WHERE id = p_topic;
            RETURN;
        END IF;
        IF t.status NOT IN ('on_hold', 'blocked') THEN
            RAISE EXCEPTION 'task % is %, only a held or blocked task can be resumed', p_topic, t.status
                USING ERRCODE = 'RKT09';
        END IF;
        IF t.status = 'on_hold' AND v_held IS NULL AND t.held_via IS DISTINCT FROM p_topic AND t.held_via IS NOT NULL THEN
            RAISE EXCEPTION 'task % is held with %; resume that', p_topic, t.held_via USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NOT NULL AND t.hold_seq IS DISTINCT FROM v_held THEN
            RAISE EXCEPTION 'task % is not held by that hold', p_topic USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.tasks SET status = 'created', agent = NULL, lease_until = NULL, hold_seq = NULL,
               held_via = NULL, status_reason = NULL, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'task.cancelled' THEN
        IF t.status IN ('complete', 'cancelled') THEN
            RAISE EXCEPTION 'task % is already %', p_topic, t.status USING ERRCODE = 'RKT09';
        END IF;
        IF p_payload->>'replaced_by' IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM redkey.tasks WHERE id = p_payload->>'replaced_by' AND client_id = t.client_id
                                            AND id <> p_topic) THEN
            RAISE EXCEPTION 'replacement % is not another task of this client', p_payload->>'replaced_by'
                USING ERRCODE = 'RKT04';
        END IF;
        UPDATE redkey.tasks SET status = 'cancelled', agent = NULL, lease_until = NULL, stop_seq = NULL,
               status_reason = p_payload->>'reason', replaced_by = p_payload->>'replaced_by', last_log_seq = p_seq,
               updated_at = now()
        WHERE id = p_topic;
        IF p_payload->>'replaced_by' IS NOT NULL THEN
            PERFORM redkey.work_rewire(p_topic, p_payload->>'replaced_by');
        END IF;
        PERFORM redkey.work_check_done(t.phase_id, t.stage_id);
    ELSE
        RAISE EXCEPTION 'unknown task message type %', p_type USING ERRCODE = 'RKT22';
    END IF;
END
$$;
