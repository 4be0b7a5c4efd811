"""The sequence step: find due enrollments, draft, send through Resend, log, advance.

Call it from anywhere (arlo's task engine registers it as task type ``sequence_step``; the CLI has
``cockpit sequences step``)::

    report = await sequence_step(store, settings, now=datetime.now(timezone.utc))

``store`` is scoped to one client. With no ``COCKPIT_RESEND_API_KEY`` the step is **offline**: it renders
every due email into the outbox as a ``draft`` (visible for review) and sends nothing; the enrollments
stay due until a key is configured.

Crash safety: planning and claiming are transactions (see :mod:`cockpit.store.outbox`); a crash after
Resend accepted a request but before the outcome was recorded leaves the rows ``sending`` under a lease;
the next tick after the lease re-sends the identical request with the identical Idempotency-Key and
Resend returns the original answer without sending again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from cockpit.config import Settings
from cockpit.email.resend import (
    EmailMessage,
    ResendAuthError,
    ResendClient,
    ResendError,
    ResendIdempotencyConflict,
    ResendQuotaError,
    ResendUnavailable,
    ResendValidationError,
)
from cockpit.sequences.models import OutboxRow, WorkUnit
from cockpit.sequences.planner import PlanPolicy, decide_all


@dataclass
class StepReport:
    client_id: str
    now: datetime
    offline: bool = False
    due: int = 0
    drafted: int = 0
    planned: int = 0
    rescheduled: int = 0
    paused: int = 0
    completed: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    released: int = 0
    requests: int = 0
    batches: int = 0
    retries: int = 0
    rate_limited_seconds: float = 0.0
    plan_seconds: float = 0.0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.offline:
            head = (f"offline (no COCKPIT_RESEND_API_KEY): {self.drafted} draft(s) recorded, nothing sent")
        else:
            head = f"sent {self.sent} of {self.planned} planned in {self.batches} batch(es)"
        parts = [head]
        for label, n in (("rescheduled", self.rescheduled), ("paused", self.paused), ("completed", self.completed),
                         ("failed", self.failed), ("unknown", self.unknown), ("retry later", self.released)):
            if n:
                parts.append(f"{n} {label}")
        return "; ".join(parts + self.errors)

    def as_output(self) -> dict[str, Any]:
        out = asdict(self)
        out["now"] = self.now.isoformat()
        out["summary"] = self.summary
        return out


CrashHook = Callable[[WorkUnit], None]
BATCH = 100


def _message(row: OutboxRow) -> EmailMessage:
    # Everything comes from the stored row, so a retry's body is byte-identical (same key, same body).
    return EmailMessage(sender=row.sender, to=[row.to_email], subject=row.subject, text=row.body_text,
                        headers=dict(row.headers),
                        tags=[*row.tags, {"name": "outbox_id", "value": str(row.id)}])


async def sequence_step(store: Any, settings: Settings, *, now: datetime | None = None,
                        resend: ResendClient | None = None, plan_limit: int = 1000,
                        crash_after_send: CrashHook | None = None, concurrency: int = 4,
                        planners: int = 2) -> StepReport:
    """One tick for the store's client. ``resend`` overrides the client built from settings;
    ``crash_after_send`` is a test seam called after Resend accepted a request, before it is recorded;
    ``concurrency`` is how many batches may be in flight at once (Resend's rate-limit headers pace them);
    ``planners`` how many planning transactions run side by side."""
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    client_id = store.db.require_scope()
    offline = resend is None and not settings.resend_api_key
    report = StepReport(client_id=client_id, now=now, offline=offline)
    policy = PlanPolicy(client_id=client_id, default_sender=settings.sender_email, daily_cap=settings.sender_daily_cap,
                        unsubscribe_base_url=settings.unsubscribe_base_url, offline=offline)

    def decide(rows, tokens, sent_today):  # type: ignore[no-untyped-def]
        return decide_all(rows, tokens, sent_today, now=now, policy=policy)

    if offline:
        await _plan_all(store, now, decide, plan_limit, report, offline=True, sender=settings.sender_email,
                        daily_cap=settings.sender_daily_cap)
        report.notes.append("offline: set COCKPIT_RESEND_API_KEY to send; drafts are in the outbox")
        report.seconds = time.perf_counter() - started
        return report

    client = resend or ResendClient(settings.resend_api_key or "", settings.resend_base_url)
    state = _Delivery(asyncio.Condition())
    try:
        # Planning and delivery overlap: workers claim what each planning pass commits (SKIP LOCKED
        # keeps them apart), so HTTP round trips and database writes run side by side.
        workers = [asyncio.create_task(_worker(store, client, now, settings, report, crash_after_send, state))
                   for _ in range(max(1, concurrency))]
        try:
            # Planners run side by side too (SKIP LOCKED splits the due rows; the cap is checked optimistically).
            await asyncio.gather(*(_plan_all(store, now, decide, plan_limit, report, offline=False, state=state,
                                             sender=settings.sender_email, daily_cap=settings.sender_daily_cap)
                                   for _ in range(max(1, planners))))
        finally:
            await state.advance(done=True)
        results = await asyncio.gather(*workers, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
    finally:
        report.requests = client.requests
        report.retries = client.retries
        report.rate_limited_seconds = client.rate_limited_seconds
        if resend is None:
            await client.aclose()
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Delivery:
    """What delivery workers know of planning: how many passes are committed, and whether it is over."""

    changed: asyncio.Condition
    passes: int = 0
    planning_done: bool = False
    stop: str | None = None

    async def advance(self, *, done: bool = False) -> None:
        async with self.changed:
            self.passes += 1
            self.planning_done = self.planning_done or done
            self.changed.notify_all()

    async def wait_beyond(self, seen: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.passes > seen or self.planning_done)


async def _plan_all(store: Any, now: datetime, decide: Any, plan_limit: int, report: StepReport, *,
                    offline: bool, sender: str, daily_cap: int, state: _Delivery | None = None) -> None:
    for _ in range(1000):  # bounded: each pass moves its rows out of "due" (drafts excepted: one pass)
        if state is not None and state.stop:
            return
        t0 = time.perf_counter()
        decisions = await store.outbox.plan_due(now, decide, limit=plan_limit, default_sender=sender,
                                         daily_cap=None if offline else daily_cap)
        report.plan_seconds += time.perf_counter() - t0
        report.due += len(decisions)
        for d in decisions:
            if d.action == "send":
                report.planned += 1
            elif d.action == "draft":
                report.drafted += 1
            elif d.action == "reschedule":
                report.rescheduled += 1
            elif d.action == "pause":
                report.paused += 1
            elif d.action == "complete":
                report.completed += 1
        if state is not None:
            await state.advance()
        if offline or len(decisions) < plan_limit:
            return


async def _worker(store: Any, client: ResendClient, now: datetime, settings: Settings, report: StepReport,
                  crash: CrashHook | None, state: _Delivery) -> None:
    while state.stop is None:
        # Read before claiming: an empty claim after the last committed pass means there is nothing left.
        done_before, seen = state.planning_done, state.passes
        claim = await store.outbox.claim_outbox(now, lease_seconds=settings.lease_seconds, max_new=BATCH)
        report.unknown += claim.expired
        if not claim.units:
            if done_before:
                return
            await state.wait_beyond(seen)
            continue
        for i, unit in enumerate(claim.units):
            if state.stop is None:
                state.stop = await _deliver(store, client, unit, now, report, crash)
                if state.stop is None:
                    continue
                later = claim.units[i + 1:]
            else:
                later = claim.units[i:]
            for rest in later:
                await _give_back(store, rest.rows, "not attempted: " + state.stop, now)
                report.released += len(rest.rows)
            return


async def _give_back(store: Any, rows: list[OutboxRow], error: str, now: datetime) -> None:
    fresh = [r for r in rows if r.first_attempt_at is None]
    frozen = [r for r in rows if r.first_attempt_at is not None]
    if fresh:
        await store.outbox.release(fresh, error, now, unfreeze=True)
    if frozen:
        await store.outbox.release(frozen, error, now, unfreeze=False)


async def _deliver(store: Any, client: ResendClient, unit: WorkUnit, now: datetime, report: StepReport,
                   crash: CrashHook | None) -> str | None:
    """Send one unit and record its outcome; returns a reason when delivery must stop for this tick."""
    try:
        if unit.mode == "batch":
            report.batches += 1
            try:
                ids = await client.send_batch([_message(r) for r in unit.rows], idempotency_key=unit.idempotency_key)
            except ResendValidationError as exc:
                # Strict batches fail whole: nothing went out. Send each on its own key instead.
                report.notes.append(f"batch refused ({exc.message}); sending its {len(unit.rows)} emails one by one")
                await store.outbox.split_batch(unit.rows, now)
                for row in unit.rows:
                    stop = await _deliver(store, client, WorkUnit("single", [row]), now, report, crash)
                    if stop:
                        return stop
                return None
        else:
            row = unit.rows[0]
            try:
                ids = [await client.send(_message(row), idempotency_key=row.idempotency_key)]
            except ResendValidationError as exc:
                await store.outbox.record_failed([row], exc.message, now)
                report.failed += 1
                return None
        if crash is not None:
            crash(unit)
        await store.outbox.record_sent(unit.rows, ids, now)
        report.sent += len(unit.rows)
        return None
    except ResendIdempotencyConflict as exc:
        await store.outbox.record_unknown(unit.rows, exc.message, now)
        report.unknown += len(unit.rows)
        return None
    except (ResendQuotaError, ResendAuthError) as exc:  # refused before processing: unfreeze the fresh ones
        await _give_back(store, unit.rows, exc.message, now)
        report.released += len(unit.rows)
        report.errors.append(str(exc))
        return exc.message
    except ResendUnavailable as exc:  # the outcome may be unknown: keep the request frozen
        await store.outbox.release(unit.rows, exc.message, now, unfreeze=False)
        report.released += len(unit.rows)
        report.errors.append(str(exc))
        return exc.message
    except ResendError as exc:
        await store.outbox.release(unit.rows, exc.message, now, unfreeze=False)
        report.released += len(unit.rows)
        report.errors.append(str(exc))
        return exc.message
