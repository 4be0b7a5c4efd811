"""Turn parsed rows into canonical contact and company payloads under a confirmed manifest.

Pure functions (no I/O) so the 100k-row path stays fast and testable: each row yields a contact
payload, a company payload, or errors saying exactly what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cockpit.contracts import ImportMappingManifest, is_email
from cockpit.imports.reader import ParsedFile

FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "web.de", "mail.com", "yandex.com", "zoho.com", "fastmail.com", "hey.com"})
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def norm_domain(value: str) -> str | None:
    """'https://www.Acme.com/about' -> 'acme.com' (as crm_companies.domain shows it); None if not a domain."""
    v = value.strip().lower()
    v = re.sub(r"^[a-z]+://", "", v)
    v = v.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    v = v.removeprefix("www.")
    return v if _DOMAIN.match(v) else None


def split_name(full: str) -> tuple[str, str]:
    """'Chen, Sarah' -> (Sarah, Chen); 'Sarah van der Berg' -> (Sarah, van der Berg)."""
    full = " ".join(full.split())
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.partition(" ")
    return first, last


@dataclass
class NormalizedRow:
    number: int
    values: list[str]
    contact: dict[str, Any] | None = None
    company: dict[str, Any] | None = None
    errors: list[tuple[str, str, str | None]] = field(default_factory=list)  # (code, message, column)


def normalize_rows(parsed: ParsedFile, manifest: ImportMappingManifest) -> list[NormalizedRow]:
    idx = manifest.target_index()
    cols = {i: c for i, c in enumerate(parsed.header)}
    out: list[NormalizedRow] = []
    for row in parsed.rows:
        n = NormalizedRow(row.number, row.values, errors=[(c, m, None) for c, m in row.errors])
        out.append(n)
        if n.errors:
            continue
        vals = row.values

        def get(target: str) -> str:
            i = idx.get(target)
            return vals[i].strip() if i is not None and i < len(vals) else ""

        contact: dict[str, Any] = {}
        first, last, full = get("contact.first_name"), get("contact.last_name"), get("contact.full_name")
        if full and not (first or last):
            first, last = split_name(full)
        if first:
            contact["first_name"] = first
        if last:
            contact["last_name"] = last
        email = get("contact.email")
        if email:
            email = email.lower().removeprefix("mailto:")
            if not is_email(email):
                n.errors.append(("bad_email", f"{email!r} is not an email address", cols.get(idx["contact.email"])))
            else:
                contact["email"] = email
        for f in ("phone", "job_title", "city", "linkedin_url"):
            v = get(f"contact.{f}")
            if v:
                contact[f] = v

        company: dict[str, Any] = {}
        name = get("company.name")
        if name:
            company["name"] = name
        raw_domain = get("company.domain")
        if raw_domain:
            d = norm_domain(raw_domain)
            if d is None:
                n.errors.append(("bad_value", f"{raw_domain!r} is not a domain", cols.get(idx["company.domain"])))
            else:
                company["domain"] = d
        elif name and contact.get("email"):
            d = contact["email"].rsplit("@", 1)[1]
            if d not in FREE_MAIL:
                company["domain"] = d
        for f in ("city", "country", "industry", "linkedin_url"):
            v = get(f"company.{f}")
            if v and company:
                company[f] = v
        emp = get("company.employees").replace(",", "").replace("_", "")
        if emp:
            if emp.isdigit() and int(emp) < 10_000_000:
                company["employees"] = int(emp)
            else:
                n.errors.append(("bad_value", f"employees {emp!r} is not a whole number",
                                 cols.get(idx["company.employees"])))
        if n.errors:
            continue
        if not any(contact.get(k) for k in ("email", "first_name", "last_name")):
            if company.get("name") or company.get("domain"):
                n.company = company  # a company-only row
            else:
                n.errors.append(("no_identity", "no email, name or company in this row", None))
            continue
        n.contact = contact
        n.company = company or None
    return out
