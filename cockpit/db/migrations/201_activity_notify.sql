-- Live activity feed: every row written to RedKey's activity log (through crm_activities' INSTEAD OF
-- trigger, by arlo, webhooks or the cockpit) is announced on channel 'redkey_activity' with the payload
-- '<client_id>:<id>'. Listeners filter by client. NOTIFY is delivered at commit, so a listener never
-- hears about a row it cannot read yet. Rows Twenty writes into its own tables are not announced (they
-- are not ours to trigger on); the feed finds those with a cheap poll.
CREATE OR REPLACE FUNCTION redkey.activities_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('redkey_activity', NEW.client_id || ':' || NEW.id::text);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS activities_notify ON redkey.activities;
CREATE TRIGGER activities_notify AFTER INSERT OR UPDATE ON redkey.activities
    FOR EACH ROW EXECUTE FUNCTION redkey.activities_notify();
