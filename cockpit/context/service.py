"""Client context updates (arlo calls :func:`update_context` after activities) and the Client360
snapshot the contact screen shows (:func:`build_client360`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from cockpit.context.policy import ContextUpdate, merge_context
from cockpit.contracts import Client360Snapshot, OracleWritebackProposal, Provenance, validate
from cockpit.errors import ValidationFailed

STALE_AFTER = timedelta(days=30)


def _proposal(contact_id: str, c: dict[str, Any], changed_by: str) -> dict[str, Any]:
    field = c["field"]
    change = ({"fact": c["proposed"]} if field == "fact" else
              {"system_links": {field.split(".", 1)[1]: c["proposed"]}} if field.startswith("system_links.") else
              {field: c["proposed"]})
    what = f"'{c['current']}' → '{c['proposed']}'"
    p = validate(OracleWritebackProposal, {
        "target_domain": "client_context", "target_entity_ref": contact_id, "proposed_change": change,
        "reasoning_summary": f"contradicts the context ({c.get('topic') or field}): {what}",
        "evidence_refs": c.get("evidence_refs") or [f"client_context:{contact_id}"], "approval_required": True,
        "current_values": {field: c["current"]}, "source_system": "arlo", "created_by": changed_by,
        "confidence": 0.6, "provenance": Provenance(method="ai", source_ref=f"client_context:{contact_id}",
                                                   evidence_refs=c.get("evidence_refs") or [])})
    return {"proposal_id": p.proposal_id, "artifact_type": p.ARTIFACT_TYPE, "schema_version": p.schema_version,
            "payload": {k: v for k, v in c.items() if k != "evidence_refs"}, "confidence": p.confidence,
            "summary": f"context of contact: {c.get('topic') or field} {what}"[:300], "created_by": changed_by,
            "created_at": p.created_at, "artifact": p.to_json()}


async def update_context(store: Any, contact_id: UUID | str, update: ContextUpdate, *,
                         changed_by: str = "arlo") -> dict[str, Any]:
    """Append what was learned, keep what is known, propose what contradicts it; snapshot to history.
    Returns ``{"context", "added", "proposed"}``."""
    cid = UUID(str(contact_id))
    await store.crm.contact(cid)  # NotFound outside this client's scope
    outcome: dict[str, Any] = {}

    def merge(current: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
        try:
            new, contradictions, notes = merge_context(current, update, contact_id=str(cid))
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        outcome["added"], outcome["proposed"] = notes, contradictions
        return new, contradictions, notes

    outcome["context"] = await store.context.update_context(
        cid, merge, changed_by=changed_by,
        proposal_rows=lambda cs: [_proposal(str(cid), c, changed_by) for c in cs])
    return outcome


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, UUID) else v) for k, v in row.items()}


async def build_client360(store: Any, contact_id: UUID | str, *, now: datetime | None = None) -> Client360Snapshot:
    """The derived read model of one contact: identity, account, open deals, recent interactions,
    interests, tasks, QD signals and risk flags. Built on demand; never read back as truth."""
    now = now or datetime.now(timezone.utc)
    parts = await store.context.client360_parts(UUID(str(contact_id)))
    c, ctx = parts["contact"], parts["context"]
    identity = {k: getattr(c, k) for k in ("full_name", "email", "phone", "job_title", "city", "linkedin_url",
                                           "priority", "relationship_note", "strategy_note", "recontact_at")}
    identity["id"] = str(c.id)
    accounts = [{**_plain(x), "relation": "works_at"} for x in parts["company"]]
    accounts += [{"id": str(m), "relation": "merged_duplicate"} for m in parts["merged"]]
    interests = [o.get("type") for o in ctx.get("opportunities") or [] if o.get("type")]
    interests += [f for f in ctx.get("key_facts") or [] if "interest" in f.lower()]
    tasks = [_plain(t) for t in parts["tasks"]]
    tasks += [{"kind": "reply", "topic": t.get("topic"), "channel": t.get("channel"),
               "suggested_tone": t.get("suggested_tone")} for t in ctx.get("open_threads") or [] if t.get("needs_reply")]
    tasks += [{"kind": "next_action", "topic": o.get("next_action")} for o in ctx.get("opportunities") or []
              if o.get("next_action")]
    risks = [{"source": "context", **r} for r in ctx.get("risks") or []]
    last = c.last_activity_at or max((a["occurred_at"] for a in parts["activities"]), default=None)
    if last is None or now - last > STALE_AFTER:
        risks.append({"source": "activity", "type": "no_recent_activity",
                      "note": "no activity yet" if last is None else f"no activity since {last:%Y-%m-%d}"})
    if ctx.get("relationship_status") in ("conflict", "dormant"):
        risks.append({"source": "context", "type": f"relationship_{ctx['relationship_status']}"})
    if parts["pending"]:
        risks.append({"source": "approvals", "type": "pending_proposals",
                      "note": f"{parts['pending']} change(s) waiting for approval"})
    qd = {s["score_type"]: {"value": s["value"], "window": s["time_window"], "evidence": s["supporting_evidence_refs"]}
          for s in parts["signals"]}
    return validate(Client360Snapshot, {
        "client_ref": str(c.id), "identity": identity, "account_links": accounts,
        "active_opportunities": [_plain(d) for d in parts["deals"]],
        "recent_interactions": [_plain(a) for a in parts["activities"]], "property_interests": interests,
        "tasks": tasks, "qd_overview": qd, "risk_flags": risks, "context": ctx, "pending_proposals": parts["pending"],
        "derived_from": ["crm_contacts", "crm_companies", "crm_deals", "crm_pipeline", "crm_activities",
                         "crm_client_context", "redkey.tasks", "redkey.artifacts", "redkey.proposals"],
        "as_of": now, "source_system": "cockpit", "created_by": "cockpit", "confidence": 1.0,
        "provenance": Provenance(method="system", source_ref=f"contact:{c.id}")})
