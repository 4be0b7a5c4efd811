"""The transactional outbox behind exactly-once sequence emails.

1. **Plan** (one transaction): lock due enrollments (``FOR UPDATE SKIP LOCKED``), let the caller decide
   each one, then insert the outbox rows *and* advance the enrollments *and* count the sender's sends
   together. ``UNIQUE (enrollment_id, step)`` means a step is planned once, whatever crashes.
2. **Claim** (one transaction): pending rows, and rows whose lease ran out, become ``sending`` with a
   lease. A claimed row's ``send_mode``/``batch_id`` are frozen, so any retry re-sends the identical
   request under the identical Idempotency-Key and Resend answers with the original response instead of
   sending again. Rows whose first attempt is older than Resend's idempotency window become ``unknown``
   (reconciled from the ``email.sent`` webhook's tags; never blindly re-sent).
3. **Record** (one transaction per request): the outcome of each row on its own (sent / failed / unknown /
   released), the email_sent activity and the contact's counters.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.errors import DeadlockDetected, SerializationFailure
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from cockpit.email.unsubscribe import make_token
from cockpit.errors import CockpitError
from cockpit.sequences.models import ClaimResult, Decision, OutboxRow, PlannedEmail, WorkUnit
from cockpit.store.core import Db

# Resend keeps idempotency keys 24 h; stay clear of the edge.
IDEMPOTENCY_WINDOW = timedelta(hours=23)


# Due enrollments first (locked), then their contacts, companies and preferences by id: crm_contacts and
# crm_companies are views over Twenty's tables, and probing them by id is far cheaper than joining them.
_DUE_SQL = """
SELECT e.id AS enrollment_id, e.sequence_id, e.contact_id, e.current_step, e.next_due_at,
       s.name AS sequence_name, s.steps, s.sender, s.send_window, x.status AS outbox_status
FROM crm_sequence_contacts e
JOIN crm_sequences s ON s.id = e.sequence_id
LEFT JOIN redkey.email_outbox x ON x.enrollment_id = e.id AND x.step = e.current_step
WHERE e.status = 'active' AND e.next_due_at <= %s AND s.is_active
ORDER BY e.next_due_at, e.id
LIMIT %s
FOR UPDATE OF e SKIP LOCKED
"""
_CONTACTS_SQL = """
SELECT c.id AS found_contact, c.first_name, c.last_name, c.full_name, c.email, c.job_title, c.city, c.company_id,
       p.time_zone, p.unsubscribed_at, p.suppressed_at, p.suppression_reason
FROM crm_contacts c
LEFT JOIN redkey.contact_email_prefs p ON p.client_id = c.client_id AND p.contact_id = c.id
WHERE c.id = ANY(%s)
"""
_CONTACT_KEYS = ("found_contact", "first_name", "last_name", "full_name", "email", "job_title", "city", "company",
                 "time_zone", "unsubscribed_at", "suppressed_at", "suppression_reason")

_ROW_COLS = ("id, enrollment_id, step, sequence_id, contact_id, sender, to_email, subject, body_text, headers, tags,"
             " attempts, send_mode, batch_id, first_attempt_at, revision")
_CLAIMABLE = "(o.status = 'pending' OR (o.status = 'sending' AND o.lease_until < %(now)s))"

Decide = Callable[[list[dict[str, Any]], dict[UUID, str], dict[str, int]], list[Decision]]


def _columns(emails: list[tuple[Decision, PlannedEmail | None]]) -> list[list[Any]]:
    """Decisions as one list per outbox column (for ``unnest``)."""
    cols: list[list[Any]] = [[] for _ in range(11)]
    for d, e in emails:
        assert e is not None
        for i, v in enumerate((d.enrollment_id, e.step, e.sequence_id, e.contact_id, e.sender, e.to_email,
                               e.subject, e.body_text, Jsonb(e.headers), Jsonb(e.tags),
                               "pending" if d.action == "send" else "draft")):
            cols[i].append(v)
    return cols


class _CapOvershoot(Exception):
    """A concurrent planner used the sender's remaining cap first: decide this pass again."""


class OutboxRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def plan_due(self, now: datetime, decide: Decide, *, limit: int = 1000, default_sender: str = "",
                       daily_cap: int | None = None) -> list[Decision]:
        """Lock up to ``limit`` due enrollments, decide each, and write the decisions atomically.

        ``decide(rows, unsubscribe_tokens_by_contact, sent_today_by_sender)`` is pure; what it returns is
        written in this same transaction (outbox rows, enrollment moves, sender counters).

        The daily cap is checked optimistically, so several planners can work side by side: the sender's
        counter is read without a lock, and incremented (under its row lock, held only until commit) at the
        end; when a concurrent planner got there first and the count would pass ``daily_cap``, the whole
        pass rolls back and is decided again with the fresh count."""
        for _attempt in range(20):
            try:
                return await self._plan_once(now, decide, limit, default_sender, daily_cap)
            except _CapOvershoot:
                continue
        raise CockpitError("the daily-cap counter kept changing under the planner", "run the step again")

    async def _plan_once(self, now: datetime, decide: Decide, limit: int, default_sender: str,
                         daily_cap: int | None) -> list[Decision]:
        self.db.require_scope()
        # The signing key is the owner's: a role (or a client-bound login) that could read it could sign
        # unsubscribe links for another client's contacts.
        unsubscribe_key = await self.db.fetch_value("SELECT unsubscribe_key FROM redkey.email_keys", role="owner")
        async with self.db.tx("operational") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(_DUE_SQL, (now, limit))
            rows = await cur.fetchall()
            if not rows:
                return []
            contacts = list({r["contact_id"] for r in rows})
            await cur.execute(_CONTACTS_SQL, (contacts,))
            people = {r["found_contact"]: r for r in await cur.fetchall()}
            companies = list({p["company_id"] for p in people.values() if p["company_id"] is not None})
            await cur.execute("SELECT id, name FROM crm_companies WHERE id = ANY(%s)", (companies,))
            company_names = {r["id"]: r["name"] for r in await cur.fetchall()}
            for r in rows:
                person = people.get(r["contact_id"])
                if person is None:
                    r.update(dict.fromkeys(_CONTACT_KEYS))
                else:
                    r.update({k: person.get(k) for k in _CONTACT_KEYS if k != "company"})
                    r["company"] = company_names.get(person["company_id"])
            assert unsubscribe_key is not None, "migration 401 creates the unsubscribe key"
            client_id = self.db.require_scope()
            tokens = {c: make_token(unsubscribe_key, client_id, c) for c in contacts}
            senders = sorted({r["sender"] or default_sender for r in rows} - {""})
            await cur.execute("SELECT sender, sent FROM redkey.sends_today(%s, %s)", (now.date(), senders))
            sent_today = {r["sender"]: r["sent"] for r in await cur.fetchall()}
            decisions = decide(rows, tokens, sent_today)
            existing = {r["enrollment_id"] for r in rows if r["outbox_status"] is not None}
            await self._write_decisions(conn, decisions, now, existing)
            await self._count_sends(conn, decisions, now, daily_cap)
        return decisions

    @staticmethod
    async def _count_sends(conn: Any, decisions: list[Decision], now: datetime, daily_cap: int | None) -> None:
        per_sender: dict[str, int] = {}
        for d in decisions:
            if d.action == "send" and d.email is not None:
                per_sender[d.email.sender] = per_sender.get(d.email.sender, 0) + 1
        if not per_sender:
            return
        senders = sorted(per_sender)  # one lock order for every planner
        cur = await conn.execute("SELECT sent FROM redkey.count_sends(%s, %s::text[], %s::int[])",
                                 (now.date(), senders, [per_sender[x] for x in senders]))
        counts = [r[0] for r in await cur.fetchall()]
        if daily_cap is not None and any(n > daily_cap for n in counts):
            raise _CapOvershoot()

    async def _write_decisions(self, conn: Any, decisions: list[Decision], now: datetime,
                               existing: set[UUID]) -> None:
        """Outbox rows (a plain insert for new ones; an upsert where this step already has a row), enrollment
        moves and sender counters. ``existing``: enrollments whose current step already has an outbox row."""
        emails = [(d, d.email) for d in decisions if d.email is not None and d.action in ("send", "draft")]
        fresh = [(d, e) for d, e in emails if d.enrollment_id not in existing]
        again = [(d, e) for d, e in emails if d.enrollment_id in existing]
        if fresh:  # (COPY would be faster, but PostgreSQL refuses COPY FROM into a table with row security)
            await conn.execute(
                "INSERT INTO redkey.email_outbox (client_id, enrollment_id, step, sequence_id, contact_id, sender,"
                " to_email, subject, body_text, headers, tags, status, created_at, updated_at) "
                "SELECT redkey.current_client_id(), u.*, %s, %s FROM unnest(%b::uuid[], %b::int[], %b::uuid[],"
                " %b::uuid[], %b::text[], %b::text[], %b::text[], %b::text[], %b::jsonb[], %b::jsonb[], %b::text[]) AS u",
                [now, now, *_columns(fresh)])
        if again:
            cols = _columns(again)
            # draft: re-rendered. cancelled before any attempt: re-rendered. cancelled after an attempt: the very
            # same request again (same key, same body). failed (refused, nothing sent): a new revision, new key.
            fresh_content = "(o.first_attempt_at IS NULL OR o.status = 'failed')"
            await conn.execute(
                "INSERT INTO redkey.email_outbox AS o (client_id, enrollment_id, step, sequence_id, contact_id, sender,"
                " to_email, subject, body_text, headers, tags, status, created_at, updated_at) "
                "SELECT redkey.current_client_id(), u.*, %s, %s FROM unnest(%b::uuid[], %b::int[], %b::uuid[],"
                " %b::uuid[], %b::text[], %b::text[], %b::text[], %b::text[], %b::jsonb[], %b::jsonb[], %b::text[]) AS u "
                "ON CONFLICT (enrollment_id, step) DO UPDATE SET status = EXCLUDED.status, error = NULL,"
                + ", ".join(f" {c} = CASE WHEN {fresh_content} THEN EXCLUDED.{c} ELSE o.{c} END"
                            for c in ("sender", "to_email", "subject", "body_text", "headers", "tags")) +
                ", revision = o.revision + CASE WHEN o.status = 'failed' THEN 1 ELSE 0 END,"
                " send_mode = CASE WHEN o.status = 'failed' THEN NULL ELSE o.send_mode END,"
                " batch_id = CASE WHEN o.status = 'failed' THEN NULL ELSE o.batch_id END,"
                " first_attempt_at = CASE WHEN o.status = 'failed' THEN NULL ELSE o.first_attempt_at END,"
                " updated_at = EXCLUDED.updated_at "
                "WHERE o.status IN ('draft', 'cancelled', 'failed')", [now, now, *cols])
        moves = [d for d in decisions if d.action != "draft"]
        if moves:
            await conn.execute(
                "UPDATE crm_sequence_contacts e SET current_step = u.step, next_due_at = u.due, status = u.status,"
                " status_reason = u.reason, updated_at = %s "
                "FROM unnest(%b::uuid[], %b::int[], %b::timestamptz[], %b::text[], %b::text[]) AS u(id, step, due, status, reason) "
                "WHERE e.id = u.id",
                (now, [d.enrollment_id for d in moves], [d.current_step for d in moves],
                 [d.next_due_at for d in moves], [d.status for d in moves], [d.reason for d in moves]))

    # --- claim ----------------------------------------------------------------------------------
    async def claim_outbox(self, now: datetime, *, lease_seconds: float, batch_size: int = 100,
                           max_new: int = 1000) -> ClaimResult:
        """Claim work: frozen units first (same members, same key), then new rows in batches."""
        self.db.require_scope()
        result = ClaimResult()
        params = {"now": now, "window": now - IDEMPOTENCY_WINDOW}
        async with self.db.tx("operational") as conn:
            cur = conn.cursor(row_factory=dict_row)
            # Past Resend's idempotency window an earlier attempt can no longer be deduplicated: reconcile.
            await cur.execute(
                "UPDATE redkey.email_outbox o SET status = 'unknown', lease_until = NULL, updated_at = %(now)s,"
                " error = 'outcome unknown after the idempotency window; reconcile from webhooks, not re-sent' "
                f"WHERE o.client_id = redkey.current_client_id() AND {_CLAIMABLE} AND o.first_attempt_at IS NOT NULL"
                " AND o.first_attempt_at < %(window)s", params)
            result.expired = cur.rowcount
            await cur.execute(
                f"SELECT {_ROW_COLS} FROM redkey.email_outbox o WHERE o.client_id = redkey.current_client_id() "
                f"AND o.send_mode IS NOT NULL AND {_CLAIMABLE} ORDER BY o.batch_id, o.created_at, o.id "
                "FOR UPDATE SKIP LOCKED", params)
            frozen = [OutboxRow(**r) for r in await cur.fetchall()]
            await cur.execute(
                f"SELECT {_ROW_COLS} FROM redkey.email_outbox o WHERE o.client_id = redkey.current_client_id() "
                "AND o.send_mode IS NULL AND o.status = 'pending' ORDER BY o.created_at, o.id "
                "LIMIT %(max)s FOR UPDATE SKIP LOCKED", {**params, "max": max_new})
            fresh = [OutboxRow(**r) for r in await cur.fetchall()]
            batches: dict[UUID, list[OutboxRow]] = {}
            for r in frozen:
                if r.send_mode == "batch" and r.batch_id is not None:
                    batches.setdefault(r.batch_id, []).append(r)
                else:
                    result.units.append(WorkUnit("single", [r]))
            result.units[:0] = [WorkUnit("batch", rows) for rows in batches.values()]
            for i in range(0, len(fresh), batch_size):
                chunk = fresh[i:i + batch_size]
                if len(chunk) == 1:
                    chunk[0].send_mode = "single"
                    result.units.append(WorkUnit("single", chunk))
                else:
                    bid = uuid.uuid4()
                    for r in chunk:
                        r.send_mode, r.batch_id = "batch", bid
                    result.units.append(WorkUnit("batch", chunk))
            claimed = [r for u in result.units for r in u.rows]
            if claimed:
                await cur.execute(
                    "UPDATE redkey.email_outbox o SET status = 'sending', lease_until = %s, attempts = o.attempts + 1,"
                    " first_attempt_at = coalesce(o.first_attempt_at, %s), send_mode = u.mode, batch_id = u.bid,"
                    " updated_at = %s FROM unnest(%b::uuid[], %b::text[], %b::uuid[]) AS u(id, mode, bid) WHERE o.id = u.id",
                    (now + timedelta(seconds=lease_seconds), now, now, [r.id for r in claimed],
                     [r.send_mode for r in claimed], [r.batch_id for r in claimed]))
        return result

    # --- record outcomes --------------------------------------------------------------------------
    async def record_sent(self, rows: list[OutboxRow], email_ids: list[str], now: datetime) -> None:
        """Mark rows sent, log email_sent for each (deduped with the email.sent webhook) and bump the
        contact's counters, all in one transaction. Concurrent batches share companies (last_activity_at),
        so rows are written in company order and a deadlock is retried: Resend already has the email, and
        leaving the outcome unrecorded would cost a lease-long wait."""
        if not rows:
            return
        for attempt in range(1, 6):
            try:
                await self._record_sent(rows, email_ids, now)
                return
            except CockpitError as exc:
                if attempt == 5 or not isinstance(exc.__cause__, (DeadlockDetected, SerializationFailure)):
                    raise
                await asyncio.sleep(0.01 * attempt)

    async def _record_sent(self, rows: list[OutboxRow], email_ids: list[str], now: datetime) -> None:
        async with self.db.tx("operational", columns=["sequence_step", "email_thread_count"]) as conn:
            await conn.execute(
                "UPDATE redkey.email_outbox o SET status = 'sent', resend_email_id = u.eid, sent_at = %s,"
                " delivery_status = CASE WHEN o.delivery_rank > 1 THEN o.delivery_status ELSE 'sent' END,"
                " delivery_rank = greatest(o.delivery_rank, 1), lease_until = NULL, error = NULL, updated_at = %s "
                "FROM unnest(%b::uuid[], %b::text[]) AS u(id, eid) WHERE o.id = u.id AND o.status IN ('sending', 'unknown')",
                (now, now, [r.id for r in rows], email_ids))
            # Look the companies up by id (an index probe); joining the view would scan every contact.
            cur = await conn.execute("SELECT id, company_id FROM crm_contacts WHERE id = ANY(%s)",
                                     (list({r.contact_id for r in rows}),))
            company = {cid: co for cid, co in await cur.fetchall()}
            await conn.execute(
                "INSERT INTO crm_activities (occurred_at, kind, channel, direction, subject, summary, contact_id,"
                " company_id, source, external_id, properties) "
                "SELECT %s, 'email_sent', 'email', 'outbound', u.subject, 'Sequence step ' || (u.step + 1) || ' to ' || u.to_email,"
                " u.cid, u.coid, 'resend', u.eid || ':email.sent',"
                " jsonb_build_object('email_id', u.eid, 'outbox_id', u.oid, 'enrollment_id', u.enr, 'step', u.step,"
                " 'sequence_id', u.sid) "
                "FROM unnest(%b::uuid[], %b::text[], %b::uuid[], %b::uuid[], %b::int[], %b::text[], %b::text[], %b::uuid[],"
                " %b::uuid[]) AS u(oid, eid, enr, cid, step, subject, to_email, sid, coid) ORDER BY u.coid, u.cid",
                (now, [r.id for r in rows], email_ids, [r.enrollment_id for r in rows], [r.contact_id for r in rows],
                 [r.step for r in rows], [r.subject for r in rows], [r.to_email for r in rows],
                 [r.sequence_id for r in rows], [company.get(r.contact_id) for r in rows]))
            # One UPDATE per step value, by id: crm_contacts is a view, and an index probe per id is what
            # keeps this cheap (an UPDATE ... FROM join would scan the whole person table).
            by_step: dict[int, set[UUID]] = {}
            for r in rows:
                by_step.setdefault(r.step, set()).add(r.contact_id)
            for step in sorted(by_step):
                await conn.execute(
                    "UPDATE crm_contacts SET sequence_step = %s, email_thread_count = email_thread_count + %s "
                    "WHERE id = ANY(%s)", (step + 1, 1 if step == 0 else 0, sorted(by_step[step])))

    async def record_failed(self, rows: list[OutboxRow], error: str, now: datetime) -> None:
        """Resend refused these emails (validation): the row fails and its enrollment pauses with the reason."""
        async with self.db.tx("operational") as conn:
            await conn.execute(
                "UPDATE redkey.email_outbox SET status = 'failed', error = %s, lease_until = NULL, updated_at = %s "
                "WHERE id = ANY(%s)", (error, now, [r.id for r in rows]))
            # Back to the refused step, so resuming (after fixing the contact) sends it instead of skipping it.
            await conn.execute(
                "UPDATE crm_sequence_contacts SET status = 'paused', status_reason = %s, updated_at = %s,"
                " current_step = least(current_step, %s) "
                "WHERE id = ANY(%s) AND (status = 'active' OR (status = 'complete' AND status_reason = 'finished'))",
                (f"step {rows[0].step + 1} not sent: {error}"[:500], now, rows[0].step,
                 [r.enrollment_id for r in rows]))

    async def record_unknown(self, rows: list[OutboxRow], error: str, now: datetime) -> None:
        async with self.db.tx("operational") as conn:
            await conn.execute(
                "UPDATE redkey.email_outbox SET status = 'unknown', error = %s, lease_until = NULL, updated_at = %s "
                "WHERE id = ANY(%s) AND status = 'sending'", (error, now, [r.id for r in rows]))

    async def release(self, rows: list[OutboxRow], error: str, now: datetime, *, unfreeze: bool) -> None:
        """Give rows back for a later tick. ``unfreeze`` only when Resend certainly did not process the
        request (auth or quota refusal); otherwise the same request (and key) must be repeated."""
        async with self.db.tx("operational") as conn:
            await conn.execute(
                "UPDATE redkey.email_outbox SET status = 'pending', error = %s, lease_until = NULL, updated_at = %s"
                + (", send_mode = NULL, batch_id = NULL, first_attempt_at = NULL" if unfreeze else "")
                + " WHERE id = ANY(%s) AND status = 'sending'", (error, now, [r.id for r in rows]))

    async def split_batch(self, rows: list[OutboxRow], now: datetime) -> None:
        """A batch Resend refused whole (422, nothing sent): its members go out one by one, each under its
        own (enrollment, step) key, so one bad address cannot hold back or re-send the others."""
        async with self.db.tx("operational") as conn:
            await conn.execute(
                "UPDATE redkey.email_outbox SET send_mode = 'single', batch_id = NULL, updated_at = %s "
                "WHERE id = ANY(%s) AND status = 'sending'", (now, [r.id for r in rows]))
        for r in rows:
            r.send_mode, r.batch_id = "single", None
