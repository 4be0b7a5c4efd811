"""Apply Layer 2: (re)generate the stable views, triggers, functions and grants from redkey.workspaces.

Run after every migration and whenever a workspace is registered or Layer 1 changes (a Twenty
upgrade). Views are replaced in place (CREATE OR REPLACE keeps grants and dependants), all in one
transaction under an advisory lock, so two processes regenerating at once cannot interleave.
"""

from __future__ import annotations

import hashlib

from psycopg import AsyncConnection

from cockpit.db.data_api import lock_down
from cockpit.db.layer1 import WorkspaceShape, read_shape
from cockpit.db.views import CONTRACT, Workspace, view_sql
from cockpit.db.writes import (
    ACTIVITY_TRIGGER,
    MOVE_DEAL,
    SEARCHES,
    grants_sql,
    record_trigger,
    search_function,
    sort_index_sql,
)
from cockpit.errors import WorkspaceRejected

LOCK_KEY = 0x7265646B  # "redk"


async def load_workspaces(conn: AsyncConnection) -> list[Workspace]:
    cur = await conn.execute(
        "SELECT schema_name, client_id FROM redkey.workspaces ORDER BY client_id, added_at, schema_name")
    rows = await cur.fetchall()
    out = []
    for schema, client in rows:
        shape = await read_shape(conn, schema)
        check_shape(shape)
        out.append(Workspace(schema, client, shape))
    return out


def check_shape(shape: WorkspaceShape) -> None:
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
    """Every statement of Layer 2, in order."""
    stmts: list[str] = []
    for w in workspaces:
        stmts.extend(sort_index_sql(w))
    for view in CONTRACT:
        stmts.append(view_sql(view, workspaces))
    for view in ("crm_contacts", "crm_companies", "crm_deals"):
        stmts.append(record_trigger(view, workspaces))
    stmts.append(ACTIVITY_TRIGGER)
    stmts.append(MOVE_DEAL)
    for view, fn in SEARCHES.items():
        stmts.append(search_function(view, fn, workspaces))
    stmts.extend(grants_sql())
    return stmts


async def regenerate(conn: AsyncConnection) -> list[Workspace]:
    """Regenerate Layer 2 inside the caller's transaction (the caller commits)."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    workspaces = await load_workspaces(conn)
    stmts = generate(workspaces)
    for stmt in stmts:
        await conn.execute(stmt)  # type: ignore[arg-type]
    digest = hashlib.sha256("\n;\n".join(stmts).encode()).hexdigest()
    await conn.execute(
        "INSERT INTO redkey.layer2_generations (workspaces, sql_sha256) VALUES (%s, %s)",
        ([w.schema for w in workspaces], digest))
    await lock_down(conn)  # the generated views and functions got default privileges afresh
    return workspaces
