"""Custom fields on screen, on the Twenty-shaped workspace with custom columns (tests/custom_workspace.py):
the contact detail, the company page and the deal page show them under their labels; the companies
screen finds a company by a custom text field."""

from __future__ import annotations

from pathlib import Path

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.companies import CompaniesScreen
from screens.company_page import CompanyPage
from screens.contacts import ContactsScreen
from screens.deal_page import DealPage
from tests import custom_workspace as cw
from tests.tui_support import fixed_clock, screen_text, wait_until


async def _lumen(url: str, tmp_path: Path) -> tuple[Settings, Store, dict]:  # type: ignore[type-arg]
    settings = Settings(database_url=url, client_id=cw.CLIENT, data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    store = await Store.open(settings, min_size=0, max_size=4)
    await cw.create(store, url)
    ids = await cw.seed_rows(url)
    return settings, store.scoped(cw.CLIENT), ids


async def test_record_pages_show_custom_fields_under_their_labels(empty_db_url, tmp_path, waiter) -> None:  # type: ignore[no-untyped-def]
    settings, store, ids = await _lumen(empty_db_url, tmp_path)
    try:
        app = CockpitApp(settings, store=store, clock=fixed_clock)
        async with app.run_test(size=(160, 60)) as pilot:
            await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
            app.open_company(ids["company"])
            await wait_until(pilot, lambda: isinstance(app.screen, CompanyPage) and app.screen.data is not None,
                             what="company page")
            await pilot.pause()
            text = screen_text(app)
            for needle in ("Custom fields (Twenty, read-only)", "Niveau partenaire", "GOLD", "Churn risk – %",
                           "12.5", "Founded", "2011-03-04", "Sales notes", "renewal owner: Brontë",
                           "Budget (amount micros)", "250,000,000,000"):
                assert needle in text, needle
            await pilot.press("escape")
            app.open_deal(ids["deal"])
            await wait_until(pilot, lambda: isinstance(app.screen, DealPage) and app.screen.data is not None,
                             what="deal page")
            await pilot.pause()
            text = screen_text(app)
            assert "Loss reason" in text and "TIMING" in text and "Signed probability" in text
            await pilot.press("escape")
            since = waiter.mark()
            app.open_contact(ids["person"])
            await waiter.worker(pilot, "contact-detail", since=since)
            await pilot.pause()
            assert isinstance(app.screen, ContactsScreen)
            text = screen_text(app)
            for needle in ("Custom fields · Twenty", "Régime alimentaire", "vegetarisk", "Last met",
                           "2026-11-02 09:30 UTC", "NPS"):
                assert needle in text, needle
    finally:
        await store.close()


async def test_companies_screen_finds_a_company_by_a_custom_text_field(empty_db_url, tmp_path, waiter) -> None:  # type: ignore[no-untyped-def]
    settings, store, ids = await _lumen(empty_db_url, tmp_path)
    try:
        app = CockpitApp(settings, store=store, clock=fixed_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
            app.go("companies")
            await wait_until(pilot, lambda: isinstance(app.screen, CompaniesScreen), what="companies screen")
            screen = app.screen
            await waiter.worker(pilot, "company-list")
            assert len(screen.companies) == 2  # type: ignore[attr-defined]
            since = waiter.mark()
            await pilot.press("slash", *"bronte")  # no match: accents are kept, as in Twenty's own search
            await waiter.worker(pilot, "company-list", since=since)
            assert screen.companies == {}  # type: ignore[attr-defined]
            since = waiter.mark()
            await pilot.press(*["backspace"] * 6, *"renewal")
            await waiter.worker(pilot, "company-list", since=since)
            assert list(screen.companies) == [str(ids["company"])]  # type: ignore[attr-defined]
    finally:
        await store.close()
