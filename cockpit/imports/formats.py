"""Pick the reader for a file by its content (not its name): XLSX workbooks are ZIP files, vCards start
with BEGIN:VCARD, everything else is read as delimited text."""

from __future__ import annotations

from cockpit.errors import ValidationFailed
from cockpit.gc_pause import paused_gc
from cockpit.imports.reader import ParsedFile, parse_csv
from cockpit.imports.spreadsheet import parse_xlsx
from cockpit.imports.vcard import looks_like_vcard, parse_vcard

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")  # names only a ZIP workbook can rightly carry


def parse_file(data: bytes, filename: str = "", *, sheet: str | None = None) -> ParsedFile:
    with paused_gc():  # a file's rows are many small objects without cycles
        return _parse_file(data, filename, sheet)


def _parse_file(data: bytes, filename: str, sheet: str | None) -> ParsedFile:
    if data.startswith(b"PK\x03\x04"):
        return parse_xlsx(data, sheet)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(f"{filename or 'the file'} is an old Excel workbook (.xls)",
                               "save it as .xlsx or CSV UTF-8 in Excel and import that")
    if filename.lower().endswith(WORKBOOK_SUFFIXES):
        raise ValidationFailed(f"{filename} is not an XLSX workbook: it is not a ZIP file (damaged, or another format "
                               "renamed)", "open it in Excel, save it as .xlsx or CSV UTF-8 and import that")
    if sheet is not None:
        raise ValidationFailed(f"--sheet applies to XLSX workbooks; {filename or 'the file'} is not one")
    if looks_like_vcard(data):
        return parse_vcard(data)
    return parse_csv(data)
