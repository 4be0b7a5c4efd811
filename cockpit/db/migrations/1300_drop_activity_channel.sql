-- Activities are announced on the client's change channel (kind 'activity', by redkey.rows_notify_change);
-- the older per-client activity channel has no listener left: its trigger and functions go.
DROP TRIGGER IF EXISTS activities_notify ON redkey.activities;
DROP FUNCTION IF EXISTS redkey.activities_notify();
DROP FUNCTION IF EXISTS redkey.activity_channel();
DROP FUNCTION IF EXISTS redkey.activity_channel_of(text);
