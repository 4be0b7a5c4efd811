-- A strategic instruction may create a note or a task (crm_notes / crm_tasks): recorded as the field
-- 'created' of the new row, so its result and undo (which deletes it) read it like any other change.
ALTER TABLE redkey.strategic_changes DROP CONSTRAINT IF EXISTS strategic_changes_view_name_check;
ALTER TABLE redkey.strategic_changes ADD CONSTRAINT strategic_changes_view_name_check
    CHECK (view_name IN ('crm_deals', 'crm_contacts', 'crm_companies', 'crm_notes', 'crm_tasks'));
