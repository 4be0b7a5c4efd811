"""Write an export file: a labelled header, then the rows streamed from the store, into a temporary file
renamed into place at the end (a failed export leaves no half-written file behind). No Textual here: the
``cockpit export`` command and the screens' export key both call :func:`export_to_file`.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from cockpit.errors import ValidationFailed
from cockpit.export.models import columns, neutralise, parse_filters, view_of

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


@dataclass
class ExportResult:
    entity: str
    path: str            # where the file went ("-" = standard output)
    rows: int
    seconds: float
    format: str
    search: str | None = None  # the screen's search the export was narrowed to

    def summary(self) -> str:
        what = f"{self.entity} matching “{self.search}”" if self.search else self.entity
        return f"exported {self.rows:,} {what} to {self.path} ({self.format}, {self.seconds:.1f} s)"


def default_name(entity: str, client_id: str, fmt: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"{entity}-{client_id}-{stamp}.{fmt}"


def header_labels(entity: str) -> list[str]:
    return [c.label for c in columns(entity)]


def _xlsx_value(v: Any) -> Any:
    if v is None or isinstance(v, (int, float, Decimal, bool)):
        return v
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, str):
        return neutralise(v)
    return v


async def _write_csv(store: Any, entity: str, filters: list, out: BinaryIO,  # type: ignore[type-arg]
                     search: str | None) -> int:
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(header_labels(entity))
    out.write(head.getvalue().encode("utf-8"))
    return await store.exports.copy_csv(entity, filters, out.write, search=search)


async def _write_xlsx(store: Any, entity: str, filters: list, out: BinaryIO,  # type: ignore[type-arg]
                      search: str | None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    total = await store.exports.count(entity, filters, search=search)
    if total > XLSX_MAX_ROWS:
        raise ValidationFailed(f"{total:,} {entity} do not fit in one Excel sheet ({XLSX_MAX_ROWS:,} rows at most)",
                               "export as CSV (--format csv), or narrow it with --filter")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(entity)
    ws.append(header_labels(entity))
    n = 0
    async for row in store.exports.rows(entity, filters, search=search):
        cells = []
        for v in row:
            value = _xlsx_value(v)
            if isinstance(value, str):  # a string cell, never a formula
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
        n += 1
    wb.save(out)
    return n


async def export_to_file(store: Any, entity: str, *, fmt: str = "csv", filters: tuple[str, ...] | list[str] = (),
                         path: str | Path | None = None, directory: Path | None = None,
                         search: str | None = None) -> ExportResult:
    """Export ``entity`` in the store's client scope to ``path`` (default: a dated name in ``directory``
    or the working directory; ``-`` writes CSV to standard output). ``search`` is the text in the
    entity's screen search box: only what the screen shows for it is exported (contacts, companies:
    their full-text search; deals: the pipeline filter); None or blank exports every record."""
    view_of(entity)
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown export format {fmt!r}", "use csv or xlsx")
    parsed = parse_filters(entity, filters)
    client = store.db.require_scope()
    start = time.perf_counter()
    writer = _write_xlsx if fmt == "xlsx" else _write_csv
    if str(path) == "-":
        if fmt == "xlsx":
            raise ValidationFailed("an XLSX export needs a file", "give -o FILE.xlsx")
        rows = await writer(store, entity, parsed, sys.stdout.buffer, search)
        sys.stdout.buffer.flush()
        return ExportResult(entity, "-", rows, time.perf_counter() - start, fmt,
                            search.strip() if search and search.strip() else None)
    target = Path(path) if path else (directory or Path.cwd()) / default_name(entity, client, fmt)
    target = target.expanduser()
    if target.is_dir():
        target = target / default_name(entity, client, fmt)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise ValidationFailed(f"cannot write to {target.parent}: {exc.strerror}", "choose another -o path") from None
    try:
        with os.fdopen(fd, "wb", buffering=1024 * 1024) as fh:
            rows = await writer(store, entity, parsed, fh, search)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return ExportResult(entity, str(target.resolve()), rows, time.perf_counter() - start, fmt,
                        search.strip() if search and search.strip() else None)
