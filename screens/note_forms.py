"""Notes and tasks on a record: the lines a record page lists, the form that writes one, the page that
shows one in full (``e`` edit, ``d`` done, ``r`` reschedule) and the due-date prompt.

Every write goes through the store (``store.notes`` / ``store.crm_tasks``, under the strategic role); a
refusal is shown in the form and nothing is saved. Due dates take what arlo reads ("friday", "next
Tuesday", "in 2 weeks") and show the day understood before saving.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from cockpit.errors import CockpitError, ValidationFailed
from cockpit.fields import parse_date
from cockpit.models import CrmTask, Note
from widgets.formatting import short_date

if TYPE_CHECKING:
    from cockpit.store import Store

STATUS_MARK = {"TODO": "○", "IN_PROGRESS": "◐", "DONE": "●"}


def due_text(task: CrmTask, today: date) -> Text:
    if task.due_at is None:
        return Text("no due date", style="dim")
    day = task.due_at.astimezone().date()
    if task.done:
        return Text(f"due {day:%a %d %b}", style="dim")
    if day < today:
        return Text(f"overdue {day:%a %d %b}", style="bold red")
    if day == today:
        return Text("due today", style="bold yellow")
    return Text(f"due {day:%a %d %b}")


def note_line(note: Note) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_date(note.created_at)} ", style="dim")
    text.append(note.headline, style="bold")
    if note.title and note.body:
        text.append("  " + " ".join(note.body.split())[:80], style="dim")
    return text


def task_line(task: CrmTask, today: date) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{STATUS_MARK.get(task.status or 'TODO', '○')} ", style="green" if task.done else "cyan")
    text.append(task.headline, style="dim strike" if task.done else "bold")
    text.append("  ")
    text.append_text(due_text(task, today))
    if task.assignee_name:
        text.append(f"  @{task.assignee_name}", style="dim")
    return text


def read_due(raw: str, today: date) -> date | None:
    """A due date typed by hand: YYYY-MM-DD or words arlo reads; blank means none."""
    return parse_date(raw, "due date", today)


class NoteForm(ModalScreen[Any]):
    """Add or edit a note (``kind="note"``) or a task (``kind="task"``) linked to ``links``; dismisses
    with the saved Note/CrmTask, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, kind: str, *, links: dict[str, UUID] | None = None, item: Note | None = None,
                 about: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.links = links or {}
        self.item = item
        self.about = about
        self.saving = False

    def today(self) -> date:
        return self.app.clock().date()  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        verb = "Edit" if self.item else "New"
        with VerticalScroll(id="note-form"):
            yield Static(Text.assemble((f"{verb} {self.kind}", "bold"), (f"  {self.about}", "dim")), id="note-form-title")
            yield Static("", id="note-form-error")
            yield Label("title")
            yield Input(self.item.title or "" if self.item else "", id="nf-title")
            if self.kind == "task" and self.item is None:
                yield Label("due (YYYY-MM-DD, friday, next Tuesday… empty: none)")
                yield Input("", id="nf-due")
                yield Static("", id="nf-understood", classes="understood")
            yield Label("text (markdown)")
            yield TextArea(self.item.body or "" if self.item else "", id="nf-body")
            yield Static(Text("ctrl+s saves · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#nf-title", Input).focus()

    @on(Input.Changed, "#nf-due")
    def _due_changed(self, event: Input.Changed) -> None:
        note = self.query_one("#nf-understood", Static)
        try:
            value = read_due(event.value, self.today())
        except ValidationFailed as exc:
            note.update(Text(f"  ✗ {exc.message}", style="red"))
            return
        note.update(Text(f"  → {value:%a %d %b %Y}" if value else "  → no due date", style="green"))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def show_error(self, message: str) -> None:
        self.query_one("#note-form-error", Static).update(Text(message, style="bold red"))

    def action_save(self) -> None:
        if self.saving:
            return
        title = self.query_one("#nf-title", Input).value
        body = self.query_one("#nf-body", TextArea).text
        due: date | None = None
        if self.kind == "task" and self.item is None:
            try:
                due = read_due(self.query_one("#nf-due", Input).value, self.today())
            except ValidationFailed as exc:
                self.show_error(f"{exc.message} — {exc.hint}" if exc.hint else exc.message)
                return
        if not title.strip() and not body.strip():
            self.show_error("type a title or a text (esc cancels)")
            return
        self.saving = True
        kind, item, links = self.kind, self.item, self.links

        async def save(store: "Store") -> Any:
            repo = store.crm_tasks if kind == "task" else store.notes
            if item is not None:
                return await repo.edit(item.id, title=title, body=body)
            if kind == "task":
                return await store.crm_tasks.add(title=title, body=body, due=due, **links)
            return await store.notes.add(title=title, body=body, **links)

        def failed(exc: BaseException) -> None:
            self.saving = False
            self.show_error(str(exc) if isinstance(exc, CockpitError) else f"not saved: {exc}")

        self.app.call_store(self, save, self.dismiss, group="save", failed=failed)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)


class DuePrompt(ModalScreen[Any]):
    """Reschedule a task: a new due date (words or YYYY-MM-DD); dismisses with the saved task."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, task: CrmTask) -> None:
        super().__init__()
        self.task_row = task

    def today(self) -> date:
        return self.app.clock().date()  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="due-prompt"):
            yield Static(Text.assemble(("Reschedule ", "bold"), self.task_row.headline))
            yield Label("new due date (YYYY-MM-DD, friday, next Tuesday… empty: none)")
            yield Input("", id="due-input")
            yield Static("", id="due-understood", classes="understood")
            yield Static(Text("enter saves · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#due-input", Input).focus()

    @on(Input.Changed, "#due-input")
    def _changed(self, event: Input.Changed) -> None:
        note = self.query_one("#due-understood", Static)
        try:
            value = read_due(event.value, self.today())
        except ValidationFailed as exc:
            note.update(Text(f"  ✗ {exc.message}", style="red"))
            return
        note.update(Text(f"  → {value:%a %d %b %Y}" if value else "  → no due date", style="green"))

    @on(Input.Submitted, "#due-input")
    def _save(self, event: Input.Submitted) -> None:
        try:
            due = read_due(event.value, self.today())
        except ValidationFailed as exc:
            self.query_one("#due-understood", Static).update(Text(f"  ✗ {exc.message} — {exc.hint}", style="bold red"))
            return
        task_id = self.task_row.id
        self.app.call_store(self, lambda store: store.crm_tasks.reschedule(task_id, due),  # type: ignore[attr-defined]
                            self.dismiss, group="save")

    def action_cancel(self) -> None:
        self.dismiss(None)


def toggle_done(node: Any, task: CrmTask, then: Callable[[CrmTask], None]) -> None:
    """Mark a task done (or open again when it is done), then ``then(saved)``."""
    done = not task.done

    def saved(t: CrmTask) -> None:
        node.app.notify("done: " + t.headline if t.done else "open again: " + t.headline, timeout=2)
        then(t)

    node.app.call_store(node, lambda store: store.crm_tasks.complete(task.id, done), saved, group="save")


class ItemPage(ModalScreen[Any]):
    """One note or task in full. ``e`` edits; on a task ``d`` marks done and ``r`` reschedules.
    Dismisses with True when something was changed (the caller reloads)."""

    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("e", "edit", "Edit"),
                Binding("d", "done", "Done/undone"), Binding("r", "reschedule", "Reschedule")]

    def __init__(self, item: Note) -> None:
        super().__init__()
        self.item = item
        self.changed = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="record-page"):
            yield Static("", id="item-head")
            yield Static("", id="item-body")
            yield Static("", id="item-help")

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        item, today = self.item, self.app.clock().date()  # type: ignore[attr-defined]
        head = Text(item.headline, style="bold")
        meta = Text(f"\n{short_date(item.created_at)}", style="dim")
        if item.created_by:
            meta.append(f" by {item.created_by}", style="dim")
        if isinstance(item, CrmTask):
            head = task_line(item, today)
            help_text = "e edit · d done/undone · r reschedule · esc close"
        else:
            help_text = "e edit · esc close"
        self.query_one("#item-head", Static).update(Text.assemble(head, meta))
        self.query_one("#item-body", Static).update(Text("\n" + (item.body or "(no text)")))
        self.query_one("#item-help", Static).update(Text(help_text, style="dim"))

    def _saved(self, item: Any) -> None:
        if item is not None:
            self.item = item
            self.changed = True
            self.show()

    def action_edit(self) -> None:
        kind = "task" if isinstance(self.item, CrmTask) else "note"
        self.app.push_screen(NoteForm(kind, item=self.item), self._saved)

    def action_done(self) -> None:
        if isinstance(self.item, CrmTask):
            toggle_done(self, self.item, self._saved)

    def action_reschedule(self) -> None:
        if isinstance(self.item, CrmTask):
            self.app.push_screen(DuePrompt(self.item), self._saved)

    def action_close(self) -> None:
        self.dismiss(self.changed)


def section_lines(page: Any, notes: list[Note], tasks: list[CrmTask], today: date,
                  reload: Callable[[], None]) -> list[tuple[str, Text, Callable[[], None] | None]]:
    """A record page's Notes and Tasks sections: a heading each, then one openable line per item."""

    def opener(item: Note) -> Callable[[], None]:
        return lambda: page.app.push_screen(ItemPage(item), lambda changed: reload() if changed else None)

    lines: list[tuple[str, Text, Callable[[], None] | None]] = [
        ("h-tasks", Text(f"Tasks ({len(tasks)} open)" if tasks else "Tasks: none open (T adds one)", style="bold"),
         None)]
    lines += [(f"task-{t.id}", task_line(t, today), opener(t)) for t in tasks]
    lines.append(("h-notes", Text(f"Notes ({len(notes)})" if notes else "Notes: none (n adds one)", style="bold"),
                  None))
    lines += [(f"note-{n.id}", note_line(n), opener(n)) for n in notes]
    return lines


def notes_summary(notes: list[Note], tasks: list[CrmTask], today: date) -> Text:
    """A contact's open tasks and newest notes, for the dossier's box."""
    if not notes and not tasks:
        return Text("none yet", style="dim")
    out = Text()
    for line in [task_line(t, today) for t in tasks] + [note_line(n) for n in notes]:
        if out:
            out.append("\n")
        out.append_text(line)
    return out
