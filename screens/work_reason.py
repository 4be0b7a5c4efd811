"""The reason box for a control action on the Work screen: why (it lands on the entity's topic) and, for
cancel and supersede, the entity that replaces this one. Enter confirms, Esc closes without a change."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from styles import sheet


@dataclass(frozen=True)
class ControlRequest:
    entity_id: str
    action: str
    reason: str
    replaced_by: str | None = None


class ReasonModal(ModalScreen[ControlRequest | None]):
    CSS_PATH = sheet("work.tcss")
    BINDINGS = [Binding("escape", "cancel_box", "Close")]

    def __init__(self, entity_id: str, kind: str, action: str, title: str) -> None:
        super().__init__()
        self.entity_id, self.kind, self.action, self.label = entity_id, kind, action, title

    def compose(self) -> ComposeResult:
        needs = self.action == "supersede"
        with Vertical(id="reason-box"):
            yield Static(f"[b]{self.action.capitalize()}[/b] {self.kind} {self.entity_id} — {self.label}", id="reason-title")
            yield Input(placeholder="why (kept on the topic)", id="reason-input")
            if self.action in ("cancel", "supersede"):
                yield Input(placeholder="replaced by (topic id)" + ("" if needs else ", optional"), id="reason-replaced")
            yield Static("Enter confirms · Esc closes", id="reason-error")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        reason = self.query_one("#reason-input", Input).value.strip()
        replaced = self.query("#reason-replaced")
        repl = replaced.first(Input).value.strip() if replaced else ""
        if event.input.id == "reason-input" and replaced and not repl and self.action == "supersede":
            replaced.first(Input).focus()
            return
        if not reason:
            self.query_one("#reason-error", Static).update("[red]Say why first: the reason lands on the topic.[/red]")
            self.query_one("#reason-input", Input).focus()
            return
        if self.action == "supersede" and not repl:
            self.query_one("#reason-error", Static).update("[red]Superseding needs the stage that replaces it.[/red]")
            return
        self.dismiss(ControlRequest(self.entity_id, self.action, reason, repl or None))

    def action_cancel_box(self) -> None:
        self.dismiss(None)
