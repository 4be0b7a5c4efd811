"""The pipeline's per-stage totals (deal count, summed amount), generated per client: ``crm_stage_totals()``.

Aggregating ``crm_deals`` reads every deal of the client (0.3-0.5 s at 1M deals). Each workspace's
opportunity table instead carries statement triggers that keep ``redkey.deal_stage_totals`` exact in
the writer's transaction (migration ``1500_deal_stage_totals.sql``); the function sums those few rows,
and falls back to aggregating the table when the triggers or the columns changed under it. It returns
what ``SELECT stage_id, count(*), coalesce(sum(amount), 0) FROM crm_deals GROUP BY stage_id`` returns
for the session's client (nothing for another client or no scope), runs as its owner (SECURITY
DEFINER, like ``crm_board_ids``: the session roles have no privilege on Layer 1 or the totals).
"""

from __future__ import annotations

from psycopg import AsyncConnection

from cockpit.db.views import Workspace, lit, q

_ROLES = "redkey_readonly, redkey_operational, redkey_strategic"
SIGNATURE = "crm_stage_totals()"


def track_sql(w: Workspace) -> list[str]:
    """Start keeping the workspace's totals (a no-op while they are kept)."""
    return [f"SELECT redkey.track_deal_stage_totals({lit(w.schema)})"]


async def retrack(conn: AsyncConnection) -> list[str]:
    """Count afresh the totals of every registered workspace whose triggers or columns changed under
    them (they are read by counting meanwhile); returns those workspaces. Run by every migration check."""
    return await retrack_workspaces(conn, "redkey.deal_stage_totals_ready", "redkey.track_deal_stage_totals")


async def retrack_workspaces(conn: AsyncConnection, ready: str, track: str) -> list[str]:
    """Run SQL function ``track`` for every registered workspace with an opportunity table for which
    ``ready`` is false; returns those workspaces."""
    cur = await conn.execute(
        "SELECT w.schema_name FROM redkey.workspaces w"  # type: ignore[arg-type]
        " WHERE to_regclass(format('%I.opportunity', w.schema_name)) IS NOT NULL"
        f" AND NOT {ready}(w.schema_name) ORDER BY 1")
    stale = [r[0] for r in await cur.fetchall()]
    for schema in stale:
        await conn.execute(f"SELECT {track}(%s)", (schema,))  # type: ignore[arg-type]
    return stale


def totals_functions(workspaces: list[Workspace], ns: str) -> list[str]:
    """A client schema's ``crm_stage_totals()`` over that client's workspaces, and its grants."""
    parts = "\nUNION ALL\n".join(
        f"    SELECT t.stage, t.deals, t.amount FROM redkey.workspace_stage_totals({lit(w.schema)}) t\n"
        f"    WHERE redkey.current_client_id() = {lit(w.client_id)}" for w in workspaces) or \
        "    SELECT NULL::text, NULL::bigint, NULL::numeric WHERE false"
    return [f"""CREATE OR REPLACE FUNCTION {q(ns)}.crm_stage_totals()
RETURNS TABLE (stage_id text, count bigint, amount numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
SELECT a.stage, sum(a.deals)::bigint, sum(a.amount) FROM (
{parts}
) a(stage, deals, amount)
GROUP BY a.stage
$fn$""", *grants_sql(ns)]


def public_totals_functions() -> list[str]:
    from cockpit.db.dispatch import public_reader  # the generator's (dispatch imports the write functions)

    return [public_reader("crm_stage_totals", [], "TABLE (stage_id text, count bigint, amount numeric)"), *grants_sql("public")]


def grants_sql(ns: str) -> list[str]:
    s = q(ns)
    return [f"REVOKE ALL ON FUNCTION {s}.{SIGNATURE} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {s}.{SIGNATURE} TO {_ROLES}"]
