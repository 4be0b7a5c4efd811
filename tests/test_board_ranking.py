"""The board's first cards by amount (crm_board_ids, an index walk over Twenty's stage column) are the
ones the window over crm_deals ranks: same ids for every client, with ties, deleted deals, NULL
amounts and two workspaces for one client; nothing for another client's or no scope; and the store's
board shows those cards."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.views import client_schema
from cockpit.store import Store

WINDOW = ("SELECT id FROM (SELECT d.id, row_number() OVER (PARTITION BY d.stage_id ORDER BY coalesce(d.amount, -1) DESC,"
          " d.id DESC) AS rn FROM public.crm_deals d) w WHERE rn <= %s")


async def _second_workspace_for_bezeliq(url: str) -> None:
    """Another workspace of BezelIQ's, with deals that tie, lack an amount, or were deleted."""
    store = await Store.open(Settings(database_url=url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await store.admin.create_fixture_workspace("workspace_bezeliq2", None)
        await store.admin.register_workspace("workspace_bezeliq2", "bezeliq")
    finally:
        await store.close()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT e.enumlabel FROM pg_attribute a JOIN pg_enum e ON e.enumtypid = a.atttypid"
            " WHERE a.attrelid = '\"workspace_bezeliq2\".opportunity'::regclass AND a.attname = 'stage'"
            " ORDER BY e.enumsortorder")
        stages = [r[0] for r in await cur.fetchall()]
        for i in range(40):
            await conn.execute(
                'INSERT INTO "workspace_bezeliq2".opportunity (id, name, stage, "amountAmountMicros", "deletedAt") '
                "VALUES (%s, %s, %s, %s, %s)",
                (uuid.uuid4(), f"Société Générale — lot {i}", stages[i % len(stages)],
                 None if i % 7 == 0 else 125_000_000_000 if i % 3 == 0 else 1_000_000 * (i * 997 % 50_000),
                 "2026-11-01" if i % 11 == 0 else None))


async def test_board_ids_are_the_windows_top_cards_for_every_client(db_url: str) -> None:
    await _second_workspace_for_bezeliq(db_url)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for client in ("bezeliq", "northwind"):
            await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client,))
            for limit in (1, 3, 17):
                window = {r[0] for r in await (await conn.execute(WINDOW, (limit,))).fetchall()}
                for ns in (client_schema(client), "public"):
                    cur = await conn.execute(sql.SQL("SELECT stage_id, id FROM {}.crm_board_ids(%s)").format(
                        sql.Identifier(ns)), (limit,))
                    rows = await cur.fetchall()
                    assert {i for _, i in rows} == window and window, (client, ns, limit)
                    assert len(rows) == len(window)  # no duplicates
            # another client's schema, or no scope at all: nothing
            other = client_schema("northwind" if client == "bezeliq" else "bezeliq")
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}.crm_board_ids(17)").format(sql.Identifier(other)))
            assert (await cur.fetchone()) == (0,)
        await conn.execute("SELECT set_config('redkey.client_id', '', false)")
        cur = await conn.execute("SELECT count(*) FROM public.crm_board_ids(17)")
        assert (await cur.fetchone()) == (0,)
        # the index the walk uses exists in every workspace
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        cur = await conn.execute("SELECT schema_name FROM redkey.workspaces")
        for (ws,) in await cur.fetchall():
            found = await (await conn.execute("SELECT to_regclass(%s)", (f'"{ws}".redkey_opportunity_stage_amount_idx',))).fetchone()
            assert found and found[0] is not None, ws


async def test_the_store_board_shows_the_top_cards_by_amount(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    board = await store.crm.board(limit=5)
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    window = {r[0] for r in await (await conn.execute(WINDOW, (6,))).fetchall()}
    shown = {card.id for page in board.values() for card in page.items}
    assert shown and shown <= window
    for stage, page in board.items():
        amounts = [c.amount if c.amount is not None else -1 for c in page.items]
        assert amounts == sorted(amounts, reverse=True), stage
        assert all(c.stage_id == stage for c in page.items)


async def test_a_column_pages_on_by_amount_in_the_views_order(db_url: str) -> None:
    """Every stage of BezelIQ (two workspaces: ties, NULL amounts, deleted deals) paged 3 cards at a
    time from the board's first page through crm_stage_page_ids: each deal once, in crm_deals' order."""
    await _second_workspace_for_bezeliq(db_url)
    store = await Store.open(Settings(database_url=db_url, client_id="bezeliq", _env_file=None),  # type: ignore[call-arg]
                             min_size=0, max_size=2)
    try:
        board = await store.crm.board(limit=3)
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
            for stage in [s.stage_id for s in await store.crm.pipeline()]:
                cur = await conn.execute("SELECT id FROM public.crm_deals WHERE stage_id = %s "
                                         "ORDER BY coalesce(amount, -1) DESC, id DESC", (stage,))
                expected = [r[0] for r in await cur.fetchall()]
                page = board.get(stage)
                shown = [c.id for c in page.items] if page else []
                while page is not None and page.next_after is not None:
                    page = await store.crm.deal_cards(stage, after=page.next_after, limit=3)
                    shown.extend(c.id for c in page.items)
                assert shown == expected, stage
                first = await store.crm.deal_cards(stage, limit=3)  # a first page without the board
                assert [c.id for c in first.items] == expected[:3], stage
            # unscoped, or another client's schema: nothing
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}.crm_stage_page_ids('PROPOSAL', 1e12, "
                                             "'ffffffff-ffff-4fff-bfff-ffffffffffff', 50)").format(
                sql.Identifier(client_schema("northwind"))))
            assert (await cur.fetchone()) == (0,)
            await conn.execute("SELECT set_config('redkey.client_id', '', false)")
            cur = await conn.execute("SELECT count(*) FROM public.crm_stage_page_ids('PROPOSAL', 1e12, "
                                     "'ffffffff-ffff-4fff-bfff-ffffffffffff', 50)")
            assert (await cur.fetchone()) == (0,)
    finally:
        await store.close()
