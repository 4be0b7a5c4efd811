-- Atlas's way in: another agent files Justin's strategic instructions and ad-hoc questions for a client
-- on arlo's roles.crm queue, and reads the result when arlo is done. The HTTP route of `cockpit webhooks`
-- calls the same functions. Grant EXECUTE on them to the login Atlas uses (role redkey_atlas).

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'redkey_atlas') THEN
        CREATE ROLE redkey_atlas NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE redkey_atlas IS 'RedKey: another agent (Atlas) filing instructions for arlo; files tasks and reads their results only.';

-- File a task: p_kind is 'strategic' (a strategic write), 'adhoc' (a question) or 'auto' (arlo decides
-- from the text, as `cockpit tell` does: questions and requests for information are ad-hoc).
CREATE OR REPLACE FUNCTION redkey.atlas_file_task(p_client_id text, p_text text, p_kind text DEFAULT 'auto',
                                                  p_created_by text DEFAULT 'atlas')
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
    v_text text := btrim(regexp_replace(coalesce(p_text, ''), '\s+', ' ', 'g'));
    v_type text;
    v_topic text;
    v_role_topic text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM redkey.clients WHERE client_id = p_client_id) THEN
        RAISE EXCEPTION 'no client %', coalesce(p_client_id, 'NULL') USING ERRCODE = 'P0002',
            HINT = 'clients: ' || (SELECT string_agg(client_id, ', ' ORDER BY client_id) FROM redkey.clients);
    END IF;
    IF v_text = '' THEN
        RAISE EXCEPTION 'the instruction is empty' USING ERRCODE = '22023', HINT = 'pass the words Justin said';
    END IF;
    IF length(v_text) > 4000 THEN
        RAISE EXCEPTION 'the instruction is % characters long', length(v_text) USING ERRCODE = '22023',
            HINT = 'keep it under 4000 characters';
    END IF;
    v_type := CASE lower(coalesce(p_kind, 'auto'))
        WHEN 'strategic' THEN 'strategic_write'
        WHEN 'adhoc' THEN 'adhoc_query'
        WHEN 'auto' THEN CASE WHEN v_text ~* '^\s*(summari[sz]e|summary|give me|show|list|who|what|which|how|when|where|draft|write|any)\M'
                                   OR v_text ~ '\?\s*$' THEN 'adhoc_query' ELSE 'strategic_write' END
    END;
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown task kind %', p_kind USING ERRCODE = '22023', HINT = 'use strategic, adhoc or auto';
    END IF;
    v_topic := redkey.new_topic('task');
    INSERT INTO redkey.topic_log (topic_id, message_type, payload)
    VALUES (v_topic, 'task.created', jsonb_build_object(
        'client_id', p_client_id, 'role', 'roles.crm', 'task_type', v_type, 'brief', v_text,
        'params', jsonb_build_object('text', v_text, 'via', 'atlas'), 'created_by', coalesce(p_created_by, 'atlas')));
    v_role_topic := redkey.new_topic('static', 'roles.crm');
    INSERT INTO redkey.topic_log (topic_id, message_type, payload)
    VALUES (v_role_topic, 'task.available',
            jsonb_build_object('task_id', v_topic, 'task_type', v_type, 'client_id', p_client_id));
    RETURN v_topic;
END
$fn$;

-- A task filed through Atlas: its state and, once final, its output (summary, question and choices, or error).
CREATE OR REPLACE FUNCTION redkey.atlas_task_result(p_task_id text)
RETURNS TABLE (task_id text, client_id text, task_type text, status text, output jsonb, updated_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
    SELECT t.id, t.client_id, t.task_type, t.status, t.output, t.updated_at
    FROM redkey.tasks t WHERE t.id = p_task_id AND t.params->>'via' = 'atlas'
$fn$;

REVOKE ALL ON FUNCTION redkey.atlas_file_task(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION redkey.atlas_task_result(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA redkey TO redkey_atlas;
GRANT EXECUTE ON FUNCTION redkey.atlas_file_task(text, text, text, text) TO redkey_atlas;
GRANT EXECUTE ON FUNCTION redkey.atlas_task_result(text) TO redkey_atlas;
