"""The pipeline's per-stage totals (crm_stage_totals(), kept by triggers on Twenty's opportunity tables)
equal the aggregate over crm_deals for every client: after the cockpit's writes and after Twenty
writing to its own table directly (inserts, moves, amount edits, soft deletes and restores, hard
deletes, upserts, COPY, TRUNCATE, rolled-back transactions), under concurrent writers, and after DDL
the triggers cannot see (a disabled trigger, a renamed stage), where they fall back to counting.
Nothing for another client or no scope; removing a workspace removes its triggers and totals."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

import psycopg
from psycopg import sql

from cockpit.config import Settings
from cockpit.db import layer2
from cockpit.db.migrate import migrate
from cockpit.db.views import client_schema
from cockpit.store import Store

WS2 = "workspace_bezeliq2"
AGGREGATE = ("SELECT d.stage_id, count(*), coalesce(sum(d.amount), 0) FROM public.crm_deals d GROUP BY d.stage_id")
OPP = sql.SQL("{}.opportunity").format(sql.Identifier(WS2))


async def _scoped(url: str, client: str = "bezeliq") -> psycopg.AsyncConnection:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client,))
    return conn


async def _aggregate(conn: psycopg.AsyncConnection) -> dict[str, tuple[int, Decimal]]:
    return {s: (n, a) for s, n, a in await (await conn.execute(AGGREGATE)).fetchall()}


async def _totals(conn: psycopg.AsyncConnection, ns: str) -> dict[str, tuple[int, Decimal]]:
    cur = await conn.execute(sql.SQL("SELECT stage_id, count, amount FROM {}.crm_stage_totals()").format(
        sql.Identifier(ns)))
    return {s: (n, a) for s, n, a in await cur.fetchall()}


async def _assert_exact(conn: psycopg.AsyncConnection, client: str = "bezeliq") -> dict[str, tuple[int, Decimal]]:
    expected = await _aggregate(conn)
    for ns in (client_schema(client), "public"):
        assert await _totals(conn, ns) == expected, ns
    return expected


async def _stages(conn: psycopg.AsyncConnection) -> list[str]:
    cur = await conn.execute(
        "SELECT e.enumlabel FROM pg_attribute a JOIN pg_enum e ON e.enumtypid = a.atttypid"
        " WHERE a.attrelid = %s::regclass AND a.attname = 'stage' ORDER BY e.enumsortorder", (f'"{WS2}".opportunity',))
    return [r[0] for r in await cur.fetchall()]


async def _second_workspace(url: str) -> None:
    store = await Store.open(Settings(database_url=url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await store.admin.create_fixture_workspace(WS2, None)
        await store.admin.register_workspace(WS2, "bezeliq")
    finally:
        await store.close()


def _amount(i: int) -> int | None:
    """Micros as Twenty stores them: some missing, some with sub-cent digits the view rounds."""
    return None if i % 7 == 0 else 1_000_000 * (i * 997 % 50_000) + (i % 3) * 4_999


async def test_totals_follow_twentys_own_writes(db_url: str) -> None:
    await _second_workspace(db_url)
    conn = await _scoped(db_url)
    try:
        before = await _assert_exact(conn)
        assert before and sum(n for n, _ in before.values()) > 0
        assert await _totals(conn, client_schema("northwind")) == {}  # another client's: nothing
        stages = await _stages(conn)
        ids = [uuid.uuid4() for _ in range(90)]
        for i, id_ in enumerate(ids):  # one statement per row: more deltas than a fold's interval
            await conn.execute(
                sql.SQL('INSERT INTO {} (id, name, stage, "amountAmountMicros", "deletedAt") VALUES (%s, %s, %s, %s, %s)')
                .format(OPP), (id_, f"Müller & Söhne — Los {i}", stages[i % len(stages)], _amount(i),
                               "2026-11-01" if i % 11 == 0 else None))
        await _assert_exact(conn)
        await conn.execute(sql.SQL("UPDATE {} SET stage = %s WHERE id = ANY (%s)").format(OPP), (stages[-1], ids[:30]))
        await conn.execute(sql.SQL('UPDATE {} SET "amountAmountMicros" = "amountAmountMicros" * 2 + 1 '
                                   "WHERE id = ANY (%s)").format(OPP), (ids[10:50],))
        await conn.execute(sql.SQL('UPDATE {} SET "deletedAt" = now() WHERE id = ANY (%s)').format(OPP), (ids[40:55],))
        await conn.execute(sql.SQL('UPDATE {} SET "deletedAt" = NULL WHERE id = ANY (%s)').format(OPP), (ids[0:12],))
        await conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY (%s)").format(OPP), (ids[60:75],))
        await conn.execute(sql.SQL('UPDATE {} SET name = name || %s').format(OPP), (" (bis)",))  # no delta
        await _assert_exact(conn)
        # an upsert: some rows new, some updated
        await conn.execute(
            sql.SQL('INSERT INTO {} (id, name, stage, "amountAmountMicros") SELECT i, %s, %s, 7000000 '
                    'FROM unnest(%s::uuid[]) i ON CONFLICT (id) DO UPDATE SET stage = EXCLUDED.stage, '
                    '"amountAmountMicros" = EXCLUDED."amountAmountMicros"').format(OPP),
            ("Çelik Yapı A.Ş.", stages[0], ids[80:] + [uuid.uuid4() for _ in range(5)]))
        async with conn.cursor().copy(sql.SQL('COPY {} (id, name, stage, "amountAmountMicros") FROM STDIN').format(OPP)) as cp:
            for i in range(25):
                await cp.write_row((uuid.uuid4(), f"Import – {i}", stages[i % 2], _amount(i + 3)))
        await _assert_exact(conn)
        # a rolled-back transaction leaves nothing behind
        expected = await _aggregate(conn)
        async with conn.transaction(force_rollback=True):
            await conn.execute(sql.SQL("DELETE FROM {}").format(OPP))
            assert await _totals(conn, "public") == await _aggregate(conn)  # the writer sees its own write
        assert await _totals(conn, "public") == expected
        # the deltas are folded as they come: a few rows per stage, not one per statement
        cur = await conn.execute("SELECT count(*) FROM redkey.deal_stage_totals WHERE workspace = %s", (WS2,))
        assert (await cur.fetchone())[0] < 64 + len(stages)  # type: ignore[index]
        await conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(OPP))
        await _assert_exact(conn)
    finally:
        await conn.close()


async def test_the_cockpits_writes_keep_the_totals_exact(store: Store, db_url: str) -> None:
    conn = await _scoped(db_url)
    try:
        before = await _assert_exact(conn)
        stages = [s.stage_id for s in await store.crm.pipeline()]
        board = await store.crm.board(limit=1)
        card = next(page.items[0] for page in board.values() if page.items)
        target = next(s for s in stages if s != card.stage_id)
        result = await store.crm.move_deal(card.id, target)
        assert result is not None
        after = await _assert_exact(conn)
        assert after[target][0] == before.get(target, (0, 0))[0] + 1
        assert {k: (v.count, v.amount) for k, v in (await store.crm.stage_totals()).items()} == after
    finally:
        await conn.close()


async def test_concurrent_writers_and_a_reader_agree(db_url: str) -> None:
    await _second_workspace(db_url)
    setup = await _scoped(db_url)
    stages = await _stages(setup)
    ids = [uuid.uuid4() for _ in range(200)]
    await setup.execute(sql.SQL('INSERT INTO {} (id, name, stage, "amountAmountMicros") '
                                "SELECT i, 'Deal', %s, 1000000 FROM unnest(%s::uuid[]) i").format(OPP), (stages[0], ids))
    mismatches: list[str] = []

    async def writer(seed: int, isolation: psycopg.IsolationLevel | None) -> None:
        rng = random.Random(seed)
        mine = ids[seed::4]  # each writer its own deals: a REPEATABLE READ writer never fails on a deal's row
        async with await psycopg.AsyncConnection.connect(db_url) as c:
            if isolation is not None:
                await c.set_isolation_level(isolation)
            for n in range(40):
                async with c.transaction(force_rollback=n % 5 == 4):
                    for _ in range(rng.randint(1, 3)):
                        await c.execute(sql.SQL('UPDATE {} SET stage = %s, "amountAmountMicros" = %s, '
                                                '"deletedAt" = %s WHERE id = %s').format(OPP),
                                        (rng.choice(stages), rng.choice([None, 2_500_000, 999_999_999]),
                                         None if rng.random() < 0.8 else "2026-11-02", rng.choice(mine)))
                    if rng.random() < 0.2:
                        await c.execute(sql.SQL("INSERT INTO {} (name, stage) VALUES ('Zoë', %s)").format(OPP),
                                        (rng.choice(stages),))

    async def reader() -> None:
        async with await psycopg.AsyncConnection.connect(db_url) as c:
            await c.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
            await c.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
            for _ in range(15):
                async with c.transaction():  # one snapshot: the totals and the deals it shows agree
                    if await _totals(c, "public") != await _aggregate(c):
                        mismatches.append("snapshot")
                await asyncio.sleep(0.01)

    try:
        await asyncio.gather(writer(0, None), writer(1, None), writer(2, psycopg.IsolationLevel.REPEATABLE_READ),
                             writer(3, None), reader())
        assert mismatches == []
        await _assert_exact(setup)
    finally:
        await setup.close()


async def test_ddl_behind_the_triggers_falls_back_to_counting(db_url: str) -> None:
    await _second_workspace(db_url)
    conn = await _scoped(db_url)
    try:
        stages = await _stages(conn)
        await conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER redkey_stage_totals_insert").format(OPP))
        await conn.execute(sql.SQL('INSERT INTO {} (name, stage, "amountAmountMicros") VALUES (%s, %s, %s)').format(OPP),
                           ("Ørsted Nord", stages[1], 12_340_000))
        await _assert_exact(conn)  # counted, not read from the deltas that missed the insert
        cur = await conn.execute("SELECT redkey.deal_stage_totals_ready(%s)", (WS2,))
        assert (await cur.fetchone()) == (False,)
        # the next migration check (every start, `cockpit migrate`) counts the workspace afresh
        await conn.execute(sql.SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER redkey_stage_totals_insert").format(OPP))
        await _assert_exact(conn)
        assert await migrate(conn) == []
        cur = await conn.execute("SELECT redkey.deal_stage_totals_ready(%s)", (WS2,))
        assert (await cur.fetchone()) == (True,)
        await _assert_exact(conn)
        # and so does a generation
        await conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER redkey_stage_totals_update").format(OPP))
        await conn.execute(sql.SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER redkey_stage_totals_update").format(OPP))
        async with conn.transaction():
            await layer2.regenerate(conn, force=True)
        cur = await conn.execute("SELECT redkey.deal_stage_totals_ready(%s)", (WS2,))
        assert (await cur.fetchone()) == (True,)
        # a stage renamed under the totals: their labels no longer hold, so it counts
        await conn.execute(sql.SQL("ALTER TYPE {} RENAME VALUE {} TO 'NEGOTIATING'").format(
            sql.SQL((await (await conn.execute(
                "SELECT atttypid::regtype::text FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'stage'",
                (f'"{WS2}".opportunity',))).fetchone())[0]),  # type: ignore[index]
            sql.Literal(stages[1])))
        expected = await _assert_exact(conn)
        assert "NEGOTIATING" in expected
    finally:
        await conn.close()


async def test_removing_a_workspace_removes_its_triggers_and_totals(db_url: str) -> None:
    await _second_workspace(db_url)
    store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await store.workspace_registry.remove(WS2)
    finally:
        await store.close()
    conn = await _scoped(db_url)
    try:
        cur = await conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'redkey%%'",
                                 (f'"{WS2}".opportunity',))
        assert (await cur.fetchone()) == (0,)
        cur = await conn.execute("SELECT count(*) FROM redkey.deal_stage_totals WHERE workspace = %s", (WS2,))
        assert (await cur.fetchone()) == (0,)
        await conn.execute(sql.SQL("INSERT INTO {} (name) VALUES ('after removal')").format(OPP))  # Twenty unaffected
        await _assert_exact(conn)
        await conn.execute("SELECT set_config('redkey.client_id', '', false)")
        assert await _totals(conn, "public") == {}
    finally:
        await conn.close()


async def test_a_text_stage_column(db_url: str) -> None:
    """A workspace whose stage column is text (not Twenty's enum): the totals are kept and exact, the
    board and a column's pages read the text column in the view's order."""
    store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await store.admin.create_fixture_workspace(WS2, None)
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            await c.execute(sql.SQL('ALTER TABLE {} ALTER COLUMN stage DROP DEFAULT, '
                                    'ALTER COLUMN stage TYPE text USING stage::text').format(OPP))
        await store.admin.register_workspace(WS2, "bezeliq")
    finally:
        await store.close()
    conn = await _scoped(db_url)
    try:
        cur = await conn.execute("SELECT DISTINCT stage_id FROM public.crm_deals ORDER BY 1")
        stage = [r[0] for r in await cur.fetchall()][1]
        for i in range(9):
            await conn.execute(sql.SQL('INSERT INTO {} (name, stage, "amountAmountMicros") VALUES (%s, %s, %s)')
                               .format(OPP), (f"Þór {i}", stage, _amount(i + 1)))
        await conn.execute(sql.SQL("UPDATE {} SET stage = 'Won – signed' WHERE name = %s").format(OPP), ("Þór 3",))
        cur = await conn.execute("SELECT redkey.deal_stage_totals_ready(%s)", (WS2,))
        assert (await cur.fetchone()) == (True,)
        await _assert_exact(conn)
        cur = await conn.execute("SELECT id FROM public.crm_deals WHERE stage_id = %s "
                                 "ORDER BY coalesce(amount, -1) DESC, id DESC", (stage,))
        expected = [r[0] for r in await cur.fetchall()]
    finally:
        await conn.close()
    store = await Store.open(Settings(database_url=db_url, client_id="bezeliq", _env_file=None),  # type: ignore[call-arg]
                             min_size=0, max_size=2)
    try:
        page = (await store.crm.board(limit=2))[stage]
        shown = [c.id for c in page.items]
        while page.next_after is not None:
            page = await store.crm.deal_cards(stage, after=page.next_after, limit=2)
            shown.extend(c.id for c in page.items)
        assert shown == expected and len(expected) >= 8
    finally:
        await store.close()


async def _deal_changes(store: Store, poll: float, write) -> bool:  # type: ignore[no-untyped-def]
    """Whether the change feed reports a deal change (by its poll) after ``write()``."""
    ready = asyncio.Event()
    batches = store.changes.batches(poll_seconds=poll, ready=ready)
    first = asyncio.ensure_future(batches.__anext__())
    try:
        await asyncio.wait_for(ready.wait(), 5)
        await write()
        while True:
            batch = await asyncio.wait_for(first, 5)
            if any(c.kind == "deal" for c in batch):
                return True
            first = asyncio.ensure_future(batches.__anext__())
    except asyncio.TimeoutError:
        return False
    finally:
        first.cancel()
        await batches.aclose()


async def test_the_change_feed_sees_twentys_deal_writes_from_the_stamps(store: Store, db_url: str) -> None:
    """The poll reads the totals' rows, not every deal: a write that moves no total (a rename) still
    moves the stamp; without the triggers it scans crm_deals as before."""
    conn = await _scoped(db_url)
    try:
        ws = (await (await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone())[0]  # type: ignore[index]
        opp = sql.SQL("{}.opportunity").format(sql.Identifier(ws))
        stamp = (await (await conn.execute("SELECT redkey.deal_changes_stamp('bezeliq')")).fetchone())[0]  # type: ignore[index]
        assert stamp is not None

        async def rename() -> None:
            await conn.execute(sql.SQL("UPDATE {} SET name = name || ' ✓' WHERE id = "
                                       "(SELECT id FROM {} ORDER BY id LIMIT 1)").format(opp, opp))

        assert await _deal_changes(store, 0.2, rename)
        assert (await (await conn.execute("SELECT redkey.deal_changes_stamp('bezeliq')")).fetchone())[0] != stamp  # type: ignore[index]
        await _assert_exact(conn)  # the stamp counts nothing
        # a workspace whose triggers are gone: the poll scans the deals again, and still sees a rename
        await conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER redkey_stage_totals_update").format(opp))
        assert (await (await conn.execute("SELECT redkey.deal_changes_stamp('bezeliq')")).fetchone()) == (None,)

        async def touch() -> None:
            await conn.execute(sql.SQL('UPDATE {} SET name = name || \'!\', "updatedAt" = now() WHERE id = '
                                       "(SELECT id FROM {} ORDER BY id LIMIT 1)").format(opp, opp))

        assert await _deal_changes(store, 0.2, touch)
    finally:
        await conn.close()


async def test_without_listen_the_poll_also_sees_redkeys_deal_fields(store: Store) -> None:
    """Behind a transaction pooler nothing is heard: a change to a RedKey field of a deal (its extension
    row, no write to Twenty's table) must move the polled deal value."""
    before = await store.changes.fingerprint(everything=True)
    deal = (await store.crm.search_deals("acme"))[0]
    await store.crm.update_strategic("crm_deals", deal.id, strategy_note="Relancer après le salon — mars")
    after = await store.changes.fingerprint(everything=True)
    stamp_before, ext_before = before["deal"].split("|")
    stamp_after, ext_after = after["deal"].split("|")
    assert stamp_before == stamp_after and ext_before != ext_after  # Twenty's table untouched: the extension moved it
    assert (await store.changes.fingerprint(everything=False))["deal"] == stamp_after
