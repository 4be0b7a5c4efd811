"""An :class:`Intent` + the client's records and stages -> the exact writes, or a question with choices.

Never a wrong write: a record is chosen only when the best reading is clearly better than the next
(else the question lists the readings), a stage only when the client has one of the kind named (else
the question lists the client's stages), a date only when it reads as one exact date. Answers come back
as *bindings* ("target:0" -> a record id, "stage:closed lost" -> a stage id, ...) and are applied here on
the next run of the same task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz

from cockpit.arlo import lexicon as lx
from cockpit.arlo.dates import shown
from cockpit.arlo.instructions import Change, Intent, Target
from cockpit.arlo.mentions import Match, Record, Vocabulary
from cockpit.fields import FIELDS
from cockpit.models import Stage
from cockpit.store.instructions import PlannedCreate, PlannedWrite

TIE = 5.0                 # a reading must beat the next by more than this to be chosen
MIN_SCORE = 60.0
VIEW = {"deal": "crm_deals", "contact": "crm_contacts", "company": "crm_companies"}
DEAL_ONLY = ("stage", "amount", "currency", "close_date", "name")
# Why a field can't be set by hand (the registry's reason for each operational field).
OPERATIONAL_REASONS = {
    "open_count": "open count is measured by arlo from email events; it can't be set by hand",
    "last_activity_at": "last activity is measured by arlo from logged activities; it can't be set by hand",
    "enriched_at": "enriched-at is set by arlo's enrichment; it can't be set by hand",
    "email_thread_count": "email thread count is measured by arlo from email; it can't be set by hand",
    "linkedin_url": "LinkedIn URL is filled by arlo's enrichment; it can't be set by hand",
    "company_size": "company size is filled by arlo's enrichment; it can't be set by hand",
    "industry": "industry is filled by arlo's enrichment; it can't be set by hand",
    "sequence_step": "sequence step is advanced by arlo's sequences; enroll, pause or unenroll instead",
}


OPERATIONAL_FIELDS = {f.name for f in FIELDS if f.owner == "operational"}


@dataclass
class Choice:
    key: str
    label: str
    binding: dict[str, Any] = field(default_factory=dict)
    cancel: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "binding": self.binding, "cancel": self.cancel}


@dataclass
class Question:
    text: str
    choices: list[Choice] = field(default_factory=list)

    def output(self) -> dict[str, Any]:
        # every question can be closed: "0" drops the instruction
        choices = self.choices + [Choice("0", "none of these (drop the instruction)" if self.choices
                                         else "drop the instruction", cancel=True)]
        listed = "".join(f"\n  {c.key}. {c.label}" for c in choices)
        text = self.text + " Nothing was changed."
        return {"question": text + listed, "summary": text, "choices": [c.as_dict() for c in choices],
                "written": False}


class Ask(Exception):
    def __init__(self, question: Question) -> None:
        super().__init__(question.text)
        self.question = question


@dataclass
class Plan:
    writes: list[PlannedWrite]
    said: list[str]                      # what will change, in Justin's terms
    already: list[str]                   # changes that were no-ops
    unused: list[str]
    creates: list[PlannedCreate] = field(default_factory=list)   # new notes and tasks


# --- stages -------------------------------------------------------------------------------------------
def stage_kind(stage: Stage) -> str | None:
    for text in (stage.label, stage.stage_id):
        k = lx.stage_kind_of(text)
        if k:
            return k
        for word in text.lower().replace("_", " ").split():
            if word not in ("closed", "close") and (k := lx.stage_kind_of(word)):
                return k
    return None


def match_stage(stages: list[Stage], words: str) -> Stage | None:
    """The client's stage ``words`` name: its label or id (a typo allowed), else the one stage of the
    kind the words name ("signed" -> the won stage). None when no stage, or more than one, fits."""
    w = " ".join(words.lower().replace("_", " ").split())
    w = w.removeprefix("the ").removesuffix(" stage")
    for s in stages:
        if w in (s.label.lower(), s.stage_id.lower().replace("_", " ")):
            return s
    kind = lx.stage_kind_of(w)
    # typos are forgiven on labels only: ids are matched exactly ("closed" is not CLOSE)
    scored = sorted(((fuzz.ratio(w, s.label.lower()), s) for s in stages), key=lambda x: -x[0])
    if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[1][0] < scored[0][0] - TIE):
        top = scored[0][1]
        if kind is None or stage_kind(top) in (kind, None):
            return top
    if kind:
        same = [s for s in stages if stage_kind(s) == kind]
        if len(same) == 1:
            return same[0]
    return None


# --- records ------------------------------------------------------------------------------------------
def _deals_of(vocab: Vocabulary, rec: Record) -> list[Record]:
    deals = [r for r in vocab.records if r.kind == "deal"]
    if rec.kind == "company":
        return [d for d in deals if d.row.company_id == rec.id]
    if rec.kind == "contact":
        return [d for d in deals if d.row.contact_id == rec.id]
    return [rec]


def describe(rec: Record, stages: dict[str, Stage]) -> str:
    """A record named so that two with the same name can be told apart."""
    if rec.kind == "deal":
        d = rec.row
        st = stages.get(d.stage_id)
        bits = [st.label if st else d.stage_id]
        if d.amount is not None:
            bits.append(f"${d.amount:,.0f}")
        if rec.contact is not None:
            bits.append(rec.contact.full_name or "")
        return f"{rec.label} ({', '.join(b for b in bits if b)})"
    if rec.kind == "contact":
        return rec.label + (f", {rec.row.email}" if rec.row.email else "")
    return f"{rec.label} (company)"


def mention_how(target: Target, rec: Record) -> str | None:
    """How the sentence named ``rec`` (its best way), when it was found records-first."""
    if target.mention is None:
        return None
    hows = [m.how for m in target.mention.matches if m.record.id == rec.id]
    return hows[0] if hows else None


class Resolver:
    def __init__(self, intent: Intent, vocab: Vocabulary, stages: list[Stage], bindings: dict[str, Any],
                 today: date) -> None:
        self.intent, self.vocab, self.stages, self.bindings, self.today = intent, vocab, stages, bindings, today
        self.by_stage = {s.stage_id: s for s in stages}

    def candidates(self, i: int, target: Target) -> list[tuple[Record, float]]:
        mention = target.mention
        if mention is None:   # the LLM named it: find it records-first in its own words
            found = self.vocab.find(target.text)[1]
            mention = max(found, key=lambda m: (m.end - m.start, max(x.score for x in m.matches)), default=None)
            if target.company_hint and target.hint_mention is None:
                hints = self.vocab.find(target.company_hint)[1]
                target.hint_mention = hints[0] if hints else None
                if target.hint_mention is None:
                    return []
        if mention is None:
            return []
        matches: list[Match] = mention.matches
        out: dict[tuple[str, UUID], tuple[Record, float]] = {}
        for m in matches:
            out[(m.record.kind, m.record.id)] = max(out.get((m.record.kind, m.record.id), (m.record, 0.0)),
                                                   (m.record, m.score), key=lambda x: x[1])
        cands = list(out.values())
        if target.hint_mention is not None:   # "Sarah at Meridian": the person or deal of that company
            companies = {m.record.id for m in target.hint_mention.matches if m.record.kind == "company"}
            companies |= {m.record.row.company_id for m in target.hint_mention.matches if m.record.kind == "deal"}
            cands = [(r, s) for r, s in cands if r.kind != "company" and r.row.company_id in companies]
        needs_deal = any(c.field in DEAL_ONLY for c in self.intent.changes if c.target == i)
        kind = target.kind
        if needs_deal or kind == "deal":
            deal_cands: dict[UUID, tuple[Record, float]] = {}
            by_how = {(m.record.kind, m.record.id): m.how for m in matches}
            for r, s in cands:
                if r.kind == "contact" and by_how.get(("contact", r.id)) != "full":
                    continue   # "the Tran deal" is no deal of Marcia Tran's
                for d in _deals_of(self.vocab, r):
                    score = s if d is r else s - 2   # a deal reached through its company or contact
                    if d.id not in deal_cands or deal_cands[d.id][1] < score:
                        deal_cands[d.id] = (d, score)
            cands = list(deal_cands.values())
        elif kind in ("company", "contact"):
            cands = [(r, s) for r, s in cands if r.kind == kind]
        else:   # a company named by its name is the company, not its deals
            named = {r.id for r, _ in cands if r.kind == "company"}
            via = {(m.record.kind, m.record.id) for m in matches if m.how in ("company", "short")}
            cands = [(r, s) for r, s in cands if not (r.kind == "deal" and r.row.company_id in named
                                                       and ("deal", r.id) in via)]
        return sorted((c for c in cands if c[1] >= MIN_SCORE), key=lambda c: -c[1])

    def record(self, i: int) -> Record:
        target = self.intent.targets[i]
        cands = self.candidates(i, target)
        key = f"target:{i}"
        if key in self.bindings:
            wanted = str(self.bindings[key])
            for r, _ in cands:
                if str(r.id) == wanted:
                    return r
            for r in self.vocab.records:
                if str(r.id) == wanted:
                    return r
            raise Ask(Question(f"The record chosen for '{target.text}' is no longer in this client's records."))
        where = f" at {target.company_hint}" if target.company_hint else ""
        if self.vocab.truncated and (not cands or mention_how(target, cands[0][0]) != "full"):
            raise Ask(Question(f"Too many records are named like '{target.text}' to be sure which one you mean. "
                               "Name it in full (as the cockpit shows it)."))
        if not cands:
            what = "deal" if target.kind == "deal" or any(
                c.field in DEAL_ONLY for c in self.intent.changes if c.target == i) else "contact, company or deal"
            raise Ask(Question(f"I couldn't find a {what} matching '{target.text}'{where} in this client's records."))
        top = cands[0][1]
        close = [(r, s) for r, s in cands if s >= top - TIE]
        if len(close) == 1:
            return close[0][0]
        needs_deal = any(c.field in DEAL_ONLY for c in self.intent.changes if c.target == i)
        what = "deal" if needs_deal or target.kind == "deal" else "record"
        choices = [Choice(str(n), describe(r, self.by_stage), {key: str(r.id)}) for n, (r, _) in
                   enumerate(close[:8], start=1)]
        raise Ask(Question(f"Which {what} do you mean by '{target.text}'{where}?", choices))

    def stage(self, change: Change, rec: Record | None) -> Stage | None:
        named = rec.label if rec is not None else self.intent.targets[change.target].text
        words = str(change.value)
        key = f"stage:{words.lower()}"
        if key in self.bindings:
            st = self.by_stage.get(str(self.bindings[key]))
            if st is None:
                raise Ask(Question(f"The stage chosen for '{change.words}' is no longer one of this client's stages."))
            return st
        if words.startswith("@state:"):
            same = [s for s in self.stages if stage_kind(s) == "stalled"]
            return same[0] if len(same) == 1 else None   # a state, not a stage: it becomes a note
        if words.startswith("@"):
            kind = words[1:]
            same = [s for s in self.stages if stage_kind(s) == kind]
            if len(same) == 1:
                return same[0]
            lacks = f"This client has no {kind} stage" if not same else f"Several stages could be {kind}"
            raise Ask(Question(f"{lacks} ('{change.words}' for {named}). Which stage should it go to?",
                               self.stage_choices(key)))
        st = match_stage(self.stages, words)
        if st is None:
            kind = lx.stage_kind_of(words)
            extra = f" (this client has no {kind} stage)" if kind and not any(
                stage_kind(s) == kind for s in self.stages) else ""
            raise Ask(Question(f"No stage matches '{words}'{extra}. Which stage should {named} go to?",
                               self.stage_choices(key)))
        return st

    def stage_choices(self, key: str) -> list[Choice]:
        return [Choice(str(n), s.label + (" (closed)" if s.is_closed else ""), {key: s.stage_id})
                for n, s in enumerate(self.stages, start=1)]

    def plan(self) -> Plan:
        intent = self.intent
        refused = [f for _, f in intent.refused if f in OPERATIONAL_FIELDS]   # the field registry decides
        if refused:
            reasons = sorted({OPERATIONAL_REASONS.get(f, f"{f.replace('_', ' ')} is arlo's to maintain")
                              for f in refused})
            raise Ask(Question("; ".join(r[:1].upper() + r[1:] for r in reasons) + "."))
        if intent.question:
            raise Ask(Question(intent.question))
        changes = list(intent.changes)
        if not changes:
            if intent.targets and intent.unused:
                i = 0
                rec = self.record(i)
                text = "; ".join(intent.unused)
                if self.bindings.get("note:unused") == "yes":
                    changes = [Change(0, "note", text[:1].upper() + text[1:], text)]
                else:
                    raise Ask(Question(f"I found {rec.label}, but no instruction in '{text}'. What should I do?",
                                       [Choice("1", f"add '{text}' as a note on {rec.label}", {"note:unused": "yes"})]))
            else:
                raise Ask(Question("I couldn't tell what to change from that."))
        for change in changes:   # a stage the client lacks is asked about before anything else
            if change.field == "stage":
                self.stage(change, None)
        writes: dict[tuple[str, UUID], PlannedWrite] = {}
        said: list[str] = []
        already: list[str] = []
        if intent.unplaced_names and changes and self.bindings.get("unplaced") != "skip":
            self.check_all(changes)
            text = "; ".join(intent.unplaced_names)
            raise Ask(Question(f"I couldn't tell what to do with '{text}'.",
                               [Choice("1", "do the rest and leave that out", {"unplaced": "skip"})]))
        state_notes: dict[int, str] = {}
        creates: list[PlannedCreate] = []
        for ci, change in enumerate(changes):
            rec = self.record(change.target)
            if change.field in ("crm_note", "crm_task"):
                creates.append(self.create(change, rec, said))
                continue
            view = VIEW[rec.kind]
            w = writes.setdefault((view, rec.id), PlannedWrite(view, rec.id, rec.label))
            if change.field in DEAL_ONLY and rec.kind != "deal":
                raise Ask(Question(f"{rec.label} is a {rec.kind}; only deals have a {change.field.replace('_', ' ')}."))
            if change.field == "stage":
                st = self.stage(change, rec)
                if st is None:   # "is stalled" with no such stage: the state is noted
                    state_notes[change.target] = str(change.value).split(":", 1)[1].capitalize()
                    continue
                if rec.row.stage_id == st.stage_id:
                    already.append(f"{rec.label} is already in {st.label}")
                    continue
                if w.stage_id and w.stage_id != st.stage_id:
                    raise Ask(Question(f"Two stages for {rec.label} ({self.by_stage[w.stage_id].label} and "
                                       f"{st.label}). Which one?", self.stage_choices(f"stage:{str(change.value).lower()}")))
                w.stage_id = st.stage_id
                frm = self.by_stage.get(rec.row.stage_id)
                said.append(f"moved {rec.label} from {frm.label if frm else rec.row.stage_id} to {st.label}")
            elif change.field == "recontact_at":
                when = change.value
                key = f"recontact:{change.target}"
                if change.missing:
                    if key not in self.bindings:
                        opts = [("in a week", 7), ("in two weeks", 14), ("in a month", 30), ("in three months", 91)]
                        raise Ask(Question(f"When should I recontact {rec.label}?", [
                            Choice(str(n), f"{label} ({shown(self.today + timedelta(days=d))})",
                                   {key: (self.today + timedelta(days=d)).isoformat()})
                            for n, (label, d) in enumerate(opts, start=1)]))
                    when = date.fromisoformat(str(self.bindings[key]))
                self.set(w, rec, "recontact_at", when, f"recontact {shown(when)}", said, already)
            elif change.field == "priority":
                self.set(w, rec, "priority", change.value, f"priority {change.value}", said, already)
            elif change.field == "amount":
                amount = self.amount(change, rec)
                self.set(w, rec, "amount", amount, f"amount {amount:,.0f}", said, already)
            elif change.field == "currency":
                self.set(w, rec, "currency", change.value, f"currency {change.value}", said, already)
            elif change.field == "close_date":
                self.set(w, rec, "close_date", change.value, f"close date {shown(change.value)}", said, already)
            elif change.field == "name":
                self.set(w, rec, "name", change.value, f"name '{change.value}'", said, already)
            elif change.field == "note":
                self.note(w, rec, str(change.value), said, state_notes.pop(change.target, None))
        for ti, state in state_notes.items():
            rec = self.record(ti)
            w = writes.setdefault((VIEW[rec.kind], rec.id), PlannedWrite(VIEW[rec.kind], rec.id, rec.label))
            self.note(w, rec, "", said, state)
        return Plan([w for w in writes.values() if w.fields or w.stage_id or w.note_entry], said, already,
                    list(intent.unused), creates)

    def create(self, change: Change, rec: Record, said: list[str]) -> PlannedCreate:
        """A new note or task linked to ``rec`` (and to its company); a task without a readable due date
        asks for one."""
        link = {"contact": "contact_id", "company": "company_id", "deal": "deal_id"}[rec.kind]
        fields: dict[str, Any] = {link: rec.id}
        company = getattr(rec.row, "company_id", None) if rec.kind != "company" else None
        if company is not None:
            fields["company_id"] = company
        if change.field == "crm_note":
            body = str(change.value)
            first = re.split(r"[,;.!?\n]|\s[—–-]\s", body, maxsplit=1)[0].strip()
            fields["title"] = first if len(first) <= 60 else first[:59].rstrip() + "…"
            fields["body"] = body
            said.append(f"{rec.label}: note \"{change.value}\"")
            return PlannedCreate("crm_notes", rec.label, fields)
        title, due = change.value["title"], change.value["due"]
        key = f"due:{change.target}"
        if change.missing:
            if key not in self.bindings:
                opts = [("tomorrow", 1), ("in two days", 2), ("in a week", 7), ("in two weeks", 14)]
                raise Ask(Question(f"When is '{title}' ({rec.label}) due?", [
                    Choice(str(n), f"{label} ({shown(self.today + timedelta(days=d))})",
                           {key: (self.today + timedelta(days=d)).isoformat()})
                    for n, (label, d) in enumerate(opts, start=1)] + [Choice("5", "no due date", {key: "none"})]))
            due = None if self.bindings[key] == "none" else date.fromisoformat(str(self.bindings[key]))
        fields.update(title=title, due_at=due)
        said.append(f"{rec.label}: task '{title}'" + (f" due {shown(due)}" if due else ""))
        return PlannedCreate("crm_tasks", rec.label, fields)

    def amount(self, change: Change, rec: Record) -> Any:
        """The amount to set; one twenty times off the current one is asked about ("130" for 130,000?)."""
        key = f"amount:{change.target}"
        if key in self.bindings:
            return Decimal(str(self.bindings[key]))
        new, old = Decimal(change.value), rec.row.amount
        if old and new and (new * 20 < old or new > old * 20):
            options = [new] + ([new * 1000] if new < 1000 else [new / 1000] if new >= 1_000_000 else [])
            raise Ask(Question(f"{rec.label} is worth {old:,.0f} now: set it to {new:,.0f}?",
                               [Choice(str(n), f"{v:,.0f}", {key: str(v)}) for n, v in enumerate(options, start=1)]))
        return new

    def check_all(self, changes: list[Change]) -> None:
        """Ask about records first: a question about the rest makes sense only once they are clear."""
        for change in changes:
            self.record(change.target)

    def set(self, w: PlannedWrite, rec: Record, fld: str, value: Any, text: str, said: list[str],
            already: list[str]) -> None:
        if getattr(rec.row, fld, None) == value:
            already.append(f"{rec.label} already has {text}")
            return
        w.fields[fld] = value
        said.append(f"{rec.label}: {text}")

    def note(self, w: PlannedWrite, rec: Record, text: str, said: list[str], state: str | None) -> None:
        entry = " — ".join(x for x in (state, text) if x)
        entry = entry[:1].upper() + entry[1:]
        fld = "relationship_note" if rec.kind == "contact" else "strategy_note"
        w.note_field = fld
        w.note_entry = f"{w.note_entry}; {entry}" if w.note_entry else entry
        said.append(f"{rec.label}: {fld.replace('_', ' ')} + \"{entry}\"")


def resolve(intent: Intent, vocab: Vocabulary, stages: list[Stage], bindings: dict[str, Any], today: date) -> Plan:
    """The writes ``intent`` means, or :class:`Ask` (with a question and its choices)."""
    return Resolver(intent, vocab, stages, bindings, today).plan()


# --- contacts by name (ad-hoc queries: "draft a follow-up to Sarah Chen") ---------------------------------
@dataclass
class Candidate:
    kind: str
    record: Any
    label: str
    score: float

    @property
    def id(self) -> UUID:
        return self.record.id  # type: ignore[no-any-return]


@dataclass
class Resolution:
    match: Candidate | None = None
    candidates: list[Candidate] | None = None

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates) and self.match is None


async def find_contacts(store: Any, name: str, company_hint: str | None) -> Resolution:
    """The contact ``name`` (at ``company_hint``) means, records first; ambiguous when two are as good."""
    text = f"{name} at {company_hint}" if company_hint else name
    vocab = await store.instructions.vocabulary(text)
    intent = Intent(targets=[Target(name, "contact", company_hint)])
    r = Resolver(intent, vocab, [], {}, date.today())
    cands = r.candidates(0, intent.targets[0])
    if not cands:
        return Resolution()
    close = [c for c in cands if c[1] >= cands[0][1] - TIE]
    wrap = [Candidate("contact", rec.row, rec.label, s) for rec, s in close]
    return Resolution(match=wrap[0]) if len(wrap) == 1 else Resolution(candidates=wrap[:6])


def which(res: Resolution, what: str) -> str:
    names = [c.label for c in res.candidates or []]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else (names[0] if names else "")
    return f"Which {what} do you mean: {listed}?"
