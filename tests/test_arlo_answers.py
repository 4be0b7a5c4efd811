"""Answering arlo's questions, undo, and appended notes: end to end on the demo data."""

from __future__ import annotations

from datetime import date

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.questions import answer, answer_and_run, open_questions, undo
from cockpit.arlo.runner import Arlo
from cockpit.errors import ValidationFailed
from cockpit.store import Store
from tests.conftest import FIXED_NOW


@pytest.fixture
async def arlo(store: Store, settings):
    a = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(), clock=lambda: FIXED_NOW))
    yield a
    await a.aclose()


async def _tell(arlo: Arlo, text: str):
    return await arlo.run_task((await arlo.tell(text, "bezeliq")).id)


async def _contact(store: Store, name: str):
    return next(c for c in (await store.crm.contacts_page(name)).items if c.full_name == name)


async def _deal(store: Store, name: str):
    return next(d for d in await store.crm.search_deals(name.split(" — ")[0], 20) if d.name == name)


async def test_a_question_lists_its_choices_and_the_answer_is_applied(arlo: Arlo, store: Store) -> None:
    asked = await _tell(arlo, "Mark Sarah as a priority")
    assert asked.status == "blocked"
    labels = [c["label"] for c in asked.output["choices"]]
    assert labels[0].startswith("Sarah Chen") and labels[1].startswith("Sarah Okafor") and labels[-1].startswith("none")
    assert "1. Sarah Chen" in asked.output["question"] and "Nothing was changed" in asked.output["question"]
    [q] = await open_questions(store)
    assert q.task_id == asked.id and q.text == "Mark Sarah as a priority" and len(q.choices) == 3
    done = await answer_and_run(arlo, asked.id, "okafor")   # words of a label work as well as its number
    assert done.id == asked.id and done.status == "complete", done.output
    assert (await _contact(store, "Sarah Okafor")).priority == "high"
    assert done.output["changes"] == [{"record": "Sarah Okafor (Brightline Logistics)", "id": done.output["changes"][0]["id"],
                                       "view": "crm_contacts", "field": "priority", "before": None, "after": "high"}]
    assert await open_questions(store) == []                # answered: no dead question left behind
    log = [m.message_type for m in await store.tasks.task_log(asked.id)]
    assert log.count("arlo.answered") == 1 and log[-1] == "task.complete"


async def test_two_questions_on_one_task_stage_first_then_the_deal(arlo: Arlo, store: Store) -> None:
    asked = await _tell(arlo, "Move Osborn Energy pilot to closed lost")
    assert "no lost stage" in asked.output["question"]
    stage_choice = next(c for c in asked.output["choices"] if c["label"] == "Qualify")
    again = await answer_and_run(arlo, asked.id, stage_choice["key"])
    assert again.id == asked.id and again.status == "blocked" and "Which deal" in again.output["question"]
    pilot = next(c for c in again.output["choices"] if "Proposal" in c["label"])
    done = await answer_and_run(arlo, asked.id, pilot["key"])
    assert done.status == "complete", done.output
    moved = [d for d in await store.crm.search_deals("Osborn", 20) if d.name == "Osborn Energy — Pilot"]
    assert sorted(d.stage_id for d in moved) == ["QUALIFY", "QUALIFY"]   # the Proposal one moved; the other was there


async def test_dropping_and_superseding_close_the_question(arlo: Arlo, store: Store, conn) -> None:
    first = await _tell(arlo, "Mark Sarah as a priority")
    dropped = await answer(store, first.id, "0")
    assert dropped.status == "cancelled"
    second = await _tell(arlo, "ping Alex next week")
    third = await _tell(arlo, "ping Alex next week")     # said again: the older question is superseded
    assert (await store.tasks.task(second.id)).status == "cancelled"
    cur = await conn.execute("SELECT replaced_by FROM redkey.tasks WHERE id = %s", (second.id,))
    assert (await cur.fetchone())[0] == third.id
    assert [q.task_id for q in await open_questions(store)] == [third.id]
    with pytest.raises(ValidationFailed, match="not one of the choices"):
        await answer(store, third.id, "Bob")
    with pytest.raises(ValidationFailed, match="not waiting on an answer"):
        await answer(store, first.id, "1")


async def test_a_recontact_without_a_date_asks_when_and_notes_need_a_yes(arlo: Arlo, store: Store) -> None:
    asked = await _tell(arlo, "recontact Sarah Okafor")
    assert "When should I recontact Sarah Okafor" in asked.output["question"]
    done = await answer_and_run(arlo, asked.id, "2")
    assert (await _contact(store, "Sarah Okafor")).recontact_at == date(2026, 12, 4)
    assert "recontact empty → Fri 2026-12-04" in done.summary
    note = await _tell(arlo, "Tyler Boyer — met at SaaStr, knows our CEO")
    assert "no instruction" in note.output["question"] and (await _contact(store, "Tyler Boyer")).relationship_note is None
    await answer_and_run(arlo, note.id, "1")
    assert (await _contact(store, "Tyler Boyer")).relationship_note == "2026-11-20: Met at SaaStr, knows our CEO"


async def test_undo_restores_every_field_and_only_once(arlo: Arlo, store: Store) -> None:
    done = await _tell(arlo, "Volta Energy — Pilot: move it to Negotiation, recontact next Tuesday")
    assert done.status == "complete", done.output
    assert done.summary == "Volta Energy — Pilot: stage Proposal → Negotiation, recontact empty → Tue 2026-11-24."
    deal = await _deal(store, "Volta Energy — Pilot")
    assert deal.stage_id == "NEGOTIATE" and deal.recontact_at == date(2026, 11, 24)
    said = await undo(store, done.id)
    assert said.startswith("Undone:") and "stage back to 'Proposal'" in said
    deal = await _deal(store, "Volta Energy — Pilot")
    assert deal.stage_id == "PROPOSAL" and deal.recontact_at is None
    moves = await store.activity.activities_page(deal_id=deal.id, kinds=["stage_change"])
    assert len(moves.items) == 2   # the move and its undo are both on the timeline
    with pytest.raises(ValidationFailed, match="already undone"):
        await undo(store, done.id)
    assert "arlo.undone" in [m.message_type for m in await store.tasks.task_log(done.id)]


async def test_undo_is_refused_when_the_field_changed_since(arlo: Arlo, store: Store) -> None:
    done = await _tell(arlo, "Mark Tyler Boyer as high priority")
    tyler = await _contact(store, "Tyler Boyer")
    await store.crm.update_strategic("crm_contacts", tyler.id, priority="low")   # Justin changed it in the cockpit
    with pytest.raises(ValidationFailed, match="was changed since"):
        await undo(store, done.id)
    assert (await _contact(store, "Tyler Boyer")).priority == "low"


async def test_notes_are_appended_and_dated_and_the_old_text_is_kept(arlo: Arlo, store: Store) -> None:
    await _tell(arlo, "Volta deal note: legal review starts Monday")
    second = await _tell(arlo, "Volta deal — stalled — waiting on procurement")
    deal = await _deal(store, "Volta Energy — Pilot")
    assert deal.strategy_note == ("2026-11-20: Legal review starts Monday\n"
                                  "2026-11-20: Stalled — waiting on procurement")
    [change] = await store.instructions.changes(second.id)
    assert change["before"] == "2026-11-20: Legal review starts Monday" and change["field"] == "strategy_note"


async def test_several_intents_are_one_transaction(arlo: Arlo, store: Store, conn) -> None:
    """A failure in the middle of an instruction's writes leaves none of them: here the second record
    disappears between reading and writing (as if deleted elsewhere)."""
    from cockpit.store.instructions import PlannedWrite
    deal = await _deal(store, "Volta Energy — Pilot")
    priya = await _contact(store, "Priya Raman")
    writes = [PlannedWrite("crm_deals", deal.id, "Volta", stage_id="NEGOTIATE"),
              PlannedWrite("crm_contacts", priya.id, "Priya", fields={"priority": "high"}),
              PlannedWrite("crm_contacts", deal.id, "gone", fields={"priority": "high"})]   # no such contact
    with pytest.raises(Exception, match="no longer exists"):
        await store.instructions.apply("0.0.1", writes, today=FIXED_NOW.date())
    assert (await _deal(store, "Volta Energy — Pilot")).stage_id == "PROPOSAL"
    assert (await _contact(store, "Priya Raman")).priority is None
    cur = await conn.execute("SELECT count(*) FROM redkey.strategic_changes")
    assert (await cur.fetchone())[0] == 0


async def test_operational_fields_are_refused_with_the_reason(arlo: Arlo, store: Store) -> None:
    done = await _tell(arlo, "Set open count for Sarah Chen to 5")
    assert done.status == "blocked"
    assert "Open count is measured by arlo from email events; it can't be set by hand" in done.output["question"]


async def test_a_cut_off_candidate_list_never_picks_on_part_of_a_name(arlo: Arlo, store: Store,
                                                                      monkeypatch) -> None:
    """With more matching records than the vocabulary holds, a namesake may be missing from it: a full name
    still resolves (two-word matches come first), a first name alone is asked about."""
    import cockpit.store.instructions as repo
    monkeypatch.setattr(repo, "VOCABULARY_LIMIT", 1)
    full = await _tell(arlo, "Mark Sarah Okafor as high priority")
    assert full.status == "complete", full.output
    part = await _tell(arlo, "ping Priya next week")
    assert part.status == "blocked" and "Too many records" in part.output["question"]
    assert (await _contact(store, "Priya Raman")).recontact_at is None


def test_refusals_name_the_registry_s_operational_fields() -> None:
    from cockpit.arlo.lexicon import OPERATIONAL_WORDS
    from cockpit.arlo.resolve import OPERATIONAL_FIELDS, OPERATIONAL_REASONS
    from cockpit.fields import FIELDS
    assert {f for _, f in OPERATIONAL_WORDS} <= set(OPERATIONAL_REASONS) <= OPERATIONAL_FIELDS
    assert all(f.owner == "operational" for f in FIELDS if f.name in OPERATIONAL_REASONS)


async def test_questions_with_nothing_to_choose_do_not_pile_up(arlo: Arlo, store: Store) -> None:
    lost = await _tell(arlo, "Move the Zorblax deal to Negotiation")
    assert [c["key"] for c in lost.output["choices"]] == ["0"]          # it can be dropped
    which = await _tell(arlo, "Mark Sarah as a priority")               # a real choice: stays open
    await _tell(arlo, "Move the Volta deal to Negotiation")             # Justin moved on
    assert (await store.tasks.task(lost.id)).status == "cancelled"
    assert [q.task_id for q in await open_questions(store)] == [which.id]


async def test_names_match_with_or_without_accents(arlo: Arlo, store: Store) -> None:
    meridian = next(c for c in (await store.crm.companies_page("meridian")).items if c.name == "Meridian Health")
    jose = await store.crm.insert_record("crm_contacts", {"first_name": "José", "last_name": "Núñez",
                                                      "email": "jose.nunez@meridianhealth.com",
                                                      "company_id": meridian.id})
    done = await _tell(arlo, "mark jose nunez high priority")
    assert done.status == "complete", done.output
    assert (await store.crm.contact(jose.id)).priority == "high"
