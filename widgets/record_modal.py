"""A read-only card for one contact or deal, opened from a list when the app frame has no screen
for it. Loads through the store in a worker; escape closes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.errors import CockpitError

_FIELDS = {
    "contact": ["full_name", "email", "phone", "job_title", "city", "last_activity_at", "enriched_at",
                "priority", "strategy_note", "relationship_note", "recontact_at"],
    "deal": ["name", "amount", "currency", "stage_id", "close_date", "last_activity_at", "priority",
             "strategy_note", "recontact_at"],
}


class RecordModal(ModalScreen[None]):
    DEFAULT_CSS = """
    RecordModal { align: center middle; }
    RecordModal > VerticalScroll { width: 72; max-width: 95%; height: auto; max-height: 90%;
                                   border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, store: Any, kind: str, record_id: UUID) -> None:
        super().__init__()
        self.store, self.kind, self.record_id = store, kind, record_id
        self.record: Any = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"{self.kind} {self.record_id} — loading…", id="record-body")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        body = self.query_one("#record-body", Static)
        try:
            rec = await (self.store.contact(self.record_id) if self.kind == "contact"
                         else self.store.deal(self.record_id))
        except CockpitError as exc:
            body.update(f"[b]{self.kind}[/b]\n{exc.message}")
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for name in _FIELDS[self.kind]:
            value = getattr(rec, name, None)
            table.add_row(name.replace("_", " "), "" if value is None else str(value))
        self.record = rec
        title = rec.full_name if self.kind == "contact" else rec.name
        body.update(table)
        self.query_one(VerticalScroll).border_title = f"{self.kind}: {title}"
