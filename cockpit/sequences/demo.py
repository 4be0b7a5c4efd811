"""Demo sequences for BezelIQ: three sequences with active enrollments, some due right now, so a new user
sees the loop work (``cockpit sequences step`` drafts them offline, or sends them with a Resend key).

Written as the owner, like the rest of the demo (which plays Twenty's part); deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

SENDER = "Justin <justin@bezeliq.com>"
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
         "Australia/Sydney"]

DEMO_SEQUENCES: list[tuple[str, list[dict[str, Any]]]] = [
    ("Cold intro — fleet analytics", [
        {"subject": "Fleet costs at {{company|your team}}", "wait_days": 0,
         "body": "Hi {{first_name|there}},\n\nTeams like {{company|yours}} cut idle fleet time by 12% with BezelIQ. "
                 "Worth a 15-minute look?\n\n{{sender_name}}"},
        {"subject": "Re: Fleet costs at {{company|your team}}", "wait_days": 3,
         "body": "Hi {{first_name|there}}, bumping this in case it got buried.\n\n{{sender_name}}"},
        {"subject": "Closing the loop", "wait_days": 4,
         "body": "Hi {{first_name}}, I'll stop here. If timing changes, just reply.\n\n{{sender_name}}"},
    ]),
    ("Post-demo follow-up", [
        {"subject": "Your BezelIQ demo: next steps", "wait_days": 0,
         "body": "Hi {{first_name}},\n\nThanks for the time today. The recording and the pilot outline are "
                 "attached to our deal room.\n\n{{sender_name}}"},
        {"subject": "Any questions on the pilot?", "wait_days": 2,
         "body": "Hi {{first_name}}, happy to walk {{company|your team}} through the pilot plan.\n\n{{sender_name}}"},
    ]),
    ("Re-engage quiet accounts", [
        {"subject": "Still on your radar, {{first_name|there}}?", "wait_days": 0,
         "body": "Hi {{first_name|there}}, it's been a while. Anything changed at {{company|your side}}?\n\n"
                 "{{sender_name}}"},
        {"subject": "One last idea", "wait_days": 5,
         "body": "Hi {{first_name|there}}, a short case study from a logistics team like yours.\n\n{{sender_name}}"},
    ]),
]


async def seed_sequences(conn: AsyncConnection, client: Any, rng: random.Random, now: datetime,
                         people: list[tuple[uuid.UUID, uuid.UUID, str]]) -> int:
    """Sequences + enrollments for ``client``; returns the number of enrollments. ``people`` are
    (contact id, company id, full name) as the demo created them."""
    pool = people[5:] if len(people) > 40 else people  # leave the named demo people out of cold email
    if not pool:
        return 0
    picks = rng.sample(pool, min(len(pool), 36))
    enrollments = []
    prefs = []
    ext = []
    for i, (name, steps) in enumerate(DEMO_SEQUENCES):
        sid = uuid.UUID(int=rng.getrandbits(128), version=4)
        await conn.execute(
            "INSERT INTO redkey.sequences (id, client_id, name, steps, is_active, sender, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, true, %s, %s, %s)",
            (sid, client.client_id, name, Jsonb(steps), SENDER, now - timedelta(days=30 - i), now - timedelta(days=2)))
        for j, (pid, _cid, _full) in enumerate(picks[i * 12:(i + 1) * 12]):
            step = j % len(steps)
            enrolled = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            status, reason = "active", None
            # About half are due now (so the first step visibly does something), the rest later.
            due = now - timedelta(hours=rng.randint(1, 30)) if j % 2 == 0 else now + timedelta(days=rng.randint(1, 6))
            if j == 11:
                status, reason, due = "complete", "replied", None
            elif j == 9:
                status, reason = "paused", "paused by user"
            enrollments.append((uuid.UUID(int=rng.getrandbits(128), version=4), client.client_id, sid, pid, step, due,
                                status, reason, enrolled, enrolled))
            prefs.append((client.client_id, pid, rng.choice(ZONES)))
            ext.append((client.client_id, pid, step, enrolled))
    async with conn.cursor().copy(
            "COPY redkey.sequence_enrollments (id, client_id, sequence_id, contact_id, current_step, next_due_at, "
            "status, status_reason, enrolled_at, updated_at) FROM STDIN") as copy:
        for row in enrollments:
            await copy.write_row(row)
    await conn.cursor().executemany(
        "INSERT INTO redkey.contact_email_prefs (client_id, contact_id, time_zone) VALUES (%s, %s, %s) "
        "ON CONFLICT (client_id, contact_id) DO NOTHING", prefs)
    await conn.cursor().executemany(
        "INSERT INTO redkey.contact_ext (client_id, record_id, sequence_step, sequence_enrolled_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (client_id, record_id) DO UPDATE SET "
        "sequence_step = EXCLUDED.sequence_step, sequence_enrolled_at = EXCLUDED.sequence_enrolled_at", ext)
    return len(enrollments)
