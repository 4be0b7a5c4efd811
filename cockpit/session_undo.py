"""The session's undo: the deal moves and record edits made in this cockpit session, newest last, and
how each is taken back. Pure bookkeeping over the store (no Textual).

An undo writes only when the record still holds what this session wrote: a deal moved on since (by arlo
or by hand), or a field changed since, is refused with what it holds now, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from cockpit.errors import ValidationFailed

MAX_ENTRIES = 50
View = Literal["crm_contacts", "crm_companies", "crm_deals"]


@dataclass(frozen=True)
class Move:
    deal_id: UUID
    label: str          # the deal's name, for messages
    from_stage: str
    to_stage: str


@dataclass(frozen=True)
class Edit:
    view: View
    record_id: UUID
    label: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


Entry = Move | Edit


class UndoStack:
    """The session's undoable changes, most recent last (at most :data:`MAX_ENTRIES`)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def __len__(self) -> int:
        return len(self.entries)

    def push(self, entry: Entry) -> None:
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]

    def peek(self) -> Entry | None:
        return self.entries[-1] if self.entries else None

    def forget(self, entry: Entry) -> None:
        if entry in self.entries:
            self.entries.remove(entry)


def describe(entry: Entry, stage_labels: dict[str, str] | None = None) -> str:
    """What undoing ``entry`` does, as one line."""
    labels = stage_labels or {}
    if isinstance(entry, Move):
        return (f"move “{entry.label}” back to {labels.get(entry.from_stage, entry.from_stage)} "
                f"(from {labels.get(entry.to_stage, entry.to_stage)})")
    fields = ", ".join(k.replace("_", " ") for k in entry.before)
    return f"restore {fields} of “{entry.label}”"


async def undo(store: Any, entry: Entry) -> str:
    """Take ``entry`` back through the store; returns what was done. Raises ValidationFailed (nothing
    written) when the record no longer holds what the session wrote."""
    if isinstance(entry, Move):
        deal = await store.crm.deal(entry.deal_id)
        labels = {s.stage_id: s.label for s in await store.crm.pipeline()}
        if deal.stage_id != entry.to_stage:
            raise ValidationFailed(
                f"“{entry.label}” is in {labels.get(deal.stage_id, deal.stage_id)} now, not "
                f"{labels.get(entry.to_stage, entry.to_stage)}; nothing was undone",
                "it was moved since; move it by hand")
        await store.crm.move_deal(entry.deal_id, entry.from_stage)
        return f"“{entry.label}” back in {labels.get(entry.from_stage, entry.from_stage)}"
    current = await store.crm.get(entry.view, entry.record_id)
    changed = [k for k, v in entry.after.items() if getattr(current, k, None) != v]
    if changed:
        raise ValidationFailed(
            f"“{entry.label}”: {', '.join(k.replace('_', ' ') for k in changed)} changed since; nothing was undone",
            "edit it by hand")
    await store.crm.update_strategic(entry.view, entry.record_id, **entry.before)
    return f"“{entry.label}”: {', '.join(k.replace('_', ' ') for k in entry.before)} restored"
