-- Support for the generated Layer 2 (views, triggers and search functions come from cockpit/db/views.py
-- and writes.py, regenerated from redkey.workspaces after migrations and whenever a workspace is added).

-- Turn what a user types into a prefix tsquery: "sar che" -> 'sar':* & 'che':*. NULL when nothing
-- searchable remains, so callers can tell "no query" from "no match". No extension needed.
-- A half-typed email ("sarah.chen@meri") is split by the text-search parser into pieces that never
-- match the stored email lexeme, so until the address is complete its local part is searched.
CREATE OR REPLACE FUNCTION redkey.prefix_tsquery(p_text text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN count(*) = 0 THEN NULL
                ELSE to_tsquery('simple', string_agg(quote_literal(tok) || ':*', ' & ' ORDER BY ord)) END
    FROM (
        SELECT CASE WHEN raw LIKE '%@%' AND raw !~ '^[^@]+@[^@]+\.[a-z]{2,}$'
                    THEN nullif(split_part(raw, '@', 1), '')
                    ELSE raw END AS tok, ord
        FROM regexp_split_to_table(lower(coalesce(p_text, '')), '[^[:alnum:]@._+-]+') WITH ORDINALITY AS t(raw, ord)
    ) parts
    WHERE tok IS NOT NULL AND tok <> ''
$$;
GRANT EXECUTE ON FUNCTION redkey.prefix_tsquery(text) TO PUBLIC;

-- A record of each Layer 2 generation (what was generated, over which workspaces), for doctor and audits.
CREATE TABLE IF NOT EXISTS redkey.layer2_generations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    workspaces    text[] NOT NULL,
    sql_sha256    text NOT NULL
);
