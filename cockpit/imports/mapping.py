"""Propose an ImportMappingManifest from a file's headers, and apply a user's edits to it.

Every column ends up mapped (to a canonical field), ignored (known, deliberately not imported: ids,
timestamps, owners) or unresolved (nobody knows what it is yet). Unresolved columns are not imported;
the user can map them when confirming.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from cockpit.contracts import CANONICAL_FIELDS, ColumnMapping, ImportMappingManifest, Provenance, validate
from cockpit.errors import ValidationFailed
from cockpit.imports import profiles

# Normalized header -> canonical field.
SYNONYMS: dict[str, str] = {}
for _target, _names in {
    "contact.first_name": ["first_name", "firstname", "first", "given_name", "forename", "name_first_name",
                           "prenom", "vorname", "nombre", "nome", "voornaam"],
    "contact.last_name": ["last_name", "lastname", "last", "surname", "family_name", "name_last_name", "nom",
                          "nachname", "apellido", "apellidos", "cognome", "achternaam"],
    "contact.full_name": ["name", "full_name", "fullname", "contact", "contact_name", "person", "display_name"],
    "contact.email": ["email", "e_mail", "email_address", "mail", "emails_primary_email", "primary_email",
                      "work_email", "business_email"],
    "contact.phone": ["phone", "phone_number", "telephone", "tel", "mobile", "cell", "phones_primary_phone_number",
                      "work_phone", "mobile_phone", "cell_phone", "telefon", "telefono", "portable"],
    "contact.job_title": ["job_title", "title", "position", "role", "jobtitle", "designation", "fonction",
                          "poste", "cargo", "funktion"],
    "contact.city": ["city", "town", "location_city", "ville", "stadt", "ort", "ciudad", "citta"],
    "contact.linkedin_url": ["linkedin", "linkedin_url", "linkedin_profile", "profile_url", "url",
                             "linkedin_link_primary_link_url"],
    "company.name": ["company", "company_name", "organization", "organisation", "account", "account_name",
                     "employer", "org", "societe", "entreprise", "firma", "unternehmen", "empresa", "azienda"],
    "company.domain": ["domain", "website", "company_domain", "web", "company_website", "domain_name",
                       "domain_name_primary_link_url"],
    "company.country": ["country", "company_country", "country_code", "country_region", "pays", "land", "pais",
                        "paese"],
    "company.employees": ["employees", "headcount", "company_size_employees", "employee_count", "num_employees"],
    "company.industry": ["industry", "sector", "vertical"],
    "company.city": ["company_city", "hq_city"],
    "company.linkedin_url": ["company_linkedin", "company_linkedin_url"],
}.items():
    for _n in _names:
        SYNONYMS[_n] = _target

IGNORED = {"id", "uuid", "created", "created_at", "created_on", "updated", "updated_at", "modified", "owner",
           "owner_id", "record_id", "row", "row_id", "connected_on", "deleted_at", "position_", "source", "client_id"}

# Prefixes that say which record a column belongs to ("Organization - Name" is the company's name).
_COMPANY_PREFIXES = ("organization_", "organisation_", "company_", "account_")
_CONTACT_PREFIXES = ("person_", "contact_", "lead_", "people_")
_COMPANY_SHORT = {"name": "company.name", "website": "company.domain", "domain": "company.domain",
                  "web": "company.domain", "url": "company.domain", "city": "company.city",
                  "country": "company.country", "industry": "company.industry", "employees": "company.employees",
                  "linkedin": "company.linkedin_url", "linkedin_url": "company.linkedin_url"}
_SUFFIX = re.compile(r"_(?:value|work|home|other|mobile|main|primary|business|personal|address|\d+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
SAMPLE = 50


def norm_header(header: str) -> str:
    """'E-mail 1 - Value' -> 'e_mail_1_value'; accents go ('Prénom' -> 'prenom')."""
    h = unicodedata.normalize("NFKD", header.strip().lower())
    h = "".join(c for c in h if not unicodedata.combining(c)).replace("/", " ").replace("-", " ")
    h = re.sub(r"[^a-z0-9]+", "_", h).strip("_")
    return h


def base_header(header: str) -> str:
    """The header without a bracketed suffix: 'Email (Work)', 'priority [strategic]' -> 'email', 'priority'."""
    return norm_header(re.sub(r"\s*[\(\[][^\)\]]*[\)\]]\s*$", "", header.strip()) or header)


def general_target(header: str) -> str | None:
    """The field a header names by the general rules: synonyms, then entity prefixes stripped (company
    prefixes select company fields), then source suffixes ('- Value', '- Work', ' 1') stripped."""
    key = base_header(header)
    seen = set()
    while key and key not in seen:
        seen.add(key)
        if key in SYNONYMS:
            return SYNONYMS[key]
        for p in _COMPANY_PREFIXES:
            if key.startswith(p) and key[len(p):] in _COMPANY_SHORT:
                return _COMPANY_SHORT[key[len(p):]]
        for p in _CONTACT_PREFIXES:
            if key.startswith(p) and key[len(p):] in SYNONYMS:
                return SYNONYMS[key[len(p):]]
        key = _SUFFIX.sub("", key)
    return None


def detect_profile(headers: list[str]) -> str:
    p = profiles.detect({base_header(h) for h in headers})
    return p.name if p else "generic_csv"


def profile_key(headers: list[str]) -> str:
    """What a remembered mapping is filed under: a known tool's profile, or the exact header set."""
    p = profiles.detect({base_header(h) for h in headers})
    if p:
        return p.name
    digest = hashlib.sha1("\x1f".join(sorted(base_header(h) for h in headers)).encode()).hexdigest()[:16]
    return f"generic_csv:{digest}"


def _by_values(values: list[str]) -> str | None:
    """A column recognised by what it holds: LinkedIn profile/company URLs, email addresses."""
    vals = [v.strip().lower() for v in values if v and v.strip()][:SAMPLE]
    if len(vals) < 2:
        return None
    def share(pred) -> float:  # type: ignore[no-untyped-def]
        return sum(1 for v in vals if pred(v)) / len(vals)
    if share(lambda v: "linkedin.com/in/" in v) >= 0.8:
        return "contact.linkedin_url"
    if share(lambda v: "linkedin.com/company/" in v) >= 0.8:
        return "company.linkedin_url"
    if share(lambda v: bool(_EMAIL.match(v))) >= 0.8:
        return "contact.email"
    return None


def propose_manifest(*, batch_id: str, headers: list[str], created_by: str, notes: list[str] | None = None,
                     source_system: str = "csv_import", sample: list[list[str]] | None = None
                     ) -> ImportMappingManifest:
    """Map each column: a recognised tool's profile first (in its order of preference), then the general
    rules, then what the values look like. The first column to claim a field wins; later ones are
    unresolved (general rules) or ignored (a profile's alternatives)."""
    profile = profiles.detect({base_header(h) for h in headers})
    taken: dict[str, int] = {}
    decided: dict[int, dict[str, object]] = {}
    resolver = list(notes or [])
    if profile:
        resolver.append(f"recognised as: {profile.label}")
        keyed = [(i, base_header(h)) for i, h in enumerate(headers)]
        for key, target in profile.columns.items():
            for i, k in keyed:
                if k != key or i in decided:
                    continue
                why = profile.notes.get(key)
                if target == profiles.IGNORE:
                    decided[i] = {"status": "ignored", "note": why or f"bookkeeping column of {profile.label}"}
                elif target in taken:
                    decided[i] = {"status": "ignored",
                                  "note": f"{target} comes from {headers[taken[target]]!r} when it is filled; "
                                          f"otherwise this column's {ALTERNATIVE_NOTE}"}
                else:
                    taken[target] = i
                    decided[i] = {"status": "mapped", "target_field": target, **({"note": why} if why else {})}
    for i, header in enumerate(headers):
        if i in decided:
            continue
        target = general_target(header) if header else None
        if not header:
            decided[i] = {"status": "unresolved", "note": "the column has no name"}
        elif target and target not in taken:
            taken[target] = i
            decided[i] = {"status": "mapped", "target_field": target}
        elif target:
            decided[i] = {"status": "unresolved", "note": f"{target} is already mapped from another column"}
        elif base_header(header) in IGNORED:
            decided[i] = {"status": "ignored", "note": "bookkeeping column of the source system"}
        elif profile:
            decided[i] = {"status": "ignored", "note": f"{profile.label} column the cockpit has no field for"}
    for i, header in enumerate(headers):  # what the values say, for columns still unknown
        if i in decided:
            continue
        target = _by_values([r[i] for r in (sample or []) if i < len(r)])
        if target and target not in taken:
            taken[target] = i
            decided[i] = {"status": "mapped", "target_field": target, "note": "recognised by its values"}
        else:
            decided[i] = {"status": "unresolved", "note": "no canonical field recognised"}
    mappings = [{"source_column": h, "index": i, **decided[i]} for i, h in enumerate(headers)]
    if "contact.email" not in taken:
        resolver.append("no email column: contacts cannot be deduplicated, so each one goes to review")
    if {"contact.full_name", "contact.first_name", "contact.last_name"} & set(taken) == set() and (
            "company.name" not in taken or "contact.email" in taken):
        resolver.append("no name column")
    confidence = round(len(taken) / max(1, len(headers)), 3)
    return validate(ImportMappingManifest, {
        "batch_id": batch_id, "source_system": source_system, "created_by": created_by,
        "confidence": confidence, "provenance": Provenance(method="rule", source_ref=f"batch:{batch_id}"),
        "source_profile": profile.name if profile else "generic_csv", "source_columns": headers,
        "column_mappings": mappings,
        "unmapped_columns": [str(m["source_column"]) for m in mappings if m["status"] != "mapped"],
        "resolver_notes": resolver})


ALTERNATIVE_NOTE = "values kept in the raw row"


def fallbacks(manifest: ImportMappingManifest) -> dict[str, list[int]]:
    """For each mapped field, the profile's alternative columns (Pipedrive's home email after the work
    one, Outlook's mobile after the business phone), read in order when the mapped column is empty."""
    out: dict[str, list[int]] = {}
    mapped = manifest.target_index()
    for m in manifest.column_mappings:
        if m.status != "ignored" or not (m.note or "").endswith(ALTERNATIVE_NOTE):
            continue
        target = (m.note or "").split(" comes from ", 1)[0]
        if target in mapped:
            out.setdefault(target, []).append(m.index)
    return out


def user_edits(proposed: ImportMappingManifest, confirmed: ImportMappingManifest) -> dict[str, str]:
    """The columns the user changed: {column name: field | 'ignore'} (to remember for this profile)."""
    before = {m.index: m for m in proposed.column_mappings}
    out: dict[str, str] = {}
    for m in confirmed.column_mappings:
        b = before.get(m.index)
        if b is None or (b.status, b.target_field) == (m.status, m.target_field) or not m.source_column:
            continue
        if m.status == "mapped":
            out[m.source_column] = str(m.target_field)
        elif m.status == "ignored":
            out[m.source_column] = "ignore"
    return out


def apply_remembered(manifest: ImportMappingManifest, edits: dict[str, str], *, by: str) -> ImportMappingManifest:
    """Re-apply a remembered mapping to a new file of the same shape (columns it lacks are skipped)."""
    present = {m.source_column for m in manifest.column_mappings}
    usable = {k: v for k, v in edits.items() if k in present}
    if not usable:
        return manifest
    edited = edit_manifest(manifest, usable, edited_by=by)
    data = edited.model_dump(mode="json", exclude={"artifact_id", "manifest_id", "created_at"})
    data["resolver_notes"] = [*manifest.resolver_notes,
                              f"applied the mapping remembered for {manifest.source_profile} "
                              f"({', '.join(f'{k} -> {v}' for k, v in usable.items())})"]
    data["created_by"] = manifest.created_by
    return validate(ImportMappingManifest, data)


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
