"""Snapshots of each screen at 80x24 and 160x48 on the deterministic demo data (fixed clock, no cursor
blink). Regenerate with ``pytest tests/test_snapshots.py --snapshot-update`` after a deliberate change."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input

from cockpit.app import CockpitApp
from cockpit.config import Settings
from tests.tui_support import fixed_clock

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


def _app(db_url: str, tmp_path: Path) -> CockpitApp:
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    return CockpitApp(settings, clock=fixed_clock)


async def _until(pilot, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "screen did not load"
        await pilot.pause(0.02)


async def _pipeline_ready(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await _until(pilot, lambda: app.connection_state == "connected" and hasattr(app.screen, "loaded"))
    await asyncio.wait_for(app.screen.loaded.wait(), 10)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pipeline_snapshot(snap_compare, db_url, tmp_path, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(db_url, tmp_path), terminal_size=size, run_before=_pipeline_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_contacts_snapshot_with_sarahs_context(snap_compare, db_url, tmp_path, size) -> None:  # type: ignore[no-untyped-def]
    async def open_sarah(pilot) -> None:  # type: ignore[no-untyped-def]
        await _pipeline_ready(pilot)
        app = pilot.app
        app.go("contacts")
        await _until(pilot, lambda: hasattr(app.screen, "list_loaded"))
        screen = app.screen
        await asyncio.wait_for(screen.list_loaded.wait(), 10)
        screen.list_loaded.clear()
        await pilot.press("slash", *"sarah chen")
        await asyncio.wait_for(screen.list_loaded.wait(), 10)
        screen.detail_loaded.clear()
        await pilot.press("enter", "enter")
        await asyncio.wait_for(screen.detail_loaded.wait(), 10)
        await pilot.pause()

    assert snap_compare(_app(db_url, tmp_path), terminal_size=size, run_before=open_sarah)
