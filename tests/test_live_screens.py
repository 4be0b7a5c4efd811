"""Screens that are never stale and never lose a keystroke, driven with keys on the seeded demo.

Another process (a second store on the same database, as arlo or a shell would be) changes a deal, an
approval and an enrollment while the screens are open; the screens show it without a key press. And the
key regressions: the reject note, the import path field, Enter in the enroll dialog, Esc back to the row
one came from, the client switch, the Tell box, every footer binding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store
from screens import ScreenSpec, available_screens
from screens.activity import ActivityScreen
from screens.approvals import ApprovalsScreen
from screens.contacts import ContactsScreen
from screens.imports import ImportScreen
from screens.pipeline import PipelineScreen
from screens.sequence_actions import SequenceActions
from screens.sequences import SequencesScreen
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until

LIVE = 2.0  # seconds a change made elsewhere may take to reach the visible screen (with LISTEN)


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[Store]:
    """A second store on the same database: another process (arlo's loops, a shell command)."""
    s = await Store.open(settings, min_size=0, max_size=2)
    try:
        yield s.scoped("bezeliq", source="arlo", actor="arlo")
    finally:
        await s.close()


def _app(settings: Settings, store: Store, **overrides: Any) -> CockpitApp:
    return CockpitApp(settings.model_copy(update=overrides), store=store, clock=fixed_clock)


async def _go(pilot: Any, key: str, kind: type) -> Any:
    app = pilot.app
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
    await pilot.press("g", key)
    await wait_until(pilot, lambda: isinstance(app.screen, kind), what=kind.__name__)
    return app.screen


async def _feed_ready(pilot: Any) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.live.feed is not None and app.live.feed.ready.is_set(),
                     what="the change feed listening", timeout=10)


async def test_changes_from_another_process_reach_the_open_screens(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _go(pilot, "p", PipelineScreen)
        await waiter.worker(pilot, "board")
        await _feed_ready(pilot)
        stages = [s for (s,) in await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_pipeline ORDER BY position")]
        [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE stage_id = %s "
                                                          "ORDER BY amount DESC LIMIT 1", (stages[0],))
        before = {s: board.columns[s].count for s in stages[:2]}
        selected = board.selected()[1].id  # type: ignore[index]
        # the deal moves in another process: the card changes column, the totals follow, the cursor stays
        await other.crm.move_deal(deal_id, stages[1])
        await wait_until(pilot, lambda: board.columns[stages[1]].count == before[stages[1]] + 1,
                         timeout=LIVE, what="the moved deal's new column")
        assert board.columns[stages[0]].count == before[stages[0]] - 1
        assert str(deal_id) in board.columns[stages[1]].cards and str(deal_id) not in board.columns[stages[0]].cards
        totals = dict(await scoped_rows(conn, "bezeliq", "SELECT stage_id, sum(amount) FROM crm_deals GROUP BY stage_id"))
        assert board.columns[stages[1]].amount == totals[stages[1]]
        if str(selected) != str(deal_id):
            assert str(board.selected()[1].id) == str(selected)  # type: ignore[index]

        # proposals waiting: the approvals screen (visible) and the header counter follow an import elsewhere
        approvals = await _go(pilot, "v", ApprovalsScreen)
        await waiter.worker(pilot, "approvals-page")
        table = approvals.query_one("#proposals", DataTable)
        rows = table.row_count
        waiting = app.counters.approvals
        assert waiting == rows and f"V {waiting} to approve" in screen_text(app)
        # an update of a known contact waits for a human
        data = ("Name,Email,Title\nSarah Chen,sarah.chen@meridianhealth.com,Directrice financière – EMEA\n"
                ",,Head of Ops\n").encode()
        await run_import(other, await stage_import(other, data, "from-a-shell.csv", uploaded_by="shell"))
        pending = await other.approvals.pending_count()
        assert pending > rows
        await wait_until(pilot, lambda: table.row_count == pending, timeout=LIVE, what="the new proposals")
        await wait_until(pilot, lambda: app.counters.approvals == pending, timeout=LIVE, what="the counter")
        assert f"{pending} pending" in screen_text(app) and f"V {pending} to approve" in screen_text(app)

        # an enrollment made elsewhere: the sequences overview's counts follow
        seqs = await _go(pilot, "e", SequencesScreen)
        await waiter.worker(pilot, "seq-overview")
        shown_active = sum(c.count for c in seqs.overview.counts if c.status == "active")
        [(contact_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts c WHERE NOT EXISTS ("
                                            "SELECT 1 FROM crm_sequence_contacts e WHERE e.contact_id = c.id) LIMIT 1")
        sequence = (await other.sequences.sequences())[0]
        await other.sequences.enroll(contact_id, sequence.id)
        await wait_until(pilot, lambda: sum(c.count for c in seqs.overview.counts if c.status == "active")
                         == shown_active + 1, timeout=LIVE, what="the new enrollment counted")

        # hidden screens were marked stale: back on the board, it shows the latest without a key
        await other.crm.move_deal(deal_id, stages[0])
        await wait_until(pilot, lambda: board._stale, timeout=LIVE, what="the hidden board marked stale")
        await _go(pilot, "p", PipelineScreen)
        await wait_until(pilot, lambda: str(deal_id) in board.columns[stages[0]].cards, timeout=LIVE,
                         what="the board reloaded on return")


async def test_a_burst_of_changes_coalesces_into_few_deliveries(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await _go(pilot, "p", PipelineScreen)
        await waiter.worker(pilot, "board")
        await _feed_ready(pilot)
        feed = app.live.feed
        assert feed is not None
        start = feed.deliveries
        # one statement, hundreds of rows (an enrichment scan): each row is announced, the screens repaint a few times
        async with other.db.tx("operational") as c:
            await c.execute("UPDATE crm_contacts SET enriched_at = now()")
        n = (await scoped_rows(conn, "bezeliq", "SELECT count(*) FROM crm_contacts"))[0][0]
        assert n >= 100
        await wait_until(pilot, lambda: feed.deliveries > start, timeout=LIVE, what="a delivery")
        await pilot.pause(1.0)
        assert feed.deliveries - start <= 3


async def test_other_clients_changes_are_not_heard(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    northwind = store.scoped("northwind")
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await _go(pilot, "p", PipelineScreen)
        await _feed_ready(pilot)
        feed = app.live.feed
        assert feed is not None
        heard: list[Any] = []
        deliver = feed.deliver
        feed.deliver = lambda d: (heard.append(d), deliver(d))  # type: ignore[method-assign]
        [(deal_id, stage)] = await scoped_rows(conn, "northwind", "SELECT id, stage_id FROM crm_deals LIMIT 1")
        other_stage = (await scoped_rows(conn, "northwind", "SELECT stage_id FROM crm_pipeline WHERE stage_id <> %s "
                                                             "LIMIT 1", (stage,)))[0][0]
        await northwind.crm.move_deal(deal_id, other_stage)
        await pilot.pause(1.0)
        assert not [d for d in heard if d.ids.get("deal")]
    channels = await scoped_rows(conn, "bezeliq", "SELECT redkey.change_channel()")
    others = await scoped_rows(conn, "northwind", "SELECT redkey.change_channel()")
    assert channels[0][0] != others[0][0] and channels[0][0].startswith("redkey_changes_")


async def test_reject_note_n_is_not_typed_into_the_note(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, "v", ApprovalsScreen)
        await waiter.worker(pilot, "approvals-page")
        table = screen.query_one("#proposals", DataTable)
        table.focus()
        await wait_until(pilot, lambda: screen.selected is not None, what="a proposal")
        await pilot.press("x")  # refused: "a rejection needs a note saying why (n to write one)"
        await pilot.press("n", *"not accurate")
        note = screen.query_one("#decision-note", Input)
        assert note.value == "not accurate"
        await pilot.press("escape")  # Esc leaves the note for the list, keeping its text
        assert app.focused is table and note.value == "not accurate"


async def test_import_path_field_hands_navigation_back(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, "i", ImportScreen)
        path = screen.query_one("#import-path", Input)
        await wait_until(pilot, lambda: app.focused is path, what="the path field focused")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="help")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="help closed")
        assert not isinstance(app.focused, Input)  # back to the screen, not into the field
        path.focus()
        await pilot.pause()
        await pilot.press("g", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="g p from the empty field")
        assert path.value == ""
        await pilot.press("g", "i")
        await wait_until(pilot, lambda: app.screen is screen, what="back on import")
        path.focus()
        await pilot.pause()
        await pilot.press(*"~/leads.csv")
        assert path.value == "~/leads.csv"  # a field with text keeps every key


async def test_enter_enrolls_in_the_enroll_dialog(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, "c", ContactsScreen)
        await waiter.worker(pilot, "contact-list")
        since = waiter.mark()
        await pilot.press("slash", *"priya raman")
        await waiter.worker(pilot, "contact-list", since=since)
        since = waiter.mark()
        await pilot.press("enter", "enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        priya = screen.dossier.contact  # type: ignore[union-attr]
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SequenceActions), what="sequence actions")
        modal = app.screen
        await wait_until(pilot, lambda: modal.data is not None, what="sequences loaded")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(modal.data.enrollments) == 1, what="enrolled by enter")
        rows = await scoped_rows(conn, "bezeliq", "SELECT status FROM crm_sequence_contacts WHERE contact_id = %s",
                                 (priya.id,))
        assert rows == [("active",)]


async def test_esc_returns_to_the_feed_row_one_came_from(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        feed = await _go(pilot, "a", ActivityScreen)
        table = feed.query_one("#feed-table", DataTable)
        await wait_until(pilot, lambda: table.row_count > 5, what="the feed", timeout=10)
        rows = feed.state.rows
        row = next(i for i, a in enumerate(rows) if i >= 3 and a.contact_id is not None)
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="the contact")
        contacts = app.screen
        await wait_until(pilot, lambda: contacts.dossier is not None
                         and contacts.dossier.contact.id == rows[row].contact_id, what="the contact's detail")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is feed, what="back on the feed")
        assert table.cursor_row == row


async def test_client_switch_clears_the_old_clients_records(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, "c", ContactsScreen)
        await waiter.worker(pilot, "contact-list")
        since = waiter.mark()
        await pilot.press("enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        old = screen.dossier.contact  # type: ignore[union-attr]
        assert old.display_name in screen_text(app)
        seen: list[bool] = []
        original = app.store

        def switched() -> None:  # what the screen holds the moment the new scope is set
            seen.append(screen.dossier is None and not screen.contacts)

        app.client_switcher.switch("northwind")
        switched()
        assert app.store is not original and seen == [True]
        await waiter.worker(pilot, "contact-list", since=since)
        await pilot.pause(0.3)
        assert old.display_name not in screen_text(app)
        assert all(c.client_id == "northwind" for c in screen.contacts.values())
        await pilot.press("e")  # nothing of the old client to edit: no "no such record" error
        await pilot.pause()
        assert screen.dossier is None or screen.dossier.contact.client_id == "northwind"


async def test_tell_box_never_stays_disabled(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await _go(pilot, "p", PipelineScreen)
        await pilot.press("t")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TellArlo", what="tell box")
        box = app.screen.query_one("#tell-input", Input)
        stuck = asyncio.Event()

        async def never_answers(*_args: Any) -> None:  # an arlo that hangs on the instruction
            await stuck.wait()

        app.arlo_runtime.tell = never_answers  # type: ignore[method-assign]
        await pilot.press(*"Move the Volta deal to Negotiation")
        await pilot.press("enter")
        await pilot.pause()
        assert box.disabled  # while arlo works on it
        tell = app.screen
        tell.workers.cancel_group(tell, "tell-arlo")  # the worker ends without a result (cancelled)
        await wait_until(pilot, lambda: not box.disabled, what="the box usable again", timeout=10)
        assert app.focused is box


@pytest.mark.parametrize("spec", available_screens(), ids=lambda spec: spec.mode)
async def test_every_footer_binding_works_on_its_screen(settings, store, waiter, spec: ScreenSpec) -> None:  # type: ignore[no-untyped-def]
    """Each key a screen's footer lists resolves to an action of the screen (or the app) and runs
    without error (one test per screen, so the screens run side by side)."""
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
        skip = {"quit", "switch_client", "tell_arlo", "help", "command_palette", "run_step", "run_import",
                "diagram"}
        assert spec in app.screen_specs, spec.mode
        screen = await _go(pilot, spec.key, spec.load())
        await pilot.pause(0.3)
        shown = [(b.key, b.action) for _k, (node, b, enabled, _tip) in screen.active_bindings.items()
                 if b.show and enabled]
        assert shown, spec.mode
        for key, action in shown:
            name = action.split("(")[0]
            node = next(n for n in (screen, *screen.ancestors_with_self, app)
                        if hasattr(n, f"action_{name}"))
            assert callable(getattr(node, f"action_{name}")), (spec.mode, key, action)
            if name in skip:
                continue
            await pilot.press(key.split(",")[0])
            await pilot.pause(0.1)
            while app.screen is not screen and len(app.screen_stack) > 1:  # a dialog it opened
                await pilot.press("escape")
                await pilot.pause(0.1)
            if app.screen is not screen:
                await _go(pilot, spec.key, spec.load())
            if isinstance(app.focused, Input):
                await pilot.press("escape")
