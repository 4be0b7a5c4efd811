"""The approval flow end to end through the service: pending list with evidence and diff, approve and
reject with notes, immutable decisions, role-correct application, merges keeping both histories."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest

from cockpit.approvals.service import approve, propose_merge, propose_writeback, reject, review
from cockpit.contracts import OracleWritebackProposal, Provenance
from cockpit.errors import ValidationFailed
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store

SARAH = "sarah.chen@meridianhealth.com"


async def _sarah(store: Store):  # type: ignore[no-untyped-def]
    page = await store.crm.contacts_page("sarah chen")
    return next(c for c in page.items if c.email == SARAH)


async def test_import_update_reviewed_then_approved_through_view(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    sarah = await _sarah(store)
    data = f"Name,Email,Title,Phone\nSarah Chen,{SARAH},Chief Financial Officer,+1 555 0100\n".encode()
    staged = await stage_import(store, data, "update.csv", uploaded_by="justin")
    report = await run_import(store, staged)
    assert report.queued == 1 and report.auto_committed == 0
    page = await store.approvals.pending_proposals(limit=10, kind="entity")
    assert [p.action for p in page.items] == ["update"] and await store.approvals.pending_count("entity") == 1
    view = await review(store, page.items[0].proposal_id)
    diff = {d.field: (d.before, d.after) for d in view.diff}
    assert diff["job_title"] == (sarah.job_title, "Chief Financial Officer")
    assert any("update.csv row 1" in e and "Title='Chief Financial Officer'" in e for e in view.evidence)
    assert any("already a contact" in e for e in view.evidence)
    ops = await approve(store, page.items[0].proposal_id, reviewer="justin", note="she was promoted")
    assert ops[0]["op"] == "update"
    after = await store.crm.contact(sarah.id)
    assert after.job_title == "Chief Financial Officer" and (after.phone or "").replace(" ", "").endswith("5550100")
    assert after.priority == sarah.priority  # strategic field untouched
    assert await store.approvals.pending_count("entity") == 0
    # the decision is immutable and the delta was recorded
    did = (await (await conn.execute("SELECT decision_id FROM redkey.approval_decisions")).fetchone())[0]
    for stmt in ("UPDATE redkey.approval_decisions SET decision = 'rejected' WHERE decision_id = %s",
                 "DELETE FROM redkey.approval_decisions WHERE decision_id = %s"):
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="immutable"):
            await conn.execute(stmt, (did,))
    kinds = await (await conn.execute("SELECT artifact_type FROM redkey.artifacts")).fetchall()
    assert kinds == [("ClientGraphDelta",)]
    with pytest.raises(ValidationFailed, match="already committed"):
        await approve(store, page.items[0].proposal_id, reviewer="justin")


async def test_reject_needs_note_and_changes_nothing(store: Store) -> None:
    staged = await stage_import(store, f"Email,Name\n{SARAH},Sarah Q. Chen\n".encode(), "r.csv", uploaded_by="j")
    await run_import(store, staged)
    pid = (await store.approvals.pending_proposals(kind="entity")).items[0].proposal_id
    with pytest.raises(ValidationFailed, match="needs a note"):
        await reject(store, pid, reviewer="justin", note="  ")
    await reject(store, pid, reviewer="justin", note="wrong person")
    assert (await _sarah(store)).last_name == "Chen"
    assert (await store.approvals.get_proposal(pid)).status == "rejected"


async def test_database_refuses_commit_without_approval(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    staged = await stage_import(store, f"Email,Name\n{SARAH},Sarah Q. Chen\n".encode(), "r.csv", uploaded_by="j")
    await run_import(store, staged)
    pid = (await store.approvals.pending_proposals(kind="entity")).items[0].proposal_id
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="without an approval"):
        await conn.execute("UPDATE redkey.proposals SET status = 'committed', committed_at = now(), "
                           "auto_rule = NULL WHERE proposal_id = %s", (pid,))
    with pytest.raises(psycopg.errors.CheckViolation, match="auto_rule_low_risk"):
        await conn.execute("UPDATE redkey.proposals SET status = 'committed', committed_at = now(), "
                           "auto_rule = 'sneaky' WHERE proposal_id = %s", (pid,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="is not a decision on proposal"):
        await conn.execute("UPDATE redkey.proposals SET status = 'committed', committed_at = now(), "
                           "decision_id = gen_random_uuid() WHERE proposal_id = %s", (pid,))
    # a rejected decision cannot commit it either
    await reject(store, pid, reviewer="justin", note="no")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        await conn.execute("UPDATE redkey.proposals SET status = 'committed' WHERE proposal_id = %s", (pid,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        await conn.execute("DELETE FROM redkey.proposals WHERE proposal_id = %s", (pid,))


async def test_merge_keeps_both_histories(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    sarah = await _sarah(store)
    dup = await store.crm.insert_record("crm_contacts", {"first_name": "Sarah", "last_name": "Chen",
                                                     "email": "schen@meridianhealth.com", "city": "Boston"})
    await store.crm.log_activity(kind="call", channel="phone", subject="call with the duplicate", contact_id=dup.id,
                             source="arlo", external_id="dup-call-1")
    before = len((await store.activity.activities_page(contact_id=sarah.id, limit=500)).items)
    p = await propose_merge(store, sarah.id, dup.id, created_by="arlo", reasons=["same person, two emails"])
    view = await review(store, p.proposal_id)
    assert any(d.field == "activities moved to survivor" and d.after == 1 for d in view.diff)
    await approve(store, p.proposal_id, reviewer="justin", note="same person")
    acts = (await store.activity.activities_page(contact_id=sarah.id, limit=500)).items
    assert len(acts) == before + 1 and any(a.subject == "call with the duplicate" for a in acts)
    page = await store.crm.contacts_page("schen")
    assert all(c.id != dup.id for c in page.items)  # soft-deleted: gone from the view
    assert await store.approvals.merged_into(sarah.id) == [dup.id]
    assert (await store.crm.contact(sarah.id)).city  # filled from the duplicate if Sarah had none
    with pytest.raises(ValidationFailed):
        await propose_merge(store, sarah.id, sarah.id, created_by="arlo")


async def test_writeback_applies_strategic_fields_as_strategic(store: Store) -> None:
    sarah = await _sarah(store)
    wb = OracleWritebackProposal(
        target_domain="crm_contacts", target_entity_ref=str(sarah.id),
        proposed_change={"strategy_note": "Lead with the ROI model", "job_title": "CFO & COO"},
        reasoning_summary="She said so on the last call", evidence_refs=["activity:123"], approval_required=True,
        source_system="arlo", created_by="arlo", confidence=0.7, provenance=Provenance(method="ai"))
    await propose_writeback(store, wb)
    view = await review(store, wb.proposal_id)
    assert {d.field for d in view.diff} == {"strategy_note", "job_title"}
    ops = await approve(store, wb.proposal_id, reviewer="justin")
    assert ops[0]["before"]["job_title"] == sarah.job_title
    after = await store.crm.contact(sarah.id)
    assert after.strategy_note == "Lead with the ROI model" and after.job_title == "CFO & COO"
    with pytest.raises(ValidationFailed, match="strategic"):
        await propose_writeback(store, {**wb.model_dump(exclude={"artifact_id", "proposal_id"}),
                                        "approval_required": False})


async def test_pending_pages_are_keyset_paginated(store: Store) -> None:
    rows = "".join(f"Lead {i},\n" for i in range(7))  # no email -> all queued for review
    staged = await stage_import(store, f"Name,Email\n{rows}".encode(), "noemail.csv", uploaded_by="j")
    report = await run_import(store, staged)
    assert report.queued == 7
    first = await store.approvals.pending_proposals(limit=5, kind="entity")
    assert len(first.items) == 5 and first.next_after
    second = await store.approvals.pending_proposals(limit=5, after=first.next_after, kind="entity")
    assert len(second.items) == 2 and second.next_after is None
    assert not {p.proposal_id for p in first.items} & {p.proposal_id for p in second.items}
    ops = await approve(store, second.items[0].proposal_id, reviewer="justin", note="real lead")
    assert ops[0]["op"] == "create"
    assert (await store.crm.contact(UUID(ops[0]["entity_ref"]))).first_name == "Lead"


async def test_demo_has_arlos_writebacks_waiting(store: Store) -> None:
    page = await store.approvals.pending_proposals(kind="writeback")
    assert [p.created_by for p in page.items] == ["arlo", "arlo"]
    strategic = next(p for p in page.items if "recontact_at" in p.payload)
    view = await review(store, strategic.proposal_id)
    assert {d.field for d in view.diff} == {"recontact_at", "strategy_note"}
    assert any("budget freeze" in e for e in view.evidence)
    await approve(store, strategic.proposal_id, reviewer="justin", note="yes")
    dan = await store.crm.contact(strategic.target_id)
    assert str(dan.recontact_at) == "2027-07-01" and dan.strategy_note.startswith("Budget freeze")


async def test_duplicate_finder_proposes_merges_once(store: Store) -> None:
    from cockpit.approvals.service import propose_duplicate_merges

    sarah = await _sarah(store)
    assert await propose_duplicate_merges(store) == []
    dup = await store.crm.insert_record("crm_contacts", {"first_name": "Sarah", "last_name": "Chen",
                                                     "email": "s.chen@meridianhealth.com",
                                                     "company_id": sarah.company_id})
    proposed = await propose_duplicate_merges(store)
    assert [(p.canonical_payload["winner_id"], p.canonical_payload["loser_id"]) for p in proposed] == [
        (str(sarah.id), str(dup.id))]
    assert await propose_duplicate_merges(store) == []  # already waiting: not proposed twice
    await approve(store, proposed[0].proposal_id, reviewer="justin", note="same person")
    assert await store.approvals.merged_into(sarah.id) == [dup.id]
    assert await propose_duplicate_merges(store) == []  # the duplicate is gone from the view


async def test_another_clients_proposals_are_out_of_reach(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    from cockpit.errors import NotFound

    pid = (await store.approvals.pending_proposals(kind="writeback")).items[0].proposal_id
    northwind = store.scoped("northwind")
    assert await northwind.approvals.pending_count() == 0
    with pytest.raises(NotFound):
        await approve(northwind, pid, reviewer="justin")
    # and the database refuses a decision recorded under the wrong client
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="another client"):
        await conn.execute(
            "INSERT INTO redkey.approval_decisions (decision_id, client_id, proposal_ref, reviewer_ref, decision, "
            "decided_at, schema_version, artifact) VALUES (gen_random_uuid(), 'northwind', %s, 'x', 'approved', "
            "now(), '1.0.0', '{\"artifact_type\": \"ApprovalDecision\"}')", (pid,))
