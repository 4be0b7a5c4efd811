""""Quit while an import runs?": the cockpit asks before quitting would throw away work in progress.
y / enter / q quits, n / esc stays."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [Binding("y,enter,q", "answer(True)", "Quit"), Binding("n,escape", "answer(False)", "Stay")]

    def __init__(self, reasons: list[str]) -> None:
        super().__init__()
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text("Quit now?", style="bold"))
            for reason in self.reasons:
                yield Static(Text(reason))
            yield Static(Text("y / enter / q quits · n / esc stays", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
