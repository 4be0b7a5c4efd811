-- The structure above tasks: projects, stages and phases, each keyed by its topic id, beside redkey.tasks.
--
-- As for tasks, the topic log is the source and these tables are current state: every change is a
-- message on the entity's own topic, and the listener (redkey.topic_log_listener) applies it in the same
-- transaction. A message whose transition is not allowed is refused together with its log entry.
-- Derived steps the engine takes (a hold cascading to a stage's tasks, a phase completing with its last
-- task, the next stage starting) are themselves messages appended by the listener, so the log of every
-- entity says everything that happened to it.
--
-- Stage types and project templates are definitions: messages on the `definitions` topic, applied to
-- redkey.stage_types / redkey.project_templates (deployment-wide with no client, or a client's own).

-- ---------------------------------------------------------------------------------------------
-- Definitions
CREATE TABLE IF NOT EXISTS redkey.stage_types (
    client_id   text REFERENCES redkey.clients (client_id),   -- NULL: every client of the deployment
    stage_type  text NOT NULL CHECK (stage_type ~ '^[a-z][a-z0-9_]*$'),
    family      text NOT NULL DEFAULT 'custom',
    steps       jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(steps) = 'array'),
    defined_seq bigint,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS stage_types_key ON redkey.stage_types (coalesce(client_id, ''), stage_type);

CREATE TABLE IF NOT EXISTS redkey.project_templates (
    client_id      text REFERENCES redkey.clients (client_id),
    template       text NOT NULL CHECK (template ~ '^[a-z][a-z0-9_]*$'),
    title          text NOT NULL,
    stage_sequence jsonb NOT NULL CHECK (jsonb_typeof(stage_sequence) = 'array' AND jsonb_array_length(stage_sequence) > 0),
    defined_seq    bigint,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS project_templates_key ON redkey.project_templates (coalesce(client_id, ''), template);

-- Which deal stage counts as won for a client, and which template a won deal proposes.
CREATE TABLE IF NOT EXISTS redkey.deal_won_rules (
    client_id   text PRIMARY KEY REFERENCES redkey.clients (client_id),
    stage_id    text NOT NULL,
    template    text NOT NULL,
    defined_seq bigint,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Entities. hold_seq is the log seq of the control message whose hold this entity is under (the root of
-- a cascade), held_via the topic that root message was on: resume restores exactly what that hold paused.
CREATE TABLE IF NOT EXISTS redkey.projects (
    id              text PRIMARY KEY REFERENCES redkey.topics (topic_id),
    client_id       text NOT NULL REFERENCES redkey.clients (client_id),
    title           text NOT NULL CHECK (btrim(title) <> ''),
    brief           text,
    status          text NOT NULL CHECK (status IN ('active', 'on_hold', 'deferred', 'cancelled', 'complete')),
    active_stage_id text,
    stage_sequence  jsonb NOT NULL DEFAULT '[]'::jsonb,
    template        text,
    deal_id         uuid,
    company_id      uuid,
    status_reason   text,
    revisit_date    date,
    replaced_by     text,
    hold_seq        bigint,
    created_by      text,
    last_log_seq    bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS projects_client_idx ON redkey.projects (client_id, created_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS projects_one_per_deal ON redkey.projects (client_id, deal_id)
    WHERE deal_id IS NOT NULL AND status <> 'cancelled';

CREATE TABLE IF NOT EXISTS redkey.stages (
    id            text PRIMARY KEY REFERENCES redkey.topics (topic_id),
    project_id    text NOT NULL REFERENCES redkey.projects (id),
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    stage_type    text NOT NULL,
    title         text,
    status        text NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'superseded', 'complete')),
    position      integer NOT NULL DEFAULT 0,
    current_step  integer NOT NULL DEFAULT 0,
    steps         jsonb NOT NULL DEFAULT '[]'::jsonb,
    output_ref    text,
    status_reason text,
    replaced_by   text,
    hold_seq      bigint,
    held_via      text,
    last_log_seq  bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stages_project_idx ON redkey.stages (project_id, position, created_at);

CREATE TABLE IF NOT EXISTS redkey.phases (
    id            text PRIMARY KEY REFERENCES redkey.topics (topic_id),
    stage_id      text NOT NULL REFERENCES redkey.stages (id),
    project_id    text,
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    name          text NOT NULL CHECK (btrim(name) <> ''),
    status        text NOT NULL CHECK (status IN ('pending', 'active', 'on_hold', 'cancelled', 'complete')),
    depends_on    text[] NOT NULL DEFAULT '{}',
    waiting_on    text[] NOT NULL DEFAULT '{}',   -- depends_on not complete yet
    status_reason text,
    replaced_by   text,
    held_from     text,
    hold_seq      bigint,
    held_via      text,
    last_log_seq  bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS phases_stage_idx ON redkey.phases (stage_id, created_at);
CREATE INDEX IF NOT EXISTS phases_waiting_idx ON redkey.phases USING gin (waiting_on);

ALTER TABLE redkey.tasks ADD COLUMN IF NOT EXISTS waiting_on text[] NOT NULL DEFAULT '{}';
ALTER TABLE redkey.tasks ADD COLUMN IF NOT EXISTS hold_seq bigint;
ALTER TABLE redkey.tasks ADD COLUMN IF NOT EXISTS held_via text;
ALTER TABLE redkey.tasks ADD COLUMN IF NOT EXISTS stop_seq bigint;      -- a hold waiting for the next heartbeat
ALTER TABLE redkey.tasks ADD COLUMN IF NOT EXISTS status_reason text;
CREATE INDEX IF NOT EXISTS tasks_waiting_idx ON redkey.tasks USING gin (waiting_on);
CREATE INDEX IF NOT EXISTS tasks_stage_idx ON redkey.tasks (stage_id) WHERE stage_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_phase_idx ON redkey.tasks (phase_id) WHERE phase_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_project_idx ON redkey.tasks (project_id) WHERE project_id IS NOT NULL;

-- Held to the session's client like the other RedKey tables (the owner scopes its own statements).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'stages', 'phases', 'deal_won_rules'] LOOP
        EXECUTE format('ALTER TABLE redkey.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS scoped ON redkey.%I', t);
        EXECUTE format('CREATE POLICY scoped ON redkey.%I USING (client_id = redkey.current_client_id())'
                       ' WITH CHECK (client_id = redkey.current_client_id())', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['stage_types', 'project_templates'] LOOP
        EXECUTE format('ALTER TABLE redkey.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS scoped ON redkey.%I', t);
        EXECUTE format('CREATE POLICY scoped ON redkey.%I USING (client_id IS NULL OR client_id = redkey.current_client_id())'
                       ' WITH CHECK (client_id = redkey.current_client_id())', t);
    END LOOP;
END
$$;
GRANT SELECT ON redkey.projects, redkey.stages, redkey.phases, redkey.stage_types, redkey.project_templates,
    redkey.deal_won_rules TO redkey_readonly, redkey_operational, redkey_strategic;

-- The topic log carries each message's client (RLS on the log): an entity topic's messages belong to
-- the entity's client, other topics' messages to the client their payload names.
ALTER TABLE redkey.topic_log ADD COLUMN IF NOT EXISTS client_id text REFERENCES redkey.clients (client_id);

CREATE OR REPLACE FUNCTION redkey.topic_log_client() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.client_id := coalesce(
        (SELECT t.client_id FROM redkey.tasks t WHERE t.id = NEW.topic_id),
        (SELECT p.client_id FROM redkey.projects p WHERE p.id = NEW.topic_id),
        (SELECT s.client_id FROM redkey.stages s WHERE s.id = NEW.topic_id),
        (SELECT f.client_id FROM redkey.phases f WHERE f.id = NEW.topic_id),
        nullif(NEW.payload ->> 'client_id', ''));
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS topic_log_client ON redkey.topic_log;
CREATE TRIGGER topic_log_client BEFORE INSERT ON redkey.topic_log
    FOR EACH ROW EXECUTE FUNCTION redkey.topic_log_client();

-- ---------------------------------------------------------------------------------------------
-- Helpers
CREATE OR REPLACE FUNCTION redkey.work_append(p_topic text, p_type text, p_payload jsonb) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO redkey.topic_log (topic_id, message_type, payload) VALUES (p_topic, p_type, p_payload) RETURNING seq
$$;

CREATE OR REPLACE FUNCTION redkey.work_status(p_id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT status FROM redkey.tasks WHERE id = p_id),
                    (SELECT status FROM redkey.phases WHERE id = p_id))
$$;

-- Refuse dependencies that are unknown, of another client, or that would close a cycle through p_id.
CREATE OR REPLACE FUNCTION redkey.work_check_deps(p_id text, p_client text, p_deps text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_dep text;
    v_cycle text;
BEGIN
    FOREACH v_dep IN ARRAY coalesce(p_deps, '{}') LOOP
        IF v_dep = p_id THEN
            RAISE EXCEPTION '% cannot depend on itself', p_id USING ERRCODE = 'RKT22';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM redkey.tasks WHERE id = v_dep AND client_id = p_client)
           AND NOT EXISTS (SELECT 1 FROM redkey.phases WHERE id = v_dep AND client_id = p_client) THEN
            RAISE EXCEPTION 'dependency % is not a task or phase of this client', v_dep USING ERRCODE = 'RKT04';
        END IF;
    END LOOP;
    WITH RECURSIVE reach(id, path) AS (
        SELECT d, ARRAY[p_id, d] FROM unnest(coalesce(p_deps, '{}')) AS d
        UNION ALL
        SELECT n.dep, r.path || n.dep
        FROM reach r
        JOIN LATERAL (SELECT unnest(depends_on) AS dep FROM redkey.tasks WHERE id = r.id
                      UNION ALL SELECT unnest(depends_on) FROM redkey.phases WHERE id = r.id) n ON true
        WHERE NOT n.dep = ANY(r.path[2:]) AND r.id <> p_id
    )
    SELECT array_to_string(path, ' -> ') INTO v_cycle FROM reach WHERE id = p_id LIMIT 1;
    IF v_cycle IS NOT NULL THEN
        RAISE EXCEPTION 'dependency cycle: %', v_cycle USING ERRCODE = 'RKT22';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION redkey.work_unmet(p_deps text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d ORDER BY d), '{}') FROM unnest(coalesce(p_deps, '{}')) AS d
    WHERE redkey.work_status(d) IS DISTINCT FROM 'complete'
$$;

-- A stage's step snapshot from its type's definition (the client's own first).
CREATE OR REPLACE FUNCTION redkey.stage_type_steps(p_client text, p_type text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT steps FROM redkey.stage_types WHERE stage_type = p_type AND (client_id = p_client OR client_id IS NULL)
    ORDER BY client_id NULLS LAST LIMIT 1
$$;
