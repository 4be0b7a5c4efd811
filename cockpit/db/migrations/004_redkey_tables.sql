-- RedKey's own tables that later features fill: sequences and enrollments (seed 000), the client context
-- and its history (seed 001), the schema cache (seed 001 + reference/schema.md), the topic registry,
-- topic log, tasks (seed 003) and Justin's exec inbox.

-- ---------------------------------------------------------------------------------------------
-- Sequences (seed 000: crm_sequences / crm_sequence_contacts, with client_id)
CREATE TABLE IF NOT EXISTS redkey.sequences (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    steps       jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(steps) = 'array'),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, name)
);

CREATE TABLE IF NOT EXISTS redkey.sequence_enrollments (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    sequence_id   uuid NOT NULL REFERENCES redkey.sequences (id) ON DELETE CASCADE,
    contact_id    uuid NOT NULL,
    current_step  integer NOT NULL DEFAULT 0 CHECK (current_step >= 0),
    next_due_at   timestamptz,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'complete', 'paused')),
    status_reason text,
    enrolled_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sequence_id, contact_id)
);
CREATE INDEX IF NOT EXISTS enrollments_due_idx
    ON redkey.sequence_enrollments (next_due_at) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS enrollments_contact_idx ON redkey.sequence_enrollments (client_id, contact_id);

-- ---------------------------------------------------------------------------------------------
-- Client context (seed 001): one canonical JSON per contact, plus every snapshot over time.
CREATE TABLE IF NOT EXISTS redkey.client_context (
    client_id        text NOT NULL REFERENCES redkey.clients (client_id),
    contact_id       uuid NOT NULL,
    context_json     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(context_json) = 'object'),
    last_updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, contact_id)
);

CREATE TABLE IF NOT EXISTS redkey.client_context_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    contact_id    uuid NOT NULL,
    context_json  jsonb NOT NULL,
    change_note   text,
    changed_by    text NOT NULL DEFAULT 'arlo',
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS context_history_contact_idx
    ON redkey.client_context_history (client_id, contact_id, recorded_at DESC);

-- ---------------------------------------------------------------------------------------------
-- Schema cache (seed 001 "system_schema_cache", with what reference/schema.md recommends).
-- One row per (table, column, FK membership): a column in two FKs has two rows; a table without
-- columns still has one row with column_name NULL.
CREATE TABLE IF NOT EXISTS redkey.system_schema_cache (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_oid          oid NOT NULL,
    schema_name        text NOT NULL,
    table_name         text NOT NULL,
    relkind            text NOT NULL,
    column_name        text,
    ordinal_position   integer,
    data_type          text,
    is_nullable        boolean,
    column_default     text,
    is_pk              boolean NOT NULL DEFAULT false,
    is_fk              boolean NOT NULL DEFAULT false,
    constraint_name    text,
    fk_position        integer,
    references_schema  text,
    references_table   text,
    references_column  text,
    on_delete          text,
    on_update          text,
    comment            text,
    row_estimate       bigint,
    rls_enabled        boolean NOT NULL DEFAULT false,
    rls_forced         boolean NOT NULL DEFAULT false,
    is_system          boolean NOT NULL DEFAULT false,
    raw_metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
    refreshed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS schema_cache_table_idx ON redkey.system_schema_cache (schema_name, table_name);

-- ---------------------------------------------------------------------------------------------
-- Topics (seed 003): the topic id (0.0.N) is the entity id. A local registry issues them.
CREATE SEQUENCE IF NOT EXISTS redkey.topic_number_seq START 1001;

CREATE TABLE IF NOT EXISTS redkey.topics (
    topic_id    text PRIMARY KEY CHECK (topic_id ~ '^0\.0\.[0-9]+$'),
    name        text UNIQUE,             -- logical name for static topics: roles.crm, roles.exec, ...
    kind        text NOT NULL CHECK (kind IN ('static', 'project', 'stage', 'phase', 'task')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION redkey.new_topic(p_kind text, p_name text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF p_name IS NOT NULL THEN
        SELECT topic_id INTO t FROM redkey.topics WHERE name = p_name;
        IF FOUND THEN
            RETURN t;
        END IF;
    END IF;
    t := '0.0.' || nextval('redkey.topic_number_seq');
    INSERT INTO redkey.topics (topic_id, name, kind) VALUES (t, p_name, p_kind);
    RETURN t;
END
$$;

-- The log comes first; current state (tasks) follows from it.
CREATE TABLE IF NOT EXISTS redkey.topic_log (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id     text NOT NULL REFERENCES redkey.topics (topic_id),
    message_type text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS topic_log_topic_idx ON redkey.topic_log (topic_id, seq);

CREATE TABLE IF NOT EXISTS redkey.tasks (
    id                text PRIMARY KEY REFERENCES redkey.topics (topic_id),
    phase_id          text,
    stage_id          text,
    project_id        text,
    client_id         text NOT NULL REFERENCES redkey.clients (client_id),
    role              text NOT NULL,
    task_type         text NOT NULL,
    agent             text,
    status            text NOT NULL DEFAULT 'created' CHECK (status IN
                      ('created', 'assigned', 'claimed', 'in_progress', 'on_hold', 'blocked', 'cancelled', 'complete')),
    brief             text,
    params            jsonb NOT NULL DEFAULT '{}'::jsonb,
    depends_on        text[] NOT NULL DEFAULT '{}',
    output_ref        text,
    output            jsonb,
    replaced_by       text,
    cost_usd          numeric NOT NULL DEFAULT 0,
    duration_seconds  integer,
    attempts          integer NOT NULL DEFAULT 0,
    lease_until       timestamptz,
    last_log_seq      bigint,
    created_by        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tasks_queue_idx ON redkey.tasks (role, status, created_at);
CREATE INDEX IF NOT EXISTS tasks_client_idx ON redkey.tasks (client_id, created_at DESC);

-- Justin's inbox (roles.exec): summaries and questions from arlo.
CREATE TABLE IF NOT EXISTS redkey.exec_inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    topic_id    text REFERENCES redkey.topics (topic_id),
    task_id     text REFERENCES redkey.tasks (id),
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX IF NOT EXISTS exec_inbox_client_idx ON redkey.exec_inbox (client_id, created_at DESC);

SELECT redkey.new_topic('static', n)
FROM unnest(ARRAY['definitions', 'roles.crm', 'roles.exec', 'roles.engine', 'agents.arlo']) AS n;

-- ---------------------------------------------------------------------------------------------
-- Scoped Layer 2 views over RedKey-owned tables (simple views: auto-updatable, CHECK OPTION keeps
-- writes inside the session's client).
CREATE OR REPLACE VIEW public.crm_sequences AS
    SELECT id, client_id, name, steps, is_active, created_at, updated_at
    FROM redkey.sequences WHERE client_id = redkey.current_client_id()
    WITH CASCADED CHECK OPTION;

CREATE OR REPLACE VIEW public.crm_sequence_contacts AS
    SELECT id, client_id, sequence_id, contact_id, current_step, next_due_at, status, status_reason,
           enrolled_at, updated_at
    FROM redkey.sequence_enrollments WHERE client_id = redkey.current_client_id()
    WITH CASCADED CHECK OPTION;

CREATE OR REPLACE VIEW public.crm_client_context AS
    SELECT client_id, contact_id, context_json, last_updated_at
    FROM redkey.client_context WHERE client_id = redkey.current_client_id()
    WITH CASCADED CHECK OPTION;

CREATE OR REPLACE VIEW public.crm_client_context_history AS
    SELECT id, client_id, contact_id, context_json, change_note, changed_by, recorded_at
    FROM redkey.client_context_history WHERE client_id = redkey.current_client_id();

GRANT SELECT ON public.crm_sequences, public.crm_sequence_contacts, public.crm_client_context,
    public.crm_client_context_history TO redkey_readonly, redkey_operational, redkey_strategic;
GRANT INSERT, UPDATE, DELETE ON public.crm_sequences, public.crm_sequence_contacts, public.crm_client_context
    TO redkey_operational;
GRANT INSERT ON public.crm_client_context_history TO redkey_operational;
GRANT SELECT ON redkey.system_schema_cache, redkey.topics, redkey.topic_log, redkey.tasks, redkey.exec_inbox
    TO redkey_readonly, redkey_operational, redkey_strategic;
