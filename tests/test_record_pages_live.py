"""The deal and company pages follow the change feed: another process (a second store, as arlo or a shell
would be; or Twenty writing its own tables) changes the record on screen, its timeline, its people and
deals, and the open page shows it without a key press; a record deleted elsewhere says so. A client
switch empties the pages at once and closes them."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.company_page import CompanyPage
from screens.deal_page import DealPage
from screens.pipeline import PipelineScreen
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until

VOLTA = "Volta Energy — Pilot"
# Seconds a change announced with NOTIFY may take to reach the open page here: the 2 s target (measured by
# bench/live_feed.py on a quiet machine) with room for a loaded test machine, where a page's reload alone
# has taken 2.5 s.
LIVE = 6.0


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


async def _ready(app: CockpitApp, pilot: Any, waiter: Any) -> None:
    await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline screen")
    await waiter.worker(pilot, "board")
    await wait_until(pilot, lambda: app.live.feed is not None and app.live.feed.ready.is_set(),
                     what="the change feed listening", timeout=10)


def _page_text(page: Any) -> str:
    """What the record page itself shows (the board under the modal is not the page)."""
    from rich.console import Console
    from textual.widgets import OptionList, Static

    console = Console(width=200, record=True, file=io.StringIO())
    for w in page.query(Static):
        console.print(w.content)
    links = page.query_one(OptionList)
    for i in range(links.option_count):
        console.print(links.get_option_at_index(i).prompt)
    return console.export_text()


async def _page(app: CockpitApp, pilot: Any, waiter: Any, open_it: Any, kind: type) -> Any:
    since = waiter.mark()
    open_it()
    await waiter.worker(pilot, "record-page", since=since)
    assert isinstance(app.screen, kind)
    return app.screen


async def test_deal_page_shows_changes_made_elsewhere_and_its_deletion(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store, refresh_seconds=1.0)
    [(deal_id, contact_id)] = await scoped_rows(conn, "bezeliq", "SELECT id, contact_id FROM crm_deals WHERE name = %s",
                                                (VOLTA,))
    async with app.run_test(size=(120, 48)) as pilot:
        await _ready(app, pilot, waiter)
        page = await _page(app, pilot, waiter, lambda: app.open_deal(deal_id), DealPage)
        assert "65,000" in screen_text(app)
        page.query_one("#page-links").action_cursor_down()  # the user's place in the lines, kept across reloads
        await pilot.pause()
        kept = page.query_one("#page-links").highlighted_option.id

        # the deal's terms change in another process: the page shows the new amount and note
        await other.crm.update_strategic("crm_deals", deal_id, amount=Decimal("81250"),
                                         strategy_note="Board approved the pilot budget")
        await wait_until(pilot, lambda: "81,250" in _page_text(page), timeout=LIVE, what="the new amount")
        assert "Board approved the pilot budget" in _page_text(page) and "65,000" not in _page_text(page)
        assert page.query_one("#page-links").highlighted_option.id == kept

        # an activity on the deal (arlo logging a call): its timeline shows it
        await other.crm.log_activity(kind="call", subject="Call with Priya about the pilot scope", deal_id=deal_id,
                                     contact_id=contact_id, source="arlo", external_id="live-deal-call-1")
        await wait_until(pilot, lambda: "Call with Priya about the pilot scope" in _page_text(page), timeout=LIVE,
                         what="the new timeline line")

        # its contact is renamed elsewhere: the contact line follows
        await other.crm.update_record("crm_contacts", contact_id, {"job_title": "VP Operations, Energy"},
                                      role="operational")
        await wait_until(pilot, lambda: "VP Operations, Energy" in _page_text(page), timeout=LIVE,
                         what="the contact's new title")

        # Twenty deletes the deal in its own table (soft delete, no NOTIFY): the poll finds it, the page
        # says the deal is gone instead of showing its old values
        [(schema,)] = await (await conn.execute(
            "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchall()
        await conn.execute(f'UPDATE "{schema}".opportunity SET "deletedAt" = now() WHERE id = %s', (deal_id,))
        await wait_until(pilot, lambda: page.gone, timeout=LIVE + 1.0, what="the deletion seen by the poll")
        text = _page_text(page)
        assert "no longer exists" in text and "81,250" not in text and VOLTA not in text
        await pilot.press("e", "m")  # nothing left to edit or move: no error, nothing opens
        await pilot.pause()
        assert app.screen is page


async def test_company_page_shows_new_people_deals_and_its_deletion(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    [(company_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_companies WHERE name = 'Meridian Health'")
    async with app.run_test(size=(120, 48)) as pilot:
        await _ready(app, pilot, waiter)
        page = await _page(app, pilot, waiter, lambda: app.open_company(company_id), CompanyPage)
        assert "Sarah Chen" in screen_text(app)

        # a new person at the company (an import in another process), and a new deal for it
        await other.crm.insert_record("crm_contacts", {"first_name": "Zoë", "last_name": "Okafor-Lindqvist",
                                                       "email": "zoe.okafor@meridianhealth.example",
                                                       "company_id": company_id})
        await wait_until(pilot, lambda: "Zoë Okafor-Lindqvist" in _page_text(page), timeout=LIVE,
                         what="the new person")
        people = len(page.data.people)
        # the company's strategy, changed by Justin in a second cockpit
        await other.crm.update_strategic("crm_companies", company_id, strategy_note="Expand to the second hospital")
        await wait_until(pilot, lambda: "Expand to the second hospital" in _page_text(page), timeout=LIVE,
                         what="the new strategy note")
        assert len(page.data.people) == people

        # deleted elsewhere: the page says so
        async with other.db.tx("operational") as c:
            await c.execute("DELETE FROM crm_companies WHERE id = %s", (company_id,))
        await wait_until(pilot, lambda: page.gone, timeout=LIVE, what="the deletion")
        text = _page_text(page)
        assert "no longer exists" in text and "Sarah Chen" not in text and "Expand to the second" not in text


async def test_client_switch_empties_and_closes_record_pages_in_every_mode(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE name = %s", (VOLTA,))
    [(company_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_companies WHERE name = 'Meridian Health'")
    async with app.run_test(size=(120, 48)) as pilot:
        await _ready(app, pilot, waiter)
        deal_page = await _page(app, pilot, waiter, lambda: app.open_deal(deal_id), DealPage)
        # a company page left open over the contacts screen (another mode's stack)
        await app.switch_mode("contacts")
        await pilot.pause()
        company_page = await _page(app, pilot, waiter, lambda: app.open_company(company_id), CompanyPage)
        await app.switch_mode("pipeline")
        await wait_until(pilot, lambda: app.screen is deal_page, what="the deal page again")
        seen: list[str] = []
        original = app.store

        app.client_switcher.switch("northwind")
        # at once, before any of Northwind's rows: neither page holds BezelIQ's records
        seen.append(deal_page.query_one("#page-head").render().plain + company_page.query_one("#page-head").render().plain)
        assert app.store is not original
        assert VOLTA not in seen[0] and "Meridian" not in seen[0]
        assert deal_page.data is None and company_page.data is None and not company_page.links
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the deal page closed")
        await app.switch_mode("contacts")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ContactsScreen", what="the company page closed")
        await pilot.pause(0.3)
        assert "Meridian Health" not in screen_text(app) and "Sarah Chen" not in screen_text(app)
