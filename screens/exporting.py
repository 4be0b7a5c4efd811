"""The export key of the record screens: the export runs in a store worker (the file is streamed, the
screen stays live) and the notification says where the file went. No SQL here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cockpit.export.service import ExportResult, export_to_file


def export_directory(screen: Any) -> Path:
    return Path(screen.cockpit.settings.data_dir) / "exports"


def start_export(screen: Any, entity: str, search: str | None = None) -> None:
    """Export what ``screen`` shows: ``entity`` narrowed to ``search`` (the screen's search or filter text;
    None or blank: every record of the client). The notification names the file and the row count."""
    directory = export_directory(screen)
    search = search.strip() if search and search.strip() else None
    what = f"{entity} matching “{search}”" if search else entity
    screen.notify(f"exporting {what} to {directory} …", timeout=3)

    def done(result: ExportResult) -> None:
        screen.last_export = result
        screen.notify(result.summary(), title="Export", timeout=15)

    screen.call_store(lambda store: export_to_file(store, entity, directory=directory, search=search), done,
                      group=f"export-{entity}")
