"""The approval service: what is pending, with its evidence and a diff, and the human's decision.

Proposals come from imports (NormalizedEntityProposal: create/update), duplicate merges
(NormalizedEntityProposal: merge), arlo/Oracle (OracleWritebackProposal) and the client context
updater (a contradicted fact). Approving records an immutable ApprovalDecision and applies the change
through the stable views in the same transaction; rejecting records the decision and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from cockpit.approvals.models import ProposalRow
from cockpit.context.policy import apply_approved
from cockpit.contracts import (
    ApprovalDecision,
    ClientGraphDelta,
    NormalizedEntityProposal,
    OracleWritebackProposal,
    Provenance,
    validate,
)
from cockpit.errors import NotFound, ValidationFailed
from cockpit.store import apply as ap
from cockpit.store.approvals import RoleConn
from cockpit.store.context import apply_context_change

VIEW_OF = {"contact": "crm_contacts", "company": "crm_companies", "deal": "crm_deals"}


@dataclass
class DiffLine:
    field: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.field}: {self.before if self.before not in (None, '') else '∅'} → {self.after}"


@dataclass
class ProposalView:
    """A proposal as a reviewer sees it: what, why (evidence) and what would change (diff)."""

    row: ProposalRow
    evidence: list[str] = field(default_factory=list)
    diff: list[DiffLine] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def propose_merge(store: Any, winner_id: UUID | str, loser_id: UUID | str, *, created_by: str,
                        reasons: list[str] | None = None, confidence: float = 0.9) -> NormalizedEntityProposal:
    """Queue the merge of two duplicate contacts (always reviewed: merging is destructive)."""
    if str(winner_id) == str(loser_id):
        raise ValidationFailed("a contact cannot be merged into itself")
    winner, loser = await store.crm.contact(UUID(str(winner_id))), await store.crm.contact(UUID(str(loser_id)))
    p = validate(NormalizedEntityProposal, {
        "batch_id": None, "entity_type": "contact", "action": "merge", "target_id": str(winner.id),
        "canonical_payload": {"winner_id": str(winner.id), "loser_id": str(loser.id)},
        "merge_candidate_refs": [str(loser.id)], "review_required": True, "confidence": confidence,
        "source_system": "cockpit", "created_by": created_by,
        "provenance": Provenance(method="rule" if created_by == "arlo" else "human",
                                 evidence_refs=[f"contact:{winner.id}", f"contact:{loser.id}"]),
        "reasons": reasons or [f"{loser.display_name} looks like a duplicate of {winner.display_name}"]})
    await store.approvals.insert_proposal(
        proposal_id=p.proposal_id, kind="merge", artifact=p.to_json(), entity_type="contact", action="merge",
        target_id=p.target_id, payload=p.canonical_payload, merge_candidate_refs=p.merge_candidate_refs,
        review_required=True, confidence=p.confidence, created_by=created_by,
        summary=f"merge contact {loser.display_name} into {winner.display_name}")
    return p


async def propose_duplicate_merges(store: Any, *, created_by: str = "arlo", limit: int = 50) -> list[NormalizedEntityProposal]:
    """Queue a merge for each pair of contacts with the same name at the same company (never merged
    automatically: a human confirms each)."""
    out = []
    for pair in await store.approvals.duplicate_contact_pairs(limit):
        out.append(await propose_merge(store, pair["winner_id"], pair["loser_id"], created_by=created_by,
                                       confidence=0.7,
                                       reasons=["same name at the same company; different records"]))
    return out


async def propose_writeback(store: Any, proposal: OracleWritebackProposal | dict[str, Any]) -> OracleWritebackProposal:
    """Queue an AI-suggested change (arlo / Oracle). The current values are captured for the diff."""
    p = proposal if isinstance(proposal, OracleWritebackProposal) else validate(OracleWritebackProposal, proposal)
    entity = {"crm_contacts": "contact", "crm_companies": "company", "crm_deals": "deal",
              "client_context": "client_context"}[p.target_domain]
    try:
        target = UUID(p.target_entity_ref)
    except ValueError:
        raise ValidationFailed(f"target_entity_ref {p.target_entity_ref!r} is not a record id") from None
    if p.target_domain != "client_context":
        record = await store.crm.get(p.target_domain, target)  # NotFound if it is not this client's
        p = p.model_copy(update={"current_values": {k: getattr(record, k, None) for k in p.proposed_change}})
    await store.approvals.insert_proposal(
        proposal_id=p.proposal_id, kind="writeback", artifact=p.to_json(), entity_type=entity, action="writeback",
        target_id=str(target), payload=p.proposed_change, merge_candidate_refs=[], review_required=True,
        confidence=p.confidence, created_by=p.created_by,
        summary=f"{p.created_by}: {', '.join(p.proposed_change)} on {entity} — {p.reasoning_summary[:80]}")
    return p


async def review(store: Any, proposal_id: UUID | str) -> ProposalView:
    """Evidence and diff for one proposal, read fresh (the record may have changed since it was proposed)."""
    row = await store.approvals.get_proposal(proposal_id)
    view = ProposalView(row)
    art = row.artifact
    view.evidence.extend(art.get("reasons") or [])
    if art.get("reasoning_summary"):
        view.evidence.append(f"reasoning: {art['reasoning_summary']}")
    refs = (art.get("evidence_refs") or []) + (art.get("provenance") or {}).get("evidence_refs", [])
    view.evidence.extend(f"evidence: {r}" for r in dict.fromkeys(refs))
    view.evidence.append(f"proposed by {row.created_by} ({art.get('source_system')}), confidence {row.confidence:.2f}")
    if row.batch_id and row.row_number:
        ev = await store.approvals.import_row_evidence(row.batch_id, row.row_number)
        if ev:
            cols = ev["columns"] or []
            pairs = ", ".join(f"{c}={v!r}" for c, v in zip(cols, ev["raw_values"], strict=False))
            view.evidence.append(f"{ev['uploaded_filename']} row {row.row_number}: {pairs}")
    view.diff = await _diff(store, row)
    return view


async def _record(store: Any, entity: str, record_id: Any) -> Any:
    try:
        return await store.crm.get(VIEW_OF[entity], UUID(str(record_id)))
    except (NotFound, ValueError, KeyError):
        return None


async def _diff(store: Any, row: ProposalRow) -> list[DiffLine]:
    p = row.payload
    if row.kind == "merge":
        winner, loser = await _record(store, "contact", p["winner_id"]), await _record(store, "contact", p["loser_id"])
        if winner is None or loser is None:
            return [DiffLine("merge", "", "one of the contacts no longer exists")]
        lines = [DiffLine("keep", "", f"{winner.display_name} <{winner.email or '-'}>"),
                 DiffLine("soft-delete", "", f"{loser.display_name} <{loser.email or '-'}>")]
        for f, v in loser.model_dump().items():
            if f not in ("id", "client_id", "created_at", "updated_at", "full_name") and v not in (None, "", 0) \
                    and getattr(winner, f, None) in (None, "", 0):
                lines.append(DiffLine(f, None, v))
        acts = await store.activity.activities_page(contact_id=loser.id, limit=1000)
        lines.append(DiffLine("activities moved to survivor", "", len(acts.items)))
        return lines
    if row.kind == "context":
        return [DiffLine(f"context.{p.get('field')}", p.get("current"), p.get("proposed"))]
    if row.entity_type == "client_context":
        return [DiffLine(f"context.{k}", None, v) for k, v in p.items()]
    record = await _record(store, row.entity_type, row.target_id) if row.action != "create" else None
    shown = {k: v for k, v in p.items() if k not in ("company_ref",)}
    if "company_ref" in p:
        shown["company"] = f"new company from this import ({p['company_ref'][:8]}…)"
    return [DiffLine(k, getattr(record, k, None) if record is not None else None, v) for k, v in shown.items()]


def _decision(row: ProposalRow, reviewer: str, verdict: str, note: str) -> ApprovalDecision:
    if row.status != "pending":
        raise ValidationFailed(f"this proposal is already {row.status}")
    return validate(ApprovalDecision, {
        "proposal_ref": str(row.proposal_id), "reviewer_ref": reviewer, "decision": verdict,
        "decision_notes": note, "decided_at": _now(), "source_system": "cockpit", "created_by": reviewer,
        "confidence": 1.0, "provenance": Provenance(method="human", source_ref=f"proposal:{row.proposal_id}")})


async def reject(store: Any, proposal_id: UUID | str, *, reviewer: str, note: str) -> ApprovalDecision:
    row = await store.approvals.get_proposal(proposal_id)
    decision = _decision(row, reviewer, "rejected", note)
    await store.approvals.decide(decision, None)
    return decision


async def approve(store: Any, proposal_id: UUID | str, *, reviewer: str, note: str = "") -> list[dict[str, Any]]:
    """Record the approval and apply the change; returns the graph operations performed."""
    row = await store.approvals.get_proposal(proposal_id)
    decision = _decision(row, reviewer, "approved", note)

    async def apply(rc: RoleConn) -> list[dict[str, Any]]:
        return await _apply(rc, row, decision)

    def delta(ops: list[dict[str, Any]]) -> ClientGraphDelta:
        return validate(ClientGraphDelta, {
            "client_ref": store.db.require_scope(), "proposal_ref": str(row.proposal_id),
            "approval_ref": decision.decision_id, "operations": ops, "source_system": "cockpit",
            "created_by": reviewer, "confidence": 1.0,
            "provenance": Provenance(method="human", source_ref=f"decision:{decision.decision_id}")})

    return await store.approvals.decide(decision, apply, delta)


async def _apply(rc: RoleConn, row: ProposalRow, decision: ApprovalDecision) -> list[dict[str, Any]]:
    p = dict(row.payload)
    if row.kind == "merge":
        return await ap.merge_contacts(rc, p["winner_id"], p["loser_id"], decision.decision_id)
    if row.kind == "project":
        from cockpit.work.won import apply_project_proposal

        return await apply_project_proposal(rc.conn, row.payload)
    if row.kind in ("context", "writeback") and row.entity_type == "client_context":
        return await apply_context_change(rc, str(row.target_id), lambda current: apply_approved(current, row.kind, p),
                                          p, decision.decision_id)
    view = VIEW_OF[row.entity_type]
    ops: list[dict[str, Any]] = []
    ref = p.pop("company_ref", None)
    if ref:
        company = await ap.committed_target(rc, ref)
        if company:
            p["company_id"] = company
        else:
            ops.append({"op": "link", "entity_type": "company", "entity_ref": ref,
                        "fields": {"skipped": "the company proposal is not committed yet"}})
    if row.action == "update":
        p.pop("email", None)  # the dedup key: it already matches
    if row.action == "create":
        ops.append(await ap.insert_record(rc, view, {"id": str(row.target_id), **p}))
    else:
        if not p:
            raise ValidationFailed("nothing left to change: the record already has these values")
        ops.append(await ap.update_fields(rc, view, row.target_id, p))
    return ops
