"""Generate the set-based write path of Layer 2: ``redkey.<view>_insert_rows(jsonb)`` for the record views
whose records the operational role creates (contacts, companies).

A bulk import commits tens of thousands of records. Through the view, every row runs the INSTEAD OF
trigger (scope, role and field checks, a Layer 1 insert, an extension insert, a change notification);
this function makes the same checks once per statement and writes with one INSERT per table:

- the session is scoped to a client, and every row belongs to it (a row naming another client is refused);
- the caller holds INSERT on the view's columns it sets (the same column grants the view enforces), is a
  creator role of the view, and sets only the fields the registry lets that role set;
- Layer 1 and extension columns get the same values the trigger writes (the same generated expressions,
  Twenty's created-by columns included);
- the change feed hears one ``<kind>:`` notification (some records of that kind changed) for a large
  write, or one per record for a small one.

It runs as its owner (SECURITY DEFINER, like the trigger), so it is executable by the view's creator roles
only; the owner's own session may call it too. The Layer 1 insert is the client's: each client's schema
has ``<view>_insert_l1(rows)`` over its first workspace (as the trigger's), which the function calls for the
session's client, so the function itself does not grow with the number of workspaces.
"""

from __future__ import annotations

import re

from cockpit.db.actor import insert_actor
from cockpit.db.dispatch import LOOKUP
from cockpit.db.views import EXT_COLUMNS, L1_TABLE, Workspace, ext_table, lit, q
from cockpit.db.writes import (
    _HEADER,
    _INVOKER,
    _SCOPE_CHECK,
    CHANGE_KIND,
    _creator_hint,
    _l1_writes,
    _may,
)
from cockpit.fields import VIEWS, WRITE_ROLES, fields_of

# Views with a set-based insert: records the operational role creates without a stage to validate.
BULK_VIEWS = ("crm_contacts", "crm_companies")

# Up to this many records the change feed hears each id; beyond, one "<kind>:" for the whole write.
NOTIFY_EACH_UP_TO = 100


def bulk_function_name(view: str) -> str:
    return f"redkey.{view}_insert_rows"


def _rows(expr: str) -> str:
    """A trigger expression on NEW, as an expression on the row alias r."""
    return re.sub(r"\bNEW\.", "r.", expr)


def l1_insert_function(view: str, workspaces: list[Workspace], ns: str) -> str:
    """A client schema's Layer 1 insert of rows already checked by :func:`bulk_insert_function`: into the
    client's first workspace, as the trigger inserts."""
    w = workspaces[0]
    assign = ([(l1, _rows(e)) for _, l1, e in _l1_writes(view, w)]
              + insert_actor(w.shape, L1_TABLE[view]))  # type: ignore[arg-type]
    cols = ", ".join(["id"] + [q(l1) for l1, _ in assign])
    vals = ", ".join(["r.id"] + [expr for _, expr in assign])
    fn = f"{q(ns)}.{view}_insert_l1"
    table = q(L1_TABLE[view])  # type: ignore[arg-type]
    return f"""
CREATE OR REPLACE FUNCTION {fn}(p_rows {q(ns)}.{view}[]) RETURNS void
{_HEADER}
BEGIN
    INSERT INTO {q(w.schema)}.{table} ({cols})
    SELECT {vals} FROM unnest(p_rows) r;
END
$fn$;
REVOKE ALL ON FUNCTION {fn}({q(ns)}.{view}[]) FROM PUBLIC;
"""


def bulk_insert_function(view: str) -> str:
    fields = fields_of(view)
    creators = VIEWS[view].creators
    ext = ext_table(view)
    ext_cols = EXT_COLUMNS[view]
    defaults = {f.name: f.default for f in fields if f.default is not None}
    kind = CHANGE_KIND[view]
    # the rows, typed as the view's rows, with ids given to the rows that have none
    row_of = ", ".join("coalesce(x.id, gen_random_uuid())" if f.name == "id"
                       else "v_client" if f.name == "client_id" else f"x.{q(f.name)}" for f in fields)

    field_checks, refused = [], []
    for f in fields:
        roles = tuple(r for r in f.insert_roles if r in creators)
        if f.name in ("id", "client_id") or set(roles) == set(creators):
            continue
        refused.append(f"(NOT {_may(roles)} AND r.{q(f.name)} IS NOT NULL)")
        field_checks.append(f"""        IF NOT {_may(roles)} AND EXISTS (SELECT 1 FROM unnest(v_rows) r WHERE r.{q(f.name)} IS NOT NULL) THEN
            RAISE EXCEPTION '{view}.{f.name} may not be set by %', v_role USING ERRCODE = '42501';
        END IF;""")
    # one pass over the rows finds whether any sets a field its role may not; the checks then name it
    field_check = (f"""    IF EXISTS (SELECT 1 FROM unnest(v_rows) r WHERE {" OR ".join(refused)}) THEN
{chr(10).join(field_checks)}
    END IF;""" if refused else "")

    ext_vals = ", ".join(f"coalesce(r.{c}, {defaults[c]})" if c in defaults else f"r.{c}" for c in ext_cols)
    any_ext = " OR ".join(f"r.{c} IS NOT NULL" for c in ext_cols)
    return f"""
CREATE OR REPLACE FUNCTION {bulk_function_name(view)}(p_rows jsonb) RETURNS integer
{_HEADER}
DECLARE
    v_client text := redkey.current_client_id();
    v_role text := {_INVOKER};
    v_owner boolean;
    v_operational boolean;
    v_strategic boolean;
    v_schema text;
    v_rows public.{view}[];
    v_col text;
    v_cols text[];
    v_n integer;
BEGIN
{_SCOPE_CHECK}
    IF jsonb_typeof(p_rows) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION '{bulk_function_name(view)} takes a JSON array of {view} rows' USING ERRCODE = '22023';
    END IF;
    v_owner := pg_has_role(v_role, (SELECT c.relowner FROM pg_catalog.pg_class c
                                     WHERE c.oid = 'public.{view}'::regclass), 'USAGE');
{chr(10).join(f"    v_{r} := pg_has_role(v_role, 'redkey_{r}', 'USAGE');" for r in WRITE_ROLES)}
    IF NOT {_may(creators)} THEN
        RAISE EXCEPTION '{view}: records are created under the {" or ".join(creators)} role, not as %', v_role
            USING ERRCODE = '42501', HINT = {lit(_creator_hint(view))};
    END IF;
    -- the columns the rows set: each a column of the view the caller may INSERT, as through the view.
    -- One pass finds whether a row has any other key (or is not an object); the loop then names it.
    v_cols := ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = 'public.{view}'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                      AND (v_owner OR has_column_privilege(v_role, 'public.{view}', a.attname, 'INSERT')));
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_rows) e
               WHERE jsonb_typeof(e) IS DISTINCT FROM 'object' OR e - v_cols <> '{{}}'::jsonb) THEN
        FOR v_col IN SELECT DISTINCT k FROM jsonb_array_elements(p_rows) e, jsonb_object_keys(e) k LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = 'public.{view}'::regclass AND a.attname = v_col AND a.attnum > 0
                             AND NOT a.attisdropped) THEN
                RAISE EXCEPTION 'column "%" of relation "{view}" does not exist', v_col USING ERRCODE = '42703';
            END IF;
            IF NOT v_owner AND NOT has_column_privilege(v_role, 'public.{view}', v_col, 'INSERT') THEN
                RAISE EXCEPTION 'permission denied for view {view} (column %)', v_col USING ERRCODE = '42501';
            END IF;
        END LOOP;
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_rows) e
               WHERE coalesce(e ->> 'client_id', v_client) <> v_client) THEN
        RAISE EXCEPTION 'cannot create a record for another client from a session scoped to %', v_client
            USING ERRCODE = '42501';
    END IF;
    v_rows := ARRAY(SELECT ROW({row_of})::public.{view}
                    FROM jsonb_populate_recordset(NULL::public.{view}, p_rows) x);
    v_n := cardinality(v_rows);
    IF v_n = 0 THEN
        RETURN 0;
    END IF;
{field_check}
{LOOKUP}
    EXECUTE format('SELECT %1$I.{view}_insert_l1(ARRAY(SELECT ROW((r).*)::%1$I.{view} FROM unnest($1) r))', v_schema)
        USING v_rows;
    INSERT INTO {ext} (client_id, record_id, {", ".join(ext_cols)})
    SELECT v_client, r.id, {ext_vals} FROM unnest(v_rows) r WHERE {any_ext};
    IF v_n <= {NOTIFY_EACH_UP_TO} THEN
        PERFORM redkey.notify_change(v_client, '{kind}', r.id::text) FROM unnest(v_rows) r;
    ELSE
        PERFORM redkey.notify_change(v_client, '{kind}', NULL);
    END IF;
    RETURN v_n;
END
$fn$;
REVOKE ALL ON FUNCTION {bulk_function_name(view)}(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {bulk_function_name(view)}(jsonb) TO {", ".join(f"redkey_{r}" for r in creators)};
"""


def bulk_sql() -> list[str]:
    return [bulk_insert_function(view) for view in BULK_VIEWS]


def client_bulk_sql(workspaces: list[Workspace], ns: str) -> list[str]:
    return [l1_insert_function(view, workspaces, ns) for view in BULK_VIEWS]
