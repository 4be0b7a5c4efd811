"""The activity feed's filter: typed in the feed's ``/`` bar as free text plus ``key=value`` terms.

    email kind=email_opened,email_clicked source=arlo channel=email contact=<uuid> deal=<uuid>

Free words match subject or summary. Values of one key are OR-ed (comma separated), keys are AND-ed.
A bad term (unknown key, malformed id) raises ValidationFailed naming it; nothing is applied.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from uuid import UUID

from cockpit.errors import ValidationFailed

KEYS = ("kind", "channel", "source", "contact", "company", "deal")
# The kinds RedKey, arlo, Resend's webhooks, mail and calendar sync and the Twenty views write.
KINDS = ("email_sent", "email_delivered", "email_delayed", "email_opened", "email_clicked", "email_bounced",
         "email_complained", "email_failed", "email_suppressed", "email_unsubscribed", "email_received",
         "call", "meeting", "note", "task", "stage_change", "form_submission", "enrichment",
         "record_created", "record_updated", "record_deleted", "twenty_event")


@dataclass(frozen=True)
class ActivityFilter:
    text: str | None = None
    kinds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    contact_id: UUID | None = None
    company_id: UUID | None = None
    deal_id: UUID | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # id -> display name

    @property
    def is_empty(self) -> bool:
        return self == ActivityFilter()

    def with_record(self, *, contact_id: UUID | None = None, deal_id: UUID | None = None,
                    label: str | None = None) -> "ActivityFilter":
        labels = dict(self.labels)
        rid = contact_id or deal_id
        if rid and label:
            labels[str(rid)] = label
        if contact_id:
            return replace(self, contact_id=contact_id, labels=labels)
        return replace(self, deal_id=deal_id, labels=labels)

    def describe(self) -> str:
        """The filter as the user would type it (ids shown by name when known)."""
        parts = []
        for key, values in (("kind", self.kinds), ("channel", self.channels), ("source", self.sources)):
            if values:
                parts.append(f"{key}={','.join(values)}")
        for key, value in (("contact", self.contact_id), ("company", self.company_id), ("deal", self.deal_id)):
            if value:
                parts.append(f"{key}={self.labels.get(str(value), str(value))}")
        if self.text:
            parts.append(self.text)
        return " ".join(parts)

    def to_query(self) -> str:
        """Round-trippable form (ids, not names) for editing in the filter bar."""
        parts = [f"{k}={','.join(v)}" for k, v in (("kind", self.kinds), ("channel", self.channels),
                                                   ("source", self.sources)) if v]
        parts += [f"{k}={v}" for k, v in (("contact", self.contact_id), ("company", self.company_id),
                                          ("deal", self.deal_id)) if v]
        if self.text:
            parts.append(self.text)
        return " ".join(parts)


def _uuid(key: str, value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed(f"{key}={value} is not a record id",
                               f"press enter on a row and use its {key}, or pick one with c / d") from None


def parse_filter(text: str) -> ActivityFilter:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ValidationFailed(f"cannot read the filter: {exc}", "close the quote") from None
    words: list[str] = []
    values: dict[str, tuple[str, ...]] = {}
    ids: dict[str, UUID] = {}
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if not sep:
            words.append(tok)
            continue
        key = key.lower().strip()
        if key not in KEYS:
            raise ValidationFailed(f"unknown filter {key!r}", f"use {', '.join(KEYS)} or free text")
        if not value.strip():
            raise ValidationFailed(f"{key}= needs a value", f"e.g. {key}=" + {"kind": "email_opened",
                                   "channel": "email", "source": "arlo"}.get(key, "<id>"))
        if key in ("kind", "channel", "source"):
            values[key] = tuple(v.strip().lower() for v in value.split(",") if v.strip())
        else:
            ids[key] = _uuid(key, value.strip())
    return ActivityFilter(text=" ".join(words) or None, kinds=values.get("kind", ()),
                          channels=values.get("channel", ()), sources=values.get("source", ()),
                          contact_id=ids.get("contact"), company_id=ids.get("company"), deal_id=ids.get("deal"))


def unknown_kinds(f: ActivityFilter) -> tuple[str, ...]:
    """The filter's kinds that no writer produces (a typo, most often: ``kind=email_open``)."""
    return tuple(k for k in f.kinds if k not in KINDS)


def unknown_kinds_warning(f: ActivityFilter) -> str | None:
    unknown = unknown_kinds(f)
    if not unknown:
        return None
    names = ", ".join(unknown)
    return f"no activity is of kind {names}; the known kinds are {', '.join(KINDS)}"
