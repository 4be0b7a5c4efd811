"""Editing the fields Justin owns on a record (a deal's terms and strategic fields, a company's or a
contact's strategic fields): the fields come from the registry (``cockpit.fields.editor_fields``), are
validated before anything is written, and are written under the strategic role. Dates take what arlo
reads ("tomorrow", "next Tuesday") and show the date understood before saving. A refusal — ours or the
database's — is shown in the form and nothing is saved. A saved edit can be undone (the session's undo).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from cockpit.errors import CockpitError, ValidationFailed
from cockpit.fields import editor_fields, field, parse_date, strategic_changes
from cockpit.session_undo import Edit

if TYPE_CHECKING:
    from cockpit.store import Store


def record_label(record: Any) -> str:
    return str(getattr(record, "display_name", None) or getattr(record, "name", None) or "(unnamed)")


def shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class RecordEditor(ModalScreen[Any]):
    """Dismisses with the updated record, or None when cancelled / nothing changed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, view: str, record: Any, *, focus_field: str | None = None) -> None:
        super().__init__()
        self.view = view
        self.record = record
        self.fields = editor_fields(view)
        self.focus_field = focus_field if focus_field in self.fields else None
        self.saving = False

    def today(self) -> date:
        return self.app.clock().date()  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="editor"):
            yield Static(Text.assemble(("Edit ", ""), (record_label(self.record), "bold")), id="editor-title")
            yield Static("", id="editor-error")  # near the top: visible even on a 24-line terminal
            for name in self.fields:
                f = field(self.view, name)
                current = getattr(self.record, name, None)
                hint = " (YYYY-MM-DD, tomorrow, next Tuesday…)" if f.type == "date" else ""
                yield Label(f"{f.label}{hint}")
                if f.choices:
                    yield Select([(c, c) for c in f.choices], value=current if current in f.choices else Select.NULL,
                                 allow_blank=True, prompt="none", id=f"ed-{name}")
                else:
                    yield Input(shown_value(current), id=f"ed-{name}")
                if f.type == "date":
                    yield Static("", id=f"understood-{name}", classes="understood")
            yield Static(Text("ctrl+s or enter saves · esc cancels", style="dim"), id="editor-help")

    def on_mount(self) -> None:
        target = self.focus_field or self.fields[0]
        self.query_one(f"#ed-{target}").focus()

    def raw_values(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in self.fields:
            widget = self.query_one(f"#ed-{name}")
            if isinstance(widget, Select):
                out[name] = widget.value if isinstance(widget.value, str) else None
            else:
                out[name] = widget.value  # type: ignore[attr-defined]
        return out

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("ed-")
        if name not in self.fields or field(self.view, name).type != "date":
            return
        note = self.query_one(f"#understood-{name}", Static)
        try:
            value = parse_date(event.value, field(self.view, name).label, self.today())
        except ValidationFailed as exc:
            note.update(Text(f"  ✗ {exc.message}", style="red"))
            return
        note.update(Text(f"  → {value:%a %d %b %Y}" if value else "  → empty (cleared)", style="green"))

    def show_error(self, message: str) -> None:
        self.query_one("#editor-error", Static).update(Text(message, style="bold red"))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        try:
            changes = strategic_changes(self.record, self.raw_values(), self.view, self.today())
        except ValidationFailed as exc:
            self.show_error(f"{exc.message} — {exc.hint}" if exc.hint else exc.message)
            return
        if not changes:
            self.dismiss(None)
            return
        self.saving = True
        self.show_error("")
        view, record_id = self.view, self.record.id
        entry = Edit(view, record_id, record_label(self.record),  # type: ignore[arg-type]
                     before={k: getattr(self.record, k, None) for k in changes}, after=dict(changes))

        async def save(store: "Store") -> Any:
            return await store.crm.update_strategic(view, record_id, **changes)  # type: ignore[arg-type]

        def saved(record: Any) -> None:
            self.app.undo_stack.push(entry)  # type: ignore[attr-defined]
            self.dismiss(record)

        def failed(exc: BaseException) -> None:
            self.saving = False
            self.show_error(str(exc) if isinstance(exc, CockpitError) else f"not saved: {exc}")

        self.app.call_store(self, save, saved, group="save", failed=failed)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)
