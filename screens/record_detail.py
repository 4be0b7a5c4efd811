"""A label/value table for detail panes (the contact dossier)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text


def field_table(rows: list[tuple[str, Any]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, value if isinstance(value, Text) else Text(str(value) if value not in (None, "") else "—"))
    return table
