"""The contacts screen driven with keys: search, detail with client context, strategic edits (and a
refused date) — asserting both the screen and what the database holds."""

from __future__ import annotations

from datetime import date

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.contacts import ContactsScreen
from screens.strategic_editor import StrategicEditor
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


async def _contacts(settings: Settings, store: Store, pilot, app: CockpitApp, waiter) -> ContactsScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
    await pilot.press("g")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "GoScreen", what="go prompt")
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts screen")
    screen = app.screen
    assert isinstance(screen, ContactsScreen)
    await waiter.worker(pilot, "contact-list")
    return screen


async def _search(pilot, screen: ContactsScreen, text: str, waiter) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` in the search box; wait for the search of the whole text (under load a pause between
    keys runs the search for a prefix first) to show the rows the database gives for it."""
    await pilot.press("slash", *text)
    store = screen.app.store  # type: ignore[attr-defined]
    want = [str(c.id) for c in (await store.crm.contacts_page(text, limit=screen.page_size)).items]
    await wait_until(pilot, lambda: screen.query_text == text and list(screen.contacts) == want,
                     what=f"the rows of the search for “{text}”")


async def _open_sarah(pilot, screen: ContactsScreen, waiter) -> None:  # type: ignore[no-untyped-def]
    """Search "sarah chen", leave the search box and open the highlighted contact; wait for her dossier."""
    await _search(pilot, screen, "sarah chen", waiter)
    since = waiter.mark()
    await pilot.press("enter", "enter")
    await waiter.worker(pilot, "contact-detail", since=since)
    await wait_until(pilot, lambda: screen.dossier is not None and screen.dossier.contact.full_name == "Sarah Chen",
                     what="Sarah's dossier on screen")


async def test_search_as_you_type_runs_full_text_search(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        everyone = len(screen.contacts)
        await _search(pilot, screen, "sarah", waiter)
        names = sorted(c.full_name for c in screen.contacts.values())
        expected = await scoped_rows(conn, "bezeliq", "SELECT full_name FROM crm_search_contacts('sarah', 100)")
        assert names == sorted(r[0] for r in expected)
        assert {"Sarah Chen", "Sarah Okafor"} <= set(names) and len(names) < everyone
        assert "matching “sarah”" in screen_text(app)


async def test_list_pages_with_the_cursor(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    settings.page_size = 10
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        assert len(screen.contacts) == 10
        for _ in range(6):
            await pilot.press("j")
        await wait_until(pilot, lambda: len(screen.contacts) == 20, what="second page")
        first_20 = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts ORDER BY full_name, id LIMIT 20")
        assert list(screen.contacts) == [str(r[0]) for r in first_20]


async def test_detail_shows_context_fields_apart_and_history(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _open_sarah(pilot, screen, waiter)
        await pilot.pause()
        text = screen_text(app)
        for needle in ("Sarah Chen", "CFO", "Meridian Health", "Client context", "warm", "needs reply",
                       "Security questionnaire", "Operational · arlo", "Strategic · Justin",
                       "Strong champion", "Recent activity", "not in a sequence", "Context history",
                       "initial context from demo data"):
            assert needle in text, needle


async def test_editing_strategic_fields_saves_under_the_strategic_role(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _open_sarah(pilot, screen, waiter)
        sarah = screen.dossier.contact  # type: ignore[union-attr]
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategicEditor), what="editor")
        await pilot.press("tab", *"expand", "tab", "tab", *"2027-07-01")
        since = waiter.mark()
        await pilot.press("ctrl+s")
        await waiter.worker(pilot, "contact-detail", since=since)
        [(note, recontact, priority)] = await scoped_rows(
            conn, "bezeliq", "SELECT strategy_note, recontact_at, priority FROM crm_contacts WHERE id = %s", (sarah.id,))
        assert (note, recontact, priority) == ("expand", date(2027, 7, 1), "high")
        await pilot.pause()
        text = screen_text(app)
        assert "expand" in text and "2027-07-01" in text


async def test_a_date_that_is_not_a_date_is_refused_and_nothing_is_saved(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _open_sarah(pilot, screen, waiter)
        sarah = screen.dossier.contact  # type: ignore[union-attr]
        before = await scoped_rows(conn, "bezeliq", "SELECT strategy_note, relationship_note, recontact_at, updated_at "
                                   "FROM crm_contacts WHERE id = %s", (sarah.id,))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategicEditor), what="editor")
        await pilot.press("tab", *"spring", "tab", "tab", *"soonish", "enter")
        await pilot.pause()
        assert isinstance(app.screen, StrategicEditor)  # still open, with the reason
        assert "recontact date 'soonish' is not a date" in screen_text(app)
        await waiter.idle(pilot)
        after = await scoped_rows(conn, "bezeliq", "SELECT strategy_note, relationship_note, recontact_at, updated_at "
                                  "FROM crm_contacts WHERE id = %s", (sarah.id,))
        assert after == before
        await pilot.press("escape")
        assert isinstance(app.screen, ContactsScreen)


async def test_narrow_terminal_shows_list_then_detail(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        assert screen.has_class("-narrow")
        assert not screen.query_one("#contact-detail").display
        since = waiter.mark()
        await pilot.press("enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        assert screen.query_one("#contact-detail").display
        assert not screen.query_one("#contacts-list-pane").display
        await pilot.press("escape")
        assert screen.query_one("#contacts-list-pane").display


async def test_a_contact_opened_on_purpose_is_not_replaced_by_the_cursors_pending_detail(settings, store, conn,
                                                                                        waiter) -> None:  # type: ignore[no-untyped-def]
    """Side by side, the detail follows the cursor after a pause; opening a contact (a jump, enter) within
    that pause must keep it: a note typed next goes to the contact on screen."""
    [(priya,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts WHERE full_name = 'Priya Raman'")
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await pilot.press("j")  # the cursor moves: its contact's detail is due after the pause
        since = waiter.mark()
        screen.show_contact(priya)
        await waiter.worker(pilot, "contact-detail", since=since)
        await pilot.pause(0.4)  # past the cursor's pause
        await pilot.pause()
        assert screen.dossier is not None and screen.dossier.contact.id == priya
        assert "Priya Raman" in screen_text(app)


async def test_keys_do_not_act_on_the_previous_contact_while_the_opened_one_loads(settings, store, conn,
                                                                                 waiter) -> None:  # type: ignore[no-untyped-def]
    """After a jump the previous contact stays on screen until the opened one is read; n (a note), e and S
    in that moment must not act on the previous one."""
    [(priya,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts WHERE full_name = 'Priya Raman'")
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _open_sarah(pilot, screen, waiter)
        sarah = screen.dossier
        assert sarah is not None and sarah.contact.full_name == "Sarah Chen"
        screen.pinned = priya  # what show_contact sets at once, before Priya's dossier is read
        for key in ("n", "e", "S"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key  # no form opened for Sarah
        assert "still opening that contact" in " ".join(str(n.message) for n in app._notifications)


async def test_a_change_arriving_while_an_opened_contact_loads_does_not_lose_it(settings, store, conn,
                                                                              waiter) -> None:  # type: ignore[no-untyped-def]
    """Sarah on screen, Priya opened (a jump): a change arriving before Priya's detail is read reloads
    Priya's, not Sarah's (a reload of Sarah's replaced Priya's load, and Priya never showed)."""
    from cockpit.changes import Delivery

    [(priya,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts WHERE full_name = 'Priya Raman'")
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _open_sarah(pilot, screen, waiter)
        since = waiter.mark()
        screen.show_contact(priya)
        screen.apply_changes(Delivery({"task": set()}))  # e.g. a task filed elsewhere, at that moment
        await waiter.worker(pilot, "contact-detail", since=since)
        await wait_until(pilot, lambda: screen.dossier is not None and screen.dossier.contact.id == priya,
                         what="Priya's dossier on screen")
        assert "Priya Raman" in screen_text(app)
