"""Typed rows of the entity tables above tasks, and the read models the Work screen and CLI show."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from cockpit.models import Row

Kind = Literal["project", "stage", "phase", "task"]
WorkAction = Literal["hold", "resume", "cancel", "supersede", "defer"]

# (entity kind, action) -> the message type the listener applies.
CONTROL_TYPES: dict[tuple[str, str], str] = {
    ("project", "hold"): "project.on_hold", ("project", "resume"): "project.resumed",
    ("project", "cancel"): "project.cancelled", ("project", "defer"): "project.deferred",
    ("stage", "hold"): "stage.on_hold", ("stage", "resume"): "stage.resumed",
    ("stage", "cancel"): "stage.cancelled", ("stage", "supersede"): "stage.superseded",
    ("phase", "hold"): "phase.on_hold", ("phase", "resume"): "phase.resumed", ("phase", "cancel"): "phase.cancelled",
    ("task", "hold"): "task.on_hold", ("task", "resume"): "task.resumed", ("task", "cancel"): "task.cancelled",
}
FINAL = ("complete", "cancelled", "superseded")


class Project(Row):
    id: str
    client_id: str
    title: str
    brief: str | None = None
    status: str
    active_stage_id: str | None = None
    stage_sequence: list[Any] = Field(default_factory=list)
    template: str | None = None
    deal_id: UUID | None = None
    company_id: UUID | None = None
    status_reason: str | None = None
    revisit_date: date | None = None
    replaced_by: str | None = None
    hold_seq: int | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class Stage(Row):
    id: str
    project_id: str
    client_id: str
    stage_type: str
    title: str | None = None
    status: str
    position: int = 0
    current_step: int = 0
    steps: list[Any] = Field(default_factory=list)
    output_ref: str | None = None
    status_reason: str | None = None
    replaced_by: str | None = None
    hold_seq: int | None = None
    held_via: str | None = None
    created_at: datetime

    @property
    def label(self) -> str:
        return self.title or self.stage_type

    @property
    def step_name(self) -> str:
        if not self.steps or self.current_step >= len(self.steps):
            return ""
        step = self.steps[self.current_step]
        return str(step.get("name") if isinstance(step, dict) else step)


class Phase(Row):
    id: str
    stage_id: str
    project_id: str | None = None
    client_id: str
    name: str
    status: str
    depends_on: list[str] = Field(default_factory=list)
    waiting_on: list[str] = Field(default_factory=list)
    status_reason: str | None = None
    replaced_by: str | None = None
    hold_seq: int | None = None
    held_via: str | None = None
    created_at: datetime


class WorkTask(Row):
    """A task as the structure sees it (workers get :class:`cockpit.arlo.models.Task`, without any of this)."""

    id: str
    client_id: str
    phase_id: str | None = None
    stage_id: str | None = None
    project_id: str | None = None
    role: str
    task_type: str
    agent: str | None = None
    status: str
    brief: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    waiting_on: list[str] = Field(default_factory=list)
    status_reason: str | None = None
    replaced_by: str | None = None
    hold_seq: int | None = None
    held_via: str | None = None
    stop_seq: int | None = None
    created_at: datetime


class ProjectSummary(Row):
    """One line of the Work screen: a project with its active stage, progress and what holds it up."""

    project: Project
    stage: Stage | None = None
    tasks_total: int = 0
    tasks_done: int = 0
    blockers: list[str] = Field(default_factory=list)

    @property
    def progress(self) -> str:
        return f"{self.tasks_done}/{self.tasks_total}" if self.tasks_total else "—"


class ProjectTree(Row):
    project: Project
    stages: list[Stage] = Field(default_factory=list)
    phases: list[Phase] = Field(default_factory=list)
    tasks: list[WorkTask] = Field(default_factory=list)
    statuses: dict[str, str] = Field(default_factory=dict)  # every dependency's id -> its status

    def waits_for(self, item: Phase | WorkTask) -> str:
        """What a blocked item waits for, in words (empty when nothing holds it up)."""
        parts = [f"{d} ({self.statuses.get(d, 'unknown').replace('_', ' ')})" for d in item.waiting_on]
        text = ("waits for " + ", ".join(parts)) if parts else ""
        if item.status == "on_hold":
            held = f"held with {item.held_via}" if item.held_via and item.held_via != item.id else "held"
            text = "; ".join(p for p in (held + (f": {item.status_reason}" if item.status_reason else ""), text) if p)
        if isinstance(item, WorkTask) and item.stop_seq is not None:
            text = "; ".join(p for p in ("stops at its next heartbeat (held)", text) if p)
        return text
