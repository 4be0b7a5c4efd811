"""Writeback, approval and read-model artifacts: OracleWritebackProposal, ApprovalDecision
and Client360Snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from cockpit.contracts.base import Artifact
from cockpit.fields import CONTEXT_FIELDS, proposable

# Which fields a writeback may touch, and the role that writes each (from the field registry).
WRITABLE: dict[str, dict[str, str]] = {
    **{view: dict(proposable(view)) for view in ("crm_contacts", "crm_companies", "crm_deals")},
    "client_context": {f: "operational" for f in CONTEXT_FIELDS},
}


class OracleWritebackProposal(Artifact):
    """An AI-suggested change (arlo, Oracle, NemoClaw) before commit. It has no status of its own: it
    never masquerades as committed state; only an ApprovalDecision commits it."""

    ARTIFACT_TYPE: ClassVar[str] = "OracleWritebackProposal"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "proposal_id"

    proposal_id: str
    target_domain: Literal["crm_contacts", "crm_companies", "crm_deals", "client_context"]
    target_entity_ref: str = Field(min_length=1)
    proposed_change: dict[str, Any] = Field(min_length=1)
    reasoning_summary: str = Field(min_length=1)
    evidence_refs: list[str]
    approval_required: bool
    current_values: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rules(self) -> "OracleWritebackProposal":
        allowed = WRITABLE[self.target_domain]
        unknown = sorted(set(self.proposed_change) - set(allowed))
        if unknown:
            raise ValueError(f"{self.target_domain} has no writable field {', '.join(unknown)}")
        if any(allowed[f] == "strategic" for f in self.proposed_change) and not self.approval_required:
            raise ValueError("a change to a strategic (human-owned) field or a deal's terms always requires approval")
        if not self.evidence_refs:
            raise ValueError("a writeback proposal must cite its evidence_refs")
        return self

    def roles(self) -> set[str]:
        """The database roles whose fields this change touches."""
        return {WRITABLE[self.target_domain][f] for f in self.proposed_change}


class ApprovalDecision(Artifact):
    """The explicit human review outcome on one proposal: an immutable audit record."""

    ARTIFACT_TYPE: ClassVar[str] = "ApprovalDecision"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "decision_id"

    decision_id: str
    proposal_ref: str = Field(min_length=1)
    reviewer_ref: str = Field(min_length=1)
    decision: Literal["approved", "rejected"]
    decision_notes: str
    decided_at: datetime

    @model_validator(mode="after")
    def _notes(self) -> "ApprovalDecision":
        if self.decision == "rejected" and not self.decision_notes.strip():
            raise ValueError("a rejection needs a note saying why")
        if self.decided_at.tzinfo is None:
            raise ValueError("decided_at must carry a time zone")
        return self


class Client360Snapshot(Artifact):
    """The stable read model of one client (contact) for the UI and Oracle. Derived: it names what it
    was derived from and is never the sole source of truth (nothing is ever read back from it)."""

    ARTIFACT_TYPE: ClassVar[str] = "Client360Snapshot"
    VERSION: ClassVar[str] = "1.0.0"

    client_ref: str = Field(min_length=1)
    identity: dict[str, Any]
    account_links: list[dict[str, Any]]
    active_opportunities: list[dict[str, Any]]
    recent_interactions: list[dict[str, Any]]
    property_interests: list[str]
    tasks: list[dict[str, Any]]
    qd_overview: dict[str, Any]
    risk_flags: list[dict[str, Any]]
    context: dict[str, Any] = Field(default_factory=dict)
    pending_proposals: int = 0
    derived_from: list[str] = Field(min_length=1)
    as_of: datetime

    @model_validator(mode="after")
    def _derived(self) -> "Client360Snapshot":
        if self.provenance.method not in ("system", "rule"):
            raise ValueError("a Client360Snapshot is derived by the system, never authored")
        return self
