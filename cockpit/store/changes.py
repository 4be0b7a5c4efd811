"""The change feed's reads: the client's change channel, the header counters and the cheap poll.

Writes the screens show are announced at commit on the client's own change channel
(``redkey.change_channel()``, a keyed hash of the client id) with the payload ``<kind>:<id>``; one
dedicated LISTEN connection hears them (:meth:`ChangesRepo.batches`). Two things raise no notification:
rows Twenty writes into its own tables, and everything behind a transaction pooler (which cannot
LISTEN). For those the feed polls :meth:`ChangesRepo.fingerprint`, one value per kind, and reports
every kind whose value moved. Where triggers stamp every write statement (Twenty's opportunity, person,
company, timeline and note tables; RedKey's extension and activity tables) the value is read from a
few stamp rows; elsewhere it is an aggregate over the kind's rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from cockpit.errors import DatabaseUnavailable
from cockpit.models import Counters
from cockpit.store.core import Db

# "task" is arlo's work queue; "crm_task" Twenty's tasks on records (crm_tasks), "note" its notes.
KINDS = ("deal", "contact", "company", "activity", "task", "inbox", "proposal", "decision", "sequence",
         "enrollment", "outbox", "note", "crm_task")

# What Twenty can change behind our back (always polled), and what only RedKey writes (polled only when
# there is no LISTEN). Each is one value per kind over the client's scoped rows.
_SCAN = "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM {}"


def _stamped(relations: str, scan: str) -> str:
    """The stamps of Twenty's writes to the client's ``relations`` (redkey.change_stamps, a few rows),
    or ``scan`` over the view while some workspace table of the client is not stamped."""
    return f"SELECT coalesce(redkey.changes_stamp(%(c)s, ARRAY[{relations}]), ({scan}))"


_TWENTY_POLL = {
    # Twenty's writes to its deals leave rows in the per-stage totals (redkey.deal_changes_stamp); a
    # client with a workspace not tracked there is scanned.
    "deal": "SELECT coalesce(redkey.deal_changes_stamp(%(c)s), (SELECT count(*)::text || '/' ||"
            " coalesce(max(updated_at)::text, '') FROM crm_deals))",
    "contact": _stamped("'person'", _SCAN.format("crm_contacts")),
    "company": _stamped("'company'", _SCAN.format("crm_companies")),
    "activity": _stamped("'timelineActivity', 'note', 'noteTarget'",
                         "SELECT coalesce(max(occurred_at)::text, '') FROM crm_activities"),
    "note": _stamped("'note', 'noteTarget'", _SCAN.format("crm_notes")),
    "crm_task": _stamped("'task', 'taskTarget'", _SCAN.format("crm_tasks")),
}
# RedKey's own deal fields (announced when listening; the stamps above see only Twenty's table).
_DEAL_EXT_POLL = ("SELECT coalesce(redkey.rows_stamp(%(c)s, 'deal_ext'), (SELECT count(*)::text || '/' ||"
                  " coalesce(max(updated_at)::text, '') FROM redkey.deal_ext WHERE client_id = %(c)s))")
# RedKey's rows behind the other stamped kinds (announced when listening): their own stamps
# (redkey.rows_stamp), or a scan while a trigger is disabled.
_REDKEY_ROWS = {
    "contact": ("contact_ext", "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '')"
                " FROM redkey.contact_ext WHERE client_id = %(c)s"),
    "company": ("company_ext", "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '')"
                " FROM redkey.company_ext WHERE client_id = %(c)s"),
    "activity": ("activities", "SELECT count(*)::text || '/' || coalesce(max(occurred_at)::text, '')"
                 " FROM redkey.activities WHERE client_id = %(c)s"),
}
_REDKEY_POLL = {
    "task": "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM redkey.tasks WHERE client_id = %(c)s",
    "inbox": "SELECT count(*)::text || '/' || count(read_at)::text FROM redkey.exec_inbox WHERE client_id = %(c)s",
    "proposal": "SELECT count(*)::text || '/' || count(*) FILTER (WHERE status = 'pending')::text"
                " FROM redkey.proposals WHERE client_id = %(c)s",
    "enrollment": "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '')"
                  " FROM redkey.sequence_enrollments WHERE client_id = %(c)s",
    "outbox": "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '')"
              " FROM redkey.email_outbox WHERE client_id = %(c)s",
}


def fingerprint_sql(*, everything: bool) -> str:
    """The poll's one query (parameter ``c``: the client): Twenty's kinds, and with ``everything`` (no
    LISTEN) RedKey's too."""
    parts = dict(_TWENTY_POLL)
    if everything:
        parts.update(_REDKEY_POLL)  # (their tables are small: a scan of the client's rows)
        parts["deal"] = f"SELECT ({parts['deal']}) || '|' || ({_DEAL_EXT_POLL})"
        for kind, (table, scan) in _REDKEY_ROWS.items():
            parts[kind] = (f"SELECT ({parts[kind]}) || '|' || "
                           f"coalesce(redkey.rows_stamp(%(c)s, '{table}'), ({scan}))")
    return "SELECT " + ", ".join(f"({q}) AS {k}" for k, q in parts.items())


@dataclass(frozen=True)
class Change:
    """One announced change: ``kind`` (see :data:`KINDS`) and the row's id, or None for "some row of this
    kind changed" (a poll cannot say which)."""

    kind: str
    id: str | None = None

    @classmethod
    def parse(cls, payload: str) -> "Change | None":
        kind, sep, rid = payload.partition(":")
        if not sep or kind not in KINDS:
            return None
        return cls(kind, rid or None)


def _raise_or(item: "Change | BaseException") -> "Change":
    if isinstance(item, BaseException):
        raise item
    return item


class ChangesRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    @property
    def listens(self) -> bool:
        """False behind a transaction pooler (no LISTEN there): the feed then polls everything."""
        mode = getattr(self.db.pool, "mode", None)
        return not (mode is not None and getattr(mode, "transaction", False))

    async def counters(self) -> Counters:
        client = self.db.require_scope()
        row = await self.db.fetch_dicts(
            "SELECT (SELECT count(*) FROM redkey.proposals WHERE client_id = %(c)s AND status = 'pending')::int AS a,"
            " (SELECT count(*) FROM redkey.tasks WHERE client_id = %(c)s AND status = 'blocked')::int AS q,"
            " (SELECT count(*) FROM redkey.exec_inbox WHERE client_id = %(c)s AND read_at IS NULL)::int AS u",
            {"c": client}, role="owner")
        return Counters(row[0]["a"], row[0]["q"], row[0]["u"]) if row else Counters()

    async def fingerprint(self, *, everything: bool) -> dict[str, str]:
        """One value per polled kind; a kind whose value moved has changed."""
        client = self.db.require_scope()
        rows = await self.db.fetch_dicts(fingerprint_sql(everything=everything), {"c": client}, role="owner")
        return {k: str(v) for k, v in (rows[0] if rows else {}).items()}

    async def batches(self, *, poll_seconds: float = 5.0, coalesce_seconds: float = 0.005,
                      ready: asyncio.Event | None = None) -> AsyncIterator[list[Change]]:
        """Yield the changes announced for the client, a burst at a time (everything that arrived within
        ``coalesce_seconds`` of the first), plus whatever the poll finds every ``poll_seconds``. Runs until
        cancelled, on one extra connection when it listens. ``ready`` is set once listening."""
        self.db.require_scope()
        if not self.listens:
            async for batch in self._polled(poll_seconds, ready, everything=True):
                yield batch
            return
        channel = await self.db.fetch_value("SELECT redkey.change_channel()", role="owner")
        try:
            listener = await psycopg.AsyncConnection.connect(self.db.pool.conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise DatabaseUnavailable("cannot open the change feed's connection", str(exc).strip()) from exc
        try:
            await listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            async for batch in self._listened(listener, poll_seconds, coalesce_seconds, ready):
                yield batch
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable("the change feed lost its database connection", "reconnecting") from exc
        finally:
            await listener.close()

    async def _listened(self, listener: psycopg.AsyncConnection, poll_seconds: float, coalesce_seconds: float,
                        ready: asyncio.Event | None) -> AsyncIterator[list[Change]]:
        # One reader for the connection's whole life: notifications arriving together (one transaction's)
        # come in one read, and leaving a notifies() generator early would drop the rest of that read.
        queue: asyncio.Queue[Change | BaseException] = asyncio.Queue()

        async def read() -> None:
            try:
                async for note in listener.notifies():
                    change = Change.parse(note.payload)
                    if change is not None:
                        queue.put_nowait(change)
            except Exception as exc:  # noqa: BLE001 - handed to the loop below, which raises it
                queue.put_nowait(exc)

        reader = asyncio.create_task(read())
        try:
            seen = await self.fingerprint(everything=False)
            if ready is not None:
                ready.set()
            loop = asyncio.get_running_loop()
            next_poll = loop.time() + poll_seconds
            while True:
                batch: list[Change] = []
                try:
                    first = await asyncio.wait_for(queue.get(), timeout=max(next_poll - loop.time(), 0.001))
                except asyncio.TimeoutError:
                    first = None
                if first is not None:
                    batch.append(_raise_or(first))
                    end = loop.time() + coalesce_seconds
                    while (left := end - loop.time()) > 0:
                        try:
                            batch.append(_raise_or(await asyncio.wait_for(queue.get(), timeout=left)))
                        except asyncio.TimeoutError:
                            break
                    while not queue.empty():
                        batch.append(_raise_or(queue.get_nowait()))
                    yield list(dict.fromkeys(batch))
                if loop.time() >= next_poll:
                    next_poll = loop.time() + poll_seconds
                    now = await self.fingerprint(everything=False)
                    moved = [Change(k) for k, v in now.items() if seen.get(k) != v]
                    seen = now
                    if moved:
                        yield moved
        finally:
            reader.cancel()
            try:
                await reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the listener is closed next
                pass

    async def _polled(self, poll_seconds: float, ready: asyncio.Event | None, *,
                      everything: bool) -> AsyncIterator[list[Change]]:
        seen = await self.fingerprint(everything=everything)
        if ready is not None:
            ready.set()
        while True:
            await asyncio.sleep(poll_seconds)
            now = await self.fingerprint(everything=everything)
            moved = [Change(k) for k, v in now.items() if seen.get(k) != v]
            seen = now
            if moved:
                yield moved
