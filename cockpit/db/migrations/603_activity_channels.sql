-- The live activity feed's notifications go to one channel per client, named by a keyed hash of the
-- client id, with the activity id as payload. LISTEN needs no privilege, so the channel name is what
-- keeps a listener to its client: redkey.activity_channel() gives a session its own client's channel
-- (none when unscoped), and the key behind the names is readable by the owner only. A listener of
-- another client neither hears these ids nor can work out the channel they go to.

CREATE TABLE IF NOT EXISTS redkey.notify_keys (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    channel_key  text NOT NULL DEFAULT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                                     || clock_timestamp()::text, 'UTF8')), 'hex'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO redkey.notify_keys DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
ALTER TABLE redkey.notify_keys ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION redkey.activity_channel_of(p_client text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'redkey_activity_' || left(encode(sha256(convert_to(k.channel_key || ':' || p_client, 'UTF8')), 'hex'), 32)
    FROM redkey.notify_keys k
    WHERE p_client IS NOT NULL
$$;
REVOKE ALL ON FUNCTION redkey.activity_channel_of(text) FROM PUBLIC;

-- This session's channel: its own client's (a client-bound login's is its login's client), NULL unscoped.
CREATE OR REPLACE FUNCTION redkey.activity_channel() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT redkey.activity_channel_of(redkey.current_client_id())
$$;
GRANT EXECUTE ON FUNCTION redkey.activity_channel() TO PUBLIC;

CREATE OR REPLACE FUNCTION redkey.activities_notify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify(redkey.activity_channel_of(NEW.client_id), NEW.id::text);
    RETURN NULL;
END
$$;
