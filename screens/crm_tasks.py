"""Tasks (``g k``): Twenty's tasks on contacts, companies and deals, soonest due first, keyset-paged.

Filters: ``o`` open, ``m`` mine (assigned to the cockpit's workspace member), ``y`` due today, ``l``
overdue, ``b`` the highlighted task's deal, ``h`` done. ``d`` marks the highlighted task done (or open
again), ``r`` reschedules it, ``e`` edits it, enter opens it. Live: a task written anywhere (Twenty's UI,
arlo, another cockpit) shows without a key press.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.models import CrmTask, Page
from screens.base import CockpitScreen
from screens.note_forms import DuePrompt, ItemPage, NoteForm, task_line, toggle_done
from styles import sheet

if TYPE_CHECKING:
    from cockpit.changes import Delivery
    from cockpit.store import Store

PAGE = 50
PREFETCH_MARGIN = 8
TITLES = {"open": "open", "mine": "mine", "today": "due today", "overdue": "overdue", "deal": "of a deal",
          "done": "done"}


class TaskList(OptionList):
    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False)]


class TasksScreen(CockpitScreen):
    TITLE_TEXT = "Tasks"
    WATCHES = frozenset({"crm_task"})
    CSS_PATH = sheet("tasks.tcss")
    AUTO_FOCUS = "#task-list"
    BINDINGS = [
        Binding("o", "filter('open')", "Open"),
        Binding("m", "filter('mine')", "Mine"),
        Binding("y", "filter('today')", "Due today"),
        Binding("l", "filter('overdue')", "Overdue"),
        Binding("b", "by_deal", "By deal"),
        Binding("h", "filter('done')", "Done ones"),
        Binding("d", "done", "Done/undone"),
        Binding("r", "reschedule", "Reschedule"),
        Binding("e", "edit", "Edit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.which = "open"
        self.deal_id: UUID | None = None
        self.deal_name = ""
        self.tasks: dict[str, CrmTask] = {}
        self.next_after: tuple[Any, ...] | None = None
        self.loading_more = False

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("", id="tasks-title")
        yield TaskList(id="task-list")
        yield Static(Text("o open · m mine · y today · l overdue · b by deal · h done  —  d done · r reschedule"
                          " · e edit · enter opens", style="dim"), id="tasks-help")
        yield from self.compose_frame_bottom()

    # --- loading ------------------------------------------------------------------------------
    def _fetch(self, after: tuple[Any, ...] | None, limit: int) -> Any:
        which, deal_id, today = self.which, self.deal_id, self.cockpit.clock().date()

        async def fetch(store: "Store") -> Page[CrmTask]:
            return await store.crm_tasks.page(which, deal_id=deal_id, today=today,  # type: ignore[arg-type]
                                              after=after, limit=limit)
        return fetch

    def reload(self, limit: int = PAGE) -> None:
        self.call_store(self._fetch(None, limit), lambda page: self._show(page, append=False), group="tasks-page")

    def apply_changes(self, delivery: "Delivery") -> None:
        """Re-read as far as the list was loaded; the cursor stays on its task."""
        self.reload(limit=max(PAGE, min(len(self.tasks), 500)))

    def _show(self, page: Page[CrmTask], *, append: bool) -> None:
        ol = self.query_one(TaskList)
        keep = ol.highlighted_option.id if (not append and ol.highlighted_option) else None
        if not append:
            self.tasks.clear()
            ol.clear_options()
        today = self.cockpit.clock().date()
        fresh = [t for t in page.items if str(t.id) not in self.tasks]
        for t in fresh:
            self.tasks[str(t.id)] = t
        ol.add_options([Option(task_line(t, today), id=str(t.id)) for t in fresh])
        self.next_after, self.loading_more = page.next_after, False
        what = TITLES[self.which] + (f": {self.deal_name}" if self.which == "deal" else "")
        more = "+" if page.next_after else ""
        self.query_one("#tasks-title", Static).update(Text.assemble(
            ("Tasks ", "bold"), (what, "bold cyan"), f"  {len(self.tasks):,}{more}"))
        if not append and self.tasks:
            ol.highlighted = ol.get_option_index(keep) if keep in self.tasks else 0
        if not self.tasks:
            self.query_one("#tasks-title", Static).update(Text.assemble(
                ("Tasks ", "bold"), (what, "bold cyan"), ("  none", "dim")))

    def _load_more(self) -> None:
        if self.next_after is None or self.loading_more:
            return
        self.loading_more = True
        after = self.next_after

        def show(page: Page[CrmTask]) -> None:
            if self.next_after == after:
                self._show(page, append=True)

        def failed(_exc: BaseException) -> None:
            self.loading_more = False

        self.call_store(self._fetch(after, PAGE), show, group="tasks-more", failed=failed)

    @on(OptionList.OptionHighlighted, "#task-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.tasks) - PREFETCH_MARGIN:
            self._load_more()

    @on(OptionList.OptionSelected, "#task-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        task = self.tasks.get(event.option.id or "")
        if task is not None:
            self.app.push_screen(ItemPage(task), lambda changed: self.reload() if changed else None)

    def clear_records(self) -> None:
        super().clear_records()
        self.tasks.clear()
        self.next_after, self.deal_id = None, None
        self.query_one("#tasks-title", Static).update("")

    # --- keys ---------------------------------------------------------------------------------
    @property
    def current(self) -> CrmTask | None:
        ol = self.query_one(TaskList)
        return self.tasks.get(ol.highlighted_option.id or "") if ol.highlighted_option else None

    def action_filter(self, which: str) -> None:
        self.which = which
        self.reload()

    def action_by_deal(self) -> None:
        task = self.current
        if task is None or task.deal_id is None:
            self.notify("the highlighted task is not on a deal", timeout=3)
            return
        deal_id = task.deal_id

        def named(deal: Any) -> None:
            self.deal_id, self.deal_name, self.which = deal_id, deal.name or "(unnamed deal)", "deal"
            self.reload()

        self.call_store(lambda store: store.crm.deal(deal_id), named, group="tasks-deal")

    def action_done(self) -> None:
        if self.current is not None:
            toggle_done(self, self.current, lambda _t: self.reload(limit=max(PAGE, len(self.tasks))))

    def action_reschedule(self) -> None:
        if self.current is not None:
            self.app.push_screen(DuePrompt(self.current),
                                 lambda saved: self.reload(limit=max(PAGE, len(self.tasks))) if saved else None)

    def action_edit(self) -> None:
        if self.current is not None:
            self.app.push_screen(NoteForm("task", item=self.current),
                                 lambda saved: self.reload(limit=max(PAGE, len(self.tasks))) if saved else None)
