"""Merge-field templates: ``Hi {{first_name|there}}`` with optional fallbacks.

Why block instead of guessing: a cold email that goes out as "Hi {{first_name}}" or "Hi ," is worse than
one that waits. A field that is empty and has no fallback makes :func:`render` raise
:class:`MissingMergeField`, which the sequence step turns into a paused enrollment with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cockpit.errors import ValidationFailed

# {{ name }} or {{ name | fallback text }}; the fallback may be empty ("{{first_name|}}" renders nothing).
_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}")

MERGE_FIELDS: frozenset[str] = frozenset({
    "first_name", "last_name", "full_name", "email", "job_title", "city", "company",
    "sender_name", "unsubscribe_url",
})


class MissingMergeField(ValidationFailed):
    """A merge field with no value and no fallback: the send is blocked."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(f"missing merge field{'s' if len(fields) > 1 else ''} {', '.join(fields)} (no fallback)",
                         "fill the contact's field or give the template a fallback like {{first_name|there}}")


@dataclass(frozen=True)
class FieldUse:
    name: str
    fallback: str | None


def fields_used(template: str) -> list[FieldUse]:
    return [FieldUse(m.group(1), None if m.group(2) is None else m.group(2).strip()) for m in _FIELD.finditer(template)]


def check_template(template: str, *, where: str) -> None:
    """Refuse unknown fields and unbalanced braces when a sequence is defined, not when it sends."""
    unknown = sorted({u.name for u in fields_used(template)} - MERGE_FIELDS)
    if unknown:
        raise ValidationFailed(f"{where}: unknown merge field {', '.join(unknown)}",
                               f"known fields: {', '.join(sorted(MERGE_FIELDS))}")
    leftover = _FIELD.sub("", template)
    if "{{" in leftover or "}}" in leftover:
        raise ValidationFailed(f"{where}: unbalanced {{{{ }}}} in template", "write merge fields as {{first_name|there}}")


def render(template: str, values: Mapping[str, object | None]) -> str:
    """Fill every merge field; raise :class:`MissingMergeField` naming each one that cannot be filled."""
    missing: list[str] = []

    def fill(m: re.Match[str]) -> str:
        name, fallback = m.group(1), m.group(2)
        value = values.get(name)
        text = str(value).strip() if value is not None else ""
        if text:
            return text
        if fallback is not None:
            return fallback.strip()
        if name not in missing:
            missing.append(name)
        return ""

    out = _FIELD.sub(fill, template)
    if missing:
        raise MissingMergeField(missing)
    if "{{" in out or "}}" in out:  # a malformed field must never reach a recipient
        raise ValidationFailed("template still contains {{ }} after merging", "fix the sequence step's template")
    return out
