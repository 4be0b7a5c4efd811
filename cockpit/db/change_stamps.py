"""Change stamps on each workspace's tables (migration ``1701_change_stamps.sql``): the change feed's
poll reads a few stamp rows per client (``redkey.changes_stamp``) instead of aggregating the contacts,
companies, activities, notes and tasks views, which it did every few seconds to notice Twenty's own writes.

Every statement writing a stamped table (``redkey.stamped_relations()``: person, company,
timelineActivity, note, noteTarget, task, taskTarget) appends a stamp in the writer's transaction; a table whose trigger
is missing or disabled makes the client's stamp NULL and the poll scans as before, until the next
migration check puts the trigger back.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from cockpit.db.views import Workspace, lit


def track_sql(w: Workspace) -> list[str]:
    """Stamp the workspace's tables (a no-op for those already stamped)."""
    return [f"SELECT redkey.track_table_changes({lit(w.schema)})"]


async def retrack(conn: AsyncConnection) -> list[str]:
    """Put back the triggers of every registered workspace table that lost (or disabled) its own;
    returns those workspaces. Run by every migration check."""
    cur = await conn.execute(
        "SELECT w.schema_name FROM redkey.workspaces w WHERE NOT (SELECT bool_and(redkey.change_stamps_ready("
        "w.schema_name, r)) FROM unnest(redkey.stamped_relations()) r) ORDER BY 1")
    stale = [r[0] for r in await cur.fetchall()]
    for schema in stale:
        await conn.execute("SELECT redkey.track_table_changes(%s)", (schema,))
    return stale
