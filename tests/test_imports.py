"""CSV imports end to end against real Postgres: raw batch kept byte for byte, manifest, row errors,
dedup candidates, the low-risk auto rule, and nasty files."""

from __future__ import annotations

import hashlib

import pytest

from cockpit.errors import ValidationFailed
from cockpit.imports.mapping import edit_manifest
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store

SARAH = "sarah.chen@meridianhealth.com"


async def _import(store: Store, data: bytes, name: str = "people.csv", manifest_edits=None):  # type: ignore[no-untyped-def]
    staged = await stage_import(store, data, name, uploaded_by="justin")
    manifest = edit_manifest(staged.manifest, manifest_edits, edited_by="justin") if manifest_edits else None
    return staged, await run_import(store, staged, manifest)


async def _scalar(conn, q, *args):  # type: ignore[no-untyped-def]
    return (await (await conn.execute(q, args)).fetchone())[0]


@pytest.mark.pooled
async def test_clean_import_commits_new_records_and_keeps_raw_bytes(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    data = (b"First Name,Last Name,Email,Company,Website,Notes\n"
            b"Ada,Lovelace,ada@engines.example,Analytical Engines,https://www.engines.example/about,x\n"
            b"Charles,Babbage,charles@engines.example,Analytical Engines,engines.example,y\n")
    staged, report = await _import(store, data)
    assert report.rows == 2 and report.errors == 0
    assert report.auto_committed == 3 and report.queued == 0  # 1 company + 2 contacts
    assert staged.manifest.unmapped_columns == ["Notes"]
    assert await store.imports.raw_batch_bytes(staged.batch.batch_id) == data
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    rows = await (await conn.execute(
        "SELECT p.email, c.name, c.domain FROM crm_contacts p JOIN crm_companies c ON c.id = p.company_id "
        "WHERE p.email LIKE '%%@engines.example' ORDER BY 1")).fetchall()
    assert rows == [("ada@engines.example", "Analytical Engines", "engines.example"),
                    ("charles@engines.example", "Analytical Engines", "engines.example")]
    assert await _scalar(conn, "SELECT count(*) FROM redkey.proposals WHERE batch_id = %s AND status = 'committed' "
                               "AND auto_rule IS NOT NULL", staged.batch.batch_id) == 3


async def test_nasty_file_rows_reported_one_by_one(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    data = ("\ufeffName,Email,Company\n".encode() +
            "José Müller,jose@mueller.example,Müller GmbH\n".encode() +
            b"Bad Bytes \xff\xfe,bad@bytes.example,X\n" +
            b"Too,many,fields,here\n" +
            b"Short Row\n" +
            b"No Email Guy,not-an-email,Y\n" +
            b"\n" +
            b"Dup One,dup@twice.example,\n" +
            b"Dup Two,DUP@twice.example,\n" +
            f"Sarah Chen,{SARAH},Meridian Health\n".encode() +
            b"Sarah Chen Again,sarah.chen@meridianhealth.com,\n")
    staged, report = await _import(store, data)
    by_row = {(p.row_number, p.code) for p in report.problems}
    assert (2, "encoding") in by_row
    assert (3, "ragged") in by_row and (4, "ragged") in by_row
    assert (5, "bad_email") in by_row
    assert report.errors == 4 and report.rows == 9
    assert report.unchanged == 1  # row 8: Sarah exactly as the CRM has her (same company by domain)
    assert staged.batch.encoding == "utf-8"
    assert "skipped a UTF-8 byte order mark" in staged.parsed.notes
    # José was read correctly (the BOM did not end up in the first header)
    assert staged.manifest.column_mappings[0].target_field == "contact.full_name"
    pending = await store.db.fetch_dicts(
        "SELECT row_number, action, review_required, merge_candidate_refs FROM redkey.proposals "
        "WHERE batch_id = %s AND status = 'pending' ORDER BY row_number", (staged.batch.batch_id,))
    actions = {r["row_number"]: r["action"] for r in pending}
    assert actions[7] == "update"   # duplicate email within the file (case-insensitive) -> review
    assert actions[9] == "update"   # Sarah again, with a different name: review, not a second Sarah
    assert 8 not in actions
    assert all(r["review_required"] and r["merge_candidate_refs"] for r in pending)
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    assert await _scalar(conn, "SELECT count(*) FROM crm_contacts WHERE lower(email) = %s", SARAH) == 1
    assert await _scalar(conn, "SELECT count(*) FROM crm_contacts WHERE email = 'dup@twice.example'") == 1
    assert await _scalar(conn, "SELECT first_name FROM crm_contacts WHERE email = 'jose@mueller.example'") == "José"


async def test_latin1_file_is_read_as_legacy_export(store: Store) -> None:
    data = "Name,Email\nRené Lévesque,rene@quebec.example\n".encode("latin-1")
    staged, report = await _import(store, data)
    assert staged.batch.encoding == "cp1252" and report.errors == 0 and report.auto_committed == 1
    contact = (await store.crm.contacts_page("rene"))
    assert [c.first_name for c in contact.items] == ["René"]


async def test_empty_file_refused_and_nothing_stored(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match="empty"):
        await stage_import(store, b"  \n\n", "empty.csv", uploaded_by="justin")
    assert await _scalar(conn, "SELECT count(*) FROM redkey.import_batches") == 0


async def test_header_only_file_imports_nothing(store: Store) -> None:
    staged, report = await _import(store, b"Email,Name\n")
    assert report.rows == 0 and report.proposals == 0 and staged.batch.row_count == 0


async def test_edited_manifest_maps_an_unresolved_column(store: Store) -> None:
    data = b"Who,Mail Addr,Employer\nGrace Hopper,grace@navy.example,US Navy\n"
    staged = await stage_import(store, data, "x.csv", uploaded_by="justin")
    assert {m.source_column for m in staged.manifest.unresolved} == {"Who", "Mail Addr"}
    edited = edit_manifest(staged.manifest, {"Who": "full_name", "Mail Addr": "contact.email"}, edited_by="justin")
    report = await run_import(store, staged, edited)
    assert report.auto_committed == 2  # company (domain from the email) + contact
    states = await store.db.fetch_dicts("SELECT status FROM redkey.import_manifests WHERE batch_id = %s ORDER BY status",
                                     (staged.batch.batch_id,))
    assert [s["status"] for s in states] == ["confirmed", "superseded"]
    with pytest.raises(ValidationFailed, match="not a field"):
        edit_manifest(staged.manifest, {"Who": "contact.shoe_size"}, edited_by="justin")


async def test_raw_batch_and_rows_are_immutable_in_the_database(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    data = b"Email\nx@y.example\n"
    staged, _ = await _import(store, data)
    bid = staged.batch.batch_id
    for stmt in ("UPDATE redkey.import_batches SET raw_bytes = 'x' WHERE batch_id = %s",
                 "DELETE FROM redkey.import_batches WHERE batch_id = %s",
                 "UPDATE redkey.import_rows SET status = 'error' WHERE batch_id = %s",
                 "DELETE FROM redkey.import_rows WHERE batch_id = %s"):
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="immutable"):
            await conn.execute(stmt, (bid,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        await conn.execute("TRUNCATE redkey.import_batches CASCADE")
    # a digest that does not match the bytes is refused
    with pytest.raises(psycopg.errors.CheckViolation):
        await conn.execute(
            "INSERT INTO redkey.import_batches (batch_id, client_id, uploaded_filename, mime_type, raw_bytes, sha256, "
            "row_count, uploaded_by, schema_version, artifact) VALUES (gen_random_uuid(), 'bezeliq', 'a.csv', "
            "'text/csv', 'abc', %s, 0, 'x', '1.0.0', '{\"artifact_type\": \"RawImportBatch\"}')",
            (hashlib.sha256(b"other").hexdigest(),))


@pytest.mark.pooled
async def test_reimporting_the_same_file_changes_nothing(store: Store) -> None:
    data = b"Name,Email,Company\nAda Lovelace,ada@engines.example,Engines\nAlan Turing,alan@bletchley.example,\n"
    _, first = await _import(store, data)
    assert first.auto_committed == 3
    staged, second = await _import(store, data)
    assert second.proposals == 0 and second.unchanged == 2 and second.linked_companies == 1
    assert staged.batch.batch_id != first.batch_id  # each upload is its own immutable batch


async def test_semicolon_file_and_twenty_export_profile(store: Store) -> None:
    data = (b"Name / First Name;Name / Last Name;Emails / Primary Email;Job Title\n"
            b"Grace;Hopper;grace@navy.example;Rear Admiral\n")
    staged, report = await _import(store, data)
    assert staged.manifest.source_profile == "twenty_export" and staged.parsed.delimiter == ";"
    assert report.auto_committed == 1
    c = next(c for c in (await store.crm.contacts_page("grace hopper")).items if c.email == "grace@navy.example")
    assert (c.first_name, c.last_name, c.job_title) == ("Grace", "Hopper", "Rear Admiral")


async def test_utf16_and_nul_bytes(store: Store) -> None:
    staged, report = await _import(store, "Name\tEmail\nZoë Park\tzoe@park.example\n".encode("utf-16"))
    assert staged.batch.encoding == "utf-16" and staged.parsed.delimiter == "\t" and report.auto_committed == 1
    _, report = await _import(store, b"Name,Email\nNul\x00Row,nul@row.example\nFine Row,fine@row.example\n")
    assert [(p.row_number, p.code) for p in report.problems] == [(1, "encoding")]
    assert report.auto_committed == 1


def test_interactive_mapping_prompt() -> None:
    from click.testing import CliRunner

    from cockpit.imports.cli import _interactive
    from cockpit.imports.mapping import propose_manifest

    manifest = propose_manifest(batch_id="b", headers=["Who", "Email", "Junk"], created_by="j")
    with CliRunner().isolation(input="full_name\n\ny\n"):
        out = _interactive(manifest, "justin")
    assert out is not None
    assert [(m.source_column, m.status, m.target_field) for m in out.column_mappings] == [
        ("Who", "mapped", "contact.full_name"), ("Email", "mapped", "contact.email"), ("Junk", "ignored", None)]
    with CliRunner().isolation(input="shoe_size\n\nfull_name\n\nn\n"):  # a typo is explained, asked again
        assert _interactive(manifest, "justin") is None


async def test_the_summary_counts_the_records_the_import_created(store: Store) -> None:
    """The report's created counts are what the database now holds beyond what it held before, per kind."""
    contacts = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
    companies = await store.db.fetch_value("SELECT count(*) FROM crm_companies")
    data = ("Full Name,Email,Company,Website\r\n"
            "Ngozi Okafor,ngozi@lagos-fintech.ng,Lagos Fintech,lagos-fintech.ng\r\n"
            "Émile Zola,emile@lagos-fintech.ng,Lagos Fintech,lagos-fintech.ng\r\n"
            "Søren Kierkegaard,soren@kbh-filosofi.dk,KBH Filosofi,\r\n"
            f"Sarah Chen,{SARAH},Meridian Health,meridianhealth.com\r\n"  # already a contact, as imported
            "No Mail,,,\r\n"                                                   # no email: waits for review
            "Bad One,bad-at-example,,\r\n").encode("utf-8")
    _, report = await _import(store, data, "people.csv")
    created_contacts = await store.db.fetch_value("SELECT count(*) FROM crm_contacts") - contacts
    created_companies = await store.db.fetch_value("SELECT count(*) FROM crm_companies") - companies
    assert (report.created_contacts, report.created_companies) == (created_contacts, created_companies) == (3, 2)
    assert report.auto_committed == created_contacts + created_companies
    assert report.summary().startswith("people.csv: 6 rows -> ")
    assert "created 3 contacts and 2 companies" in report.summary() and "1 malformed row" in report.summary()
    assert report.queued == 1 and "1 waiting for approval), 1 already in the CRM" in report.summary()
