"""Turn parsed rows into canonical contact and company payloads under a confirmed manifest.

Pure functions (no I/O) so the 100k-row path stays fast and testable: each row yields a contact
payload, a company payload, or errors saying exactly what is wrong with it.

General rules, whatever the source: a cell the cockpit's own export neutralised (``'=...``) is read back
as it was; a multi-value cell (Google's `` ::: ``, ``a@x; b@y``) gives its first value; a full name is
split into first and last (salutations and degrees dropped); a website or, failing that, a work email
gives the company's domain; a LinkedIn URL in a website column is the company's LinkedIn page, not a
domain; phone numbers become E.164 (phonenumbers) when the number or the row says its country.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers
import pytz

from cockpit.contracts import ImportMappingManifest, is_email
from cockpit.imports.mapping import fallbacks
from cockpit.imports.reader import ParsedFile, ParsedRow

FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "web.de", "mail.com", "yandex.com", "zoho.com", "fastmail.com", "hey.com"})
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
MULTI = " ::: "
_LIST_SPLIT = re.compile(r"\s*[;,]\s*")
SALUTATIONS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mme", "mlle", "m", "herr",
                         "frau"})
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq", "cpa"})
_LINKEDIN = re.compile(r"^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/(in|company|pub)/([^/?#\s]+)", re.I)
COUNTRY_CODES = {name.lower(): code for code, name in pytz.country_names.items()}
COUNTRY_CODES.update({"usa": "US", "us": "US", "united states of america": "US", "uk": "GB", "england": "GB",
                      "great britain": "GB", "deutschland": "DE", "españa": "ES", "italia": "IT",
                      "schweiz": "CH", "suisse": "CH", "nederland": "NL", "belgique": "BE", "österreich": "AT"})


def unneutralise(value: str) -> str:
    """A cell written as ``'=x`` by a spreadsheet-safe export is read as ``=x``."""
    return value[1:] if value.startswith(NEUTRALISED) else value


def first_value(value: str, *, list_sep: bool = False) -> str:
    if MULTI in value:
        value = value.split(MULTI, 1)[0]
    if list_sep and (";" in value or "," in value):
        value = _LIST_SPLIT.split(value.strip(), 1)[0]
    return value.strip()


@lru_cache(maxsize=65536)
def norm_domain(value: str) -> str | None:
    """'https://www.Acme.com/about' -> 'acme.com' (as crm_companies.domain shows it); None if not a domain."""
    v = value.strip().lower()
    v = re.sub(r"^[a-z]+://", "", v)
    v = v.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    v = v.removeprefix("www.")
    return v if _DOMAIN.match(v) else None


@lru_cache(maxsize=65536)
def linkedin_url(value: str) -> str | None:
    """'linkedin.com/in/sarah-chen/' -> 'https://www.linkedin.com/in/sarah-chen'; None if not LinkedIn."""
    m = _LINKEDIN.match(value.strip())
    if not m:
        return None
    return f"https://www.linkedin.com/{m.group(1).lower()}/{m.group(2)}"


def region_of(country: str | None) -> str | None:
    if not country:
        return None
    c = country.strip()
    if len(c) == 2 and c.isalpha():
        return c.upper()
    return COUNTRY_CODES.get(c.lower())


# Separators phonenumbers skips anyway; removing them first makes parsing a third cheaper.
_PHONE_SEPARATORS = str.maketrans("", "", " -./\u00a0\u2010\u2011\u2012\u2013")


_MIN_DIGITS = 5  # the shortest possible numbers in phonenumbers' metadata have 5 digits with their country code


@lru_cache(maxsize=65536)
def to_e164(raw: str, region: str | None = None) -> str:
    """E.164 when the number says its country (+44 ...) or ``region`` does; otherwise as given."""
    v = raw.strip()
    if not v or (region is None and not v.startswith(("+", "00"))):
        return v
    digits = sum(map(v.count, "0123456789")) if v.isascii() else sum(ch.isdigit() for ch in v)
    if digits < _MIN_DIGITS:
        return v  # too few digits to be a phone number anywhere: not worth a parse
    try:
        n = phonenumbers.parse(v.translate(_PHONE_SEPARATORS), region)
    except phonenumbers.NumberParseException:
        return v
    if not phonenumbers.is_possible_number(n):
        return v
    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={n.extension}" if n.extension else e164


def split_name(full: str) -> tuple[str, str]:
    """'Chen, Sarah' -> (Sarah, Chen); 'Dr. Sarah Chen, PhD' -> (Sarah, Chen);
    'Sarah van der Berg' -> (Sarah, van der Berg). Salutations and degrees are dropped."""
    full = " ".join(full.split())
    if "," in full:
        last, _, first = full.partition(",")
        if last.strip().split(" ")[-1].strip(".").lower() in NAME_SUFFIXES or (
                first.strip().strip(".").lower() in NAME_SUFFIXES):
            full = last  # 'Sarah Chen, PhD'
        else:
            return split_name(first)[0] or first.strip(), last.strip()
    words = full.split(" ")
    while len(words) > 1 and words[0].strip(".").lower() in SALUTATIONS:
        words = words[1:]
    while len(words) > 1 and words[-1].strip(".,").lower() in NAME_SUFFIXES:
        words = words[:-1]
    return words[0], " ".join(words[1:])


def same_value(field_name: str, current: str | None, new: str, region: str | None = None) -> bool:
    """Whether an imported value says what the CRM already holds (phones and LinkedIn URLs compared in
    their normalized forms, so a re-import of an export proposes no change)."""
    cur = (current or "").strip()
    if cur == new:
        return True
    if field_name == "phone":
        return to_e164(cur, region) == to_e164(new, region)
    if field_name == "linkedin_url":
        return (linkedin_url(cur) or cur) == (linkedin_url(new) or new)
    return False


_FIELDS = ("contact.first_name", "contact.last_name", "contact.full_name", "contact.email", "company.country",
           "contact.phone", "contact.job_title", "contact.city", "contact.linkedin_url", "company.name",
           "company.domain", "company.linkedin_url", "company.city", "company.industry", "company.employees")


@dataclass(slots=True)
class NormalizedRow:
    number: int
    values: list[str]
    contact: dict[str, Any] | None = None
    company: dict[str, Any] | None = None
    errors: list[tuple[str, str, str | None]] = field(default_factory=list)  # (code, message, column)
    region: str | None = None  # the phone region the row's country gave


def normalize_rows(parsed: ParsedFile, manifest: ImportMappingManifest, *, default_country: str | None = None,
                   rows: Sequence[ParsedRow] | None = None) -> list[NormalizedRow]:
    """The file's rows (or ``rows``, some of them) as contact and company payloads or errors."""
    idx = manifest.target_index()
    alt = fallbacks(manifest)
    cols = {i: c for i, c in enumerate(parsed.header)}
    default_region = region_of(default_country)
    # the fields read, by position: (where in _FIELDS, mapped column, alternative columns) of the mapped ones
    reads = [(k, idx[t], tuple(alt.get(t, ()))) for k, t in enumerate(_FIELDS) if t in idx]
    out: list[NormalizedRow] = []
    for row in parsed.rows if rows is None else rows:
        n = NormalizedRow(row.number, row.values, errors=[(c, m, None) for c, m in row.errors])
        out.append(n)
        if n.errors:
            continue
        vals = row.values
        width = len(vals)
        got = [""] * len(_FIELDS)
        for k, i, alts in reads:
            v = vals[i] if i < width else ""
            if alts and not v.strip():  # the profile's alternative columns, when the mapped one is empty
                v = next((vals[j] for j in alts if j < width and vals[j].strip()), "")
            if v and v[0] == "'":
                v = unneutralise(v)
            got[k] = v.strip()
        (first, last, full, email, country, phone, job_title, city, li, name, domain, company_li, company_city,
         industry, raw_emp) = got

        contact: dict[str, Any] = {}
        if full and not (first or last):
            first, last = split_name(first_value(full))
        if first:
            contact["first_name"] = first
        if last:
            contact["last_name"] = last
        if email:
            email = first_value(email, list_sep=True).lower().removeprefix("mailto:")
            if not is_email(email):
                n.errors.append(("bad_email", f"{email!r} is not an email address", cols.get(idx["contact.email"])))
            else:
                contact["email"] = email
        region = region_of(country) or default_region
        if phone:
            contact["phone"] = to_e164(first_value(phone), region)
        if job_title:
            contact["job_title"] = first_value(job_title)
        if city:
            contact["city"] = first_value(city)
        if li:
            li = first_value(li)
            contact["linkedin_url"] = linkedin_url(li) or li

        company: dict[str, Any] = {}
        if name:
            company["name"] = first_value(name)
        raw_domain = first_value(domain)
        if raw_domain and linkedin_url(raw_domain):
            company_li = company_li or raw_domain  # a LinkedIn page in the website column
            raw_domain = ""
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
        if company_city and company:
            company["city"] = company_city
        if industry and company:
            company["industry"] = industry
        if country and company:
            company["country"] = country
        if company_li and company:
            company["linkedin_url"] = linkedin_url(company_li) or company_li
        emp = raw_emp.replace(",", "").replace("_", "").replace(" ", "").replace("\u00a0", "")
        if emp:
            if emp.isdigit() and int(emp) < 10_000_000:
                company["employees"] = int(emp)
            else:
                n.errors.append(("bad_value", f"employees {raw_emp!r} is not a whole number",
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
        n.region = region
    return out
