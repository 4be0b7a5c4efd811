"""Calendar sync's writes: meeting activities per occurrence and contact, moved when the meeting moves,
retracted when it is cancelled. Occurrences last seen live in ``redkey.calendar_occurrences``; the
activities go through ``crm_activities`` as the owner login (moving or retracting an activity changes its
time and deletes it, which the field-owning roles may not do)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from cockpit.store.core import Db
from cockpit.store.mail import MailRepo


class CalendarRepo:
    def __init__(self, db: Db, mail: MailRepo) -> None:
        self.db = db
        self.mail = mail

    async def apply(self, source_ref: str, occurrences: list[Any], *, window: tuple[datetime, datetime],
                    me: set[str]) -> tuple[int, int, int]:
        """Bring the activities of one calendar source in line with ``occurrences`` (inside ``window``).
        Returns (created, moved or changed, retracted)."""
        client = self.db.require_scope()
        emails = sorted({a for o in occurrences for a in o.attendees + ([o.organizer] if o.organizer else [])
                         if a not in me})
        contacts = await self.mail.contacts_by_email(emails)
        wanted: dict[str, tuple[Any, list[Any], str]] = {}
        for o in occurrences:
            people = sorted({contacts[a] for a in o.attendees + ([o.organizer] if o.organizer else [])
                             if a in contacts}, key=lambda c: str(c.contact_id))
            if o.cancelled or not people:
                continue
            sig = hashlib.sha256(json.dumps([o.starts_at.isoformat(), o.ends_at.isoformat() if o.ends_at else None,
                                             o.summary, o.location, [str(c.contact_id) for c in people]]).encode()
                                 ).hexdigest()
            wanted[o.key] = (o, people, sig)
        created = changed = retracted = 0
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "SELECT occurrence_key, signature, activity_ids FROM redkey.calendar_occurrences "
                "WHERE client_id = %s AND source_ref = %s AND (starts_at >= %s AND starts_at < %s "
                "OR occurrence_key = ANY(%s))", (client, source_ref, window[0], window[1], list(wanted)))
            existing = {k: (sig, ids) for k, sig, ids in await cur.fetchall()}
            for key, (sig, ids) in existing.items():  # cancelled, or gone from the calendar: retract
                if key not in wanted:
                    if ids:
                        await conn.execute("DELETE FROM crm_activities WHERE id = ANY(%s)", (ids,))
                    await conn.execute("DELETE FROM redkey.calendar_occurrences WHERE client_id = %s "
                                       "AND source_ref = %s AND occurrence_key = %s", (client, source_ref, key))
                    retracted += 1
            for key, (o, people, sig) in wanted.items():
                old_sig, old_ids = existing.get(key, (None, []))
                if old_sig == sig:
                    continue
                have: dict[Any, Any] = {}
                if old_ids:
                    r = await conn.execute("SELECT contact_id, id FROM crm_activities WHERE id = ANY(%s)", (old_ids,))
                    have = {cid: aid for cid, aid in await r.fetchall()}
                keep = {c.contact_id for c in people}
                gone = [aid for cid, aid in have.items() if cid not in keep]
                if gone:
                    await conn.execute("DELETE FROM crm_activities WHERE id = ANY(%s)", (gone,))
                ids = []
                props = json.dumps({"uid": o.uid, "occurrence": key, "ends_at": o.ends_at, "all_day": o.all_day,
                                    "organizer": o.organizer, "attendees": o.attendees, "calendar": source_ref},
                                   default=str)
                direction = "outbound" if o.organizer in me else "inbound"
                for c in people:
                    if c.contact_id in have:  # the same meeting, moved or renamed: updated in place
                        await conn.execute(
                            "UPDATE crm_activities SET occurred_at = %s, subject = %s, summary = %s, properties = %s, "
                            "deal_id = %s WHERE id = %s",
                            (o.starts_at, o.summary or "(meeting)", o.location or None, props, c.deal_id,
                             have[c.contact_id]))
                        ids.append(have[c.contact_id])
                        continue
                    r = await conn.execute(
                        "INSERT INTO crm_activities (occurred_at, kind, channel, direction, subject, summary, "
                        "contact_id, company_id, deal_id, source, external_id, properties) VALUES (%s, 'meeting', "
                        "'calendar', %s, %s, %s, %s, %s, %s, 'calendar', %s, %s) RETURNING id",
                        (o.starts_at, direction, o.summary or "(meeting)", o.location or None, c.contact_id,
                         c.company_id, c.deal_id, f"{source_ref}|{key}#{c.contact_id}", props))
                    row = await r.fetchone()
                    if row:
                        ids.append(row[0])
                        created += 1
                await conn.execute(
                    "INSERT INTO redkey.calendar_occurrences AS o (client_id, source_ref, occurrence_key, starts_at, "
                    "ends_at, summary, signature, activity_ids) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (client_id, source_ref, occurrence_key) DO UPDATE SET starts_at = EXCLUDED.starts_at, "
                    "ends_at = EXCLUDED.ends_at, summary = EXCLUDED.summary, signature = EXCLUDED.signature, "
                    "activity_ids = EXCLUDED.activity_ids, synced_at = now()",
                    (client, source_ref, key, o.starts_at, o.ends_at, o.summary, sig, ids))
                if old_sig is not None:
                    changed += 1
        return created, changed, retracted
