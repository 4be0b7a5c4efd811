"""The terminal session's head start: the database opened, migrated and the board read in a thread while
the cockpit starts; the board is on screen before the app's own connection, then reloaded from it (a
change made in between shows), and a database that cannot be reached is reported like before."""

from __future__ import annotations

import asyncio
import os

import pytest

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.head_start import HeadStart, first_page_size
from screens.pipeline import PipelineScreen
from tests.tui_support import fixed_clock, screen_text, wait_until
from widgets.stage_column import StageColumn

HEIGHT = 30


def _columns(app: CockpitApp) -> bool:
    return isinstance(app.screen, PipelineScreen) and bool(app.screen.query(StageColumn))


@pytest.mark.parametrize("fork", [True, False], ids=["in a child process", "in a thread"])
async def test_the_board_read_at_start_shows_before_the_connection_then_reloads_from_it(settings, store, fork) -> None:  # type: ignore[no-untyped-def]
    head_start = HeadStart.begin(settings, height=HEIGHT, fork=fork)
    found = await head_start.found()
    if fork:  # the child has ended and been reaped: no zombie left behind
        assert head_start.child_pid and not os.path.exists(f"/proc/{head_start.child_pid}")
    assert found is not None and found.client_id == "bezeliq" and ("bezeliq", "BezelIQ") in found.registered
    limit = first_page_size(HEIGHT, settings.page_size)
    assert found.limit == limit and found.board == await store.crm.board_view(limit=limit)
    stages, _totals, pages = found.board
    deal = next(card for s in stages for card in pages[s.stage_id].items)
    # changed after the head start read the board, before the app connects: the app's reload shows it
    await store.crm.update_strategic("crm_deals", deal.id, name="Renamed after the head start")

    app = CockpitApp(settings, clock=fixed_clock, head_start=head_start)
    gate = asyncio.Event()
    connect = app.connection._connect

    async def held() -> None:  # the app's own connection waits until the test has seen the early board
        await gate.wait()
        await connect()

    app.connection._connect = held  # type: ignore[method-assign]
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        assert _columns(app), "read before the screen composed: the columns are in its first frame"
        await wait_until(pilot, lambda: _columns(app) and (deal.name or "")[:12] in screen_text(app),
                         what="the head start's board on screen")
        assert app.connection_state == "connecting" and app.store is None
        gate.set()
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        await wait_until(pilot, lambda: "Renamed after" in screen_text(app), what="the reloaded board")
        assert app.store is not None and app.store.client_id == "bezeliq" and app.client_name == "BezelIQ"


@pytest.mark.parametrize("fork", [True, False], ids=["in a child process", "in a thread"])
async def test_an_unreachable_database_is_reported_as_without_a_head_start(tmp_path, fork) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="postgresql://nobody:pw@127.0.0.1:1/none", data_dir=tmp_path,  # type: ignore[call-arg]
                        connect_timeout=2, _env_file=None)
    head_start = HeadStart.begin(settings, height=HEIGHT, fork=fork)
    app = CockpitApp(settings, clock=fixed_clock, head_start=head_start)
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "lost", what="database unreachable", timeout=10)
        assert app.banner.startswith("database unreachable: ") and "retrying in 1s" in app.banner
        assert not _columns(app)


@pytest.mark.parametrize("fork", [True, False], ids=["in a child process", "in a thread"])
async def test_no_client_to_scope_to_is_reported_as_without_a_head_start(empty_db_url, tmp_path, fork) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=empty_db_url, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    head_start = HeadStart.begin(settings, height=HEIGHT, fork=fork)
    app = CockpitApp(settings, clock=fixed_clock, head_start=head_start)
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "no-client", what="no client", timeout=10)
        assert "no client is registered" in app.banner and not _columns(app)


async def test_a_board_read_after_the_screen_composed_still_shows_before_the_connection(settings, store) -> None:  # type: ignore[no-untyped-def]
    import threading

    gate = threading.Event()

    class Held(HeadStart):  # still reading when the pipeline screen composes
        async def _read(self):  # type: ignore[no-untyped-def]
            await asyncio.to_thread(gate.wait, 10)
            return await super()._read()

    head_start = Held.begin(settings, height=HEIGHT, fork=False)  # the gate is this process's
    app = CockpitApp(settings, clock=fixed_clock, head_start=head_start)
    connect_gate = asyncio.Event()
    connect = app.connection._connect

    async def held() -> None:
        await connect_gate.wait()
        await connect()

    app.connection._connect = held  # type: ignore[method-assign]
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, PipelineScreen) and not _columns(app)
        gate.set()
        await wait_until(pilot, lambda: _columns(app), what="the head start's board on screen")
        assert app.connection_state == "connecting" and app.store is None
        connect_gate.set()
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
