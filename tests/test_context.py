"""The client context update policy against the database: facts appended, existing ones respected,
contradictions proposed (not overwritten), history snapshots; approving a contradiction applies it;
Client360 built from the views."""

from __future__ import annotations

from datetime import datetime, timezone

from cockpit.approvals.service import approve, review
from cockpit.context.policy import ContextUpdate, merge_context, topic_of
from cockpit.context.service import build_client360, update_context
from cockpit.contracts import Client360Snapshot
from cockpit.store import Store

SARAH = "sarah.chen@meridianhealth.com"


async def _sarah(store: Store):  # type: ignore[no-untyped-def]
    return next(c for c in (await store.crm.contacts_page("sarah chen")).items if c.email == SARAH)


def test_policy_is_pure_and_conservative() -> None:
    cur = {"key_facts": ["Budget approved for Q1; board review in February."], "relationship_status": "warm"}
    new, contra, notes = merge_context(cur, ContextUpdate(
        facts=["Vegetarian.", "Budget frozen until Q3.", "Budget approved for Q1; board review in February"],
        relationship_status="hot", roles=["champion"]), contact_id="x")
    assert cur == {"key_facts": ["Budget approved for Q1; board review in February."], "relationship_status": "warm"}
    assert new["key_facts"] == ["Budget approved for Q1; board review in February.", "Vegetarian."]
    assert {c["field"] for c in contra} == {"fact", "relationship_status"}
    assert new["relationship_status"] == "warm" and new["roles"] == ["champion"]
    assert topic_of("Timeline: go-live in March") == ("timeline", "Timeline: go-live in March")
    _, contra2, _ = merge_context({"key_facts": ["Uses Salesforce today."]},
                                  ContextUpdate(facts=["No longer uses Salesforce today."]), contact_id="x")
    assert contra2 and contra2[0]["current"] == "Uses Salesforce today."


async def test_update_appends_snapshots_and_proposes_contradictions(store: Store) -> None:
    sarah = await _sarah(store)
    before = (await store.context.client_context(sarah.id)).context
    hist0 = len(await store.context.context_history(sarah.id))
    out = await update_context(store, sarah.id, ContextUpdate(
        facts=["Vegetarian; prefers lunch meetings.", "Budget frozen until Q3 (board decision)."],
        open_threads=[{"channel": "email", "thread_id": "demo-thread-1", "needs_reply": False}],
        risks=[{"type": "budget", "note": "Budget may slip"}], evidence_refs=["activity:call-42"]))
    ctx = (await store.context.client_context(sarah.id)).context
    assert ctx["key_facts"] == before["key_facts"] + ["Vegetarian; prefers lunch meetings."]
    assert "Budget approved for Q1; board review in February." in ctx["key_facts"]  # respected, not overwritten
    assert ctx["open_threads"][0]["needs_reply"] is False and ctx["open_threads"][0]["topic"] == "Security questionnaire"
    assert len(ctx["risks"]) == 2
    hist = await store.context.context_history(sarah.id)
    assert len(hist) == hist0 + 1 and hist[0].changed_by == "arlo"
    assert len(out["proposed"]) == 1
    pending = (await store.approvals.pending_proposals(kind="context")).items
    assert len(pending) == 1
    view = await review(store, pending[0].proposal_id)
    assert view.diff[0].after == "Budget frozen until Q3 (board decision)."
    assert "evidence: activity:call-42" in view.evidence
    # nothing new: no snapshot, no proposal
    again = await update_context(store, sarah.id, ContextUpdate(facts=["Vegetarian; prefers lunch meetings."]))
    assert again["added"] == [] and len(await store.context.context_history(sarah.id)) == hist0 + 1
    # approving the contradiction replaces the fact and keeps the superseded one
    await approve(store, pending[0].proposal_id, reviewer="justin", note="confirmed by email")
    ctx = (await store.context.client_context(sarah.id)).context
    assert "Budget frozen until Q3 (board decision)." in ctx["key_facts"]
    assert "Budget approved for Q1; board review in February." not in ctx["key_facts"]
    assert ctx["superseded_facts"][0]["fact"].startswith("Budget approved")
    assert len(await store.context.context_history(sarah.id)) == hist0 + 2


async def test_context_for_a_contact_without_one(store: Store) -> None:
    other = (await store.crm.contacts_page()).items[0]
    out = await update_context(store, other.id, ContextUpdate(facts=["Met at the Lisbon conference."],
                                                              relationship_status="cold"))
    ctx = (await store.context.client_context(other.id)).context
    assert ctx["key_facts"] == ["Met at the Lisbon conference."] and ctx["relationship_status"] == "cold"
    assert out["proposed"] == []


async def test_client360_snapshot_for_sarah(store: Store) -> None:
    sarah = await _sarah(store)
    snap = await build_client360(store, sarah.id, now=datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert isinstance(snap, Client360Snapshot)
    assert snap.identity["email"] == SARAH and snap.identity["priority"] == "high"
    assert snap.account_links and snap.account_links[0]["relation"] == "works_at"
    assert snap.context["relationship_status"] == "warm"
    assert any(t.get("kind") == "reply" and t["topic"] == "Security questionnaire" for t in snap.tasks)
    assert any(r["type"] == "communications_gap" for r in snap.risk_flags)
    assert "platform" in snap.property_interests
    assert snap.provenance.method == "system" and "crm_contacts" in snap.derived_from


async def test_arlo_hook_after_activities(store: Store) -> None:
    from cockpit.context.activity import update_context_after

    sarah = await _sarah(store)
    got = await store.crm.log_activity(kind="email_received", channel="email", direction="inbound",
                                   subject="Re: pricing", contact_id=sarah.id, source="arlo", external_id="m-1",
                                   properties={"thread_id": "t-pricing", "facts": ["Timeline: go-live in March"]})
    assert got is not None
    out = await update_context_after(store, got)
    ctx = (await store.context.client_context(sarah.id)).context
    thread = next(t for t in ctx["open_threads"] if t["thread_id"] == "t-pricing")
    assert thread["needs_reply"] is True and "Timeline: go-live in March" in ctx["key_facts"]
    sent = await store.crm.log_activity(kind="email_sent", channel="email", direction="outbound", subject="Re: pricing",
                                    contact_id=sarah.id, source="arlo", external_id="m-2",
                                    properties={"thread_id": "t-pricing", "facts": ["Timeline: go-live in June"]})
    out = await update_context_after(store, sent)
    ctx = (await store.context.client_context(sarah.id)).context
    assert next(t for t in ctx["open_threads"] if t["thread_id"] == "t-pricing")["needs_reply"] is False
    assert "Timeline: go-live in June" not in ctx["key_facts"]  # contradicts March: proposed instead
    assert out and out["proposed"][0]["proposed"] == "Timeline: go-live in June"
    quiet = await store.crm.log_activity(kind="email_opened", channel="email", contact_id=sarah.id, source="resend",
                                     external_id="o-1")
    assert await update_context_after(store, quiet) is None


async def test_context_writeback_from_arlo_needs_approval(store: Store) -> None:
    from cockpit.approvals.service import propose_writeback
    from cockpit.contracts import OracleWritebackProposal, Provenance

    sarah = await _sarah(store)
    wb = OracleWritebackProposal(
        target_domain="client_context", target_entity_ref=str(sarah.id),
        proposed_change={"roles": ["board_sponsor"], "relationship_status": "hot"},
        reasoning_summary="She introduced us to the board", evidence_refs=["activity:77"], approval_required=True,
        source_system="arlo", created_by="arlo", confidence=0.6, provenance=Provenance(method="ai"))
    await propose_writeback(store, wb)
    before = (await store.context.client_context(sarah.id)).context
    assert before["relationship_status"] == "warm"  # nothing changes before approval
    await approve(store, wb.proposal_id, reviewer="justin", note="true")
    ctx = (await store.context.client_context(sarah.id)).context
    assert ctx["relationship_status"] == "hot" and ctx["roles"] == before["roles"] + ["board_sponsor"]
    assert (await store.context.context_history(sarah.id))[0].changed_by == "approvals"
