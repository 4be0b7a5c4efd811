"""What an export holds: every column of the stable view, labelled with who owns it, plus the names a
foreign tool needs beside the ids (a contact's company name and domain, a deal's stage label).

Labels say which role writes the field (the field registry's owner): ``column (strategic)``,
``column (operational)`` or ``column (read-only)`` (ids, timestamps, derived values); the import reads
them back (the bracketed suffix is stripped), so an export re-imports as the cockpit's own profile.
Filters (``--filter``) are ``COLUMN=VALUE`` (equal; empty value = blank), ``COLUMN!=VALUE``,
``COLUMN~TEXT`` (contains, any case), ``COLUMN>VALUE``, ``COLUMN<VALUE``; several filters all apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cockpit.errors import ValidationFailed
from cockpit.fields import fields_of

ENTITIES = {"contacts": "crm_contacts", "companies": "crm_companies", "deals": "crm_deals"}
# Extra read-only columns: (name, SQL type, view it comes from, that view's column, join key in the main view)
EXTRAS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "contacts": [("company_name", "text", "crm_companies", "name", "company_id"),
                 ("company_domain", "text", "crm_companies", "domain", "company_id")],
    "companies": [],
    "deals": [("company_name", "text", "crm_companies", "name", "company_id"),
              ("contact_email", "text", "crm_contacts", "email", "contact_id"),
              ("stage_label", "text", "crm_pipeline", "label", "stage_id")],
}
CUSTOM_PREFIX = "custom."
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FILTER = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(!=|=|~|>|<)(.*)$", re.S)


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    ownership: str                       # strategic | operational | read-only
    source: tuple[str, str, str] | None = None  # (view, column, join key) for extras
    custom_key: str | None = None        # a key of the view's custom column (Twenty's custom fields)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ownership})"

    @property
    def is_text(self) -> bool:
        return self.sql_type == "text"


@dataclass(frozen=True)
class Filter:
    column: Column
    op: str
    value: str


def columns(entity: str, custom_keys: tuple[str, ...] | list[str] = ()) -> list[Column]:
    """The view's columns from the field registry, labelled by the role that writes each one; the
    ``custom`` column becomes one ``custom.<key>`` column per custom field of the client."""
    view = view_of(entity)
    out = [Column(f.name, f.type, f.role or "read-only") for f in fields_of(view) if f.name != "custom"]
    out += [Column(name, typ, "read-only", (v, c, key)) for name, typ, v, c, key in EXTRAS[entity]]
    out += [Column(f"{CUSTOM_PREFIX}{k}", "text", "read-only", custom_key=k) for k in custom_keys]
    return out


def view_of(entity: str) -> str:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise ValidationFailed(f"cannot export {entity!r}", f"export one of: {', '.join(ENTITIES)}") from None


def parse_filters(entity: str, raw: tuple[str, ...] | list[str]) -> list[Filter]:
    by_name = {c.name: c for c in columns(entity)}
    out = []
    for text in raw:
        m = _FILTER.match(text)
        if not m:
            raise ValidationFailed(f"--filter {text!r} is not COLUMN=VALUE",
                                   "use =, !=, ~ (contains), > or <, e.g. --filter city=Lyon")
        name, op, value = m.group(1), m.group(2), m.group(3).strip()
        col = by_name.get(name)
        if col is None:
            raise ValidationFailed(f"{entity} have no column {name!r}", f"columns: {', '.join(by_name)}")
        if op in ("~",) and not col.is_text:
            raise ValidationFailed(f"--filter {text!r}: ~ (contains) applies to text columns; {name} is {col.sql_type}")
        out.append(Filter(col, op, value))
    return out


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with ' (OWASP's CSV-injection advice)."""
    return "'" + value if value and value[0] in TRIGGERS else value
