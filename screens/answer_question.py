"""Answering arlo's questions from the TUI: the choices of a question as a list, and the picker the Arlo
screen opens on a task that waits on an answer. The answer goes through arlo's runtime
(:meth:`cockpit.arlo.runtime.ArloRuntime.answer`), which applies it and runs the task on: it completes,
is dropped, or asks its next question (shown in the same picker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.arlo.models import Task
from cockpit.errors import CockpitError


def choices_of(task: Task) -> list[dict[str, Any]]:
    out = task.output or {}
    return list(out.get("choices") or []) if task.status == "blocked" else []


def question_of(task: Task) -> str:
    out = task.output or {}
    return str(out.get("question") or out.get("summary") or "")


def fill_choices(ol: OptionList, task: Task) -> None:
    ol.clear_options()
    for c in choices_of(task):
        ol.add_option(Option(Text.assemble((f"{c['key']}. ", "bold"), str(c["label"])), id=str(c["key"])))
    if ol.option_count:
        ol.highlighted = 0


def result_text(task: Task) -> Text:
    out = task.output or {}
    if task.status == "complete":
        return Text(f"{task.id} {out.get('answer') or out.get('summary') or 'done'}", style="green")
    if task.status == "cancelled":
        return Text(f"{task.id} dropped: nothing was changed", style="dim")
    if out.get("question"):
        return Text(f"{task.id} arlo asks: {question_of(task).split(chr(10))[0]}", style="yellow")
    return Text(f"{task.id} {task.status}: {task.summary}", style="red")


def send_answer(app: Any, node: Any, task_id: str, key: str, done: Callable[[Task | CockpitError], None]) -> None:
    """Answer in a worker of ``node``; ``done`` gets the task afterwards (or the refusal)."""
    runtime = app.arlo_runtime

    async def go(store: Any) -> Task | CockpitError:
        try:
            return await runtime.answer(store, task_id, key)
        except CockpitError as exc:
            return exc

    app.call_store(node, go, done, group="arlo-answer")


class AnswerPicker(ModalScreen[Task | None]):
    """arlo's question and its choices; enter answers, esc leaves the question open."""

    BINDINGS = [Binding("escape", "close", "Close")]

    class Answered(Message):
        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.question_task = task
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="answer-box"):
            yield Static(Text(f"arlo asks ({self.question_task.id})", style="bold"))
            yield Static(Text(question_of(self.question_task).split("\n")[0]), id="answer-question")
            yield OptionList(id="answer-choices")
            yield Static("", id="answer-result")
            yield Static(Text("enter answers · esc leaves it open", style="dim"))

    def on_mount(self) -> None:
        ol = self.query_one("#answer-choices", OptionList)
        fill_choices(ol, self.question_task)
        ol.focus()

    @on(OptionList.OptionSelected, "#answer-choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self.busy or not event.option.id:
            return
        self.busy = True
        self.query_one("#answer-result", Static).update(Text("arlo is on it…", style="dim"))
        send_answer(self.app, self, self.question_task.id, event.option.id, self._done)

    def _done(self, result: Task | CockpitError) -> None:
        self.busy = False
        box = self.query_one("#answer-result", Static)
        if isinstance(result, CockpitError):
            box.update(Text(str(result), style="red"))
            return
        self.question_task = result
        self.post_message(self.Answered(result))
        box.update(result_text(result))
        if choices_of(result):  # the next question on the same task
            self.query_one("#answer-question", Static).update(Text(question_of(result).split("\n")[0]))
        fill_choices(self.query_one("#answer-choices", OptionList), result)

    def action_close(self) -> None:
        self.dismiss(self.question_task)
