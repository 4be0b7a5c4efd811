"""Shared helpers for the sequence/email tests (fixtures live in the test modules that use them)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import psycopg
import pytest

from cockpit.store import Store

# A Friday afternoon in UTC, inside the default 09:00-17:00 window.
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)

STEPS: list[dict[str, Any]] = [
    {"subject": "Quick question, {{first_name|there}}", "body": "Hi {{first_name|there}},\n\nAt {{company|your team}}...\n\n{{sender_name}}", "wait_days": 0},
    {"subject": "Re: quick question", "body": "Following up, {{first_name}}.", "wait_days": 2},
    {"subject": "Last note", "body": "Closing the loop.", "wait_days": 3},
]


async def contacts_with_email(store: Store, n: int) -> list[UUID]:
    rows = await store.db.fetch_dicts(
        "SELECT id FROM crm_contacts WHERE email LIKE '%%@%%' AND first_name <> '' ORDER BY id LIMIT %s", (n,))
    assert len(rows) == n
    return [r["id"] for r in rows]


async def enroll_many(store: Store, n: int, *, name: str = "Intro", steps: list[dict[str, Any]] | None = None,
                      now: datetime = NOW, sender: str | None = None) -> list[UUID]:
    seq = await store.sequences.create_sequence(name, steps or STEPS, sender=sender)
    out = []
    for cid in await contacts_with_email(store, n):
        out.append((await store.sequences.enroll(cid, seq.id, now=now)).id)
    return out


@pytest.fixture(autouse=True)
async def no_demo_sequences(db_url: str) -> None:
    """These tests count exactly what they enroll: drop the demo's sequences (and their enrollments)."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute("DELETE FROM redkey.sequences")
        await conn.execute("DELETE FROM redkey.contact_email_prefs")
