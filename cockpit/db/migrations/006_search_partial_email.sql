-- Search as you type: a half-typed email ("sarah.chen@meri") is split by the text-search parser into
-- pieces that never match the stored email lexeme. Until the address is complete, search on its local
-- part ("sarah.chen"), which the stored lexeme starts with.
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
