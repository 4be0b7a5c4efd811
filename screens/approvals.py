"""Approvals: the pending proposals (import rows, merges, arlo's writebacks, context changes), each with
its evidence and a diff of what would change; approve or reject with a note.

Standalone until the app frame registers it (it takes the store, or uses ``app.store``). Every store call
runs in a worker and comes back as a message; the list holds one keyset page at a time (50 rows, more on
demand), the total is counted in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from cockpit.approvals.service import ProposalView, approve, reject, review
from cockpit.errors import CockpitError

PAGE = 50


class ApprovalsScreen(Screen[None]):
    CSS_PATH = "../styles/approvals.tcss"
    BINDINGS = [
        Binding("a", "approve", "Approve", tooltip="approve the selected proposal (with the note, if any)"),
        Binding("x", "reject", "Reject", tooltip="reject the selected proposal (a note is required)"),
        Binding("n", "focus_note", "Note"),
        Binding("m", "more", "More", tooltip="load the next page of pending proposals"),
        Binding("ctrl+r", "refresh", "Refresh"),
        Binding("escape", "back", "Back", show=False),
    ]

    @dataclass
    class PageLoaded(Message):
        items: list[Any]
        next_after: Any
        total: int
        append: bool

    @dataclass
    class DetailLoaded(Message):
        view: ProposalView

    @dataclass
    class Decided(Message):
        proposal_id: str
        verdict: str
        changes: int

    @dataclass
    class Failed(Message):
        error: str

    def __init__(self, store: Any | None = None, *, reviewer: str = "justin") -> None:
        super().__init__()
        self._store = store
        self.reviewer = reviewer
        self.next_after: Any = None
        self.selected: str | None = None
        self.total = 0

    @property
    def store(self) -> Any:
        return self._store or getattr(self.app, "store", None)

    def compose(self) -> ComposeResult:
        yield Static("Approvals", id="approvals-title")
        with Horizontal(id="approvals-body"):
            yield DataTable(id="proposals", cursor_type="row", zebra_stripes=True)
            with Vertical(id="proposal-side"):
                with VerticalScroll(id="proposal-detail"):
                    yield Static("Pick a proposal to see its evidence and what would change.", id="detail-text")
                yield Input(placeholder="note for the decision (required to reject)", id="decision-note")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#proposals", DataTable)
        table.add_columns("kind", "proposal", "by", "conf.")
        self.action_refresh()

    # --- loading ------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.next_after = None
        self._load_page(None, append=False)

    def action_more(self) -> None:
        if self.next_after is not None:
            self._load_page(self.next_after, append=True)

    @work(exclusive=True, group="approvals-page")
    async def _load_page(self, after: Any, append: bool) -> None:
        try:
            page = await self.store.pending_proposals(after=after, limit=PAGE)
            total = await self.store.pending_count()
        except CockpitError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.PageLoaded(page.items, page.next_after, total, append))

    @on(PageLoaded)
    def _show_page(self, msg: PageLoaded) -> None:
        table = self.query_one("#proposals", DataTable)
        if not msg.append:
            table.clear()
        for p in msg.items:
            table.add_row(p.kind, p.summary[:70], p.created_by, f"{p.confidence:.2f}", key=str(p.proposal_id))
        self.next_after, self.total = msg.next_after, msg.total
        more = f" — {table.row_count} shown, m for more" if msg.next_after is not None else ""
        self.query_one("#approvals-title", Static).update(f"Approvals — {msg.total:,} pending{more}")
        if not table.row_count:
            self.selected = None
            self.query_one("#detail-text", Static).update("Nothing waits for approval.")

    @on(DataTable.RowHighlighted, "#proposals")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        self.selected = event.row_key.value
        self._load_detail(self.selected)

    @work(exclusive=True, group="approvals-detail")
    async def _load_detail(self, proposal_id: str) -> None:
        try:
            view = await review(self.store, proposal_id)
        except CockpitError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.DetailLoaded(view))

    @on(DetailLoaded)
    def _show_detail(self, msg: DetailLoaded) -> None:
        if str(msg.view.row.proposal_id) != self.selected:
            return  # the user moved on
        v = msg.view
        text = Text()
        text.append(f"{v.row.summary}\n", style="bold")
        text.append(f"{v.row.kind} · {v.row.entity_type} · {v.row.action} · by {v.row.created_by}\n\n", style="dim")
        text.append("Evidence\n", style="bold underline")
        for e in v.evidence:
            text.append(f"  • {e}\n")
        text.append("\nWould change\n", style="bold underline")
        for d in v.diff:
            text.append(f"  {d.field}: ", style="bold")
            text.append(f"{d.before if d.before not in (None, '') else '∅'}", style="red")
            text.append(" → ")
            text.append(f"{d.after}\n", style="green")
        self.query_one("#detail-text", Static).update(text)

    # --- deciding -----------------------------------------------------------------------------
    def action_focus_note(self) -> None:
        self.query_one("#decision-note", Input).focus()

    def action_approve(self) -> None:
        self._decide("approved")

    def action_reject(self) -> None:
        note = self.query_one("#decision-note", Input).value.strip()
        if not note:
            self.notify("a rejection needs a note saying why (n to write one)", severity="warning")
            self.action_focus_note()
            return
        self._decide("rejected")

    @on(Input.Submitted, "#decision-note")
    def _note_done(self) -> None:
        self.query_one("#proposals", DataTable).focus()

    def _decide(self, verdict: str) -> None:
        if not self.selected:
            self.notify("pick a proposal first", severity="warning")
            return
        note = self.query_one("#decision-note", Input).value.strip()
        self._run_decision(self.selected, verdict, note)

    @work(exclusive=True, group="approvals-decide")
    async def _run_decision(self, proposal_id: str, verdict: str, note: str) -> None:
        try:
            if verdict == "approved":
                ops = await approve(self.store, proposal_id, reviewer=self.reviewer, note=note)
            else:
                await reject(self.store, proposal_id, reviewer=self.reviewer, note=note)
                ops = []
        except CockpitError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Decided(proposal_id, verdict, len(ops)))

    @on(Decided)
    def _decided(self, msg: Decided) -> None:
        table = self.query_one("#proposals", DataTable)
        if msg.proposal_id in table.rows:
            table.remove_row(msg.proposal_id)
        self.total = max(0, self.total - 1)
        self.query_one("#approvals-title", Static).update(f"Approvals — {self.total:,} pending")
        self.query_one("#decision-note", Input).value = ""
        what = f"approved; {msg.changes} change(s) applied" if msg.verdict == "approved" else "rejected; nothing changed"
        self.notify(what)
        if table.row_count == 0:
            self.selected = None
            self.action_refresh()
        else:  # the cursor now rests on another row without a highlight event: show that one
            row = min(table.cursor_row, table.row_count - 1)
            key = table.coordinate_to_cell_key((row, 0)).row_key.value
            self.selected = key
            if key:
                self._load_detail(key)

    @on(Failed)
    def _failed(self, msg: Failed) -> None:
        self.notify(msg.error, severity="error", timeout=8)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
