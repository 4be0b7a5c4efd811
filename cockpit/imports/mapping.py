"""Propose an ImportMappingManifest from a file's headers, and apply a user's edits to it.

Every column ends up mapped (to a canonical field), ignored (known, deliberately not imported: ids,
timestamps, owners) or unresolved (nobody knows what it is yet). Unresolved columns are not imported;
the user can map them when confirming.
"""

from __future__ import annotations

import re

from cockpit.contracts import CANONICAL_FIELDS, ColumnMapping, ImportMappingManifest, Provenance, validate
from cockpit.errors import ValidationFailed

# Normalized header -> canonical field.
SYNONYMS: dict[str, str] = {}
for _target, _names in {
    "contact.first_name": ["first_name", "firstname", "first", "given_name", "forename", "name_first_name",
                           "prenom"],
    "contact.last_name": ["last_name", "lastname", "last", "surname", "family_name", "name_last_name", "nom"],
    "contact.full_name": ["name", "full_name", "fullname", "contact", "contact_name", "person", "display_name"],
    "contact.email": ["email", "e_mail", "email_address", "mail", "emails_primary_email", "primary_email",
                      "work_email", "business_email"],
    "contact.phone": ["phone", "phone_number", "telephone", "tel", "mobile", "cell", "phones_primary_phone_number",
                      "work_phone"],
    "contact.job_title": ["job_title", "title", "position", "role", "jobtitle", "designation"],
    "contact.city": ["city", "town", "location_city"],
    "contact.linkedin_url": ["linkedin", "linkedin_url", "linkedin_profile", "profile_url", "url",
                             "linkedin_link_primary_link_url"],
    "company.name": ["company", "company_name", "organization", "organisation", "account", "account_name",
                     "employer", "org"],
    "company.domain": ["domain", "website", "company_domain", "web", "company_website", "domain_name",
                       "domain_name_primary_link_url"],
    "company.country": ["country", "company_country", "country_code"],
    "company.employees": ["employees", "headcount", "company_size_employees", "employee_count", "num_employees"],
    "company.industry": ["industry", "sector", "vertical"],
    "company.city": ["company_city", "hq_city"],
    "company.linkedin_url": ["company_linkedin", "company_linkedin_url"],
}.items():
    for _n in _names:
        SYNONYMS[_n] = _target

IGNORED = {"id", "uuid", "created", "created_at", "created_on", "updated", "updated_at", "modified", "owner",
           "owner_id", "record_id", "row", "row_id", "connected_on", "deleted_at", "position_", "source"}

PROFILES = {
    "twenty_export": {"emails_primary_email", "name_first_name"},
    "linkedin_connections": {"connected_on", "email_address"},
}


def norm_header(header: str) -> str:
    h = header.strip().lower().replace("/", " ").replace("-", " ")
    h = re.sub(r"[^a-z0-9]+", "_", h).strip("_")
    return h


def detect_profile(headers: list[str]) -> str:
    normed = {norm_header(h) for h in headers}
    for name, marks in PROFILES.items():
        if marks <= normed:
            return name
    return "generic_csv"


def propose_manifest(*, batch_id: str, headers: list[str], created_by: str, notes: list[str] | None = None,
                     source_system: str = "csv_import") -> ImportMappingManifest:
    """Map each header by its synonym; the first column to claim a field wins, later ones are unresolved."""
    taken: set[str] = set()
    mappings: list[dict[str, object]] = []
    resolver = list(notes or [])
    for i, header in enumerate(headers):
        key = norm_header(header)
        target = SYNONYMS.get(key)
        if not header:
            mappings.append({"source_column": header, "index": i, "status": "unresolved",
                             "note": "the column has no name"})
        elif target and target not in taken:
            taken.add(target)
            mappings.append({"source_column": header, "index": i, "status": "mapped", "target_field": target})
        elif target:
            mappings.append({"source_column": header, "index": i, "status": "unresolved",
                             "note": f"{target} is already mapped from another column"})
        elif key in IGNORED:
            mappings.append({"source_column": header, "index": i, "status": "ignored",
                             "note": "bookkeeping column of the source system"})
        else:
            mappings.append({"source_column": header, "index": i, "status": "unresolved",
                             "note": "no canonical field recognised"})
    if "contact.email" not in taken:
        resolver.append("no email column: contacts cannot be deduplicated, so each one goes to review")
    if {"contact.full_name", "contact.first_name"} & taken == set():
        resolver.append("no name column")
    mapped_count = len(taken)
    confidence = round(mapped_count / max(1, len(headers)), 3)
    return validate(ImportMappingManifest, {
        "batch_id": batch_id, "source_system": source_system, "created_by": created_by,
        "confidence": confidence, "provenance": Provenance(method="rule", source_ref=f"batch:{batch_id}"),
        "source_profile": detect_profile(headers), "source_columns": headers, "column_mappings": mappings,
        "unmapped_columns": [str(m["source_column"]) for m in mappings if m["status"] != "mapped"],
        "resolver_notes": resolver})


def edit_manifest(manifest: ImportMappingManifest, edits: dict[str, str], *, edited_by: str) -> ImportMappingManifest:
    """A new manifest (new id) with columns re-mapped: ``{column name or index: field | 'ignore'}``."""
    by_name = {m.source_column: m for m in manifest.column_mappings}
    changed = {m.index: m for m in manifest.column_mappings}
    for key, value in edits.items():
        m = changed.get(int(key)) if str(key).isdigit() and int(key) in changed else by_name.get(str(key))
        if m is None:
            raise ValidationFailed(f"the file has no column {key!r}",
                                   f"columns: {', '.join(manifest.source_columns)}")
        value = value.strip()
        if value in ("", "ignore", "-"):
            changed[m.index] = ColumnMapping(source_column=m.source_column, index=m.index, status="ignored",
                                             note=f"ignored by {edited_by}")
        else:
            target = value if "." in value else f"contact.{value}"
            if target not in CANONICAL_FIELDS:
                raise ValidationFailed(f"{value!r} is not a field an import can fill",
                                       "fields: " + ", ".join(CANONICAL_FIELDS))
            for other in list(changed.values()):  # the field moves to this column
                if other.index != m.index and other.status == "mapped" and other.target_field == target:
                    changed[other.index] = ColumnMapping(source_column=other.source_column, index=other.index,
                                                         status="ignored", note=f"{target} moved to {m.source_column}")
            changed[m.index] = ColumnMapping(source_column=m.source_column, index=m.index, status="mapped",
                                             target_field=target, note=f"mapped by {edited_by}")
    mappings = [changed[i] for i in sorted(changed)]
    data = manifest.model_dump(mode="json", exclude={"artifact_id", "manifest_id", "created_at"})
    data.update(column_mappings=[m.model_dump(mode="json") for m in mappings], created_by=edited_by,
                unmapped_columns=[m.source_column for m in mappings if m.status != "mapped"],
                provenance=Provenance(method="human", source_ref=f"manifest:{manifest.manifest_id}").model_dump(),
                confidence=1.0)
    return validate(ImportMappingManifest, data)


def describe(manifest: ImportMappingManifest) -> list[str]:
    """One line per column, for the prompt and the screen."""
    out = []
    for m in manifest.column_mappings:
        what = m.target_field if m.status == "mapped" else m.status.upper()
        note = f"  ({m.note})" if m.note and m.status != "mapped" else ""
        out.append(f"{m.index + 1:>3}. {m.source_column or '(unnamed)':<28} -> {what}{note}")
    return out
