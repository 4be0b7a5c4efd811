"""Website form posts (a form POSTs straight to the database's intake) become contacts tagged with their source.

A post for an address already in the CRM does not create a duplicate: it is logged as a
``form_submission`` activity on the existing contact. A new address becomes a contact (through the
crm_contacts view, so it lands in the client's Twenty workspace) with lead source ``form``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from cockpit.errors import NotFound
from cockpit.models import FormResult
from cockpit.store.core import Db


class FormsRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def client_exists(self, client_id: str) -> bool:
        """Whether ``client_id`` is registered (asked as the owner: the intake server is not scoped yet)."""
        return bool(await self.db.fetch_value("SELECT EXISTS (SELECT 1 FROM redkey.clients WHERE client_id = %s)",
                                           (client_id,), role="owner"))

    async def intake_form(self, client_id: str, fields: dict[str, str], *, form: str, now: datetime,
                          submission_id: str | None = None) -> FormResult:
        """Record a validated form post for ``client_id`` (fields: email, first_name, last_name, company,
        job_title, phone, city, message)."""
        if not await self.client_exists(client_id):
            raise NotFound(f"unknown client {client_id!r}")
        scoped = self.db.scoped(client_id, source="form", actor=f"form:{form}")
        email = fields["email"].strip().lower()
        async with scoped.tx("operational", columns=["first_name", "last_name", "email"]) as conn:
            # One intake per address at a time: two fast posts of the same form must not create two contacts.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"form:{client_id}:{email}",))
            cur = await conn.execute("SELECT id FROM crm_contacts WHERE lower(email) = %s ORDER BY created_at LIMIT 1",
                                     (email,))
            existing = await cur.fetchone()
            created = existing is None
            if existing is None:
                cols = {k: v for k, v in fields.items()
                        if k in ("first_name", "last_name", "job_title", "phone", "city") and v}
                cols["email"] = email
                names = list(cols)
                cur = await conn.execute(
                    f"INSERT INTO crm_contacts ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) RETURNING id",
                    [cols[n] for n in names])
                row = await cur.fetchone()
                assert row is not None
                contact_id: UUID = row[0]
                await conn.execute(
                    "INSERT INTO redkey.contact_email_prefs (client_id, contact_id, lead_source) "
                    "VALUES (redkey.current_client_id(), %s, 'form') ON CONFLICT (client_id, contact_id) "
                    "DO UPDATE SET lead_source = coalesce(contact_email_prefs.lead_source, 'form')", (contact_id,))
            else:
                contact_id = existing[0]
            props: dict[str, Any] = {"form": form, "fields": fields, "new_contact": created}
            await conn.execute(
                "INSERT INTO crm_activities (occurred_at, kind, channel, direction, subject, summary, contact_id,"
                " source, external_id, properties) VALUES (%s, 'form_submission', 'web', 'inbound', %s, %s, %s,"
                " 'form', %s, %s)",
                (now, f"Form: {form}", (fields.get("message") or "")[:500] or None, contact_id, submission_id,
                 Jsonb(props)))
        return FormResult(contact_id, created)
