"""Removing a registered Twenty workspace: Layer 2 regenerated without it, its client's objects cleaned up.

The client itself and RedKey's rows about it stay (extension fields, activities, tasks): removing a
workspace stops reading Twenty's tables there, it deletes nothing of the client's history. What
RedKey generated for the workspace goes: its branches in ``public.crm_*``, its client's schema of
single-branch views (dropped when the client has no workspace left, regenerated otherwise) and the
``redkey_*`` sort indexes RedKey put on the workspace's tables and the triggers keeping its per-stage
deal totals.
"""

from __future__ import annotations

from typing import Any

from cockpit.db import layer2
from cockpit.db.views import q
from cockpit.errors import NotFound

class WorkspaceRegistryRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def remove(self, schema: str) -> str:
        """Unregister ``schema`` and regenerate Layer 2 without it, in one transaction. Returns the
        client it belonged to."""
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "DELETE FROM redkey.workspaces WHERE schema_name = %s RETURNING client_id", (schema,))
            row = await cur.fetchone()
            if row is None:
                raise NotFound(f"workspace {schema} is not registered", "see `cockpit workspace list`")
            cur = await conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (schema,))
            if (await cur.fetchone())[0]:  # type: ignore[index]
                # the indexes RedKey made on Twenty's tables (sort orders, name words) are named redkey_*
                cur = await conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                                         "AND indexname LIKE 'redkey\\_%%'", (schema,))
                for (index,) in await cur.fetchall():
                    await conn.execute(f"DROP INDEX IF EXISTS {q(schema)}.{q(index)}")  # type: ignore[arg-type]
            await conn.execute("SELECT redkey.untrack_deal_stage_totals(%s)", (schema,))
            await conn.execute("SELECT redkey.untrack_deal_stale_keys(%s)", (schema,))
            await conn.execute("SELECT redkey.untrack_table_changes(%s)", (schema,))
            await layer2.regenerate(conn, force=False)
            return str(row[0])
