"""Read a CSV file's bytes into a header and rows, reporting bad rows instead of failing on them.

The bytes are never altered (the raw batch keeps them as received); decoding only decides how to read
them. A UTF-8 BOM is skipped. A file that is valid UTF-8 is read as UTF-8 and any row that is not is an
``encoding`` error; a file with no valid UTF-8 multibyte sequence at all but some high bytes is a legacy
export and is read as Windows-1252 (Latin-1 for the bytes cp1252 leaves undefined), with a resolver note.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from cockpit.errors import ValidationFailed

_SURROGATES = range(0xDC80, 0xDD00)
_NUL_MARK = "\ufffe"  # a noncharacter: stands in for NUL bytes while the row is parsed


@dataclass
class ParsedRow:
    number: int                  # 1 = first data row
    line: int                    # physical line where the row starts
    values: list[str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (code, message)


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[ParsedRow]
    encoding: str
    delimiter: str
    notes: list[str]


def _decode(data: bytes) -> tuple[str, str, list[str], bool]:
    """(text, encoding, notes, dirty): dirty = some bytes could not be decoded (kept as surrogates)."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16", ["the file is UTF-16 (read it as such)"], False
        except UnicodeDecodeError:
            pass
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("skipped a UTF-8 byte order mark")
    try:
        return data.decode("utf-8"), "utf-8", notes, False
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape")
    has_utf8 = any(ord(c) > 127 and ord(c) not in _SURROGATES for c in text)
    if has_utf8:
        notes.append("some rows are not valid UTF-8; they are reported and not imported")
        return text, "utf-8", notes, True
    try:
        text = data.decode("cp1252")
        enc = "cp1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        enc = "latin-1"
    notes.append(f"the file is not UTF-8; read it as {enc} (a legacy spreadsheet export)")
    return text, enc, notes, False


def _has_bad_bytes(value: str) -> bool:
    return any(ord(c) in _SURROGATES for c in value)


def _clean(value: str) -> str:
    """For display and storage: undecodable bytes become U+FFFD."""
    if not _has_bad_bytes(value):
        return value
    return "".join("\ufffd" if ord(c) in _SURROGATES else c for c in value)


def _sniff(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def parse_csv(data: bytes) -> ParsedFile:
    """Header + rows. Raises ValidationFailed only when there is nothing to read at all."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationFailed("the file is empty", "export the data again with a header row")
    text, encoding, notes, dirty = _decode(data)
    has_nul = "\x00" in text
    if has_nul:  # the csv module refuses NUL outright; make it a row-level problem instead
        text = text.replace("\x00", _NUL_MARK)
    delimiter = _sniff(text[:65536])
    if delimiter != ",":
        notes.append(f"columns are separated by {delimiter!r}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    rows: list[ParsedRow] = []
    number = 0
    line = 1
    try:
        for raw in reader:
            start, line = line, reader.line_num + 1
            if not raw or all(not v.strip() for v in raw):
                continue  # blank lines are not rows
            if header is None:
                if dirty and any(_has_bad_bytes(v) for v in raw):
                    raise ValidationFailed("the header row is not valid UTF-8",
                                           "save the file as UTF-8 (or CSV UTF-8 in Excel) and import again")
                header = [h.strip() for h in raw]
                continue
            number += 1
            row = ParsedRow(number, start, [_clean(v) for v in raw] if dirty else raw)
            if dirty:
                bad = [header[i] if i < len(header) else f"#{i + 1}" for i, v in enumerate(raw) if _has_bad_bytes(v)]
                if bad:
                    row.errors.append(("encoding", f"bytes that are not UTF-8 in {', '.join(bad)}"))
            if has_nul and any(_NUL_MARK in v for v in raw):
                row.errors.append(("encoding", "NUL bytes in the row (a binary or UTF-16 file saved as CSV?)"))
                row.values = [v.replace(_NUL_MARK, "") for v in row.values]
            if len(raw) != len(header):
                row.errors.append(("ragged", f"{len(raw)} fields, the header has {len(header)}"))
            rows.append(row)
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: the CSV is malformed ({exc})",
                               "check for an unclosed quote near that line") from None
    if header is None:
        raise ValidationFailed("the file has no header row", "the first line must name the columns")
    return ParsedFile(header, rows, encoding, delimiter, notes)
