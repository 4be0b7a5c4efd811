"""Snapshots of each screen at 80x24 and 160x48 on the deterministic demo data (fixed clock, no cursor
blink). Regenerate with ``pytest tests/test_snapshots.py --snapshot-update`` after a deliberate change."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from cockpit.app import CockpitApp
from cockpit.config import Settings
from tests.tui_support import Waiter, fixed_clock, wait_until

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


def _app(db_url: str, tmp_path: Path) -> CockpitApp:
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    return CockpitApp(settings, clock=fixed_clock)


async def _pipeline_ready(pilot, waiter: Waiter) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
    await waiter.worker(pilot, "board")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pipeline_snapshot(snap_compare, db_url, tmp_path, size, waiter) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(db_url, tmp_path), terminal_size=size,
                        run_before=lambda pilot: _pipeline_ready(pilot, waiter))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_contacts_snapshot_with_sarahs_context(snap_compare, db_url, tmp_path, size, waiter) -> None:  # type: ignore[no-untyped-def]
    async def open_sarah(pilot) -> None:  # type: ignore[no-untyped-def]
        await _pipeline_ready(pilot, waiter)
        app = pilot.app
        app.go("contacts")
        await waiter.worker(pilot, "contact-list")
        async with waiter.after(pilot, "contact-list"):
            await pilot.press("slash", *"sarah chen")
        async with waiter.after(pilot, "contact-detail"):
            await pilot.press("enter", "enter")
        await pilot.pause()

    assert snap_compare(_app(db_url, tmp_path), terminal_size=size, run_before=open_sarah)


async def _mode_ready(pilot, waiter: Waiter, mode: str, group: str) -> None:  # type: ignore[no-untyped-def]
    await _pipeline_ready(pilot, waiter)
    app = pilot.app
    since = waiter.mark()
    await app.switch_mode(mode)
    await waiter.worker(pilot, group, since=since)
    await pilot.pause(0.3)


# The screens not covered above, at 80x24 (mode, the worker group of its first load).
MORE_SCREENS = [("approvals", "approvals-page"), ("arlo", "arlo-load"), ("sequences", "seq-overview")]


@pytest.mark.parametrize("mode, group", MORE_SCREENS, ids=[m for m, _g in MORE_SCREENS])
def test_screen_snapshot_80x24(snap_compare, db_url, tmp_path, mode, group, waiter) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await _mode_ready(pilot, waiter, mode, group)

    assert snap_compare(_app(db_url, tmp_path), terminal_size=(80, 24), run_before=ready)


@pytest.mark.parametrize("page", ["deal", "company"])
def test_record_page_snapshot_80x24(snap_compare, db_url, tmp_path, page, waiter) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await _pipeline_ready(pilot, waiter)
        app = pilot.app
        store = app.store
        if page == "deal":
            [deal] = [d for d in await store.crm.search_deals("Volta Energy", limit=5) if d.name == "Volta Energy — Pilot"]
            open_it = lambda: app.open_deal(deal.id)  # noqa: E731
        else:
            [company] = [c for c in (await store.crm.companies_page("Meridian Health", limit=5)).items
                         if c.name == "Meridian Health"]
            open_it = lambda: app.open_company(company.id)  # noqa: E731
        since = waiter.mark()
        open_it()
        await waiter.worker(pilot, "record-page", since=since)
        await pilot.pause(0.3)

    assert snap_compare(_app(db_url, tmp_path), terminal_size=(80, 24), run_before=ready)


def test_import_screen_snapshot_80x24(snap_compare, db_url, tmp_path, waiter) -> None:  # type: ignore[no-untyped-def]
    """The import screen as it opens: the path box has the focus, and no progress bar shows before an
    import runs (an idle bar pulses, which also made two runs' pictures differ)."""
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await _pipeline_ready(pilot, waiter)
        await pilot.app.switch_mode("import")
        await pilot.pause(0.3)

    assert snap_compare(_app(db_url, tmp_path), terminal_size=(80, 24), run_before=ready)
