-- Append-only tables refuse TRUNCATE as they refuse UPDATE and DELETE (row triggers do not fire on
-- TRUNCATE; a statement trigger does). import_batches and approval_decisions already do.
DROP TRIGGER IF EXISTS import_rows_no_truncate ON redkey.import_rows;
CREATE TRIGGER import_rows_no_truncate BEFORE TRUNCATE ON redkey.import_rows
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.refuse_change();
DROP TRIGGER IF EXISTS artifacts_no_truncate ON redkey.artifacts;
CREATE TRIGGER artifacts_no_truncate BEFORE TRUNCATE ON redkey.artifacts
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.refuse_change();
DROP TRIGGER IF EXISTS topic_log_no_truncate ON redkey.topic_log;
CREATE TRIGGER topic_log_no_truncate BEFORE TRUNCATE ON redkey.topic_log
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.topic_log_append_only();
