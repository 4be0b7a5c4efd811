"""Justin's words -> an :class:`Intent` (what to change, on which record as he named it).

The parser only reads the sentence; :mod:`cockpit.arlo.resolve` then finds the records (fuzzily, within
the client's scope) and turns the intent into field changes or a question. The rule-based parser is the
deterministic default; the LLM parser (cockpit.arlo.llm) produces the same Intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from dateutil.relativedelta import relativedelta

Action = Literal["update", "move", "unknown"]
TargetKind = Literal["deal", "contact", "company", "any"]


@dataclass
class Intent:
    action: Action
    target_kind: TargetKind | None = None
    target: str | None = None           # the record as Justin named it ("Acme", "Sarah")
    company_hint: str | None = None     # "Sarah at Meridian" -> "Meridian"
    stage: str | None = None            # move: the stage as named ("Negotiation")
    fields: dict[str, Any] = field(default_factory=dict)  # strategic fields (recontact_at as a date)
    note: str | None = None             # context that becomes a strategy or relationship note
    question: str | None = None         # the parser's own question (e.g. an unreadable date)
    cost_usd: float = 0.0


class InstructionParser(Protocol):
    name: str

    async def parse(self, text: str, *, now: datetime) -> Intent: ...


QUERY_START = re.compile(
    r"^\s*(summari[sz]e|summary|give me|show|list|who|what|which|how|when|where|draft|write|any)\b", re.I)


def looks_like_query(text: str) -> bool:
    """Questions and requests for information go to the ad-hoc query task, the rest to strategic writes."""
    return bool(QUERY_START.match(text)) or text.strip().endswith("?")


# --- dates -----------------------------------------------------------------------------------------
MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def parse_when(expr: str, today: date) -> date | None:
    """'July' -> next July 1st after today; 'Q3' -> next 1 July; '2 weeks' -> today + 14; '2027-03-15'."""
    e = re.sub(r"^(in|on|after|by|around|early|mid|the|start of|beginning of)\s+", "", expr.strip().lower())
    e = re.sub(r"^(in|on|after|by|around|early|mid|the|start of|beginning of)\s+", "", e)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", e):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if m := re.fullmatch(r"(next\s+)?([a-z]+)(?:\s+(\d{4}))?", e):
        word = m[2]
        if word in MONTHS:
            month = MONTHS[word]
            if m[3]:
                return date(int(m[3]), month, 1)
            year = today.year if month > today.month else today.year + 1
            return date(year, month, 1)
        if word == "week":
            return today + timedelta(days=7)
        if word == "month":
            return (today + relativedelta(months=1)).replace(day=1)
        if word == "year":
            return date(today.year + 1, 1, 1)
        if word == "quarter":
            q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
            return q_start + relativedelta(months=3)
        if word in WEEKDAYS:
            days = (WEEKDAYS.index(word) - today.weekday()) % 7 or 7
            return today + timedelta(days=days)
        if word == "tomorrow":
            return today + timedelta(days=1)
    if m := re.fullmatch(r"q([1-4])(?:\s+(\d{4}))?", e):
        month = 3 * (int(m[1]) - 1) + 1
        if m[2]:
            return date(int(m[2]), month, 1)
        start = date(today.year, month, 1)
        return start if start > today else date(today.year + 1, month, 1)
    if m := re.fullmatch(r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few)"
                         r"\s+(day|week|month|year)s?", e):
        n = int(m[1]) if m[1].isdigit() else NUMBERS[m[1]]
        unit = m[2]
        if unit == "day":
            return today + timedelta(days=n)
        if unit == "week":
            return today + timedelta(weeks=n)
        if unit == "month":
            return today + relativedelta(months=n)
        return today + relativedelta(years=n)
    return None


# --- the rule-based parser ---------------------------------------------------------------------------
_DASH = re.compile(r"\s+[—–-]{1,2}\s+|\s*[—–]\s*|:\s+")
_RECONTACT = re.compile(
    r"\b(?:re-?contact|reconnect|follow[ -]?up|circle back|check back|check in|revisit|touch base|ping)"
    r"(?:\s+(?:with\s+)?(?:them|him|her))?\s+(?P<when>(?:in|on|after|by|around|next|early|mid)\b[^,.;]*)", re.I)
_MOVE = re.compile(r"^\s*(?:please\s+)?(?:move|put|advance|push)\s+(?:the\s+)?(?P<target>.+?)"
                   r"(?:\s+(?:deal|opportunity|opp))?\s+(?:to|into|in)\s+(?:the\s+)?(?P<stage>[^,.;]+?)"
                   r"(?:\s+stage)?\s*(?:[,.;](?P<rest>.*))?$", re.I)
_MARK = re.compile(r"^\s*(?:please\s+)?(?:mark|flag|make|set)\s+(?P<who>.+?)\s+(?:as\s+)?(?:a\s+|an\s+)?"
                   r"(?:(?P<level>high|top|low|medium|normal)[- ]?)?priority\b(?P<rest>.*)$", re.I)
_DEAL = re.compile(r"^\s*(?:the\s+)?(?P<target>.+?)\s+(?:deal|opportunity|opp)\b(?P<rest>.*)$", re.I)
_STATE = re.compile(r"^\s*(?:is|has|went|got|looks)\s+(?P<state>stalled|stuck|paused|on hold|cold|gone cold|dead|"
                    r"lost|hot|warm|close|at risk|blocked|slipping|delayed)\b", re.I)
_RECONTACT_WHO = re.compile(r"^\s*(?:re-?contact|reconnect with|follow[ -]?up with|circle back with|check in with|"
                            r"ping)\s+(?P<who>.+?)\s+(?P<when>(?:in|on|after|by|next)\b[^,.;]*)\s*[,.;]?\s*$", re.I)
_PRIORITY = {"high": "high", "top": "high", "low": "low", "medium": "medium", "normal": "medium", None: "high"}


def _split_at(text: str, at: re.Pattern[str]) -> tuple[str, str | None]:
    m = at.search(text)
    return (text[:m.start()].strip(), text[m.end():].strip()) if m else (text.strip(), None)


def _clean_note(text: str | None, *, capitalise: bool = True) -> str | None:
    if not text:
        return None
    text = re.sub(r"^[\s,.;:—–-]+|[\s,.;:—–-]+$", "", text)
    if not text:
        return None
    return text[:1].upper() + text[1:] if capitalise else text


def _who(text: str) -> tuple[str, str | None]:
    m = re.match(r"^(?P<name>.+?)\s+(?:at|from|of|@)\s+(?P<company>.+)$", text.strip(), re.I)
    return (m["name"].strip(), m["company"].strip()) if m else (text.strip(), None)


class RuleBasedParser:
    """Deterministic: recognises the example instructions' sentence forms (stalled / recontact, mark as priority, move
    to a stage) and their close variants. Anything else is 'unknown', which becomes a question."""

    name = "rules"

    async def parse(self, text: str, *, now: datetime) -> Intent:
        return self.parse_sync(text, today=now.date())

    def parse_sync(self, text: str, *, today: date) -> Intent:
        text = " ".join(text.split())
        if not text:
            return Intent("unknown", question="The instruction was empty. What should I change?")
        fields: dict[str, Any] = {}
        question = None
        rec = _RECONTACT.search(text)
        if rec:
            when = parse_when(rec["when"], today)
            if when is None:
                question = f"When should I recontact? I couldn't read {rec['when'].strip()!r} as a date."
            else:
                fields["recontact_at"] = when
            text_wo = (text[:rec.start()] + text[rec.end():]).strip()
        else:
            text_wo = text
        head, tail = _split_at(text_wo, _DASH)

        if m := _MOVE.match(head):
            target, _ = _who(re.sub(r"\s+(deal|opportunity|opp)$", "", m["target"], flags=re.I))
            return Intent("move", "deal", target, stage=m["stage"].strip(), fields=fields,
                          note=_clean_note(" ".join(x for x in (m["rest"], tail) if x)), question=question)
        if m := _MARK.match(head):
            name, company = _who(m["who"])
            fields["priority"] = _PRIORITY[(m["level"] or "").lower() or None]
            note = _clean_note(" ".join(x for x in (m["rest"], tail) if x))
            kind: TargetKind = "any"
            if re.search(r"\b(deal|opportunity|opp)$", name, re.I):
                name, kind = re.sub(r"\s+(deal|opportunity|opp)$", "", name, flags=re.I), "deal"
            return Intent("update", kind, re.sub(r"^the\s+", "", name, flags=re.I), company_hint=company,
                          fields=fields, note=note, question=question)
        if m := _DEAL.match(head):
            rest = m["rest"]
            state = _STATE.match(rest) if rest else None
            note_parts = []
            if state:
                note_parts.append(state["state"].capitalize())
                rest = rest[state.end():]
            extra = _clean_note(" ".join(x for x in (rest, tail) if x), capitalise=not note_parts)
            note = " — ".join(note_parts + ([extra] if extra else [])) or None
            if note or fields or question:
                return Intent("update", "deal", m["target"].strip(), fields=fields, note=note, question=question)
        if m := _RECONTACT_WHO.match(text):  # "Recontact Dan at Acme in March"
            when = parse_when(m["when"], today)
            name, company = _who(m["who"])
            if when is None:
                question = f"When should I recontact? I couldn't read {m['when'].strip()!r} as a date."
            return Intent("update", "any", name, company_hint=company,
                          fields={"recontact_at": when} if when else {}, question=question)
        return Intent("unknown", question=(
            "I couldn't tell what to change from that. I understand instructions like "
            "\"The Acme deal is stalled — budget freeze until Q3, recontact in July\", "
            "\"Mark Sarah at Meridian as a priority — strong champion\" or \"Move the Volta deal to Negotiation\"."))
