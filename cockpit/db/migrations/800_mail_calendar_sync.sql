-- Mail and calendar sync: activities from the mailbox ('mail') and calendars ('calendar'), the per-folder
-- IMAP high-water marks, and the calendar occurrences last seen (so moves update and cancellations retract).
ALTER TABLE redkey.activities DROP CONSTRAINT IF EXISTS activities_source_check;
ALTER TABLE redkey.activities ADD CONSTRAINT activities_source_check
    CHECK (source IN ('twenty', 'arlo', 'resend', 'quill', 'form', 'cockpit', 'import', 'mail', 'calendar'));

-- One row per (client, mailbox, folder): UIDVALIDITY and the highest UID already recorded.
CREATE TABLE IF NOT EXISTS redkey.mail_sync_state (
    client_id     text NOT NULL REFERENCES redkey.clients (client_id),
    mailbox       text NOT NULL,               -- user@host:port, never the password
    folder        text NOT NULL,
    uidvalidity   bigint NOT NULL,
    last_uid      bigint NOT NULL DEFAULT 0,
    messages      bigint NOT NULL DEFAULT 0,
    synced_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, mailbox, folder)
);

-- Messages already turned into activities, by Message-ID (exactly once across folders and UIDVALIDITY changes).
CREATE TABLE IF NOT EXISTS redkey.mail_messages (
    client_id    text NOT NULL REFERENCES redkey.clients (client_id),
    message_id   text NOT NULL,
    thread_id    text NOT NULL,
    mailbox      text NOT NULL,
    folder       text NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    occurred_at  timestamptz NOT NULL,
    activities   integer NOT NULL DEFAULT 0,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, message_id)
);
CREATE INDEX IF NOT EXISTS mail_messages_thread_idx ON redkey.mail_messages (client_id, thread_id);

-- Calendar occurrences as last synced: (calendar source, event UID, occurrence start) -> its activities.
CREATE TABLE IF NOT EXISTS redkey.calendar_occurrences (
    client_id      text NOT NULL REFERENCES redkey.clients (client_id),
    source_ref     text NOT NULL,              -- the calendar's URL without credentials
    occurrence_key text NOT NULL,              -- UID + RECURRENCE-ID (or start of the series' instance)
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz,
    summary        text,
    signature      text NOT NULL,             -- start, end, summary and contacts: unchanged means nothing to write
    activity_ids   uuid[] NOT NULL DEFAULT '{}',
    synced_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, source_ref, occurrence_key)
);
