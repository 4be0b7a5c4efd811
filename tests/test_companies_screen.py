"""The companies screen driven with keys on the seeded demo: the list by name in keyset pages, search in
the database, Enter opens the company page, live changes from another process, ``x`` exports; and its
80x24 snapshot."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from textual.widgets import DataTable, Input

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.companies import CompaniesScreen
from screens.company_page import CompanyPage
from tests.tui_support import Waiter, fixed_clock, scoped_rows, screen_text, wait_until

LIVE = 2.0


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[Store]:
    """A second store on the same database (arlo's loops, a shell command)."""
    s = await Store.open(settings, min_size=0, max_size=2)
    try:
        yield s.scoped("bezeliq", source="arlo", actor="arlo")
    finally:
        await s.close()


async def _companies(pilot: Any, waiter: Waiter) -> CompaniesScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
    await pilot.press("g", "o")
    await wait_until(pilot, lambda: isinstance(app.screen, CompaniesScreen), what="companies screen")
    await waiter.worker(pilot, "company-list")
    return app.screen  # type: ignore[no-any-return]


async def test_list_by_name_pages_with_the_cursor(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    settings.page_size = 10
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _companies(pilot, waiter)
        first = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_companies ORDER BY name, id LIMIT 20")
        assert list(screen.companies) == [str(r[0]) for r in first[:10]]
        assert "10+ companies by name" in screen_text(app)
        for _ in range(4):
            await pilot.press("j")
        await wait_until(pilot, lambda: len(screen.companies) == 20, what="second page")
        assert list(screen.companies) == [str(r[0]) for r in first]


async def test_search_runs_in_the_database_and_enter_opens_the_company_page(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _companies(pilot, waiter)
        everyone = len(screen.companies)
        expected = await scoped_rows(conn, "bezeliq", "SELECT id, name FROM crm_search_companies('meridian', 100)")
        await pilot.press("slash", *"meridian")
        # a pause between keys under load runs the search for a prefix first: wait for the whole word's rows
        await wait_until(pilot, lambda: list(screen.companies) == [str(r[0]) for r in expected],
                         what="the rows of the search for “meridian”")
        assert 0 < len(expected) < everyone
        assert "matching “meridian”" in screen_text(app)
        # by domain too
        by_domain = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_search_companies('meridianhealth', 100)")
        screen.query_one("#company-search", Input).value = ""
        await pilot.press(*"meridianhealth")
        await wait_until(pilot, lambda: list(screen.companies) == [str(r[0]) for r in by_domain],
                         what="the rows of the search for “meridianhealth”")
        assert by_domain
        await pilot.press("enter")  # leaves the search box for the table
        assert app.focused is screen.query_one("#company-table")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CompanyPage), what="company page")
        page = app.screen
        await wait_until(pilot, lambda: page.data is not None, what="company loaded")  # type: ignore[attr-defined]
        people = await scoped_rows(conn, "bezeliq", "SELECT full_name FROM crm_contacts WHERE company_id = %s",
                                   (page.company_id,))  # type: ignore[attr-defined]
        text = screen_text(app)
        assert "Meridian Health" in text and f"People ({len(people)})" in text
        await pilot.press("escape")
        assert isinstance(app.screen, CompaniesScreen)


async def test_changes_made_elsewhere_show_without_a_key(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _companies(pilot, waiter)
        await wait_until(pilot, lambda: app.live.feed is not None and app.live.feed.ready.is_set(),
                         what="the change feed listening", timeout=10)
        first_id = next(iter(screen.companies))
        pilot.app.screen.query_one("#company-table").move_cursor(row=2)
        kept = screen.highlighted_id()
        await other.crm.update_strategic("crm_companies", UUID(first_id), priority="high")
        await wait_until(pilot, lambda: screen.companies[first_id].priority == "high", timeout=LIVE,
                         what="the priority set elsewhere")
        assert "▲" in screen_text(app) and screen.highlighted_id() == kept
        new = await other.crm.insert_record("crm_companies", {"name": "Aaardvark Ångström GmbH", "domain": "aaardvark.de"})
        await wait_until(pilot, lambda: str(new.id) in screen.companies, timeout=LIVE, what="the new company")
        assert list(screen.companies)[0] == str(new.id)  # sorted in by name
        assert screen.highlighted_id() == kept  # the cursor stayed on its company


async def test_a_broad_change_redraws_rows_in_place(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    """Twenty updating every company in one statement (the feed names no ids): the rows on screen are the
    same, so they are redrawn where they are; the list is not emptied and refilled, the view does not jump.
    Twenty's own writes are found by the feed's poll (made quick here)."""
    app = CockpitApp(settings.model_copy(update={"refresh_seconds": 0.5}), store=store, clock=fixed_clock)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await _companies(pilot, waiter)
        await wait_until(pilot, lambda: app.live.feed is not None and app.live.feed.ready.is_set(),
                         what="the change feed listening", timeout=10)
        table = screen.query_one("#company-table", DataTable)
        table.move_cursor(row=30, animate=False)
        await pilot.pause()
        kept, scrolled, rows = screen.highlighted_id(), table.scroll_y, table.row_count
        assert scrolled > 0
        cleared: list[int] = []
        table.clear = lambda *a, **k: cleared.append(1) or DataTable.clear(table, *a, **k)  # type: ignore[method-assign]
        cur = await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")
        [(schema,)] = await cur.fetchall()
        await conn.execute(f'UPDATE "{schema}".company SET "addressAddressCity" = \'Zürich\', "updatedAt" = now()')
        await wait_until(pilot, lambda: screen.companies[kept].city == "Zürich", timeout=LIVE,
                         what="the city Twenty wrote")
        await pilot.pause()
        assert "Zürich" in screen_text(app)
        assert (screen.highlighted_id(), table.scroll_y, table.row_count, cleared) == (kept, scrolled, rows, [])


async def test_x_exports_the_companies(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _companies(pilot, waiter)
        since = waiter.mark()
        await pilot.press("x")
        await waiter.worker(pilot, "export-companies", since=since)
        await pilot.pause()
        result = screen.last_export  # type: ignore[attr-defined]
        with open(result.path, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        [(count,)] = await scoped_rows(conn, "bezeliq", "SELECT count(*) FROM crm_companies")
        assert len(rows) == result.rows == count
        assert Path(result.path).parent == Path(settings.data_dir) / "exports"
        # with a search, x exports what the screen shows
        since = waiter.mark()
        await pilot.press("slash", *"meridian", "enter")
        await waiter.worker(pilot, "company-list", since=since)
        since = waiter.mark()
        await pilot.press("x")
        await waiter.worker(pilot, "export-companies", since=since)
        await pilot.pause()
        result = screen.last_export  # type: ignore[attr-defined]
        with open(result.path, encoding="utf-8") as fh:
            names = [r["name (operational)"] for r in csv.DictReader(fh)]
        assert sorted(names) == sorted(c.name for c in screen.companies.values()) and names
        assert result.search == "meridian"


def test_companies_snapshot_80x24(snap_compare, db_url, tmp_path, waiter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(Input, "cursor_blink", False)
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]

    async def open_companies(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
        await waiter.worker(pilot, "board")
        app.go("companies")
        await waiter.worker(pilot, "company-list")
        await pilot.pause()

    assert snap_compare(CockpitApp(settings, clock=fixed_clock), terminal_size=(80, 24), run_before=open_companies)
