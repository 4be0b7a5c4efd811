"""The "tell arlo" box, reachable from every screen: Justin types an instruction or a question, arlo
files it as a task (strategic write or ad-hoc query), runs it, and the result (or arlo's question)
appears here when it is done. The work runs in a worker (the app's ``call_store``) through arlo's runtime
in this process (:mod:`cockpit.arlo.runtime`); the UI never waits on it."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from cockpit.arlo.models import Task
from cockpit.errors import CockpitError
from screens.answer_question import choices_of, fill_choices, send_answer


class TellArlo(ModalScreen[Task | None]):
    BINDINGS = [Binding("escape", "dismiss_box", "Close")]

    class Done(Message):
        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class Settled(Message):
        """The instruction's worker ended, however (done, failed, cancelled, dropped by a client switch)."""

    def __init__(self, text: str = "") -> None:
        """``text``: told at once (the palette's ``tell …``)."""
        super().__init__()
        self.result: Task | None = None
        self.initial = text

    def on_mount(self) -> None:
        self.query_one("#tell-choices", OptionList).display = False
        if self.initial:
            box = self.query_one("#tell-input", Input)
            box.value = self.initial
            box.post_message(Input.Submitted(box, self.initial))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Tell arlo[/b] — an instruction (\"Move the Volta deal to Negotiation\") or a question "
                         "(\"who needs a follow-up?\"). Enter sends, Esc closes.")
            yield Input(placeholder="The Acme deal is stalled — budget freeze until Q3, recontact in July",
                        id="tell-input")
            yield Static("", id="tell-result")
            yield OptionList(id="tell-choices")

    @on(Input.Submitted, "#tell-input")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#tell-result", Static).update("[red]Tell arlo what to do first.[/red]")
            return
        store = getattr(self.app, "store", None)
        client = getattr(store, "client_id", None) if store is not None else None
        if store is None or not client:
            self.query_one("#tell-result", Static).update("[red]No client selected: pick one first.[/red]")
            return
        event.input.disabled = True
        self.query_one("#tell-result", Static).update("[dim]arlo is on it…[/dim]")
        runtime = self.app.arlo_runtime  # type: ignore[attr-defined]

        async def tell(store: Any) -> Task | CockpitError:
            try:
                return await runtime.tell(store, client, text)
            except CockpitError as exc:  # shown in the box, where Justin is looking
                return exc
            finally:
                self.post_message(self.Settled())

        def done(result: Task | CockpitError) -> None:
            self.post_message(self.Done(result) if isinstance(result, Task) else self.Failed(str(result)))

        worker = self.app.call_store(self, tell, done, group="tell-arlo",  # type: ignore[attr-defined]
                                     failed=lambda exc: self.post_message(
                                         self.Failed(f"unexpected {type(exc).__name__}: {exc}")))
        if worker is None:  # no store after all (reconnecting): nothing runs, the box stays usable
            self.post_message(self.Failed("the database is not connected yet; try again in a moment"))

    @on(Settled)
    def _settled(self) -> None:
        box = self.query_one("#tell-input", Input)
        if box.disabled:
            box.disabled = False
            box.focus()

    @on(Done)
    def _done(self, message: Done) -> None:
        self.result = task = message.task
        out = task.output or {}
        if task.status == "complete":
            body = out.get("answer") or out.get("summary") or "done"
            style = "green"
        elif task.status == "cancelled":
            body, style = "dropped: nothing was changed", "dim"
        elif out.get("question"):
            body, style = "arlo asks: " + out["question"], "yellow"
        else:
            body, style = f"{task.status}: {task.summary}", "red"
        self.query_one("#tell-result", Static).update(f"[{style}]{task.id}[/{style}] {_escape(body)}")
        box = self.query_one("#tell-input", Input)
        box.disabled = False
        box.value = ""
        choices = self.query_one("#tell-choices", OptionList)
        fill_choices(choices, task)
        choices.display = bool(choices_of(task))
        if choices_of(task):
            choices.focus()  # pick one (enter), or type a new instruction (tab, then the box)
        else:
            box.focus()

    @on(OptionList.OptionSelected, "#tell-choices")
    def _answer(self, event: OptionList.OptionSelected) -> None:
        task = self.result
        if task is None or not event.option.id:
            return
        event.option_list.display = False
        self.query_one("#tell-result", Static).update("[dim]arlo is on it…[/dim]")

        def done(result: Task | CockpitError) -> None:
            self.post_message(self.Done(result) if isinstance(result, Task) else self.Failed(str(result)))

        send_answer(self.app, self, task.id, event.option.id, done)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#tell-result", Static).update(f"[red]{_escape(message.error)}[/red]")
        self.query_one("#tell-input", Input).disabled = False

    def action_dismiss_box(self) -> None:
        self.dismiss(self.result)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
