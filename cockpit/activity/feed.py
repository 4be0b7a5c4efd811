"""The feed's state, kept apart from any widget so its rules are tested headless:

- rows are newest first; history is paged in from the bottom (keyset on (occurred_at, id));
- while *following*, new rows go straight to the top; while the user reads (not following), new
  rows wait in ``pending`` behind an "N new" marker and nothing the user sees moves;
- ``follow()`` shows the pending rows and goes back to following.
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
        if self.pending:
            return key_of(self.pending[0])
        return key_of(self.rows[0]) if self.rows else None

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
        """Take rows newer than the head (newest first). Returns how many were new."""
        known = {a.id for a in self.rows} | {a.id for a in self.pending}
        fresh = [a for a in new if a.id not in known]
        if not fresh:
            return 0
        if self.following:
            self.rows = fresh + self.rows
        else:
            self.pending = fresh + self.pending
        return len(fresh)

    def follow(self) -> int:
        """Show the pending rows on top and follow the head again; returns how many were shown."""
        n = len(self.pending)
        self.rows = self.pending + self.rows
        self.pending = []
        self.following = True
        return n

    def stop_following(self) -> None:
        self.following = False
