-- Schema explorer cache (seed 001 "Schema Visualization"; reference/schema.md).
--
-- redkey.system_schema_cache (migration 004) keeps one row per (relation, column, FK membership).
-- The explorer also needs things that are not per column: relation-level facts (so the schema list
-- opens without aggregating every column row), constraints, indexes, RLS policies and view lineage.
-- They live in sibling tables filled by the same refresh, in the same transaction.
--
-- Everything is read from pg_catalog (never information_schema, which hides FK targets and view
-- usage from roles that do not own the tables), with one set-based statement per object kind.

CREATE TABLE IF NOT EXISTS redkey.system_schema_relations (
    table_oid      oid PRIMARY KEY,
    schema_name    text NOT NULL,
    table_name     text NOT NULL,
    relkind        text NOT NULL,           -- r table, p partitioned, v view, m matview, f foreign
    comment        text,
    row_estimate   bigint,                  -- pg_class.reltuples (NULL: never analysed)
    column_count   integer NOT NULL DEFAULT 0,
    rls_enabled    boolean NOT NULL DEFAULT false,
    rls_forced     boolean NOT NULL DEFAULT false,
    is_system      boolean NOT NULL DEFAULT false,
    hidden_reason  text,                    -- why is_system: 'system schema', 'extension x', 'partition of y'
    partition_of   text,                    -- qualified parent for partitions
    extension      text,                    -- owning extension (pg_depend deptype 'e')
    owner          text,
    browsable      boolean NOT NULL DEFAULT false,  -- may redkey_readonly SELECT it?
    view_definition text,
    refreshed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS schema_relations_name_idx ON redkey.system_schema_relations (schema_name, table_name);

CREATE TABLE IF NOT EXISTS redkey.system_schema_constraints (
    table_oid        oid NOT NULL,
    constraint_name  text NOT NULL,
    contype          text NOT NULL,         -- p primary, u unique, f foreign, c check, x exclusion, n not-null
    columns          text[] NOT NULL DEFAULT '{}',
    ref_table_oid    oid,
    ref_columns      text[],                -- FKs: referenced columns, paired with columns by position
    on_delete        text,
    on_update        text,
    indexed          boolean,               -- FKs: is there a valid, non-partial index led by its columns?
    definition       text,                  -- pg_get_constraintdef: shown, never parsed
    comment          text
);
CREATE INDEX IF NOT EXISTS schema_constraints_table_idx ON redkey.system_schema_constraints (table_oid);

CREATE TABLE IF NOT EXISTS redkey.system_schema_indexes (
    table_oid    oid NOT NULL,
    index_name   text NOT NULL,
    key_columns  text[] NOT NULL DEFAULT '{}',  -- NULL elements are expressions
    is_unique    boolean NOT NULL,
    is_primary   boolean NOT NULL,
    is_partial   boolean NOT NULL,
    is_valid     boolean NOT NULL,
    definition   text
);
CREATE INDEX IF NOT EXISTS schema_indexes_table_idx ON redkey.system_schema_indexes (table_oid);

CREATE TABLE IF NOT EXISTS redkey.system_schema_policies (
    table_oid    oid NOT NULL,
    policy_name  text NOT NULL,
    command      text NOT NULL,             -- SELECT / INSERT / UPDATE / DELETE / ALL
    permissive   boolean NOT NULL,
    roles        text[] NOT NULL,
    using_expr   text,
    check_expr   text
);
CREATE INDEX IF NOT EXISTS schema_policies_table_idx ON redkey.system_schema_policies (table_oid);

-- View -> relation it reads (from pg_depend via pg_rewrite; no SQL text parsing).
CREATE TABLE IF NOT EXISTS redkey.system_schema_lineage (
    view_oid       oid NOT NULL,
    source_oid     oid NOT NULL,
    source_schema  text NOT NULL,
    source_table   text NOT NULL,
    source_relkind text NOT NULL,
    columns        text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS schema_lineage_view_idx ON redkey.system_schema_lineage (view_oid);
CREATE INDEX IF NOT EXISTS schema_lineage_source_idx ON redkey.system_schema_lineage (source_oid);

CREATE TABLE IF NOT EXISTS redkey.system_schema_refresh (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    refreshed_at   timestamptz NOT NULL,
    duration_ms    numeric NOT NULL,
    relations      integer NOT NULL,
    columns        integer NOT NULL,
    foreign_keys   integer NOT NULL
);

CREATE INDEX IF NOT EXISTS schema_cache_oid_idx ON redkey.system_schema_cache (table_oid, ordinal_position);

-- Schemas hidden by default (Supabase Studio PROTECTED_SCHEMAS + CLI InternalSchemas; schema.md §4).
CREATE OR REPLACE FUNCTION redkey.is_system_schema(p_schema text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_schema = ANY (ARRAY['auth', 'cron', 'extensions', 'information_schema', 'net', 'pgsodium',
                                 'pgsodium_masks', 'pgbouncer', 'pgtle', 'realtime', 'storage',
                                 'supabase_functions', 'supabase_migrations', 'vault', 'graphql',
                                 'graphql_public', 'pgmq_public', '_analytics', '_realtime', '_supavisor',
                                 'dbdev', 'pgmq', 'repack', 'tiger', 'tiger_data', 'topology'])
        OR p_schema LIKE 'pg\_%' OR p_schema LIKE 'timescaledb\_%' OR p_schema LIKE '\_timescaledb\_%'
$$;

-- The refresh assembles constraint and index text from the cached column names and calls
-- pg_get_constraintdef/pg_get_indexdef only where it cannot (checks, exclusions, expression and partial
-- indexes): at 2,000 tables the deparsing functions dominated. PG 18's NOT NULL constraints are left out
-- (nullability is shown per column).
CREATE OR REPLACE FUNCTION redkey.refresh_system_schema_cache()
RETURNS TABLE (refreshed_at timestamptz, duration_ms numeric, relations integer, columns integer, foreign_keys integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_start   timestamptz := clock_timestamp();
    v_now     timestamptz := now();
    v_rel     integer;
    v_col     integer;
    v_fk      integer;
BEGIN
    -- One refresh at a time; readers keep seeing the previous cache until this commits (DELETE, not
    -- TRUNCATE, so a browsing session is never blocked).
    PERFORM pg_advisory_xact_lock(7370223);
    DELETE FROM redkey.system_schema_cache;
    DELETE FROM redkey.system_schema_relations;
    DELETE FROM redkey.system_schema_constraints;
    DELETE FROM redkey.system_schema_indexes;
    DELETE FROM redkey.system_schema_policies;
    DELETE FROM redkey.system_schema_lineage;

    -- 1. Relations (tables, partitioned tables, views, matviews, foreign tables).
    INSERT INTO redkey.system_schema_relations AS r
        (table_oid, schema_name, table_name, relkind, comment, row_estimate, column_count, rls_enabled, rls_forced,
         is_system, hidden_reason, partition_of, extension, owner, browsable, view_definition, refreshed_at)
    SELECT c.oid, n.nspname, c.relname, c.relkind::text, ds.description,
           CASE WHEN c.relkind = 'p' THEN parts.rows
                WHEN c.relkind = 'v' OR c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
           c.relnatts, c.relrowsecurity, c.relforcerowsecurity,
           sys.reason IS NOT NULL, sys.reason,
           CASE WHEN c.relispartition THEN quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) END,
           ext.extname, pg_get_userbyid(c.relowner),
           has_schema_privilege('redkey_readonly', n.oid, 'USAGE')
               AND has_table_privilege('redkey_readonly', c.oid, 'SELECT'),
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
           v_now
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
    LEFT JOIN pg_depend ed ON ed.classid = 'pg_class'::regclass AND ed.objid = c.oid AND ed.deptype = 'e'
    LEFT JOIN pg_extension ext ON ext.oid = ed.refobjid
    LEFT JOIN pg_inherits ih ON c.relispartition AND ih.inhrelid = c.oid
    LEFT JOIN pg_class pc ON pc.oid = ih.inhparent
    LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
    LEFT JOIN LATERAL (
        SELECT sum(greatest(k.reltuples, 0))::bigint AS rows
        FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
        WHERE c.relkind = 'p' AND i.inhparent = c.oid) parts ON true
    CROSS JOIN LATERAL (SELECT CASE
        WHEN redkey.is_system_schema(n.nspname) THEN 'system schema'
        WHEN ext.extname IS NOT NULL THEN 'extension ' || ext.extname
        WHEN c.relispartition THEN 'partition'
        END AS reason) sys
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%';
    GET DIAGNOSTICS v_rel = ROW_COUNT;

    -- 2. Columns, one row per FK membership (a column in two FKs has two rows; composite FKs keep
    --    their pairing through unnest(conkey, confkey) WITH ORDINALITY). Relations without columns
    --    keep one row with column_name NULL.
    INSERT INTO redkey.system_schema_cache
        (table_oid, schema_name, table_name, relkind, column_name, ordinal_position, data_type, is_nullable,
         column_default, is_pk, is_fk, constraint_name, fk_position, references_schema, references_table,
         references_column, on_delete, on_update, comment, row_estimate, rls_enabled, rls_forced, is_system,
         raw_metadata, refreshed_at)
    WITH fk AS (
        SELECT con.conrelid, k.col AS attnum, con.conname, k.ord::integer AS ord, rn.nspname AS ref_schema,
               rc.relname AS ref_table, ra.attname AS ref_column, con.confdeltype, con.confupdtype
        FROM pg_constraint con
        CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, ref, ord)
        JOIN pg_class rc ON rc.oid = con.confrelid
        JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.ref
        WHERE con.contype = 'f' AND con.conparentid = 0
    ), pk AS (
        SELECT con.conrelid, unnest(con.conkey) AS attnum
        FROM pg_constraint con WHERE con.contype = 'p'
    )
    SELECT r.table_oid, r.schema_name, r.table_name, r.relkind, a.attname, a.attnum,
           format_type(a.atttypid, a.atttypmod),
           NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)),
           pg_get_expr(d.adbin, d.adrelid),
           pk.attnum IS NOT NULL, fk.conname IS NOT NULL, fk.conname, fk.ord,
           fk.ref_schema, fk.ref_table, fk.ref_column,
           CASE fk.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END,
           CASE fk.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END,
           ds.description, r.row_estimate, r.rls_enabled, r.rls_forced, r.is_system,
           CASE WHEN a.attidentity <> '' OR a.attgenerated <> '' THEN
               jsonb_strip_nulls(jsonb_build_object('identity', nullif(a.attidentity::text, ''),
                                                    'generated', nullif(a.attgenerated::text, '')))
                ELSE '{}'::jsonb END,
           v_now
    FROM redkey.system_schema_relations r
    LEFT JOIN pg_attribute a ON a.attrelid = r.table_oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass
                                AND ds.objsubid = a.attnum
    LEFT JOIN pk ON pk.conrelid = a.attrelid AND pk.attnum = a.attnum
    LEFT JOIN fk ON fk.conrelid = a.attrelid AND fk.attnum = a.attnum;
    GET DIAGNOSTICS v_col = ROW_COUNT;

    -- 3. Constraints. NOT NULL constraints (PG 18 lists them) are left out: nullability is per column.
    --    Keys and FKs get their definition assembled from the cached column names, which is much
    --    cheaper than pg_get_constraintdef; checks and exclusions keep Postgres' own text.
    INSERT INTO redkey.system_schema_constraints
        (table_oid, constraint_name, contype, columns, ref_table_oid, ref_columns, on_delete, on_update, indexed,
         definition, comment)
    SELECT k.conrelid, k.conname, k.contype, k.cols, k.ref_oid, k.ref_cols, k.on_delete, k.on_update, k.indexed,
           CASE k.contype
               WHEN 'p' THEN 'PRIMARY KEY (' || k.qcols || ')'
               WHEN 'u' THEN 'UNIQUE (' || k.qcols || ')'
               WHEN 'f' THEN 'FOREIGN KEY (' || k.qcols || ') REFERENCES ' || quote_ident(rn.nspname) || '.'
                             || quote_ident(rc.relname) || '(' || k.qref || ')'
                             || CASE WHEN k.on_update <> 'NO ACTION' THEN ' ON UPDATE ' || k.on_update ELSE '' END
                             || CASE WHEN k.on_delete <> 'NO ACTION' THEN ' ON DELETE ' || k.on_delete ELSE '' END
               ELSE pg_get_constraintdef(k.oid, true) END,
           k.comment
    FROM (
        SELECT con.oid, con.conrelid, con.conname, con.contype::text AS contype, nullif(con.confrelid, 0) AS ref_oid,
               coalesce(cols.names, '{}') AS cols, cols.quoted AS qcols, refs.names AS ref_cols, refs.quoted AS qref,
               CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                    WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete,
               CASE con.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                    WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_update,
               -- covered when some index's first n key columns are exactly the FK's n columns (any order)
               CASE WHEN con.contype = 'f' THEN EXISTS (
                   SELECT 1 FROM pg_index i
                   WHERE i.indrelid = con.conrelid AND i.indisvalid AND i.indpred IS NULL
                     AND i.indnkeyatts >= cardinality(con.conkey)
                     AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
                     AND con.conkey @> (i.indkey::int2[])[0:cardinality(con.conkey) - 1]) END AS indexed,
               ds.description AS comment
        FROM pg_constraint con
        JOIN redkey.system_schema_relations r ON r.table_oid = con.conrelid
        LEFT JOIN pg_description ds ON ds.objoid = con.oid AND ds.classoid = 'pg_constraint'::regclass
        LEFT JOIN LATERAL (
            SELECT array_agg(a.attname::text ORDER BY k.ord) AS names,
                   string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS quoted
            FROM unnest(con.conkey) WITH ORDINALITY AS k(col, ord)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col) cols ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(a.attname::text ORDER BY k.ord) AS names,
                   string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS quoted
            FROM unnest(con.confkey) WITH ORDINALITY AS k(col, ord)
            JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.col
            WHERE con.contype = 'f') refs ON true
        WHERE (con.conparentid = 0 OR con.contype <> 'f') AND con.contype <> 'n'
    ) k
    LEFT JOIN pg_class rc ON rc.oid = k.ref_oid
    LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace;
    SELECT count(*) INTO v_fk FROM redkey.system_schema_constraints WHERE contype = 'f';

    -- 4. Indexes (key columns only: INCLUDE columns do not serve an FK lookup). Plain column indexes
    --    get their definition assembled; pg_get_indexdef (costly) only for expression/partial ones.
    INSERT INTO redkey.system_schema_indexes
        (table_oid, index_name, key_columns, is_unique, is_primary, is_partial, is_valid, definition)
    SELECT i.indrelid, ic.relname, keys.names, i.indisunique, i.indisprimary, i.indpred IS NOT NULL, i.indisvalid,
           CASE WHEN i.indexprs IS NOT NULL OR i.indpred IS NOT NULL OR i.indnkeyatts <> i.indnatts
                THEN pg_get_indexdef(i.indexrelid)
                ELSE 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
                     || quote_ident(ic.relname) || ' ON ' || CASE WHEN ic.relkind = 'I' THEN 'ONLY ' ELSE '' END
                     || quote_ident(r.schema_name) || '.'
                     || quote_ident(r.table_name) || ' USING ' || am.amname || ' (' || keys.quoted || ')' END
    FROM pg_index i
    JOIN redkey.system_schema_relations r ON r.table_oid = i.indrelid
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    CROSS JOIN LATERAL (
        SELECT array_agg(a.attname::text ORDER BY k.ord) AS names,
               string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS quoted
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(col, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.col AND k.col > 0
        WHERE k.ord <= i.indnkeyatts) keys;

    -- 5. RLS policies (role names through pg_roles-equivalent pg_get_userbyid, never pg_authid).
    INSERT INTO redkey.system_schema_policies
        (table_oid, policy_name, command, permissive, roles, using_expr, check_expr)
    SELECT p.polrelid, p.polname,
           CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                         WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
           p.polpermissive,
           CASE WHEN p.polroles = '{0}'::oid[] THEN ARRAY['public']
                ELSE ARRAY(SELECT pg_get_userbyid(o) FROM unnest(p.polroles) AS o ORDER BY 1) END,
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
    FROM pg_policy p
    JOIN redkey.system_schema_relations r ON r.table_oid = p.polrelid;

    -- 6. View lineage: pg_rewrite rules of each view depend on the relations (and columns) they read.
    INSERT INTO redkey.system_schema_lineage
        (view_oid, source_oid, source_schema, source_table, source_relkind, columns)
    SELECT rw.ev_class, d.refobjid, sn.nspname, sc.relname, sc.relkind::text,
           coalesce(array_agg(DISTINCT sa.attname::text) FILTER (WHERE sa.attname IS NOT NULL), '{}')
    FROM pg_depend d
    JOIN pg_rewrite rw ON rw.oid = d.objid
    JOIN redkey.system_schema_relations v ON v.table_oid = rw.ev_class
    JOIN pg_class sc ON sc.oid = d.refobjid
    JOIN pg_namespace sn ON sn.oid = sc.relnamespace
    LEFT JOIN pg_attribute sa ON sa.attrelid = d.refobjid AND sa.attnum = d.refobjsubid AND d.refobjsubid > 0
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
      AND d.refobjid <> rw.ev_class
    GROUP BY rw.ev_class, d.refobjid, sn.nspname, sc.relname, sc.relkind;

    INSERT INTO redkey.system_schema_refresh AS s (singleton, refreshed_at, duration_ms, relations, columns, foreign_keys)
    VALUES (true, v_now, round(extract(epoch FROM clock_timestamp() - v_start)::numeric * 1000, 1), v_rel, v_col, v_fk)
    ON CONFLICT (singleton) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms,
        relations = EXCLUDED.relations, columns = EXCLUDED.columns, foreign_keys = EXCLUDED.foreign_keys;

    RETURN QUERY SELECT s.refreshed_at, s.duration_ms, s.relations, s.columns, s.foreign_keys
                 FROM redkey.system_schema_refresh s;
END
$fn$;

REVOKE ALL ON FUNCTION redkey.refresh_system_schema_cache() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redkey.refresh_system_schema_cache()
    TO redkey_readonly, redkey_operational, redkey_strategic;
GRANT EXECUTE ON FUNCTION redkey.is_system_schema(text) TO PUBLIC;
GRANT SELECT ON redkey.system_schema_relations, redkey.system_schema_constraints, redkey.system_schema_indexes,
    redkey.system_schema_policies, redkey.system_schema_lineage, redkey.system_schema_refresh
    TO redkey_readonly, redkey_operational, redkey_strategic;
