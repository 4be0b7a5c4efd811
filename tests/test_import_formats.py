"""Reading what tools really export (no database): encodings, delimiters, preambles and footers, XLSX,
vCard, profile recognition and the general column rules."""

from __future__ import annotations

import pytest

from cockpit.errors import ValidationFailed
from cockpit.imports.formats import parse_file
from cockpit.imports.mapping import general_target, propose_manifest
from cockpit.imports.normalize import linkedin_url, normalize_rows, split_name, to_e164
from tests import import_samples as S


def _mapped(data: bytes, **kw: str) -> tuple[object, dict[str, str | None], dict[str, str]]:
    parsed = parse_file(data, "x", **kw)
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t", notes=parsed.notes,
                         sample=[r.values for r in parsed.rows[:50]])
    return parsed, {c.source_column: c.target_field for c in m.column_mappings}, {
        c.source_column: c.status for c in m.column_mappings} | {"@profile": m.source_profile}


def test_linkedin_preamble_is_skipped_with_a_note_not_taken_as_the_header() -> None:
    parsed, fields, status = _mapped(S.LINKEDIN_CONNECTIONS)
    assert parsed.header[:3] == ["First Name", "Last Name", "URL"] and len(parsed.rows) == 2
    assert all(not r.errors for r in parsed.rows)  # no "ragged" rows from the preamble
    assert any(n.startswith("skipped 2 line(s) before the header: Notes:") for n in parsed.notes)
    assert parsed.rows[0].line == 5  # physical line numbers survive the skip
    assert status["@profile"] == "linkedin_connections"
    assert fields["URL"] == "contact.linkedin_url" and fields["Position"] == "contact.job_title"
    assert status["Connected On"] == "ignored"


def test_salesforce_report_footer_is_skipped_with_a_note() -> None:
    parsed, fields, status = _mapped(S.SALESFORCE_REPORT)
    assert [r.values[0] for r in parsed.rows] == ["Hannah", "Rahul"] and not any(r.errors for r in parsed.rows)
    footer = next(n for n in parsed.notes if n.startswith("skipped 5 line(s) after the data"))
    assert "Grand Totals (2 records)" in footer and "Confidential Information" in footer
    assert status["@profile"] == "salesforce_report" and fields["Title"] == "contact.job_title"
    assert fields["Account Name"] == "company.name"


def test_outlook_title_is_the_salutation_and_windows_1252_is_detected() -> None:
    parsed, fields, status = _mapped(S.OUTLOOK)
    assert parsed.encoding == "cp1252"
    assert parsed.rows[1].values[3] == "O’Neill"  # 0x92: a byte only Windows-1252 reads as ’
    assert status["@profile"] == "outlook"
    assert status["Title"] == "ignored" and fields["Job Title"] == "contact.job_title"
    assert fields["E-mail Address"] == "contact.email"


def test_european_semicolon_cp1252_headers_with_accents() -> None:
    parsed, fields, _ = _mapped(S.EUROPEAN_EXCEL)
    assert parsed.delimiter == ";" and parsed.encoding == "cp1252"
    assert fields == {"Nom": "contact.last_name", "Prénom": "contact.first_name", "Société": "company.name",
                      "E-mail": "contact.email", "Ville": "contact.city"}
    assert parsed.rows[1].values[:3] == ["Muñoz", "José", "Telefónica"]


def test_excel_unicode_text_is_utf16_tab_separated() -> None:
    parsed, fields, _ = _mapped(S.EXCEL_UNICODE_TEXT)
    assert (parsed.encoding, parsed.delimiter) == ("utf-16", "\t")
    assert parsed.rows[0].values == ["Łukasz", "Wąsowski", "lukasz@wasowski.pl", "Wąsowski Sp. z o.o."]
    assert fields["Company"] == "company.name"


@pytest.mark.parametrize("sample,profile", [
    (S.GOOGLE_CONTACTS, "google_contacts"), (S.PIPEDRIVE, "pipedrive"), (S.HUBSPOT_VIEW, "hubspot"),
    (S.SALESFORCE_API, "salesforce_data_export"), (S.APPLE_VCARD, "vcard")])
def test_each_tool_is_recognised_from_its_headers(sample: bytes, profile: str) -> None:
    assert _mapped(sample)[2]["@profile"] == profile


def test_profile_specific_meanings() -> None:
    _, g, _ = _mapped(S.GOOGLE_CONTACTS)
    assert g["E-mail 1 - Value"] == "contact.email" and g["Organization Title"] == "contact.job_title"
    _, p, ps = _mapped(S.PIPEDRIVE)
    assert p["Person - Email - Work"] == "contact.email" and ps["Person - Email - Home"] == "ignored"
    assert p["Organization - Website"] == "company.domain" and ps["Person - Owner"] == "ignored"
    _, h, _ = _mapped(S.HUBSPOT_VIEW)
    assert h["Associated Company"] == "company.name" and h["Phone Number"] == "contact.phone"
    _, a, ast = _mapped(S.SALESFORCE_API)
    assert ast["Salutation"] == "ignored" and a["Title"] == "contact.job_title" and a["MobilePhone"] is None


@pytest.mark.parametrize("header,field", [
    ("Person - Email", "contact.email"), ("Email (Work)", "contact.email"), ("E-mail 2 - Value", "contact.email"),
    ("Organization - Name", "company.name"), ("Company - Website", "company.domain"),
    ("Contact - Job Title", "contact.job_title"), ("Phone - Mobile", "contact.phone"),
    ("priority (strategic)", None), ("Mystery", None)])
def test_general_rules_strip_prefixes_and_suffixes(header: str, field: str | None) -> None:
    assert general_target(header) == field


def test_unknown_column_recognised_by_linkedin_values() -> None:
    data = (b"Who,Profile,Mail\nAda Lovelace,linkedin.com/in/ada-lovelace/,ada@engines.example\n"
            b"Grace Hopper,https://uk.linkedin.com/in/gracehopper?trk=x,grace@navy.example\n")
    parsed, fields, _ = _mapped(data)
    assert fields["Profile"] == "contact.linkedin_url"
    manifest = propose_manifest(batch_id="b", headers=parsed.header, created_by="t",
                                sample=[r.values for r in parsed.rows])
    rows = normalize_rows(parsed, manifest)
    assert rows[1].contact and rows[1].contact["linkedin_url"] == "https://www.linkedin.com/in/gracehopper"


def test_multi_value_cells_give_their_first_value_and_fallback_columns_fill_gaps() -> None:
    parsed = parse_file(S.GOOGLE_CONTACTS)
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t")
    priya = normalize_rows(parsed, m)[0]
    assert priya.contact and priya.contact["email"] == "priya.raman@freshworks.com"
    assert priya.contact["phone"] == "+919845012345"
    # the website is a LinkedIn company page: not a domain; the domain comes from the work email
    assert priya.company == {"name": "Freshworks", "domain": "freshworks.com", "country": "India",
                             "linkedin_url": "https://www.linkedin.com/company/freshworks-inc"}
    parsed = parse_file(S.PIPEDRIVE)
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t")
    lars = normalize_rows(parsed, m)[1]  # no work email or phone: the home email and the mobile are used
    assert lars.contact and lars.contact["email"] == "lars.overgaard@equinor.com"
    assert lars.contact["phone"] == "+4791234567"


@pytest.mark.parametrize("full,expected", [
    ("Dr. Mei Chen", ("Mei", "Chen")), ("Chen, Sarah", ("Sarah", "Chen")), ("Sarah van der Berg", ("Sarah", "van der Berg")),
    ("Ms. Zoë O’Neill, PhD", ("Zoë", "O’Neill")), ("Prince", ("Prince", ""))])
def test_name_split(full: str, expected: tuple[str, str]) -> None:
    assert split_name(full) == expected


def test_phones_become_e164_only_where_a_country_is_known() -> None:
    assert to_e164("+44 (0)20 7946 0958") == "+442079460958"
    assert to_e164("089 1234567", "DE") == "+49891234567"
    assert to_e164("(415) 555-0134 ext. 12", "US") == "+14155550134;ext=12"
    assert to_e164("415 555 0134") == "415 555 0134"  # no country known: as given
    assert to_e164("call me", "FR") == "call me"
    assert linkedin_url("http://linkedin.com/in/Ada-L/") == "https://www.linkedin.com/in/Ada-L"


def test_xlsx_named_sheet_preamble_typed_cells_and_row_level_problems() -> None:
    data = S.xlsx_workbook()
    first = parse_file(data, "book.xlsx")
    assert first.format == "xlsx" and first.header == ["Exported for the board meeting"]
    parsed = parse_file(data, "book.xlsx", sheet="Contacts")
    assert parsed.header[:3] == ["Full Name", "Email", "Company"]
    assert any("skipped 1 line(s) before the header: Q4 prospects" in n for n in parsed.notes)
    assert parsed.rows[0].values[4] == "250" and parsed.rows[1].values[4] == "8000"  # numbers as shown
    assert parsed.rows[0].line == 4
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t")
    rows = normalize_rows(parsed, m)
    assert rows[0].contact and rows[0].contact["phone"] == "+2348025550147"  # Nigeria from the row's country
    assert rows[2].errors == [("bad_value", "employees 'about 110k' is not a whole number", "Employees")]
    with pytest.raises(ValidationFailed) as err:
        parse_file(data, "book.xlsx", sheet="Leads")
    assert "no sheet 'Leads'" in err.value.message and "Contacts" in (err.value.hint or "")



def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_not_read_as_text() -> None:
    """A damaged download or a renamed file: read as CSV it became one column named with its bytes."""
    for data in (b"garbage\x00\x01\x02", b"Name,Email\nAda,ada@example.com\n"):
        with pytest.raises(ValidationFailed) as err:
            parse_file(data, "Contacts.XLSX")
        assert "Contacts.XLSX is not an XLSX workbook" in err.value.message and "CSV UTF-8" in (err.value.hint or "")
    assert parse_file(b"Name,Email\nAda,ada@example.com\n", "contacts.csv").header == ["Name", "Email"]


def test_vcard_3_and_4_folded_lines_several_emails_and_a_malformed_card() -> None:
    parsed = parse_file(S.APPLE_VCARD, "contacts.vcf")
    assert parsed.format == "vcard" and len(parsed.rows) == 3
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t")
    mei, diego, broken = normalize_rows(parsed, m)
    assert mei.contact == {"first_name": "Mei", "last_name": "Chen", "email": "mei.chen@nanyangbiotech.sg",
                           "phone": "+6591234567", "job_title": "Director of Clinical Operations",
                           "city": "Singapore", "linkedin_url": "https://www.linkedin.com/in/mei-chen-nanyang"}
    assert mei.company == {"name": "Nanyang Biotech", "domain": "nanyangbiotech.sg", "country": "Singapore"}
    assert diego.contact and diego.contact["phone"] == "+573005550199" and diego.contact["last_name"] == "Hernández"
    assert broken.contact is None and broken.errors[0][0] == "bad_value"
    assert parsed.rows[2].line == 24  # where the bad card starts


def test_old_excel_and_garbage_workbooks_get_one_clear_line() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls")
    assert ".xls" in err.value.message and "xlsx" in (err.value.hint or "")
    with pytest.raises(ValidationFailed) as err:
        parse_file(b"PK\x03\x04not really a zip", "fake.xlsx")
    assert "not a readable XLSX" in err.value.message


@pytest.mark.parametrize("header,profile,expect", [
    ("Id,Name / First Name,Name / Last Name,Emails / Primary Email,Emails / Additional Emails,"
     "Linkedin / Primary Link Url,Job Title,Phones / Primary Phone Number,City,Company / Name,Created At",
     "twenty_export", {"Emails / Primary Email": "contact.email", "Linkedin / Primary Link Url": "contact.linkedin_url",
                       "Company / Name": "company.name", "Emails / Additional Emails": None}),
    ("First Name,Last Name,Title,Company,Email,Email Status,Mobile Phone,Corporate Phone,# Employees,Industry,"
     "Person Linkedin Url,Website,Company Linkedin Url,City,Country,Apollo Contact Id",
     "apollo", {"Title": "contact.job_title", "Person Linkedin Url": "contact.linkedin_url",
                "Company Linkedin Url": "company.linkedin_url", "Apollo Contact Id": None}),
    ("Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,"
     "LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS",
     "mailchimp", {"Email Address": "contact.email", "Phone Number": "contact.phone", "LEID": None}),
])
def test_more_tools_recognised(header: str, profile: str, expect: dict[str, str | None]) -> None:
    _, fields, status = _mapped((header + "\n").encode())
    assert status["@profile"] == profile
    for col, field in expect.items():
        assert fields[col] == field, col
    assert all(s != "unresolved" for c, s in status.items() if c != "@profile")  # nothing left to ask about


def test_excel_workbook_typed_cells_empty_cells_and_a_second_sheet_by_name() -> None:
    data = S.excel_typed_workbook()
    first = parse_file(data, "leads.xlsx")
    assert first.header == ["Pipeline total", "1250000"] and first.rows == []
    assert first.notes[0] == "read sheet 'Summary' (of 2: Summary, Leads)"
    parsed = parse_file(data, "leads.xlsx", sheet="Leads")
    assert parsed.format == "xlsx" and parsed.notes[0] == "read sheet 'Leads' (of 2: Summary, Leads)"
    assert parsed.header == ["Nom complet", "E-mail", "Société", "Employees", "Dernier contact", "Rappel", "Taux",
                             "Actif", "Score", "Durée"]
    amelie, jose, lena = parsed.rows
    assert amelie.values == ["Amélie Durand", "amelie.durand@doctolib.fr", "Doctolib", "2800", "2024-03-01",
                             "2024-03-05 14:30:00", "0.25", "TRUE", "28", "36:00:00"]
    assert amelie.line == 3 and not amelie.errors  # sheet rows, counted from the sheet's first row
    assert jose.values == ["José Núñez", "jose@cabify.com", "", "1234.5", "", "", "", "", "", ""]
    assert lena.values[:3] == ["Lena Fischer", "", "N26"] and lena.line == 5
    assert lena.errors == [("ragged", "11 cells filled, the header has 10")]
    m = propose_manifest(batch_id="b", headers=parsed.header, created_by="t")
    rows = normalize_rows(parsed, m)
    assert rows[0].contact and rows[0].contact["email"] == "amelie.durand@doctolib.fr"
    assert rows[0].company and rows[0].company["employees"] == 2800 and rows[0].company["name"] == "Doctolib"
    assert rows[1].errors and rows[1].errors[0][0] == "bad_value"  # 1234.5 employees is not a whole number


def test_a_damaged_workbook_gets_one_clear_line() -> None:
    good = S.excel_typed_workbook()
    with pytest.raises(ValidationFailed) as err:
        parse_file(good[: len(good) // 2], "cut.xlsx")  # a download cut short
    assert "not a readable XLSX" in err.value.message and "save it again" in (err.value.hint or "")
