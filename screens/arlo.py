"""The Arlo screen: each loop's last run, next run, last result and errors; the task queue with hold,
resume and cancel; Justin's exec inbox. arlo's loops themselves run in :mod:`cockpit.arlo.runtime`
(the app starts them); this screen shows them.

No SQL here: everything goes through the store (cockpit/store/tasks.py) in the frame's workers
(``call_store``), and results come back as messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from cockpit.arlo.models import InboxItem, LoopStatus, Task
from styles import sheet
from screens.answer_question import choices_of, question_of
from screens.base import CockpitScreen
from widgets.table_cursor import restore_cursor, selected_key

STATUS_STYLE = {"created": "cyan", "claimed": "yellow", "in_progress": "bold yellow", "on_hold": "magenta",
                "blocked": "red", "cancelled": "dim", "complete": "green"}
REFRESH_SECONDS = 2.0
CRAMPED_WIDTH = 70  # columns below which the exec inbox goes under the task queue


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    secs = (now - when).total_seconds()
    future = secs < 0
    secs = abs(secs)
    text = (f"{secs:.0f}s" if secs < 90 else f"{secs / 60:.0f}m" if secs < 5400 else
            f"{secs / 3600:.0f}h" if secs < 172800 else f"{secs / 86400:.0f}d")
    return f"in {text}" if future else f"{text} ago"


@dataclass
class ArloView:
    """Everything the screen shows, fetched in one worker."""

    loops: list[LoopStatus] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    inbox: list[InboxItem] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


async def load_view(store: Any, limit: int = 50, *, hide_routine: bool = False) -> ArloView:
    return ArloView(loops=await store.tasks.loop_statuses(),
                    tasks=await store.tasks.tasks_page(limit=limit, hide_routine=hide_routine),
                    counts=await store.tasks.task_counts(), inbox=await store.tasks.exec_inbox(limit=30))


class ArloScreen(CockpitScreen):
    """arlo at a glance: loops, the task queue (h hold, u resume, x cancel), the exec inbox."""

    TITLE_TEXT = "Arlo"
    CSS_PATH = sheet("arlo.tcss")
    WATCHES = frozenset({"task", "inbox"})
    BINDINGS = [
        Binding("h", "control('hold')", "Hold"),
        Binding("u", "control('resume')", "Resume"),
        Binding("x", "control('cancel')", "Cancel"),
        Binding("A", "answer", "Answer"),
        Binding("a", "toggle_routine", "Routine tasks"),
        Binding("R", "reload", "Refresh"),
    ]

    class Loaded(Message):
        def __init__(self, view: ArloView) -> None:
            super().__init__()
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.view = ArloView()
        self._tasks_by_id: dict[str, Task] = {}
        self._inbox_by_id: dict[str, InboxItem] = {}
        self._loading = False
        self._again = False
        self.hide_routine = True  # completed periodic tasks: their loop row above already says how they went

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("arlo", id="arlo-runtime")
        yield DataTable(id="arlo-loops", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="arlo-main"):
            with Vertical(id="arlo-queue"):
                yield Static("Task queue", classes="arlo-title", id="arlo-queue-title")
                yield DataTable(id="arlo-tasks", cursor_type="row", zebra_stripes=True)
            with Vertical(id="arlo-inbox-pane"):
                yield Static("Exec inbox", classes="arlo-title")
                yield DataTable(id="arlo-inbox", cursor_type="row")
        yield Static("", id="arlo-detail", classes="-empty")
        yield from self.compose_frame_bottom()

    def on_resize(self) -> None:
        self.set_class(self.size.width < CRAMPED_WIDTH, "-cramped")

    def _detail(self, text: Text | str) -> None:
        """The detail pane: shown (under the lists) only when it has something to say."""
        detail = self.query_one("#arlo-detail", Static)
        detail.update(text)
        detail.set_class(not str(text), "-empty")

    def on_mount(self) -> None:
        self.query_one("#arlo-loops", DataTable).add_columns(
            "client", "loop", "last run", "next run", "last", "last result", "error")
        self.query_one("#arlo-tasks", DataTable).add_columns("task", "client", "type", "status", "age", "result")
        self.query_one("#arlo-inbox", DataTable).add_columns("when", "title")
        super().on_mount()

    # --- data ---------------------------------------------------------------------------------
    def _call(self, fn: Callable[[Any], Awaitable[Any]], done: Callable[[Any], Any] | None = None,
              *, group: str) -> None:
        """Never exclusive: cancelling a query mid-flight costs a connection, so :meth:`reload` coalesces."""
        self.call_store(fn, done, group=group, exclusive=False)

    def reload(self) -> None:
        """Load everything; a reload asked for while one is in flight runs once that one is shown."""
        if self._loading:
            self._again = True
            return
        self._loading = True

        async def fetch(store: Any) -> ArloView:
            try:
                return await load_view(store, hide_routine=self.hide_routine)
            finally:
                self._loading = False

        if self.store is None:
            self._loading = False
            return
        self._call(fetch, lambda v: self.post_message(self.Loaded(v)), group="arlo-load")

    def action_reload(self) -> None:
        self.reload()

    def action_toggle_routine(self) -> None:
        self.hide_routine = not self.hide_routine
        self.notify("showing every task" if not self.hide_routine else "hiding completed routine tasks", timeout=3)
        self.reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    @work(exclusive=True, group="arlo-tick", exit_on_error=False)
    async def _tick(self) -> None:
        """The dolphie pattern: the next refresh is scheduled only after this one is shown."""
        await asyncio.sleep(REFRESH_SECONDS)
        if self.is_current:
            self.reload()
        else:
            self._tick()

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.view = v = message.view
        self._show_runtime()
        loops = self.query_one("#arlo-loops", DataTable)
        loops.clear()
        for lp in v.loops:
            loops.add_row(lp.client_id, lp.task_type, _ago(lp.last_run_at, v.now), _ago(lp.next_run_at, v.now),
                          Text(lp.last_status or "—", style=STATUS_STYLE.get(lp.last_status or "", "")),
                          (lp.last_result or "")[:70], Text((lp.last_error or "")[:60], style="red"),
                          key=f"{lp.client_id}/{lp.task_type}")
        self._fill_tasks(v)
        inbox = self.query_one("#arlo-inbox", DataTable)
        selected = selected_key(inbox)
        inbox.clear()
        self._inbox_by_id = {str(i.id): i for i in v.inbox}
        for item in v.inbox:
            inbox.add_row(_ago(item.created_at, v.now), Text(item.title, style="" if item.read_at else "bold"),
                          key=str(item.id))
        restore_cursor(inbox, selected)
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(v.counts.items())) or "empty"
        shown = "all tasks" if not self.hide_routine else "completed routine tasks hidden (a)"
        self.query_one("#arlo-queue-title", Static).update(f"Task queue — {counts} — {shown}")
        if self._again:
            self._again = False
            self.reload()
        else:
            self._tick()

    def _fill_tasks(self, v: ArloView) -> None:
        table = self.query_one("#arlo-tasks", DataTable)
        selected = selected_key(table)
        table.clear()
        self._tasks_by_id = {t.id: t for t in v.tasks}
        for t in v.tasks:
            table.add_row(t.id, t.client_id, t.task_type, Text(t.status.replace("_", " "),
                                                               style=STATUS_STYLE.get(t.status, "")),
                          _ago(t.created_at, v.now), t.summary.splitlines()[0][:80] if t.summary else "", key=t.id)
        restore_cursor(table, selected)

    def _show_runtime(self) -> None:
        arlo = self.cockpit.arlo_runtime.arlo
        widget = self.query_one("#arlo-runtime", Static)
        if arlo is None:
            widget.update(Text("arlo is not running in this process (COCKPIT_ARLO_ENABLED=false, or run "
                               "`cockpit arlo` as a service); its queue is shown below", style="dim"))
            return
        st = arlo.status
        now = self.view.now
        parts = [f"arlo {arlo.agent}",
                 f"engine: {_ago(st.engine.last_run, now)} · {st.engine.last_result or '—'}",
                 f"worker: {_ago(st.worker.last_run, now)} · {(st.worker.last_result or 'idle')[:60]}"]
        errors = [e for e in (st.engine.last_error, st.worker.last_error) if e]
        text = Text("  │  ".join(parts))
        if errors:
            text.append("  │  " + "; ".join(errors)[:80], style="red")
        widget.update(text)

    # --- details and control --------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#arlo-tasks")
    def _task_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:
            self._task_detail(str(event.row_key.value))

    @on(DataTable.RowHighlighted, "#arlo-inbox")
    def _inbox_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus:  # reading happens when Justin looks, not when the list fills
            self._inbox_detail(str(event.row_key.value))

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget
        if isinstance(widget, DataTable) and widget.id in ("arlo-tasks", "arlo-inbox"):
            key = selected_key(widget)
            if key is not None:
                (self._task_detail if widget.id == "arlo-tasks" else self._inbox_detail)(key)

    def _task_detail(self, key: str) -> None:
        task = self._tasks_by_id.get(key)
        if task is None:
            return
        out = task.output or {}
        body = out.get("answer") or out.get("question") or out.get("summary") or out.get("error") or "(no output yet)"
        if choices_of(task):
            body = question_of(task).split("\n")[0] + "\n" + "\n".join(
                f"  {c['key']}. {c['label']}" for c in choices_of(task)) + "\nenter or A answers"
        head = (f"{task.id} · {task.task_type} · {task.status.replace('_', ' ')} · attempts {task.attempts}"
                + (f" · {task.duration_seconds}s" if task.duration_seconds is not None else "")
                + (f" · ${task.cost_usd:.4f}" if task.cost_usd else "") + (f"\n{task.brief}" if task.brief else ""))
        self._detail(Text(f"{head}\n{body}"))

    def _inbox_detail(self, key: str) -> None:
        item = self._inbox_by_id.get(key)
        if item is None:
            return
        self._detail(Text.assemble((item.title, "bold"), "\n", item.body))
        if item.read_at is None:
            self._call(lambda s: s.tasks.mark_inbox_read(item.id), None, group="arlo-read")

    @on(DataTable.RowSelected, "#arlo-tasks")
    def _task_selected(self, event: DataTable.RowSelected) -> None:
        task = self._tasks_by_id.get(str(event.row_key.value))
        if task is not None and choices_of(task):
            self._answer(task)

    def action_answer(self) -> None:
        task = self._tasks_by_id.get(selected_key(self.query_one("#arlo-tasks", DataTable)) or "")
        if task is None or not choices_of(task):
            self.notify("pick a task that waits on an answer (status blocked, with choices)", severity="warning")
            return
        self._answer(task)

    def _answer(self, task: Task) -> None:
        from screens.answer_question import AnswerPicker

        self.app.push_screen(AnswerPicker(task), lambda _t: self.reload())

    def action_control(self, action: str) -> None:
        table = self.query_one("#arlo-tasks", DataTable)
        key = selected_key(table)
        if key is None:
            self.notify("pick a task first", severity="warning")
            return

        def done(task: Task) -> None:
            self.notify(f"task {task.id}: {task.status.replace('_', ' ')}")
            self.cockpit.arlo_runtime.wake()
            self.reload()

        self._call(lambda s: s.tasks.control_task(key, action, reason="from the Arlo screen"), done, group="arlo-control")
