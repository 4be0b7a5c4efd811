"""The views between ``public.crm_*`` and the client schemas: clients in a fixed number of groups.

``public.crm_<view>`` is the ``UNION ALL`` of ``redkey_client_groups.crm_<view>_<NN>``, one per group, and
each group's view the ``UNION ALL`` of its clients' own views (``client_<id>.crm_<view>``, gated on the
session's client). A client's group follows from its id alone (:func:`group_of`), so registering or
removing a client's workspaces rewrites the views of that client's group only, a few clients long,
whatever the number of clients; public's views and the other groups' stay as they are. A query on public
still plans every client's branch (the groups are plain views, flattened by the planner) and gets the
same rows: the contract, grants and triggers are public's.

Only the owner reads the group views (public's views read them with their owner's rights); nobody else
has any privilege on the schema.
"""

from __future__ import annotations

import hashlib

from psycopg import AsyncConnection

from cockpit.db.client_schemas import revoke_from_api_sql
from cockpit.db.views import CONTRACT, REDKEY_ACTIVITY_BRANCH, _empty, client_schema, lit, q

SCHEMA = "redkey_client_groups"
GROUPS = 32


def group_of(client_id: str) -> int:
    return int(hashlib.sha256(client_id.encode()).hexdigest()[:8], 16) % GROUPS


def group_view(view: str, group: int) -> str:
    return f"{q(SCHEMA)}.{q(f'{view}_{group:02d}')}"


def grouped(clients: list[str]) -> dict[int, list[str]]:
    """Every group (empty ones too) -> its clients, sorted."""
    out: dict[int, list[str]] = {g: [] for g in range(GROUPS)}
    for c in sorted(clients):
        out[group_of(c)].append(c)
    return out


def group_view_sql(view: str, group: int, clients: list[str]) -> str:
    """One group's view: its clients' own views (same columns, same gate); no client, no row."""
    branches = [f"SELECT * FROM {q(client_schema(c))}.{view}" for c in clients] or [_empty(view)]
    return f"CREATE OR REPLACE VIEW {group_view(view, group)} AS\n" + "\nUNION ALL\n".join(branches)


def groups_sql(clients: list[str], only: set[int] | None = None) -> list[str]:
    """The schema and the views of the groups in ``only`` (None: every group)."""
    s = q(SCHEMA)
    out = [f"CREATE SCHEMA IF NOT EXISTS {s}",
           f"COMMENT ON SCHEMA {s} IS {lit('RedKey: what public.crm_* reads, the client schemas in groups, generated')}",
           f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC"]
    for group, members in grouped(clients).items():
        if only is None or group in only:
            out.extend(group_view_sql(view, group, members) for view in CONTRACT)
            out.append(f"REVOKE ALL ON {', '.join(group_view(v, group) for v in CONTRACT)} FROM PUBLIC")
    out.append(revoke_from_api_sql(SCHEMA))
    return out


def public_view_sql(view: str) -> str:
    """public's view: every group's (the same text whatever the clients); RedKey's activities of a client
    without a workspace, hence without a schema, come straight from redkey.activities."""
    branches = [f"SELECT * FROM {group_view(view, g)}" for g in range(GROUPS)]
    if view == "crm_activities":
        branches = [REDKEY_ACTIVITY_BRANCH + " AND NOT EXISTS (SELECT 1 FROM redkey.client_schemas s"
                    " WHERE s.client_id = redkey.current_client_id())"] + branches
    return f"CREATE OR REPLACE VIEW public.{view} AS\n" + "\nUNION ALL\n".join(branches)


async def missing_groups(conn: AsyncConnection) -> set[int]:
    """The groups some of whose views do not exist (never generated, or dropped with a client's schema)."""
    names = [f"{SCHEMA}.{view}_{g:02d}" for g in range(GROUPS) for view in CONTRACT]
    cur = await conn.execute("SELECT n FROM unnest(%s::text[]) n WHERE to_regclass(n) IS NULL", (names,))
    return {int(r[0].rsplit("_", 1)[1]) for r in await cur.fetchall()}
