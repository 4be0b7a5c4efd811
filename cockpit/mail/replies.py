"""A contact's reply found in the mailbox: the same consequences as a reply reported by Resend's webhook
(the contact's sequences end, queued emails are cancelled, the client context opens a needs-reply thread)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from cockpit.context.activity import learn_from_reply

CONTEXT_DAYS = 14  # a first sync reads months of mail: only recent replies open a needs-reply thread


async def apply_replies(store: Any, replies: list[tuple[UUID, datetime]], *, now: datetime) -> int:
    """``replies``: (contact, when the reply was written). Returns the enrollments ended."""
    stopped = await store.mail.stop_sequences_on_reply(replies, now=now)
    recent = sorted({cid for cid, at in replies if at >= now - timedelta(days=CONTEXT_DAYS)}, key=str)
    for cid in recent:
        await learn_from_reply(store, cid)
    return stopped
