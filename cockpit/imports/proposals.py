"""Normalized rows -> NormalizedEntityProposals with dedup candidates, as Twenty dedupes: people on
email, companies on domain (a company without a domain is matched on its exact name).

The low-risk auto rule is decided here and re-checked by the database: a proposal is auto-approvable
only when it creates a new record and has no merge candidate (in the CRM or earlier in the file).

A 100k-row file makes 100k proposals, so they are plain records (``models.ProposalRecord``) checked by
the contract's own rule and serialised to exactly the JSON a ``NormalizedEntityProposal`` stores, rather
than a pydantic model built, validated and dumped per row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from cockpit.contracts.base import utcnow
from cockpit.imports.models import Existing, ProposalRecord
from cockpit.imports.normalize import NormalizedRow, same_value

_TICK = timedelta(microseconds=1)
_COMPARE = ("first_name", "last_name", "phone", "job_title", "city", "linkedin_url")


# random UUIDs (version 4, as uuid.uuid4 makes them from os.urandom), made a few thousand at a time
_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))
_UUIDS_AT_ONCE = 4096
_uuids: list[str] = []
os.register_at_fork(after_in_child=_uuids.clear)  # a forked process must not reuse the parent's


_HEX_AT = [at for at in range(36) if at not in (8, 13, 18, 23)]  # where a UUID's 32 hex digits go


def random_uuids(n: int) -> list[str]:
    """``n`` random UUIDs in their canonical text form (what ``str(uuid.uuid4())`` gives)."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT)
    digits = raw.hex().encode()
    text = bytearray(b"-" * (36 * n))
    for j, at in enumerate(_HEX_AT):
        text[at::36] = digits[j::32]
    out = text.decode()
    return [out[i:i + 36] for i in range(0, 36 * n, 36)]


def _uid() -> str:
    try:
        return _uuids.pop()
    except IndexError:
        _uuids.extend(random_uuids(_UUIDS_AT_ONCE))
        return _uuids.pop()


class ProposalPlanner:
    """Plans a file's proposals a step of rows at a time (its state carries over: a company or an email
    seen in an earlier step is linked, not proposed again). Before each step, :meth:`keys_to_look_up`
    names the keys not looked up yet, and :meth:`learn` takes what the CRM holds for them; the records
    this import creates itself are ignored there, so the plan is the one a look-up before the import
    would give. ``review_all``: every proposal waits for review, even a new record with no candidate."""

    def __init__(self, *, batch_id: str, created_by: str, source_system: str = "csv_import",
                 review_all: bool = False) -> None:
        self.batch_id, self.created_by, self.source_system = batch_id, created_by.strip(), source_system.strip()
        if not (self.batch_id and self.source_system and self.created_by):
            raise ValueError("a proposal needs a batch, a source system and who created it")
        self.review_all = review_all
        self._last_at = utcnow() - _TICK
        self.existing = Existing()
        self.unchanged: list[int] = []  # rows already in the CRM exactly as imported
        self.linked_companies = 0
        self._new_companies: set[str] = set()  # ids of the companies this import proposes to create
        self._company_ref: dict[tuple[str, str], tuple[str, str]] = {}  # key -> ("id"|"ref", value)
        self._seen_email: dict[str, tuple[str, int]] = {}               # email -> (target id, row)

    def keys_to_look_up(self, rows: list[NormalizedRow]) -> tuple[list[str], list[str], list[str]]:
        """(emails, domains, lower-case names of companies without a domain) not looked up yet: a key
        planned in an earlier step was looked up before it (and is now known or proposed)."""
        known, seen, refs = self.existing.contacts, self._seen_email, self._company_ref
        e = {r.contact["email"] for r in rows if r.contact and r.contact.get("email")}
        d = {r.company["domain"] for r in rows if r.company and r.company.get("domain")}
        n = {r.company["name"].lower() for r in rows
             if r.company and not r.company.get("domain") and r.company.get("name")}
        return (sorted(x for x in e if x not in known and x not in seen),
                sorted(x for x in d if ("domain", x) not in refs), sorted(x for x in n if ("name", x) not in refs))

    def learn(self, found: Existing) -> None:
        """Take what the CRM holds for keys not looked up before. Only a company this import creates can
        be among them (found by its name, for a later row giving the name without a domain): it is not
        one the CRM had, so it is ignored."""
        for email, row in found.contacts.items():
            self.existing.contacts.setdefault(email, row)
        for key, cid in found.company_domains.items():
            self.existing.company_domains.setdefault(key, cid)
        for key, cid in found.company_names.items():
            if cid not in self._new_companies:
                self.existing.company_names.setdefault(key, cid)

    def _make(self, n: int, *, entity_type: str, canonical_payload: dict[str, Any], merge_candidate_refs: list[str],
              review_required: bool, action: str, target_id: str, confidence: float,
              reasons: list[str]) -> ProposalRecord:
        if action == "create" and entity_type == "company":
            self._new_companies.add(target_id)
        # when it was made, strictly after the one before: pending proposals list in creation (row) order
        self._last_at = at = max(utcnow(), self._last_at + _TICK)
        return ProposalRecord(_uid(), self.batch_id, self.source_system, self.created_by, at, n,
                              entity_type, action, target_id, canonical_payload, merge_candidate_refs,
                              review_required or self.review_all, confidence, reasons).check()

    def plan(self, rows: list[NormalizedRow]) -> Iterator[ProposalRecord]:
        existing, make = self.existing, self._make
        company_ref, seen_email = self._company_ref, self._seen_email
        for row in rows:
            link: dict[str, Any] = {}
            if row.company:
                co = row.company
                key = ("domain", co["domain"]) if co.get("domain") else ("name", co["name"].lower())
                if key not in company_ref:
                    found = (existing.company_domains.get(key[1]) if key[0] == "domain"
                             else existing.company_names.get(key[1]))
                    if found:
                        company_ref[key] = ("id", found)
                        self.linked_companies += 1
                    else:
                        p = make(row.number, entity_type="company", canonical_payload=co, merge_candidate_refs=[],
                                 review_required=False, action="create", target_id=_uid(), confidence=0.95,
                                 reasons=["new company (no company with this domain)" if key[0] == "domain"
                                          else "new company (no company with this name; no domain given)"])
                        yield p
                        company_ref[key] = ("ref", p.proposal_id)
                kind, value = company_ref[key]
                link = {"company_id": value} if kind == "id" else {"company_ref": value}
            if row.contact is None:
                continue
            c = dict(row.contact)
            email = c.get("email")
            if email and email in existing.contacts:
                cur = existing.contacts[email]
                diff = {k: v for k, v in c.items() if k in _COMPARE and not same_value(k, cur.get(k), v, row.region)}
                if "company_id" in link and str(cur.get("company_id") or "") != link["company_id"]:
                    diff["company_id"] = link["company_id"]
                elif "company_ref" in link and not cur.get("company_id"):
                    diff["company_ref"] = link["company_ref"]
                if not diff:
                    self.unchanged.append(row.number)
                    continue
                yield make(row.number, entity_type="contact", canonical_payload={"email": email, **diff},
                           merge_candidate_refs=[str(cur["id"])], review_required=True, action="update",
                           target_id=str(cur["id"]), confidence=1.0,
                           reasons=[f"{email} is already a contact ({cur.get('full_name') or email}); "
                                    "review the changed fields"])
            elif email and email in seen_email:
                target, first_row = seen_email[email]
                yield make(row.number, entity_type="contact", canonical_payload={**c, **link},
                           merge_candidate_refs=[target], review_required=True, action="update",
                           target_id=target, confidence=0.9, reasons=[f"same email as row {first_row} of this file"])
            else:
                target = _uid()
                if email:
                    seen_email[email] = (target, row.number)
                risky = not email
                yield make(row.number, entity_type="contact", canonical_payload={**c, **link},
                           merge_candidate_refs=[], review_required=risky, action="create", target_id=target,
                           confidence=0.8 if risky else 0.95,
                           reasons=["no email: duplicates cannot be ruled out"] if risky
                           else ["new contact (no contact with this email)"])
