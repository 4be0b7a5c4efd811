-- What each strategic instruction changed: one row per field written, with the value before and after.
-- The result arlo reports, undo (which restores `before` only while the field still holds `after`) and
-- the history of notes (an appended note keeps the previous text in `before`) all read it.

CREATE TABLE IF NOT EXISTS redkey.strategic_changes (
    id          bigserial PRIMARY KEY,
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    task_id     text NOT NULL,
    view_name   text NOT NULL CHECK (view_name IN ('crm_deals', 'crm_contacts', 'crm_companies')),
    record_id   uuid NOT NULL,
    label       text NOT NULL,
    field       text NOT NULL,
    before      jsonb,
    after       jsonb,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    undone_at   timestamptz,
    undone_by   text
);
COMMENT ON TABLE redkey.strategic_changes IS
    'Field changes made by strategic instructions (task_id), with before/after values, for results, history and undo.';
CREATE INDEX IF NOT EXISTS strategic_changes_task_idx ON redkey.strategic_changes (task_id, id);
CREATE INDEX IF NOT EXISTS strategic_changes_record_idx
    ON redkey.strategic_changes (client_id, record_id, changed_at DESC);

-- Rows are never deleted; only the undo columns change, once.
CREATE OR REPLACE FUNCTION redkey.strategic_changes_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'redkey.strategic_changes keeps every change; rows are not deleted' USING ERRCODE = '428C9';
    END IF;
    IF OLD.undone_at IS NOT NULL OR (NEW.client_id, NEW.task_id, NEW.view_name, NEW.record_id, NEW.field,
            NEW.before, NEW.after, NEW.changed_at) IS DISTINCT FROM (OLD.client_id, OLD.task_id, OLD.view_name,
            OLD.record_id, OLD.field, OLD.before, OLD.after, OLD.changed_at) THEN
        RAISE EXCEPTION 'a strategic change can only be marked undone, once' USING ERRCODE = '428C9';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS strategic_changes_guard ON redkey.strategic_changes;
CREATE TRIGGER strategic_changes_guard BEFORE UPDATE OR DELETE ON redkey.strategic_changes
    FOR EACH ROW EXECUTE FUNCTION redkey.strategic_changes_guard();

-- Scoped reading for the cockpit's roles (the store writes it as the owner, in the instruction's transaction).
CREATE OR REPLACE VIEW public.crm_strategic_changes AS
    SELECT id, client_id, task_id, view_name, record_id, label, field, before, after, changed_at, undone_at, undone_by
    FROM redkey.strategic_changes WHERE client_id = redkey.current_client_id();
GRANT SELECT ON public.crm_strategic_changes TO redkey_readonly, redkey_operational, redkey_strategic;
