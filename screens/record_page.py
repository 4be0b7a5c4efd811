"""What the deal and company pages share: a scrollable modal with the record's fields (labelled by the
field registry), a list of openable lines (people, deals, timeline) and the edit key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.fields import field, fields_of
from cockpit.models import Activity
from widgets.formatting import ago, short_date

OWNER_TITLE = {"deal_terms": "Deal terms (Justin)", "strategic": "Strategic (Justin)",
               "identity": "Record", "operational": "Kept by arlo", "system": "System"}


def field_value(value: Any, name: str, now: datetime) -> Text:
    if value in (None, ""):
        return Text("—", style="dim")
    if isinstance(value, datetime):
        return Text(f"{short_date(value)} ({ago(value, now)})")
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, Decimal):
        return Text(f"{value:,.2f}")
    return Text(str(value))


def fields_table(view: str, record: Any, now: datetime, shown: dict[str, Text] | None = None) -> Table:
    """Every field of ``view`` grouped by owner; ``shown`` overrides how a field reads (stage label...)."""
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    by_owner: dict[str, list[str]] = {}
    for f in fields_of(view):
        if f.name in ("client_id",):
            continue
        by_owner.setdefault(f.owner, []).append(f.name)
    for owner in ("deal_terms", "strategic", "identity", "operational", "system"):
        names = by_owner.get(owner)
        if not names:
            continue
        table.add_row(Text(OWNER_TITLE[owner], style="bold magenta" if owner in ("deal_terms", "strategic")
                           else "bold"), "")
        for name in names:
            value = (shown or {}).get(name) or field_value(getattr(record, name, None), name, now)
            table.add_row(f"  {field(view, name).label}", value)
    return table


def activity_line(a: Activity) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_date(a.occurred_at)} ", style="dim")
    text.append(f"{a.kind.replace('_', ' ')}  ", style="cyan")
    text.append(a.subject or a.summary or "")
    return text


class RecordPage(ModalScreen[None]):
    """A record's page over the current screen; esc closes, enter opens the highlighted line."""

    # A modal screen stops the app's bindings: the palette, undo, tell and help are bound here again.
    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("e", "edit", "Edit"), Binding("u", "app.undo", "Undo"),
                Binding("colon", "app.command_palette", "Commands", key_display=":"),
                Binding("t", "app.tell_arlo", "Tell arlo"), Binding("question_mark", "app.help", "Keys", key_display="?"),
                Binding("j", "cursor(1)", show=False), Binding("k", "cursor(-1)", show=False),
                Binding("n", "add_note", "Note"), Binding("T", "add_task", "Task"),
                Binding("d", "task_done", "Task done", show=False),
                Binding("r", "task_reschedule", "Reschedule task", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, Callable[[], None]] = {}

    # --- notes and tasks on the record (subclasses say what a new one is linked to) -----------------
    def note_links(self) -> dict[str, Any]:
        """The records a note or task written on this page is linked to (contact_id/company_id/deal_id)."""
        return {}

    def about(self) -> str:
        return ""

    def _write(self, kind: str) -> None:
        from screens.note_forms import NoteForm

        links = self.note_links()
        if links:
            self.app.push_screen(NoteForm(kind, links=links, about=self.about()),
                                 lambda saved: self.load() if saved is not None else None)

    def action_add_note(self) -> None:
        self._write("note")

    def action_add_task(self) -> None:
        self._write("task")

    def _highlighted_task(self) -> Any:
        """The task on the highlighted line (None on any other line)."""
        ol = self.query_one("#page-links", OptionList)
        if ol.highlighted is None:
            return None
        return getattr(self, "tasks_by_key", {}).get(ol.get_option_at_index(ol.highlighted).id or "")

    def action_task_done(self) -> None:
        from screens.note_forms import toggle_done

        task = self._highlighted_task()
        if task is not None:
            toggle_done(self, task, lambda _t: self.load())

    def action_task_reschedule(self) -> None:
        from screens.note_forms import DuePrompt

        task = self._highlighted_task()
        if task is not None:
            self.app.push_screen(DuePrompt(task), lambda saved: self.load() if saved is not None else None)

    def notes_lines(self, notes: list[Any], tasks: list[Any]) -> list[tuple[str, Text, Callable[[], None] | None]]:
        from screens.note_forms import section_lines

        self.tasks_by_key = {f"task-{t.id}": t for t in tasks}
        return section_lines(self, notes, tasks, self.app.clock().date(), self.load)  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="record-page"):
            yield Static("loading…", id="page-head")
            yield Static("", id="page-fields")
            yield OptionList(id="page-links")
            yield Static("", id="page-help")

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        """Start the page's queries (subclasses)."""

    def show_links(self, lines: list[tuple[str, Text | str, Callable[[], None] | None]]) -> None:
        """Openable lines (``(id, text, open)``); a line without ``open`` is a heading."""
        ol = self.query_one("#page-links", OptionList)
        ol.clear_options()
        self.links = {}
        for key, text, opener in lines:
            ol.add_option(Option(text, id=key, disabled=opener is None))
            if opener is not None:
                self.links[key] = opener
        ol.focus()
        first = next((i for i, (_k, _t, o) in enumerate(lines) if o is not None), None)
        if first is not None:
            ol.highlighted = first

    @on(OptionList.OptionSelected, "#page-links")
    def _open(self, event: OptionList.OptionSelected) -> None:
        opener = self.links.get(event.option.id or "")
        if opener is not None:
            opener()

    def action_cursor(self, step: int) -> None:
        ol = self.query_one("#page-links", OptionList)
        (ol.action_cursor_down if step > 0 else ol.action_cursor_up)()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        """Edit the record's fields (subclasses)."""

    def edit_fields(self, view: str, record: Any, focus_field: str | None = None) -> None:
        from screens.record_editor import RecordEditor

        def edited(updated: Any) -> None:
            if updated is not None:
                self.notify("saved", timeout=2)
                self.load()

        self.app.push_screen(RecordEditor(view, record, focus_field=focus_field), edited)


class ActivityPage(ModalScreen[None]):
    """One timeline line in full."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, activity: Activity) -> None:
        super().__init__()
        self.activity = activity

    def compose(self) -> ComposeResult:
        a = self.activity
        with VerticalScroll(id="record-page"):
            yield Static(Text(a.subject or a.kind.replace("_", " "), style="bold"))
            yield Static(fields_table("crm_activities", a, self.app.clock()))  # type: ignore[attr-defined]
            yield Static(Text("esc close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
