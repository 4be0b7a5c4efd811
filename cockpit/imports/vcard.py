"""Read vCard files (.vcf, 3.0 and 4.0, as phones, Apple Contacts and Google write them) into rows.

Each card becomes one row under a fixed header; a card with several emails or phones lists them in one
cell separated by `` ::: `` (the preferred one first), which the normalizer splits like Google's cells.
Cards are found by their BEGIN/END lines and each is parsed by vobject on its own, so one malformed card
is a row-level problem and the others still import.
"""

from __future__ import annotations

import re

import vobject

from cockpit.imports.reader import ParsedFile, ParsedRow, decode

VCARD_MIME = "text/vcard"
HEADER = ["Full Name", "First Name", "Last Name", "E-mail", "Phone", "Organization", "Title", "LinkedIn",
          "Website", "City", "Country"]
_BEGIN = re.compile(r"^BEGIN:VCARD\s*$", re.I)
_END = re.compile(r"^END:VCARD\s*$", re.I)


def looks_like_vcard(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith(b"BEGIN:VCARD") or head.replace(b"\x00", b"").lstrip(b"\xff\xfe").startswith(b"BEGIN:VCARD")


def _pref_first(items: list) -> list:  # type: ignore[type-arg]
    def rank(item) -> int:  # type: ignore[no-untyped-def]
        types = [t.lower() for t in item.params.get("TYPE", [])]
        types = [x for t in types for x in t.split(",")]
        return 0 if ("pref" in types or "PREF" in item.params) else 1
    return sorted(items, key=rank)


def _values(card, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for item in _pref_first(card.contents.get(name, [])):
        v = item.value if isinstance(item.value, str) else str(item.value)
        v = v.strip()
        if name == "tel":
            v = v.removeprefix("tel:")
        if name == "email":
            v = v.removeprefix("mailto:")
        if v and v not in out:
            out.append(v)
    return out


def _card_row(card) -> list[str]:  # type: ignore[no-untyped-def]
    n = card.contents.get("n", [None])[0]
    first = last = ""
    if n is not None and not isinstance(n.value, str):
        first = " ".join(filter(None, [n.value.given] if isinstance(n.value.given, str) else n.value.given))
        last = " ".join(filter(None, [n.value.family] if isinstance(n.value.family, str) else n.value.family))
    fn = _values(card, "fn")
    org = card.contents.get("org", [None])[0]
    org_name = ""
    if org is not None:
        org_name = org.value[0] if isinstance(org.value, list) and org.value else str(org.value or "")
    urls = _values(card, "url")
    linkedin = [u for u in urls if "linkedin.com/" in u.lower()]
    sites = [u for u in urls if u not in linkedin]
    adrs = card.contents.get("adr", [])
    city = country = ""
    if adrs:
        a = _pref_first(adrs)[0].value
        city, country = (a.city or "").strip(), (a.country or "").strip()
    title = _values(card, "title")
    return [fn[0] if fn else "", first, last, " ::: ".join(_values(card, "email")),
            " ::: ".join(_values(card, "tel")), org_name.strip(), title[0] if title else "",
            linkedin[0] if linkedin else "", sites[0] if sites else "", city, country]


def parse_vcard(data: bytes) -> ParsedFile:
    text, encoding, notes, _dirty = decode(data)
    lines = text.splitlines()
    rows: list[ParsedRow] = []
    start: int | None = None
    for i, line in enumerate(lines, 1):
        if _BEGIN.match(line):
            if start is not None:
                rows.append(ParsedRow(len(rows) + 1, start, [""] * len(HEADER),
                                      [("bad_value", "the card has no END:VCARD line")]))
            start = i
        elif _END.match(line) and start is not None:
            chunk = "\r\n".join(lines[start - 1:i]) + "\r\n"
            number = len(rows) + 1
            try:
                card = vobject.readOne(chunk)
                rows.append(ParsedRow(number, start, _card_row(card)))
            except Exception as exc:  # noqa: BLE001 - vobject raises several kinds; each is this card's problem
                rows.append(ParsedRow(number, start, [""] * len(HEADER),
                                      [("bad_value", f"the card cannot be read ({type(exc).__name__}: {exc})"[:200])]))
            start = None
    if start is not None:
        rows.append(ParsedRow(len(rows) + 1, start, [""] * len(HEADER),
                              [("bad_value", "the card has no END:VCARD line")]))
    notes.append(f"read {len(rows)} vCard(s)")
    return ParsedFile(list(HEADER), rows, encoding, "", notes, format="vcard", mime_type=VCARD_MIME)
