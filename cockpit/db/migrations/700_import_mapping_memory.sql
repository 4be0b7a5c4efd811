-- A column mapping the user edited, remembered per client and per file shape (a known tool's profile,
-- or the exact header set of an unknown file), and applied to the next file of that shape.
CREATE TABLE IF NOT EXISTS redkey.import_mapping_memory (
    client_id   text NOT NULL REFERENCES redkey.clients(client_id) ON DELETE CASCADE,
    profile_key text NOT NULL CHECK (length(profile_key) BETWEEN 1 AND 200),
    edits       jsonb NOT NULL CHECK (jsonb_typeof(edits) = 'object'),
    edited_by   text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, profile_key)
);
