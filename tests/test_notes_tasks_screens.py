"""Notes and tasks in the cockpit, driven with Pilot: written on the deal, company and contact pages
(what lands in the database is checked), the tasks screen's filters, done and reschedule keys, keyset
pages, and a task Twenty writes appearing by itself."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import Input, OptionList, TextArea

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.company_page import CompanyPage
from screens.contact_notes import ContactNotesPage
from screens.contacts import ContactsScreen
from screens.crm_tasks import TasksScreen
from screens.deal_page import DealPage
from screens.note_forms import DuePrompt, ItemPage, NoteForm
from tests.screen_apps import open_mode
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until

VOLTA = "Volta Energy — Pilot"
TODAY = fixed_clock().date()
LIVE = 3.0


def _app(settings: Settings, store: Store, **overrides) -> CockpitApp:  # type: ignore[no-untyped-def]
    return CockpitApp(settings.model_copy(update=overrides), store=store, clock=fixed_clock)


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[Store]:
    s = await Store.open(settings, min_size=0, max_size=2)
    try:
        yield s.scoped("bezeliq", source="arlo")
    finally:
        await s.close()


async def _fill(pilot, app, title: str, body: str = "", due: str | None = None) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, NoteForm), what="the note form")
    form = app.screen
    form.query_one("#nf-title", Input).value = title
    form.query_one("#nf-body", TextArea).text = body
    if due is not None:
        form.query_one("#nf-due", Input).value = due
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(app.screen, NoteForm), what="the form saved")


async def test_deal_page_adds_a_note_and_a_task_and_marks_it_done(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    [(deal_id, company_id)] = await scoped_rows(conn, "bezeliq", "SELECT id, company_id FROM crm_deals WHERE name = %s",
                                                (VOLTA,))
    app = _app(settings, store)
    async with app.run_test(size=(120, 48)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connected", timeout=10)
        since = waiter.mark()
        app.open_deal(deal_id)
        await waiter.worker(pilot, "record-page", since=since)
        assert "Tasks: none open" in screen_text(app) and "Notes: none" in screen_text(app)
        await pilot.press("n")
        since = waiter.mark()
        await _fill(pilot, app, "Call went well", "wants pricing\n- 3 tiers")
        await waiter.worker(pilot, "record-page", since=since)
        assert "Call went well" in screen_text(app)
        [(title, body, links)] = await scoped_rows(
            conn, "bezeliq", "SELECT title, body, target_ids FROM crm_notes WHERE deal_id = %s", (deal_id,))
        assert (title, body) == ("Call went well", "wants pricing\n- 3 tiers") and set(links) == {deal_id, company_id}

        await pilot.press("T")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteForm), what="the task form")
        app.screen.query_one("#nf-due", Input).value = "someday maybe"
        await pilot.pause()
        assert "is not a date" in screen_text(app)  # the form says so; saving is refused
        since = waiter.mark()
        await _fill(pilot, app, "Send the contract", due="next friday")
        await waiter.worker(pilot, "record-page", since=since)
        [(task_id, due, status)] = await scoped_rows(
            conn, "bezeliq", "SELECT id, due_at, status FROM crm_tasks WHERE deal_id = %s", (deal_id,))
        assert status == "TODO" and due.weekday() == 4 and due.date() > TODAY
        page = app.screen
        assert isinstance(page, DealPage)
        ol = page.query_one("#page-links", OptionList)
        ol.highlighted = ol.get_option_index(f"task-{task_id}")
        since = waiter.mark()
        await pilot.press("d")
        await waiter.worker(pilot, "record-page", since=since)
        [(status,)] = await scoped_rows(conn, "bezeliq", "SELECT status FROM crm_tasks WHERE id = %s", (task_id,))
        assert status == "DONE"
        assert "Tasks: none open" in screen_text(app)

        # enter on the note opens it in full; e edits it
        ol = page.query_one("#page-links", OptionList)
        note_key = next(o.id for o in ol._options if (o.id or "").startswith("note-"))
        ol.highlighted = ol.get_option_index(note_key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ItemPage), what="the note page")
        assert "wants pricing" in screen_text(app)
        await pilot.press("e")
        await _fill(pilot, app, "Call went very well", "wants pricing by Friday")
        assert "wants pricing by Friday" in screen_text(app)
        [(body,)] = await scoped_rows(conn, "bezeliq", "SELECT body FROM crm_notes WHERE deal_id = %s", (deal_id,))
        assert body == "wants pricing by Friday"


async def test_company_and_contact_pages_write_notes(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    [(company_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_companies WHERE name = 'Volta Energy'")
    [(contact_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts WHERE full_name = 'Priya Raman'")
    app = _app(settings, store)
    async with app.run_test(size=(140, 48)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connected", timeout=10)
        since = waiter.mark()
        app.open_company(company_id)
        await waiter.worker(pilot, "record-page", since=since)
        assert isinstance(app.screen, CompanyPage)
        await pilot.press("T")
        since = waiter.mark()
        await _fill(pilot, app, "Renewal review", due="2026-11-20")
        await wait_until(pilot, lambda: "due today" in screen_text(app), what="the new task on the page")
        await pilot.press("escape")

        contacts = await open_mode(pilot, "contacts", ContactsScreen)
        since = waiter.mark()
        contacts.show_contact(contact_id)
        await waiter.worker(pilot, "contact-detail", since=since)
        await wait_until(pilot, lambda: contacts.dossier is not None and contacts.dossier.contact.id == contact_id,
                         what="Priya's dossier on screen")
        await pilot.press("n")
        since = waiter.mark()
        await _fill(pilot, app, "", "Prefers calls after 4pm")
        await wait_until(pilot, lambda: "Prefers calls after 4pm" in screen_text(app), what="the note in the dossier")
        [(title, body)] = await scoped_rows(conn, "bezeliq", "SELECT title, body FROM crm_notes WHERE contact_id = %s",
                                            (contact_id,))
        assert title is None and body == "Prefers calls after 4pm"
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactNotesPage) and bool(app.screen.links),
                         what="the contact's notes page")
        assert "Prefers calls after 4pm" in screen_text(app)


async def _seed_tasks(store: Store, conn) -> dict[str, uuid.UUID]:  # type: ignore[no-untyped-def]
    [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE name = %s", (VOLTA,))
    maya = next(m for m in await store.crm_tasks.members() if m.first_name == "Maya")
    t = store.crm_tasks
    return {
        "today": (await t.add(title="Call Priya", deal_id=deal_id, due=TODAY)).id,
        "late": (await t.add(title="Chase the NDA", deal_id=deal_id, due=TODAY - timedelta(days=2))).id,
        "maya": (await t.add(title="Maya's prep", deal_id=deal_id, due=TODAY + timedelta(days=1),
                             assignee_id=maya.id)).id,
        "later": (await t.add(title="Quarterly check-in", deal_id=deal_id, due=TODAY + timedelta(days=20))).id,
    }


def _shown(screen: TasksScreen) -> list[str]:
    return list(screen.tasks)


async def test_tasks_screen_filters_done_reschedule_and_live(settings, store, other, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    ids = {k: str(v) for k, v in (await _seed_tasks(store, conn)).items()}
    app = _app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_mode(pilot, "tasks", TasksScreen)
        await wait_until(pilot, lambda: len(screen.tasks) == 4, what="the open tasks")
        assert _shown(screen) == [ids["late"], ids["today"], ids["maya"], ids["later"]]
        text = screen_text(app)
        assert "overdue" in text and "due today" in text and "@Maya Okafor" in text
        for key, expected in (("y", [ids["today"]]), ("l", [ids["late"]]),
                              ("m", [ids["late"], ids["today"], ids["later"]]), ("o", None)):
            since = waiter.mark()
            await pilot.press(key)
            await waiter.worker(pilot, "tasks-page", since=since)
            assert _shown(screen) == (expected or [ids["late"], ids["today"], ids["maya"], ids["later"]]), key
        # d on the highlighted (overdue) task: done, gone from the open list
        since = waiter.mark()
        await pilot.press("d")
        await waiter.worker(pilot, "tasks-page", since=since)
        assert ids["late"] not in screen.tasks
        [(status,)] = await scoped_rows(conn, "bezeliq", "SELECT status FROM crm_tasks WHERE id = %s", (ids["late"],))
        assert status == "DONE"
        # r reschedules the highlighted one
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, DuePrompt), what="the reschedule prompt")
        prompt = app.screen
        prompt.query_one("#due-input", Input).value = "2026-12-01"
        await pilot.pause()
        assert "Tue 01 Dec 2026" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen), what="back on the list")
        [(due,)] = await scoped_rows(conn, "bezeliq", "SELECT due_at FROM crm_tasks WHERE id = %s", (ids["today"],))
        assert due == datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
        # b: the highlighted task's deal
        since = waiter.mark()
        await pilot.press("b")
        await waiter.worker(pilot, "tasks-page", since=since)
        assert VOLTA in screen_text(app) and len(screen.tasks) == 3

        # a task written elsewhere (arlo in another process) shows without a key press
        await wait_until(pilot, lambda: app.live.feed is not None and app.live.feed.ready.is_set(),
                         what="the change feed", timeout=10)
        [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE name = %s", (VOLTA,))
        new = await other.crm_tasks.add(title="Written by arlo", deal_id=deal_id, due=TODAY + timedelta(days=3))
        await wait_until(pilot, lambda: str(new.id) in screen.tasks, timeout=LIVE, what="arlo's task on screen")


async def test_tasks_screen_pages_by_keyset(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    [(contact_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_contacts WHERE full_name = 'Priya Raman'")
    for i in range(70):
        await store.crm_tasks.add(title=f"task {i:02d}", contact_id=contact_id, due=TODAY + timedelta(days=i))
    app = _app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_mode(pilot, "tasks", TasksScreen)
        await wait_until(pilot, lambda: len(screen.tasks) == 50, what="the first page")
        assert screen.next_after is not None and "50+" in screen_text(app)
        screen.query_one("#task-list", OptionList).highlighted = 45  # near the end: the next page loads
        await wait_until(pilot, lambda: len(screen.tasks) == 70, what="the second page")
        assert screen.next_after is None
