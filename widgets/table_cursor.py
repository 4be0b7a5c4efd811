"""The row under a DataTable's cursor, by key, and putting the cursor back on a row after a reload."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.widgets import DataTable


def selected_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor; None for an empty table or a cursor past the rows."""
    if table.row_count == 0:
        return None
    try:
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
    except Exception:  # noqa: BLE001 - no valid cursor (the table was just cleared)
        return None


def restore_cursor(table: DataTable[Any], key: str | None) -> None:
    """Move the cursor to the row ``key`` if it is still there."""
    if key is None:
        return
    with contextlib.suppress(Exception):  # the row is gone
        table.move_cursor(row=table.get_row_index(key))
