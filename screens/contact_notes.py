"""A contact's notes and tasks as a page (``N`` on the contacts screen): every line openable, ``n``/``T``
add one, ``d`` marks the highlighted task done, ``r`` reschedules it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from rich.text import Text
from textual.widgets import Static

from cockpit.models import Contact, CrmTask, Note
from screens.record_page import RecordPage

if TYPE_CHECKING:
    from cockpit.changes import Delivery
    from cockpit.store import Store

LIMIT = 30


@dataclass
class ContactNotes:
    contact: Contact
    notes: list[Note]
    tasks: list[CrmTask]


async def load_contact_notes(store: "Store", contact_id: UUID) -> ContactNotes:
    return ContactNotes(await store.crm.contact(contact_id),
                        (await store.notes.of_record(contact_id, limit=LIMIT)).items,
                        (await store.crm_tasks.of_record(contact_id, limit=LIMIT)).items)


class ContactNotesPage(RecordPage):
    def __init__(self, contact_id: UUID) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.data: ContactNotes | None = None

    def load(self) -> None:
        contact_id = self.contact_id
        self.app.call_store(self, lambda store: load_contact_notes(store, contact_id), self._loaded,  # type: ignore[attr-defined]
                            group="record-page")

    def _loaded(self, data: ContactNotes) -> None:
        self.data = data
        c = data.contact
        self.query_one("#page-head", Static).update(Text.assemble((c.display_name, "bold"),
                                                                  (f"  {c.job_title or ''}", "dim")))
        self.query_one("#page-fields", Static).display = False
        self.show_links(self.notes_lines(data.notes, data.tasks))  # type: ignore[arg-type]
        self.query_one("#page-help", Static).update(Text(
            "n note · T task · d done · r reschedule · enter opens · esc close", style="dim"))

    def watches(self, delivery: "Delivery") -> bool:
        """Any note or task (an id does not say which records it is linked to)."""
        return delivery.touches({"note", "crm_task"})

    def note_links(self) -> dict[str, UUID]:
        if self.data is None:
            return {}
        c = self.data.contact
        return {"contact_id": c.id, **({"company_id": c.company_id} if c.company_id else {})}

    def about(self) -> str:
        return self.data.contact.display_name if self.data else ""
