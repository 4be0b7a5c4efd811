"""The board's stalest-first order: ``redkey.deal_stale_keys`` kept per workspace (migration
``1700_deal_stale_keys.sql``), walked by ``crm_board_ids_staleness`` / ``crm_stage_page_ids_staleness``
(:mod:`cockpit.db.board`).

A deal's staleness ``coalesce(last_activity_at, created_at)`` spans Twenty's opportunity table and
RedKey's ``deal_ext``; the table copies both per live deal, kept exact by statement triggers on each
workspace's opportunity table and on ``deal_ext``. While a workspace's triggers or columns are not as
they were when it was copied, the board ranks that workspace's deals instead (same ids, slower), and
the next migration check copies it afresh.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from cockpit.db.stage_totals import retrack_workspaces
from cockpit.db.views import Workspace, lit


def track_sql(w: Workspace) -> list[str]:
    """Start keeping the workspace's rows (a no-op while they are kept)."""
    return [f"SELECT redkey.track_deal_stale_keys({lit(w.schema)})"]


async def retrack(conn: AsyncConnection) -> list[str]:
    """Copy afresh the rows of every registered workspace whose triggers or columns changed under them;
    returns those workspaces. Run by every migration check."""
    return await retrack_workspaces(conn, "redkey.deal_stale_keys_ready", "redkey.track_deal_stale_keys")
