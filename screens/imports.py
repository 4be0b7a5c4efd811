"""Import: pick a CSV, XLSX (``book.xlsx#Sheet`` for another sheet than the first) or vCard file, review the proposed column mapping (edit it: ``Column=field`` or ``Column=ignore``),
import with a progress bar, and see the report (malformed rows one by one; queued proposals go to the
approvals screen). The same service as ``cockpit import``; no SQL here. Store calls run in workers
(``call_store``); progress comes back as messages.
"""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, ProgressBar, Static

from cockpit.contracts import ImportMappingManifest
from cockpit.errors import CockpitError
from cockpit.formatting import counted
from cockpit.imports.mapping import edit_manifest
from cockpit.imports.service import ImportReport, StagedImport, read_file, run_import, stage_import
from screens.base import CockpitScreen

from styles import sheet

SHOW_PROBLEMS = 200


class ImportScreen(CockpitScreen):
    TITLE_TEXT = "Import"
    CSS_PATH = sheet("imports.tcss")
    BINDINGS = [
        Binding("ctrl+s", "run_import", "Import", tooltip="import with the mapping shown"),
    ]

    @dataclass
    class Progressed(Message):
        phase: str
        done: int
        total: int

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.user = getpass.getuser() or "cockpit"
        self.initial_path = path
        self.staged: StagedImport | None = None
        self.manifest: ImportMappingManifest | None = None
        self.running = False
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Import contacts and companies from a CSV, XLSX or vCard file", id="import-title")
        yield Input(value=self.initial_path or "", placeholder="path to a .csv, .xlsx (book.xlsx#Sheet) or .vcf file, then Enter", id="import-path")
        yield DataTable(id="mapping", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="import-actions"):
            yield Input(placeholder="edit mapping: Column=contact.email  or  Column=ignore", id="mapping-edit")
            yield Button("Import", id="run-import", variant="primary", disabled=True)
        yield ProgressBar(id="import-progress", show_eta=False)
        yield Static("", id="import-phase")
        with VerticalScroll(id="import-report-box"):
            yield Static("", id="import-report")
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        self.query_one("#mapping", DataTable).add_columns("#", "column", "status", "field", "note")
        self.query_one("#import-path", Input).focus()
        super().on_mount()

    # --- staging ------------------------------------------------------------------------------
    @on(Input.Submitted, "#import-path")
    def _path_given(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            self.notify("type the path of a CSV, XLSX or vCard file", severity="warning")
            return
        sheet = None
        if "#" in path and not Path(path).expanduser().exists():
            path, sheet = path.rsplit("#", 1)
        self._stage(Path(path).expanduser(), sheet or None)

    def _stage(self, path: Path, sheet: str | None = None) -> None:
        async def stage(store: Any) -> StagedImport:
            data = await asyncio.to_thread(read_file, path)
            return await stage_import(store, data, path.name, uploaded_by=self.user, sheet=sheet)

        self.call_store(stage, self._show_staged, group="import-stage")

    def _show_staged(self, staged: StagedImport) -> None:
        self.staged, self.manifest = staged, staged.manifest
        b = staged.batch
        self.query_one("#import-title", Static).update(
            f"{b.uploaded_filename}: {counted(b.row_count, 'row')}, {counted(len(staged.parsed.header), 'column')} "
            f"({staged.parsed.encoding}) — profile {self.manifest.source_profile}; kept as batch {b.batch_id[:8]}")
        self._show_manifest()
        self.query_one("#run-import", Button).disabled = False
        self.query_one("#import-report", Static).update(
            "\n".join(self.manifest.resolver_notes) or "Check the mapping, then Import (ctrl+s).")
        self.query_one("#mapping", DataTable).focus()  # the file is read: next is the mapping, keys work again

    def _show_manifest(self) -> None:
        table = self.query_one("#mapping", DataTable)
        table.clear()
        assert self.manifest is not None
        for m in self.manifest.column_mappings:
            status = Text(m.status, style={"mapped": "green", "ignored": "dim", "unresolved": "yellow"}[m.status])
            table.add_row(str(m.index + 1), m.source_column or "(unnamed)", status, m.target_field or "",
                          m.note or "", key=str(m.index))

    @on(Input.Submitted, "#mapping-edit")
    def _edit(self, event: Input.Submitted) -> None:
        if self.manifest is None:
            self.notify("load a file first", severity="warning")
            return
        col, sep, field = event.value.partition("=")
        if not sep:
            self.notify("write Column=field (or Column=ignore)", severity="warning")
            return
        key = str(int(col) - 1) if col.strip().isdigit() else col.strip()
        try:
            self.manifest = edit_manifest(self.manifest, {key: field}, edited_by=self.user)
        except CockpitError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        event.input.value = ""
        self._show_manifest()

    # --- importing ----------------------------------------------------------------------------
    @on(Button.Pressed, "#run-import")
    def _pressed(self) -> None:
        self.action_run_import()

    def quit_warning(self) -> str | None:
        """What quitting now would lose (the app asks first)."""
        if not self.running:
            return None
        return ("An import is running: quitting rolls it back, so nothing of it is written "
                "(the file stays staged to import again).")

    def action_run_import(self) -> None:
        if self.staged is None or self.manifest is None or self.running:
            return
        self.running = True
        self.query_one("#run-import", Button).disabled = True
        # The bar is shown only while an import runs and after it: an idle screen has nothing in progress.
        self.query_one("#import-progress", ProgressBar).display = True
        self.query_one("#import-report", Static).update(
            "Importing in one transaction: all of it lands, or none of it. The report follows here.")
        self._run(self.staged, self.manifest)

    def _run(self, staged: StagedImport, manifest: ImportMappingManifest) -> None:
        def tick(phase: str, done: int, total: int) -> None:
            self.post_message(self.Progressed(phase, done, total))

        self.call_store(lambda store: run_import(store, staged, manifest, progress=tick), self._finished,
                        group="import-run", failed=self._failed)

    @on(Progressed)
    def _progress(self, msg: Progressed) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(1, msg.total), progress=msg.done)
        self.query_one("#import-phase", Static).update(msg.phase)

    def _finished(self, r: ImportReport) -> None:
        self.running = False
        self.staged = None  # one import per staged file; load it again to re-import
        self.report = r
        text = Text(r.summary() + "\n", style="bold")
        for note in r.notes:
            text.append(f"note: {note}\n", style="dim")
        for p in r.problems[:SHOW_PROBLEMS]:
            text.append(f"{p}\n", style="yellow")
        if len(r.problems) > SHOW_PROBLEMS:
            text.append(f"… and {len(r.problems) - SHOW_PROBLEMS:,} more\n")
        if r.queued:
            text.append(f"\n{r.queued:,} proposals wait in Approvals.\n", style="bold")
        self.query_one("#import-report", Static).update(text)
        self.query_one("#import-phase", Static).update("done")
        self.notify(r.summary(), timeout=6)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.query_one("#run-import", Button).disabled = self.staged is None
        self.query_one("#import-phase", Static).update("failed")
        self.query_one("#import-report", Static).update(Text(
            "Nothing was imported (the transaction was rolled back): "
            f"{exc if isinstance(exc, CockpitError) else 'an unexpected error, written to the log'}.\n"
            "The file is still staged: fix the mapping or the cause, then Import (ctrl+s) again.", style="red"))
