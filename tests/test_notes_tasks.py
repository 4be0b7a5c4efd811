"""crm_notes and crm_tasks round trip through Twenty's note/task tables, on Twenty 1.10's shape
(``personId`` targets) and 1.17's (``targetPersonId``): what the cockpit writes is what Twenty's UI would
show (markdown, the BlockNote document, target rows, the linked-note/linked-task timeline rows), and
what Twenty writes reads back through the views."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone

import psycopg
import pytest

from cockpit.config import Settings
from cockpit.errors import NotFound, PermissionDenied, ValidationFailed
from cockpit.store import Store

VERSIONS = {"1.10": ("personId", "companyId", "opportunityId", "noteId", "taskId"),
            "1.17": ("targetPersonId", "targetCompanyId", "targetOpportunityId", "targetNoteId", "targetTaskId")}


@pytest.fixture(params=sorted(VERSIONS))
async def twenty(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[tuple[Store, str, str]]:
    """A client on a fresh fixture workspace of one Twenty version: (store scoped to it, schema, version)."""
    version = request.param
    client = "v" + version.replace(".", "")
    schema = f"workspace_{client}"
    admin = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        await admin.admin.create_fixture_workspace(schema, ["NEW", "WON"], version=version)
        await admin.admin.register_workspace(schema, client, label=f"Twenty {version}")
    finally:
        await admin.close()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(f'INSERT INTO "{schema}"."workspaceMember" (position, "nameFirstName", "nameLastName",'
                           ' "userEmail") VALUES (0, %s, %s, %s), (1, %s, %s, %s)',
                           ("Justin", "Reed", "justin@example.com", "Maya", "Okafor", "Maya@Example.com"))
    store = await Store.open(Settings(database_url=db_url, client_id=client, _env_file=None),  # type: ignore[call-arg]
                             min_size=0, max_size=3)
    try:
        yield store, schema, version
    finally:
        await store.close()


async def _records(store: Store) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    company = await store.crm.insert_record("crm_companies", {"name": "Acme Öl GmbH", "domain": "acme-oel.de"})
    contact = await store.crm.insert_record("crm_contacts", {"first_name": "Zoë", "last_name": "Brandt",
                                                             "company_id": company.id})
    deal = await store.crm.insert_record("crm_deals", {"name": "Acme — Pilot", "stage_id": "NEW",
                                                       "company_id": company.id, "contact_id": contact.id})
    return contact.id, company.id, deal.id


async def test_note_round_trip(twenty, db_url: str) -> None:  # type: ignore[no-untyped-def]
    store, ws, version = twenty
    person_col, company_col, opp_col, _, _ = VERSIONS[version]
    contact_id, company_id, deal_id = await _records(store)
    body = "# Call recap\nWent well – wants pricing.\n\n- send the 3-tier sheet\n- [x] intro done\n1. follow up"
    note = await store.notes.add(title="Call with Zoë", body=body, contact_id=contact_id, deal_id=deal_id)
    assert (note.title, note.body, note.contact_id, note.deal_id, note.company_id) == (
        "Call with Zoë", body, contact_id, deal_id, None)
    assert set(note.target_ids) == {contact_id, deal_id} and note.created_by == "RedKey Cockpit"

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        md, blocks, source = await (await conn.execute(
            f'SELECT "bodyV2Markdown", "bodyV2Blocknote", "createdBySource"::text FROM "{ws}".note WHERE id = %s',
            (note.id,))).fetchone()
        assert md == body and source == "API"
        doc = json.loads(blocks)
        assert [b["type"] for b in doc] == ["heading", "paragraph", "paragraph", "bulletListItem",
                                            "checkListItem", "numberedListItem"]
        assert doc[0]["props"]["level"] == 1 and doc[4]["props"]["checked"] is True
        assert doc[1]["content"] == [{"type": "text", "text": "Went well – wants pricing.", "styles": {}}]
        assert doc[2]["content"] == [] and all(b["children"] == [] and b["id"] for b in doc)
        targets = await (await conn.execute(
            f'SELECT "{person_col}", "{company_col}", "{opp_col}" FROM "{ws}"."noteTarget"'
            ' WHERE "noteId" = %s AND "deletedAt" IS NULL', (note.id,))).fetchall()
        assert sorted(targets, key=str) == sorted([(contact_id, None, None), (None, None, deal_id)], key=str)
        timeline = await (await conn.execute(
            f'SELECT name, "linkedRecordCachedName", "{person_col}", "{opp_col}" FROM "{ws}"."timelineActivity"'
            ' WHERE "linkedRecordId" = %s ORDER BY 3 NULLS LAST', (note.id,))).fetchall()
        assert timeline == [("linked-note.created", "Call with Zoë", contact_id, None),
                            ("linked-note.created", "Call with Zoë", None, deal_id)]

        # a note written in Twenty's UI (markdown + targets) reads back, linked to its records
        twenty_note = uuid.uuid4()
        await conn.execute(f'INSERT INTO "{ws}".note (id, title, "bodyV2Markdown", "bodyV2Blocknote")'
                           " VALUES (%s, '', 'Written in Twenty', '[]')", (twenty_note,))
        await conn.execute(f'INSERT INTO "{ws}"."noteTarget" ("noteId", "{company_col}") VALUES (%s, %s)',
                           (twenty_note, company_id))
    page = await store.notes.of_record(company_id)
    assert [n.id for n in page.items] == [twenty_note] and page.items[0].headline == "Written in Twenty"
    assert [n.id for n in (await store.notes.of_record(contact_id)).items] == [note.id]

    # edit: the body's BlockNote document follows, and the timeline's cached title too
    edited = await store.notes.edit(note.id, title="Call with Zoë Brandt", body="Pricing sent")
    assert edited.body == "Pricing sent" and edited.title == "Call with Zoë Brandt"
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        blocks = (await (await conn.execute(f'SELECT "bodyV2Blocknote" FROM "{ws}".note WHERE id = %s',
                                            (note.id,))).fetchone())[0]
        assert [b["content"][0]["text"] for b in json.loads(blocks)] == ["Pricing sent"]
        names = {r[0] for r in await (await conn.execute(
            f'SELECT "linkedRecordCachedName" FROM "{ws}"."timelineActivity" WHERE "linkedRecordId" = %s',
            (note.id,))).fetchall()}
        assert names == {"Call with Zoë Brandt"}

    # the activity feed shows the note once (from the note table, not its timeline rows)
    feed = (await store.activity.activities_page(contact_id=contact_id)).items
    assert [(a.kind, a.id) for a in feed if a.kind == "note"] == [("note", note.id)]

    await store.notes.delete(note.id)
    with pytest.raises(NotFound):
        await store.notes.get(note.id)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        live = (await (await conn.execute(
            f'SELECT count(*) FROM "{ws}"."noteTarget" WHERE "noteId" = %s AND "deletedAt" IS NULL',
            (note.id,))).fetchone())[0]
        assert live == 0


async def test_task_round_trip(twenty, db_url: str) -> None:  # type: ignore[no-untyped-def]
    store, ws, version = twenty
    person_col, _, opp_col, _, _ = VERSIONS[version]
    contact_id, company_id, deal_id = await _records(store)
    me = await store.crm_tasks.me()
    assert me is not None and me.full_name == "Justin Reed"
    today = date.today()
    task = await store.crm_tasks.add(title="Send the contract to Zoë", contact_id=contact_id, deal_id=deal_id,
                                     due=today)
    assert task.status == "TODO" and task.assignee_id == me.id and task.assignee_name == "Justin Reed"
    assert task.due_at == datetime.combine(today, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    late = await store.crm_tasks.add(title="Chase the NDA", company_id=company_id, due=today - timedelta(days=3),
                                     assign_to_me=False)
    later = await store.crm_tasks.add(title="Quarterly check-in", deal_id=deal_id, due=today + timedelta(days=30))

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        row = await (await conn.execute(
            f'SELECT status::text, "dueAt", "assigneeId", "createdByName" FROM "{ws}".task WHERE id = %s',
            (task.id,))).fetchone()
        assert row == ("TODO", task.due_at, me.id, "RedKey Cockpit")
        timeline = await (await conn.execute(
            f'SELECT name, "{person_col}", "{opp_col}" FROM "{ws}"."timelineActivity" WHERE "linkedRecordId" = %s'
            " ORDER BY 2 NULLS LAST", (task.id,))).fetchall()
        assert timeline == [("linked-task.created", contact_id, None), ("linked-task.created", None, deal_id)]

    async def ids(which: str, **kw) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
        return [t.id for t in (await store.crm_tasks.page(which, **kw)).items]  # type: ignore[arg-type]

    assert await ids("today") == [task.id]
    assert await ids("overdue") == [late.id]
    assert await ids("mine") == [task.id, later.id]
    assert await ids("deal", deal_id=deal_id) == [task.id, later.id]
    assert await ids("open") == [late.id, task.id, later.id]
    first = await store.crm_tasks.page("open", limit=2)  # keyset paging by due date
    assert [t.id for t in first.items] == [late.id, task.id] and first.has_more
    assert await ids("open", after=first.next_after) == [later.id]

    done = await store.crm_tasks.complete(task.id)
    assert done.done and await ids("today") == []
    moved = await store.crm_tasks.reschedule(late.id, today)
    assert moved.due_at is not None and await ids("today") == [late.id] and await ids("overdue") == []
    assert [t.id for t in (await store.crm_tasks.of_record(deal_id, include_done=True)).items] == [task.id, later.id]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        assert (await (await conn.execute(f'SELECT status::text FROM "{ws}".task WHERE id = %s',
                                          (task.id,))).fetchone())[0] == "DONE"
    # the linked task shows in the contact's activity (Twenty's timeline row)
    feed = (await store.activity.activities_page(contact_id=contact_id)).items
    assert any(a.kind == "task" and a.summary == "Send the contract to Zoë" for a in feed)

    maya = next(m for m in await store.crm_tasks.members() if m.email == "maya@example.com")
    assert (await store.crm_tasks.assign(later.id, maya.id)).assignee_name == "Maya Okafor"
    with pytest.raises(NotFound, match="workspace member"):
        await store.crm_tasks.assign(later.id, uuid.uuid4())
    with pytest.raises(ValidationFailed, match="status"):
        await store.crm_tasks._update(later.id, {"status": "WAITING"}, "strategic")


async def test_bad_writes_are_refused(twenty) -> None:  # type: ignore[no-untyped-def]
    store, _, _ = twenty
    contact_id, _, _ = await _records(store)
    with pytest.raises(ValidationFailed, match="linked"):
        await store.notes.add(title="floating")
    with pytest.raises(ValidationFailed, match="title or a text"):
        await store.notes.add(title="  ", body="", contact_id=contact_id)
    with pytest.raises(NotFound, match="contact"):
        await store.notes.add(title="x", contact_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        await store.notes.add(title="x", contact_id=contact_id, role="readonly")
    note = await store.notes.add(title="ok", contact_id=contact_id, role="operational")  # loops may create
    with pytest.raises(PermissionDenied):
        await store.notes.edit(note.id, title="changed by a loop", role="operational")


async def test_notes_and_tasks_stay_in_their_client(store: Store, db_url: str) -> None:
    """BezelIQ's note is invisible to Northwind, in public.crm_notes and in each client's schema, and
    Northwind cannot link a note to BezelIQ's contact."""
    contact = (await store.crm.contacts_page(limit=1)).items[0]
    note = await store.notes.add(title="BezelIQ only", body="private", contact_id=contact.id)
    task = await store.crm_tasks.add(title="BezelIQ task", contact_id=contact.id)
    north = store.scoped("northwind")
    with pytest.raises(NotFound):
        await north.notes.get(note.id)
    with pytest.raises(NotFound):
        await north.crm_tasks.get(task.id)
    with pytest.raises(NotFound, match="contact"):
        await north.notes.add(title="cross-client", contact_id=contact.id)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for view in ("public.crm_notes", "public.crm_tasks", "public.crm_members"):
            assert (await (await conn.execute(f"SELECT count(*) FROM {view}")).fetchone())[0] == 0  # unscoped
        await conn.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
        assert (await (await conn.execute("SELECT count(*) FROM public.crm_notes WHERE id = %s",
                                          (note.id,))).fetchone())[0] == 0
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        assert (await (await conn.execute("SELECT title FROM public.crm_notes WHERE id = %s",
                                          (note.id,))).fetchone())[0] == "BezelIQ only"
        # the change feed announced both on BezelIQ's channel
        channel = (await (await conn.execute("SELECT redkey.change_channel()")).fetchone())[0]
        await conn.execute(f'LISTEN "{channel}"')
        await store.notes.edit(note.id, title="BezelIQ only", body="edited")
        await store.crm_tasks.complete(task.id)
        got = []
        async for n in conn.notifies(timeout=5, stop_after=2):
            got.append(n.payload)
        assert got == [f"note:{note.id}", f"crm_task:{task.id}"]
