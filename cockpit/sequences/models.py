"""Typed rows and inputs for sequences (field names equal the crm_sequences / crm_sequence_contacts
columns, so rows map onto them with no translation), the planner's decisions, the outbox rows the
sender claims, and what a delivery webhook did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cockpit.errors import ValidationFailed
from cockpit.models import Row
from cockpit.sequences.templates import check_template


class SequenceStep(BaseModel):
    """One email of a sequence; ``wait_days`` is the number of sending (business) days before it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str = Field(min_length=1, max_length=998)
    body: str = Field(min_length=1)
    wait_days: int = Field(default=0, ge=0, le=365)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("a subject is one line")
        return value


def parse_steps(raw: list[dict[str, Any]] | list[SequenceStep]) -> list[SequenceStep]:
    """Validate a step list (templates included); errors name the step."""
    if not raw:
        raise ValidationFailed("a sequence needs at least one step")
    steps: list[SequenceStep] = []
    for i, item in enumerate(raw, start=1):
        try:
            step = item if isinstance(item, SequenceStep) else SequenceStep.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "step"
            raise ValidationFailed(f"step {i}: {field}: {err['msg']}") from None
        check_template(step.subject, where=f"step {i} subject")
        check_template(step.body, where=f"step {i} body")
        steps.append(step)
    return steps


class Sequence(Row):
    id: UUID
    client_id: str
    name: str
    steps: list[SequenceStep]
    is_active: bool = True
    sender: str | None = None
    send_window: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class Enrollment(Row):
    id: UUID
    client_id: str
    sequence_id: UUID
    contact_id: UUID
    current_step: int
    next_due_at: datetime | None = None
    status: str
    status_reason: str | None = None
    enrolled_at: datetime
    updated_at: datetime
    sequence_name: str | None = None
    total_steps: int | None = None

    @property
    def progress(self) -> str:
        """Where the contact is in the sequence, the same words wherever an enrollment is shown.
        ``current_step`` is the index of the next email, so it is also the number already sent."""
        sent, total = self.current_step, self.total_steps
        if total is None:
            return f"{sent} sent" + (f" · step {sent + 1} next" if self.status == "active" else "")
        if sent >= total:
            return f"all {total} steps sent"
        return f"{sent} of {total} sent · step {sent + 1} next"


class StepCount(BaseModel):
    """Enrollments of a sequence at one step (``step`` = index of the next email) in one status."""

    model_config = ConfigDict(frozen=True)
    sequence_id: UUID
    sequence_name: str
    step: int
    status: str
    count: int
    due: int = 0


class OutboxCounts(BaseModel):
    model_config = ConfigDict(frozen=True)
    draft: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class WebhookOutcome:
    """What one Resend event did (``outcome``, the HTTP answer); ``reply_from`` names the contact whose
    reply it recorded, in ``client_id``'s scope."""

    outcome: str
    client_id: str | None = None
    reply_from: UUID | None = None


@dataclass
class PlannedEmail:
    step: int
    sequence_id: UUID
    contact_id: UUID
    sender: str
    to_email: str
    subject: str
    body_text: str
    headers: dict[str, str]
    tags: list[dict[str, str]]


@dataclass
class Decision:
    """What the planner decided for one due enrollment."""

    enrollment_id: UUID
    action: str  # send | draft | reschedule | pause | complete
    current_step: int
    next_due_at: datetime | None
    status: str = "active"
    reason: str | None = None
    email: PlannedEmail | None = None


@dataclass
class OutboxRow:
    id: UUID
    enrollment_id: UUID
    step: int
    sequence_id: UUID
    contact_id: UUID
    sender: str
    to_email: str
    subject: str
    body_text: str
    headers: dict[str, str]
    tags: list[dict[str, str]]
    attempts: int
    send_mode: str | None = None
    batch_id: UUID | None = None
    first_attempt_at: datetime | None = None
    revision: int = 0

    @property
    def idempotency_key(self) -> str:
        """Per (enrollment, step) for a single send (and per revision after a refused one); per frozen
        batch for a batch."""
        if self.send_mode == "batch" and self.batch_id is not None:
            return f"batch-{self.batch_id}"
        return f"seq-{self.enrollment_id}-{self.step}" + (f"-r{self.revision}" if self.revision else "")


@dataclass
class WorkUnit:
    mode: str  # batch | single
    rows: list[OutboxRow]

    @property
    def idempotency_key(self) -> str:
        return self.rows[0].idempotency_key


@dataclass
class ClaimResult:
    units: list[WorkUnit] = field(default_factory=list)
    expired: int = 0  # rows turned unknown (past the idempotency window)
