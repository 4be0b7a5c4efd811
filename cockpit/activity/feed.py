"""The feed's state, kept apart from any widget so its rules are tested headless:

- rows are newest first; history is paged in from the bottom (keyset on (occurred_at, id));
- while *following*, new rows go straight to the top; while the user reads (not following), new
  rows wait in ``pending`` behind an "N new" marker and nothing the user sees moves;
- ``follow()`` shows the pending rows and goes back to following;
- a late row (back-dated: a webhook's event time) is merged into its place by time, unless it is
  older than the loaded history while more history remains (paging brings it in then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from cockpit.activity.filters import ActivityFilter
from cockpit.models import Activity, Page

Key = tuple[datetime, UUID]


def key_of(a: Activity) -> Key:
    return (a.occurred_at, a.id)


@dataclass
class FeedState:
    filter: ActivityFilter = field(default_factory=ActivityFilter)
    rows: list[Activity] = field(default_factory=list)
    pending: list[Activity] = field(default_factory=list)
    following: bool = True
    older: Key | None = None  # cursor for the next page of history
    loaded: bool = False

    @property
    def has_more(self) -> bool:
        return self.older is not None

    @property
    def head(self) -> Key | None:
        """The newest row known (shown or pending): new rows are those after it."""
        keys = [key_of(lst[0]) for lst in (self.pending, self.rows) if lst]
        return max(keys) if keys else None

    def reset(self, page: Page[Activity], f: ActivityFilter | None = None) -> None:
        if f is not None:
            self.filter = f
        self.rows = list(page.items)
        self.pending = []
        self.older = page.next_after  # type: ignore[assignment]
        self.following = True
        self.loaded = True

    def append_older(self, page: Page[Activity]) -> list[Activity]:
        known = {a.id for a in self.rows}
        added = [a for a in page.items if a.id not in known]
        self.rows.extend(added)
        self.older = page.next_after  # type: ignore[assignment]
        return added

    def add_newer(self, new: list[Activity]) -> int:
        """Take rows that arrived (newest first or not). Returns how many were new to the feed."""
        known = {a.id for a in self.rows} | {a.id for a in self.pending}
        fresh = [a for a in new if a.id not in known]
        if self.has_more and self.rows:  # older than what is loaded: paging will bring it
            bottom = key_of(self.rows[-1])
            fresh = [a for a in fresh if key_of(a) > bottom]
        if not fresh:
            return 0
        if self.following:
            self.rows = sorted(fresh + self.rows, key=key_of, reverse=True)
        else:
            self.pending = sorted(fresh + self.pending, key=key_of, reverse=True)
        return len(fresh)

    def follow(self) -> int:
        """Show the pending rows in their places and follow the head again; returns how many."""
        n = len(self.pending)
        if n:
            self.rows = sorted(self.pending + self.rows, key=key_of, reverse=True)
        self.pending = []
        self.following = True
        return n

    def replace_known(self, rows: list[Activity]) -> list[int]:
        """Rows already in the feed that were edited: swap them in place; returns their indexes in
        ``rows`` (pending ones are swapped silently)."""
        fresh = {a.id: a for a in rows}
        changed = []
        for i, a in enumerate(self.rows):
            b = fresh.get(a.id)
            if b is not None and b != a:
                self.rows[i] = b
                changed.append(i)
        self.pending = [fresh.get(a.id, a) for a in self.pending]
        return changed

    def stop_following(self) -> None:
        self.following = False
