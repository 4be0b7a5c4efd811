-- One-click unsubscribe links are signed (HMAC) instead of stored per contact: planning 10,000 emails then
-- writes no token rows. The key is random per database; redkey.unsubscribe_tokens now records the links
-- that were used.
CREATE TABLE IF NOT EXISTS redkey.email_keys (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    unsubscribe_key  text NOT NULL DEFAULT encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                                         || clock_timestamp()::text, 'UTF8')), 'hex'),
    created_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO redkey.email_keys DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
GRANT SELECT ON redkey.email_keys TO redkey_operational;
