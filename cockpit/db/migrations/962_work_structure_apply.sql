-- Applying project, stage, phase and definition messages; the listener that dispatches every message.

CREATE OR REPLACE FUNCTION redkey.apply_project_message(p_seq bigint, p_topic text, p_type text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p redkey.projects%ROWTYPE;
    v_reason text := p_payload->>'reason';
    r record;
BEGIN
    IF p_type = 'project.created' THEN
        IF coalesce(btrim(p_payload->>'title'), '') = '' THEN
            RAISE EXCEPTION 'a project needs a title' USING ERRCODE = 'RKT22';
        END IF;
        INSERT INTO redkey.projects (id, client_id, title, brief, status, stage_sequence, template, deal_id, company_id,
                                     created_by, last_log_seq)
        VALUES (p_topic, p_payload->>'client_id', p_payload->>'title', p_payload->>'brief', 'active',
                coalesce(p_payload->'stage_sequence', '[]'), p_payload->>'template', (p_payload->>'deal_id')::uuid,
                (p_payload->>'company_id')::uuid, p_payload->>'created_by', p_seq);
        IF jsonb_array_length(coalesce(p_payload->'stage_sequence', '[]')) > 0
           AND coalesce((p_payload->>'start')::boolean, true) THEN
            PERFORM redkey.work_start_stage(p_topic, 0);
        END IF;
        RETURN;
    END IF;

    SELECT * INTO p FROM redkey.projects WHERE id = p_topic FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project % does not exist', p_topic USING ERRCODE = 'RKT04';
    END IF;

    IF p_type = 'project.stage_changed' THEN
        IF p.status <> 'active' THEN
            RAISE EXCEPTION 'project % is %, its stage cannot change', p_topic, p.status USING ERRCODE = 'RKT09';
        END IF;
        IF (p_payload->>'from_stage') IS DISTINCT FROM p.active_stage_id THEN
            RAISE EXCEPTION 'project %''s active stage is %, not %', p_topic, coalesce(p.active_stage_id, 'none'),
                coalesce(p_payload->>'from_stage', 'none') USING ERRCODE = 'RKT09';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM redkey.stages WHERE id = p_payload->>'to_stage' AND project_id = p_topic
                                                    AND status = 'active') THEN
            RAISE EXCEPTION 'stage % is not an active stage of project %', p_payload->>'to_stage', p_topic
                USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.projects SET active_stage_id = p_payload->>'to_stage', last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type IN ('project.on_hold', 'project.deferred') THEN
        IF NOT (p.status = 'active' OR (p_type = 'project.deferred' AND p.status = 'on_hold')) THEN
            RAISE EXCEPTION 'project % is %, it cannot be %', p_topic, p.status,
                CASE WHEN p_type = 'project.deferred' THEN 'deferred' ELSE 'put on hold' END USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.projects SET status = CASE WHEN p_type = 'project.deferred' THEN 'deferred' ELSE 'on_hold' END,
               status_reason = v_reason, revisit_date = (p_payload->>'revisit_date')::date,
               hold_seq = coalesce(hold_seq, p_seq), last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        IF p.status = 'active' THEN
            FOR r IN SELECT id FROM redkey.stages WHERE project_id = p_topic AND status = 'active'
                     ORDER BY position, created_at LOOP
                PERFORM redkey.work_append(r.id, 'stage.on_hold', jsonb_build_object(
                    'reason', v_reason, 'held_by', p_seq, 'via', p_topic, 'by', 'engine'));
            END LOOP;
            PERFORM redkey.work_hold_tasks('project_id = $1 AND stage_id IS NULL', p_topic, p_seq, p_topic, v_reason);
        END IF;
    ELSIF p_type = 'project.resumed' THEN
        IF p.status NOT IN ('on_hold', 'deferred') THEN
            RAISE EXCEPTION 'project % is %, only a held or deferred project can be resumed', p_topic, p.status
                USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.projects SET status = 'active', status_reason = NULL, revisit_date = NULL, hold_seq = NULL,
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        FOR r IN SELECT id FROM redkey.stages WHERE project_id = p_topic AND status = 'paused' AND hold_seq = p.hold_seq
                 ORDER BY position, created_at LOOP
            PERFORM redkey.work_append(r.id, 'stage.resumed', jsonb_build_object('held_by', p.hold_seq, 'by', 'engine'));
        END LOOP;
        PERFORM redkey.work_resume_tasks('project_id = $1 AND stage_id IS NULL', p_topic, p.hold_seq);
    ELSIF p_type = 'project.cancelled' THEN
        IF p.status IN ('cancelled', 'complete') THEN
            RAISE EXCEPTION 'project % is already %', p_topic, p.status USING ERRCODE = 'RKT09';
        END IF;
        IF p_payload->>'replaced_by' IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM redkey.projects WHERE id = p_payload->>'replaced_by' AND client_id = p.client_id
                                               AND id <> p_topic) THEN
            RAISE EXCEPTION 'replacement % is not another project of this client', p_payload->>'replaced_by'
                USING ERRCODE = 'RKT04';
        END IF;
        UPDATE redkey.projects SET status = 'cancelled', status_reason = v_reason, replaced_by = p_payload->>'replaced_by',
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        FOR r IN SELECT id FROM redkey.stages WHERE project_id = p_topic AND status IN ('active', 'paused')
                 ORDER BY position, created_at LOOP
            PERFORM redkey.work_append(r.id, 'stage.cancelled', jsonb_build_object('reason', v_reason, 'by', 'engine'));
        END LOOP;
        PERFORM redkey.work_cancel_tasks('project_id = $1 AND stage_id IS NULL', p_topic, v_reason);
    ELSIF p_type = 'project.complete' THEN
        IF p.status <> 'active' THEN
            RAISE EXCEPTION 'project % is %, it cannot complete', p_topic, p.status USING ERRCODE = 'RKT09';
        END IF;
        IF EXISTS (SELECT 1 FROM redkey.stages WHERE project_id = p_topic AND status IN ('active', 'paused'))
           OR EXISTS (SELECT 1 FROM redkey.tasks WHERE project_id = p_topic AND stage_id IS NULL
                                                  AND status NOT IN ('complete', 'cancelled')) THEN
            RAISE EXCEPTION 'project % still has open stages or tasks', p_topic USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.projects SET status = 'complete', last_log_seq = p_seq, updated_at = now() WHERE id = p_topic;
    ELSE
        RAISE EXCEPTION 'unknown project message type %', p_type USING ERRCODE = 'RKT22';
    END IF;
END
$$;

-- The project moves on after its active stage completed: to a stage already waiting, the next one of
-- its sequence, or it is complete.
CREATE OR REPLACE FUNCTION redkey.work_advance_project(p_project text, p_done_stage text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p redkey.projects%ROWTYPE;
    v_next text;
    v_pos integer;
BEGIN
    SELECT * INTO p FROM redkey.projects WHERE id = p_project;
    IF p.status <> 'active' OR p.active_stage_id IS DISTINCT FROM p_done_stage THEN
        RETURN;
    END IF;
    SELECT id INTO v_next FROM redkey.stages WHERE project_id = p_project AND status = 'active' AND id <> p_done_stage
    ORDER BY position, created_at LIMIT 1;
    IF v_next IS NOT NULL THEN
        PERFORM redkey.work_append(p_project, 'project.stage_changed', jsonb_build_object(
            'from_stage', p_done_stage, 'to_stage', v_next, 'by', 'engine'));
        RETURN;
    END IF;
    SELECT position + 1 INTO v_pos FROM redkey.stages WHERE id = p_done_stage;
    IF v_pos < jsonb_array_length(p.stage_sequence) THEN
        PERFORM redkey.work_start_stage(p_project, v_pos);  -- its stage.created moves the project on
    ELSE
        PERFORM redkey.work_append(p_project, 'project.complete', '{"by": "engine"}');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION redkey.apply_stage_message(p_seq bigint, p_topic text, p_type text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s redkey.stages%ROWTYPE;
    p redkey.projects%ROWTYPE;
    v_client text := p_payload->>'client_id';
    v_reason text := p_payload->>'reason';
    v_held bigint := (p_payload->>'held_by')::bigint;
    v_steps jsonb;
    v_to integer;
    r record;
BEGIN
    IF p_type = 'stage.created' THEN
        SELECT * INTO p FROM redkey.projects WHERE id = p_payload->>'project_id' AND client_id = v_client FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'project % is not a project of this client', p_payload->>'project_id' USING ERRCODE = 'RKT04';
        END IF;
        IF p.status <> 'active' THEN
            RAISE EXCEPTION 'project % is %, it takes no new stages', p.id, p.status USING ERRCODE = 'RKT09';
        END IF;
        v_steps := coalesce(nullif(p_payload->'step_snapshot', 'null'::jsonb),
                            redkey.stage_type_steps(v_client, p_payload->>'stage_type'));
        IF v_steps IS NULL THEN
            RAISE EXCEPTION 'stage type % is not defined for this client', p_payload->>'stage_type'
                USING ERRCODE = 'RKT22', HINT = 'publish a definition.stage_type message on the definitions topic';
        END IF;
        INSERT INTO redkey.stages (id, project_id, client_id, stage_type, title, status, position, steps, last_log_seq)
        VALUES (p_topic, p.id, v_client, p_payload->>'stage_type', p_payload->>'title', 'active',
                coalesce((p_payload->>'position')::int,
                         (SELECT coalesce(max(position) + 1, 0) FROM redkey.stages WHERE project_id = p.id)),
                v_steps, p_seq);
        IF p.active_stage_id IS NULL OR NOT EXISTS (
               SELECT 1 FROM redkey.stages WHERE id = p.active_stage_id AND status IN ('active', 'paused')) THEN
            PERFORM redkey.work_append(p.id, 'project.stage_changed', jsonb_build_object(
                'from_stage', p.active_stage_id, 'to_stage', p_topic, 'by', 'engine'));
        END IF;
        RETURN;
    END IF;

    SELECT * INTO s FROM redkey.stages WHERE id = p_topic FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stage % does not exist', p_topic USING ERRCODE = 'RKT04';
    END IF;

    IF p_type = 'stage.transition' THEN
        v_to := (p_payload->>'to_step')::int;
        IF s.status <> 'active' THEN
            RAISE EXCEPTION 'stage % is %, its steps cannot move', p_topic, s.status USING ERRCODE = 'RKT09';
        END IF;
        IF (p_payload->>'from_step')::int IS DISTINCT FROM s.current_step THEN
            RAISE EXCEPTION 'stage % is at step %, not %', p_topic, s.current_step, p_payload->>'from_step'
                USING ERRCODE = 'RKT09';
        END IF;
        IF v_to IS NULL OR v_to < 0 OR v_to >= jsonb_array_length(s.steps) THEN
            RAISE EXCEPTION 'stage % has no step %', p_topic, coalesce(v_to::text, 'given') USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.stages SET current_step = v_to, output_ref = coalesce(p_payload->>'output_ref', output_ref),
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
    ELSIF p_type = 'stage.on_hold' THEN
        IF s.status <> 'active' THEN
            RAISE EXCEPTION 'stage % is %, it cannot be put on hold', p_topic, s.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.stages SET status = 'paused', status_reason = v_reason, hold_seq = coalesce(v_held, p_seq),
               held_via = coalesce(p_payload->>'via', p_topic), last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        FOR r IN SELECT id FROM redkey.phases WHERE stage_id = p_topic AND status IN ('pending', 'active')
                 ORDER BY created_at, id LOOP
            PERFORM redkey.work_append(r.id, 'phase.on_hold', jsonb_build_object(
                'reason', v_reason, 'held_by', coalesce(v_held, p_seq), 'via', coalesce(p_payload->>'via', p_topic),
                'by', 'engine'));
        END LOOP;
        PERFORM redkey.work_hold_tasks('stage_id = $1 AND phase_id IS NULL', p_topic, coalesce(v_held, p_seq),
                                       coalesce(p_payload->>'via', p_topic), v_reason);
    ELSIF p_type = 'stage.resumed' THEN
        IF s.status <> 'paused' THEN
            RAISE EXCEPTION 'stage % is %, only a paused stage can be resumed', p_topic, s.status USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NULL AND s.held_via IS DISTINCT FROM p_topic THEN
            RAISE EXCEPTION 'stage % is held with %; resume that', p_topic, s.held_via USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NOT NULL AND v_held IS DISTINCT FROM s.hold_seq THEN
            RAISE EXCEPTION 'stage % is not held by that hold', p_topic USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NULL AND EXISTS (SELECT 1 FROM redkey.projects WHERE id = s.project_id AND status <> 'active') THEN
            RAISE EXCEPTION 'project % is not active; resume it first', s.project_id USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.stages SET status = 'active', status_reason = NULL, hold_seq = NULL, held_via = NULL,
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        FOR r IN SELECT id FROM redkey.phases WHERE stage_id = p_topic AND status = 'on_hold' AND hold_seq = s.hold_seq
                 ORDER BY created_at, id LOOP
            PERFORM redkey.work_append(r.id, 'phase.resumed', jsonb_build_object('held_by', s.hold_seq, 'by', 'engine'));
        END LOOP;
        PERFORM redkey.work_resume_tasks('stage_id = $1 AND phase_id IS NULL', p_topic, s.hold_seq);
    ELSIF p_type IN ('stage.cancelled', 'stage.superseded') THEN
        IF s.status NOT IN ('active', 'paused') THEN
            RAISE EXCEPTION 'stage % is already %', p_topic, s.status USING ERRCODE = 'RKT09';
        END IF;
        IF p_type = 'stage.superseded' AND p_payload->>'replaced_by' IS NULL THEN
            RAISE EXCEPTION 'superseding stage % needs replaced_by', p_topic USING ERRCODE = 'RKT22';
        END IF;
        IF p_payload->>'replaced_by' IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM redkey.stages WHERE id = p_payload->>'replaced_by' AND project_id = s.project_id
                                             AND status = 'active' AND id <> p_topic) THEN
            RAISE EXCEPTION 'replacement % is not another active stage of project %', p_payload->>'replaced_by',
                s.project_id USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.stages SET status = CASE WHEN p_type = 'stage.superseded' THEN 'superseded' ELSE 'cancelled' END,
               status_reason = coalesce(v_reason, CASE WHEN p_type = 'stage.superseded'
                                                       THEN 'superseded by ' || (p_payload->>'replaced_by') END),
               replaced_by = p_payload->>'replaced_by', hold_seq = NULL, held_via = NULL,
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        v_reason := coalesce(v_reason, 'stage ' || p_topic || ' ' || replace(p_type, 'stage.', ''));
        FOR r IN SELECT id FROM redkey.phases WHERE stage_id = p_topic AND status NOT IN ('complete', 'cancelled')
                 ORDER BY created_at, id LOOP
            PERFORM redkey.work_append(r.id, 'phase.cancelled', jsonb_build_object('reason', v_reason, 'by', 'engine'));
        END LOOP;
        PERFORM redkey.work_cancel_tasks('stage_id = $1', p_topic, v_reason);
        IF p_payload->>'replaced_by' IS NOT NULL
           AND EXISTS (SELECT 1 FROM redkey.projects WHERE id = s.project_id AND active_stage_id = p_topic
                                                      AND status = 'active') THEN
            PERFORM redkey.work_append(s.project_id, 'project.stage_changed', jsonb_build_object(
                'from_stage', p_topic, 'to_stage', p_payload->>'replaced_by', 'by', 'engine'));
        END IF;
    ELSIF p_type = 'stage.complete' THEN
        IF s.status <> 'active' THEN
            RAISE EXCEPTION 'stage % is %, it cannot complete', p_topic, s.status USING ERRCODE = 'RKT09';
        END IF;
        IF EXISTS (SELECT 1 FROM redkey.tasks WHERE stage_id = p_topic AND status NOT IN ('complete', 'cancelled'))
           OR EXISTS (SELECT 1 FROM redkey.phases WHERE stage_id = p_topic AND status NOT IN ('complete', 'cancelled')) THEN
            RAISE EXCEPTION 'stage % still has open phases or tasks', p_topic USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.stages SET status = 'complete', current_step = greatest(jsonb_array_length(steps) - 1, 0),
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        PERFORM redkey.work_advance_project(s.project_id, p_topic);
    ELSE
        RAISE EXCEPTION 'unknown stage message type %', p_type USING ERRCODE = 'RKT22';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION redkey.apply_phase_message(p_seq bigint, p_topic text, p_type text, p_payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f redkey.phases%ROWTYPE;
    s redkey.stages%ROWTYPE;
    v_client text := p_payload->>'client_id';
    v_reason text := p_payload->>'reason';
    v_held bigint := (p_payload->>'held_by')::bigint;
    v_deps text[];
    v_wait text[];
BEGIN
    IF p_type = 'phase.created' THEN
        SELECT * INTO s FROM redkey.stages WHERE id = p_payload->>'stage_id' AND client_id = v_client;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stage % is not a stage of this client', p_payload->>'stage_id' USING ERRCODE = 'RKT04';
        END IF;
        IF s.status <> 'active' THEN
            RAISE EXCEPTION 'stage % is %, it takes no new phases', s.id, s.status USING ERRCODE = 'RKT09';
        END IF;
        v_deps := coalesce(ARRAY(SELECT jsonb_array_elements_text(p_payload->'depends_on')), '{}');
        PERFORM redkey.work_check_deps(p_topic, v_client, v_deps);
        v_wait := redkey.work_unmet(v_deps);
        INSERT INTO redkey.phases (id, stage_id, project_id, client_id, name, status, depends_on, waiting_on, last_log_seq)
        VALUES (p_topic, s.id, s.project_id, v_client, p_payload->>'name', 'pending', v_deps, v_wait, p_seq);
        IF cardinality(v_wait) = 0 THEN
            PERFORM redkey.work_append(p_topic, 'phase.started', '{"by": "engine"}');
        END IF;
        RETURN;
    END IF;

    SELECT * INTO f FROM redkey.phases WHERE id = p_topic FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'phase % does not exist', p_topic USING ERRCODE = 'RKT04';
    END IF;

    IF p_type = 'phase.started' THEN
        IF f.status <> 'pending' THEN
            RAISE EXCEPTION 'phase % is %, it cannot start', p_topic, f.status USING ERRCODE = 'RKT09';
        END IF;
        IF cardinality(f.waiting_on) > 0 THEN
            RAISE EXCEPTION 'phase % waits for %', p_topic, array_to_string(f.waiting_on, ', ') USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.phases SET status = 'active', last_log_seq = p_seq, updated_at = now() WHERE id = p_topic;
    ELSIF p_type = 'phase.on_hold' THEN
        IF f.status NOT IN ('pending', 'active') THEN
            RAISE EXCEPTION 'phase % is %, it cannot be put on hold', p_topic, f.status USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.phases SET status = 'on_hold', held_from = f.status, status_reason = v_reason,
               hold_seq = coalesce(v_held, p_seq), held_via = coalesce(p_payload->>'via', p_topic),
               last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        PERFORM redkey.work_hold_tasks('phase_id = $1', p_topic, coalesce(v_held, p_seq),
                                       coalesce(p_payload->>'via', p_topic), v_reason);
    ELSIF p_type = 'phase.resumed' THEN
        IF f.status <> 'on_hold' THEN
            RAISE EXCEPTION 'phase % is %, only a held phase can be resumed', p_topic, f.status USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NULL AND f.held_via IS DISTINCT FROM p_topic THEN
            RAISE EXCEPTION 'phase % is held with %; resume that', p_topic, f.held_via USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NOT NULL AND v_held IS DISTINCT FROM f.hold_seq THEN
            RAISE EXCEPTION 'phase % is not held by that hold', p_topic USING ERRCODE = 'RKT09';
        END IF;
        IF v_held IS NULL AND EXISTS (SELECT 1 FROM redkey.stages WHERE id = f.stage_id AND status <> 'active') THEN
            RAISE EXCEPTION 'stage % is not active; resume it first', f.stage_id USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.phases SET status = f.held_from, held_from = NULL, status_reason = NULL, hold_seq = NULL,
               held_via = NULL, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        PERFORM redkey.work_resume_tasks('phase_id = $1', p_topic, f.hold_seq);
        IF f.held_from = 'pending' AND cardinality(f.waiting_on) = 0 THEN
            PERFORM redkey.work_append(p_topic, 'phase.started', '{"by": "engine"}');
        END IF;
    ELSIF p_type = 'phase.cancelled' THEN
        IF f.status IN ('complete', 'cancelled') THEN
            RAISE EXCEPTION 'phase % is already %', p_topic, f.status USING ERRCODE = 'RKT09';
        END IF;
        IF p_payload->>'replaced_by' IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM redkey.phases WHERE id = p_payload->>'replaced_by' AND client_id = f.client_id
                                             AND id <> p_topic) THEN
            RAISE EXCEPTION 'replacement % is not another phase of this client', p_payload->>'replaced_by'
                USING ERRCODE = 'RKT04';
        END IF;
        UPDATE redkey.phases SET status = 'cancelled', status_reason = v_reason, replaced_by = p_payload->>'replaced_by',
               hold_seq = NULL, held_via = NULL, last_log_seq = p_seq, updated_at = now()
        WHERE id = p_topic;
        PERFORM redkey.work_cancel_tasks('phase_id = $1', p_topic, coalesce(v_reason, 'phase ' || p_topic || ' cancelled'));
        IF p_payload->>'replaced_by' IS NOT NULL THEN
            PERFORM redkey.work_rewire(p_topic, p_payload->>'replaced_by');
        END IF;
        PERFORM redkey.work_check_done(NULL, f.stage_id);
    ELSIF p_type = 'phase.complete' THEN
        IF f.status <> 'active' THEN
            RAISE EXCEPTION 'phase % is %, it cannot complete', p_topic, f.status USING ERRCODE = 'RKT09';
        END IF;
        IF EXISTS (SELECT 1 FROM redkey.tasks WHERE phase_id = p_topic AND status NOT IN ('complete', 'cancelled')) THEN
            RAISE EXCEPTION 'phase % still has open tasks', p_topic USING ERRCODE = 'RKT09';
        END IF;
        UPDATE redkey.phases SET status = 'complete', last_log_seq = p_seq, updated_at = now() WHERE id = p_topic;
        PERFORM redkey.work_release(p_topic);
        PERFORM redkey.work_check_done(NULL, f.stage_id);
    ELSE
        RAISE EXCEPTION 'unknown phase message type %', p_type USING ERRCODE = 'RKT22';
    END IF;
END
$$;

-- Definitions: stage types, project templates and won-deal rules (no client_id: deployment-wide).
CREATE OR REPLACE FUNCTION redkey.apply_definition(p_seq bigint, p_type text, p_payload jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_client text := nullif(p_payload->>'client_id', '');
BEGIN
    IF p_type = 'definition.stage_type' THEN
        DELETE FROM redkey.stage_types WHERE stage_type = p_payload->>'stage_type' AND client_id IS NOT DISTINCT FROM v_client;
        INSERT INTO redkey.stage_types (client_id, stage_type, family, steps, defined_seq)
        VALUES (v_client, p_payload->>'stage_type', coalesce(p_payload->>'family', 'custom'),
                coalesce(p_payload->'steps', '[]'), p_seq);
    ELSIF p_type = 'definition.project_template' THEN
        DELETE FROM redkey.project_templates WHERE template = p_payload->>'template' AND client_id IS NOT DISTINCT FROM v_client;
        INSERT INTO redkey.project_templates (client_id, template, title, stage_sequence, defined_seq)
        VALUES (v_client, p_payload->>'template', coalesce(p_payload->>'title', p_payload->>'template'),
                p_payload->'stage_sequence', p_seq);
    ELSIF p_type = 'definition.deal_won' THEN
        IF v_client IS NULL THEN
            RAISE EXCEPTION 'a won-deal rule names its client' USING ERRCODE = 'RKT22';
        END IF;
        INSERT INTO redkey.deal_won_rules (client_id, stage_id, template, defined_seq)
        VALUES (v_client, p_payload->>'stage_id', p_payload->>'template', p_seq)
        ON CONFLICT (client_id) DO UPDATE SET stage_id = EXCLUDED.stage_id, template = EXCLUDED.template,
            defined_seq = EXCLUDED.defined_seq, updated_at = now();
    END IF;  -- other definitions (agents, roles) are kept on the topic only
END
$$;

-- The listener: every message is applied to the current state of its entity as it is appended.
CREATE OR REPLACE FUNCTION redkey.topic_log_listener() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_kind text;
    v_name text;
BEGIN
    SELECT kind, name INTO v_kind, v_name FROM redkey.topics WHERE topic_id = NEW.topic_id;
    IF v_kind IN ('project', 'stage', 'phase') AND split_part(NEW.message_type, '.', 1) <> v_kind THEN
        RAISE EXCEPTION '% is a % topic; % does not belong on it', NEW.topic_id, v_kind, NEW.message_type
            USING ERRCODE = 'RKT22';
    END IF;
    IF v_kind = 'task' AND NEW.message_type LIKE 'task.%' THEN
        PERFORM redkey.apply_task_message(NEW.seq, NEW.topic_id, NEW.message_type, NEW.payload);
    ELSIF v_kind = 'project' THEN
        PERFORM redkey.apply_project_message(NEW.seq, NEW.topic_id, NEW.message_type, NEW.payload);
    ELSIF v_kind = 'stage' THEN
        PERFORM redkey.apply_stage_message(NEW.seq, NEW.topic_id, NEW.message_type, NEW.payload);
    ELSIF v_kind = 'phase' THEN
        PERFORM redkey.apply_phase_message(NEW.seq, NEW.topic_id, NEW.message_type, NEW.payload);
    ELSIF v_name = 'definitions' AND NEW.message_type LIKE 'definition.%' THEN
        PERFORM redkey.apply_definition(NEW.seq, NEW.message_type, NEW.payload);
    END IF;
    RETURN NEW;
END
$$;

-- The deployment's stage types (the four families), and the onboarding template a won deal proposes.
INSERT INTO redkey.topic_log (topic_id, message_type, payload)
SELECT redkey.new_topic('static', 'definitions'), 'definition.stage_type',
       jsonb_build_object('stage_type', st, 'family', fam, 'steps', to_jsonb(steps))
FROM (VALUES
    ('engineering', 'design', ARRAY['brief', 'draft', 'review']),
    ('engineering', 'architect', ARRAY['survey', 'decide', 'record']),
    ('engineering', 'planning', ARRAY['scope', 'sequence', 'agree']),
    ('engineering', 'build', ARRAY['spec', 'build', 'review']),
    ('engineering', 'break_fix', ARRAY['reproduce', 'fix', 'verify']),
    ('engineering', 'release', ARRAY['prepare', 'ship', 'verify']),
    ('engineering', 'feature', ARRAY['spec', 'build', 'review', 'ship']),
    ('engineering', 'maintenance', ARRAY['triage', 'fix', 'verify']),
    ('sales', 'prospect', ARRAY['research', 'reach_out']),
    ('sales', 'qualify', ARRAY['discovery', 'fit']),
    ('sales', 'demo', ARRAY['prepare', 'present', 'follow_up']),
    ('sales', 'proposal', ARRAY['draft', 'send']),
    ('sales', 'negotiate', ARRAY['terms', 'agree']),
    ('sales', 'close', ARRAY['contract', 'sign']),
    ('sales', 'onboard', ARRAY['kickoff', 'access', 'welcome']),
    ('marketing', 'strategy', ARRAY['research', 'plan']),
    ('marketing', 'brief', ARRAY['draft', 'agree']),
    ('marketing', 'produce', ARRAY['draft', 'edit']),
    ('marketing', 'review', ARRAY['review', 'approve']),
    ('marketing', 'publish', ARRAY['schedule', 'publish']),
    ('marketing', 'analyze', ARRAY['measure', 'report']),
    ('finance', 'collect', ARRAY['invoice', 'chase']),
    ('finance', 'reconcile', ARRAY['match', 'resolve']),
    ('finance', 'review', ARRAY['check', 'sign_off']),
    ('finance', 'approve', ARRAY['approve']),
    ('finance', 'file', ARRAY['prepare', 'file']),
    ('finance', 'report', ARRAY['compile', 'send'])
) AS d (fam, st, steps)
WHERE NOT EXISTS (SELECT 1 FROM redkey.stage_types x WHERE x.client_id IS NULL AND x.stage_type = d.st);

INSERT INTO redkey.topic_log (topic_id, message_type, payload)
SELECT redkey.new_topic('static', 'definitions'), 'definition.project_template', jsonb_build_object(
    'template', 'onboarding', 'title', 'Onboarding',
    'stage_sequence', jsonb_build_array(
        jsonb_build_object('stage_type', 'onboard', 'title', 'Onboard', 'tasks', jsonb_build_array(
            jsonb_build_object('role', 'roles.coordinator', 'task_type', 'work_item', 'brief', 'Hold the kickoff call and agree the goals'),
            jsonb_build_object('role', 'roles.coordinator', 'task_type', 'work_item', 'brief', 'Collect system access and contacts', 'after', jsonb_build_array(0)))),
        jsonb_build_object('stage_type', 'build', 'title', 'Build', 'tasks', jsonb_build_array(
            jsonb_build_object('role', 'roles.coordinator', 'task_type', 'work_item', 'brief', 'Build what was agreed at kickoff'))),
        jsonb_build_object('stage_type', 'review', 'title', 'Review', 'tasks', jsonb_build_array(
            jsonb_build_object('role', 'roles.coordinator', 'task_type', 'work_item', 'brief', 'Review the result with the client')))))
WHERE NOT EXISTS (SELECT 1 FROM redkey.project_templates WHERE client_id IS NULL AND template = 'onboarding');

-- A won deal's project is proposed through the approvals queue.
ALTER TABLE redkey.proposals DROP CONSTRAINT IF EXISTS proposals_kind_check;
ALTER TABLE redkey.proposals ADD CONSTRAINT proposals_kind_check
    CHECK (kind IN ('entity', 'merge', 'writeback', 'context', 'project'));
ALTER TABLE redkey.proposals DROP CONSTRAINT IF EXISTS proposals_entity_type_check;
ALTER TABLE redkey.proposals ADD CONSTRAINT proposals_entity_type_check
    CHECK (entity_type IN ('contact', 'company', 'deal', 'client_context', 'project'));
