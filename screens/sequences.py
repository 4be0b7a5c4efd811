"""Sequences overview: every sequence with its enrollments counted per step and status (counted in the
database), how many are due now, and the outbox (drafts, pending, sent, failed, unknown). ``x`` runs one
sequence step now — offline (drafts only) without a Resend key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from styles import sheet
from screens.base import CockpitScreen

if TYPE_CHECKING:
    from cockpit.sequences.models import OutboxCounts, Sequence, StepCount
    from cockpit.sequences.step import StepReport
    from cockpit.store import Store


@dataclass
class Overview:
    sequences: "list[Sequence]"
    counts: "list[StepCount]"
    outbox: "OutboxCounts"


class SequencesScreen(CockpitScreen):
    TITLE_TEXT = "Sequences"
    CSS_PATH = sheet("sequences.tcss")
    WATCHES = frozenset({"sequence", "enrollment", "outbox"})
    AUTO_FOCUS = "#seq-table"
    BINDINGS = [Binding("x", "run_step", "Run step now")]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("", id="seq-summary")
        yield DataTable(id="seq-table", cursor_type="row", zebra_stripes=True)
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Sequence", "Step", "Active", "Due now", "Paused", "Complete")
        super().on_mount()

    def reload(self) -> None:
        now = self.cockpit.clock()

        async def load(store: "Store") -> Overview:
            sequences, counts, outbox = await asyncio.gather(
                store.sequences.sequences(), store.sequences.sequence_overview(now=now), store.sequences.outbox_counts())
            return Overview(sequences, counts, outbox)

        self.call_store(load, self._show, group="seq-overview")

    def _show(self, ov: Overview) -> None:
        self.overview = ov
        table = self.query_one(DataTable)
        row = table.cursor_row if table.row_count else 0
        keep = table.coordinate_to_cell_key((row, 0)).row_key.value if table.row_count else None
        table.clear()
        by_key: dict[tuple[str, int], dict[str, int]] = {}
        for c in ov.counts:
            cell = by_key.setdefault((str(c.sequence_id), c.step), {"active": 0, "due": 0, "paused": 0, "complete": 0})
            cell[c.status] = cell.get(c.status, 0) + c.count
            cell["due"] += c.due
        for s in ov.sequences:
            name = Text(s.name, style="bold" if s.is_active else "dim")
            steps = sorted({step for (sid, step) in by_key if sid == str(s.id)} | set(range(len(s.steps))))
            for step in steps:
                cell = by_key.get((str(s.id), step), {})
                label = f"{step + 1} of {len(s.steps)}" if step < len(s.steps) else "done"
                table.add_row(name if step == steps[0] else "", label, *(
                    str(cell.get(k, 0) or "") for k in ("active", "due", "paused", "complete")),
                    key=f"{s.id}:{step}")
        if keep is not None and keep in table.rows:  # a reload keeps the cursor on its row
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        o = ov.outbox
        summary = Text()
        summary.append(f"{len(ov.sequences)} sequence(s)  ", style="bold")
        summary.append(f"outbox: {o.sent} sent · {o.pending + o.sending} queued · {o.draft} draft · "
                       f"{o.failed} failed · {o.unknown} unknown · {o.cancelled} cancelled")
        if not self.cockpit.settings.resend_api_key:
            summary.append("   offline: no Resend key, steps produce drafts", style="yellow")
        self.query_one("#seq-summary", Static).update(summary)

    def action_run_step(self) -> None:
        settings, now = self.cockpit.settings, self.cockpit.clock()

        async def run(store: "Store") -> "StepReport":
            from cockpit.sequences.step import sequence_step

            return await sequence_step(store, settings, now=now)

        def done(report: "StepReport") -> None:
            self.notify(report.summary, timeout=6)
            self.reload()

        self.notify("running the sequence step…", timeout=2)
        self.call_store(run, done, group="seq-step")
