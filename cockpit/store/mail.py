"""Mail and calendar sync's reads and writes: IMAP high-water marks, which messages are already
recorded, the contacts (and their open deals) behind a set of addresses, email and meeting activities.

Activities go through ``crm_activities`` (the view's trigger dedupes on source + external_id and keeps
``last_activity_at`` moving forwards); the sync's own bookkeeping lives in ``redkey.mail_*`` and
``redkey.calendar_occurrences``, written as the owner login.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row

from cockpit.store.core import Db


@dataclass(frozen=True)
class ContactRef:
    contact_id: UUID
    email: str
    company_id: UUID | None
    deal_id: UUID | None  # the contact's most recently updated open deal


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    last_uid: int
    messages: int


class MailRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    # --- IMAP state -----------------------------------------------------------------------------
    async def folder_state(self, mailbox: str, folder: str) -> FolderState | None:
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "SELECT uidvalidity, last_uid, messages FROM redkey.mail_sync_state "
                "WHERE client_id = %s AND mailbox = %s AND folder = %s", (self.db.require_scope(), mailbox, folder))
            row = await cur.fetchone()
        return FolderState(*row) if row else None

    async def save_folder_state(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, added: int,
                                *, now: datetime) -> None:
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.mail_sync_state AS s (client_id, mailbox, folder, uidvalidity, last_uid, messages,"
                " synced_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (client_id, mailbox, folder) DO UPDATE"
                " SET uidvalidity = EXCLUDED.uidvalidity, last_uid = EXCLUDED.last_uid,"
                " messages = CASE WHEN s.uidvalidity = EXCLUDED.uidvalidity THEN s.messages ELSE 0 END + %s,"
                " synced_at = EXCLUDED.synced_at",
                (self.db.require_scope(), mailbox, folder, uidvalidity, last_uid, added, now, added))

    async def known_message_ids(self, message_ids: list[str]) -> set[str]:
        if not message_ids:
            return set()
        async with self.db.tx("owner") as conn:
            cur = await conn.execute("SELECT message_id FROM redkey.mail_messages WHERE client_id = %s "
                                     "AND message_id = ANY(%s)", (self.db.require_scope(), message_ids))
            return {r[0] for r in await cur.fetchall()}

    # --- CRM lookups ---------------------------------------------------------------------------
    async def contacts_by_email(self, emails: list[str]) -> dict[str, ContactRef]:
        """Contacts whose email is one of ``emails`` (case-insensitive), with company and open deal."""
        if not emails:
            return {}
        async with self.db.tx("readonly") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                "SELECT DISTINCT ON (lower(c.email)) c.id, lower(c.email) AS email, c.company_id, d.id AS deal_id "
                "FROM crm_contacts c "
                "LEFT JOIN LATERAL (SELECT d.id FROM crm_deals d JOIN crm_pipeline p ON p.stage_id = d.stage_id "
                "                   WHERE d.contact_id = c.id AND NOT p.is_closed "
                "                   ORDER BY d.updated_at DESC NULLS LAST LIMIT 1) d ON true "
                "WHERE lower(c.email) = ANY(%s) ORDER BY lower(c.email), c.updated_at DESC NULLS LAST",
                ([e.lower() for e in emails],))
            return {r["email"]: ContactRef(r["id"], r["email"], r["company_id"], r["deal_id"])
                    for r in await cur.fetchall()}

    async def known_domains(self, domains: list[str]) -> dict[str, UUID]:
        if not domains:
            return {}
        async with self.db.tx("readonly") as conn:
            cur = await conn.execute("SELECT DISTINCT ON (lower(domain)) lower(domain), id FROM crm_companies "
                                     "WHERE lower(domain) = ANY(%s)", ([d.lower() for d in domains],))
            return {d: i for d, i in await cur.fetchall()}

    async def sent_by_sequences(self, pairs: list[tuple[str, str]], around: list[datetime],
                                window: timedelta = timedelta(hours=6)) -> set[int]:
        """Indexes of (to_email, subject) pairs that a sequence sent through Resend near that time:
        the webhook already logged them, so the mailbox copy is not recorded twice."""
        if not pairs:
            return set()
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "SELECT i - 1 FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) WITH ORDINALITY AS p(to_email, "
                "subject, at, i) WHERE EXISTS (SELECT 1 FROM redkey.email_outbox o WHERE o.client_id = %s "
                "AND lower(o.to_email) = lower(p.to_email) AND o.subject = p.subject "
                "AND o.status IN ('sent', 'unknown') "
                "AND coalesce(o.sent_at, o.updated_at) BETWEEN p.at - %s AND p.at + %s)",
                ([p[0] for p in pairs], [p[1] for p in pairs], around, self.db.require_scope(), window, window))
            return {int(r[0]) for r in await cur.fetchall()}

    # --- writes --------------------------------------------------------------------------------
    async def record_messages(self, messages: list[dict[str, Any]], activities: list[dict[str, Any]]) -> int:
        """Record messages as seen and their activities, in one transaction (pipelined); returns the
        activities inserted (a duplicate external id inserts nothing)."""
        client = self.db.require_scope()
        inserted = 0
        async with self.db.tx("operational") as conn:
            cur = conn.cursor()
            if activities:
                await cur.executemany(
                    "INSERT INTO crm_activities (occurred_at, kind, channel, direction, subject, summary, contact_id, "
                    "company_id, deal_id, source, external_id, properties) VALUES (%s, %s, 'email', %s, %s, %s, %s, "
                    "%s, %s, 'mail', %s, %s) RETURNING id",
                    [(a["occurred_at"], a["kind"], a["direction"], a["subject"], a["summary"], a["contact_id"],
                      a["company_id"], a["deal_id"], a["external_id"], json.dumps(a["properties"], default=str))
                     for a in activities], returning=True)
                while True:
                    inserted += len(await cur.fetchall())
                    if not cur.nextset():
                        break
            await conn.execute("RESET ROLE")
            if messages:
                await cur.executemany(
                    "INSERT INTO redkey.mail_messages (client_id, message_id, thread_id, mailbox, folder, direction, "
                    "occurred_at, activities) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (client_id, message_id) DO NOTHING",
                    [(client, m["message_id"], m["thread_id"], m["mailbox"], m["folder"], m["direction"],
                      m["occurred_at"], m["activities"]) for m in messages])
        return inserted

    async def stop_sequences_on_reply(self, replies: list[tuple[UUID, datetime]], *, now: datetime) -> int:
        """Contacts replied: end the enrollments their reply came after, cancel what is queued, as the
        webhook path does. A message older than the enrollment is no reply to it."""
        from cockpit.store.email_events import _stop_contact

        latest: dict[UUID, datetime] = {}
        for cid, at in replies:
            latest[cid] = max(at, latest.get(cid, at))
        stopped = 0
        async with self.db.tx("operational") as conn:
            cur = await conn.execute(
                "SELECT DISTINCT e.contact_id FROM crm_sequence_contacts e JOIN unnest(%s::uuid[], %s::timestamptz[]) "
                "AS r(contact_id, at) ON r.contact_id = e.contact_id WHERE e.status IN ('active', 'paused') "
                "AND e.enrolled_at <= r.at", (list(latest), list(latest.values())))
            for (cid,) in await cur.fetchall():
                stopped += await _stop_contact(conn, cid, "replied", now)
        return stopped
