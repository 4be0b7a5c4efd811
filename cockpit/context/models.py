"""The client context's rows: the canonical context JSON of one contact and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from cockpit.models import Row


class ClientContext(Row):
    """The canonical context JSON of one contact, as arlo maintains it."""

    contact_id: UUID
    context: dict[str, Any] = Field(default_factory=dict)
    last_updated_at: datetime


class ContextSnapshot(Row):
    """One entry of the context history: what changed, when, by whom."""

    id: int
    context: dict[str, Any] = Field(default_factory=dict)
    change_note: str | None = None
    changed_by: str
    recorded_at: datetime
