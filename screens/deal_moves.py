"""Moving a deal from anywhere (the board, the deal page, the palette): a stage picked by its label,
a move into a closed stage asked first, the move written through ``crm_move_deal`` under the strategic
role and kept in the session's undo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.models import MoveResult, Stage
from cockpit.session_undo import Move

if TYPE_CHECKING:
    from cockpit.store import Store


class ConfirmClose(ModalScreen[bool]):
    """"Move “X” to Closed Lost?" — y / enter moves, n / esc does not."""

    BINDINGS = [Binding("y,enter", "answer(True)", "Move"), Binding("n,escape", "answer(False)", "Keep")]

    def __init__(self, deal_label: str, stage: Stage) -> None:
        super().__init__()
        self.deal_label, self.stage = deal_label, stage

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text.assemble("Move ", (f"“{self.deal_label}”", "bold"), " to ",
                                       (self.stage.label, "bold yellow"), "?"))
            yield Static(Text(f"{self.stage.label} is a closed stage: the deal leaves the open pipeline.",
                              style="dim"))
            yield Static(Text("y / enter moves · n / esc keeps it where it is", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class StagePicker(ModalScreen[str | None]):
    """The client's stages by label; enter picks, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("j", "down", show=False),
                Binding("k", "up", show=False)]

    def __init__(self, stages: list[Stage], current: str | None = None) -> None:
        super().__init__()
        self.stages, self.current = stages, current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Move to stage", id="picker-title")
            yield OptionList(*[Option(Text(f"{s.label}{'  (closed)' if s.is_closed else ''}"
                                           f"{'  ← now' if s.stage_id == self.current else ''}"), id=s.stage_id)
                               for s in self.stages], id="picker-list")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.focus()
        ids = [s.stage_id for s in self.stages]
        if self.current in ids:
            ol.highlighted = ids.index(self.current)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm_then(app: Any, deal_label: str, stage: Stage, go: Callable[[], None],
                 cancelled: Callable[[], None] | None = None) -> None:
    """Run ``go`` at once for an open stage; for a closed one, after Justin said yes."""
    if not stage.is_closed:
        go()
        return

    def answered(yes: bool | None) -> None:
        if yes:
            go()
        elif cancelled is not None:
            cancelled()

    app.push_screen(ConfirmClose(deal_label, stage), answered)


def move_deal(app: Any, node: Any, deal_id: UUID, deal_label: str, stage: Stage,
              done: Callable[[MoveResult], None] | None = None, *, confirm: bool = True) -> None:
    """Move a deal to ``stage`` (asking first for a closed stage), record it for undo, then ``done``."""
    to_stage = stage.stage_id

    def go() -> None:
        async def move(store: "Store") -> MoveResult:
            return await store.crm.move_deal(deal_id, to_stage)

        def moved(result: MoveResult) -> None:
            if result.from_stage and result.from_stage != to_stage:
                app.undo_stack.push(Move(deal_id, deal_label, result.from_stage, to_stage))
            app.notify(f"moved “{deal_label}” to {stage.label}", timeout=3)
            if done is not None:
                done(result)

        app.call_store(node, move, moved, group=f"move-{deal_id}", exclusive=False)

    if confirm:
        confirm_then(app, deal_label, stage, go)
    else:
        go()
