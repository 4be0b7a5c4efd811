"""The store's core: a connection pool, the session's client scope, and transactions under a role.

Every store call runs in one transaction that first sets, transaction-locally, the client scope
(``redkey.client_id``), the role (``redkey_readonly`` / ``redkey_operational`` / ``redkey_strategic``),
who is acting (``redkey.source``/``redkey.actor``, recorded on logged activities) and the statement
timeout, so the same code is right behind a transaction pooler, and puts the client's own schema of
single-branch views first on the search path (the SQL names views unqualified; see
:mod:`cockpit.db.client_schemas`). Nothing leaks
between pooled connections. Database errors leave the store as :class:`~cockpit.errors.CockpitError`
with a message fit for the user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel

from cockpit.db.connect import explain_db_error, explain_write_error
from cockpit.db.views import client_schema, q
from cockpit.errors import CockpitError, DatabaseUnavailable, ScopeError
from cockpit.models import Page, Role

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

# The store's session roles: the field-owning roles (redkey_readonly, ...) plus USAGE on the per-client
# schemas, which client-bound logins and Data API callers never get.
ROLE_NAMES: dict[str, str | None] = {
    "readonly": "redkey_cockpit_readonly",
    "operational": "redkey_cockpit_operational",
    "strategic": "redkey_cockpit_strategic",
    "owner": None,  # the login role: RedKey's own bookkeeping tables, migrations, admin
}


def keyset_page(rows: list[R], limit: int, key: Callable[[R], tuple[Any, ...]]) -> Page[R]:
    """A page from ``limit + 1`` fetched rows: the extra row only says there is more; the cursor is
    ``key`` of the last row kept."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(items=rows, next_after=key(rows[-1]))
    return Page(items=rows, next_after=None)


class Db:
    """Pool + scope, what every repository runs its transactions on. Cheap to copy: :meth:`scoped`
    shares the pool."""

    def __init__(self, pool: AsyncConnectionPool, client_id: str | None = None, *,
                 source: str = "cockpit", actor: str | None = None) -> None:
        self.pool = pool
        self.client_id = client_id
        self.source = source
        self.actor = actor

    def scoped(self, client_id: str | None, *, source: str | None = None, actor: str | None = None) -> "Db":
        """The same pool scoped to another client or acting as another source."""
        return Db(self.pool, client_id, source=source or self.source, actor=actor or self.actor)

    async def close(self) -> None:
        await self.pool.close()

    async def ping(self) -> None:
        """Round-trip to the database (raises DatabaseUnavailable when it is gone).

        First drops the pool's connections that died with the server, so after a restart the next
        query gets a fresh one instead of failing once per stale connection."""
        try:
            await self.pool.check()
        except Exception:  # noqa: BLE001 - check() itself needs the server; the query below reports it
            pass
        await self.fetch_value("SELECT 1")

    def require_scope(self) -> str:
        if not self.client_id:
            raise ScopeError("no client selected", "set COCKPIT_CLIENT_ID or pick a client in the cockpit")
        return self.client_id

    @asynccontextmanager
    async def tx(self, role: Role = "readonly", *, columns: list[str] | None = None) -> AsyncIterator[AsyncConnection]:
        """A transaction scoped to this store's client, running as ``role``.

        ``columns`` names the fields a write touches, so a refused write can say which ones.
        """
        role_name = ROLE_NAMES[role]
        try:
            async with self.pool.connection() as conn:
                async with conn.transaction():
                    timeout_ms = getattr(self.pool, "statement_timeout_ms", 0)
                    await conn.execute(
                        "SELECT set_config('redkey.client_id', %s, true), set_config('redkey.source', %s, true),"
                        " set_config('redkey.actor', %s, true)"
                        + (", set_config('role', %s, true)" if role_name else "")
                        + (", set_config('statement_timeout', %s, true)" if timeout_ms else "")
                        + (", set_config('search_path', %s || ', ' || current_setting('search_path'), true)"
                           if self.client_id else ""),
                        (self.client_id or "", self.source, self.actor or "")
                        + ((role_name,) if role_name else ()) + ((str(timeout_ms),) if timeout_ms else ())
                        + ((q(client_schema(self.client_id)),) if self.client_id else ()))
                    yield conn
        except CockpitError:
            raise
        except PoolTimeout as exc:
            raise DatabaseUnavailable("no database connection available (the database may be down)",
                                      "the cockpit keeps retrying; check `cockpit doctor`") from exc
        except psycopg.OperationalError as exc:
            raise explain_db_error(exc) from exc
        except psycopg.Error as exc:
            raise explain_write_error(exc, role=role_name, columns=columns) from exc

    # --- small query helpers -----------------------------------------------------------------
    async def fetch_models(self, model: type[M], query: str, params: Sequence[Any] | dict[str, Any] = (),
                           *, role: Role = "readonly") -> list[M]:
        async with self.tx(role) as conn:
            cur = conn.cursor(row_factory=class_row(model))
            await cur.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchall()

    async def fetch_model(self, model: type[M], query: str, params: Sequence[Any] | dict[str, Any] = (),
                          *, role: Role = "readonly") -> M | None:
        rows = await self.fetch_models(model, query, params, role=role)
        return rows[0] if rows else None

    async def fetch_dicts(self, query: str, params: Sequence[Any] | dict[str, Any] = (),
                          *, role: Role = "readonly") -> list[dict[str, Any]]:
        async with self.tx(role) as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchall()

    async def fetch_value(self, query: str, params: Sequence[Any] | dict[str, Any] = (),
                          *, role: Role = "readonly") -> Any:
        async with self.tx(role) as conn:
            cur = await conn.execute(query, params)  # type: ignore[arg-type]
            row = await cur.fetchone()
            return row[0] if row else None
