"""Files exported by the tools people move from, imported into the real database: what lands in
crm_contacts / crm_companies, field by field, and what is reported row by row."""

from __future__ import annotations

from typing import Any

from cockpit.imports.mapping import edit_manifest
from cockpit.imports.service import ImportReport, StagedImport, run_import, stage_import
from cockpit.store import Store
from tests import import_samples as S


async def _import(store: Store, data: bytes, name: str, *, sheet: str | None = None,
                  country: str | None = None) -> tuple[StagedImport, ImportReport]:
    staged = await stage_import(store, data, name, uploaded_by="justin", sheet=sheet)
    return staged, await run_import(store, staged, default_country=country)


async def _person(store: Store, email: str) -> dict[str, Any]:
    rows = await store.db.fetch_dicts(
        "SELECT c.first_name, c.last_name, c.email, c.phone, c.job_title, c.city, c.linkedin_url, "
        "co.name AS company, co.domain, co.country, co.employees, co.linkedin_url AS company_linkedin "
        "FROM crm_contacts c LEFT JOIN crm_companies co ON co.id = c.company_id WHERE lower(c.email) = %s", (email,))
    assert len(rows) == 1, f"{email}: {rows}"
    return rows[0]


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit() or ch == "+").replace("+", "")


async def test_outlook_windows_1252_crlf_lands_field_by_field_and_raw_bytes_are_kept(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    staged, report = await _import(store, S.OUTLOOK, "contacts.CSV")
    assert (report.rows, report.errors, report.auto_committed, report.queued) == (2, 0, 4, 0)
    j = await _person(store, "j.mueller@baeckerei-mueller.de")
    assert (j["first_name"], j["last_name"], j["job_title"], j["city"]) == ("Jürgen", "Müller", "Geschäftsführer",
                                                                            "München")
    assert _digits(j["phone"]).endswith("49891234567")  # 089 … read as German: the row's country says so
    assert (j["company"], j["domain"], j["country"]) == ("Bäckerei Müller GmbH", "baeckerei-mueller.de", "Germany")
    z = await _person(store, "zoe@cafecreme.ie")
    assert (z["first_name"], z["last_name"], z["job_title"]) == ("Zoë", "O’Neill", "Owner")
    assert _digits(z["phone"]).endswith("353871234567")  # the mobile, as the business phone is empty
    raw = await (await conn.execute("SELECT raw_bytes, mime_type FROM redkey.import_batches WHERE batch_id = %s",
                                    (staged.batch.batch_id,))).fetchone()
    assert bytes(raw[0]) == S.OUTLOOK and raw[1] == "text/csv"


async def test_linkedin_connections_with_notes_preamble(store: Store) -> None:
    _, report = await _import(store, S.LINKEDIN_CONNECTIONS, "Connections.csv")
    assert report.rows == 2 and report.errors == 0 and not report.problems
    assert any(n.startswith("skipped 2 line(s) before the header") for n in report.notes)
    t = await _person(store, "tomas.oconnor@stripe.com")
    assert (t["first_name"], t["last_name"], t["job_title"]) == ("Tomás", "O'Connor", "Engineering Manager, Payments")
    assert t["linkedin_url"] == "https://www.linkedin.com/in/tomasoconnor"
    assert (t["company"], t["domain"]) == ("Stripe", "stripe.com")
    # Amélie has no email (LinkedIn hides it): she waits for review instead of being committed blindly
    assert report.queued == 1
    assert not await store.db.fetch_dicts("SELECT 1 FROM crm_contacts WHERE first_name = 'Amélie'")


async def test_google_contacts_multi_value_cells(store: Store) -> None:
    _, report = await _import(store, S.GOOGLE_CONTACTS, "contacts.csv")
    assert report.errors == 0
    p = await _person(store, "priya.raman@freshworks.com")
    assert (p["first_name"], p["last_name"], p["job_title"], p["city"]) == ("Priya", "Raman", "VP Sales", "Chennai")
    assert _digits(p["phone"]).endswith("919845012345")
    assert (p["company"], p["domain"], p["country"]) == ("Freshworks", "freshworks.com", "India")
    assert p["company_linkedin"] == "https://www.linkedin.com/company/freshworks-inc"
    ola = await _person(store, "ola.nordmann@gmail.com")  # a private address: no company invented
    assert ola["company"] is None and ola["first_name"] == "Ola"


async def test_pipedrive_prefixed_headers(store: Store) -> None:
    _, report = await _import(store, S.PIPEDRIVE, "people-export.csv")
    assert report.errors == 0 and report.queued == 0  # each has an identity (was: rejected row by row)
    m = await _person(store, "marta.kowalska@allegro.pl")
    assert (m["first_name"], m["last_name"], m["job_title"]) == ("Marta", "Kowalska", "Head of Procurement")
    assert (m["company"], m["domain"]) == ("Allegro", "allegro.pl") and _digits(m["phone"]).endswith("48221234567")
    lars = await _person(store, "lars.overgaard@equinor.com")  # only a home email and a mobile
    assert (lars["last_name"], lars["company"], lars["domain"]) == ("Øvergaard", "Equinor ASA", "equinor.com")


async def test_hubspot_view_export_with_bom_names_the_company_associated_company(store: Store) -> None:
    _, report = await _import(store, S.HUBSPOT_VIEW, "hubspot-crm-exports-all-contacts-2026-12-01.csv")
    assert report.errors == 0
    k = await _person(store, "kenji.watanabe@mercari.jp")
    assert (k["first_name"], k["company"], k["domain"]) == ("Kenji", "Mercari", "mercari.jp")
    assert _digits(k["phone"]).endswith("81312345678")


async def test_salesforce_report_footer_is_not_malformed_rows(store: Store) -> None:
    _, report = await _import(store, S.SALESFORCE_REPORT, "report1733036700000.csv")
    assert (report.rows, report.errors) == (2, 0)
    assert any("Grand Totals" in n for n in report.notes)
    r = await _person(store, "rahul.mehta@infosys.com")
    assert (r["company"], r["city"], r["country"]) == ("Infosys", "Bengaluru", "India")
    assert _digits(r["phone"]).endswith("918028520261")
    h = await _person(store, "hannah.schmidt@siemens-healthineers.com")
    assert h["job_title"] == "Procurement Lead"


async def test_xlsx_sheet_imports_with_row_level_problems(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    data = S.xlsx_workbook()
    staged, report = await _import(store, data, "Q4 prospects.xlsx", sheet="Contacts")
    assert (report.rows, report.errors) == (3, 1)
    assert [str(p) for p in report.problems] == [
        "row 3 (line 6) [Employees]: bad_value: employees 'about 110k' is not a whole number"]
    n = await _person(store, "ngozi@paystack.com")
    assert (n["first_name"], n["last_name"], n["company"], n["domain"], n["employees"]) == (
        "Ngozi", "Adeyemi", "Paystack", "paystack.com", 250)
    s = await _person(store, "soren.k@orsted.com")
    assert (s["first_name"], s["company"], s["employees"], s["country"]) == ("Søren", "Ørsted", 8000, "DK")
    row = await (await conn.execute("SELECT raw_bytes, mime_type FROM redkey.import_batches WHERE batch_id = %s",
                                    (staged.batch.batch_id,))).fetchone()
    assert bytes(row[0]) == data and "spreadsheetml" in row[1]
    bad = await store.db.fetch_dicts("SELECT row_number FROM redkey.import_rows WHERE batch_id = %s "
                                     "AND status = 'error'", (staged.batch.batch_id,))
    assert [r["row_number"] for r in bad] == [3]


async def test_vcard_file(store: Store) -> None:
    _, report = await _import(store, S.APPLE_VCARD, "Contacts.vcf")
    assert (report.rows, report.errors) == (3, 1) and report.problems[0].code == "bad_value"
    mei = await _person(store, "mei.chen@nanyangbiotech.sg")
    assert (mei["first_name"], mei["last_name"], mei["job_title"]) == ("Mei", "Chen", "Director of Clinical Operations")
    assert mei["linkedin_url"] == "https://www.linkedin.com/in/mei-chen-nanyang"
    assert (mei["company"], mei["domain"]) == ("Nanyang Biotech", "nanyangbiotech.sg")
    d = await _person(store, "diego@rappi.com")
    assert (d["last_name"], d["company"]) == ("Hernández", "Rappi") and _digits(d["phone"]).endswith("573005550199")


async def test_an_edited_mapping_is_remembered_for_the_next_file_of_that_shape(store: Store) -> None:
    first = b"Full Name,Email,Ville natale\nAda Lovelace,ada@engines.example,London\n"
    staged = await stage_import(store, first, "a.csv", uploaded_by="justin")
    status = {m.source_column: (m.status, m.target_field) for m in staged.manifest.column_mappings}
    assert status["Ville natale"][0] == "unresolved"
    edited = edit_manifest(staged.manifest, {"Ville natale": "contact.city"}, edited_by="justin")
    report = await run_import(store, staged, edited)
    assert any("remembered this mapping" in n for n in report.notes)
    second = b"Full Name,Email,Ville natale\nGrace Hopper,grace@navy.example,New York\n"
    staged2 = await stage_import(store, second, "b.csv", uploaded_by="justin")
    m = {c.source_column: c.target_field for c in staged2.manifest.column_mappings}
    assert m["Ville natale"] == "contact.city"
    assert any("applied the mapping remembered" in n for n in staged2.manifest.resolver_notes)
    await run_import(store, staged2)
    assert (await _person(store, "grace@navy.example"))["city"] == "New York"
    other = store.scoped("northwind")  # remembered per client
    staged3 = await stage_import(other, second, "c.csv", uploaded_by="justin")
    assert {c.source_column: c.status for c in staged3.manifest.column_mappings}["Ville natale"] == "unresolved"


def test_import_command_reads_a_named_sheet_and_refuses_a_bad_country(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_import_cli import cockpit

    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    book = tmp_path / "Q4 prospects.xlsx"
    book.write_bytes(S.xlsx_workbook())
    preview = cockpit("import", str(book), "--sheet", "Contacts", env=env)
    assert preview.returncode == 2 and "Full Name" in preview.stderr and "contact.full_name" in preview.stderr
    proc = cockpit("import", str(book), "--sheet", "Contacts", "--yes", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "3 rows -> " in proc.stdout and "1 malformed" in proc.stdout
    assert "row 3 (line 6) [Employees]: bad_value" in proc.stdout
    assert "note: read sheet 'Contacts'" in proc.stdout
    missing = cockpit("import", str(book), "--sheet", "Leads", "--yes", env=env)
    assert missing.returncode == 1 and "no sheet 'Leads'" in missing.stderr and "Traceback" not in missing.stderr
    bad = cockpit("import", str(book), "--country", "Atlantis", "--yes", env=env)
    assert bad.returncode == 2 and "'Atlantis' is not a country" in bad.stderr
