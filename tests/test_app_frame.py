"""The frame: registry, go-keys, help, palette, client switcher, database loss and reconnect, and a UI
that keeps answering keys while a slow query runs."""

from __future__ import annotations

import asyncio

import psycopg
from psycopg import sql

from cockpit.app import CockpitApp
from cockpit.config import Settings
from screens import ScreenSpec, available_screens
from screens.contacts import ContactsScreen
from screens.pipeline import PipelineScreen
from screens.deal_page import DealPage as DealDetail
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


def test_registry_offers_only_screens_that_exist() -> None:
    assert [s.mode for s in available_screens()][:2] == ["pipeline", "contacts"]
    assert not ScreenSpec("nope", "Nope", "n", "screens.does_not_exist:X").available()


async def _ready(app: CockpitApp, pilot, waiter) -> PipelineScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
    await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
    await waiter.worker(pilot, "board")
    return app.screen  # type: ignore[return-value]


async def test_app_opens_its_own_store_and_picks_the_first_client(db_url, tmp_path, waiter) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=db_url, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    app = CockpitApp(settings, clock=fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await _ready(app, pilot, waiter)
        assert app.store is not None and app.store.client_id == "bezeliq"
        assert "BezelIQ" in screen_text(app) and "connected" in screen_text(app)


async def test_start_up_work_waits_for_the_first_screen_to_paint_its_data(settings, store, waiter,  # type: ignore[no-untyped-def]
                                                                          monkeypatch) -> None:
    """arlo's loops and the warm-up compete with the first paint for the CPU: they begin once the board
    has painted its columns, prompted by the screen (not by the fallback timer, set far off here)."""
    from cockpit import start_up
    from widgets.stage_column import StageColumn

    monkeypatch.setattr(start_up, "START_UP_WAIT", 60.0)
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    seen: list[int] = []
    begin = app.start_up._begin

    def recording_begin() -> None:
        seen.append(len(app.screen.query(StageColumn)))
        begin()

    app.start_up._begin = recording_begin  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        # (whether it has begun by now depends on how fast the board painted: what it saw when it began
        # is what tells, below; the fallback timer is a minute off, so beginning at all is the screen's doing)
        await _ready(app, pilot, waiter)
        await wait_until(pilot, lambda: app.start_up.begun, what="start-up begun", timeout=10)
        assert seen and seen[0] == len(app.screen.columns) > 0  # type: ignore[attr-defined]
        app.screen.reload()  # type: ignore[attr-defined]
        await waiter.worker(pilot, "board")
        await pilot.pause()
        assert len(seen) == 1  # a later load of the board starts nothing again


async def test_help_lists_every_binding_and_go_keys(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 48)) as pilot:
        await _ready(app, pilot, waiter)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="help")
        await wait_until(pilot, lambda: "Keys  (esc closes)" in screen_text(app), what="help painted")
        listed = {(keys, desc) for _section, keys, desc in app.screen.rows}  # type: ignore[attr-defined]
        for pair in (("H", "Move ◀"), ("L", "Move ▶"), ("/", "Filter"), ("s", "Sort"), ("z", "Fold closed"),
                     (":", "Jump"), ("?", "Keys"), ("q", "Quit"), ("g p", "Pipeline"), ("g c", "Contacts")):
            assert pair in listed, pair
        assert "Move ◀" in screen_text(app)  # the screen's own keys come first, on screen
        rows = app.screen.rows  # type: ignore[attr-defined]
        assert not any("super+" in keys or section in ("DataTable", "OptionList") for section, keys, _d in rows)
        marks = {keys for section, keys, _d in rows if section == "Marks"}
        assert {"▲ ◆ ▽", "⚠12d", "⊘", "overdue"} <= marks  # a legend of the marks
        await pilot.press("escape")
        assert isinstance(app.screen, PipelineScreen)


async def test_palette_jumps_to_a_deal_found_in_the_database(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        await pilot.press("colon", *"volta")
        await wait_until(pilot, lambda: "deal: Volta Energy" in screen_text(app), what="deal hit")
        # move to the deal hit and open it
        for _ in range(10):
            if "Volta Energy — Pilot" in str(app.screen.query_one("CommandList").highlighted_option.prompt):  # type: ignore[union-attr]
                break
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DealDetail), what="deal detail")
        await waiter.idle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, DealDetail)
        contacts = await scoped_rows(conn, "bezeliq", "SELECT p.full_name FROM crm_deals d JOIN crm_contacts p "
                                         "ON p.id = d.contact_id WHERE d.name = 'Volta Energy — Pilot'")
        text = screen_text(app)
        assert "Volta Energy — Pilot" in text and any(name in text for (name,) in contacts)


async def test_client_switcher_rescopes_and_reloads(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        board = await _ready(app, pilot, waiter)
        assert "PROSPECT" in board.columns
        since = waiter.mark()
        await pilot.press("C")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ClientPicker", what="picker")
        await pilot.press("j", "enter")
        await waiter.worker(pilot, "board", since=since)
        assert app.store is not None and app.store.client_id == "northwind"
        assert list(board.columns)[0] == "NEW"
        assert "Northwind Labs" in screen_text(app)


async def test_settings_clients_restrict_the_switcher(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    settings.clients = ["bezeliq"]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        assert app.clients == [("bezeliq", "BezelIQ")]
        assert app.check_action("switch_client", ()) is False


async def test_no_client_shows_what_to_do(empty_db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=empty_db_url, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    app = CockpitApp(settings, clock=fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "no-client", what="no-client state")
        # the banner repaints after the state changes: wait for it rather than read the screen at once
        await wait_until(pilot, lambda: "cockpit demo" in screen_text(app), what="the banner saying what to do")


async def test_ui_answers_keys_while_a_slow_query_runs(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _ready(app, pilot, waiter)
        slow = board.call_store(lambda s: s.db.fetch_value("SELECT pg_sleep(3)"), group="slow")
        assert slow is not None
        start = board.selected()
        await pilot.press("l", "j")
        moved = board.selected()
        assert moved is not None and start is not None and moved[0] == "QUALIFY"
        assert not slow.is_finished, "the keys were handled while the query was still running"
        slow.cancel()


async def test_database_loss_shows_a_banner_and_recovers(settings, store, db_url, pg_server_url, waiter) -> None:  # type: ignore[no-untyped-def]
    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    app.connection.backoff_start, app.connection.backoff_max = 0.1, 0.2
    async with app.run_test(size=(120, 40)) as pilot:
        board = await _ready(app, pilot, waiter)
        admin = await psycopg.AsyncConnection.connect(pg_server_url, autocommit=True)
        try:
            await admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(dbname)))
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
            board.reload()
            await wait_until(pilot, lambda: app.connection_state == "lost", what="lost state")
            assert "database lost" in screen_text(app)
            since = waiter.mark()
            await admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(dbname)))
            await wait_until(pilot, lambda: app.connection_state == "connected", timeout=10, what="reconnect")
            await waiter.worker(pilot, "board", since=since)  # the screen refreshed itself
            assert "database lost" not in screen_text(app)
        finally:
            await admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(dbname)))
            await admin.close()


async def test_deal_detail_jumps_to_its_contact(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _ready(app, pilot, waiter)
        _stage, card = board.selected()  # type: ignore[misc]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DealDetail), what="deal detail")
        await waiter.idle(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts")
        contacts = app.screen
        [(contact_id,)] = await scoped_rows(conn, "bezeliq", "SELECT contact_id FROM crm_deals WHERE id = %s", (card.id,))
        await wait_until(pilot, lambda: contacts.dossier is not None  # type: ignore[attr-defined]
                         and contacts.dossier.contact.id == contact_id, what="the deal's contact")  # type: ignore[attr-defined]
        await waiter.worker(pilot, "contact-list")  # the list's first page arrived too ...
        await waiter.idle(pilot)
        assert contacts.dossier.contact.id == contact_id  # ... and did not replace the contact  # type: ignore[attr-defined]


async def test_go_keys_typed_in_one_burst(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    """A terminal delivers "gc" typed fast as two queued key events, before the ``g`` binding has run:
    the second key must still pick the screen (it once fell through to the old screen)."""
    from textual import events

    from screens.contacts import ContactsScreen

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(app, pilot, waiter)
        app.post_message(events.Key("g", "g"))
        app.post_message(events.Key("c", "c"))
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts after a burst")
        app.post_message(events.Key("g", "g"))
        app.post_message(events.Key("p", "p"))
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline after a burst")


async def test_filter_typed_in_one_burst_lands_in_the_filter(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    """"/volta" typed fast: every key reaches the terminal before "/" has focused the filter. The
    letters must land in the filter (not move the board: "l" is next-column there)."""
    from textual import events
    from textual.widgets import Input

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await _ready(app, pilot, waiter)
        for ch in "/volta":
            app.post_message(events.Key("slash" if ch == "/" else ch, ch))
        await wait_until(pilot, lambda: isinstance(app.focused, Input) and app.focused.value == "volta",
                         what="the filter to hold 'volta'")
        await wait_until(pilot, lambda: "Volta Energy" in screen_text(app) and "filter" in screen_text(app),
                         what="the board filtered")


async def test_escape_leaves_a_text_field_so_go_keys_work_again(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from screens.contacts import ContactsScreen

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(app, pilot, waiter)
        await pilot.press("g", "i")  # the import screen opens with its path field focused
        await wait_until(pilot, lambda: isinstance(app.focused, Input), what="a focused text field")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.focused, Input), what="the field released")
        await pilot.press("g", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts")


async def test_a_worker_that_fails_unexpectedly_is_shown_and_logged(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    """Any worker of the app, even one started without call_store, that ends in an error nobody
    handled becomes a notification and an error-log record with its traceback."""
    from textual.worker import Worker, WorkerState

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        board = await _ready(app, pilot, waiter)

        async def broken_refresh() -> None:
            raise KeyError("stage_id")

        since = waiter.mark()
        board.run_worker(broken_refresh(), group="broken", exit_on_error=False)
        await waiter.wait(Worker.StateChanged, lambda m: m.worker.group == "broken" and m.state == WorkerState.ERROR,
                          since=since)
        await wait_until(pilot, lambda: any("unexpected KeyError" in (n.title or "") for n in app._notifications),
                         what="the notification")
        log = (settings.data_dir / "logs" / "cockpit.log").read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in log and "in broken_refresh" in log and "KeyError: 'stage_id'" in log
        assert isinstance(app.screen, PipelineScreen) and app.is_running  # the app carries on
