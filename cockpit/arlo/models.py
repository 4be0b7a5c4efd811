"""Arlo's typed rows: tasks (created → claimed → in_progress →
complete | blocked | cancelled), loop status, Justin's inbox, topic log messages, and the enrichment
writes its loops hand to the store.

Kept apart from :mod:`cockpit.models` (the Layer 2 contract) because these describe RedKey's own
bookkeeping tables, which only the store's task repository reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from cockpit.models import Row

TaskStatus = Literal["created", "assigned", "claimed", "in_progress", "on_hold", "blocked", "cancelled", "complete"]
ControlAction = Literal["hold", "resume", "cancel"]
PENDING_STATUSES: tuple[str, ...] = ("created", "assigned", "claimed", "in_progress", "on_hold")
FINAL_STATUSES: tuple[str, ...] = ("complete", "blocked", "cancelled")

# Control action -> the topic-log message type the listener applies.
CONTROL_MESSAGES: dict[str, str] = {"hold": "task.on_hold", "resume": "task.resumed", "cancel": "task.cancelled"}


class Task(Row):
    id: str
    client_id: str
    role: str
    task_type: str
    agent: str | None = None
    status: TaskStatus
    brief: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] | None = None
    cost_usd: Decimal = Decimal(0)
    duration_seconds: int | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    last_log_seq: int | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def summary(self) -> str:
        """One line saying what came of the task (its output's summary or question)."""
        out = self.output or {}
        return str(out.get("question") or out.get("summary") or out.get("error") or "")


class LogMessage(Row):
    seq: int
    topic_id: str
    message_type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class LoopStatus(Row):
    client_id: str
    task_type: str
    last_run_at: datetime | None = None
    next_run_at: datetime | None = None
    last_task_id: str | None = None
    last_status: str | None = None
    last_result: str | None = None
    last_error: str | None = None


class InboxItem(Row):
    id: int
    client_id: str
    task_id: str | None = None
    title: str
    body: str = ""
    created_at: datetime
    read_at: datetime | None = None


@dataclass
class EnrichmentWrite:
    """One record's enrichment: the operational fields to set and the activity to log."""

    record_id: UUID
    fields: dict[str, Any]
    summary: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class WriteOutcome:
    written: list[UUID] = field(default_factory=list)
    failed: dict[UUID, str] = field(default_factory=dict)
