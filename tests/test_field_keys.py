"""No key is typed into the wrong place. The rule (README, help): a text field of a screen that the user
opened with its key (``/``, ``n``) or has typed into takes every key, ``g`` and ``q`` included, until Esc
or Enter; a field that merely has the focus hands ``g``, ``q``, ``:`` and ``?`` to the screen while it is
empty; the key that opens a field is never typed into it; a dialog closes back to the screen's list,
never into a field; Enter and the other keys a record page's hint names do what it says."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.company_page import CompanyPage
from screens.contacts import ContactsScreen
from screens.deal_moves import StagePicker
from screens.deal_page import DealPage
from screens.pipeline import PipelineScreen
from screens.record_editor import RecordEditor
from screens.record_page import ActivityPage
from tests.tui_support import fixed_clock, scoped_rows, wait_until

# (go key, the key that opens the field, the field's id, what the screen is)
FIELDS = [("c", "slash", "#contact-search", "ContactsScreen"),
          ("p", "slash", "#pipeline-filter", "PipelineScreen"),
          ("a", "slash", "#feed-filter", "ActivityScreen"),
          ("s", "slash", "#schema-search", "SchemaScreen"),
          ("o", "slash", "#company-search", "CompaniesScreen"),
          ("v", "n", "#decision-note", "ApprovalsScreen")]


def _app(settings: Settings, store: Store) -> CockpitApp:
    return CockpitApp(settings, store=store, clock=fixed_clock)


async def _go(pilot: Any, key: str, name: str) -> Any:
    app = pilot.app
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
    await pilot.press("g", key)
    await wait_until(pilot, lambda: type(app.screen).__name__ == name, what=name)
    await pilot.pause(0.3)
    return app.screen


@pytest.mark.parametrize("go, opener, field_id, name", FIELDS, ids=[f[3] for f in FIELDS])
async def test_an_opened_field_takes_every_key_and_esc_gives_them_back(settings, store, waiter, go, opener, field_id, name) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, go, name)
        if name == "ApprovalsScreen":
            screen.query_one("#proposals").focus()
            await wait_until(pilot, lambda: screen.selected is not None, what="a proposal")
        box = screen.query_one(field_id, Input)
        box.value = ""
        # the opener, then a search that starts with g and holds q, ?, : (typed in one burst)
        await pilot.press(opener, *"gq?: ga")
        await wait_until(pilot, lambda: app.focused is box, what="the field focused")
        await pilot.pause(0.3)
        assert box.value == "gq?: ga", name  # the opener is not in it; g, q, ?, : are text
        assert app.screen is screen and app.is_running
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(app.focused, Input), name  # Esc gives the keys back
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="help after Esc")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="help closed")
        assert not isinstance(app.focused, Input), name  # closing help returns to the screen, not the field


@pytest.mark.parametrize("go, field_id, name", [("c", "#contact-search", "ContactsScreen"),
                                                 ("v", "#decision-note", "ApprovalsScreen"),
                                                 ("i", "#import-path", "ImportScreen")])
async def test_an_empty_field_that_only_has_the_focus_hands_navigation_back(settings, store, waiter, go, field_id, name) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, go, name)
        box = screen.query_one(field_id, Input)
        box.value = ""
        box.focus()  # the focus came back to it (a click, a screen that put it there), nothing typed yet
        await pilot.pause()
        await pilot.press(":")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="palette closed")
        assert not isinstance(app.focused, Input) and box.value == ""
        box.focus()
        await pilot.pause()
        await pilot.press("g", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="g p from the empty field")
        assert box.value == ""
        await pilot.press("g", go)
        await wait_until(pilot, lambda: app.screen is screen, what="back")
        box.focus()
        await pilot.pause()
        await pilot.press(*"xg q")  # the first character starts typing: g and q are text from then on
        await pilot.pause()
        assert box.value == "xg q" and app.screen is screen and app.is_running


async def test_a_dialog_closes_back_to_the_list_not_into_the_field(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _go(pilot, "c", "ContactsScreen")
        await pilot.press("slash", *"sar")
        box = screen.query_one("#contact-search", Input)
        await wait_until(pilot, lambda: box.value == "sar", what="typed")
        app.action_tell_arlo()  # a dialog opened while typing (a worker's, a ctrl key's)
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TellArlo", what="tell box")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="tell closed")
        await pilot.pause()
        assert not isinstance(app.focused, Input) and box.value == "sar"
        await pilot.press("g", "p")  # the keys are the screen's again
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="g p after the dialog")


async def test_enter_in_each_field_does_what_its_hint_says(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _go(pilot, "p", "PipelineScreen")
        await waiter.worker(pilot, "board")
        box = board.query_one("#pipeline-filter", Input)
        since = waiter.mark()
        await pilot.press("slash", *"volta", "enter")  # "enter keeps, esc clears"
        await waiter.worker(pilot, "board", since=since)
        await pilot.pause(0.3)
        assert board.filter_text == "volta" and box.value == "volta" and not isinstance(app.focused, Input)
        assert sum(c.count for c in board.columns.values()) >= 1
        await pilot.press("slash", "escape")
        await pilot.pause(0.5)
        assert board.filter_text == "" and box.value == ""
        contacts = await _go(pilot, "c", "ContactsScreen")
        since = waiter.mark()
        await pilot.press("slash", *"priya", "enter")
        await waiter.worker(pilot, "contact-list", since=since)
        assert contacts.query_text == "priya" and not isinstance(app.focused, Input)
        assert all("priya" in c.display_name.lower() for c in contacts.contacts.values())


async def test_every_key_a_record_page_names_does_what_it_says(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    """The deal page's hint: e edit · m move · c contact · o company · enter opens · u undo · esc close."""
    app = _app(settings, store)
    [(deal_id, contact_id)] = await scoped_rows(conn, "bezeliq", "SELECT id, contact_id FROM crm_deals WHERE name = %s",
                                                ("Volta Energy — Pilot",))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _go(pilot, "p", "PipelineScreen")
        await waiter.worker(pilot, "board")

        async def deal_page() -> DealPage:
            since = waiter.mark()
            app.open_deal(deal_id)
            await waiter.worker(pilot, "record-page", since=since)
            assert isinstance(app.screen, DealPage)
            return app.screen

        page = await deal_page()
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(page.query_one("#page-help").content)
        hint = console.export_text()
        for key in ("e edit", "m move", "c contact", "o company", "enter opens", "u undo", "esc close"):
            assert key in hint, key
        for key, kind in (("e", RecordEditor), ("m", StagePicker)):
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, kind), what=kind.__name__)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is page, what="back on the deal page")
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, CompanyPage), what="the company page")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is page, what="back on the deal page")
        # enter opens the highlighted line: the contact line first, then a timeline line
        links = page.query_one("#page-links")
        assert links.highlighted_option.id == "contact"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen) and app.screen.dossier is not None
                         and app.screen.dossier.contact.id == contact_id, what="the deal's contact")
        await pilot.press("g", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        page = await deal_page()
        links = page.query_one("#page-links")
        links.highlighted = next(i for i in range(links.option_count)
                                 if (links.get_option_at_index(i).id or "").startswith("act-"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ActivityPage), what="the activity")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is page, what="back on the deal page")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="c opens the contact")
        await pilot.press("g", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        page = await deal_page()
        await pilot.press("u")
        await pilot.pause(0.3)
        assert any("nothing to undo" in n.message for n in app._notifications)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="esc closes")
