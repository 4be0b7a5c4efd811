"""What comes back from the world: Resend webhooks, one-click unsubscribes, website form posts.

Each delivery is applied in **one transaction** scoped to the client the email belongs to: the svix-id
is recorded first (a replay finds it and changes nothing), then the activity, the outbox's delivery
status (which only moves forward: sent < delivered < opened < clicked < bounced < complained), the
contact's counters and the stop rules (reply, bounce, complaint, unsubscribe end every active
enrollment of the contact and cancel what is still queued for them).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import getaddresses, parseaddr
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from cockpit.email.unsubscribe import parse_token
from cockpit.errors import NotFound
from cockpit.sequences.models import WebhookOutcome
from cockpit.store.core import Db


# event type -> (activity kind, delivery rank or 0 when it does not move the status)
EVENTS: dict[str, tuple[str, int]] = {
    "email.sent": ("email_sent", 1),
    "email.delivered": ("email_delivered", 2),
    "email.delivery_delayed": ("email_delayed", 0),
    "email.opened": ("email_opened", 3),
    "email.clicked": ("email_clicked", 4),
    "email.bounced": ("email_bounced", 5),
    "email.complained": ("email_complained", 6),
    "email.failed": ("email_failed", 0),
    "email.suppressed": ("email_suppressed", 0),
    "email.received": ("email_received", 0),
}
# Opens and clicks happen many times: one activity per webhook. The others happen once per email.
_REPEATABLE = {"email.opened", "email.clicked", "email.received"}
_AUTO_REPLY = re.compile(r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|ooo\b|abwesenheit)",
                         re.IGNORECASE)

_OUTBOX_COLS = "client_id, id, enrollment_id, contact_id, step, sequence_id, sender, to_email, status"


def _tags(data: dict[str, Any]) -> dict[str, str]:
    tags = data.get("tags") or {}
    if isinstance(tags, list):  # [{name, value}] as sent; Resend echoes an object
        return {str(t.get("name")): str(t.get("value")) for t in tags if isinstance(t, dict)}
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def _addr(value: Any) -> str:
    return parseaddr(str(value or ""))[1].strip().lower()


def is_auto_reply(data: dict[str, Any]) -> bool:
    headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or {}).items()} \
        if isinstance(data.get("headers"), dict) else {}
    auto = headers.get("auto-submitted", "no").lower()
    return auto not in ("", "no") or bool(_AUTO_REPLY.match(str(data.get("subject") or "")))


class EmailEventsRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def _find_outbox(self, event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """The outbox row an event is about, across clients (as the owner: the client is not known yet)."""
        async with self.db.tx("owner") as conn:
            cur = conn.cursor(row_factory=dict_row)
            if event_type == "email.received":
                sender = _addr(data.get("from"))
                to = {a.lower() for _n, a in getaddresses([str(x) for x in (data.get("to") or [])])}
                if not sender:
                    return None
                # Only mail *from* a recipient *to* the address that wrote to them counts as a reply (a copy
                # of our own follow-up synced from a Sent folder must not stop the sequence: warmbly #549).
                await cur.execute(
                    f"SELECT {_OUTBOX_COLS} FROM redkey.email_outbox WHERE lower(to_email) = %s AND status = 'sent' "
                    "ORDER BY sent_at DESC NULLS LAST LIMIT 20", (sender,))
                for row in await cur.fetchall():
                    if _addr(row["sender"]) in to:
                        return row
                return None
            email_id = data.get("email_id")
            if email_id:
                await cur.execute(f"SELECT {_OUTBOX_COLS} FROM redkey.email_outbox WHERE resend_email_id = %s",
                                  (str(email_id),))
                row = await cur.fetchone()
                if row:
                    return row
            outbox_id = _tags(data).get("outbox_id")
            if outbox_id:
                try:
                    oid = UUID(outbox_id)
                except ValueError:
                    return None
                await cur.execute(f"SELECT {_OUTBOX_COLS} FROM redkey.email_outbox WHERE id = %s", (oid,))
                return await cur.fetchone()
            return None

    async def apply_webhook(self, svix_id: str, event: dict[str, Any], *, now: datetime) -> WebhookOutcome:
        """Apply one verified Resend event; returns what happened (for the HTTP answer and tests) and,
        for a reply, whose it was (the caller updates that contact's client context)."""
        event_type = str(event.get("type") or "")
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        assert isinstance(data, dict)
        occurred = _when(event.get("created_at")) or now
        row = await self._find_outbox(event_type, data) if event_type in EVENTS else None
        if row is None:
            async with self.db.tx("owner") as conn:
                cur = await conn.execute(
                    "INSERT INTO redkey.webhook_events (svix_id, event_type, email_id, occurred_at, outcome) "
                    "VALUES (%s, %s, %s, %s, 'unmatched') ON CONFLICT (svix_id) DO NOTHING",
                    (svix_id, event_type, data.get("email_id"), occurred))
            return WebhookOutcome("duplicate" if cur.rowcount == 0
                                  else ("ignored" if event_type not in EVENTS else "unmatched"))
        scoped = self.db.scoped(row["client_id"], source="resend", actor="resend-webhook")
        outcome = await self._apply(scoped, svix_id, event_type, data, row, occurred, now)
        reply = event_type == "email.received" and outcome != "duplicate"
        return WebhookOutcome(outcome, client_id=row["client_id"], reply_from=row["contact_id"] if reply else None)

    @staticmethod
    async def _apply(db: Db, svix_id: str, event_type: str, data: dict[str, Any], row: dict[str, Any],
                     occurred: datetime, now: datetime) -> str:
        kind, rank = EVENTS[event_type]
        email_id = str(data.get("email_id") or "")
        contact_id: UUID = row["contact_id"]
        outcome = "recorded"
        async with db.tx("operational", columns=["open_count"]) as conn:
            cur = await conn.execute(
                "INSERT INTO redkey.webhook_events (svix_id, client_id, event_type, email_id, occurred_at, outcome) "
                "VALUES (%s, redkey.current_client_id(), %s, %s, %s, 'applied') ON CONFLICT (svix_id) DO NOTHING",
                (svix_id, event_type, email_id or None, occurred))
            if cur.rowcount == 0:
                return "duplicate"
            if event_type == "email.sent" and row["status"] in ("unknown", "sending", "pending"):
                # Reconciliation: the email did go out (e.g. a crash lost the answer past the key's window).
                await conn.execute(
                    "UPDATE redkey.email_outbox SET status = 'sent', resend_email_id = coalesce(resend_email_id, %s),"
                    " sent_at = coalesce(sent_at, %s), lease_until = NULL, error = NULL, updated_at = %s WHERE id = %s",
                    (email_id or None, occurred, now, row["id"]))
                outcome = "reconciled"
            if rank:
                await conn.execute(
                    "UPDATE redkey.email_outbox SET delivery_status = %s, delivery_rank = %s, updated_at = %s "
                    "WHERE id = %s AND delivery_rank < %s", (event_type.split(".", 1)[1], rank, now, row["id"], rank))
            props: dict[str, Any] = {"email_id": email_id, "svix_id": svix_id, "event": event_type,
                                     "outbox_id": str(row["id"]), "enrollment_id": str(row["enrollment_id"]),
                                     "step": row["step"]}
            for extra in ("bounce", "click", "failed"):
                if isinstance(data.get(extra), dict):
                    props[extra] = data[extra]
            external = svix_id if event_type in _REPEATABLE else f"{email_id or row['id']}:{event_type}"
            direction = "inbound" if event_type == "email.received" else "outbound"
            await conn.execute(
                "INSERT INTO crm_activities (occurred_at, kind, channel, direction, subject, summary, contact_id,"
                " company_id, source, external_id, properties) SELECT %s, %s, 'email', %s, %s, %s, %s,"
                " (SELECT company_id FROM crm_contacts WHERE id = %s), 'resend', %s, %s",
                (occurred, kind, direction, str(data.get("subject") or "")[:500] or None,
                 _summary(event_type, data), contact_id, contact_id, external, Jsonb(props)))
            if event_type == "email.opened":
                await conn.execute("UPDATE crm_contacts SET open_count = open_count + 1 WHERE id = %s", (contact_id,))
            stop = _stop_reason(event_type, data)
            if stop:
                if event_type in ("email.bounced", "email.complained", "email.suppressed"):
                    await conn.execute(
                        "INSERT INTO redkey.contact_email_prefs (client_id, contact_id, suppressed_at, suppression_reason)"
                        " VALUES (redkey.current_client_id(), %s, %s, %s) ON CONFLICT (client_id, contact_id) DO UPDATE"
                        " SET suppressed_at = coalesce(contact_email_prefs.suppressed_at, EXCLUDED.suppressed_at),"
                        " suppression_reason = coalesce(contact_email_prefs.suppression_reason, EXCLUDED.suppression_reason),"
                        " updated_at = now()", (contact_id, occurred, stop))
                stopped = await _stop_contact(conn, contact_id, stop, now)
                outcome = f"stopped {stopped} enrollment(s): {stop}"
            elif event_type == "email.received":
                outcome = "auto-reply recorded; sequence continues"
        return outcome

    # --- unsubscribe ----------------------------------------------------------------------------
    async def unsubscribe_token(self, token: str, *, now: datetime) -> int:
        """One-click unsubscribe (RFC 8058): record it, end the contact's enrollments, cancel what is queued.
        Idempotent; raises NotFound for an unknown token. Returns the number of enrollments stopped."""
        async with self.db.tx("owner") as conn:
            cur = await conn.execute("SELECT unsubscribe_key FROM redkey.email_keys")
            key = await cur.fetchone()
        found = parse_token(key[0], token) if key else None
        if found is None:
            raise NotFound("unknown unsubscribe link")
        client_id, contact_id = found
        scoped = self.db.scoped(client_id, source="resend", actor="unsubscribe")
        async with scoped.tx("operational") as conn:
            await conn.execute(
                "INSERT INTO redkey.unsubscribe_tokens (token, client_id, contact_id, used_at) "
                "VALUES (%s, redkey.current_client_id(), %s, %s) ON CONFLICT (client_id, contact_id) "
                "DO UPDATE SET used_at = coalesce(unsubscribe_tokens.used_at, EXCLUDED.used_at)", (token, contact_id, now))
            await conn.execute(
                "INSERT INTO redkey.contact_email_prefs (client_id, contact_id, unsubscribed_at) "
                "VALUES (redkey.current_client_id(), %s, %s) ON CONFLICT (client_id, contact_id) DO UPDATE "
                "SET unsubscribed_at = coalesce(contact_email_prefs.unsubscribed_at, EXCLUDED.unsubscribed_at),"
                " updated_at = now()", (contact_id, now))
            await conn.execute(
                "INSERT INTO crm_activities (occurred_at, kind, channel, direction, summary, contact_id, source,"
                " external_id) VALUES (%s, 'email_unsubscribed', 'email', 'inbound', 'Unsubscribed (one-click)', %s,"
                " 'resend', %s)", (now, contact_id, f"unsubscribe:{token}"))
            return await _stop_contact(conn, contact_id, "unsubscribed", now)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _summary(event_type: str, data: dict[str, Any]) -> str:
    if event_type == "email.bounced" and isinstance(data.get("bounce"), dict):
        b = data["bounce"]
        return f"Bounced ({b.get('type', '?')}): {b.get('message', '')}"[:500]
    if event_type == "email.clicked" and isinstance(data.get("click"), dict):
        return f"Clicked {data['click'].get('link', '')}"[:500]
    if event_type == "email.received":
        return f"Reply from {_addr(data.get('from'))}"
    return event_type.split(".", 1)[1].replace("_", " ").capitalize()


def _stop_reason(event_type: str, data: dict[str, Any]) -> str | None:
    if event_type == "email.bounced":
        bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
        # A Temporary bounce is a soft bounce Resend retries; anything else ends the sequence.
        return None if str(bounce.get("type", "")).lower() == "temporary" else "bounced"
    if event_type == "email.complained":
        return "complained"
    if event_type == "email.suppressed":
        return "suppressed by Resend"
    if event_type == "email.received":
        return None if is_auto_reply(data) else "replied"
    return None


async def _stop_contact(conn: Any, contact_id: UUID, reason: str, now: datetime) -> int:
    cur = await conn.execute(
        "UPDATE crm_sequence_contacts SET status = 'complete', status_reason = %s, updated_at = %s "
        "WHERE contact_id = %s AND status IN ('active', 'paused')", (reason, now, contact_id))
    stopped = cur.rowcount
    await conn.execute(
        "UPDATE redkey.email_outbox SET status = 'cancelled', error = %s, updated_at = %s "
        "WHERE client_id = redkey.current_client_id() AND contact_id = %s AND status IN ('draft', 'pending')",
        (f"stopped: {reason}", now, contact_id))
    return int(stopped)
