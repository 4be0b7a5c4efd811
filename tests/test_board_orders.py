"""The board's other orders (close date, stalest first) are index walks like the amount order: the store's
board and every page of every column show exactly crm_deals' order for BezelIQ's two workspaces (ties,
missing close dates and activity, deleted deals); the staleness keys follow every write to Twenty's
opportunity table and to RedKey's deal_ext (psql, the activity log, soft deletes and restores, hard
deletes, TRUNCATE), fall back to ranking when a trigger is disabled, and the walks use the indexes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.board import SORTS, _page_branch, _top_branch
from cockpit.db.layer1 import read_shapes
from cockpit.db.migrate import migrate
from cockpit.db.views import Workspace, client_schema
from cockpit.store import Store
from tests.test_stage_totals import WS2, _stages  # the second workspace's stage labels, in order

OPP = sql.SQL("{}.opportunity").format(sql.Identifier(WS2))
KEYS = {"amount": "coalesce(amount, -1) DESC, id DESC", "close_date": "coalesce(close_date, DATE '9999-12-31'), id",
        "staleness": "coalesce(last_activity_at, created_at), id"}
T0 = datetime(2025, 3, 9, 8, 30, tzinfo=timezone.utc)
# What the stale keys must hold: every live deal of every tracked workspace, from the two tables.
EXPECTED_KEYS = """
SELECT w.schema_name, p.id, p.stage::text, p."createdAt", x.last_activity_at FROM {ws}.opportunity p
JOIN redkey.workspaces w ON w.schema_name = {name}
LEFT JOIN redkey.deal_ext x ON x.client_id = w.client_id AND x.record_id = p.id WHERE p."deletedAt" IS NULL"""


async def _second_workspace(url: str) -> list[uuid.UUID]:
    """Another workspace of BezelIQ's whose deals tie on close date, creation and last activity, lack
    some of them, or were deleted; returns its live deals' ids."""
    store = await Store.open(Settings(database_url=url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await store.admin.create_fixture_workspace(WS2, None)
        await store.admin.register_workspace(WS2, "bezeliq")
    finally:
        await store.close()
    live = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        stages = await _stages(conn)
        for i in range(40):
            deal = uuid.uuid4()
            deleted = "2026-11-01" if i % 11 == 0 else None
            await conn.execute(
                sql.SQL('INSERT INTO {} (id, name, stage, "closeDate", "createdAt", "deletedAt") '
                        "VALUES (%s, %s, %s, %s, %s, %s)").format(OPP),
                (deal, f"Müller & Söhne – Los {i}", stages[i % len(stages)],
                 None if i % 5 == 0 else T0 + timedelta(days=i % 4, hours=23 * (i % 2)),
                 T0 + timedelta(days=i % 3), deleted))
            if i % 3:
                await conn.execute("INSERT INTO redkey.deal_ext (client_id, record_id, last_activity_at) "
                                   "VALUES ('bezeliq', %s, %s)", (deal, T0 + timedelta(days=i % 6) if i % 4 else None))
            if deleted is None:
                live.append(deal)
    return live


async def _assert_board_is_the_views_order(store: Store, conn: psycopg.AsyncConnection, sort: str) -> None:
    board = await store.crm.board(sort=sort, limit=3)  # type: ignore[arg-type]
    for stage in [s.stage_id for s in await store.crm.pipeline()]:
        cur = await conn.execute(f"SELECT id FROM public.crm_deals WHERE stage_id = %s ORDER BY {KEYS[sort]}",  # type: ignore[arg-type]
                                 (stage,))
        expected = [r[0] for r in await cur.fetchall()]
        page = board.get(stage)
        shown = [c.id for c in page.items] if page else []
        while page is not None and page.next_after is not None:
            page = await store.crm.deal_cards(stage, sort=sort, after=page.next_after, limit=3)  # type: ignore[arg-type]
            shown.extend(c.id for c in page.items)
        assert shown == expected, (sort, stage)
        first = await store.crm.deal_cards(stage, sort=sort, limit=3)  # type: ignore[arg-type]
        assert [c.id for c in first.items] == expected[:3], (sort, stage)


async def _assert_keys_exact(conn: psycopg.AsyncConnection) -> None:
    expected: set[tuple] = set()
    for (ws,) in await (await conn.execute("SELECT schema_name FROM redkey.workspaces")).fetchall():
        query = sql.SQL(EXPECTED_KEYS).format(ws=sql.Identifier(ws), name=sql.Literal(ws))
        expected |= set(await (await conn.execute(query)).fetchall())
    cur = await conn.execute("SELECT workspace, id, stage, created_at, last_activity_at FROM redkey.deal_stale_keys")
    assert set(await cur.fetchall()) == expected


async def test_every_order_pages_in_the_views_order_for_every_client(db_url: str) -> None:
    await _second_workspace(db_url)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for client in ("bezeliq", "northwind"):
            store = await Store.open(Settings(database_url=db_url, client_id=client, _env_file=None),  # type: ignore[call-arg]
                                     min_size=0, max_size=2)
            try:
                await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client,))
                for sort in SORTS:
                    await _assert_board_is_the_views_order(store, conn, sort)
            finally:
                await store.close()
        # another client's schema, or no scope at all: nothing
        for sort in SORTS.values():
            await conn.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}.{}(50)").format(
                sql.Identifier(client_schema("bezeliq")), sql.Identifier(f"crm_board_ids{sort.suffix}")))
            assert (await cur.fetchone()) == (0,)
            await conn.execute("SELECT set_config('redkey.client_id', '', false)")
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM public.{}(50)").format(
                sql.Identifier(f"crm_board_ids{sort.suffix}")))
            assert (await cur.fetchone()) == (0,)


async def test_stale_keys_follow_every_write_and_fall_back_without_their_triggers(db_url: str) -> None:
    live = await _second_workspace(db_url)
    store = await Store.open(Settings(database_url=db_url, client_id="bezeliq", _env_file=None),  # type: ignore[call-arg]
                             min_size=0, max_size=2)
    try:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
            await _assert_keys_exact(conn)
            stages = await _stages(conn)
            a, b, c, d = live[:4]
            # Twenty (psql) moves, re-dates, soft-deletes, restores, inserts and deletes deals
            await conn.execute(sql.SQL("UPDATE {} SET stage = %s WHERE id = %s").format(OPP), (stages[-1], a))
            await conn.execute(sql.SQL('UPDATE {} SET "createdAt" = %s, name = name || %s WHERE id = ANY(%s)').format(OPP),
                               (T0 - timedelta(days=400), " (relancé)", [b, c]))
            await conn.execute(sql.SQL('UPDATE {} SET "deletedAt" = now() WHERE id = %s').format(OPP), (c,))
            await _assert_keys_exact(conn)
            await conn.execute(sql.SQL('UPDATE {} SET "deletedAt" = NULL WHERE id = %s').format(OPP), (c,))
            new = uuid.uuid4()
            await conn.execute(sql.SQL("INSERT INTO {} (id, name, stage) VALUES (%s, 'Ørsted — éolien', %s)").format(OPP),
                               (new, stages[0]))
            await conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(OPP), (d,))
            await _assert_keys_exact(conn)
            # RedKey's side: the activity log moves last_activity_at; deal_ext rows written and deleted
            await store.crm.log_activity(kind="call", summary="Rappel — devis signé ?", deal_id=new, source="cockpit",
                                     occurred_at=T0 + timedelta(days=30))
            await conn.execute("UPDATE redkey.deal_ext SET last_activity_at = %s WHERE client_id = 'bezeliq' "
                               "AND record_id = %s", (T0 - timedelta(days=900), b))
            await conn.execute("DELETE FROM redkey.deal_ext WHERE client_id = 'bezeliq' AND record_id = %s", (a,))
            await _assert_keys_exact(conn)
            # a rolled-back write leaves nothing
            async with conn.transaction(force_rollback=True):
                await conn.execute(sql.SQL("UPDATE {} SET stage = %s").format(OPP), (stages[0],))
            await _assert_keys_exact(conn)
            await _assert_board_is_the_views_order(store, conn, "staleness")
            # a disabled trigger: not read (the board ranks instead, same cards) until copied afresh
            await conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER redkey_stale_keys_update").format(OPP))
            await conn.execute(sql.SQL("UPDATE {} SET stage = %s WHERE id = %s").format(OPP), (stages[1], b))
            assert (await (await conn.execute("SELECT redkey.deal_stale_keys_ready(%s)", (WS2,))).fetchone()) == (False,)
            await _assert_board_is_the_views_order(store, conn, "staleness")
            await conn.execute(sql.SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER redkey_stale_keys_update").format(OPP))
            assert (await (await conn.execute("SELECT redkey.deal_stale_keys_ready(%s)", (WS2,))).fetchone()) == (False,)
            await migrate(conn)
            assert (await (await conn.execute("SELECT redkey.deal_stale_keys_ready(%s)", (WS2,))).fetchone()) == (True,)
            await _assert_keys_exact(conn)
            await conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(OPP))
            await _assert_keys_exact(conn)
            await _assert_board_is_the_views_order(store, conn, "staleness")
            # removing the workspace removes its rows and triggers
            await store.workspace_registry.remove(WS2)
            cur = await conn.execute("SELECT count(*) FROM redkey.deal_stale_keys WHERE workspace = %s", (WS2,))
            assert (await cur.fetchone()) == (0,)
            cur = await conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass"
                                     " AND tgname LIKE 'redkey_stale_keys_%%'", (f'"{WS2}".opportunity',))
            assert (await cur.fetchone()) == (0,)
    finally:
        await store.close()


async def test_the_walks_use_the_indexes(db_url: str) -> None:
    """Each order's first cards and next page, as generated for a workspace, are index walks (the demo
    is small: the planner is asked whether the index can serve)."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        ws = (await (await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone())[0]  # type: ignore[index]
        w = Workspace(ws, "bezeliq", (await read_shapes(conn, [ws]))[ws])
        await conn.execute("SET enable_seqscan = off")
        await conn.execute("SET enable_bitmapscan = off")
        for sort in SORTS.values():
            for n, (body, types) in enumerate(((_top_branch(w, sort), "integer"),
                                               (_page_branch(w, sort), f"text, {sort.key_type}, uuid, integer"))):
                await conn.execute(f"PREPARE walk_{sort.name}_{n} ({types}) AS {body}")  # type: ignore[arg-type]
                args = "17" if n == 0 else "'PROPOSAL', NULL, NULL, 17"
                plan = "\n".join(r[0] for r in await (await conn.execute(
                    f"EXPLAIN EXECUTE walk_{sort.name}_{n} ({args})")).fetchall())  # type: ignore[arg-type]
                walk = f"Index Scan using {sort.index}"
                assert walk in plan and "Sort" not in plan.split(walk)[0], plan  # no sort above the walk
