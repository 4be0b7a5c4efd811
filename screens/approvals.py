"""Approvals: the pending proposals (import rows, merges, arlo's writebacks, context changes), each with
its evidence and a diff of what would change; approve or reject with a note.

Every store call runs in a worker (``call_store``); the list holds one keyset page at a time (50 rows,
more on demand), the total is counted in SQL. Errors become notifications (the frame's policy).
"""

from __future__ import annotations

import getpass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from cockpit.approvals.service import ProposalView, approve, reject, review
from screens.base import CockpitScreen
from widgets.debounce import Debounce

from styles import sheet

PAGE = 50
DETAIL_DEBOUNCE = 0.08


class ApprovalsScreen(CockpitScreen):
    TITLE_TEXT = "Approvals"
    WATCHES = frozenset({"proposal", "decision"})
    CSS_PATH = sheet("approvals.tcss")
    BINDINGS = [
        Binding("a", "approve", "Approve", tooltip="approve the selected proposal (with the note, if any)"),
        Binding("x", "reject", "Reject", tooltip="reject the selected proposal (a note is required)"),
        Binding("n", "focus_note", "Note"),
        Binding("m", "more", "More", tooltip="load the next page of pending proposals"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reviewer = getpass.getuser() or "cockpit"
        self.next_after: Any = None
        self.selected: str | None = None
        self.shown: str | None = None  # the proposal whose evidence and diff are on screen
        self._detail = Debounce(self, DETAIL_DEBOUNCE, self._load_detail)
        self._page_seq = 0
        self.total = 0
        # set when a page / a detail / a decision has been shown (tests and the frame can await them)

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Approvals", id="approvals-title")
        with Horizontal(id="approvals-body"):
            yield DataTable(id="proposals", cursor_type="row", zebra_stripes=True)
            with Vertical(id="proposal-side"):
                with VerticalScroll(id="proposal-detail"):
                    yield Static("Pick a proposal to see its evidence and what would change.", id="detail-text")
                yield Input(placeholder="note for the decision (required to reject)", id="decision-note")
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        self.query_one("#proposals", DataTable).add_columns("kind", "proposal", "by", "conf.")
        super().on_mount()

    def reload(self) -> None:
        self.action_refresh()

    # --- loading ------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.next_after = None
        self._load_page(None, append=False)

    def action_more(self) -> None:
        if self.next_after is not None:
            self._load_page(self.next_after, append=True)

    def _load_page(self, after: Any, append: bool) -> None:
        async def fetch(store: Any) -> tuple[Any, int]:
            return await store.approvals.pending_proposals(after=after, limit=PAGE), await store.approvals.pending_count()

        # not exclusive: a reload right after mount would cancel a worker that never started; a newer
        # load simply wins (older results are dropped by their sequence number)
        self._page_seq += 1
        seq = self._page_seq
        self.call_store(fetch, lambda got: seq == self._page_seq and self._show_page(got[0], got[1], append),
                        group="approvals-page", exclusive=False)

    def _show_page(self, page: Any, total: int, append: bool) -> None:
        table = self.query_one("#proposals", DataTable)
        keep = self.selected if not append else None
        if not append:
            table.clear()
        for p in page.items:
            table.add_row(p.kind, p.summary[:70], p.created_by, f"{p.confidence:.2f}", key=str(p.proposal_id))
        if keep is not None and keep in table.rows:  # a reload keeps the cursor on its proposal
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self.next_after, self.total = page.next_after, total
        more = f" — {table.row_count} shown, m for more" if page.next_after is not None else ""
        self.query_one("#approvals-title", Static).update(f"Approvals — {total:,} pending{more}")
        if not table.row_count:
            self.selected = None
            self.query_one("#detail-text", Static).update("Nothing waits for approval.")

    @on(DataTable.RowHighlighted, "#proposals")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        self.selected = event.row_key.value
        # debounced: holding j/k (or a page filling the table) asks for one detail, not one per row
        self._detail.later(self.selected)  # the row the cursor rests on

    def _load_detail(self, proposal_id: str) -> None:
        if not proposal_id:
            return
        self.call_store(lambda store: review(store, proposal_id), self._show_detail, group="approvals-detail")

    def _show_detail(self, v: ProposalView) -> None:
        if str(v.row.proposal_id) != self.selected:
            return  # the user moved on
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
        self.shown = str(v.row.proposal_id)

    # --- deciding -----------------------------------------------------------------------------
    def action_focus_note(self) -> None:
        # at once, not after a refresh: the keys typed right after n belong to the note
        self.cockpit.open_field(self.query_one("#decision-note", Input))

    def action_approve(self) -> None:
        self._decide("approved")

    def action_reject(self) -> None:
        note = self.query_one("#decision-note", Input).value.strip()
        if not note:
            # the focus stays where it is: the n the message asks for opens the note, and is not typed into it
            self.notify("a rejection needs a note saying why (n to write one)", severity="warning")
            return
        self._decide("rejected")

    @on(Input.Submitted, "#decision-note")
    def _note_done(self) -> None:
        self.query_one("#proposals", DataTable).focus()

    def leave_input(self) -> bool:
        """Esc in the note: back to the proposals (the note keeps its text)."""
        self.query_one("#proposals", DataTable).focus()
        return True

    def _decide(self, verdict: str) -> None:
        if not self.selected:
            self.notify("pick a proposal first", severity="warning")
            return
        note = self.query_one("#decision-note", Input).value.strip()
        self._run_decision(self.selected, verdict, note)

    def _run_decision(self, proposal_id: str, verdict: str, note: str) -> None:
        async def decide(store: Any) -> int:
            if verdict == "approved":
                return len(await approve(store, proposal_id, reviewer=self.reviewer, note=note))
            await reject(store, proposal_id, reviewer=self.reviewer, note=note)
            return 0

        self.call_store(decide, lambda changes: self._decided(proposal_id, verdict, changes),
                        group="approvals-decide")

    def _decided(self, proposal_id: str, verdict: str, changes: int) -> None:
        table = self.query_one("#proposals", DataTable)
        if proposal_id in table.rows:
            table.remove_row(proposal_id)
        self.total = max(0, self.total - 1)
        self.query_one("#approvals-title", Static).update(f"Approvals — {self.total:,} pending")
        self.query_one("#decision-note", Input).value = ""
        what = f"approved; {changes} change(s) applied" if verdict == "approved" else "rejected; nothing changed"
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
