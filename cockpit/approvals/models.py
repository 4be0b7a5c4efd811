"""A proposal as the approvals queue reads it (redkey.proposals)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class ProposalRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    proposal_id: UUID
    kind: str
    artifact_type: str
    entity_type: str
    action: str
    target_id: UUID | None = None
    payload: dict[str, Any]
    merge_candidate_refs: list[Any]
    review_required: bool
    confidence: float
    summary: str
    status: str
    batch_id: UUID | None = None
    row_number: int | None = None
    created_by: str
    created_at: datetime
    decision_id: UUID | None = None
    artifact: dict[str, Any]
