"""A label/value table for detail panes (the contact dossier), and the rows of a record's custom fields."""

from __future__ import annotations

import re
from datetime import datetime
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


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def custom_value(value: Any) -> Text:
    """One custom field's value as jsonb gave it (text, number, boolean, a date or time as ISO text, a list)."""
    if value is None or value == "" or value == []:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return Text(f"{value:,}")
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return Text(datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M %Z").strip())
        except ValueError:
            pass
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def custom_rows(custom: dict[str, Any] | None) -> list[tuple[str, Text]]:
    """(label, value) of a record's custom fields, by label."""
    return [(key, custom_value(value)) for key, value in sorted((custom or {}).items(), key=lambda kv: kv[0].lower())]
