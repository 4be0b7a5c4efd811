"""Normalized rows -> NormalizedEntityProposals with dedup candidates, as Twenty dedupes: people on
email, companies on domain (a company without a domain is matched on its exact name).

The low-risk auto rule is decided here and re-checked by the database: a proposal is auto-approvable
only when it creates a new record and has no merge candidate (in the CRM or earlier in the file).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cockpit.contracts import NormalizedEntityProposal, Provenance
from cockpit.imports.models import Existing
from cockpit.imports.normalize import NormalizedRow, same_value

_COMPARE = ("first_name", "last_name", "phone", "job_title", "city", "linkedin_url")


@dataclass
class Planned:
    """The plan, made as it is consumed: ``proposals`` is an iterator (100k proposal objects never sit in
    memory at once); ``unchanged`` and ``linked_companies`` are complete once it is exhausted."""

    proposals: Iterator[NormalizedEntityProposal] = iter(())
    unchanged: list[int] = field(default_factory=list)  # rows already in the CRM exactly as imported
    linked_companies: int = 0


def _uid() -> str:
    return str(uuid.uuid4())


def plan_proposals(rows: list[NormalizedRow], existing: Existing, *, batch_id: str, created_by: str,
                   source_system: str = "csv_import") -> Planned:
    planned = Planned()
    planned.proposals = _plan(rows, existing, planned, batch_id=batch_id, created_by=created_by,
                              source_system=source_system)
    return planned


def _plan(rows: list[NormalizedRow], existing: Existing, planned: Planned, *, batch_id: str, created_by: str,
          source_system: str) -> Iterator[NormalizedEntityProposal]:
    unchanged = planned.unchanged
    company_ref: dict[tuple[str, str], tuple[str, str]] = {}  # key -> ("id"|"ref", value)
    seen_email: dict[str, tuple[str, int]] = {}               # email -> (target id, row)

    def make(n: int, **kw: Any) -> NormalizedEntityProposal:
        return NormalizedEntityProposal(
            batch_id=batch_id, source_system=source_system, created_by=created_by, row_number=n,
            provenance=Provenance(method="import", source_ref=f"batch:{batch_id}#row{n}",
                                  evidence_refs=[f"import_row:{batch_id}:{n}"]), **kw)

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
                    planned.linked_companies += 1
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
                unchanged.append(row.number)
                continue
            yield (make(row.number, entity_type="contact", canonical_payload={"email": email, **diff},
                            merge_candidate_refs=[str(cur["id"])], review_required=True, action="update",
                            target_id=str(cur["id"]), confidence=1.0,
                            reasons=[f"{email} is already a contact ({cur.get('full_name') or email}); "
                                     "review the changed fields"]))
        elif email and email in seen_email:
            target, first_row = seen_email[email]
            yield (make(row.number, entity_type="contact", canonical_payload={**c, **link},
                            merge_candidate_refs=[target], review_required=True, action="update",
                            target_id=target, confidence=0.9,
                            reasons=[f"same email as row {first_row} of this file"]))
        else:
            target = _uid()
            if email:
                seen_email[email] = (target, row.number)
            risky = not email
            yield (make(row.number, entity_type="contact", canonical_payload={**c, **link},
                            merge_candidate_refs=[], review_required=risky, action="create", target_id=target,
                            confidence=0.8 if risky else 0.95,
                            reasons=["no email: duplicates cannot be ruled out"] if risky
                            else ["new contact (no contact with this email)"]))

