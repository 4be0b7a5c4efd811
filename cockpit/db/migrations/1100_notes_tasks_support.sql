-- Support for crm_notes / crm_tasks: the BlockNote document Twenty's editor renders, built from the
-- markdown the cockpit and arlo write, and the metadata id Twenty's timeline links a note or task by.

-- One BlockNote block per markdown line: "# "/"## "/"### " headings, "- [ ] "/"- [x] " check items,
-- "- "/"* "/"+ " bullets, "1. " numbered items, anything else a paragraph (an empty line an empty one).
-- Inline markup is kept as text. NULL stays NULL.
CREATE OR REPLACE FUNCTION redkey.markdown_to_blocknote(p_markdown text) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
SELECT CASE WHEN p_markdown IS NULL THEN NULL ELSE (
    SELECT jsonb_agg(jsonb_build_object(
               'id', gen_random_uuid()::text,
               'type', k.type,
               'props', k.props,
               'content', CASE WHEN k.text = '' THEN '[]'::jsonb
                               ELSE jsonb_build_array(jsonb_build_object('type', 'text', 'text', k.text, 'styles', '{}'::jsonb)) END,
               'children', '[]'::jsonb) ORDER BY l.n)::text
    FROM regexp_split_to_table(replace(p_markdown, E'\r\n', E'\n'), E'\n') WITH ORDINALITY AS l(line, n)
    CROSS JOIN LATERAL (SELECT regexp_match(l.line, '^(#{1,3})\s+(.*)$') AS h,
                               regexp_match(l.line, '^\s*[-*+]\s+\[([ xX])\]\s+(.*)$') AS c,
                               regexp_match(l.line, '^\s*[-*+]\s+(.*)$') AS u,
                               regexp_match(l.line, '^\s*\d+[.)]\s+(.*)$') AS o) m
    CROSS JOIN LATERAL (SELECT
        CASE WHEN m.h IS NOT NULL THEN 'heading' WHEN m.c IS NOT NULL THEN 'checkListItem'
             WHEN m.u IS NOT NULL THEN 'bulletListItem' WHEN m.o IS NOT NULL THEN 'numberedListItem'
             ELSE 'paragraph' END AS type,
        coalesce(m.h[2], m.c[2], m.u[1], m.o[1], l.line) AS text,
        jsonb_build_object('textColor', 'default', 'backgroundColor', 'default', 'textAlignment', 'left')
            || CASE WHEN m.h IS NOT NULL THEN jsonb_build_object('level', length(m.h[1]))
                    WHEN m.c IS NOT NULL THEN jsonb_build_object('checked', m.c[1] <> ' ')
                    ELSE '{}'::jsonb END AS props) k
) END
$$;
COMMENT ON FUNCTION redkey.markdown_to_blocknote(text) IS
    'RedKey: markdown as the BlockNote JSON Twenty stores in bodyV2Blocknote (one block per line).';

-- The id of a standard object (note, task) in Twenty's metadata for a workspace schema, when Twenty's
-- core schema is there and readable; NULL otherwise (the fixture has no metadata).
CREATE OR REPLACE FUNCTION redkey.twenty_object_metadata_id(p_schema text, p_object text) RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id uuid;
BEGIN
    IF to_regclass('core."objectMetadata"') IS NULL OR to_regclass('core."dataSource"') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT o.id FROM core."objectMetadata" o JOIN core."dataSource" d ON d."workspaceId" = o."workspaceId"'
            ' WHERE d.schema = $1 AND o."nameSingular" = $2 LIMIT 1'
        INTO v_id USING p_schema, p_object;
    RETURN v_id;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION redkey.twenty_object_metadata_id(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION redkey.markdown_to_blocknote(text) FROM PUBLIC;
