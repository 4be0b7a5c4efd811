"""Typed rows: one pydantic model per stable view (the contract), plus the shapes the store returns.

Field names equal the view's column names, so a row maps onto its model with no translation; a test
checks that each model's fields are exactly its view's columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["readonly", "operational", "strategic", "owner"]


class Row(BaseModel):
    # defer_build: a model's validator is built when it is first used, not when the cockpit starts
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Contact(Row):
    id: UUID
    client_id: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str = ""
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    city: str | None = None
    company_id: UUID | None = None
    created_at: datetime
    updated_at: datetime
    # operational (arlo-owned)
    last_activity_at: datetime | None = None
    enriched_at: datetime | None = None
    email_thread_count: int = 0
    open_count: int = 0
    linkedin_url: str | None = None
    company_size: str | None = None
    industry: str | None = None
    sequence_step: int | None = None
    sequence_enrolled_at: datetime | None = None
    # strategic (Justin-owned)
    priority: str | None = None
    strategy_note: str | None = None
    relationship_note: str | None = None
    recontact_at: date | None = None
    # Twenty's custom fields, label -> value (read-only)
    custom: dict[str, Any] = Field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email or "(no name)"


class Company(Row):
    id: UUID
    client_id: str
    name: str | None = None
    domain: str | None = None
    employees: int | None = None
    city: str | None = None
    country: str | None = None
    created_at: datetime
    updated_at: datetime
    linkedin_url: str | None = None
    company_size: str | None = None
    industry: str | None = None
    enriched_at: datetime | None = None
    last_activity_at: datetime | None = None
    priority: str | None = None
    strategy_note: str | None = None
    relationship_note: str | None = None
    recontact_at: date | None = None
    custom: dict[str, Any] = Field(default_factory=dict)


class Deal(Row):
    id: UUID
    client_id: str
    name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    stage_id: str
    company_id: UUID | None = None
    contact_id: UUID | None = None
    position: float = 0.0
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None = None
    priority: str | None = None
    strategy_note: str | None = None
    recontact_at: date | None = None
    custom: dict[str, Any] = Field(default_factory=dict)


class Activity(Row):
    id: UUID
    client_id: str
    occurred_at: datetime
    kind: str
    channel: str | None = None
    direction: str | None = None
    subject: str | None = None
    summary: str | None = None
    contact_id: UUID | None = None
    company_id: UUID | None = None
    deal_id: UUID | None = None
    source: str
    external_id: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Stage(Row):
    client_id: str
    stage_id: str
    label: str
    position: int
    color: str | None = None
    is_closed: bool = False


class Note(Row):
    """A note in Twenty's note table, linked to records through its targets."""

    id: UUID
    client_id: str
    title: str | None = None
    body: str | None = None  # markdown
    contact_id: UUID | None = None
    company_id: UUID | None = None
    deal_id: UUID | None = None
    target_ids: list[UUID] = Field(default_factory=list)
    position: float | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def headline(self) -> str:
        """The title, else the first line of the text."""
        if self.title:
            return self.title
        return next((ln.strip() for ln in (self.body or "").splitlines() if ln.strip()), "(empty)")


class CrmTask(Note):
    """A task in Twenty's task table (not arlo's work queue: that is :class:`cockpit.store.tasks`)."""

    status: str | None = None  # TODO / IN_PROGRESS / DONE
    due_at: datetime | None = None
    assignee_id: UUID | None = None
    assignee_name: str | None = None

    @property
    def done(self) -> bool:
        return self.status == "DONE"


class Member(Row):
    """A member of the client's Twenty workspace (who tasks are assigned to)."""

    id: UUID
    client_id: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    position: float | None = None


VIEW_MODELS: dict[str, type[Row]] = {
    "crm_contacts": Contact,
    "crm_companies": Company,
    "crm_deals": Deal,
    "crm_activities": Activity,
    "crm_pipeline": Stage,
    "crm_notes": Note,
    "crm_tasks": CrmTask,
    "crm_members": Member,
}


class CustomField(Row):
    """One key of a record view's ``custom`` column: which workspace column it reads."""

    view_name: str
    key: str
    schema_name: str
    column_name: str
    data_type: str


class CustomObject(Row):
    """A custom object of a client's Twenty workspace (a ``_`` table the cockpit does not show)."""

    schema_name: str
    table_name: str
    label: str
    row_estimate: int = 0


class Client(Row):
    client_id: str
    name: str
    workspaces: list[str] = Field(default_factory=list)


class WorkspaceInfo(Row):
    schema_name: str
    client_id: str
    client_name: str
    label: str | None = None
    is_fixture: bool = False
    added_at: datetime


class StageTotal(Row):
    stage_id: str
    count: int
    amount: Decimal


class DealCard(Row):
    """A deal as the pipeline board shows it (deal + company name + contact name)."""

    id: UUID
    name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    stage_id: str
    company_id: UUID | None = None
    company_name: str | None = None
    contact_id: UUID | None = None
    contact_name: str | None = None
    last_activity_at: datetime | None = None
    priority: str | None = None
    updated_at: datetime
    created_at: datetime | None = None  # with last_activity_at, the stalest-first order's key


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a keyset-paginated list; ``next_after`` is the cursor for the next page."""

    model_config = ConfigDict(defer_build=True)
    items: list[T]
    next_after: tuple[Any, ...] | None = None

    @property
    def has_more(self) -> bool:
        return self.next_after is not None


# What the pipeline board shows: its stages, each stage's totals, and each stage's first page of cards.
BoardView = tuple[list[Stage], dict[str, StageTotal], dict[str, Page[DealCard]]]


class MoveResult(Row):
    deal_id: UUID
    from_stage: str | None
    to_stage: str


@dataclass(frozen=True)
class FormResult:
    contact_id: UUID
    created: bool


@dataclass(frozen=True)
class Counters:
    """The header's live counts."""

    approvals: int = 0   # proposals waiting for approval
    questions: int = 0   # arlo's open questions (blocked tasks)
    unread: int = 0      # unread exec-inbox items
