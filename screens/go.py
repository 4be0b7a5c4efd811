"""``g`` then a letter: go to a screen. A tiny modal that reads the next key and says what it offers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static


class GoScreen(ModalScreen[None]):
    """Shows what ``g`` offers. The App reads the next key itself and closes this screen."""

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
