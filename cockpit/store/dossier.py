"""What the contact detail shows beyond the contact row: the client context object, its
history, and sequence enrollments — all through the scoped ``crm_*`` views over ``redkey.*``. Plus a
cheap liveness probe the cockpit uses while reconnecting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from cockpit.models import Row
from cockpit.store.core import StoreBase


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


class Enrollment(Row):
    """A contact's place in an outbound sequence."""

    id: UUID
    sequence_id: UUID
    sequence_name: str
    total_steps: int
    current_step: int
    status: str
    status_reason: str | None = None
    next_due_at: datetime | None = None
    enrolled_at: datetime


class DossierMixin(StoreBase):
    async def ping(self) -> None:
        """Round-trip to the database (raises DatabaseUnavailable when it is gone).

        First drops the pool's connections that died with the server, so after a restart the next
        query gets a fresh one instead of failing once per stale connection."""
        try:
            await self.pool.check()
        except Exception:  # noqa: BLE001 - check() itself needs the server; the query below reports it
            pass
        await self.fetch_value("SELECT 1")

    async def client_context(self, contact_id: UUID) -> ClientContext | None:
        return await self.fetch_model(
            ClientContext,
            "SELECT contact_id, context_json AS context, last_updated_at FROM crm_client_context "
            "WHERE contact_id = %s", (contact_id,))

    async def context_history(self, contact_id: UUID, limit: int = 10) -> list[ContextSnapshot]:
        """Newest first."""
        return await self.fetch_models(
            ContextSnapshot,
            "SELECT id, context_json AS context, change_note, changed_by, recorded_at "
            "FROM crm_client_context_history WHERE contact_id = %s ORDER BY recorded_at DESC, id DESC LIMIT %s",
            (contact_id, limit))

    async def enrollments(self, contact_id: UUID) -> list[Enrollment]:
        return await self.fetch_models(
            Enrollment,
            "SELECT e.id, e.sequence_id, s.name AS sequence_name, jsonb_array_length(s.steps) AS total_steps, "
            "e.current_step, e.status, e.status_reason, e.next_due_at, e.enrolled_at "
            "FROM crm_sequence_contacts e JOIN crm_sequences s ON s.id = e.sequence_id "
            "WHERE e.contact_id = %s ORDER BY e.enrolled_at DESC", (contact_id,))
