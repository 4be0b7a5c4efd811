"""LIKE escaping, once: user text with ``%``, ``_`` and backslashes matches only itself, on the real server
and through the store's searches."""

from __future__ import annotations

import psycopg

from cockpit.db.like import contains_pattern
from cockpit.store import Store

VALUES = ["50%_off — Zoë's deal", "50 percent off", "5000 off", "C:\\Users\\zoë", "C:Users", "snake_case", "snakeXcase"]


async def _matches(conn: psycopg.AsyncConnection, typed: str) -> list[str]:
    cur = await conn.execute("SELECT v FROM unnest(%s::text[]) AS v WHERE v ILIKE %s ORDER BY v",
                             (VALUES, contains_pattern(typed)))
    return [row[0] for row in await cur.fetchall()]


async def test_wildcards_and_backslashes_match_literally(conn: psycopg.AsyncConnection) -> None:
    assert await _matches(conn, "50%_") == ["50%_off — Zoë's deal"]
    assert await _matches(conn, "%") == ["50%_off — Zoë's deal"]
    assert await _matches(conn, "e_c") == ["snake_case"]
    assert await _matches(conn, ":\\u") == ["C:\\Users\\zoë"]
    assert await _matches(conn, "ZOË") == ["50%_off — Zoë's deal", "C:\\Users\\zoë"]   # still case-insensitive
    assert len(await _matches(conn, "")) == len(VALUES)


async def test_store_searches_take_wildcards_literally(store: Store) -> None:
    assert await store.crm.search_deals("acme", 10)            # the demo has Acme deals...
    assert await store.crm.search_deals("%", 10) == []         # ...and none with a literal % in its name
    await store.schema.refresh_schema_cache()
    hits = await store.schema.search_schema("_", limit=5000)      # table and column names with an underscore
    names = {h.column_name or h.table_name for h in hits}
    assert "client_id" in names and all("_" in name for name in names)
