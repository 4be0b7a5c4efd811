"""A contact's sequences, from the contacts screen (``S``): enroll in a sequence, pause or resume an
enrollment, unenroll. Every change goes through the store (which refuses, with the reason, a contact
without an email, an unsubscribed or suppressed one, or a second enrollment in the same sequence)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.errors import CockpitError
from cockpit.models import Contact
from styles import sheet

if TYPE_CHECKING:
    from cockpit.sequences.models import Enrollment, Sequence
    from cockpit.store import Store


@dataclass
class ContactSequences:
    enrollments: "list[Enrollment]"
    sequences: "list[Sequence]"


async def load_contact_sequences(store: "Store", contact_id: UUID) -> ContactSequences:
    return ContactSequences(await store.sequences.enrollments_of_contact(contact_id), await store.sequences.sequences())


class SequenceActions(ModalScreen[bool]):
    """Dismisses with True when something changed (so the contact's detail reloads)."""

    CSS_PATH = sheet("sequences.tcss")

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("p", "pause_resume", "Pause/resume"),
        Binding("u", "unenroll", "Unenroll"),
        Binding("n", "enroll", "Enroll"),
        Binding("enter", "enroll", "Enroll", show=False),
    ]

    def __init__(self, contact: Contact) -> None:
        super().__init__()
        self.contact = contact
        self.data: ContactSequences | None = None
        self.changed = False
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="seq-actions"):
            yield Static(Text.assemble(("Sequences of ", ""), (self.contact.display_name, "bold")), id="seq-title")
            yield Static(Text("enrolled", style="bold"))
            yield OptionList(id="seq-enrollments")
            yield Static(Text("enroll in", style="bold"))
            yield OptionList(id="seq-available")
            yield Static("", id="seq-message")
            yield Static(Text("n / enter enrolls · p pauses or resumes · u unenrolls · esc closes", style="dim"),
                         id="seq-help")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        contact_id = self.contact.id
        self.app.call_store(self, lambda store: load_contact_sequences(store, contact_id),  # type: ignore[attr-defined]
                            self._show, group="seq-load")

    def _show(self, data: ContactSequences) -> None:
        self.data = data
        enrolled = self.query_one("#seq-enrollments", OptionList)
        enrolled.clear_options()
        for e in data.enrollments:
            line = Text(f"{e.sequence_name}  ", style="bold")
            line.append(f"{e.progress} · {e.status}")
            if e.status_reason:
                line.append(f" ({e.status_reason})", style="dim")
            if e.status == "active" and e.next_due_at:
                line.append(f" · next {e.next_due_at:%Y-%m-%d %H:%M} UTC", style="dim")
            enrolled.add_option(Option(line, id=str(e.id)))
        if not data.enrollments:
            enrolled.add_option(Option(Text("not in a sequence", style="dim"), id="none", disabled=True))
        taken = {e.sequence_id for e in data.enrollments}
        available = self.query_one("#seq-available", OptionList)
        available.clear_options()
        for s in data.sequences:
            if s.id not in taken and s.is_active:
                available.add_option(Option(f"{s.name}  ({len(s.steps)} steps)", id=str(s.id)))
        for ol in (enrolled, available):
            if ol.option_count and ol.highlighted is None:
                ol.highlighted = 0
        if self.focused is None or self.focused not in (enrolled, available) or (
                self.focused is enrolled and not data.enrollments):  # nothing to act on there
            (enrolled if data.enrollments else available).focus()

    def _say(self, message: str, *, error: bool = False) -> None:
        self.query_one("#seq-message", Static).update(Text(message, style="bold red" if error else "green"))

    def _run(self, fn, done_message: str) -> None:  # type: ignore[no-untyped-def]
        if self.busy:
            return
        self.busy = True

        def done(_result: object) -> None:
            self.busy = False
            self.changed = True
            self._say(done_message)
            self.reload()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._say(exc.message if isinstance(exc, CockpitError) else str(exc), error=True)

        self.app.call_store(self, fn, done, group="seq-change", failed=failed)  # type: ignore[attr-defined]

    def _selected_enrollment(self) -> "Enrollment | None":
        ol = self.query_one("#seq-enrollments", OptionList)
        option = ol.highlighted_option
        if self.data is None or option is None or option.id in (None, "none"):
            return None
        return next((e for e in self.data.enrollments if str(e.id) == option.id), None)

    def action_pause_resume(self) -> None:
        e = self._selected_enrollment()
        if e is None:
            self._say("pick an enrollment first", error=True)
            return
        if e.status == "active":
            self._run(lambda store: store.sequences.pause_enrollment(e.id), f"paused {e.sequence_name}")
        elif e.status == "paused":
            self._run(lambda store: store.sequences.resume_enrollment(e.id, now=self.app.clock()),  # type: ignore[attr-defined]
                      f"resumed {e.sequence_name}")
        else:
            self._say(f"{e.sequence_name} is {e.status}", error=True)

    def action_unenroll(self) -> None:
        e = self._selected_enrollment()
        if e is None or e.status == "complete":
            self._say("pick an active or paused enrollment", error=True)
            return
        self._run(lambda store: store.sequences.unenroll(e.id), f"unenrolled from {e.sequence_name}")

    @on(OptionList.OptionSelected, "#seq-available")
    @on(OptionList.OptionSelected, "#seq-enrollments")
    def _enroll_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter enrolls (what the hint says), whichever list has the focus."""
        event.stop()
        self.action_enroll()

    def action_enroll(self) -> None:
        available = self.query_one("#seq-available", OptionList)
        option = available.highlighted_option
        if option is None or option.id is None:
            self._say("no sequence to enroll in", error=True)
            return
        sequence_id, contact_id = UUID(option.id), self.contact.id
        self._run(lambda store: store.sequences.enroll(contact_id, sequence_id, now=self.app.clock()),  # type: ignore[attr-defined]
                  "enrolled")

    def action_close(self) -> None:
        self.dismiss(self.changed)
