"""``g`` then a letter: go to a screen. A tiny modal that reads the next key and says what it offers."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static


class GoScreen(ModalScreen[str | None]):
    """Dismisses with the mode of the chosen screen, or None for any other key."""

    def __init__(self, targets: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.targets = targets  # (key, mode, title)

    def compose(self) -> ComposeResult:
        hint = Text("go to: ", style="bold")
        for i, (key, _mode, title) in enumerate(self.targets):
            if i:
                hint.append("  ")
            hint.append(key, style="bold cyan")
            hint.append(f" {title.lower()}")
        hint.append("   (esc cancels)", style="dim")
        yield Static(hint, id="go-hint")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        for key, mode, _title in self.targets:
            if event.key == key:
                self.dismiss(mode)
                return
        self.dismiss(None)
