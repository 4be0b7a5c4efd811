"""Editing a contact's strategic fields (Justin's: priority, strategy note, relationship note, recontact
date). Validated before anything is written (cockpit.fields); written under the strategic role; a
refusal — ours or the database's — is shown in the form and nothing is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from cockpit.errors import CockpitError, ValidationFailed
from cockpit.fields import PRIORITIES, strategic_changes
from cockpit.models import Contact

if TYPE_CHECKING:
    from cockpit.store import Store


class StrategicEditor(ModalScreen[Contact | None]):
    """Dismisses with the updated contact, or None when cancelled / nothing changed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, contact: Contact) -> None:
        super().__init__()
        self.contact = contact
        self.saving = False

    def compose(self) -> ComposeResult:
        c = self.contact
        with Vertical(id="editor"):
            yield Static(Text.assemble(("Strategic fields of ", ""), (c.display_name, "bold")), id="editor-title")
            yield Static("", id="editor-error")  # near the top: visible even on a 24-line terminal
            yield Label("priority")
            yield Select([(p, p) for p in PRIORITIES], value=c.priority if c.priority in PRIORITIES else Select.NULL,
                         allow_blank=True, prompt="none", id="ed-priority")
            yield Label("strategy note")
            yield Input(c.strategy_note or "", id="ed-strategy_note")
            yield Label("relationship note")
            yield Input(c.relationship_note or "", id="ed-relationship_note")
            yield Label("recontact date (YYYY-MM-DD)")
            yield Input(c.recontact_at.isoformat() if c.recontact_at else "", placeholder="YYYY-MM-DD",
                        id="ed-recontact_at")
            yield Static(Text("ctrl+s or enter saves · esc cancels", style="dim"), id="editor-help")

    def on_mount(self) -> None:
        self.query_one("#ed-priority", Select).focus()

    def raw_values(self) -> dict[str, str | None]:
        sel = self.query_one("#ed-priority", Select).value
        return {
            "priority": sel if isinstance(sel, str) else None,
            "strategy_note": self.query_one("#ed-strategy_note", Input).value,
            "relationship_note": self.query_one("#ed-relationship_note", Input).value,
            "recontact_at": self.query_one("#ed-recontact_at", Input).value,
        }

    def show_error(self, message: str) -> None:
        self.query_one("#editor-error", Static).update(Text(message, style="bold red"))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        try:
            changes = strategic_changes(self.contact, self.raw_values())
        except ValidationFailed as exc:
            self.show_error(str(exc))
            return
        if not changes:
            self.dismiss(None)
            return
        self.saving = True
        self.show_error("")
        contact_id = self.contact.id

        async def save(store: "Store") -> Contact:
            return await store.crm.update_strategic("crm_contacts", contact_id, **changes)  # type: ignore[no-any-return]

        def failed(exc: BaseException) -> None:
            self.saving = False
            self.show_error(str(exc) if isinstance(exc, CockpitError) else f"not saved: {exc}")

        self.app.call_store(self, save, self.dismiss, group="save", failed=failed)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)
