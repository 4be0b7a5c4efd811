"""Deciding what each due enrollment does this tick (pure: rows in, decisions out; no I/O).

Order of the checks matters: a stopped contact (unsubscribed, suppressed) is finished before anything
is drafted; a closed window or a full daily cap reschedules without drafting; a missing merge field
pauses the enrollment with the reason, so nothing ever goes out as "Hi {{first_name}}".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from uuid import UUID

from cockpit.errors import ValidationFailed
from cockpit.sequences.models import Decision, PlannedEmail, SequenceStep
from cockpit.sequences.schedule import SendWindow, due_after, in_window, next_open, zone
from cockpit.sequences.templates import MissingMergeField, render


@dataclass(frozen=True)
class PlanPolicy:
    client_id: str
    default_sender: str
    daily_cap: int
    unsubscribe_base_url: str
    offline: bool = False


def sender_name(sender: str) -> str:
    name, addr = parseaddr(sender)
    return name or addr.split("@")[0]


def unsubscribe_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/{token}"


def decide_all(rows: list[dict[str, Any]], tokens: dict[UUID, str], sent_today: dict[str, int],
               *, now: datetime, policy: PlanPolicy) -> list[Decision]:
    remaining: dict[str, int] = {}
    out: list[Decision] = []
    steps_cache: dict[UUID, list[SequenceStep]] = {}
    for r in rows:
        sid = r["sequence_id"]
        if sid not in steps_cache:
            steps_cache[sid] = [SequenceStep.model_validate(s) for s in r["steps"]]
        sender = r["sender"] or policy.default_sender
        if sender not in remaining:
            remaining[sender] = policy.daily_cap - sent_today.get(sender, 0)
        out.append(_decide(r, steps_cache[sid], tokens, remaining, sender, now, policy))
    return out


def _decide(r: dict[str, Any], steps: list[SequenceStep], tokens: dict[UUID, str], remaining: dict[str, int],
            sender: str, now: datetime, policy: PlanPolicy) -> Decision:
    eid, k, due = r["enrollment_id"], r["current_step"], r["next_due_at"]

    def stop(status: str, reason: str) -> Decision:
        return Decision(eid, "pause" if status == "paused" else "complete", k, due, status, reason)

    if r["found_contact"] is None:
        return stop("paused", "the contact no longer exists")
    if r["unsubscribed_at"] is not None:
        return stop("complete", "unsubscribed")
    if r["suppressed_at"] is not None:
        return stop("complete", f"suppressed ({r['suppression_reason'] or 'bounce or complaint'})")
    if k >= len(steps):
        return Decision(eid, "complete", k, None, "complete", "finished")
    email = (r["email"] or "").strip()
    if "@" not in email:
        return stop("paused", f"step {k + 1}: the contact has no email address")
    try:
        window = SendWindow.from_json(r["send_window"])
    except ValidationFailed as exc:
        return stop("paused", f"the sequence's send window is invalid: {exc.message}")
    tz = zone(r["time_zone"], window.time_zone)
    if not in_window(now, tz, window):
        return Decision(eid, "reschedule", k, next_open(now, tz, window))
    if not policy.offline and remaining[sender] <= 0:
        return Decision(eid, "reschedule", k, next_open(now, tz, window, not_today=True),
                        reason=None)
    token = tokens.get(r["contact_id"], "")
    url = unsubscribe_url(policy.unsubscribe_base_url, token)
    values = {"first_name": r["first_name"], "last_name": r["last_name"], "full_name": r["full_name"],
              "email": email, "job_title": r["job_title"], "city": r["city"], "company": r["company"],
              "sender_name": sender_name(sender), "unsubscribe_url": url}
    step = steps[k]
    try:
        subject = render(step.subject, values)
        body = render(step.body, values)
    except MissingMergeField as exc:
        return stop("paused", f"step {k + 1} blocked: {exc.message}")
    except ValidationFailed as exc:
        return stop("paused", f"step {k + 1} blocked: {exc.message}")
    planned = PlannedEmail(
        step=k, sequence_id=r["sequence_id"], contact_id=r["contact_id"], sender=sender, to_email=email,
        subject=subject, body_text=body,
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        tags=[{"name": "client_id", "value": policy.client_id}, {"name": "enrollment_id", "value": str(eid)},
              {"name": "step", "value": str(k)}])
    if policy.offline:  # recorded for review, not sent; the enrollment stays due
        return Decision(eid, "draft", k, due, email=planned)
    remaining[sender] -= 1
    nxt = k + 1
    if nxt >= len(steps):
        return Decision(eid, "send", nxt, None, "complete", "finished", email=planned)
    return Decision(eid, "send", nxt, due_after(now, steps[nxt].wait_days, tz, window), email=planned)
