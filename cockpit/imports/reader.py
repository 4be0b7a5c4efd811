"""Read a CSV file's bytes into a header and rows, reporting bad rows instead of failing on them.

The bytes are never altered (the raw batch keeps them as received); decoding only decides how to read
them. A byte order mark says the encoding (UTF-8, or UTF-16 as Excel's "Unicode text" writes it). A file
that is valid UTF-8 is UTF-8. A file with valid UTF-8 multibyte sequences but some bytes that are not is
UTF-8 with damaged rows (each reported as an ``encoding`` error). Anything else is a legacy export whose
code page charset-normalizer detects; among its near-equal candidates Windows-1252 (what Excel writes in
Western locales) wins, because short Western samples score the same in several Latin code pages.

The delimiter is sniffed (comma, semicolon, tab, pipe). Lines before the header (LinkedIn's ``Notes:``)
and one-cell lines after the data (Salesforce's "Grand Totals", "Confidential") are skipped with a note.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import charset_normalizer

from cockpit.errors import ValidationFailed

_SURROGATES = range(0xDC80, 0xDD00)
_NUL_MARK = "\ufffe"  # a noncharacter: stands in for NUL bytes while the row is parsed
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH = 30     # the header is among the first 30 non-blank lines
PREFERRED_LEGACY = "cp1252"


@dataclass(slots=True)
class ParsedRow:
    number: int                  # 1 = first data row
    line: int                    # physical line (CSV) or sheet row (XLSX) where the row starts
    values: list[str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (code, message)


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[ParsedRow]
    encoding: str
    delimiter: str
    notes: list[str]
    format: str = "csv"          # csv | xlsx | vcard
    mime_type: str = "text/csv"


def _legacy_encoding(data: bytes) -> str:
    results = list(charset_normalizer.from_bytes(data))
    if not results:
        return "latin-1"
    best = results[0]
    for r in results:  # near-ties: prefer the Western code page spreadsheets write
        if r.chaos <= best.chaos + 0.01 and r.coherence >= best.coherence - 0.1 and (
                PREFERRED_LEGACY in r.could_be_from_charset):
            return PREFERRED_LEGACY
    return best.encoding


def decode(data: bytes) -> tuple[str, str, list[str], bool]:
    """(text, encoding, notes, dirty): dirty = some bytes could not be decoded (kept as surrogates)."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16", ["the file is UTF-16 (Excel's Unicode text); read it as such"], False
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
    if any(ord(c) > 127 and ord(c) not in _SURROGATES for c in text):
        notes.append("some rows are not valid UTF-8; they are reported and not imported")
        return text, "utf-8", notes, True
    enc = _legacy_encoding(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        enc, text = "latin-1", data.decode("latin-1")
    notes.append(f"the file is not UTF-8; read it as {enc} (a legacy spreadsheet export)")
    return text, enc, notes, False


def _has_bad_bytes(value: str) -> bool:
    return any(ord(c) in _SURROGATES for c in value)


def _clean(value: str) -> str:
    """For display and storage: undecodable bytes become U+FFFD."""
    if not _has_bad_bytes(value):
        return value
    return "".join("\ufffd" if ord(c) in _SURROGATES else c for c in value)


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the most lines into the same number of fields (quotes respected)."""
    lines = [ln for ln in sample.splitlines()[:60] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        counts = Counter(w for w in widths if w > 1)
        if not counts:
            continue
        width, lines_with = counts.most_common(1)[0]
        score = (lines_with, width)
        if score > best_score:
            best, best_score = d, score
    return best


def _filled(values: list[str]) -> int:
    return sum(1 for v in values if v and v.strip())


def _excerpt(values: list[str]) -> str:
    text = " ".join(v.strip() for v in values if v and v.strip())
    return text if len(text) <= 60 else text[:57] + "..."


def frame(records: Iterable[tuple[int, list[str]]], *, fixed_width: bool = False
          ) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """Split (line, values) records into header, data rows and notes about skipped preamble/footer lines.

    The header is the first non-blank line that fills at least two cells and at least half the usual row
    width; lines before it are a preamble. Trailing lines narrower than the header with at most one cell
    filled are a footer. ``fixed_width`` (spreadsheets): rows arrive padded, so width is what is filled.
    """
    records = [(ln, vals) for ln, vals in records if vals and "".join(vals).strip()]
    if not records:
        return [], [], []
    def width(vals: list[str]) -> int:
        if not fixed_width:
            return len(vals)
        n = len(vals)
        while n and not (vals[n - 1] and str(vals[n - 1]).strip()):
            n -= 1
        return n
    usual = Counter(width(v) for _, v in records[:200]).most_common(1)[0][0]
    start = 0
    if usual > 1:
        for i, (_, vals) in enumerate(records[:HEADER_SEARCH]):
            if _filled(vals) >= 2 and _filled(vals) * 2 >= usual:
                start = i
                break
    notes: list[str] = []
    if start:
        skipped = "; ".join(_excerpt(v) for _, v in records[:start])
        notes.append(f"skipped {start} line(s) before the header: {skipped}")
    header_line, header = records[start]
    hw = width(header)
    header = [str(h).strip() for h in header[:hw]]
    data = records[start + 1:]
    end = len(data)
    if hw > 1:
        while end and width(data[end - 1][1]) < hw and _filled(data[end - 1][1]) <= 1:
            end -= 1
    if end < len(data):
        footer = "; ".join(_excerpt(v) for _, v in data[end:])
        notes.append(f"skipped {len(data) - end} line(s) after the data: {footer}")
    return header, data[:end], notes


def parse_csv(data: bytes) -> ParsedFile:
    """Header + rows. Raises ValidationFailed only when there is nothing to read at all."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise ValidationFailed("the file is empty", "export the data again with a header row")
    text, encoding, notes, dirty = decode(data)
    has_nul = "\x00" in text
    if has_nul:  # the csv module refuses NUL outright; make it a row-level problem instead
        text = text.replace("\x00", _NUL_MARK)
    delimiter = sniff_delimiter(text[:65536])
    if delimiter != ",":
        notes.append(f"columns are separated by {delimiter!r}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for raw in reader:
            records.append((line, raw))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: the CSV is malformed ({exc})",
                               "check for an unclosed quote near that line") from None
    header, body, framing = frame(records)
    if not header:
        raise ValidationFailed("the file has no header row", "the first line must name the columns")
    if dirty and any(_has_bad_bytes(v) for v in header):
        raise ValidationFailed("the header row is not valid UTF-8",
                               "save the file as UTF-8 (or CSV UTF-8 in Excel) and import again")
    notes.extend(framing)
    rows: list[ParsedRow] = []
    hw = len(header)
    for number, (start, raw) in enumerate(body, 1):
        row = ParsedRow(number, start, [_clean(v) for v in raw] if dirty else raw)
        if dirty:
            bad = [header[i] if i < hw else f"#{i + 1}" for i, v in enumerate(raw) if _has_bad_bytes(v)]
            if bad:
                row.errors.append(("encoding", f"bytes that are not UTF-8 in {', '.join(bad)}"))
        if has_nul and any(_NUL_MARK in v for v in raw):
            row.errors.append(("encoding", "NUL bytes in the row (a binary or UTF-16 file saved as CSV?)"))
            row.values = [v.replace(_NUL_MARK, "") for v in row.values]
        if len(raw) != hw:
            row.errors.append(("ragged", f"{len(raw)} fields, the header has {hw}"))
        rows.append(row)
    return ParsedFile(header, rows, encoding, delimiter, notes)
