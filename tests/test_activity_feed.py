"""The live activity feed, store side: pages, newer rows, filters, LISTEN/NOTIFY and the poll for
rows Twenty writes into its own tables; plus the headless feed state and filter language."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from cockpit.activity.feed import FeedState, key_of
from cockpit.activity.filters import ActivityFilter, parse_filter
from cockpit.errors import ValidationFailed
from cockpit.models import Activity, Page
from cockpit.store import Store


async def _count(conn: psycopg.AsyncConnection, where: str = "true") -> int:
    async with conn.transaction():
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
        cur = await conn.execute(f"SELECT count(*) FROM crm_activities WHERE {where}")
        return (await cur.fetchone())[0]  # type: ignore[index]


async def test_pages_walk_all_history_newest_first(store: Store, conn: psycopg.AsyncConnection) -> None:
    seen: list[Activity] = []
    page = await store.activity.feed_page(ActivityFilter(), limit=40)
    while True:
        seen.extend(page.items)
        if not page.has_more:
            break
        page = await store.activity.feed_page(ActivityFilter(), before=page.next_after, limit=40)  # type: ignore[arg-type]
    assert len(seen) == len({a.id for a in seen}) == await _count(conn) > 40
    keys = [key_of(a) for a in seen]
    assert keys == sorted(keys, reverse=True)
    assert {a.client_id for a in seen} == {"bezeliq"}


async def test_filters_match_sql(store: Store, conn: psycopg.AsyncConnection) -> None:
    first = (await store.activity.feed_page(ActivityFilter(), limit=200)).items
    contact = next(a.contact_id for a in first if a.contact_id and a.kind in ("note", "email_sent"))
    f = parse_filter(f"kind=note,email_sent contact={contact}")
    rows = (await store.activity.feed_page(f, limit=500)).items
    assert rows and all(a.kind in ("note", "email_sent") and a.contact_id == contact for a in rows)
    assert len(rows) == await _count(conn, f"kind IN ('note', 'email_sent') AND contact_id = '{contact}'")
    by_source = (await store.activity.feed_page(parse_filter("source=twenty"), limit=500)).items
    assert by_source and {a.source for a in by_source} == {"twenty"}
    word = next(a.subject for a in first if a.subject).split()[0]
    texty = (await store.activity.feed_page(ActivityFilter(text=word.upper()), limit=500)).items
    assert texty and all(word.lower() in f"{a.subject} {a.summary}".lower() for a in texty)
    none = await store.activity.feed_page(ActivityFilter(text="50%_off-no-such-thing"))
    assert none.items == [] and not none.has_more


async def test_newer_than_head_and_names(store: Store) -> None:
    page = await store.activity.feed_page(ActivityFilter(), limit=10)
    head = key_of(page.items[0])
    assert await store.activity.feed_newer(ActivityFilter(), head) == []
    a1 = await store.crm.log_activity(kind="call", channel="phone", subject="Called Ada", source="cockpit",
                                  occurred_at=head[0] + timedelta(minutes=1), contact_id=page.items[0].contact_id)
    a2 = await store.crm.log_activity(kind="note", subject="Filed", source="cockpit",
                                  occurred_at=head[0] + timedelta(minutes=2))
    newer = await store.activity.feed_newer(ActivityFilter(), head)
    assert [a.id for a in newer] == [a2.id, a1.id]  # type: ignore[union-attr]
    assert [a.id for a in await store.activity.feed_newer(ActivityFilter(kinds=("call",)), head)] == [a1.id]  # type: ignore[union-attr]
    assert await store.activity.feed_head() == key_of(a2)  # type: ignore[arg-type]
    contacts = {a.contact_id for a in page.items if a.contact_id}
    deals = {a.deal_id for a in page.items if a.deal_id}
    names = await store.activity.record_names(contacts, deals)
    assert set(names) == contacts | deals and all(names.values())


@contextlib.asynccontextmanager
async def _signals(store: Store, poll: float) -> AsyncIterator[asyncio.Queue[Any]]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    ready = asyncio.Event()

    async def pump() -> None:
        async for batch in store.changes.batches(poll_seconds=poll, ready=ready):
            for change in batch:
                if change.kind == "activity":
                    await queue.put(change)

    task = asyncio.create_task(pump())
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield queue
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_notify_on_writes_through_the_view_only_for_this_client(store: Store) -> None:
    other = store.scoped("northwind")
    async with _signals(store, poll=60) as queue:
        await other.crm.log_activity(kind="note", subject="Northwind only", source="cockpit")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(queue.get(), 0.4)  # another client's write is not ours
        ours = await store.crm.log_activity(kind="note", subject="Ours", source="cockpit")
        change = await asyncio.wait_for(queue.get(), 5)
        assert change.id == str(ours.id)  # announced by id: the screen reads just that row


@pytest.mark.pooled
async def test_poll_finds_rows_twenty_writes(store: Store, conn: psycopg.AsyncConnection) -> None:
    cur = await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")
    (ws,) = await cur.fetchone()  # type: ignore[misc]
    async with _signals(store, poll=0.2) as queue:
        # Twenty writes into its own table: no trigger of ours fires
        await conn.execute(f'INSERT INTO "{ws}"."timelineActivity" (id, "happensAt", name) VALUES (%s, %s, %s)',
                           (uuid4(), datetime.now(timezone.utc) + timedelta(days=400), "person.created"))
        assert (await asyncio.wait_for(queue.get(), 5)).id is None  # the poll saw the head move: no id
    head = await store.activity.feed_head()
    assert head is not None and head[0] > datetime.now(timezone.utc)


def _act(minute: int) -> Activity:
    return Activity(id=UUID(int=minute), client_id="c", occurred_at=datetime(2026, 1, 1, 0, minute, tzinfo=timezone.utc),
                    kind="note", source="cockpit")


def test_feed_state_follow_and_pending() -> None:
    state = FeedState()
    state.reset(Page(items=[_act(5), _act(4)], next_after=key_of(_act(4))))
    assert state.following and state.head == key_of(_act(5)) and state.has_more
    assert state.add_newer([_act(6)]) == 1 and [a.id.int for a in state.rows] == [6, 5, 4]
    state.stop_following()
    assert state.add_newer([_act(8), _act(7), _act(6)]) == 2  # 6 already shown
    assert [a.id.int for a in state.rows] == [6, 5, 4] and len(state.pending) == 2  # nothing moved
    assert state.head == key_of(_act(8))
    assert state.append_older(Page(items=[_act(4), _act(3)], next_after=None)) == [_act(3)]
    assert not state.has_more
    assert state.follow() == 2 and [a.id.int for a in state.rows] == [8, 7, 6, 5, 4, 3] and state.following


def test_filter_language() -> None:
    cid = uuid4()
    f = parse_filter(f'kind=Email_Opened,call "big deal" source=arlo contact={cid} renewal')
    assert f.kinds == ("email_opened", "call") and f.sources == ("arlo",) and f.contact_id == cid
    assert f.text == "big deal renewal"
    assert parse_filter(f.to_query()) == f
    assert f.with_record(deal_id=cid, label="Volta").describe().startswith("kind=email_opened,call source=arlo")
    assert "deal=Volta" in f.with_record(deal_id=cid, label="Volta").describe()
    assert parse_filter("").is_empty
    for bad, fragment in (("stage=won", "unknown filter"), ("kind=", "needs a value"),
                          ("deal=volta", "not a record id"), ('"open', "cannot read")):
        with pytest.raises(ValidationFailed, match=fragment):
            parse_filter(bad)


def test_feed_state_late_rows_merge_in_place() -> None:
    state = FeedState()
    state.reset(Page(items=[_act(9), _act(5)], next_after=key_of(_act(5))))
    assert state.add_newer([_act(7)]) == 1 and [a.id.int for a in state.rows] == [9, 7, 5]  # late, in place
    assert state.add_newer([_act(2)]) == 0  # older than the loaded page while more remains: paging's job
    state.stop_following()
    assert state.add_newer([_act(8), _act(10)]) == 2 and state.head == key_of(_act(10))
    assert [a.id.int for a in state.rows] == [9, 7, 5]
    state.follow()
    assert [a.id.int for a in state.rows] == [10, 9, 8, 7, 5]
