"""What the deal and company pages share: a scrollable modal with the record's fields (labelled by the
field registry), a list of openable lines (people, deals, timeline) and the edit key.

A page follows the change feed as the mode screens do (the app hands it every delivery while it is
open): a change to what it shows (:meth:`RecordPage.watches`) reloads it in place, keeping the highlighted
line; hidden under another dialog it reloads when shown again. A record deleted elsewhere (or gone from
the client's scope) says so instead of showing the old values. On a client switch the page empties at
once and closes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.errors import NotFound
from cockpit.fields import field, fields_of
from cockpit.models import Activity
from screens.record_detail import custom_rows
from widgets.formatting import ago, short_date

if TYPE_CHECKING:
    from cockpit.changes import Delivery

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
        if f.name in ("client_id", "custom"):
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
    custom = custom_rows(getattr(record, "custom", None))
    if custom:
        table.add_row(Text("Custom fields (Twenty, read-only)", style="bold"), "")
        for label, value in custom:
            table.add_row(f"  {label}", value)
    return table


def activity_line(a: Activity) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_date(a.occurred_at)} ", style="dim")
    text.append(f"{a.kind.replace('_', ' ')}  ", style="cyan")
    text.append(a.subject or a.summary or "")
    return text


class RecordPage(ModalScreen[None]):
    """A record's page over the current screen; esc closes, enter opens the highlighted line."""

    AUTO_FOCUS = "#page-links"  # enter opens the highlighted line, also after a dialog over the page closes

    # A modal screen stops the app's bindings: the palette, undo, tell and help are bound here again.
    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("e", "edit", "Edit"), Binding("u", "app.undo", "Undo"),
                Binding("colon", "app.command_palette", "Commands", key_display=":"),
                Binding("t", "app.tell_arlo", "Tell arlo"), Binding("question_mark", "app.help", "Keys", key_display="?"),
                Binding("j", "cursor(1)", show=False), Binding("k", "cursor(-1)", show=False),
                Binding("n", "add_note", "Note"), Binding("T", "add_task", "Task"),
                Binding("d", "task_done", "Task done", show=False),
                Binding("r", "task_reschedule", "Reschedule task", show=False)]

    # what the page is, for "this deal was deleted"
    NOUN = "record"

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, Callable[[], None]] = {}
        self.data: Any = None
        self.gone = False  # the record no longer exists in this client's scope
        self._stale = False
        self._cleared = False  # emptied by a client switch: closes when next shown

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
        self.app.attach_screen(self)  # type: ignore[attr-defined]
        self.load()

    @on(OptionList.OptionHighlighted, "#page-links")
    def _keep_links_in_view(self, event: OptionList.OptionHighlighted) -> None:
        """On a short terminal the fields fill the page: moving through the lines scrolls them into view
        (the highlight a load places does not: the page opens at its top)."""
        placed, self._placed = getattr(self, "_placed", None), None
        if event.option_index != placed:
            self.query_one("#record-page", VerticalScroll).scroll_to_widget(event.option_list, animate=False)

    def on_unmount(self) -> None:
        self.app.detach_screen(self)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        if self._cleared:
            self.call_after_refresh(self._close_cleared)  # once the mode switch showing it is over
        elif self._stale:
            self._stale = False
            self.load()

    def load(self) -> None:
        """Start the page's queries (subclasses)."""

    def load_record(self, fn: Callable[[Any], Any], shown: Callable[[Any], None]) -> None:
        """Run the page's query ``fn(store)`` and hand its result to ``shown``; a record that is not
        there (deleted elsewhere, or out of the client's scope) becomes :meth:`show_gone`."""
        async def job(store: Any) -> Any:
            try:
                return await fn(store)
            except NotFound:
                return None

        def done(data: Any) -> None:
            if data is None:
                self.show_gone()
            else:
                self.gone = False
                shown(data)

        self.app.call_store(self, job, done, group="record-page")  # type: ignore[attr-defined]

    def show_gone(self) -> None:
        """The record was deleted (or left the client's scope): say so, show none of its old values."""
        self.gone = True
        self.data = None  # nothing to edit or move
        self.query_one("#page-head", Static).update(Text(
            f"This {self.NOUN} no longer exists: it was deleted or moved out of this client.", style="bold red"))
        self.query_one("#page-fields", Static).update("")
        self.query_one("#page-links", OptionList).clear_options()
        self.links = {}
        self.query_one("#page-help", Static).update(Text("esc close", style="dim"))

    # --- the change feed (the app calls these as it does on the mode screens) ---------------------
    def watches(self, delivery: "Delivery") -> bool:
        """Whether ``delivery`` touches what the page shows (subclasses)."""
        return False

    def changes_arrived(self, delivery: "Delivery") -> None:
        if self._cleared or not self.watches(delivery):
            return
        if self.is_current:
            self.load()
        else:
            self._stale = True

    def _close_cleared(self) -> None:
        if self.is_current:
            self.dismiss(None)

    def store_changed(self) -> None:
        """Connected again (reload), or another client (the page was cleared: it closes)."""
        if self._cleared:
            self._close_cleared()
        elif self.is_current:
            self.load()
        else:
            self._stale = True

    def clear_records(self) -> None:
        """A client switch: none of the old client's values stay on screen."""
        self._cleared = True
        self.data = None
        self.query_one("#page-head", Static).update(Text("switching client…", style="dim"))
        self.query_one("#page-fields", Static).update("")
        self.query_one("#page-links", OptionList).clear_options()
        self.links = {}

    def show_links(self, lines: list[tuple[str, Text | str, Callable[[], None] | None]]) -> None:
        """Openable lines (``(id, text, open)``); a line without ``open`` is a heading."""
        ol = self.query_one("#page-links", OptionList)
        was = ol.highlighted_option.id if ol.highlighted_option is not None else None
        ol.clear_options()
        self.links = {}
        for key, text, opener in lines:
            ol.add_option(Option(text, id=key, disabled=opener is None))
            if opener is not None:
                self.links[key] = opener
        if self.focused is not ol:
            ol.focus()
        # a reload keeps the highlighted line (when it is still there), else the first openable one
        keep = next((i for i, (k, _t, o) in enumerate(lines) if k == was and o is not None), None)
        first = next((i for i, (_k, _t, o) in enumerate(lines) if o is not None), None)
        if keep is not None or first is not None:
            ol.highlighted = self._placed = keep if keep is not None else first

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
