"""The import's plain types: what the CRM already holds for a file's keys, the auto rule's name, the
progress callback the import reports through, a proposal as a plain record, and a step of the write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic_core import to_json

from cockpit.contracts import NormalizedEntityProposal
from cockpit.contracts.imports import entity_proposal_problem

AUTO_RULE = "import.new_record_no_candidate"

Progress = Callable[[str, int, int], None]


@dataclass
class ImportStep:
    """Some rows of a file, ready to write: (row number, raw values, errors) per row, and the proposals
    planned from them."""

    rows: list[tuple[int, list[str], list[dict[str, Any]]]]
    proposals: list[ProposalRecord]


@dataclass
class Existing:
    """What the CRM already holds for the keys in this file."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)   # email -> contact row
    company_domains: dict[str, str] = field(default_factory=dict)        # domain -> company id
    company_names: dict[str, str] = field(default_factory=dict)          # lower(name) -> company id


# (emails, domains, lower-case company names) -> what the CRM holds for them; called from a worker thread
LookUp = Callable[[list[str], list[str], list[str]], Existing]


@dataclass(slots=True)
class ProposalRecord:
    """One NormalizedEntityProposal of an import, as plain data. ``artifact_json`` is what the model's
    ``model_dump_json`` gives for the same content (the tests compare them)."""

    ARTIFACT_TYPE: ClassVar[str] = NormalizedEntityProposal.ARTIFACT_TYPE
    VERSION: ClassVar[str] = NormalizedEntityProposal.VERSION

    proposal_id: str
    batch_id: str
    source_system: str
    created_by: str
    created_at: datetime
    row_number: int
    entity_type: str
    action: str
    target_id: str | None
    canonical_payload: dict[str, Any]
    merge_candidate_refs: list[str]
    review_required: bool
    confidence: float
    reasons: list[str]

    @property
    def schema_version(self) -> str:
        return self.VERSION

    def check(self) -> "ProposalRecord":
        """The model's rules (ValueError, as the model raises): the content rule, and the ranges."""
        problem = entity_proposal_problem(self.entity_type, self.canonical_payload, self.action,
                                          self.merge_candidate_refs, self.review_required)
        if problem is None and not 0.0 <= self.confidence <= 1.0:
            problem = f"confidence {self.confidence} is not between 0 and 1"
        if problem is None and self.row_number < 1:
            problem = f"row_number {self.row_number} is not a row"
        if problem:
            raise ValueError(f"proposal for row {self.row_number}: {problem}")
        return self

    def artifact(self) -> dict[str, Any]:
        """The stored artifact, keyed in the model's field order."""
        ref = f"batch:{self.batch_id}#row{self.row_number}"
        return {
            "artifact_id": self.proposal_id, "artifact_type": self.ARTIFACT_TYPE, "schema_version": self.VERSION,
            "source_system": self.source_system, "created_at": self.created_at, "created_by": self.created_by,
            "confidence": self.confidence,
            "provenance": {"method": "import", "source_ref": ref,
                           "evidence_refs": [f"import_row:{self.batch_id}:{self.row_number}"], "notes": None},
            "proposal_id": self.proposal_id, "batch_id": self.batch_id, "entity_type": self.entity_type,
            "canonical_payload": self.canonical_payload, "merge_candidate_refs": self.merge_candidate_refs,
            "review_required": self.review_required, "action": self.action, "target_id": self.target_id,
            "row_number": self.row_number, "reasons": self.reasons}

    def artifact_json(self) -> str:
        return to_json(self.artifact()).decode()

    def model(self) -> NormalizedEntityProposal:
        """The same proposal as the pydantic model (validated), for callers that want one."""
        return NormalizedEntityProposal.model_validate_json(self.artifact_json())
