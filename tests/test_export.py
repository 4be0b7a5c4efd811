"""Exports: every column of the stable view labelled by owner, the client's scope only, spreadsheet-safe
cells, filters, XLSX, the command line, and the round trip (export, import again: nothing to do)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cockpit.db.views import CONTRACT
from cockpit.errors import ValidationFailed
from cockpit.export.models import neutralise
from cockpit.export.service import export_to_file
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store
from tests.test_import_cli import cockpit

NASTY = ('First Name,Last Name,Email,Title,City\n'
         '"=HYPERLINK(""http://evil.example"",""click"")",+1+1,nasty@evil.example,@SUM(A1),-2+3\n')


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))
    return rows[0], rows[1:]


async def test_contacts_export_has_every_view_column_labelled_and_only_this_client(store: Store, tmp_path: Path) -> None:
    result = await export_to_file(store, "contacts", path=tmp_path / "contacts.csv")
    header, rows = _read(tmp_path / "contacts.csv")
    names = [h.rsplit(" (", 1)[0] for h in header]
    assert names[:len(CONTRACT["crm_contacts"])] == [c for c, _ in CONTRACT["crm_contacts"]]
    assert names[-2:] == ["company_name", "company_domain"]
    assert "priority (strategic)" in header and "strategy_note (strategic)" in header
    assert "first_name (operational)" in header and "id (read-only)" in header
    count = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
    assert result.rows == len(rows) == count > 0 and result.path == str((tmp_path / "contacts.csv").resolve())
    client = header.index("client_id (read-only)")
    assert {r[client] for r in rows} == {"bezeliq"}
    theirs = {r["email"] for r in await store.scoped("northwind").db.fetch_dicts("SELECT email FROM crm_contacts")}
    email = header.index("email (operational)")
    assert theirs and not theirs & {r[email] for r in rows}


async def test_formula_cells_are_neutralised_in_csv_and_xlsx(store: Store, tmp_path: Path) -> None:
    await run_import(store, await stage_import(store, NASTY.encode(), "nasty.csv", uploaded_by="justin"))
    stored = await store.db.fetch_dicts("SELECT first_name, last_name, job_title, city FROM crm_contacts "
                                     "WHERE email = 'nasty@evil.example'")
    assert stored[0]["first_name"].startswith("=HYPERLINK")  # stored as given
    await export_to_file(store, "contacts", path=tmp_path / "c.csv", filters=["email=nasty@evil.example"])
    header, rows = _read(tmp_path / "c.csv")
    row = dict(zip([h.rsplit(" (", 1)[0] for h in header], rows[0]))
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (row["last_name"], row["job_title"], row["city"]) == ("'+1+1", "'@SUM(A1)", "'-2+3")
    assert row["email"] == "nasty@evil.example"
    await export_to_file(store, "contacts", fmt="xlsx", path=tmp_path / "c.xlsx", filters=["email=nasty@evil.example"])
    ws = load_workbook(tmp_path / "c.xlsx").active
    cells = {ws.cell(1, i).value.rsplit(" (", 1)[0]: ws.cell(2, i) for i in range(1, ws.max_column + 1)}
    assert cells["first_name"].value.startswith("'=HYPERLINK") and cells["first_name"].data_type == "s"
    assert cells["job_title"].value == "'@SUM(A1)"
    assert ws.max_row == 2


@pytest.mark.parametrize("value,safe", [("=1+2", "'=1+2"), ("+33 1 23", "'+33 1 23"), ("-x", "'-x"), ("@x", "'@x"),
                                        ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ada", "Ada"), ("", ""), ("a=b", "a=b")])
def test_neutralise(value: str, safe: str) -> None:
    assert neutralise(value) == safe


async def test_filters_and_bad_filters(store: Store, tmp_path: Path) -> None:
    city = await store.db.fetch_value("SELECT city FROM crm_contacts WHERE city <> '' GROUP BY city ORDER BY count(*) DESC LIMIT 1")
    n = await store.db.fetch_value("SELECT count(*) FROM crm_contacts WHERE city = %s", (city,))
    result = await export_to_file(store, "contacts", path=tmp_path / "f.csv", filters=[f"city={city}"])
    assert result.rows == n
    big = await store.db.fetch_value("SELECT count(*) FROM crm_deals WHERE amount > 50000")
    assert (await export_to_file(store, "deals", path=tmp_path / "d.csv", filters=["amount>50000"])).rows == big
    header, rows = _read(tmp_path / "d.csv")
    assert "stage_id (strategic)" in header and "stage_label (read-only)" in header
    with pytest.raises(ValidationFailed) as err:
        await export_to_file(store, "contacts", path=tmp_path / "x.csv", filters=["shoe_size=42"])
    assert "no column 'shoe_size'" in err.value.message and not (tmp_path / "x.csv").exists()
    with pytest.raises(ValidationFailed):
        await export_to_file(store, "contacts", path=tmp_path / "x.csv", filters=["city Lyon"])


async def test_round_trip_creates_no_duplicate_and_proposes_no_change(store: Store, tmp_path: Path) -> None:
    before = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
    companies = await store.db.fetch_value("SELECT count(*) FROM crm_companies")
    await export_to_file(store, "contacts", path=tmp_path / "contacts.csv")
    data = (tmp_path / "contacts.csv").read_bytes()
    staged = await stage_import(store, data, "contacts.csv", uploaded_by="justin")
    assert staged.manifest.source_profile == "cockpit_contacts"
    report = await run_import(store, staged)
    assert report.proposals == 0 and report.errors == 0, [str(p) for p in report.problems[:5]]
    assert report.unchanged == before
    assert await store.db.fetch_value("SELECT count(*) FROM crm_contacts") == before
    assert await store.db.fetch_value("SELECT count(*) FROM crm_companies") == companies
    await export_to_file(store, "companies", path=tmp_path / "companies.csv")
    staged = await stage_import(store, (tmp_path / "companies.csv").read_bytes(), "companies.csv", uploaded_by="j")
    assert staged.manifest.source_profile == "cockpit_companies"
    report = await run_import(store, staged)
    assert report.proposals == 0 and report.errors == 0
    assert await store.db.fetch_value("SELECT count(*) FROM crm_companies") == companies
    await export_to_file(store, "contacts", fmt="xlsx", path=tmp_path / "contacts.xlsx")  # and through a workbook
    staged = await stage_import(store, (tmp_path / "contacts.xlsx").read_bytes(), "contacts.xlsx", uploaded_by="j")
    report = await run_import(store, staged)
    assert (report.proposals, report.errors, report.unchanged) == (0, 0, before)


def test_export_command(db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    out = tmp_path / "deals.xlsx"
    proc = cockpit("export", "deals", "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("exported ") and f"deals to {out}" in proc.stdout and "(xlsx," in proc.stdout
    assert load_workbook(out, read_only=True).sheetnames == ["deals"]
    proc = cockpit("export", "companies", "-o", "-", "--filter", "name~a", env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("id (read-only),client_id (read-only),name (operational)")
    assert "exported" in proc.stderr
    bad = cockpit("export", "contacts", "--filter", "nope=1", "-o", str(tmp_path / "n.csv"), env=env)
    assert bad.returncode == 1 and "error: contacts have no column 'nope'" in bad.stderr and "Traceback" not in bad.stderr
    unscoped = cockpit("export", "contacts", env={**env, "COCKPIT_CLIENT_ID": ""})
    assert unscoped.returncode != 0 and "no client" in unscoped.stderr


async def test_x_on_the_contacts_and_pipeline_screens_exports_and_says_where(settings, store) -> None:  # type: ignore[no-untyped-def]
    from cockpit.app import CockpitApp
    from screens.contacts import ContactsScreen
    from screens.pipeline import PipelineScreen
    from tests.tui_support import fixed_clock, wait_until

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline screen")
        board = app.screen
        await pilot.press("x")
        await wait_until(pilot, lambda: getattr(board, "last_export", None) is not None, timeout=20, what="deals export")
        deals = board.last_export
        assert deals.rows == await store.db.fetch_value("SELECT count(*) FROM crm_deals")
        assert Path(deals.path).parent == settings.data_dir / "exports" and Path(deals.path).exists()
        assert any(deals.path in str(n.message) for n in app._notifications)
        await pilot.press("g", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts screen")
        contacts = app.screen
        await pilot.press("x")
        await wait_until(pilot, lambda: getattr(contacts, "last_export", None) is not None, timeout=20,
                         what="contacts export")
        header = Path(contacts.last_export.path).read_text("utf-8").splitlines()[0]
        assert header.startswith("id (read-only),client_id (read-only),first_name (operational)")


def _ids(path: Path) -> set[str]:
    header, rows = _read(path)
    return {r[header.index("id (read-only)")] for r in rows}


async def _all_pages(fetch) -> set[str]:  # type: ignore[no-untyped-def]
    ids: set[str] = set()
    after = None
    while True:
        page = await fetch(after)
        ids |= {str(x.id) for x in page.items}
        if page.next_after is None:
            return ids
        after = page.next_after


async def test_export_narrowed_to_what_the_screen_search_shows(store: Store, tmp_path: Path) -> None:
    company = await store.db.fetch_value(
        "SELECT co.name FROM crm_companies co JOIN crm_contacts c ON c.company_id = co.id "
        "GROUP BY co.name ORDER BY count(*) DESC, co.name LIMIT 1")
    word = company.split()[0]
    for query in ("sarah", word.lower()):  # a person's name; a company's name finds its people too
        shown = await _all_pages(lambda after: store.crm.contacts_page(query, after=after, limit=40))
        result = await export_to_file(store, "contacts", path=tmp_path / "c.csv", search=query)
        assert shown and _ids(tmp_path / "c.csv") == shown and result.rows == len(shown)
        assert f"matching “{query}”" in result.summary() and str(tmp_path / "c.csv") in result.summary()
    total = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
    assert (await export_to_file(store, "contacts", path=tmp_path / "all.csv", search="  ")).rows == total
    assert (await export_to_file(store, "contacts", path=tmp_path / "none.csv", search="!!!")).rows == 0
    # companies: the same search as a companies screen (crm_search_companies), with filters on top
    shown = await _all_pages(lambda after: store.crm.companies_page(word, after=after, limit=10))
    result = await export_to_file(store, "companies", path=tmp_path / "co.csv", search=word)
    assert shown and _ids(tmp_path / "co.csv") == shown
    narrowed = await export_to_file(store, "companies", path=tmp_path / "co2.csv", search=word,
                                    filters=[f"name={company}"])
    assert narrowed.rows == 1
    # deals: the pipeline's filter (deal or company name contains the text)
    totals = await store.crm.stage_totals(word)
    result = await export_to_file(store, "deals", path=tmp_path / "d.csv", search=word)
    assert result.rows == sum(t.count for t in totals.values()) > 0
    # another client's export of the same search holds none of these records
    theirs = await export_to_file(store.scoped("northwind"), "contacts", path=tmp_path / "n.csv", search=word)
    assert not (_ids(tmp_path / "n.csv") & _ids(tmp_path / "c.csv")) and theirs.rows >= 0


async def test_x_exports_what_the_contacts_search_and_pipeline_filter_show(settings, store) -> None:  # type: ignore[no-untyped-def]
    from cockpit.app import CockpitApp
    from screens.contacts import ContactsScreen
    from screens.pipeline import PipelineScreen
    from tests.tui_support import fixed_clock, wait_until

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline screen")
        board = app.screen
        await pilot.press("slash", *"acme", "enter")
        await wait_until(pilot, lambda: board.filter_text == "acme", what="pipeline filter")
        await pilot.press("x")
        await wait_until(pilot, lambda: getattr(board, "last_export", None) is not None, timeout=20, what="deals export")
        expected = sum(t.count for t in (await store.crm.stage_totals("acme")).values())
        assert board.last_export.rows == expected < await store.db.fetch_value("SELECT count(*) FROM crm_deals")
        note = [str(n.message) for n in app._notifications if board.last_export.path in str(n.message)]
        assert note and f"exported {expected:,} deals matching “acme”" in note[0]
        await pilot.press("g", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactsScreen), what="contacts screen")
        contacts = app.screen
        await pilot.press("slash", *"sarah", "enter")
        await wait_until(pilot, lambda: contacts.query_text == "sarah", what="contacts search")
        await pilot.press("x")
        await wait_until(pilot, lambda: getattr(contacts, "last_export", None) is not None, timeout=20,
                         what="contacts export")
        shown = await _all_pages(lambda after: store.crm.contacts_page("sarah", after=after, limit=50))
        assert _ids(Path(contacts.last_export.path)) == shown and contacts.last_export.rows == len(shown)
        assert any(f"exported {len(shown):,} contacts matching “sarah”" in str(n.message)
                   for n in app._notifications)
