-- crm_client_context_history is writable (history rows are appended through it): like every other
-- writable scoped view it refuses a row outside the session's client.
CREATE OR REPLACE VIEW public.crm_client_context_history AS
    SELECT id, client_id, contact_id, context_json, change_note, changed_by, recorded_at
    FROM redkey.client_context_history WHERE client_id = redkey.current_client_id()
    WITH CASCADED CHECK OPTION;
