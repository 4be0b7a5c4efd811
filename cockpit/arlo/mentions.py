"""Records first: find the client's own deals, companies and people named in a sentence.

The vocabulary is the client's records as the database names them. Every name is cut into the ways
Justin says it: a deal by its full name ("Volta Energy — Pilot"), by its company ("Volta"), by company
plus the part after the dash ("Volta pilot"), by that part alone; a person by full, first or last name;
a company by its name or its first word. Each way is matched word by word against windows of the
sentence, in order, each word allowing a typo in proportion to its length: a word inside a name never
matches the whole name (there is no token-set containment), and a longer match over the same words
beats a shorter one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz

from cockpit.arlo.lexicon import INTENT_WORDS, lexicon_words
from cockpit.models import Company, Contact, Deal

# How strongly each way of naming a record points at it (a full name beats a first name).
WAY_WEIGHT = {"full": 1.0, "company": 0.92, "company+part": 0.97, "short": 0.86, "short+part": 0.95,
              "part": 0.6, "first": 0.76, "last": 0.76, "domain": 0.85}
# English words that are also names: typed in lower case they are the word, not the record.
_COMMON = {"the", "and", "of", "for", "new", "group", "pilot", "platform", "renewal", "expansion",
           "integration", "analytics", "deal", "labs", "systems", "health", "energy", "logistics", "partners",
           "inc", "llc", "corp", "move", "mark", "note", "close", "demo", "proposal", "lost", "won", "high", "low",
           "will", "may", "june", "april", "august", "grant", "chase", "page", "rich", "hope", "joy", "faith",
           "case", "bell", "little", "long", "young", "price", "cook", "ball", "small", "moss", "rose", "hunt",
           "king", "frost", "friday", "monday", "tuesday", "lane", "pace", "english", "bird", "fields", "wall",
           "park", "cole", "summers", "guy", "dean", "grace", "miles", "banks", "booth", "bass", "brown", "green",
           "white", "black", "sue", "ray", "max", "don", "bill", "pat", "art", "rob", "sky"}
# Words that don't name a company on their own ("New Group Inc" has no short name).
_GENERIC = {"the", "and", "of", "for", "new", "group", "global", "united", "first", "international", "digital",
            "pilot", "platform", "renewal", "expansion", "integration", "analytics", "labs", "systems", "health",
            "energy", "logistics", "partners", "inc", "llc", "corp"}
_SUFFIX = {"inc", "llc", "ltd", "corp", "co", "gmbh", "plc", "sa", "bv", "ag", "limited", "incorporated"}
_TOKEN = re.compile(r"[^\W_][\w'’.]*[^\W_]|[^\W_]")


@functools.lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Lower case without accents: "José" and "jose" are one word."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text``, lower-cased and without accents, with their character spans; possessive 's dropped."""
    out = []
    for m in _TOKEN.finditer(text):
        w = _fold(m.group(0)).replace("’", "'")
        end = m.end()
        if w.endswith("'s"):
            w, end = w[:-2], end - 2
        w = w.strip(".'")
        if w:
            out.append((w, m.start(), end))
    return out


@functools.lru_cache(maxsize=65536)
def _name_words(text: str) -> tuple[str, ...]:
    return tuple(w for w, _, _ in tokens(text))


def _words(text: str | None) -> list[str]:
    """The folded words of a record's name (names repeat: first names, company names on every deal)."""
    return list(_name_words(text or ""))


@dataclass
class Record:
    """One of the client's records, with everything resolution needs to name it back."""

    kind: str                       # deal | contact | company
    row: Any                        # Deal | Contact | Company
    label: str
    company: Company | None = None  # a deal's or contact's company
    contact: Contact | None = None  # a deal's point of contact

    @property
    def id(self) -> UUID:
        return self.row.id  # type: ignore[no-any-return]


@dataclass
class Way:
    record: Record
    words: list[str]
    how: str                        # a key of WAY_WEIGHT


@dataclass
class Match:
    record: Record
    how: str
    start: int                      # token index
    end: int                        # token index, exclusive
    score: float                    # 0..100


@dataclass
class Mention:
    """A span of the sentence that names one or more records."""

    start: int
    end: int
    char_start: int
    char_end: int
    text: str
    matches: list[Match] = field(default_factory=list)

    def best(self) -> list[Match]:
        top = max(m.score for m in self.matches)
        return [m for m in self.matches if m.score >= top - 4]


class Vocabulary:
    """The client's records (those sharing a word with the sentence) cut into ways of naming them."""

    def __init__(self, deals: list[Deal], contacts: list[Contact], companies: list[Company],
                 extra_companies: dict[UUID, Company] | None = None, *,
                 extra_contacts: list[Contact] | None = None) -> None:
        by_id = {c.id: c for c in companies}
        by_id.update(extra_companies or {})
        contacts_by_id = {c.id: c for c in [*contacts, *(extra_contacts or [])]}
        self.records: list[Record] = []
        self.ways: list[Way] = []
        self.truncated = False   # set by the store when it cut the candidate list at its limit
        for c in companies:
            rec = Record("company", c, c.name or "(unnamed company)")
            self._company_ways(rec, c)
        for p in contacts:
            comp = by_id.get(p.company_id) if p.company_id else None
            rec = Record("contact", p, (p.full_name or p.email or "(unnamed)") + (f" ({comp.name})" if comp else ""),
                         company=comp)
            self.records.append(rec)
            full = _words(p.full_name)
            if full:
                self.ways.append(Way(rec, full, "full"))
            if p.first_name and len(full) > 1:
                self.ways.append(Way(rec, _words(p.first_name), "first"))
            if p.last_name and len(full) > 1:
                self.ways.append(Way(rec, _words(p.last_name), "last"))
        for d in deals:
            comp = by_id.get(d.company_id) if d.company_id else None
            rec = Record("deal", d, d.name or "(unnamed deal)", company=comp,
                         contact=contacts_by_id.get(d.contact_id) if d.contact_id else None)
            self.records.append(rec)
            name = d.name or ""
            full = _words(name)
            self.ways.append(Way(rec, full, "full"))
            parts = re.split(r"\s+[—–]\s+|\s*[—–]\s*|\s+-{1,2}\s+", name, maxsplit=1)
            prefix, part = (parts[0], parts[1]) if len(parts) == 2 else (name, "")
            part_words = _words(part)
            heads: list[tuple[list[str], str]] = [(_words(prefix), "company")] if part_words else []
            if comp and comp.name:
                heads.append((_words(comp.name), "company"))
                if bare := _without_suffix(comp.name):
                    heads.append((bare, "company"))
                if short := _short(comp.name):
                    heads.append((short, "company"))   # "the Acme deal": every Acme deal alike
            seen = {tuple(full)}
            for head, how in heads:
                for ws, h in ((head, how), (head + part_words, how + "+part"), (head + part_words[:1], how + "+part")):
                    if ws and tuple(ws) not in seen:
                        seen.add(tuple(ws))
                        self.ways.append(Way(rec, ws, h))
            if part_words:
                self.ways.append(Way(rec, part_words, "part"))
        self._and_ways()

    def _and_ways(self) -> None:
        """Names with "&" are also typed with "and" ("English and Solis")."""
        for way in list(self.ways):
            name = way.record.row.name if way.record.kind != "contact" else None
            if name and "&" in name and len(way.words) >= 2:
                amp = [w for w in _words(name.replace("&", " and ")) ]
                plain = _words(name)
                if way.words[:len(plain)] == plain:
                    self.ways.append(Way(way.record, amp + way.words[len(plain):], way.how))
                else:
                    comp_name = (way.record.company.name if way.record.company else "") or ""
                    cw = _words(comp_name)
                    if "&" in comp_name and way.words[:len(cw)] == cw:
                        self.ways.append(Way(way.record, _words(comp_name.replace("&", " and ")) + way.words[len(cw):],
                                             way.how))

    def _company_ways(self, rec: Record, c: Company) -> None:
        self.records.append(rec)
        full = _words(c.name)
        if full:
            self.ways.append(Way(rec, full, "full"))
        short = _short(c.name)
        if short and short != full:
            self.ways.append(Way(rec, short, "short"))
        if bare := _without_suffix(c.name):
            self.ways.append(Way(rec, bare, "full"))
        if c.domain:
            dom = c.domain.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
            self.ways.append(Way(rec, [dom.split("/")[0]], "domain"))

    def find(self, text: str) -> tuple[list[tuple[str, int, int]], list[Mention]]:
        """The sentence's words and the mentions of records in it, left to right, not overlapping."""
        toks = tokens(text)
        words = [w for w, _, _ in toks]
        matches: list[Match] = []
        for way in self.ways:
            n = len(way.words)
            if n == 0 or n > len(words):
                continue
            for i in range(len(words) - n + 1):
                s = _window_score(way.words, words[i:i + n])
                if s is None:
                    continue
                if way.how in ("first", "last", "part", "short") and n == 1 and way.words[0] in _COMMON \
                        and words[i] == way.words[0] and not text[toks[i][1]].isupper():
                    continue  # "will", "mark", "pilot" in lower case are words, not names
                if way.how in ("first", "last", "part", "short") and n == 1 and words[i] in INTENT_WORDS \
                        and (i == 0 or text[toks[i - 1][2]:toks[i][1]].strip() in (",", ";", "—", "-", "–", ".", "and")):
                    continue  # "Mark Sarah as a priority": the verb, not Mark Tanner
                matches.append(Match(way.record, way.how, i, i + n, s * WAY_WEIGHT[way.how]))
        return toks, _mentions(text, toks, matches)


def _short(name: str | None) -> list[str]:
    """A company's name without its legal or industry suffix ("Meridian Health" -> "meridian")."""
    ws = _words(name)
    if len(ws) < 2:
        return []
    first = ws[0]
    if len(first) < 4 or first in _GENERIC:
        return []
    return [first]


def _without_suffix(name: str | None) -> list[str]:
    """A company's name without its legal form ("Organic Superstructure Inc" -> organic superstructure)."""
    ws = _words(name)
    return ws[:-1] if len(ws) > 2 and ws[-1] in _SUFFIX else []


_LEXICON = lexicon_words()


def _word_score(want: str, got: str) -> float | None:
    if want == got:
        return 100.0
    if len(want) <= 3 or len(got) <= 3 or want.isdigit() or got.isdigit() or got in _LEXICON:
        return None
    s = fuzz.ratio(want, got)
    need = 80.0 if len(want) <= 6 else 84.0
    # a typo, not another word: same first letter
    return s if s >= need and want[0] == got[0] else None


def _window_score(want: list[str], got: list[str]) -> float | None:
    total = 0.0
    for w, g in zip(want, got):
        s = _word_score(w, g)
        if s is None:
            return None
        total += s
    return total / len(want)


def _mentions(text: str, toks: list[tuple[str, int, int]], matches: list[Match]) -> list[Mention]:
    """Group matches into non-overlapping spans, longest (then strongest) spans first."""
    spans: dict[tuple[int, int], list[Match]] = {}
    for m in matches:
        spans.setdefault((m.start, m.end), []).append(m)
    order = sorted(spans, key=lambda s: (-(s[1] - s[0]), -max(m.score for m in spans[s]), s[0]))
    taken: set[int] = set()
    out: list[Mention] = []
    for s in order:
        if any(i in taken for i in range(s[0], s[1])):
            continue
        taken.update(range(s[0], s[1]))
        cs, ce = toks[s[0]][1], toks[s[1] - 1][2]
        # one match per record in the span (its best way)
        best: dict[tuple[str, UUID], Match] = {}
        for m in spans[s]:
            key = (m.record.kind, m.record.id)
            if key not in best or m.score > best[key].score:
                best[key] = m
        out.append(Mention(s[0], s[1], cs, ce, text[cs:ce], sorted(best.values(), key=lambda m: -m.score)))
    return sorted(out, key=lambda m: m.start)


def query_words(text: str) -> list[str]:
    """Three-letter prefixes of the sentence's words: what the store filters candidate records by."""
    words = [w for w, _, _ in tokens(text)]
    parts = {p for w in words for p in re.split(r"[^a-z0-9]+", w)}  # "o'brien" is looked up by "brien"
    return sorted({p[:3] for p in parts if len(p) >= 3 and p.isalpha()} |
                  {w for w in words if len(w) >= 3 and not w.isalpha() and "." in w})
