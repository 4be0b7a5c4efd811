"""The bulk import path: proposals as plain records (the JSON a NormalizedEntityProposal stores, the same
rules), the worker thread that prepares them, and a file imported a few rows at a time planning exactly
what one look-up before the import would (against real Postgres)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from cockpit.contracts import NormalizedEntityProposal, Provenance
from cockpit.imports import service
from cockpit.imports.mapping import propose_manifest
from cockpit.imports.models import Existing, ProposalRecord
from cockpit.imports.normalize import normalize_rows
from cockpit.imports.proposals import ProposalPlanner
from cockpit.imports.reader import parse_csv
from cockpit.store import Store
from cockpit.store import imports as imports_store
from cockpit.store.worker_thread import SWITCH_INTERVAL, iterate_in_thread, quick_switching

SARAH = "sarah.chen@meridianhealth.com"


def _planned(data: bytes, existing: Existing | None = None) -> list[ProposalRecord]:
    parsed = parse_csv(data)
    rows = normalize_rows(parsed, propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin"))
    planner = ProposalPlanner(batch_id="b1", created_by="justin")
    planner.learn(existing or Existing())
    return list(planner.plan(rows))


def test_a_proposal_record_stores_what_the_model_stores() -> None:
    existing = Existing(contacts={"zoe@park.example": {"id": "0b0b0b0b-0000-4000-8000-000000000001",
                                                       "full_name": "Zoë Park", "first_name": "Zoë",
                                                       "last_name": "Park", "job_title": "CFO"}})
    records = _planned("Name,Email,Company,Website,Title\r\n"
                       "Ada Lovelace,ada@engines.example,Analytical Engines,engines.example,Countess\r\n"
                       "Ada L.,ADA@engines.example,,,\r\n"                  # same email as row 1
                       "Zoë Park,zoe@park.example,,,CEO\r\n"                # already a contact: an update
                       "Émile Zola,,Éditions Charpentier,,Écrivain\r\n".encode(), existing)  # no email: risky
    assert [(r.entity_type, r.action, r.review_required) for r in records] == [
        ("company", "create", False), ("contact", "create", False), ("contact", "update", True),
        ("contact", "update", True), ("company", "create", False), ("contact", "create", True)]
    for r in records:
        model = NormalizedEntityProposal(
            proposal_id=r.proposal_id, batch_id=r.batch_id, source_system=r.source_system, created_by=r.created_by,
            created_at=r.created_at, row_number=r.row_number, entity_type=r.entity_type, action=r.action,
            target_id=r.target_id, canonical_payload=r.canonical_payload, merge_candidate_refs=r.merge_candidate_refs,
            review_required=r.review_required, confidence=r.confidence, reasons=r.reasons,
            provenance=Provenance(method="import", source_ref=f"batch:b1#row{r.row_number}",
                                  evidence_refs=[f"import_row:b1:{r.row_number}"]))
        assert r.artifact_json() == model.model_dump_json()  # byte for byte, keys in the model's order
        assert r.model() == model
    assert records[3].canonical_payload == {"email": "zoe@park.example", "job_title": "CEO"}
    assert records[3].merge_candidate_refs == ["0b0b0b0b-0000-4000-8000-000000000001"]


def test_a_proposal_record_is_refused_as_the_model_refuses_it() -> None:
    good = _planned(b"Name,Email\nAda Lovelace,ada@engines.example\n")[0]
    cases = [({"canonical_payload": {"email": "ada@engines.example", "shoe_size": "38"}}, "unknown fields: shoe_size"),
             ({"canonical_payload": {"email": "ada at engines"}}, "is not an email address"),
             ({"canonical_payload": {"city": "London"}}, "a contact needs an email or a name"),
             ({"merge_candidate_refs": ["x"]}, "only a new record with no merge candidate may skip review"),
             ({"confidence": 1.5}, "between 0 and 1")]
    for change, message in cases:
        bad = ProposalRecord(**{**{f: getattr(good, f) for f in good.__slots__}, **change})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=message):
            bad.check()
        with pytest.raises(ValidationError):
            NormalizedEntityProposal.model_validate_json(bad.artifact_json())


async def test_the_worker_thread_hands_over_items_errors_and_stops_with_its_consumer() -> None:
    assert [x async for x in iterate_in_thread(iter(range(10)), depth=2)] == list(range(10))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("row 2 is not a row")

    got = []
    with pytest.raises(ValueError, match="row 2 is not a row"):
        async for x in iterate_in_thread(failing()):
            got.append(x)
    assert got == [1]

    made: list[int] = []
    finished = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                made.append(i)
                yield i
                i += 1
        finally:
            finished.set()

    items = iterate_in_thread(endless(), depth=2)
    async for x in items:
        if x == 3:
            break
    await items.aclose()
    for _ in range(100):
        if finished.is_set() or len(made) <= 8:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(made) <= 3 + 2 + 2  # bounded: what was taken, what waited, and one being made


async def test_the_interpreter_switches_threads_quickly_while_a_worker_thread_works() -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []

    def items() -> Iterator[int]:
        for i in range(3):
            seen.append(sys.getswitchinterval())
            yield i

    async for _ in iterate_in_thread(items()):
        with quick_switching():  # nested, as two imports at once would
            assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert sys.getswitchinterval() == SWITCH_INTERVAL
    assert seen == [SWITCH_INTERVAL] * 3
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("pool_size", [4, 1])
async def test_an_import_in_small_steps_plans_what_one_look_up_before_it_would(settings, monkeypatch,  # type: ignore[no-untyped-def]
                                                                               pool_size: int) -> None:
    """Four rows a look-up, two a step: a company and an email seen in an earlier step are linked, not
    proposed again; a company this import creates is not mistaken for one the CRM had (its name matches a
    later row's). The look-ups read the CRM in their own transactions (so they run while the import
    writes), or in the import's own on a pool of one connection: the plan is the same."""
    monkeypatch.setattr(service, "LOOK_UP_ROWS", 4)
    monkeypatch.setattr(service, "STEP_ROWS", 2)
    read_on: list[int] = []
    existing_on = imports_store._existing_on

    async def recording(conn, *keys):  # type: ignore[no-untyped-def]
        read_on.append((await (await conn.execute("SELECT txid_current()")).fetchone())[0])
        return await existing_on(conn, *keys)

    monkeypatch.setattr(imports_store, "_existing_on", recording)
    store = await Store.open(settings, min_size=0, max_size=pool_size)
    try:
        await _small_steps(store)
    finally:
        await store.close()
    assert len(read_on) >= 2
    if pool_size == 1:
        assert len(set(read_on)) == 1  # the import's own transaction, every time
    else:
        assert len(set(read_on)) == len(read_on)  # a transaction of its own each time


async def _small_steps(store: Store) -> None:
    data = ("Full Name,Email,Company,Website,Title\r\n"
            "Ada Lovelace,ada@engines.example,Analytical Engines,engines.example,Countess\r\n"
            "Mary Somerville,mary@somerville.example,,,Polymath\r\n"
            "Charles Babbage,charles@engines.example,Analytical Engines,https://www.engines.example,Inventor\r\n"
            "Ada Again,ADA@engines.example,,,\r\n"
            f"Sarah Chen,{SARAH},,,Chief Everything Officer\r\n"
            "Luigi Menabrea,luigi.menabrea@gmail.com,Analytical Engines,,General\r\n"  # name only: another company
            "Broken Row,not-an-email,,,\r\n").encode()
    staged = await service.stage_import(store, data, "engines.csv", uploaded_by="justin")
    report = await service.run_import(store, staged)
    assert (report.rows, report.errors, report.proposals) == (7, 1, 8)
    assert [(p.row_number, p.code) for p in report.problems] == [(7, "bad_email")]
    assert (report.created_companies, report.created_contacts) == (2, 4)
    rows = await store.db.fetch_dicts(
        "SELECT row_number, entity_type, action, status, payload, merge_candidate_refs, artifact->'reasons' AS why "
        "FROM redkey.proposals WHERE batch_id = %s ORDER BY row_number, entity_type", (staged.batch.batch_id,),
        role="owner")
    got = [(r["row_number"], r["entity_type"], r["action"], r["status"]) for r in rows]
    assert got == [(1, "company", "create", "committed"), (1, "contact", "create", "committed"),
                   (2, "contact", "create", "committed"), (3, "contact", "create", "committed"),
                   (4, "contact", "update", "pending"), (5, "contact", "update", "pending"),
                   (6, "company", "create", "committed"), (6, "contact", "create", "committed")]
    ada_co = rows[0]
    assert rows[3]["payload"]["company_ref"] == rows[1]["payload"]["company_ref"]  # Charles joins Ada's company
    assert rows[4]["why"] == ["same email as row 1 of this file"]
    assert rows[5]["payload"] == {"email": SARAH, "job_title": "Chief Everything Officer"}
    assert rows[5]["merge_candidate_refs"] and "already a contact" in rows[5]["why"][0]
    assert rows[6]["payload"] == {"name": "Analytical Engines"} and "no domain given" in rows[6]["why"][0]
    assert ada_co["payload"] == {"name": "Analytical Engines", "domain": "engines.example"}
    linked = {r["email"]: r["company_id"] for r in await store.db.fetch_dicts(
        "SELECT email, company_id FROM crm_contacts WHERE email LIKE '%%.example' OR email LIKE 'luigi%%'")}
    assert linked["ada@engines.example"] == linked["charles@engines.example"] is not None
    assert linked["luigi.menabrea@gmail.com"] not in (None, linked["ada@engines.example"])
    assert linked["mary@somerville.example"] is None and len(linked) == 4


def test_what_the_import_creates_itself_is_not_taken_for_what_the_crm_had() -> None:
    parsed = parse_csv(b"Name,Email,Company,Website\nAda Lovelace,ada@engines.example,Analytical Engines,engines.example\n"
                       b"Luigi Menabrea,luigi.menabrea@gmail.com,Analytical Engines,\n")
    rows = normalize_rows(parsed, propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin"))
    planner = ProposalPlanner(batch_id="b1", created_by="justin")
    assert planner.keys_to_look_up(rows) == (["ada@engines.example", "luigi.menabrea@gmail.com"], ["engines.example"],
                                             ["analytical engines"])
    company, ada = planner.plan(rows[:1])
    # a key planned in an earlier step is not looked up again
    assert planner.keys_to_look_up(rows) == (["luigi.menabrea@gmail.com"], [], ["analytical engines"])
    # a look-up made after the first step was written finds that step's company by its name
    planner.learn(Existing(company_names={"analytical engines": str(company.target_id)}))
    assert planner.existing == Existing()
    second_company, luigi = planner.plan(rows[1:])
    assert (second_company.entity_type, second_company.canonical_payload) == ("company", {"name": "Analytical Engines"})
    assert luigi.canonical_payload["company_ref"] == second_company.proposal_id



def test_proposals_are_stamped_in_the_order_they_are_made() -> None:
    """Approvals lists pending proposals by created_at: an import's are listed in row order."""
    records = _planned("".join(["Name,Email\n"] + [f"Person {i},p{i}@rows.example\n" for i in range(500)]).encode())
    stamps = [r.created_at for r in records]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert [r.row_number for r in records] == list(range(1, 501))


def _varied_file(rows: int) -> bytes:
    """Rows as exports write them: accents, dashes, national and international phones, a multi-value cell,
    a bad email, a ragged row, a LinkedIn page in the website column, a neutralised cell."""
    lines = ["Full Name,Email,Company,Website,Phone,Country,Employees,LinkedIn"]
    kinds = [
        "Dr. Zoë Park-Lee,zoe{i}@park.example,Park & Co,https://www.park{i}.example/about,+44 20 7946 0{i:03d},UK,\"1,200\",",
        "\"Chen, Sarah\",SARAH{i}@Meridian.example ::: s{i}@x.example,Meridian,meridian.example,(415) 555-{i:04d},USA,40,"
        "linkedin.com/in/sarah-chen-{i}/",
        "José Ñúñez,jose{i}@gmail.com,Éditions Ñ,linkedin.com/company/editions-n,06 12 34 {i:02d} 78,France,,",
        "Broken {i},not-an-email-{i},,,,,,",
        "Ragged {i},r{i}@r.example,,,,,,,extra",
        "'=Formula {i},f{i}@f.example,'-Minus Inc,minus.example,0049 30 1234{i:04d},,abc,",
    ]
    for i in range(rows):
        lines.append(kinds[i % len(kinds)].format(i=i % 100))
    return ("\r\n".join(lines) + "\r\n").encode()


def test_rows_normalized_in_a_second_process_are_the_rows_normalized_here() -> None:
    from cockpit.imports.normalize_process import normalized_windows

    parsed = parse_csv(_varied_file(1200))
    manifest = propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin")
    windows = [parsed.rows[a:a + 250] for a in range(0, len(parsed.rows), 250)]
    here = list(normalized_windows(parsed, manifest, iter(windows), default_country="FR", parallel=False))
    counted = [0]
    there = list(normalized_windows(parsed, manifest, iter(windows), default_country="FR", parallel=True,
                                    steal=False, pieces_here=counted))
    assert here == there == [normalize_rows(parsed, manifest, default_country="FR", rows=w) for w in windows]
    assert counted == [0]  # every window but the first came from the child
    flat = [r for w in there for r in w]
    assert {c for r in flat for c, _, _ in r.errors} >= {"bad_email", "ragged", "bad_value"}
    assert any(r.contact and r.contact.get("phone", "").startswith("+33") for r in flat)


def test_pieces_the_child_has_not_started_are_normalized_here() -> None:
    """While the child starts (it imports the cockpit first), the import does not wait for it: a piece it
    has not started yet is normalized here, in order, and the rows are the same."""
    from cockpit.imports.normalize_process import PIECE_ROWS, normalized_windows

    parsed = parse_csv(_varied_file(900))
    manifest = propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin")
    windows = [parsed.rows[a:a + 30] for a in range(0, len(parsed.rows), 30)]
    assert len(windows[0]) < PIECE_ROWS  # a window is one piece here
    counted = [0]
    there = list(normalized_windows(parsed, manifest, iter(windows), parallel=True, pieces_here=counted))
    assert there == [normalize_rows(parsed, manifest, rows=w) for w in windows]
    assert counted[0] >= 1  # the child was still starting when the second window was needed


def test_a_second_process_that_cannot_start_or_dies_leaves_the_rows_normalized_here(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures.process import BrokenProcessPool

    from cockpit.imports import normalize_process

    parsed = parse_csv(_varied_file(60))
    manifest = propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin")
    windows = [parsed.rows[a:a + 10] for a in range(0, len(parsed.rows), 10)]
    expected = [normalize_rows(parsed, manifest, rows=w) for w in windows]

    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("no more processes")

    class DiesAtOnce:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, *args: object) -> object:
            raise BrokenProcessPool("the helper was killed")

        def shutdown(self, **kwargs: object) -> None:
            pass

    for pool in (NoProcesses, DiesAtOnce):
        monkeypatch.setattr(normalize_process, "ProcessPoolExecutor", pool)
        assert list(normalize_process.normalized_windows(parsed, manifest, iter(windows), parallel=True)) == expected


def test_stopping_early_ends_the_second_process() -> None:
    import multiprocessing

    from cockpit.imports.normalize_process import normalized_windows

    parsed = parse_csv(_varied_file(600))
    manifest = propose_manifest(batch_id="b1", headers=parsed.header, created_by="justin")
    windows = [parsed.rows[a:a + 50] for a in range(0, len(parsed.rows), 50)]
    before = set(multiprocessing.active_children())
    it = normalized_windows(parsed, manifest, iter(windows), parallel=True)
    assert next(it) == normalize_rows(parsed, manifest, rows=windows[0])
    assert next(it) == normalize_rows(parsed, manifest, rows=windows[1])  # from the child
    children = set(multiprocessing.active_children()) - before
    assert children, "the second window comes from a child process"
    it.close()
    assert not any(c.is_alive() for c in children)


async def test_the_database_still_refuses_a_proposal_recorded_committed_without_a_basis(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    """On INSERT the lifecycle check runs only when there is something to check; those inserts are refused
    as before (and a pending one, or one committed under the auto rule, goes in)."""
    import psycopg

    insert = ("INSERT INTO redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, entity_type, "
              "action, payload, review_required, confidence, status, auto_rule, decision_id, committed_at, created_by, "
              "artifact) VALUES (gen_random_uuid(), 'bezeliq', 'entity', 'NormalizedEntityProposal', '1.0.0', 'contact', "
              "'create', '{\"email\": \"ada@engines.example\"}', false, 0.9, %s, %s, %s, %s, 'justin', '{}')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="without an approval"):
        await conn.execute(insert, ("committed", None, None, "2026-01-01T00:00:00Z"))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="is not a decision on proposal"):
        await conn.execute(insert, ("committed", None, "0b0b0b0b-0000-4000-8000-000000000009", "2026-01-01T00:00:00Z"))
    await conn.execute(insert, ("pending", None, None, None))
    await conn.execute(insert, ("committed", "import.new_record_no_candidate", None, "2026-01-01T00:00:00Z"))


def test_proposal_ids_made_in_bulk_are_random_uuids_in_their_canonical_form() -> None:
    import uuid

    from cockpit.imports.proposals import random_uuids

    ids = random_uuids(5000)
    parsed = [uuid.UUID(i) for i in ids]
    assert [str(u) for u in parsed] == ids and len(set(ids)) == 5000
    assert {u.version for u in parsed} == {4} and {u.variant for u in parsed} == {uuid.RFC_4122}


async def test_a_file_normalized_in_a_second_process_lands_as_normalized_here(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The import path with the child process (forced for a small file, several windows): the proposals and
    the contacts that land hold, field by field, what normalizing in this process gives."""
    import multiprocessing

    from cockpit.imports import normalize_process

    monkeypatch.setattr(normalize_process, "PARALLEL_FROM_ROWS", 1)
    monkeypatch.setattr(service, "STEP_ROWS", 20)
    monkeypatch.setattr(service, "LOOK_UP_ROWS", 40)
    staged = await service.stage_import(store, _varied_file(90), "varied.csv", uploaded_by="justin")
    report = await service.run_import(store, staged, default_country="FR")
    assert not multiprocessing.active_children()  # the child has ended with the import
    expected = normalize_rows(staged.parsed, staged.manifest, default_country="FR")
    assert (report.rows, report.errors) == (90, sum(1 for r in expected if r.errors))
    assert sorted((p.row_number, p.code) for p in report.problems) == sorted(
        (r.number, c) for r in expected for c, _, _ in r.errors)
    proposals = await store.db.fetch_dicts(
        "SELECT row_number, action, payload FROM redkey.proposals WHERE batch_id = %s AND entity_type = 'contact' "
        "ORDER BY row_number", (staged.batch.batch_id,), role="owner")
    created = {p["row_number"]: p["payload"] for p in proposals if p["action"] == "create"}
    by_row = {r.number: r for r in expected}
    assert created and all({k: v for k, v in payload.items() if k not in ("company_ref", "company_id")}
                           == by_row[number].contact for number, payload in created.items())
    emails = [p["email"] for p in created.values() if p.get("email")]
    landed = await store.db.fetch_dicts(
        "SELECT email, first_name, last_name, phone, linkedin_url FROM crm_contacts WHERE email = ANY(%s)", (emails,))
    assert len(landed) == len(emails)
    wanted = {p["email"]: p for p in created.values() if p.get("email")}
    for contact in landed:
        want = wanted[contact["email"]]
        if contact["phone"]:  # the CRM keeps the calling code apart: '+44 2079460000'
            contact["phone"] = contact["phone"].replace(" ", "")
        assert {k: v for k, v in contact.items() if v} == {
            k: want[k] for k in ("email", "first_name", "last_name", "phone", "linkedin_url") if k in want}


async def test_cells_with_tabs_backslashes_and_line_breaks_are_recorded_as_read(store: Store) -> None:
    """The row records and proposals go to the server as COPY text formatted ahead of the write: the
    characters COPY's format escapes (tab, backslash, line breaks, ``\\N``) land exactly as the file has them."""
    data = ('First Name,Last Name,Email,Company,Notes\r\n'
            'Zoë,"O\'Neil\tSmith",zoe@tab.example,"C:\\\\Shares\\\\Acme","line one\nline two\\N"\r\n'
            'Jean-Luc,Picard,jl@bs.example,"Back\\\\slash & Co","\\\\N"\r\n').encode()
    staged = await service.stage_import(store, data, "escapes.csv", uploaded_by="justin")
    await service.run_import(store, staged)
    rows = await store.db.fetch_dicts(
        "SELECT row_number, raw_values FROM redkey.import_rows WHERE batch_id = %s ORDER BY row_number",
        (staged.batch.batch_id,), role="owner")
    assert [r["raw_values"] for r in rows] == [list(r.values) for r in staged.parsed.rows]
    assert rows[0]["raw_values"][1] == "O'Neil\tSmith" and rows[0]["raw_values"][4] == "line one\nline two\\N"
    payloads = await store.db.fetch_dicts(
        "SELECT payload FROM redkey.proposals WHERE batch_id = %s AND entity_type = 'company' ORDER BY row_number",
        (staged.batch.batch_id,), role="owner")
    assert [p["payload"]["name"] for p in payloads] == ["C:\\\\Shares\\\\Acme", "Back\\\\slash & Co"]


async def test_a_row_record_belongs_to_its_batch_and_the_batch_client(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    """import_rows has one foreign key on (batch, client): a row of a batch that does not exist, or recorded
    for a client other than its batch's, is refused; a row of the batch's client goes in."""
    import psycopg

    staged = await service.stage_import(store, b"Email\nada@engines.example\n", "one.csv", uploaded_by="justin")
    insert = ("INSERT INTO redkey.import_rows (batch_id, row_number, client_id, raw_values, status) "
              "VALUES (%s, %s, %s, '[\"x\"]', 'ok')")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await conn.execute(insert, (staged.batch.batch_id, 7, "northwind"))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await conn.execute(insert, ("0b0b0b0b-0000-4000-8000-000000000009", 7, "bezeliq"))
    await conn.execute(insert, (staged.batch.batch_id, 7, "bezeliq"))


async def test_a_proposal_belongs_to_its_batch_client_or_names_an_existing_client(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    """redkey.proposals: an import's proposal is checked against its batch and the batch's client (one
    key); one without a batch against redkey.clients."""
    import psycopg

    staged = await service.stage_import(store, b"Email\nada@engines.example\n", "one.csv", uploaded_by="justin")
    insert = ("INSERT INTO redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, batch_id, "
              "entity_type, action, payload, review_required, confidence, created_by, artifact) VALUES "
              "(gen_random_uuid(), %s, 'entity', 'NormalizedEntityProposal', '1.0.0', %s, 'contact', 'create', "
              "'{\"email\": \"ada@engines.example\"}', false, 0.9, 'justin', '{}')")
    for client, batch in (("northwind", staged.batch.batch_id),                        # not the batch's client
                          ("bezeliq", "0b0b0b0b-0000-4000-8000-000000000009"),         # no such batch
                          ("nobody", None)):                                           # no such client
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            await conn.execute(insert, (client, batch))
    await conn.execute(insert, ("bezeliq", staged.batch.batch_id))
    await conn.execute(insert, ("northwind", None))
