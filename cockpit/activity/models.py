"""What the live activity feed yields besides rows: a signal that the feed may have changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID


@dataclass(frozen=True)
class Signal:
    """The feed may have changed: ``notify`` names the ids written through the views (they may be
    back-dated, e.g. a webhook's event time); ``poll`` found a newer head (rows Twenty wrote)."""

    kind: Literal["notify", "poll"]
    ids: tuple[UUID, ...] = ()
