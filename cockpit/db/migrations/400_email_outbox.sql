-- Sequences and email (issue 6): the transactional outbox, per-sender daily counters, webhook dedupe,
-- contact email preferences (time zone, unsubscribe, suppression, lead source) and one-click
-- unsubscribe tokens. Sequences get a sender and a sending window.
--
-- Exactly-once sending rests on three things here: UNIQUE (enrollment_id, step) on the outbox (a step is
-- planned once), the frozen batch_id / send_mode of a claimed row (a retry re-sends the very same request
-- with the very same Idempotency-Key), and status 'unknown' for outcomes that can no longer be checked
-- against Resend's 24 h idempotency window (reconciled from webhooks, never blindly re-sent).

ALTER TABLE redkey.sequences
    ADD COLUMN IF NOT EXISTS sender text,
    ADD COLUMN IF NOT EXISTS send_window jsonb NOT NULL
        DEFAULT '{"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5], "time_zone": "UTC"}'::jsonb
        CHECK (jsonb_typeof(send_window) = 'object');

-- Appending columns keeps every existing reader of crm_sequences working.
CREATE OR REPLACE VIEW public.crm_sequences AS
    SELECT id, client_id, name, steps, is_active, created_at, updated_at, sender, send_window
    FROM redkey.sequences WHERE client_id = redkey.current_client_id()
    WITH CASCADED CHECK OPTION;

CREATE TABLE IF NOT EXISTS redkey.email_outbox (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id         text NOT NULL REFERENCES redkey.clients (client_id),
    enrollment_id     uuid NOT NULL REFERENCES redkey.sequence_enrollments (id) ON DELETE CASCADE,
    step              integer NOT NULL CHECK (step >= 0),
    sequence_id       uuid NOT NULL,
    contact_id        uuid NOT NULL,
    sender            text NOT NULL,
    to_email          text NOT NULL,
    subject           text NOT NULL,
    body_text         text NOT NULL,
    headers           jsonb NOT NULL DEFAULT '{}'::jsonb,
    tags              jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- draft: rendered offline (no API key), not sent; pending: to send; sending: claimed (lease);
    -- sent: Resend accepted it; failed: refused (validation); unknown: outcome not knowable, reconcile;
    -- cancelled: a stop rule fired before it went out.
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('draft', 'pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
    send_mode         text CHECK (send_mode IN ('batch', 'single')),
    batch_id          uuid,
    attempts          integer NOT NULL DEFAULT 0,
    first_attempt_at  timestamptz,
    lease_until       timestamptz,
    resend_email_id   text UNIQUE,
    delivery_status   text,
    delivery_rank     integer NOT NULL DEFAULT 0,
    error             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrollment_id, step)
);
CREATE INDEX IF NOT EXISTS email_outbox_work_idx
    ON redkey.email_outbox (client_id, status, created_at) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS email_outbox_batch_idx ON redkey.email_outbox (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS email_outbox_contact_idx ON redkey.email_outbox (client_id, contact_id, created_at DESC);
CREATE INDEX IF NOT EXISTS email_outbox_to_idx ON redkey.email_outbox (lower(to_email), created_at DESC);

-- Sends per sender address per UTC day (the daily cap); shared by every client using that sender.
CREATE TABLE IF NOT EXISTS redkey.sender_daily (
    sender  text NOT NULL,
    day     date NOT NULL,
    sent    integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
    PRIMARY KEY (sender, day)
);

-- Every verified webhook delivery, keyed by svix-id: a replay finds its row and changes nothing.
CREATE TABLE IF NOT EXISTS redkey.webhook_events (
    svix_id      text PRIMARY KEY,
    client_id    text REFERENCES redkey.clients (client_id),
    event_type   text NOT NULL,
    email_id     text,
    occurred_at  timestamptz,
    outcome      text,
    received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS redkey.contact_email_prefs (
    client_id           text NOT NULL REFERENCES redkey.clients (client_id),
    contact_id          uuid NOT NULL,
    time_zone           text,
    unsubscribed_at     timestamptz,
    suppressed_at       timestamptz,
    suppression_reason  text,
    lead_source         text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, contact_id)
);

CREATE TABLE IF NOT EXISTS redkey.unsubscribe_tokens (
    token       text PRIMARY KEY DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
    client_id   text NOT NULL REFERENCES redkey.clients (client_id),
    contact_id  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    UNIQUE (client_id, contact_id)
);

-- Client scoping for the roles (the owner, who resolves a webhook's client, is not subject to it).
ALTER TABLE redkey.email_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE redkey.contact_email_prefs ENABLE ROW LEVEL SECURITY;
ALTER TABLE redkey.unsubscribe_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE redkey.webhook_events ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scoped ON redkey.email_outbox;
CREATE POLICY scoped ON redkey.email_outbox USING (client_id = redkey.current_client_id());
DROP POLICY IF EXISTS scoped ON redkey.contact_email_prefs;
CREATE POLICY scoped ON redkey.contact_email_prefs USING (client_id = redkey.current_client_id());
DROP POLICY IF EXISTS scoped ON redkey.unsubscribe_tokens;
CREATE POLICY scoped ON redkey.unsubscribe_tokens USING (client_id = redkey.current_client_id());
DROP POLICY IF EXISTS scoped ON redkey.webhook_events;
CREATE POLICY scoped ON redkey.webhook_events USING (client_id = redkey.current_client_id());

GRANT SELECT ON redkey.email_outbox, redkey.contact_email_prefs, redkey.sender_daily
    TO redkey_readonly, redkey_operational, redkey_strategic;
GRANT INSERT, UPDATE ON redkey.email_outbox, redkey.contact_email_prefs, redkey.sender_daily,
    redkey.webhook_events, redkey.unsubscribe_tokens TO redkey_operational;
GRANT SELECT ON redkey.webhook_events, redkey.unsubscribe_tokens TO redkey_operational;
-- Justin may unsubscribe or suppress a contact by hand from the cockpit.
GRANT INSERT, UPDATE ON redkey.contact_email_prefs TO redkey_strategic;
