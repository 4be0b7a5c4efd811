"""Pilot and snapshot tests of the live activity feed (screens/activity.py) on the demo database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest
from textual.widgets import DataTable, Input, Static

from cockpit.config import Settings
from cockpit.store import Store
from cockpit.app import CockpitApp
from screens.activity import ActivityScreen
from tests.screen_apps import cockpit_app, open_mode, until

LIVE = {"refresh_seconds": 0.5, "page_size": 15}  # 30-row pages, poll twice a second


def _screen(app: CockpitApp) -> ActivityScreen:
    screen = app.screen
    assert isinstance(screen, ActivityScreen)
    return screen


def _table(app: CockpitApp) -> DataTable[Any]:
    return _screen(app).query_one("#feed-table", DataTable)


def _status(app: CockpitApp) -> str:
    return str(_screen(app).query_one("#feed-status", Static).render())


async def _ready(pilot: Any) -> ActivityScreen:
    await open_mode(pilot, "activity", ActivityScreen)
    await until(pilot, lambda: _screen(pilot.app).state.loaded and _table(pilot.app).row_count > 0,
                what="first page")
    return _screen(pilot.app)


async def test_newest_first_and_live_while_following(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        first = (await store.activity.feed_page(screen.state.filter, limit=30)).items
        assert [a.id for a in screen.state.rows] == [a.id for a in first]
        assert _table(app).get_row_at(0)[0] == first[0].occurred_at.strftime("%d %b %H:%M")
        assert _table(app).get_row_at(0)[5] == " ".join((first[0].subject or first[0].summary or "").split())
        assert "● live" in _status(app)
        new = await store.crm.log_activity(kind="call", channel="phone", subject="Live call with Ada", source="cockpit",
                                       occurred_at=first[0].occurred_at + timedelta(minutes=5))
        # no keypress: the NOTIFY brings it in
        await until(pilot, lambda: screen.state.rows[0].id == new.id, what="the new row")  # type: ignore[union-attr]
        assert _table(app).get_row_at(0)[5] == "Live call with Ada" and _table(app).cursor_row == 0


async def test_reading_is_not_disturbed_then_f_follows(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("down", "down", "down")
        reading = screen.current()
        assert reading is not None and _table(app).cursor_row == 3 and not screen.state.following
        before = list(screen.state.rows)
        new = await store.crm.log_activity(kind="note", subject="Arrived while reading", source="cockpit",
                                       occurred_at=before[0].occurred_at + timedelta(minutes=1))
        await until(pilot, lambda: len(screen.state.pending) == 1, what="the pending row")
        assert screen.state.rows == before and _table(app).cursor_row == 3 and screen.current() == reading
        assert "1 new" in _status(app)
        await pilot.press("f")
        assert screen.state.rows[0].id == new.id and _table(app).cursor_row == 0  # type: ignore[union-attr]
        assert "● live" in _status(app) and "new" not in _status(app)


async def test_rows_twenty_writes_arrive_by_poll(settings: Settings, store: Store,
                                                conn: psycopg.AsyncConnection) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        top = screen.state.rows[0]
        (ws,) = await (await conn.execute(
            "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone()  # type: ignore[misc]
        await conn.execute(f'INSERT INTO "{ws}"."timelineActivity" ("happensAt", name, "linkedRecordCachedName") '
                           "VALUES (%s, 'person.created', 'Grace Hopper')", (top.occurred_at + timedelta(hours=1),))
        await until(pilot, lambda: screen.state.rows[0].summary == "Grace Hopper", what="Twenty's row")
        assert screen.state.rows[0].source == "twenty"


async def test_history_pages_in_as_you_scroll(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, page_size=10)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        assert len(screen.state.rows) == 20 and screen.state.has_more
        await pilot.press(*["down"] * 10)
        await until(pilot, lambda: len(screen.state.rows) == 40, what="the second page")
        assert _table(app).row_count == 40 and _table(app).cursor_row == 10
        ids = [a.id for a in screen.state.rows]
        assert len(ids) == len(set(ids))
        keys = [(a.occurred_at, a.id) for a in screen.state.rows]
        assert keys == sorted(keys, reverse=True)


async def test_filters_by_text_kind_contact_and_errors(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, page_size=25)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("slash")
        box = screen.query_one("#feed-filter", Input)
        assert box.display and box.has_focus
        box.value = "stage=won"
        await pilot.press("enter")
        assert box.display and screen.state.filter.is_empty  # refused, nothing lost
        box.value = "kind=call"
        await pilot.press("enter")
        await until(pilot, lambda: screen.state.loaded and screen.state.filter.kinds == ("call",), what="filter")
        assert not box.display and screen.state.rows and {a.kind for a in screen.state.rows} == {"call"}
        assert "filter: kind=call" in _status(app)
        await pilot.press("x")
        await until(pilot, lambda: screen.state.loaded and screen.state.filter.is_empty, what="cleared")
        # c: only the highlighted row's contact
        index = next(i for i, a in enumerate(screen.state.rows) if a.contact_id)
        _table(app).move_cursor(row=index)
        contact = screen.state.rows[index].contact_id
        await pilot.press("c")
        await until(pilot, lambda: screen.state.loaded and screen.state.filter.contact_id == contact, what="by contact")
        assert {a.contact_id for a in screen.state.rows} == {contact}
        assert f"contact={screen.names[contact]}" in _status(app)  # type: ignore[index]


async def test_enter_opens_the_related_contact_or_deal(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        contact_id = next(a.contact_id for a in screen.state.rows if a.contact_id)
        only = await store.crm.log_activity(kind="call", subject="Contact-only call", contact_id=contact_id,
                                            source="cockpit", occurred_at=screen.state.rows[0].occurred_at
                                            + timedelta(seconds=30))
        await until(pilot, lambda: screen.state.rows[0].id == only.id, what="the call")  # type: ignore[union-attr]
        index = 0
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "contacts", what="the contacts screen")
        await pilot.press("g", "a")
        await until(pilot, lambda: isinstance(app.screen, ActivityScreen), what="back to the feed")
        assert _table(app).cursor_row == index  # the feed kept its place
        deal_id = next(a.deal_id for a in screen.state.rows if a.deal_id)
        note = await store.crm.log_activity(kind="note", subject="Deal-only note", deal_id=deal_id, source="cockpit",
                                        occurred_at=screen.state.rows[0].occurred_at + timedelta(minutes=1))
        await until(pilot, lambda: note.id in {a.id for a in screen.state.rows + screen.state.pending},  # type: ignore[union-attr]
                    what="the note")
        await pilot.press("f")
        assert screen.state.rows[0].id == note.id and _table(app).cursor_row == 0  # type: ignore[union-attr]
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "DealPage", what="the deal detail")
        assert app.screen.deal_id == deal_id  # type: ignore[attr-defined]


async def test_end_unknown_kind_and_the_deal_column(settings: Settings, store: Store,
                                                   conn: psycopg.AsyncConnection) -> None:
    app = cockpit_app(settings, store, page_size=10)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        table = _table(app)
        # End: the oldest row loaded (the next page comes in below it, nothing jumps)
        await pilot.press("end")
        assert table.cursor_row == 19 and screen.current() == screen.state.rows[19]
        await until(pilot, lambda: len(screen.state.rows) == 40, what="the next page")
        assert table.cursor_row == 19
        await pilot.press("end")
        assert table.cursor_row == 39
        await pilot.press("home")
        assert table.cursor_row == 0 and screen.state.following
        # an activity about a contact and a deal: the column names both, the deal after the contact
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        (contact_id, deal_id, deal_name), = await (await conn.execute(
            "SELECT c.id, d.id, d.name FROM crm_deals d JOIN crm_contacts c ON c.id = d.contact_id "
            "ORDER BY d.name LIMIT 1")).fetchall()
        note = await store.crm.log_activity(kind="note", subject="Both named", contact_id=contact_id, deal_id=deal_id,
                                            source="cockpit",
                                            occurred_at=screen.state.rows[0].occurred_at + timedelta(minutes=1))
        await until(pilot, lambda: screen.state.rows[0].id == note.id, what="the note")  # type: ignore[union-attr]
        who = list(table.columns).index("who")
        from cockpit.formatting import fit
        from screens.activity import WHO_WIDE

        both = f"{screen.names[contact_id]} · {deal_name}"
        assert table.get_row_at(0)[who] == fit(both, WHO_WIDE) and len(both) > WHO_WIDE  # cut with an ellipsis
        assert table.get_row_at(0)[who].endswith("…")
        # kind=email_open is no kind anyone writes: a warning names the known ones
        await pilot.press("slash")
        box = screen.query_one("#feed-filter", Input)
        box.value = "kind=email_open"
        await pilot.press("enter")
        await until(pilot, lambda: screen.state.loaded and screen.state.filter.kinds == ("email_open",), what="filter")
        warnings = [str(n.message) for n in app._notifications if n.severity == "warning"]
        assert any("email_open" in w and "email_opened" in w and "meeting" in w for w in warnings), warnings
        assert screen.state.rows == []
        box.value = "kind=call"
        await pilot.press("slash")
        box.value = "kind=call"
        before = len(list(app._notifications))
        await pilot.press("enter")
        await until(pilot, lambda: screen.state.loaded and screen.state.filter.kinds == ("call",), what="kind=call")
        assert len(list(app._notifications)) == before  # a known kind: no warning


async def test_a_stage_change_reads_with_stage_labels(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await _ready(pilot)
        deal = (await store.crm.search_deals("volta"))[0]
        await store.crm.move_deal(deal.id, "NEGOTIATE")
        await until(pilot, lambda: screen.state.rows[0].kind == "stage_change", what="the move")
        subject = _table(app).get_row_at(0)[list(_table(app).columns).index("subject")]
        assert subject == f"{deal.name}: Proposal → Negotiation" and "NEGOTIATE" not in subject


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_activity_snapshot(settings: Settings, snap_compare: Any, size: tuple[int, int]) -> None:
    app = cockpit_app(settings, page_size=30)

    async def ready(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("down", "down")

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_client_switch_rescopes_the_feed_and_its_live_watch(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("k")  # a kind filter on BezelIQ's feed ...
        await until(pilot, lambda: screen.state.loaded and bool(screen.state.filter.kinds), what="kind filter")
        app.switch_client("northwind")
        await until(pilot, lambda: screen.state.loaded and screen.state.rows
                    and {a.client_id for a in screen.state.rows} == {"northwind"}, what="Northwind's feed")
        assert screen.state.filter.is_empty  # ... does not follow to another client
        top = screen.state.rows[0]
        await store.crm.log_activity(kind="note", subject="BezelIQ only", source="cockpit",
                                 occurred_at=top.occurred_at + timedelta(days=1))
        new = await store.scoped("northwind").crm.log_activity(kind="note", subject="Northwind news", source="cockpit",
                                                           occurred_at=top.occurred_at + timedelta(hours=1))
        await until(pilot, lambda: screen.state.rows[0].id == new.id, what="Northwind's new row")  # type: ignore[union-attr]
        assert all(a.subject != "BezelIQ only" for a in screen.state.rows)


async def test_back_dated_write_through_the_view_appears(settings: Settings, store: Store) -> None:
    """A webhook's event is logged with its own (earlier) time after newer rows: the NOTIFY names it."""
    app = cockpit_app(settings, store)  # the head poll cannot see it (older than the head): only the NOTIFY
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        second = screen.state.rows[1]
        late = await store.crm.log_activity(kind="email_opened", channel="email", subject="Opened (late webhook)",
                                        source="resend", occurred_at=second.occurred_at + timedelta(seconds=1))
        await until(pilot, lambda: any(a.id == late.id for a in screen.state.rows), what="the late row")  # type: ignore[union-attr]
        assert [a.id for a in screen.state.rows].index(late.id) == 1  # type: ignore[union-attr]


async def test_an_edited_row_changes_in_place(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("down", "down")
        index = next(i for i, a in enumerate(screen.state.rows) if a.source != "twenty" and i > 2)
        target = screen.state.rows[index]
        await store.crm.update_record("crm_activities", target.id, {"subject": "Edited by arlo"}, role="operational")
        await until(pilot, lambda: screen.state.rows[index].subject == "Edited by arlo", what="the edit")
        assert _table(app).get_row_at(index)[5] == "Edited by arlo"
        assert _table(app).cursor_row == 2 and not screen.state.pending  # no jump, nothing "new"


@pytest.mark.parametrize("conn_mode", ["transaction"], indirect=True)
async def test_behind_a_transaction_pooler_the_feed_polls_and_says_so(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store, **LIVE)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _ready(pilot)
        assert "● polling every 0.5 s" in _status(app) and "live" not in _status(app)
        newest = screen.state.rows[0].occurred_at
        new = await store.crm.log_activity(kind="call", channel="phone", subject="Polled call", source="cockpit",
                                       occurred_at=newest + timedelta(minutes=5))
        await until(pilot, lambda: screen.state.rows[0].id == new.id, what="the polled row")  # type: ignore[union-attr]
