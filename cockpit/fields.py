"""The field registry: every column of the stable views, who owns it, where it lives, how it is validated.

``FIELDS`` is the one table. Everything that used to repeat it is derived from it: the view column lists
and the INSTEAD OF trigger routing (``cockpit.db.views`` / ``cockpit.db.writes``), the column privileges
(UPDATE and INSERT), the CHECK constraints on RedKey's extension tables, the cockpit editor's fields,
arlo's strategic whitelist and the governance rules for writeback proposals. Pure: no I/O, no Textual.

Owners and the database role that writes their fields:

- ``identity``    who/what the record is (names, email, links): the operational role (arlo, imports);
- ``operational`` agent-maintained facts (enrichment, activity counters, sequences): the operational role;
- ``strategic``   Justin's judgement (stage, priority, notes, recontact date): the strategic role;
- ``deal_terms``  a deal's name, amount, currency and close date, Justin's commercial judgement: the
  strategic role (his words through arlo, or his edit in the cockpit), never arlo's operational loops;
- ``system``      ids, client, timestamps, derived values: written by nobody through the views.

:func:`strategic_changes` and the ``parse_*`` helpers validate what the editor hands over (raw strings)
before anything is written, raising :class:`~cockpit.errors.ValidationFailed` naming the field.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from cockpit.errors import ValidationFailed

Owner = Literal["identity", "operational", "strategic", "deal_terms", "system"]
WriteRole = Literal["operational", "strategic"]
ROLE_OF: dict[str, WriteRole | None] = {"identity": "operational", "operational": "operational",
                                        "strategic": "strategic", "deal_terms": "strategic", "system": None}
WRITE_ROLES: tuple[WriteRole, ...] = ("operational", "strategic")
BOTH: tuple[WriteRole, ...] = WRITE_ROLES


@dataclass(frozen=True)
class View:
    """A stable view: the Layer 1 table its records come from, RedKey's extension table joined in, and
    the roles that create (INSERT) and soft-delete (DELETE) its records."""

    name: str
    l1_table: str | None = None
    ext_table: str | None = None
    creators: tuple[WriteRole, ...] = ()
    deleter: WriteRole | None = None


VIEWS: dict[str, View] = {v.name: v for v in (
    View("crm_contacts", "person", "redkey.contact_ext", creators=("operational",), deleter="operational"),
    View("crm_companies", "company", "redkey.company_ext", creators=("operational",), deleter="operational"),
    # A deal is created with its terms and its stage: Justin's, so the strategic role creates deals.
    View("crm_deals", "opportunity", "redkey.deal_ext", creators=("strategic",)),
    View("crm_activities", creators=BOTH),
    View("crm_pipeline"),
)}


@dataclass(frozen=True)
class Field:
    """One stable-view column.

    ``l1`` names the Layer 1 column candidates (the first one the workspace has wins); ``ext`` says it
    lives in the view's extension table; neither means derived. ``update`` is whether its owner's role
    may UPDATE it; ``insert`` the roles that may set it in an INSERT (default: its owner's role).
    ``proposable``: a writeback proposal may change it. ``editable``: the cockpit's editor edits it.
    """

    view: str
    name: str
    type: str
    owner: Owner
    label: str
    l1: tuple[str, ...] = ()
    ext: bool = False
    default: int | None = None  # an extension column's value when no row exists
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    pattern: str | None = None
    update: bool = True
    insert: tuple[WriteRole, ...] | None = None
    proposable: bool = True
    editable: bool = False

    @property
    def role(self) -> WriteRole | None:
        """The role that UPDATEs this field (None: nobody, through the views)."""
        return ROLE_OF[self.owner] if self.update else None

    @property
    def insert_roles(self) -> tuple[WriteRole, ...]:
        if self.insert is not None:
            return self.insert
        role = ROLE_OF[self.owner]
        return (role,) if role else ()

    @property
    def writable(self) -> bool:
        return self.role is not None


PRIORITIES = ("high", "medium", "low")
MAX_NOTE = 2000
MAX_NAME = 300


def _f(view: str, name: str, type_: str, owner: Owner, label: str | None = None, **kw: Any) -> Field:
    if isinstance(kw.get("l1"), str):
        kw["l1"] = (kw["l1"],)
    return Field(view, name, type_, owner, label or name.replace("_", " "), **kw)


def _record_head(view: str) -> list[Field]:
    return [_f(view, "id", "uuid", "system", "id", l1="id", update=False, insert=BOTH, proposable=False),
            _f(view, "client_id", "text", "system", "client", update=False, insert=BOTH, proposable=False)]


def _stamps(view: str) -> list[Field]:
    return [_f(view, "created_at", "timestamptz", "system", "created", l1="createdAt", update=False),
            _f(view, "updated_at", "timestamptz", "system", "updated", update=False)]


def _strategic(view: str, relationship: bool = True) -> list[Field]:
    out = [_f(view, "priority", "text", "strategic", ext=True, choices=PRIORITIES, editable=True),
           _f(view, "strategy_note", "text", "strategic", ext=True, max_length=MAX_NOTE, editable=True)]
    if relationship:
        out.append(_f(view, "relationship_note", "text", "strategic", ext=True, max_length=MAX_NOTE,
                      editable=True))
    out.append(_f(view, "recontact_at", "date", "strategic", "recontact date", ext=True, editable=True))
    return out


def _custom(view: str) -> Field:
    """Twenty's custom fields of the record (label -> value), read-only: generated per workspace from its
    real columns (cockpit.db.custom_fields); written in Twenty, never through the views."""
    return _f(view, "custom", "jsonb", "system", "custom fields", update=False, proposable=False)


def _loop(view: str, name: str, type_: str, **kw: Any) -> Field:
    """An operational field maintained by arlo's loops (never proposed for review)."""
    return _f(view, name, type_, "operational", ext=True, proposable=False, **kw)


_C, _Co, _D, _A, _P = "crm_contacts", "crm_companies", "crm_deals", "crm_activities", "crm_pipeline"

FIELDS: tuple[Field, ...] = (
    *_record_head(_C),
    _f(_C, "first_name", "text", "identity", "first name", l1="nameFirstName", max_length=MAX_NAME),
    _f(_C, "last_name", "text", "identity", "last name", l1="nameLastName", max_length=MAX_NAME),
    _f(_C, "full_name", "text", "system", "name", update=False, proposable=False),
    _f(_C, "email", "text", "identity", l1="emailsPrimaryEmail"),
    _f(_C, "phone", "text", "identity", l1="phonesPrimaryPhoneNumber"),
    _f(_C, "job_title", "text", "identity", "job title", l1="jobTitle"),
    _f(_C, "city", "text", "identity", l1="city"),
    _f(_C, "company_id", "uuid", "identity", "company", l1="companyId"),
    *_stamps(_C),
    _loop(_C, "last_activity_at", "timestamptz", label="last activity"),
    _loop(_C, "enriched_at", "timestamptz", label="enriched"),
    _loop(_C, "email_thread_count", "integer", label="email threads", default=0),
    _loop(_C, "open_count", "integer", label="opens", default=0),
    _f(_C, "linkedin_url", "text", "operational", "LinkedIn", l1="linkedinLinkPrimaryLinkUrl"),
    _f(_C, "company_size", "text", "operational", ext=True),
    _f(_C, "industry", "text", "operational", ext=True),
    _loop(_C, "sequence_step", "integer", label="sequence step"),
    _loop(_C, "sequence_enrolled_at", "timestamptz", label="enrolled"),
    *_strategic(_C),
    _custom(_C),

    *_record_head(_Co),
    _f(_Co, "name", "text", "identity", l1="name", max_length=MAX_NAME),
    _f(_Co, "domain", "text", "identity", l1="domainNamePrimaryLinkUrl"),
    _f(_Co, "employees", "integer", "identity", l1="employees"),
    _f(_Co, "city", "text", "identity", l1="addressAddressCity"),
    _f(_Co, "country", "text", "identity", l1="addressAddressCountry"),
    *_stamps(_Co),
    _f(_Co, "linkedin_url", "text", "operational", "LinkedIn", l1="linkedinLinkPrimaryLinkUrl"),
    _f(_Co, "company_size", "text", "operational", ext=True),
    _f(_Co, "industry", "text", "operational", ext=True),
    _loop(_Co, "enriched_at", "timestamptz", label="enriched"),
    _loop(_Co, "last_activity_at", "timestamptz", label="last activity"),
    *_strategic(_Co),
    _custom(_Co),

    *_record_head(_D),
    _f(_D, "name", "text", "deal_terms", l1="name", max_length=MAX_NAME, editable=True),
    _f(_D, "amount", "numeric", "deal_terms", l1="amountAmountMicros", editable=True),
    _f(_D, "currency", "text", "deal_terms", l1="amountCurrencyCode", pattern=r"[A-Za-z]{3}", editable=True),
    _f(_D, "close_date", "date", "deal_terms", "close date", l1="closeDate", editable=True),
    _f(_D, "stage_id", "text", "strategic", "stage", l1="stage"),
    # A deal is created under the strategic role, which names its company and contact at creation.
    _f(_D, "company_id", "uuid", "identity", "company", l1="companyId", insert=BOTH),
    _f(_D, "contact_id", "uuid", "identity", "contact", l1="pointOfContactId", insert=BOTH),
    _f(_D, "position", "double precision", "operational", l1="position", insert=BOTH, proposable=False),
    *_stamps(_D),
    _loop(_D, "last_activity_at", "timestamptz", label="last activity"),
    *_strategic(_D, relationship=False),
    _custom(_D),

    _f(_A, "id", "uuid", "system", update=False, insert=BOTH, proposable=False),
    _f(_A, "client_id", "text", "system", "client", update=False, insert=BOTH, proposable=False),
    _f(_A, "occurred_at", "timestamptz", "operational", "when", update=False, insert=BOTH),
    _f(_A, "kind", "text", "operational", update=False, insert=BOTH),
    _f(_A, "channel", "text", "operational", insert=BOTH),
    _f(_A, "direction", "text", "operational", insert=BOTH),
    _f(_A, "subject", "text", "operational", insert=BOTH),
    _f(_A, "summary", "text", "operational", insert=BOTH),
    _f(_A, "contact_id", "uuid", "operational", "contact", insert=BOTH),  # re-pointed by approved merges
    _f(_A, "company_id", "uuid", "operational", "company", insert=BOTH),
    _f(_A, "deal_id", "uuid", "operational", "deal", update=False, insert=BOTH),
    _f(_A, "source", "text", "operational", update=False, insert=BOTH),
    _f(_A, "external_id", "text", "operational", "external id", update=False, insert=BOTH),
    _f(_A, "properties", "jsonb", "operational", insert=BOTH),

    *(_f(_P, n, t, "system", update=False, proposable=False) for n, t in (
        ("client_id", "text"), ("stage_id", "text"), ("label", "text"), ("position", "integer"),
        ("color", "text"), ("is_closed", "boolean"))),
)

# The client context document (a jsonb record, not a view column): what a writeback may set in it.
CONTEXT_FIELDS = ("summary", "relationship_status", "emotion_trend", "roles", "key_facts", "open_threads",
                  "opportunities", "risks", "system_links", "fact")


# ------------------------------------------------------------------------------------------------
# Lookups derived from FIELDS

@functools.lru_cache(maxsize=None)
def fields_of(view: str) -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.view == view)


def field(view: str, name: str) -> Field:
    for f in FIELDS:
        if f.view == view and f.name == name:
            return f
    raise KeyError(f"{view}.{name}")


def columns(view: str) -> list[str]:
    return [f.name for f in fields_of(view)]


def updatable_by(role: str, view: str) -> list[str]:
    return [f.name for f in fields_of(view) if f.role == role]


def insertable_by(role: str, view: str) -> list[str]:
    """The columns ``role`` may name in an INSERT: only a role that creates the view's records has any."""
    if role not in VIEWS[view].creators:
        return []
    return [f.name for f in fields_of(view) if role in f.insert_roles]


def ext_columns(view: str) -> list[str]:
    return [f.name for f in fields_of(view) if f.ext]


def editor_fields(view: str) -> tuple[str, ...]:
    return tuple(f.name for f in fields_of(view) if f.editable)


def strategic_whitelist(view: str) -> tuple[str, ...]:
    """What a strategic instruction may set with a field update (stage moves go through crm_move_deal)."""
    return tuple(f.name for f in fields_of(view) if f.role == "strategic" and f.name != "stage_id")


def proposable(view: str) -> dict[str, WriteRole]:
    """Fields a writeback proposal may change, with the role that writes each."""
    return {f.name: f.role for f in fields_of(view) if f.proposable and f.role}  # type: ignore[misc]


STRATEGIC_FIELDS = editor_fields("crm_contacts")
FIELD_LABELS = {f.name: f.label for f in fields_of("crm_contacts")}


# ------------------------------------------------------------------------------------------------
# Validation of raw editor input

def parse_date(raw: str, label: str = "recontact date", today: date | None = None) -> date | None:
    """``YYYY-MM-DD``, or a date as arlo reads it ("tomorrow", "next Tuesday", "end of Q1") relative to
    ``today``; blank clears. Anything else is refused with what was typed and what works."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    # all-digit dates other than ISO are refused: 01/07/2027 is January in one country and July in
    # another, and 2027-13-01 is no date at all; words go to arlo's reader
    found = None if re.fullmatch(r"[\d\s/.\-]+", text) else _read_date(text, today or date.today())
    if found is None:
        raise ValidationFailed(f"{label} {text!r} is not a date",
                               "use YYYY-MM-DD or words like tomorrow, next Tuesday (empty clears it)")
    return found


def _read_date(text: str, today: date) -> date | None:
    """arlo's reading of a date phrase (None when arlo's date reader is not installed)."""
    try:
        from cockpit.arlo.dates import read_date
    except ImportError:
        return None
    return read_date(text, today)


def parse_priority(raw: str | None) -> str | None:
    return parse_choice(raw, field("crm_contacts", "priority"))


def parse_choice(raw: str | None, f: Field) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text not in f.choices:
        raise ValidationFailed(f"{f.label} {raw!r} is not one of {', '.join(f.choices)}",
                               f"pick {', '.join(f.choices[:-1])} or {f.choices[-1]} (or none)")
    return text


def parse_note(raw: str | None, label: str, limit: int = MAX_NOTE) -> str | None:
    text = (raw or "").strip()
    if len(text) > limit:
        raise ValidationFailed(f"{label} is {len(text)} characters long", f"keep it under {limit}")
    return text or None


def parse_amount(raw: str | None, label: str = "amount") -> Decimal | None:
    text = (raw or "").strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(f"{label} {raw!r} is not a number", "type digits, e.g. 48000 or 48000.50") from None
    if not value.is_finite() or value < 0:
        raise ValidationFailed(f"{label} {raw!r} is not an amount", "use a positive number, e.g. 48000")
    return value


def parse_value(f: Field, raw: str | None, today: date | None = None) -> Any:
    """One raw editor value, typed and validated by the field's registry entry."""
    if f.choices:
        return parse_choice(raw, f)
    if f.type == "date":
        return parse_date(raw or "", f.label, today)
    if f.type == "numeric":
        return parse_amount(raw, f.label)
    text = parse_note(raw, f.label, f.max_length or MAX_NOTE)
    if text is not None and f.pattern and not re.fullmatch(f.pattern, text):
        raise ValidationFailed(f"{f.label} {text!r} is not valid", "use a three-letter code, e.g. EUR or USD")
    return text.upper() if text is not None and f.pattern else text


def strategic_changes(current: Any, raw: dict[str, str | None], view: str = "crm_contacts",
                      today: date | None = None) -> dict[str, Any]:
    """The typed editor fields from ``raw`` that differ from ``current`` (a Contact/Company/Deal).

    Raises ValidationFailed on the first bad value or on a field the editor does not edit for ``view``.
    """
    editable = editor_fields(view)
    unknown = set(raw) - set(editable)
    if unknown:
        raise ValidationFailed(f"not editable fields of {view}: {', '.join(sorted(unknown))}")
    parsed = {name: parse_value(field(view, name), value, today) for name, value in raw.items()}
    return {k: v for k, v in parsed.items() if getattr(current, k, None) != v}
