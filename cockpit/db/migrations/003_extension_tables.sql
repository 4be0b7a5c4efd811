-- RedKey extension tables: the operational (agent-owned) and strategic (human-owned) fields Twenty does
-- not have, keyed by (client, Twenty record id), and RedKey's own activity log. The stable views LEFT JOIN
-- these; nobody writes them directly except through the views' INSTEAD OF triggers.

CREATE TABLE IF NOT EXISTS redkey.contact_ext (
    client_id            text NOT NULL REFERENCES redkey.clients (client_id),
    record_id            uuid NOT NULL,
    -- operational
    last_activity_at     timestamptz,
    enriched_at          timestamptz,
    email_thread_count   integer NOT NULL DEFAULT 0 CHECK (email_thread_count >= 0),
    open_count           integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
    company_size         text,
    industry             text,
    sequence_step        integer CHECK (sequence_step >= 0),
    sequence_enrolled_at timestamptz,
    -- strategic
    priority             text CHECK (priority IN ('high', 'medium', 'low')),
    strategy_note        text,
    relationship_note    text,
    recontact_at         date,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, record_id)
);

CREATE TABLE IF NOT EXISTS redkey.company_ext (
    client_id            text NOT NULL REFERENCES redkey.clients (client_id),
    record_id            uuid NOT NULL,
    -- operational
    company_size         text,
    industry             text,
    enriched_at          timestamptz,
    last_activity_at     timestamptz,
    -- strategic
    priority             text CHECK (priority IN ('high', 'medium', 'low')),
    strategy_note        text,
    relationship_note    text,
    recontact_at         date,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, record_id)
);

CREATE TABLE IF NOT EXISTS redkey.deal_ext (
    client_id            text NOT NULL REFERENCES redkey.clients (client_id),
    record_id            uuid NOT NULL,
    -- operational
    last_activity_at     timestamptz,
    -- strategic
    priority             text CHECK (priority IN ('high', 'medium', 'low')),
    strategy_note        text,
    recontact_at         date,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, record_id)
);

-- RedKey's activity log: what Twenty does not record (email events, stage changes, enrichment, forms,
-- meeting notes, ...). crm_activities is this table UNION Twenty's timelineActivity and notes.
CREATE TABLE IF NOT EXISTS redkey.activities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id    text NOT NULL REFERENCES redkey.clients (client_id),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    channel      text,
    direction    text CHECK (direction IN ('inbound', 'outbound', 'internal')),
    subject      text,
    summary      text,
    contact_id   uuid,
    company_id   uuid,
    deal_id      uuid,
    source       text NOT NULL DEFAULT 'arlo'
                 CHECK (source IN ('twenty', 'arlo', 'resend', 'quill', 'form', 'cockpit', 'import')),
    external_id  text,
    properties   jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS activities_dedupe_idx
    ON redkey.activities (client_id, source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_feed_idx ON redkey.activities (client_id, occurred_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS activities_contact_idx ON redkey.activities (contact_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS activities_deal_idx ON redkey.activities (deal_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS activities_company_idx ON redkey.activities (company_id, occurred_at DESC);

-- No grants: the roles reach these only through the views (SECURITY DEFINER triggers and functions).
