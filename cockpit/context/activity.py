"""What arlo calls after logging an activity: the activity's lesson for the client context.

The mapping is deliberately small and deterministic (no LLM needed): an inbound email opens (or
refreshes) a thread that needs a reply, an outbound one answers it, a meeting or call records its next
steps, and facts an upstream extractor put in ``properties["facts"]`` are offered to the policy (which
appends them, or proposes them when they contradict what is known).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from cockpit.context.policy import ContextUpdate
from cockpit.context.service import update_context
from cockpit.errors import CockpitError
from cockpit.models import Activity

log = logging.getLogger(__name__)


def lesson_of(activity: Activity) -> ContextUpdate | None:
    """The context update an activity implies, or None when it teaches nothing."""
    props: dict[str, Any] = dict(activity.properties or {})
    when = activity.occurred_at.isoformat()
    update = ContextUpdate(evidence_refs=[f"activity:{activity.id}"])
    facts = props.get("facts")
    if isinstance(facts, list):
        update.facts = [f for f in facts if isinstance(f, (str, dict))]
    thread = str(props.get("thread_id") or activity.external_id or activity.subject or "")
    if activity.kind == "email_received" and thread:
        update.open_threads = [{"channel": "email", "thread_id": thread, "topic": activity.subject,
                                "last_message_at": when, "needs_reply": True}]
    elif activity.kind == "email_sent" and thread:
        update.open_threads = [{"channel": "email", "thread_id": thread, "topic": activity.subject,
                                "last_message_at": when, "needs_reply": False}]
    elif activity.kind in ("meeting", "call") and props.get("next_steps"):
        update.open_threads = [{"channel": activity.channel or activity.kind, "thread_id": thread,
                                "topic": activity.subject, "last_message_at": when,
                                "next_steps": list(props["next_steps"]), "needs_reply": True}]
    if not (update.facts or update.open_threads):
        return None
    return update


async def update_context_after(store: Any, activity: Activity) -> dict[str, Any] | None:
    """Apply an activity's lesson to its contact's context (None when there is nothing to learn)."""
    if activity.contact_id is None:
        return None
    update = lesson_of(activity)
    if update is None:
        return None
    return await update_context(store, activity.contact_id, update, changed_by=activity.source or "arlo")


async def learn_from_reply(store: Any, contact_id: UUID) -> None:
    """A reply opens a needs-reply thread in the contact's client context (appended, snapshotted to
    history). Best effort: the event itself is already recorded."""
    page = await store.activity.activities_page(contact_id=contact_id, kinds=["email_received"], limit=1)
    if page.items:
        try:
            await update_context_after(store, page.items[0])
        except CockpitError:
            log.warning("client context not updated after a reply from %s", contact_id, exc_info=True)
