"""The cockpit's one change feed: what changed in the client's data, delivered to the screens in bursts.

:class:`ChangeFeed` reads :meth:`cockpit.store.changes.ChangesRepo.batches` (one LISTEN connection plus
a cheap poll, or only the poll behind a transaction pooler) and hands what it heard to ``deliver`` as a
:class:`Delivery`: the ids changed per kind (an empty set for "some row of that kind"). Deliveries are
coalesced: a change is delivered at once (``min_gap`` after the last delivery at the earliest) unless
``burst_deliveries`` deliveries went out within the last ``burst_gap`` seconds; then it waits until the
oldest of them leaves that window. A change made now and then (a move in another cockpit) therefore
shows at once, and a burst of a thousand changes (arlo's enrichment scan) becomes a couple of repaints a
second, never a thousand. The feed survives a lost connection: it waits and listens
again (the store's reconnect reloads the screens meanwhile). No Textual here: the app runs :meth:`run`
as a worker and turns each delivery into screen updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.store import Store
    from cockpit.store.changes import Change

log = logging.getLogger(__name__)

# What each kind of change means for the header counters.
COUNTER_KINDS = frozenset({"proposal", "decision", "task", "inbox"})


@dataclass
class Delivery:
    """Changes heard since the last delivery: ids per kind (empty: rows of that kind changed, ids unknown)."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    changes: int = 0

    def add(self, change: "Change") -> None:
        ids = self.ids.setdefault(change.kind, set())
        if change.id is not None:
            ids.add(change.id)
        self.changes += 1

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self.ids)

    def touches(self, kinds: frozenset[str] | set[str]) -> bool:
        return not kinds.isdisjoint(self.ids)


class ChangeFeed:
    """Listens for the client's changes and calls ``deliver(Delivery)`` at most every ``min_gap`` seconds."""

    def __init__(self, deliver: Callable[[Delivery], None], *, poll_seconds: float = 5.0,
                 min_gap: float = 0.25, burst_gap: float = 1.0, burst_deliveries: int = 2,
                 retry_seconds: float = 2.0) -> None:
        """``min_gap``: seconds between two deliveries; at most ``burst_deliveries`` deliveries per
        ``burst_gap`` seconds."""
        self.deliver = deliver
        self.poll_seconds = poll_seconds
        self.min_gap = min_gap
        self.burst_gap = burst_gap
        self.retry_seconds = retry_seconds
        self.ready = asyncio.Event()
        self.deliveries = 0
        self._pending: Delivery | None = None
        self._flush: asyncio.TimerHandle | None = None
        self._recent: deque[float] = deque(maxlen=max(burst_deliveries, 1))  # when the last deliveries went

    async def run(self, store: "Store") -> None:
        """Until cancelled: listen (and poll) for ``store``'s client, reconnecting after failures."""
        try:
            while True:
                try:
                    async for batch in store.changes.batches(poll_seconds=self.poll_seconds, ready=self.ready):
                        self._heard(batch)
                except CockpitError as exc:
                    log.info("change feed interrupted: %s", exc.message)
                await asyncio.sleep(self.retry_seconds)
        finally:
            if self._flush is not None:
                self._flush.cancel()
                self._flush = None

    def _heard(self, batch: "list[Change]") -> None:
        pending = self._pending or Delivery()
        for change in batch:
            pending.add(change)
        self._pending = pending
        if self._flush is not None:
            return
        loop = asyncio.get_running_loop()
        self._flush = loop.call_later(self._wait(loop.time()), self._send)

    def _wait(self, now: float) -> float:
        """Seconds a change heard at ``now`` waits before it is delivered."""
        recent = self._recent
        if not recent:
            return 0.0
        wait = recent[-1] + self.min_gap - now
        if len(recent) == recent.maxlen:  # the window is full: until its oldest delivery leaves it
            wait = max(wait, recent[0] + self.burst_gap - now)
        return max(wait, 0.0)

    def _send(self) -> None:
        self._flush = None
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self._recent.append(asyncio.get_running_loop().time())
        self.deliveries += 1
        self.deliver(pending)
