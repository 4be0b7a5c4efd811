"""The Work screen (``g w``): the client's projects with their active stage, progress and blockers; the
selected project's stages, phases and tasks (what each blocked item waits for); hold, resume, cancel,
supersede and defer from the keyboard with a reason (a modal; the reason lands on the entity's topic).

No SQL here: reads and control actions go through ``store.work`` in workers (``call_store``). The screen
reloads on a timer (never overlapping: the next reload is scheduled when one is shown) and after every
action; tables are refilled by row key so the cursor stays on its row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from cockpit.work.models import ProjectSummary, ProjectTree
from screens.base import CockpitScreen
from screens.work_reason import ControlRequest, ReasonModal
from styles import sheet
from widgets.table_cursor import restore_cursor, selected_key

STYLE = {"active": "green", "pending": "cyan", "created": "cyan", "claimed": "yellow", "in_progress": "bold yellow",
         "on_hold": "magenta", "paused": "magenta", "deferred": "magenta", "blocked": "red", "cancelled": "dim",
         "superseded": "dim", "complete": "dim green"}


def _status(status: str) -> Text:
    return Text(status.replace("_", " "), style=STYLE.get(status, ""))


@dataclass
class WorkView:
    projects: list[ProjectSummary] = field(default_factory=list)
    tree: ProjectTree | None = None


class WorkScreen(CockpitScreen):
    """Projects per client; enter drills into one; h hold, u resume, x cancel, S supersede, D defer."""

    TITLE_TEXT = "Work"
    CSS_PATH = sheet("work.tcss")
    WATCHES = frozenset({"work", "task"})  # live through the change feed (the timer stays as the poll)
    BINDINGS = [
        Binding("enter", "drill", "Open", show=False),
        Binding("h", "control('hold')", "Hold"),
        Binding("u", "control('resume')", "Resume"),
        Binding("x", "control('cancel')", "Cancel"),
        Binding("S", "control('supersede')", "Supersede"),
        Binding("D", "control('defer')", "Defer"),
        Binding("R", "reload", "Refresh"),
    ]

    class Loaded(Message):
        def __init__(self, view: WorkView) -> None:
            super().__init__()
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.view = WorkView()
        self.project_id: str | None = None
        self._items: dict[str, tuple[str, Any]] = {}  # row key -> (kind, entity)
        self._loading = False
        self._again = False

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Projects", classes="work-title", id="work-projects-title")
        yield DataTable(id="work-projects", cursor_type="row", zebra_stripes=True)
        yield Static("Stages, phases and tasks", classes="work-title", id="work-items-title")
        yield DataTable(id="work-items", cursor_type="row")
        yield Static("", id="work-detail")
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        self.query_one("#work-projects", DataTable).add_columns("project", "title", "status", "active stage",
                                                                "progress", "blockers")
        self.query_one("#work-items", DataTable).add_columns("id", "item", "status", "waits for / why")
        super().on_mount()

    # --- data -----------------------------------------------------------------------------------
    def reload(self) -> None:
        if self._loading:
            self._again = True
            return
        if self.store is None:
            return
        self._loading = True
        wanted = self.project_id

        async def fetch(store: Any) -> WorkView:
            try:
                projects = await store.work.projects()
                pid = wanted if any(p.project.id == wanted for p in projects) else \
                    (projects[0].project.id if projects else None)
                return WorkView(projects=projects, tree=await store.work.tree(pid) if pid else None)
            finally:
                self._loading = False

        def failed(exc: BaseException) -> None:  # the frame has notified it already
            self._loading = False

        self.call_store(fetch, lambda v: self.post_message(self.Loaded(v)), group="work-load", exclusive=False,
                        failed=failed)

    def action_reload(self) -> None:
        self.reload()

    def clear_records(self) -> None:
        """A client switch: drop the old client's projects, items and detail, and any load of them still
        on its way (its result would be dropped, and with it the reload queued behind it)."""
        self.workers.cancel_group(self, "work-load")
        self._loading = self._again = False
        super().clear_records()
        self.view = WorkView()
        self.project_id = None
        self._items = {}
        self.query_one("#work-projects-title", Static).update("Projects")
        self.query_one("#work-items-title", Static).update("Stages, phases and tasks")
        self.query_one("#work-detail", Static).update("")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.reload()

    @work(exclusive=True, group="work-tick", exit_on_error=False)
    async def _tick(self) -> None:
        await asyncio.sleep(self.cockpit.settings.refresh_seconds)
        if self.is_current:
            self.reload()
        else:
            self._tick()

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.view = v = message.view
        if v.tree is not None:
            self.project_id = v.tree.project.id
        projects = self.query_one("#work-projects", DataTable)
        selected = selected_key(projects)
        projects.clear()
        for s in v.projects:
            p = s.project
            stage = f"{s.stage.label} · {s.stage.step_name}" if s.stage and s.stage.step_name else \
                (s.stage.label if s.stage else "—")
            blockers = Text("; ".join(s.blockers)[:60], style="red") if s.blockers else Text("")
            projects.add_row(p.id, Text(p.title[:40]), _status(p.status), Text(stage), s.progress, blockers, key=p.id)
        restore_cursor(projects, selected or self.project_id)
        n_open = sum(s.project.status not in ("complete", "cancelled") for s in v.projects)
        self.query_one("#work-projects-title", Static).update(
            f"Projects — {n_open} open of {len(v.projects)}" if v.projects else
            "Projects — none yet (a won deal proposes one in Approvals)")
        self._fill_items(v.tree)
        if self._again:
            self._again = False
            self.reload()
        else:
            self._tick()

    def _fill_items(self, tree: ProjectTree | None) -> None:
        table = self.query_one("#work-items", DataTable)
        selected = selected_key(table)
        table.clear()
        self._items = {}
        title = self.query_one("#work-items-title", Static)
        if tree is None:
            title.update("Stages, phases and tasks")
            return
        title.update(f"{tree.project.title} — stages, phases and tasks")
        self._items[tree.project.id] = ("project", tree.project)
        for s in tree.stages:
            mark = "▸ " if s.id == tree.project.active_stage_id else "  "
            step = f" · step {s.current_step + 1}/{len(s.steps)} {s.step_name}" if s.steps else ""
            self._add(table, s.id, "stage", s, f"{mark}{s.label} [{s.stage_type}]{step}",
                      s.status_reason or (f"replaced by {s.replaced_by}" if s.replaced_by else ""))
            for f in (f for f in tree.phases if f.stage_id == s.id):
                self._add(table, f.id, "phase", f, f"    {f.name}", tree.waits_for(f))
                for t in (t for t in tree.tasks if t.phase_id == f.id):
                    self._add(table, t.id, "task", t, f"      {(t.brief or t.task_type)[:60]}", tree.waits_for(t))
            for t in (t for t in tree.tasks if t.stage_id == s.id and t.phase_id is None):
                self._add(table, t.id, "task", t, f"    {(t.brief or t.task_type)[:60]}", tree.waits_for(t))
        restore_cursor(table, selected)

    def _add(self, table: DataTable[Any], key: str, kind: str, entity: Any, label: str, why: str) -> None:
        self._items[key] = (kind, entity)
        table.add_row(key, Text(label), _status(entity.status), Text(why[:80], style="yellow" if why else ""), key=key)

    # --- navigation and detail --------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#work-projects")
    def _project_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value)
        stale = event.cursor_row != event.data_table.cursor_row  # posted while the table was being refilled
        if event.data_table.has_focus and not stale and key != self.project_id:
            self.project_id = key
            self.reload()

    @on(DataTable.RowHighlighted, "#work-items")
    def _item_highlighted(self, event: DataTable.RowHighlighted) -> None:
        kind, entity = self._items.get(str(event.row_key.value), ("", None))
        if entity is None:
            return
        brief = getattr(entity, "brief", None)
        lines = [f"{kind} {entity.id} · {entity.status.replace('_', ' ')}"
                 + (f" · {entity.status_reason}" if getattr(entity, "status_reason", None) else "")]
        if kind == "task":
            lines.append(f"role {entity.role} · agent {entity.agent or '—'}"
                         + (f" · depends on {', '.join(entity.depends_on)}" if entity.depends_on else ""))
        if brief:
            lines.append(brief)
        self.query_one("#work-detail", Static).update(Text("\n".join(lines)))

    @on(DataTable.RowSelected, "#work-projects")
    def _project_selected(self, event: DataTable.RowSelected) -> None:
        self.action_drill()

    def action_drill(self) -> None:
        """Enter on a project: into its stages, phases and tasks."""
        if self.focused is self.query_one("#work-projects", DataTable):
            self.query_one("#work-items", DataTable).focus()

    def _target(self) -> tuple[str, str, str] | None:
        """(id, kind, label) of what the focused table's cursor is on."""
        items = self.query_one("#work-items", DataTable)
        if self.focused is items:
            key = selected_key(items)
            if key and key in self._items:
                kind, entity = self._items[key]
                label = getattr(entity, "title", None) or getattr(entity, "name", None) or getattr(entity, "brief", "")
                return key, kind, str(label or "")
        key = selected_key(self.query_one("#work-projects", DataTable))
        project = next((s.project for s in self.view.projects if s.project.id == key), None)
        return (project.id, "project", project.title) if project else None

    def action_control(self, action: str) -> None:
        target = self._target()
        if target is None:
            self.notify("pick a project, stage, phase or task first", severity="warning")
            return
        entity_id, kind, label = target

        def chosen(req: ControlRequest | None) -> None:
            if req is None:
                return

            def done(entity: Any) -> None:
                self.notify(f"{kind} {entity.id}: {entity.status.replace('_', ' ')}")
                self.reload()

            self.call_store(lambda s: s.work.control(req.entity_id, req.action, reason=req.reason,
                                                     replaced_by=req.replaced_by),
                            done, group="work-control", exclusive=False)

        self.app.push_screen(ReasonModal(entity_id, kind, action, label), chosen)
