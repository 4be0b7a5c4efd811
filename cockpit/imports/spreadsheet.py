"""Read the first sheet (or a named one) of an XLSX workbook with calamine (python-calamine, a Rust reader):
only the chosen sheet's cells are decoded, held compactly outside Python, and handed over a row at a time,
so a 100k-row workbook reads in about a second without the workbook sitting in memory as Python objects.
Cells become strings as a spreadsheet shows them: whole numbers without ``.0``, dates as ISO dates;
formulas are read as their cached values.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from python_calamine import CalamineError, CalamineWorkbook

from cockpit.errors import ValidationFailed
from cockpit.imports.reader import ParsedFile, ParsedRow, frame

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):  # a duration cell ([h]:mm): as the spreadsheet shows it
        minutes, seconds = divmod(int(v.total_seconds()), 60)
        return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    return str(v)


class _Memo:
    """One string object per repeated cell value of a column (a city, a company, a job title repeat down
    a sheet; calamine hands each cell over as a new string), for up to MEMO_DISTINCT values per column: a
    column of unique values (emails) stops being remembered."""

    MEMO_DISTINCT = 20_000

    def __init__(self) -> None:
        self.columns: list[dict[str, str] | None] = []

    def column(self, i: int) -> dict[str, str] | None:
        while len(self.columns) <= i:
            self.columns.append({})
        return self.columns[i]

    def full(self, i: int) -> None:
        self.columns[i] = None


def _values(row: list[object], memo: _Memo) -> list[str]:
    out: list[str] = []
    for i, v in enumerate(row):
        text = v if type(v) is str else _cell(v)
        if text:
            seen = memo.column(i)
            if seen is not None:
                text = seen.setdefault(text, text)
                if len(seen) > memo.MEMO_DISTINCT:
                    memo.full(i)
        out.append(text)
    return out


def parse_xlsx(data: bytes, sheet: str | None = None) -> ParsedFile:
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, OSError, ValueError) as exc:
        raise ValidationFailed(f"the file is not a readable XLSX workbook ({exc})",
                               "open it in Excel and save it again as .xlsx, or export it as CSV") from None
    try:
        names = wb.sheet_names
        if not names:
            raise ValidationFailed("the workbook has no sheets", "export the data again with a header row")
        if sheet is not None and sheet not in names:
            raise ValidationFailed(f"the workbook has no sheet {sheet!r}", f"sheets: {', '.join(names)}")
        name = sheet or names[0]
        try:
            ws = wb.get_sheet_by_name(name)
            # rows come from the sheet's first row (line numbers are sheet rows); the cells as stored, whatever
            # the sheet's dimension tag says
            records = ((i, _values(row, memo)) for memo in [_Memo()] for i, row in enumerate(ws.iter_rows(), 1))
            header, body, notes = frame(records, fixed_width=True)
            del ws, records  # the sheet's cells are all read: free them before the rows are built
        except CalamineError as exc:
            raise ValidationFailed(f"sheet {name!r} cannot be read ({exc})",
                                   "open it in Excel and save it again as .xlsx, or export it as CSV") from None
    finally:
        wb.close()
    if not header:
        raise ValidationFailed(f"sheet {name!r} is empty", "export the data again with a header row")
    hw = len(header)
    rows: list[ParsedRow] = []
    for number, (line, vals) in enumerate(body, 1):
        extra = [v for v in vals[hw:] if v.strip()]
        if not extra and len(vals) != hw:  # a row of the header's width is kept as it is (no second list)
            vals = (vals + [""] * (hw - len(vals)))[:hw]
        row = ParsedRow(number, line, vals)
        if extra:
            row.errors.append(("ragged", f"{hw + len(extra)} cells filled, the header has {hw}"))
        rows.append(row)
    notes.insert(0, f"read sheet {name!r}" + (f" (of {len(names)}: {', '.join(names)})" if len(names) > 1 else ""))
    return ParsedFile(header, rows, "xlsx", "", notes, format="xlsx", mime_type=XLSX_MIME)
