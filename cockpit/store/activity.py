"""The live activity feed's reads over crm_activities (Layer 2 only).

New rows are announced by the change feed (:mod:`cockpit.store.changes`: kind ``activity`` on the
client's change channel, plus a poll of the feed's head for rows Twenty writes into its own tables); the
screen then asks for the rows newer than the newest one it shows (:meth:`ActivityRepo.feed_newer`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from cockpit.activity.filters import ActivityFilter
from cockpit.db.like import contains_pattern
from cockpit.models import Activity, Page
from cockpit.store.core import Db, keyset_page

log = logging.getLogger(__name__)

Key = tuple[datetime, UUID]


_MAX_WINDOW = timedelta(days=4000)


def _where(f: ActivityFilter, extra: list[str], params: list[Any]) -> str:
    conds = list(extra)
    for col, value in (("contact_id", f.contact_id), ("company_id", f.company_id), ("deal_id", f.deal_id)):
        if value is not None:
            conds.append(f"{col} = %s")
            params.append(value)
    for col, values in (("kind", f.kinds), ("channel", f.channels), ("source", f.sources)):
        if values:
            conds.append(f"{col} = ANY(%s)")
            params.append(list(values))
    if f.text and f.text.strip():
        pattern = contains_pattern(f.text.strip())
        conds.append("(subject ILIKE %s OR summary ILIKE %s)")
        params.extend([pattern, pattern])
    return ("WHERE " + " AND ".join(conds)) if conds else ""


class ActivityRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    _feed_window: timedelta = timedelta(days=1)

    async def feed_page(self, f: ActivityFilter, *, before: Key | None = None, limit: int = 100) -> Page[Activity]:
        """One page of history, newest first; ``before`` is the last row's (occurred_at, id).

        crm_activities is a UNION ALL over RedKey's log and Twenty's tables, and Postgres will not
        merge-append it by the index, so ``ORDER BY occurred_at DESC LIMIT n`` sorts every row of
        every branch. The page therefore asks for a time window first (one day back from the
        cursor, then 8x wider while it comes back short), which RedKey's branch serves from
        activities_feed_idx; only a sparse feed ends with the unbounded query."""
        window = self._feed_window
        while True:
            lower = None if window is None else (before[0] if before else None, window)
            rows = await self._feed_query(f, before, lower, limit + 1)
            if len(rows) > limit or window is None:
                break
            window = window * 8 if window < _MAX_WINDOW else None
        return keyset_page(rows, limit, lambda a: (a.occurred_at, a.id))

    async def activities_page(self, *, before: Key | None = None, limit: int = 50,
                              contact_id: UUID | None = None, company_id: UUID | None = None,
                              deal_id: UUID | None = None, kinds: list[str] | None = None,
                              channels: list[str] | None = None, sources: list[str] | None = None,
                              text: str | None = None) -> Page[Activity]:
        """A timeline page (a contact's, a deal's, a company's): :meth:`feed_page` with the filter as keywords."""
        f = ActivityFilter(text=text, kinds=tuple(kinds or ()), channels=tuple(channels or ()),
                           sources=tuple(sources or ()), contact_id=contact_id, company_id=company_id, deal_id=deal_id)
        return await self.feed_page(f, before=before, limit=limit)

    async def _feed_query(self, f: ActivityFilter, before: Key | None,
                          lower: tuple[datetime | None, timedelta] | None, limit: int) -> list[Activity]:
        params: list[Any] = []
        extra: list[str] = []
        if before is not None:
            extra.append("(occurred_at, id) < (%s, %s)")
            params.extend(before)
        if lower is not None:
            anchor, span = lower
            extra.append("occurred_at >= coalesce(%s::timestamptz, now()) - %s::interval")
            params.extend([anchor, span])
        where = _where(f, extra, params)
        return await self.db.fetch_models(
            Activity, f"SELECT * FROM crm_activities {where} ORDER BY occurred_at DESC, id DESC LIMIT %s",
            [*params, limit])

    async def feed_newer(self, f: ActivityFilter, after: Key | None, *, limit: int = 500) -> list[Activity]:
        """Rows newer than ``after`` (the newest row shown), newest first, at most ``limit``."""
        if after is None:
            return (await self.feed_page(f, limit=limit)).items
        params: list[Any] = [after[0], *after]
        where = _where(f, ["occurred_at >= %s", "(occurred_at, id) > (%s, %s)"], params)
        return await self.db.fetch_models(
            Activity, f"SELECT * FROM crm_activities {where} ORDER BY occurred_at DESC, id DESC LIMIT %s",
            [*params, limit])

    async def feed_head(self, after: Key | None = None) -> Key | None:
        """The newest (occurred_at, id) of the client's activities (newer than ``after`` if given):
        the cheap poll. None when there is none (newer)."""
        if after is None:
            page = await self.feed_page(ActivityFilter(), limit=1)
            return (page.items[0].occurred_at, page.items[0].id) if page.items else None
        rows = await self.feed_newer(ActivityFilter(), after, limit=1)
        return (rows[0].occurred_at, rows[0].id) if rows else None

    async def feed_by_ids(self, f: ActivityFilter, ids: list[UUID] | tuple[UUID, ...]) -> list[Activity]:
        """These activities if they pass the filter (a notification names rows that may be back-dated)."""
        if not ids:
            return []
        params: list[Any] = [list(ids)]
        where = _where(f, ["id = ANY(%s)"], params)
        return await self.db.fetch_models(
            Activity, f"SELECT * FROM crm_activities {where} ORDER BY occurred_at DESC, id DESC", params)

    async def record_names(self, contact_ids: set[UUID], deal_ids: set[UUID]) -> dict[UUID, str]:
        """Display names of the contacts and deals a page of activities mentions (two indexed lookups)."""
        names: dict[UUID, str] = {}
        async with self.db.tx("readonly") as conn:
            if contact_ids:
                cur = await conn.execute("SELECT id, full_name FROM crm_contacts WHERE id = ANY(%s)", (list(contact_ids),))
                names.update({r[0]: r[1] for r in await cur.fetchall()})
            if deal_ids:
                cur = await conn.execute("SELECT id, name FROM crm_deals WHERE id = ANY(%s)", (list(deal_ids),))
                names.update({r[0]: r[1] for r in await cur.fetchall()})
        return names
