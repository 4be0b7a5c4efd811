"""Coverage: for each thing Twenty does, whether the cockpit covers it and who did the work in the window
(Twenty vs the cockpit and arlo), the custom objects the cockpit does not show yet, and the verdict —
what still depends on Twenty, or "Twenty can be switched off".

The report comes from :func:`cockpit.coverage.report.coverage` in a worker; the screen follows the change
feed (a write by anyone, Twenty included, can change the counts) and ``d`` changes the window.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from cockpit.coverage.report import Area, Report, coverage
from screens.base import CockpitScreen
from styles import sheet

WINDOWS = (30, 90, 7)
CHANGE_DEBOUNCE = 1.0  # seconds: a burst of changes (an import, a sync) reads the report once
STATUS = {"cockpit": ("cockpit", "green"), "twenty": ("TWENTY", "bold red"), "gap": ("gap", "dim")}


def _who(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {who}" for who, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


class CoverageScreen(CockpitScreen):
    TITLE_TEXT = "Coverage"
    WATCHES = frozenset({"deal", "contact", "company", "activity", "task", "decision"})
    CSS_PATH = sheet("coverage.tcss")
    BINDINGS = [
        Binding("d", "window", "Days", tooltip="count the writes of the last 30, 90 or 7 days"),
        Binding("R", "refresh", "Refresh", tooltip="read the report again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.days = WINDOWS[0]
        self.report: Report | None = None
        self.selected: str | None = None
        self._pending: Any = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Reading who does the work…", id="coverage-verdict")
        yield DataTable(id="coverage-areas", cursor_type="row", zebra_stripes=True)
        yield Static("", id="coverage-detail")
        yield Static("", id="coverage-custom")
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#coverage-areas", DataTable)
        table.add_column("area", key="area")
        table.add_column("who", key="who")
        table.add_column("Twenty", key="twenty")
        table.add_column("ours", key="ours")
        table.add_column("cockpit covers it by", key="how")
        super().on_mount()

    def reload(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        days, now, settings = self.days, self.cockpit.clock(), self.cockpit.settings

        async def fetch(store: Any) -> Report:
            return await coverage(store, settings, days=days, now=now)

        self.call_store(fetch, self._show, group="coverage")

    def apply_changes(self, delivery: Any) -> None:
        if self._pending is None:
            self._pending = self.set_timer(CHANGE_DEBOUNCE, self._after_changes)

    def _after_changes(self) -> None:
        self._pending = None
        self.reload()

    def action_window(self) -> None:
        self.days = WINDOWS[(WINDOWS.index(self.days) + 1) % len(WINDOWS)]
        self.action_refresh()

    # --- showing ------------------------------------------------------------------------------
    def _show(self, report: Report) -> None:
        self.report = report
        verdict = Text(f"{report.verdict}", style="bold green" if report.can_switch_off else "bold red")
        verdict.append(f"   (writes of the last {report.days} days; d: window)", style="dim")
        self.query_one("#coverage-verdict", Static).update(verdict)
        table = self.query_one("#coverage-areas", DataTable)
        keep = self.selected
        table.clear()
        for a in report.areas:
            label, style = STATUS[a.status]
            how = a.how if a.covered else f"not covered: {a.how}"
            table.add_row(a.name, Text(label, style=style), str(a.twenty_total + len(a.twenty_syncing)),
                          str(a.ours_total), how, key=a.name)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._detail(self.selected or report.areas[0].name)
        custom = report.custom_objects
        self.query_one("#coverage-custom", Static).update(
            "Custom objects the cockpit does not show yet: "
            + (", ".join(f"{o.table} ({o.rows} rows)" for o in custom) if custom else "none"))

    def _detail(self, name: str) -> None:
        if self.report is None:
            return
        area: Area | None = next((a for a in self.report.areas if a.name == name), None)
        if area is None:
            return
        text = Text()
        text.append(f"{area.name}: ", style="bold")
        text.append(area.why())
        text.append("\nTwenty: ", style="bold")
        text.append(_who(area.twenty) + ("; syncing " + ", ".join(area.twenty_syncing) if area.twenty_syncing else ""))
        text.append("   cockpit/arlo: ", style="bold")
        text.append(_who(area.ours))
        self.query_one("#coverage-detail", Static).update(text)

    @on(DataTable.RowHighlighted, "#coverage-areas")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.selected = event.row_key.value
            self._detail(self.selected)
