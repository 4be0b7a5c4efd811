"""A contact's reply found in the mailbox: the same consequences as a reply reported by Resend's webhook
(the contact's sequences end, queued emails are cancelled, the client context opens a needs-reply thread)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID


async def apply_replies(store: Any, contact_ids: list[UUID], *, now: datetime) -> int:
    unique = sorted(set(contact_ids), key=str)
    stopped = await store.mail.stop_sequences_on_reply(unique, now=now)
    for cid in unique:
        await store._learn_from_reply(cid)
    return stopped
