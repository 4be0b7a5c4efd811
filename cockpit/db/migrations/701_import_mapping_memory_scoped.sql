-- Remembered import mappings are held to the session's client like RedKey's other tables: row-level
-- security with the same one policy (unscoped sessions of the roles see no row; a write carries the client).
ALTER TABLE redkey.import_mapping_memory ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scoped ON redkey.import_mapping_memory;
CREATE POLICY scoped ON redkey.import_mapping_memory USING (client_id = redkey.current_client_id())
    WITH CHECK (client_id = redkey.current_client_id());
