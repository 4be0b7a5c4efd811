"""Justin's words -> an :class:`Intent`: which records he named and what should change on each.

Records first: the client's own records named in the sentence are found before anything else
(:mod:`cockpit.arlo.mentions`), so a name with a dash, an ampersand or a stage word in it stays one
name. Then the sentence is cut into clauses and each clause's intents are read from the lexicon
(:mod:`cockpit.arlo.lexicon`) wherever they sit: several intents in one sentence make several changes,
a clause without a name of its own acts on the record named before it ("… and move it to Proposal").
Text after a dash or after "note:" is a note; anything else the parser could not place is reported as
unused, never written. :mod:`cockpit.arlo.resolve` then turns the intent into writes or a question.
The LLM parser (cockpit.arlo.llm) produces the same Intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from cockpit.arlo import lexicon as lx
from cockpit.arlo.dates import find_dates, read_date
from cockpit.arlo.mentions import Mention, Vocabulary

TargetKind = Literal["deal", "contact", "company", "any"]
# Fields a change can name: the strategic fields, the deal terms, and `stage` (a move).
# crm_note / crm_task: a new note or task on the record (Twenty's Notes and Tasks), not a field.
CHANGE_FIELDS = ("stage", "priority", "recontact_at", "note", "amount", "currency", "close_date", "name",
                 "crm_note", "crm_task")


@dataclass
class Target:
    """A record as the sentence names it."""

    text: str
    kind: TargetKind = "any"            # what the words around it say it is
    company_hint: str | None = None     # "Sarah at Meridian" -> "Meridian"
    mention: Mention | None = None      # found records-first (the rule parser); None: resolve by text
    hint_mention: Mention | None = None


@dataclass
class Change:
    target: int                         # index into Intent.targets
    field: str                          # one of CHANGE_FIELDS
    value: Any                          # stage words | priority | date | note text | Decimal | currency | name
    words: str                          # what Justin wrote for it
    missing: bool = False               # the value could not be read (e.g. a recontact without a date)


@dataclass
class Intent:
    targets: list[Target] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)   # (words, field) Justin may not set
    unused: list[str] = field(default_factory=list)                # words the parser could not place
    unplaced_names: list[str] = field(default_factory=list)        # unused words that name a record
    question: str | None = None          # the parser's own question (e.g. an unreadable date)
    cost_usd: float = 0.0

    def add_target(self, target: Target) -> int:
        for i, t in enumerate(self.targets):
            if t.mention is not None and t.mention is target.mention and t.company_hint == target.company_hint:
                return i
        self.targets.append(target)
        return len(self.targets) - 1


class InstructionParser(Protocol):
    name: str

    async def parse(self, text: str, *, now: datetime, vocabulary: Vocabulary | None = None) -> Intent: ...


QUERY_START = re.compile(
    r"^\s*(summari[sz]e|summary|give me|show|list|who|what|which|how|when|where|draft|write|any)\b", re.I)


def looks_like_query(text: str) -> bool:
    """Questions and requests for information go to the ad-hoc query task, the rest to strategic writes."""
    return bool(QUERY_START.match(text)) or text.strip().endswith("?")


def parse_when(expr: str, today: date) -> date | None:
    """A date phrase -> the exact date (see :func:`cockpit.arlo.dates.read_date`)."""
    return read_date(expr, today)


# --- the rule-based parser ---------------------------------------------------------------------------
_PLACE = re.compile(r"⟦([md])(\d+)⟧")
_SEP = re.compile(r"\s*(?:;|(?<!\d)\.(?=\s|$)|!+|\?|,(?!\d{3}\b)|\s[—–]\s|\s-{1,2}\s|[—–]|\s(?:and|but|also|then|plus|&|\+)\s"
                  r"|:(?=\s))\s*", re.I)
_DASH = re.compile(r"[—–]|\s-{1,2}\s")
UNKNOWN = ("I couldn't tell what to change from that. I understand instructions like \"The Acme deal is stalled — "
           "budget freeze until Q3, recontact in July\", \"Mark Sarah at Meridian as a priority — strong champion\", "
           "\"Volta -> Negotiation\" or \"Volta deal is worth 80k\".")


@dataclass
class _Seg:
    text: str            # masked
    after_dash: bool
    after_sep: str


def _mask(text: str, mentions: list[Mention]) -> tuple[str, list[tuple[int, int, str]]]:
    """Replace record mentions by ⟦mI⟧ and date phrases by ⟦dJ⟧ (records win where they overlap)."""
    spans: list[tuple[int, int, str]] = [(m.char_start, m.char_end, f"⟦m{i}⟧") for i, m in enumerate(mentions)]
    dates: list[tuple[int, int, str]] = []
    for s, e, phrase in find_dates(text):
        if any(s < me and e > ms for ms, me, _ in spans):
            continue
        dates.append((s, e, phrase))
        spans.append((s, e, f"⟦d{len(dates) - 1}⟧"))
    out, pos = [], 0
    for s, e, token in sorted(spans):
        out.append(text[pos:s])
        out.append(token)
        pos = e
    out.append(text[pos:])
    return "".join(out), dates


def _segments(masked: str) -> list[_Seg]:
    segs: list[_Seg] = []
    pos, sep, dash = 0, "", False
    for m in _SEP.finditer(masked):
        piece = masked[pos:m.start()]
        if piece.strip():
            segs.append(_Seg(piece.strip(), dash, sep))
            dash = False
        sep = m.group(0).strip().lower()
        dash = dash or bool(_DASH.search(m.group(0)))
        pos = m.end()
    if masked[pos:].strip():
        segs.append(_Seg(masked[pos:].strip(), dash, sep))
    return segs


class RuleBasedParser:
    """Deterministic: records first, then intents from the lexicon, clause by clause."""

    name = "rules"

    async def parse(self, text: str, *, now: datetime, vocabulary: Vocabulary | None = None) -> Intent:
        return self.parse_sync(text, today=now.date(), vocabulary=vocabulary)

    def parse_sync(self, text: str, *, today: date, vocabulary: Vocabulary | None = None) -> Intent:
        text = " ".join(text.replace("=>", "->").replace("→", "->").split())
        if not text:
            return Intent(question="The instruction was empty. What should I change?")
        mentions = vocabulary.find(text)[1] if vocabulary else []
        date_spans = find_dates(text)
        # a date phrase beats a weak name over the same words ("march 3" is no Marcia)
        mentions = [m for m in mentions if not any(m.char_start < e and m.char_end > s for s, e, _ in date_spans)
                    or any(x.how == "full" and x.score >= 99 for x in m.matches)]
        masked, dates = _mask(text, mentions)
        return _Reader(text, masked, mentions, dates, today).read()


class _Reader:
    def __init__(self, text: str, masked: str, mentions: list[Mention], dates: list[tuple[int, int, str]],
                 today: date) -> None:
        self.text, self.masked, self.mentions, self.dates, self.today = text, masked, mentions, dates, today
        self.intent = Intent()
        self.current: int | None = None      # the target the clauses act on
        self.note_parts: list[str] = []
        self.note_target: int | None = None
        self.in_note = False

    def unmask(self, s: str) -> str:
        return _PLACE.sub(lambda m: (self.mentions[int(m[2])].text if m[1] == "m" else self.dates[int(m[2])][2]), s)

    def read(self) -> Intent:
        intent = self.intent
        if self.note_or_task():
            return intent
        marker = lx.NOTE_MARKER.search(self.masked) if lx.NOTE_MARKER.match(self.masked) else None
        if marker is None:
            m = re.search(r"(?:^|[,;.—–]\s*|\s[—–-]\s|(?<=⟧)\s*|(?<=⟧ deal)\s+|(?<=⟧ pilot)\s+)(note to self|note|fyi|context|btw|n\.b\.)\s*[:—–-]\s*",
                          self.masked, re.I)
            marker = m
        body, note_text = (self.masked, None)
        if marker is not None:
            body, note_text = self.masked[:marker.start()], self.masked[marker.end():]
        for seg in _segments(body):
            self.clause(seg)
        if note_text is not None and note_text.strip():
            refs = self.refs(note_text)
            if self.current is None and refs:
                self.current = self.target_for(refs[0], note_text)
            self.note_parts.append(self.unmask(note_text).strip())
            self.in_note = True
        self.flush_note()
        if note_text is None and intent.changes and all(c.field == "note" for c in intent.changes):
            # words after a dash are context for an instruction; with no instruction they are not placed
            intent.unused = [str(c.value) for c in intent.changes] + intent.unused
            intent.changes = []
        if not intent.changes and not intent.refused and not intent.question:
            if intent.targets and intent.unused:
                return intent   # resolution asks what to do with the unplaced words
            if not intent.targets:
                intent.question = UNKNOWN
        return intent

    # --- a new note or task -----------------------------------------------------------------------
    def note_or_task(self) -> bool:
        """"note on Acme: …" is a note on Acme; "remind me to send the contract to Sarah on Friday" a task
        on Sarah due Friday. False when the sentence is neither (the other intents are read)."""
        if m := lx.NOTE_ON.match(self.masked):
            refs = self.refs(m["on"])
            body = self.unmask(m["body"]).strip(" .")
            target = self.target_for(self.primary_ref(m["on"]) or refs[0], m["on"])
            if not body:
                self.intent.question = "What should the note say?"
            else:
                self.intent.changes.append(Change(target, "crm_note", body[:1].upper() + body[1:], body))
            return True
        if m := lx.NOTE_ON_UNKNOWN.match(self.masked):   # a note on a name that is no record of the client
            self.intent.add_target(Target(m["name"].strip()))
            self.intent.changes.append(Change(0, "crm_note", m["body"].strip(), m["body"]))
            return True
        m = lx.TASK.match(self.masked)
        if m is None or (m["remind"] and lx.CONTACT_VERBS.match(self.unmask(m["body"]).strip())):
            return False
        body = m["body"]
        due, missing, phrase = None, True, ""
        if d := re.search(r"(?:\b(?:on|by|before|until|for)\s+)?⟦d(\d+)⟧", body, re.I):
            phrase = self.dates[int(d[1])][2]
            due = read_date(phrase, self.today)
            if due is None:
                self.intent.question = f"When is it due? I couldn't read {phrase!r} as a date."
                return True
            missing = False
            body = body[:d.start()] + body[d.end():]
        title = " ".join(self.unmask(body).split()).strip(" .,;:—–-")
        title = title[:1].upper() + title[1:]
        primary = self.primary_ref(body)
        if not title:
            self.intent.question = "What is the task?"
            return True
        if primary is None:
            self.intent.question = (f"Which contact, company or deal is the task '{title}' for? Name it, e.g. "
                                    f"\"remind me to {title[:1].lower() + title[1:]} for Acme on Friday\".")
            return True
        target = self.target_for(primary, body)
        self.intent.changes.append(Change(target, "crm_task", {"title": title, "due": due},
                                          self.unmask(m["body"]), missing=missing))
        return True

    # --- clauses -------------------------------------------------------------------------------
    def refs(self, seg: str) -> list[int]:
        return [int(m[2]) for m in _PLACE.finditer(seg) if m[1] == "m"]

    def target_for(self, mi: int, seg: str) -> int:
        """The target for mention ``mi`` in ``seg``: its kind cue and any "at <company>" after it."""
        mention = self.mentions[mi]
        after = seg.split(f"⟦m{mi}⟧", 1)[1] if f"⟦m{mi}⟧" in seg else ""
        before = seg.split(f"⟦m{mi}⟧", 1)[0] if f"⟦m{mi}⟧" in seg else ""
        kind: TargetKind = "any"
        head = after.strip().lower()
        if re.match(r"^(?:deal|deals|opportunity|opp|oppty|account deal)\b", head) or \
                re.search(r"\b(?:the|this|that)\s+(?:deal|opportunity|opp)\s+(?:with|for|at)\s*$", before.lower()):
            kind = "deal"
        elif re.match(r"^(?:company|account|org)\b", head) or re.search(r"\bthe company\s*$", before.lower()):
            kind = "company"
        hint, hint_mention = None, None
        link = re.match(r"^\s*(?:at|from|of|@|over at)\s+⟦m(\d+)⟧", after, re.I)
        if link:
            hint_mention = self.mentions[int(link[1])]
            hint = hint_mention.text
        return self.intent.add_target(Target(mention.text, kind, hint, mention, hint_mention))

    def primary_ref(self, seg: str) -> int | None:
        refs = self.refs(seg)
        hinted = set()
        for i in refs:
            after = seg.split(f"⟦m{i}⟧", 1)[1]
            if link := re.match(r"^\s*(?:at|from|of|@|over at)\s+⟦m(\d+)⟧", after, re.I):
                hinted.add(int(link[1]))
        primary = [i for i in refs if i not in hinted]
        return primary[0] if primary else None

    def guess_target(self) -> None:
        """No record of the client is named: keep the words that look like a name, so the question can say
        which name was not found ("Move the Zorblax deal to Negotiation")."""
        seg = re.sub(r"⟦d\d+⟧", " ", self.seg_text)
        m = re.search(r"\b(?:move|put|push|advance|mark|flag|make|set|ping|recontact|deprioriti[sz]e|signed)\s+"
                      r"(?:the\s+)?(?P<name>[A-Z][\w&'.-]*(?:\s+(?:&\s+)?[A-Z][\w&'.-]*)*)", seg) or \
            re.search(r"(?P<name>\b[A-Z][\w&'.-]+(?:\s+(?:&\s+)?[A-Z][\w&'.-]+)*)", seg[1:] if seg[:1].isupper() else seg)
        if m:
            name = m["name"].strip()
            kind: TargetKind = "deal" if re.match(rf"{re.escape(name)}\s+(?:deal|opp|opportunity)\b",
                                                   seg[m.start("name"):]) else "any"
            self.current = self.intent.add_target(Target(name, kind))

    def change(self, field_name: str, value: Any, words: str, *, missing: bool = False) -> None:
        if self.current is None:
            self.guess_target()
        if self.current is None:
            return
        for c in self.intent.changes:
            if c.target == self.current and c.field == field_name and field_name != "note":
                if c.value == value or c.missing:
                    c.value, c.words, c.missing = value, words, missing
                    return
        self.intent.changes.append(Change(self.current, field_name, value, words, missing))

    def flush_note(self) -> None:
        parts = [p for p in (re.sub(r"^[\s,.;:—–-]+|[\s,.;:—–-]+$", "", x) for x in self.note_parts) if p]
        if parts and self.note_target is None:
            self.note_target = self.current
        if parts and self.note_target is not None:
            text = ", ".join(parts)
            keep, self.current = self.current, self.note_target
            self.change("note", text, text)
            self.current = keep
        elif parts:
            self.intent.unused.extend(parts)
        self.note_parts, self.note_target, self.in_note = [], None, False

    seg_text = ""
    correcting = False

    def clause(self, seg: _Seg) -> None:
        s = seg.text
        self.seg_text = s
        low = s.lower()
        prev = self.current
        corr = re.match(r"^(?:no,?\s*wait|wait|actually|sorry|i mean|correction|scratch that|make that|rather)\b[\s,]*",
                        low)
        if corr and not s[corr.end():].strip(" .,!"):
            self.correcting = True   # "no wait, qualify": the correction is the next clause
            return
        if corr or self.correcting:
            self.correcting = False
            words = self.unmask(s[corr.end() if corr else 0:]).strip(" .,!")
            if words and prev is not None and (lx.stage_kind_of(words) or len(words.split()) <= 2):
                for c in self.intent.changes:   # "… to prospect... no wait, qualify": the correction wins
                    if c.target == prev and c.field == "stage":
                        c.value, c.words = words, words
                        return
        primary = self.primary_ref(s)
        if primary is not None:
            self.current = self.target_for(primary, s)
        found = False
        # operational fields: refused with the registry's reason
        if re.search(r"\b(?:set|change|update|reset|bump|make|mark|put|fix|edit|to)\b|\d", low):
            for pat, fld in lx.OPERATIONAL_WORDS:
                if m := pat.search(low):
                    self.intent.refused.append((self.unmask(s), fld))
                    found = True
                    break
        # recontact + its date
        if m := lx.RECONTACT.search(low):
            d = re.search(r"⟦d(\d+)⟧", low[m.end():])
            if d:
                phrase = self.dates[int(d[1])][2]
                when = read_date(phrase, self.today)
                if when is None:
                    self.intent.question = f"When should I recontact? I couldn't read {phrase!r} as a date."
                else:
                    self.change("recontact_at", when, phrase)
            else:
                rest = re.sub(r"⟦m\d+⟧|\b(?:with|on|about|them|him|her|it|again)\b", " ", low[m.end():]).strip()
                if rest and re.match(r"^(?:in|on|by|after|around|next|early|mid|late|end)\b", rest):
                    self.intent.question = f"When should I recontact? I couldn't read {self.unmask(rest)!r} as a date."
                else:
                    self.change("recontact_at", None, self.unmask(s), missing=True)
            found = True
        # close date
        if m := lx.CLOSE_DATE.search(low):
            d = re.search(r"⟦d(\d+)⟧", low[m.end():]) or re.search(r"⟦d(\d+)⟧", low[:m.start()])
            if d:
                phrase = self.dates[int(d[1])][2]
                when = read_date(phrase, self.today)
                if when is not None:
                    self.change("close_date", when, phrase)
                    found = True
        # amounts ("worth 80k now, not 65k")
        amount = self.amount(low)
        if amount is not None:
            value, currency, words = amount
            self.change("amount", value, words)
            if currency:
                self.change("currency", currency, words)
            found = True
        # priority
        if m := lx.PRIORITY.search(low):
            if m["after"]:
                level = lx.PRIORITY_LEVEL.get(m["after"].lower(), "high")
            elif m["depri"]:
                level = "low"
            elif m["champion"] or m["top"] or m["prioritize"]:
                level = "high"
            else:
                level = lx.PRIORITY_LEVEL.get((m["level"] or "").lower() or None, "high")
            self.change("priority", level, m.group(0))
            found = True
        if found:
            self.after_intent(seg)
            return
        # moves: won/lost verbs, "to <stage>", "->", "is in <stage>"
        for kind, pat in lx.KIND_VERBS:
            if m := pat.search(low):
                self.change("stage", f"@{kind}", m.group(0))
                self.after_intent(seg)
                return
        if m := lx.MOVE.search(s):
            words = next(g for g in (m["stage"], m["stage2"], m["stage3"], m["stage4"], m["stage5"]) if g)
            words = self.unmask(_PLACE.sub(lambda x: x.group(0) if x[1] == "m" else "", words))
            words = re.sub(r"\b(?:stage|column|now|please|pls|asap|today|already|finally)\b", " ", words, flags=re.I)
            words = " ".join(words.split()).strip(" .,!")
            if words and (lx.stage_kind_of(words) or len(words.split()) <= 3):
                self.change("stage", words, words)
                self.after_intent(seg)
                return
        # states: "is stalled", "went cold" (a move when the client has such a stage, else a note)
        for state in lx.STATE_WORDS:
            if re.search(rf"\b{re.escape(state)}\b", low):
                self.change("stage", f"@state:{state}", state)
                self.after_intent(seg)
                return
        # no intent in this clause: a note after a dash, else unused
        rest = self.leftover(s)
        if not rest:
            return
        if seg.after_dash or self.in_note:
            if prev is not None:   # context about the record the instruction is on, even if it names another
                self.current = prev
            if self.current is not None:
                self.note_target = self.note_target if self.note_target is not None else self.current
                self.note_parts.append(self.unmask(s))
                self.in_note = True
                return
        self.intent.unused.append(self.unmask(s))
        if self.refs(s):
            self.intent.unplaced_names.append(self.unmask(s))

    def after_intent(self, seg: _Seg) -> None:
        # a clause with an intent ends a note that was running
        if self.note_parts:
            keep = self.current
            self.flush_note()
            self.current = keep

    def leftover(self, s: str) -> str:
        text = re.sub(r"⟦m\d+⟧", " ", s)
        words = [w for w in re.findall(r"[\w'’⟦⟧]+|[$€£]?\d[\d,.]*k?", text) if w.lower() not in lx.FILLER]
        return " ".join(self.unmask(w) for w in words) if words else ""

    def amount(self, low: str) -> tuple[Decimal, str | None, str] | None:
        best = None
        for m in lx.AMOUNT.finditer(low):
            if m["neg"]:
                continue
            num = Decimal(m["num"].replace(",", ""))
            mult = (m["mult"] or "").lower()
            cur_raw = ((m["cur"] or "") + (m["cur2"] or "")).strip().lower()
            before = low[max(0, m.start() - 30):m.start()]
            cue = lx.AMOUNT_CUE.search(before.split("⟧")[-1]) is not None
            if not (mult or cur_raw or cue):
                continue
            if not mult and not cur_raw and num < 100:
                continue   # "to 5" is no deal size
            if mult in ("k", "grand", "thousand"):
                num *= 1000
            elif mult in ("m", "mm", "million"):
                num *= 1_000_000
            currency = {"$": "USD", "usd": "USD", "dollars": "USD", "€": "EUR", "eur": "EUR", "euros": "EUR",
                        "£": "GBP", "gbp": "GBP", "pounds": "GBP"}.get(cur_raw)
            best = (num, currency, m.group(0).strip())
            break
        return best
