"""Read the first sheet (or a named one) of an XLSX workbook in streaming mode (openpyxl ``read_only``),
so a 100k-row file never sits in memory as a whole workbook. Cells become strings as a spreadsheet shows
them: whole numbers without ``.0``, dates as ISO dates; formulas are read as their cached values.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from openpyxl import load_workbook

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
    return str(v)


def parse_xlsx(data: bytes, sheet: str | None = None) -> ParsedFile:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(f"the file is not a readable XLSX workbook ({exc})",
                               "open it in Excel and save it again as .xlsx, or export it as CSV") from None
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise ValidationFailed(f"the workbook has no sheet {sheet!r}", f"sheets: {', '.join(names)}")
        name = sheet or names[0]
        ws = wb[name]
        ws.reset_dimensions()  # exporters often write a wrong or no dimension tag: read rows as they are
        records = ((i, [_cell(v) for v in row]) for i, row in enumerate(ws.iter_rows(values_only=True), 1))
        header, body, notes = frame(records, fixed_width=True)
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
