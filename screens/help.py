"""``?``: every key binding that is active right now, plus the go-to keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A modal listing (key, action) pairs; esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", show=False)]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows  # (section, keys, description)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        section = None
        for sec, keys, desc in self.rows:
            if sec != section:
                if section is not None:
                    table.add_row("", "")
                table.add_row(Text(sec, style="bold underline"), "")
                section = sec
            table.add_row(keys, desc)
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys  (esc closes)", style="bold"), id="help-title")
            yield Static(table, id="help-table")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
