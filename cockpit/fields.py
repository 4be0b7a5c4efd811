"""Validation of the strategic fields Justin edits in the cockpit (pure: no I/O, no Textual).

The form hands over raw strings; :func:`strategic_changes` returns only the fields that change, typed,
or raises :class:`~cockpit.errors.ValidationFailed` naming the field — before anything is written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cockpit.errors import ValidationFailed

STRATEGIC_FIELDS = ("priority", "strategy_note", "relationship_note", "recontact_at")
PRIORITIES = ("high", "medium", "low")
FIELD_LABELS = {"priority": "priority", "strategy_note": "strategy note",
                "relationship_note": "relationship note", "recontact_at": "recontact date"}
MAX_NOTE = 2000


def parse_date(raw: str, label: str = "recontact date") -> date | None:
    """``YYYY-MM-DD`` (blank clears). Anything else is refused with what was typed and what works."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{label} {text!r} is not a date",
                               "use YYYY-MM-DD, e.g. 2027-07-01 (leave it empty to clear it)") from None


def parse_priority(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text not in PRIORITIES:
        raise ValidationFailed(f"priority {raw!r} is not one of {', '.join(PRIORITIES)}",
                               "pick high, medium or low (or none)")
    return text


def parse_note(raw: str | None, label: str) -> str | None:
    text = (raw or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed(f"{label} is {len(text)} characters long", f"keep it under {MAX_NOTE}")
    return text or None


def strategic_changes(current: Any, raw: dict[str, str | None]) -> dict[str, Any]:
    """The typed strategic fields from ``raw`` that differ from ``current`` (a Contact/Company/Deal).

    Raises ValidationFailed on the first bad value; unknown keys are a programming error.
    """
    unknown = set(raw) - set(STRATEGIC_FIELDS)
    if unknown:
        raise ValidationFailed(f"not strategic fields: {', '.join(sorted(unknown))}")
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "priority":
            parsed[name] = parse_priority(value)
        elif name == "recontact_at":
            parsed[name] = parse_date(value or "", FIELD_LABELS[name])
        else:
            parsed[name] = parse_note(value, FIELD_LABELS[name])
    return {k: v for k, v in parsed.items() if getattr(current, k, None) != v}
