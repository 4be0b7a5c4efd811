"""Apply Layer 2: (re)generate the stable views, triggers, functions and grants from redkey.workspaces.

Run after every migration and whenever a workspace is registered or Layer 1 changes (a Twenty
upgrade). Views are replaced in place (CREATE OR REPLACE keeps grants and dependants), all in one
transaction under an advisory lock, so two processes regenerating at once cannot interleave.
"""

from __future__ import annotations

import re

from psycopg import AsyncConnection

from cockpit.db.board import public_board_functions
from cockpit.db.stage_totals import public_totals_functions
from cockpit.db.bulk_writes import bulk_sql
from cockpit.db.client_schemas import (
    apply_client_schemas,
    by_client,
    client_sql,
    drop_stale_client_schemas,
    fingerprint,
    run_batch,
)
from cockpit.db import custom_fields
from cockpit.db import notes_tasks
from cockpit.db.layer1 import WorkspaceShape, read_shapes
from cockpit.db.data_api import lock_down
from cockpit.db.matches import matches_sql
from cockpit.db.phones import PHONE_FUNCTIONS
from cockpit.db.views import CONTRACT, RECORD_VIEWS, Workspace, client_schema, ext_table, lit, public_view_sql, q
from cockpit.db.grants import grants_sql
from cockpit.db.writes import (
    ACTIVITY_TRIGGER,
    MOVE_DEAL,
    SEARCHES,
    public_search_function,
    record_trigger,
)
from cockpit.errors import WorkspaceRejected
from cockpit.fields import Field, fields_of

LOCK_KEY = 0x7265646B  # "redk"


async def load_workspaces(conn: AsyncConnection) -> list[Workspace]:
    cur = await conn.execute(
        "SELECT schema_name, client_id FROM redkey.workspaces ORDER BY client_id, added_at, schema_name")
    rows = await cur.fetchall()
    shapes = await read_shapes(conn, [schema for schema, _ in rows])
    await custom_fields.read_custom_meta(conn, shapes)
    out = []
    for schema, client in rows:
        shape = shapes[schema]
        check_shape(shape)
        out.append(Workspace(schema, client, shape))
    return out


# The schema names Twenty gives workspaces: "workspace_" and a base-36 id (lowercase letters, digits).
SCHEMA_NAME = re.compile(r"workspace_[a-z0-9]{1,60}")


def check_schema_name(schema: str) -> None:
    """Refuse a schema name Twenty would never create (before it reaches any generated SQL)."""
    if not SCHEMA_NAME.fullmatch(schema or ""):
        raise WorkspaceRejected(
            f"schema {schema!r} is not a usable Twenty workspace: Twenty names them workspace_<id> "
            "(lowercase letters and digits only)",
            "copy the schema name from `cockpit workspace list` or Twenty's database")


def check_shape(shape: WorkspaceShape) -> None:
    check_schema_name(shape.schema)
    if not shape.columns:
        raise WorkspaceRejected(f"schema {shape.schema} does not exist or has no tables",
                                "check the name with `cockpit workspace list` or in Twenty's settings")
    missing = shape.missing()
    if missing:
        raise WorkspaceRejected(
            f"schema {shape.schema} is not a usable Twenty workspace: missing " + ", ".join(missing),
            "register the schema of a Twenty workspace (workspace_<id>), or upgrade Twenty")
    if shape.stage_type is None:
        raise WorkspaceRejected(f"schema {shape.schema}: opportunity.stage has no type")


def generate(workspaces: list[Workspace]) -> list[str]:
    """Every statement of Layer 2, in order: each client's schema, then public's (which reads them)."""
    stmts: list[str] = [PHONE_FUNCTIONS]
    for client, stmts_of_client in sorted(generate_clients(workspaces).items()):
        stmts.extend(stmts_of_client)
    return stmts + generate_public(workspaces)


__all__ = ["fingerprint", "generate", "generate_clients", "generate_public", "load_workspaces", "regenerate"]


def generate_clients(workspaces: list[Workspace]) -> dict[str, list[str]]:
    """Each client's schema of single-branch views (client -> statements)."""
    return {client: client_sql(client, wss) for client, wss in by_client(workspaces).items()}


def generate_public(workspaces: list[Workspace]) -> list[str]:
    """The statements of public's views, triggers, functions, grants and checks (every client). The
    views and search functions read the client schemas, which must exist first."""
    clients = sorted(by_client(workspaces))
    stmts: list[str] = []
    for view in CONTRACT:
        stmts.append(public_view_sql(view, clients))
    for view in ("crm_contacts", "crm_companies", "crm_deals"):
        stmts.append(record_trigger(view, workspaces))
    stmts.extend(bulk_sql(workspaces))
    stmts.append(ACTIVITY_TRIGGER)
    stmts.extend(notes_tasks.triggers(workspaces))
    stmts.append(MOVE_DEAL)
    for view, fn in SEARCHES.items():
        stmts.append(public_search_function(view, fn))
    stmts.extend(matches_sql(workspaces))
    stmts.extend(grants_sql())
    stmts.extend(custom_fields.public_functions_sql())
    stmts.extend(public_board_functions())
    stmts.extend(public_totals_functions())
    stmts.extend(checks_sql())
    stmts.extend(pin_search_paths_sql())
    return stmts


def field_check(f: Field) -> str | None:
    """The CHECK expression the registry gives an extension column (None: no rule)."""
    col = q(f.name)
    parts = []
    if f.choices:
        parts.append(f"{col} IN ({', '.join(lit(c) for c in f.choices)})")
    if f.max_length:
        parts.append(f"char_length({col}) <= {int(f.max_length)}")
    return " AND ".join(parts) or None


def checks_sql() -> list[str]:
    """CHECK constraints on the extension tables, derived from the registry's validation.

    Each is named ``<table>_<column>_check`` (so the first generation replaces the hand-written priority
    checks the tables were created with) and carries its expression as comment: a constraint is
    re-created only when the registry changed it. Added NOT VALID: rows already stored are not scanned
    (and not refused); every new write is checked. A rule the registry dropped is dropped too.
    """
    out = []
    for view in RECORD_VIEWS:
        table = ext_table(view)
        bare = table.split(".")[1].strip('"')
        wanted = []
        for f in fields_of(view):
            expr = field_check(f) if f.ext else None
            if expr is None:
                continue
            name = f"{bare}_{f.name}_check"
            wanted.append(name)
            tag = "registry: " + expr
            out.append(f"""DO $do$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conrelid = {lit(table)}::regclass
                   AND c.conname = {lit(name)} AND pg_catalog.obj_description(c.oid, 'pg_constraint') = {lit(tag)}) THEN
        ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {q(name)};
        ALTER TABLE {table} ADD CONSTRAINT {q(name)} CHECK ({expr}) NOT VALID;
        COMMENT ON CONSTRAINT {q(name)} ON {table} IS {lit(tag)};
    END IF;
END $do$""")
        out.append(f"""DO $do$ DECLARE r record; BEGIN
    FOR r IN SELECT c.conname FROM pg_catalog.pg_constraint c WHERE c.conrelid = {lit(table)}::regclass
             AND pg_catalog.obj_description(c.oid, 'pg_constraint') LIKE 'registry: %'
             AND NOT c.conname = ANY (ARRAY[{', '.join(lit(n) for n in wanted)}]::text[]) LOOP
        EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', r.conname);
    END LOOP;
END $do$""")
    return out


def pin_search_paths_sql() -> list[str]:
    """Every SECURITY DEFINER function in public and redkey runs with pg_temp last on its search_path
    (a temporary table must not shadow a type or table its body names), whoever wrote it."""
    return ["""DO $do$ DECLARE r record; BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE p.prosecdef AND n.nspname IN ('public', 'redkey')
               AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c
                               WHERE c LIKE 'search_path=%' AND c LIKE '%pg_temp') LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', r.fn);
    END LOOP;
END $do$"""]


async def regenerate(conn: AsyncConnection, *, force: bool = True) -> list[Workspace]:
    """Regenerate Layer 2 inside the caller's transaction (the caller commits).

    public's objects are always regenerated; a client's schema only when its fingerprint changed,
    unless ``force`` (after a migration, which may have changed what the objects stand on). Recorded
    in redkey.layer2_generations with the fingerprint of the whole (:func:`fingerprint`)."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    workspaces = await load_workspaces(conn)
    groups = by_client(workspaces)
    await conn.execute(PHONE_FUNCTIONS)  # type: ignore[arg-type]  # the record triggers of every schema call them
    rebuilt = await apply_client_schemas(conn, groups, force=force)
    await run_batch(conn, generate_public(workspaces))
    await drop_stale_client_schemas(conn, set(groups))
    await conn.execute(
        "INSERT INTO redkey.layer2_generations (workspaces, sql_sha256) VALUES (%s, %s)",
        ([w.schema for w in workspaces], fingerprint(workspaces)))
    # The generated views and functions got default privileges afresh: public's and redkey's objects,
    # and the client schemas rebuilt now (the others were not touched).
    await lock_down(conn, [client_schema(c) for c in rebuilt])
    return workspaces
