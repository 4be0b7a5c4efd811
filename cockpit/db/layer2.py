"""Apply Layer 2: (re)generate the stable views, triggers, functions and grants from redkey.workspaces.

Run after every migration and whenever a workspace is registered or Layer 1 changes (a Twenty
upgrade). Views are replaced in place (CREATE OR REPLACE keeps grants and dependants), all in one
transaction under an advisory lock, so two processes regenerating at once cannot interleave.
"""

from __future__ import annotations

import hashlib

from psycopg import AsyncConnection

from cockpit.db.board import public_board_functions
from cockpit.db.stage_totals import public_totals_functions
from cockpit.db.bulk_writes import bulk_sql
from cockpit.db.client_schemas import apply_client_schemas, by_client, client_sql, drop_stale_client_schemas, run_batch
from cockpit.db import custom_fields
from cockpit.db.data_api import lock_down
from cockpit.db.generation import GENERATOR, fingerprint, load_workspaces
from cockpit.db.dispatch import dispatch_sql
from cockpit.db.phones import PHONE_FUNCTIONS
from cockpit.db.client_groups import group_of, groups_sql, missing_groups, public_view_sql
from cockpit.db.views import CONTRACT, RECORD_VIEWS, Workspace, client_schema, ext_table, lit, q
from cockpit.db.grants import grants_sql
from cockpit.db.writes import ACTIVITY_TRIGGER, MOVE_DEAL
from cockpit.fields import Field, fields_of

LOCK_KEY = 0x7265646B  # "redk"


def generate(workspaces: list[Workspace]) -> list[str]:
    """Every statement of Layer 2, in order: each client's schema, the groups of clients reading them,
    then public's (which reads the groups)."""
    stmts: list[str] = [PHONE_FUNCTIONS]
    for client, stmts_of_client in sorted(generate_clients(workspaces).items()):
        stmts.extend(stmts_of_client)
    return stmts + groups_sql(sorted(by_client(workspaces))) + generate_public()


__all__ = ["fingerprint", "generate", "generate_clients", "generate_public", "load_workspaces", "regenerate"]


def generate_clients(workspaces: list[Workspace]) -> dict[str, list[str]]:
    """Each client's schema of single-branch views (client -> statements)."""
    return {client: client_sql(client, wss) for client, wss in by_client(workspaces).items()}


def generate_public() -> list[str]:
    """The statements of public's views, triggers, functions, grants and checks (every client). The
    views read the groups of clients (:mod:`cockpit.db.client_groups`), which must exist first; the
    triggers and functions call the session's client's schema. None of it depends on the workspaces."""
    stmts: list[str] = []
    for view in CONTRACT:
        stmts.append(public_view_sql(view))
    stmts.extend(dispatch_sql())
    stmts.extend(bulk_sql())
    stmts.append(ACTIVITY_TRIGGER)
    stmts.append(MOVE_DEAL)
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

    A client's schema is regenerated when its fingerprint changed, a group's views when a client joined
    or left it (or they are missing); public's objects (which do not depend on the workspaces) and every
    group's views when the generator changed or public's views are missing; everything with ``force``
    (after a migration, which may have changed what the objects stand on). Recorded in
    redkey.layer2_generations with the fingerprint of the whole (:func:`fingerprint`) and the digest of
    the generator and public's statements."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    workspaces = await load_workspaces(conn)
    groups = by_client(workspaces)
    cur = await conn.execute("SELECT client_id FROM redkey.client_schemas")
    before = {r[0] for r in await cur.fetchall()}
    await conn.execute(PHONE_FUNCTIONS)  # type: ignore[arg-type]  # the record triggers of every schema call them
    rebuilt = await apply_client_schemas(conn, groups, force=force)
    public = generate_public()
    # public's statements and the groups' (SELECT * is expanded when a view is made): a new generator
    # (a contract change) rewrites them all
    digest = hashlib.sha256("\n;\n".join([GENERATOR, *public]).encode()).hexdigest()
    current = not force and await public_in_place(conn, digest)
    changed = {group_of(c) for c in before ^ set(groups)} | await missing_groups(conn) if current else None
    await run_batch(conn, groups_sql(sorted(groups), changed))
    if not current:
        await run_batch(conn, public)
    await drop_stale_client_schemas(conn, set(groups))
    await conn.execute(
        "INSERT INTO redkey.layer2_generations (workspaces, sql_sha256, public_sha256) VALUES (%s, %s, %s)",
        ([w.schema for w in workspaces], fingerprint(workspaces), digest))
    # The generated views and functions got default privileges afresh: public's and redkey's objects,
    # and the client schemas rebuilt now (the others were not touched).
    await lock_down(conn, [client_schema(c) for c in rebuilt])
    return workspaces


async def public_in_place(conn: AsyncConnection, digest: str) -> bool:
    """Whether the last generation ran public's statements with this digest and its views still exist."""
    cur = await conn.execute(
        "SELECT (SELECT public_sha256 FROM redkey.layer2_generations ORDER BY id DESC LIMIT 1) = %s"
        " AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[]) v WHERE to_regclass(v) IS NULL)",
        (digest, [f"public.{view}" for view in CONTRACT]))
    return bool((await cur.fetchone())[0])  # type: ignore[index]
