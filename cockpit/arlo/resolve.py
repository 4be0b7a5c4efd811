"""Fuzzy name resolution against the client's records: the store's full-text search finds candidates
(with a short-prefix retry for typos), rapidfuzz ranks them. More than one equally good candidate is
ambiguous: the caller asks which one rather than guessing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz

from cockpit.models import Company, Contact, Deal, Stage

THRESHOLD = 75.0
TIE = 3.0


@dataclass
class Candidate:
    kind: str             # deal | contact | company
    record: Any
    label: str            # how we name it back to Justin
    score: float

    @property
    def id(self) -> UUID:
        return self.record.id  # type: ignore[no-any-return]


@dataclass
class Resolution:
    match: Candidate | None = None
    candidates: list[Candidate] | None = None   # set when ambiguous

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates) and self.match is None


def _score(name: str, *texts: str | None) -> float:
    name = name.lower().strip()
    best = 0.0
    for t in texts:
        if not t:
            continue
        t = t.lower()
        tokens = t.replace("—", " ").split()
        best = max(best, fuzz.ratio(name, t), max((fuzz.ratio(name, tok) for tok in tokens), default=0.0),
                   fuzz.token_set_ratio(name, t) if len(name.split()) > 1 else 0.0)
    return float(best)


def _prefixes(name: str) -> list[str]:
    """Retry queries for typos: each word's first three letters ('Voltta' -> 'vol')."""
    return [w[:3] for w in name.split() if len(w) >= 3]


def _pick(cands: list[Candidate]) -> Resolution:
    cands = sorted((c for c in cands if c.score >= THRESHOLD), key=lambda c: -c.score)
    if not cands:
        return Resolution()
    top = [c for c in cands if c.score >= cands[0].score - TIE]
    return Resolution(match=top[0]) if len(top) == 1 else Resolution(candidates=top[:6])


async def _company_names(store: Any, ids: list[UUID | None]) -> dict[UUID, Company]:
    return await store.arlo.companies_by_ids([i for i in set(ids) if i])  # type: ignore[no-any-return]


async def find_contacts(store: Any, name: str, company_hint: str | None) -> Resolution:
    found: dict[UUID, Contact] = {}
    for q in [name, *_prefixes(name)]:
        page = await store.crm.contacts_page(q, limit=40)
        found.update({c.id: c for c in page.items})
        if found:
            break
    companies = await _company_names(store, [c.company_id for c in found.values()])
    cands = []
    for c in found.values():
        company = companies.get(c.company_id) if c.company_id else None
        score = _score(name, c.full_name, c.first_name, c.last_name, c.email)
        if company_hint:
            if not company or _score(company_hint, company.name, company.domain) < THRESHOLD:
                continue
        label = c.full_name + (f" ({company.name})" if company else "")
        cands.append(Candidate("contact", c, label, score))
    return _pick(cands)


async def find_companies(store: Any, name: str) -> Resolution:
    found: dict[UUID, Company] = {}
    for q in [name, *_prefixes(name)]:
        page = await store.crm.companies_page(q, limit=40)
        found.update({c.id: c for c in page.items})
        if found:
            break
    return _pick([Candidate("company", c, c.name or "(unnamed company)", _score(name, c.name, c.domain))
                  for c in found.values()])


async def find_deals(store: Any, name: str, company_hint: str | None = None) -> Resolution:
    found: dict[UUID, Deal] = {}
    for q in [name, *_prefixes(name)]:
        found.update({d.id: d for d in await store.crm.search_deals(q, 40)})
        if found:
            break
    companies = await _company_names(store, [d.company_id for d in found.values()])
    closed = {s.stage_id for s in await store.crm.pipeline() if s.is_closed}
    cands = []
    for d in found.values():
        company = companies.get(d.company_id) if d.company_id else None
        if company_hint and (not company or _score(company_hint, company.name) < THRESHOLD):
            continue
        score = _score(name, d.name, company.name if company else None)
        if d.stage_id in closed:
            score -= 5  # prefer an open deal over a closed one with the same name
        cands.append(Candidate("deal", d, d.name or "(unnamed deal)", score))
    return _pick(cands)


def match_stage(stages: list[Stage], text: str) -> Stage | None:
    """The stage whose label or id best matches ``text`` ('Negotiation' -> NEGOTIATE), if close enough."""
    t = text.lower().strip()
    scored = sorted(((max(fuzz.WRatio(t, s.label.lower()), fuzz.WRatio(t, s.stage_id.lower())), s) for s in stages),
                    key=lambda x: -x[0])
    if not scored or scored[0][0] < 80:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 1 and scored[1][1].stage_id != scored[0][1].stage_id:
        return None
    return scored[0][1]


def which(res: Resolution, what: str) -> str:
    cands = res.candidates or []
    labels = [c.label for c in cands]
    names = []
    for c in cands:  # same name twice: tell them apart by stage, email or id
        extra = ""
        if labels.count(c.label) > 1:
            r = c.record
            extra = f" [{getattr(r, 'stage_id', None) or getattr(r, 'email', None) or str(c.id)[:8]}]"
        names.append(c.label + extra)
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else (names[0] if names else "")
    return f"Which {what} do you mean: {listed}?"
