"""Sequence definitions and enrollments (crm_sequences / crm_sequence_contacts) and contacts' email
preferences. Sending lives in :mod:`cockpit.store.outbox`; webhook effects in
:mod:`cockpit.store.email_events`.

Enrollment management runs as the operational role (it is arlo's kind of data); the views are scoped,
so one client's sequences are invisible from another's session.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from cockpit.errors import NotFound, ValidationFailed
from cockpit.sequences.models import Enrollment, OutboxCounts, Sequence, SequenceStep, StepCount, parse_steps
from cockpit.sequences.schedule import SendWindow, check_zone, due_after, zone
from cockpit.store.core import Db
from cockpit.store.crm import CrmRepo

_SEQ_COLS = "id, client_id, name, steps, is_active, sender, send_window, created_at, updated_at"
_ENR_COLS = ("e.id, e.client_id, e.sequence_id, e.contact_id, e.current_step, e.next_due_at, e.status, "
             "e.status_reason, e.enrolled_at, e.updated_at, s.name AS sequence_name, "
             "jsonb_array_length(s.steps) AS total_steps")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


class SequencesRepo:
    def __init__(self, db: Db, crm: CrmRepo) -> None:
        self.db = db
        self.crm = crm

    # --- definitions --------------------------------------------------------------------------
    async def create_sequence(self, name: str, steps: list[dict[str, Any]] | list[SequenceStep], *,
                              sender: str | None = None, send_window: dict[str, Any] | None = None,
                              is_active: bool = True) -> Sequence:
        """Define a sequence. Templates, waits and the window are validated first; nothing is written
        when any of them is wrong."""
        self.db.require_scope()
        if not name or not name.strip():
            raise ValidationFailed("a sequence needs a name")
        parsed = parse_steps(steps)
        window = SendWindow.from_json(send_window)
        try:
            async with self.db.tx("operational") as conn:
                cur = conn.cursor(row_factory=class_row(Sequence))
                await cur.execute(
                    "INSERT INTO crm_sequences (client_id, name, steps, is_active, sender, send_window) "
                    f"VALUES (redkey.current_client_id(), %s, %s, %s, %s, %s) RETURNING {_SEQ_COLS}",
                    (name.strip(), Jsonb([s.model_dump() for s in parsed]), is_active, sender,
                     Jsonb(window.to_json())))
                row = await cur.fetchone()
        except ValidationFailed as exc:
            if "already" in exc.message or "duplicate" in exc.message or "unique" in exc.message.lower():
                raise ValidationFailed(f"a sequence named {name.strip()!r} already exists") from None
            raise
        assert row is not None
        return row

    async def sequences(self) -> list[Sequence]:
        return await self.db.fetch_models(Sequence, f"SELECT {_SEQ_COLS} FROM crm_sequences ORDER BY name, id")

    async def sequence(self, ref: UUID | str) -> Sequence:
        """A sequence by id or by name."""
        try:
            as_id: UUID | None = ref if isinstance(ref, UUID) else UUID(str(ref))
        except ValueError:
            as_id = None
        if as_id is not None:
            row = await self.db.fetch_model(Sequence, f"SELECT {_SEQ_COLS} FROM crm_sequences WHERE id = %s", (as_id,))
        else:
            row = await self.db.fetch_model(Sequence, f"SELECT {_SEQ_COLS} FROM crm_sequences WHERE lower(name) = lower(%s)",
                                         (str(ref).strip(),))
        if row is None:
            raise NotFound(f"no sequence {ref!s} in this client's scope", "`cockpit sequences list` shows them")
        return row

    # --- enrollments --------------------------------------------------------------------------
    async def enroll(self, contact_id: UUID, sequence_ref: UUID | str, *, now: datetime | None = None) -> Enrollment:
        """Enroll a contact: refused (with the reason) for a contact without an email address, one who
        unsubscribed or is suppressed, or one already in the sequence."""
        now = _now(now)
        seq = await self.sequence(sequence_ref)
        if not seq.is_active:
            raise ValidationFailed(f"sequence {seq.name!r} is paused", "resume it before enrolling contacts")
        window = SendWindow.from_json(seq.send_window)
        async with self.db.tx("operational", columns=["sequence_step", "sequence_enrolled_at"]) as conn:
            cur = await conn.execute(
                "SELECT c.email, p.time_zone, p.unsubscribed_at, p.suppressed_at, p.suppression_reason "
                "FROM crm_contacts c LEFT JOIN redkey.contact_email_prefs p "
                "ON p.client_id = c.client_id AND p.contact_id = c.id WHERE c.id = %s", (contact_id,))
            found = await cur.fetchone()
            if found is None:
                raise NotFound("no such contact in this client's scope")
            email, tz_name, unsubscribed, suppressed, why = found
            if not email or "@" not in email:
                raise ValidationFailed("this contact has no email address", "add one in Twenty first")
            if unsubscribed:
                raise ValidationFailed("this contact unsubscribed; they cannot be enrolled")
            if suppressed:
                raise ValidationFailed(f"this contact's address is suppressed ({why or 'bounce or complaint'})")
            due = due_after(now, seq.steps[0].wait_days, zone(tz_name, window.time_zone), window)
            try:
                cur = await conn.execute(
                    "INSERT INTO crm_sequence_contacts (client_id, sequence_id, contact_id, current_step, next_due_at,"
                    " status, enrolled_at, updated_at) VALUES (redkey.current_client_id(), %s, %s, 0, %s, 'active', %s, %s)"
                    " RETURNING id", (seq.id, contact_id, due, now, now))
            except psycopg.errors.UniqueViolation:
                raise ValidationFailed(f"this contact is already in {seq.name!r}",
                                       "resume the existing enrollment instead") from None
            row = await cur.fetchone()
            await conn.execute("UPDATE crm_contacts SET sequence_step = 0, sequence_enrolled_at = %s WHERE id = %s",
                               (now, contact_id))
        assert row is not None
        return await self.enrollment(row[0])

    async def enrollment(self, enrollment_id: UUID) -> Enrollment:
        row = await self.db.fetch_model(
            Enrollment, f"SELECT {_ENR_COLS} FROM crm_sequence_contacts e JOIN crm_sequences s ON s.id = e.sequence_id "
                        "WHERE e.id = %s", (enrollment_id,))
        if row is None:
            raise NotFound("no such enrollment in this client's scope")
        return row

    async def enrollments_of_contact(self, contact_id: UUID) -> list[Enrollment]:
        """Newest first."""
        return await self.db.fetch_models(
            Enrollment, f"SELECT {_ENR_COLS} FROM crm_sequence_contacts e JOIN crm_sequences s ON s.id = e.sequence_id "
                        "WHERE e.contact_id = %s ORDER BY e.enrolled_at DESC, e.id", (contact_id,))

    async def _set_status(self, enrollment_id: UUID, status: str, reason: str | None,
                          next_due_at: datetime | None = None, *, from_status: tuple[str, ...]) -> Enrollment:
        async with self.db.tx("operational") as conn:
            cur = await conn.execute(
                "UPDATE crm_sequence_contacts SET status = %s, status_reason = %s, updated_at = now(),"
                " next_due_at = coalesce(%s, next_due_at) WHERE id = %s AND status = ANY(%s) RETURNING id",
                (status, reason, next_due_at, enrollment_id, list(from_status)))
            if await cur.fetchone() is None:
                current = await self.enrollment(enrollment_id)  # NotFound when not in scope
                raise ValidationFailed(f"this enrollment is {current.status}; cannot make it {status}")
            if status != "active":  # nothing still queued for it goes out...
                cur = await conn.execute(
                    "UPDATE redkey.email_outbox SET status = 'cancelled', error = %s, updated_at = now() "
                    "WHERE enrollment_id = %s AND status IN ('draft', 'pending') RETURNING step", (reason, enrollment_id))
                cancelled = [r[0] for r in await cur.fetchall()]
                if cancelled and status == "paused":  # ...and resuming sends it rather than skipping it
                    await conn.execute("UPDATE crm_sequence_contacts SET current_step = least(current_step, %s) "
                                       "WHERE id = %s", (min(cancelled), enrollment_id))
        return await self.enrollment(enrollment_id)

    async def pause_enrollment(self, enrollment_id: UUID, reason: str = "paused by user") -> Enrollment:
        return await self._set_status(enrollment_id, "paused", reason, from_status=("active",))

    async def resume_enrollment(self, enrollment_id: UUID, *, now: datetime | None = None) -> Enrollment:
        """Resume a paused enrollment at the step it stopped at; it is due right away (window permitting)."""
        return await self._set_status(enrollment_id, "active", None, _now(now), from_status=("paused",))

    async def unenroll(self, enrollment_id: UUID, reason: str = "unenrolled by user") -> Enrollment:
        return await self._set_status(enrollment_id, "complete", reason, from_status=("active", "paused"))

    # --- overview -----------------------------------------------------------------------------
    async def sequence_overview(self, *, now: datetime | None = None) -> list[StepCount]:
        """Enrollment counts per sequence, step and status (and how many are due), counted in SQL."""
        return await self.db.fetch_models(
            StepCount,
            "SELECT s.id AS sequence_id, s.name AS sequence_name, e.current_step AS step, e.status,"
            " count(*)::int AS count,"
            " count(*) FILTER (WHERE e.status = 'active' AND e.next_due_at <= %s)::int AS due "
            "FROM crm_sequence_contacts e JOIN crm_sequences s ON s.id = e.sequence_id "
            "GROUP BY s.id, s.name, e.current_step, e.status ORDER BY s.name, e.current_step, e.status",
            (_now(now),))

    async def outbox_counts(self) -> OutboxCounts:
        rows = await self.db.fetch_dicts(
            "SELECT status, count(*)::int AS n FROM redkey.email_outbox "
            "WHERE client_id = redkey.current_client_id() GROUP BY status")
        return OutboxCounts(**{r["status"]: r["n"] for r in rows})

    # --- contact email preferences ------------------------------------------------------------
    async def set_contact_time_zone(self, contact_id: UUID, time_zone: str) -> None:
        check_zone(time_zone)
        await self.crm.contact(contact_id)  # NotFound outside the scope
        async with self.db.tx("operational") as conn:
            await conn.execute(
                "INSERT INTO redkey.contact_email_prefs (client_id, contact_id, time_zone) "
                "VALUES (redkey.current_client_id(), %s, %s) ON CONFLICT (client_id, contact_id) "
                "DO UPDATE SET time_zone = EXCLUDED.time_zone, updated_at = now()", (contact_id, time_zone))

    async def email_prefs(self, contact_id: UUID) -> dict[str, Any]:
        rows = await self.db.fetch_dicts(
            "SELECT time_zone, unsubscribed_at, suppressed_at, suppression_reason, lead_source "
            "FROM redkey.contact_email_prefs WHERE client_id = redkey.current_client_id() AND contact_id = %s",
            (contact_id,))
        return rows[0] if rows else {}
