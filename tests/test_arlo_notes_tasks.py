"""arlo's instruction path writes notes and tasks: a note on a company, a task asked about (which Sarah,
then when) and created only once answered, assigned to the cockpit's member, shown in Twenty's timeline,
and undone by ``cockpit undo``'s path."""

from __future__ import annotations

from datetime import date

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.questions import answer_and_run, undo
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from tests.conftest import FIXED_NOW
from tests.tui_support import scoped_rows


@pytest.fixture
async def arlo(store: Store, settings):  # type: ignore[no-untyped-def]
    a = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(), clock=lambda: FIXED_NOW))
    yield a
    await a.aclose()


async def _tell(arlo: Arlo, text: str):  # type: ignore[no-untyped-def]
    return await arlo.run_task((await arlo.tell(text, "bezeliq")).id)


async def test_two_sarahs_ask_first_then_the_task_is_written(arlo: Arlo, store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    asked = await _tell(arlo, "remind me to send the contract to Sarah on Friday")
    assert asked.status == "blocked" and "Sarah Chen" in asked.output["question"]
    assert await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_tasks") == []   # nothing written yet
    done = await answer_and_run(arlo, asked.id, "okafor")
    assert done.status == "complete", done.output
    [(task_id, title, due, contact_id, assignee)] = await scoped_rows(
        conn, "bezeliq", "SELECT id, title, due_at, contact_id, assignee_name FROM crm_tasks")
    sarah = next(c for c in (await store.crm.contacts_page("sarah okafor")).items if c.full_name == "Sarah Okafor")
    assert (title, due.date(), contact_id, assignee) == ("Send the contract to Sarah", date(2026, 11, 27), sarah.id,
                                                        "Justin Reed")
    assert "new task 'Send the contract to Sarah' due Fri 2026-11-27" in done.summary
    assert [a.kind for a in (await store.activity.activities_page(contact_id=sarah.id)).items].count("task") == 1
    await undo(store, done.id)
    assert await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_tasks WHERE id = %s", (task_id,)) == []


async def test_a_note_on_a_company_and_a_task_without_a_date(arlo: Arlo, store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    done = await _tell(arlo, "note on Acme: call went well, wants pricing")
    assert done.status == "complete", done.output
    [(title, body, created_by)] = await scoped_rows(conn, "bezeliq", "SELECT title, body, created_by FROM crm_notes")
    assert (title, body, created_by) == ("Call went well", "Call went well, wants pricing", "arlo")
    asked = await _tell(arlo, "remind me to send the deck to Volta Energy")
    assert asked.status == "blocked" and "due" in asked.output["question"]
    done = await answer_and_run(arlo, asked.id, "5")   # no due date
    [(due,)] = await scoped_rows(conn, "bezeliq", "SELECT due_at FROM crm_tasks")
    assert done.status == "complete" and due is None
