"""The client switcher: pick which client this session is scoped to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ClientPicker(ModalScreen[str | None]):
    """Dismisses with the chosen client id (None on esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("j", "cursor_down", show=False),
                Binding("k", "cursor_up", show=False)]

    def __init__(self, clients: list[tuple[str, str]], current: str | None) -> None:
        super().__init__()
        self.clients = clients  # (client_id, name)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Switch client (enter picks, esc cancels)", id="picker-title")
            options = [Option(f"{'● ' if cid == self.current else '  '}{name}  ({cid})", id=cid)
                       for cid, name in self.clients]
            yield OptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        for i, (cid, _name) in enumerate(self.clients):
            if cid == self.current:
                ol.highlighted = i
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
