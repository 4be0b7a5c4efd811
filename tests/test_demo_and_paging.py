"""Demo data is deterministic; lists page by keyset without gaps or repeats; search finds by prefix."""

from __future__ import annotations

import hashlib

import psycopg

from cockpit.demo import BEZELIQ, seed_demo
from cockpit.store import Store
from tests.conftest import FIXED_NOW


async def _fingerprint(url: str) -> str:
    h = hashlib.sha256()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for client in ("bezeliq", "northwind"):
            await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client,))
            for view, order in (("crm_contacts", "id"), ("crm_companies", "id"), ("crm_deals", "id"),
                                ("crm_activities", "id")):
                cols = "*" if view != "crm_contacts" else "id, full_name, email, company_id, priority"
                for row in await (await conn.execute(f"SELECT {cols} FROM {view} ORDER BY {order}")).fetchall():
                    h.update(repr(row).encode())
    return h.hexdigest()


async def test_demo_is_deterministic(empty_db_url: str, bare_db_url: str) -> None:
    for url in (empty_db_url, bare_db_url):
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            stats = await seed_demo(conn, deals=50, contacts=150, now=FIXED_NOW)
            assert stats.per_client["bezeliq"]["deals"] == 50 and stats.per_client["bezeliq"]["contacts"] == 150
    assert await _fingerprint(empty_db_url) == await _fingerprint(bare_db_url)


async def test_demo_has_the_seed_records(store: Store) -> None:
    names = {d.name for d in await store.crm.search_deals("acme")} | {d.name for d in await store.crm.search_deals("volta")}
    assert "Acme — Fleet Analytics" in names and "Volta Energy — Pilot" in names
    sarahs = (await store.crm.contacts_page("sarah")).items
    assert {c.full_name for c in sarahs} >= {"Sarah Chen", "Sarah Okafor"}
    assert BEZELIQ.labels["NEGOTIATE"] == "Negotiation"


async def test_contacts_keyset_pages_cover_everything_once(store: Store) -> None:
    seen = []
    after = None
    while True:
        page = await store.crm.contacts_page(after=after, limit=37)
        seen.extend(c.id for c in page.items)
        if not page.has_more:
            break
        after = page.next_after
    total = (await store.db.fetch_value("SELECT count(*) FROM crm_contacts"))
    assert len(seen) == len(set(seen)) == total
    names = [c.full_name for c in (await store.crm.contacts_page(limit=total)).items]
    assert names == sorted(names, key=lambda n: n.encode()) or names == sorted(names)


async def test_search_is_prefix_and_paged(store: Store) -> None:
    page = await store.crm.contacts_page("sar ch")
    assert [c.full_name for c in page.items] == ["Sarah Chen"]
    assert [c.full_name for c in (await store.crm.contacts_page("sarah.chen@meri")).items] == ["Sarah Chen"]
    assert (await store.crm.contacts_page("zzzzqqq")).items == []
    assert (await store.crm.contacts_page("!!!")).items == []  # nothing searchable: no error, no rows
    everyone = (await store.crm.contacts_page("a", limit=1000)).items
    first = await store.crm.contacts_page("a", limit=10)
    second = await store.crm.contacts_page("a", after=first.next_after, limit=10)
    assert [c.id for c in first.items + second.items] == [c.id for c in everyone[:20]]


async def test_stage_totals_are_exact_sql_sums(store: Store) -> None:
    totals = await store.crm.stage_totals()
    count = await store.db.fetch_value("SELECT count(*) FROM crm_deals")
    amount = await store.db.fetch_value("SELECT sum(amount) FROM crm_deals")
    assert sum(t.count for t in totals.values()) == count
    assert sum(t.amount for t in totals.values()) == amount
    # paging a column never changes the header figures, and all cards of a stage are reachable
    stage = max(totals.values(), key=lambda t: t.count)
    ids, after = [], None
    while True:
        page = await store.crm.deal_cards(stage.stage_id, sort="close_date", after=after, limit=4)
        ids += [c.id for c in page.items]
        if not page.has_more:
            break
        after = page.next_after
    assert len(ids) == len(set(ids)) == stage.count
    filtered = await store.crm.stage_totals("acme")
    assert sum(t.count for t in filtered.values()) >= 1


async def test_activities_page_newest_first(store: Store) -> None:
    first = await store.activity.activities_page(limit=25)
    second = await store.activity.activities_page(before=first.next_after, limit=25)
    both = first.items + second.items
    assert [a.occurred_at for a in both] == sorted((a.occurred_at for a in both), reverse=True)
    assert not {a.id for a in first.items} & {a.id for a in second.items}
    only_calls = await store.activity.activities_page(kinds=["call"], limit=50)
    assert only_calls.items and {a.kind for a in only_calls.items} == {"call"}


async def test_board_first_pages_match_column_pages(store: Store) -> None:
    for sort in ("amount", "close_date", "staleness"):
        board = await store.crm.board(sort=sort, limit=5)  # type: ignore[arg-type]
        totals = await store.crm.stage_totals()
        assert set(board) == set(totals)
        for stage, page in board.items():
            column = await store.crm.deal_cards(stage, sort=sort, limit=5)  # type: ignore[arg-type]
            assert [c.id for c in page.items] == [c.id for c in column.items]
            assert page.next_after == column.next_after
            assert page.has_more == (totals[stage].count > 5)
    named = (await store.crm.board(text="acme"))["PROPOSAL"].items
    assert "Acme — Fleet Analytics" in [c.name for c in named] and named[0].company_name == "Acme Corp"
    named = [c for c in named if c.name == "Acme — Fleet Analytics"]
    assert named[0].contact_name == "Dan Whitfield"
