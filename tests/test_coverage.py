"""`cockpit coverage`: telling the cockpit's and arlo's writes from Twenty's by Twenty's own ACTOR columns,
and the verdict on real data — the demo (Twenty's UI still writes people, deals, timeline), rows written
straight into Layer 1 the way Twenty's UI, import and mail sync write them, and a client whose every write
comes from the cockpit and arlo (then "Twenty can be switched off", until Twenty writes again)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cockpit.config import Settings
from cockpit.coverage.report import Report, coverage
from cockpit.db.migrate import migrate
from cockpit.store import Store
from tests.conftest import FIXED_NOW
from tests.test_cli import _no_traceback, cockpit

MODES = {"pipeline", "contacts", "activity", "import", "companies", "tasks"}


def _area(report: Report, name: str):  # type: ignore[no-untyped-def]
    return next(a for a in report.areas if a.name == name)


async def _workspace(conn: psycopg.AsyncConnection, client: str = "bezeliq") -> str:
    row = await (await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = %s", (client,))).fetchone()
    return row[0]  # type: ignore[index]


async def _actor(conn: psycopg.AsyncConnection, ws: str, table: str, rid: uuid.UUID, prefix: str = "createdBy"):  # type: ignore[no-untyped-def]
    cur = await conn.execute(f'SELECT "{prefix}Source"::text, "{prefix}Name", "{prefix}Context" FROM "{ws}"."{table}" '
                             "WHERE id = %s", (rid,))
    return await cur.fetchone()


async def test_cockpit_and_arlo_writes_carry_twentys_actor_columns(store: Store, conn: psycopg.AsyncConnection) -> None:
    ws = await _workspace(conn)
    mine = await store.crm.insert_record("crm_contacts", {"first_name": "Zoë", "last_name": "Ångström",
                                                          "email": "zoe@fjord-analytics.se"})
    arlo = store.scoped("bezeliq", source="arlo", actor="arlo")
    firm = await arlo.crm.insert_record("crm_companies", {"name": "Fjord Analytics AB", "domain": "fjord-analytics.se"})
    source, name, context = await _actor(conn, ws, "person", mine.id)
    assert (source, name) == ("API", "RedKey Cockpit") and context["redkey"]["source"] == "cockpit"
    source, name, context = await _actor(conn, ws, "company", firm.id)
    assert (source, name) == ("API", "arlo") and context["redkey"] == {"source": "arlo", "actor": "arlo"}

    # public's views (client-bound logins, the Data API) route through their own triggers: stamped too
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false), set_config('redkey.source', 'arlo', false)")
    row = await (await conn.execute("INSERT INTO public.crm_contacts (first_name, last_name) VALUES ('Åsa', 'Lind') "
                                    "RETURNING id")).fetchone()
    await conn.execute("RESET redkey.client_id; RESET redkey.source")
    assert (await _actor(conn, ws, "person", row[0]))[:2] == ("API", "arlo")  # type: ignore[index]

    # Twenty v1.10 has no updatedBy*: an edit still works and leaves the creator alone
    await arlo.crm.update_operational("crm_contacts", mine.id, job_title="Head of Data")
    assert (await _actor(conn, ws, "person", mine.id))[:2] == ("API", "RedKey Cockpit")

    # a newer Twenty adds the updatedBy* columns: after the regeneration an edit stamps them
    for part, typ in (("Source", f'"{ws}".actor_source_enum NOT NULL DEFAULT \'MANUAL\''),
                      ("WorkspaceMemberId", "uuid"), ("Name", "text NOT NULL DEFAULT ''"), ("Context", "jsonb")):
        await conn.execute(f'ALTER TABLE "{ws}".person ADD COLUMN "updatedBy{part}" {typ}')
    await migrate(conn)
    await arlo.crm.update_operational("crm_contacts", mine.id, job_title="VP Data")
    assert (await _actor(conn, ws, "person", mine.id, "updatedBy"))[:2] == ("API", "arlo")
    assert (await _actor(conn, ws, "person", mine.id))[:2] == ("API", "RedKey Cockpit")
    other = await store.crm.insert_record("crm_contacts", {"first_name": "Lars", "last_name": "Øster"})
    assert (await _actor(conn, ws, "person", other.id, "updatedBy"))[:2] == ("API", "RedKey Cockpit")


async def _twenty_ui_person(conn: psycopg.AsyncConnection, ws: str, first: str, last: str, email: str,
                            source: str = "MANUAL", when=None) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A person as Twenty writes one: its UI (MANUAL, a workspace member's name), its import, its mail sync."""
    pid = uuid.uuid4()
    await conn.execute(
        f'INSERT INTO "{ws}".person (id, "createdAt", "updatedAt", "nameFirstName", "nameLastName", "emailsPrimaryEmail",'
        ' "createdBySource", "createdByName") VALUES (%s, %s, %s, %s, %s, %s, %s, %s)',
        (pid, when or FIXED_NOW - timedelta(days=2), when or FIXED_NOW - timedelta(days=2), first, last, email, source,
         "Justin Reyes" if source == "MANUAL" else ""))
    return pid


async def test_coverage_on_the_demo_where_twenty_still_writes(store: Store, settings: Settings,
                                                               conn: psycopg.AsyncConnection) -> None:
    ws = await _workspace(conn)
    before = await coverage(store, settings, now=FIXED_NOW, modes=MODES)
    assert not before.can_switch_off
    people = _area(before, "people")
    # the demo plays Twenty: its people carry Twenty's default actor (MANUAL, no member named), some
    # created in the window; unattributed rows count as Twenty's
    assert people.status == "twenty" and people.twenty.get("created by Twenty UI, no author recorded", 0) > 0
    assert _area(before, "pipeline").twenty.get("updated in Twenty (timeline)", 0) > 0  # Twenty's event log
    assert _area(before, "timeline").ours.get("arlo activities", 0) > 0  # RedKey's own activity log
    assert "people" in before.verdict and before.verdict.startswith("Twenty cannot be switched off yet")

    # Twenty's UI adds two people, its CSV import one, its mail sync one; the cockpit adds one
    await _twenty_ui_person(conn, ws, "Renée", "O'Connor", "renee.oconnor@acme.com")
    await _twenty_ui_person(conn, ws, "Jean-Luc", "Dupré", "jl.dupre@meridianhealth.com")
    await _twenty_ui_person(conn, ws, "Ana", "García", "ana.garcia@voltaenergy.com", source="IMPORT")
    await _twenty_ui_person(conn, ws, "Sam", "Lee", "sam.lee@brightline.io", source="EMAIL")
    await _twenty_ui_person(conn, ws, "Old", "Row", "old.row@acme.com", when=FIXED_NOW - timedelta(days=45))
    await store.crm.insert_record("crm_contacts", {"first_name": "Mia", "last_name": "Søndergaard"})
    # a note typed in Twenty's UI, and Twenty's Gmail channel syncing
    await conn.execute(f'INSERT INTO "{ws}".note (title, "bodyV2Markdown", "createdAt", "createdByName") '
                       "VALUES (%s, %s, %s, 'Justin Reyes')",
                       ("Call with Dan — pricing", "Wants a 2-year term", FIXED_NOW - timedelta(days=1)))
    await conn.execute(f'CREATE TABLE "{ws}"."messageChannel" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), '
                       '"deletedAt" timestamptz, handle text NOT NULL DEFAULT \'\', "isSyncEnabled" boolean NOT NULL '
                       'DEFAULT true, "syncStatus" text, "syncedAt" timestamptz)')
    await conn.execute(f'INSERT INTO "{ws}"."messageChannel" (handle, "syncStatus", "syncedAt") VALUES '
                       "('justin@bezeliq.com', 'ACTIVE', %s), ('old@bezeliq.com', 'FAILED_UNKNOWN', %s)",
                       (FIXED_NOW - timedelta(hours=1), FIXED_NOW - timedelta(days=90)))

    # a note the cockpit wrote into Twenty's tables (stamped by its trigger) with the timeline row Twenty
    # would have written for the link, and Twenty's own note with its link row
    ours_note, twenty_note = uuid.uuid4(), uuid.uuid4()
    await conn.execute(f'INSERT INTO "{ws}".note (id, title, "createdBySource", "createdByName") VALUES '
                       "(%s, 'Pricing call', 'API', 'RedKey Cockpit'), (%s, 'Board prep', 'MANUAL', 'Justin Reyes')",
                       (ours_note, twenty_note))
    await conn.execute(f'INSERT INTO "{ws}"."timelineActivity" (name, "happensAt", "linkedRecordId", "linkedRecordCachedName") '
                       "VALUES ('linked-note.created', %s, %s, 'Pricing call'), ('linked-note.created', %s, %s, 'Board prep')",
                       (FIXED_NOW, ours_note, FIXED_NOW, twenty_note))
    # Twenty's calendar channel is switched off, but events it synced before arrived in the window
    await conn.execute(f'CREATE TABLE "{ws}"."calendarChannel" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), '
                       '"deletedAt" timestamptz, handle text NOT NULL DEFAULT \'\', "isSyncEnabled" boolean, '
                       '"syncStatus" text)')
    await conn.execute(f'INSERT INTO "{ws}"."calendarChannel" (handle, "isSyncEnabled", "syncStatus") '
                       "VALUES ('justin@bezeliq.com', false, 'ACTIVE')")
    await conn.execute(f'CREATE TABLE "{ws}"."calendarEvent" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), '
                       '"createdAt" timestamptz NOT NULL DEFAULT now(), title text NOT NULL DEFAULT \'\')')
    await conn.execute(f'INSERT INTO "{ws}"."calendarEvent" (title, "createdAt") VALUES (%s, %s)',
                       ("Volta — Pilot review", FIXED_NOW - timedelta(days=3)))
    after = await coverage(store, settings, now=FIXED_NOW, modes=MODES)
    calendar = _area(after, "calendar sync")
    assert calendar.twenty_syncing == [] and calendar.twenty == {"calendarEvent rows synced by Twenty": 1}
    timeline = _area(after, "timeline")
    assert timeline.ours["note/task links by the cockpit"] == 1
    assert timeline.twenty["timeline events written by Twenty"] == (
        _area(before, "timeline").twenty["timeline events written by Twenty"] + 1)
    people = _area(after, "people")
    assert people.twenty["created by Twenty UI"] == _area(before, "people").twenty.get("created by Twenty UI", 0) + 2
    assert people.twenty["created by Twenty import"] == 1 and people.twenty["created by Twenty mail sync"] == 1
    assert people.ours == {"created by cockpit": 1}  # the cockpit's own contact is not Twenty's
    imp = _area(after, "import")
    assert imp.status == "twenty" and imp.twenty == {"people imported by Twenty's import": 1}
    mail = _area(after, "email sync")
    assert mail.status == "twenty" and mail.twenty_syncing == ["justin@bezeliq.com"]
    assert "people created by Twenty mail sync" in mail.twenty
    notes = _area(after, "notes")
    assert notes.status == "twenty" and notes.twenty == {"created by Twenty UI": 2}
    assert notes.ours == {"created by cockpit": 1}
    assert any(d.startswith("email sync: ") and "justin@bezeliq.com syncing" in d for d in after.depends)
    for name in ("people", "import", "email sync", "notes"):
        assert name in after.verdict

    # Justin approves one of arlo's proposals in the cockpit: evidence of the cockpit's work on that record
    from cockpit.approvals.service import approve

    pending = (await store.approvals.pending_proposals(limit=10)).items
    entity = pending[0].entity_type
    await approve(store, pending[0].proposal_id, reviewer="justin")
    area = {"contact": "people", "company": "companies", "deal": "pipeline"}.get(entity, "people")
    decided = await coverage(store, settings, now=FIXED_NOW, modes=MODES)
    assert _area(decided, area).ours.get("proposals decided in the cockpit") == 1


async def _clean_client(empty_db_url: str, tmp_path: Path, **overrides) -> tuple[Settings, Store, str]:  # type: ignore[no-untyped-def]
    """A client whose workspace (Twenty-shaped, empty) only the cockpit and arlo write to."""
    settings = Settings(database_url=empty_db_url, client_id="alpenrose", data_dir=tmp_path, _env_file=None,  # type: ignore[call-arg]
                        **overrides)
    admin = await Store.open(settings, client_id="", min_size=0, max_size=2)
    ws = "workspace_alpenrose1"
    try:
        await admin.admin.ensure_client("alpenrose", "Alpenrose Käserei")
        await admin.admin.create_fixture_workspace(ws)
        await admin.admin.register_workspace(ws, "alpenrose", is_fixture=True)
    finally:
        await admin.close()
    store = await Store.open(settings, min_size=0, max_size=3)
    firm = await store.crm.insert_record("crm_companies", {"name": "Bergbahn Zermatt AG", "domain": "bergbahn.ch"})
    person = await store.crm.insert_record("crm_contacts", {"first_name": "Lukas", "last_name": "Müller",
                                                            "email": "lukas.mueller@bergbahn.ch", "company_id": firm.id})
    deal = await store.crm.insert_record("crm_deals", {"name": "Bergbahn — Ticketing", "stage_id": "NEW", "amount": 18_500,
                                                       "currency": "CHF", "company_id": firm.id, "contact_id": person.id})
    arlo = store.scoped("alpenrose", source="arlo", actor="arlo")
    await arlo.crm.update_operational("crm_contacts", person.id, job_title="Leiter Vertrieb")
    await store.crm.move_deal(deal.id, "SCREENING")
    await arlo.crm.log_activity(kind="email_sent", channel="email", direction="outbound",
                                subject="Offerte Ticketing", contact_id=person.id, deal_id=deal.id)
    return settings, store, ws


async def test_coverage_where_twenty_writes_nothing_then_again(empty_db_url: str, tmp_path: Path) -> None:
    settings, store, ws = await _clean_client(empty_db_url, tmp_path, imap_url="imaps://justin:pw@imap.alpenrose.ch")
    try:
        async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
            await conn.execute("INSERT INTO redkey.mail_sync_state (client_id, mailbox, folder, uidvalidity, last_uid, "
                               "synced_at) VALUES ('alpenrose', 'justin@imap.alpenrose.ch:993', 'INBOX', 1, 40, now())")
            report = await coverage(store, settings, modes=MODES)
            assert report.verdict == "Twenty can be switched off" and report.can_switch_off and not report.depends
            assert all(a.status in ("cockpit", "gap") and a.twenty_total == 0 for a in report.areas)
            assert _area(report, "people").ours == {"created by cockpit": 1}  # v1.10: no updatedBy* to stamp
            assert _area(report, "companies").ours == {"created by cockpit": 1}
            assert _area(report, "pipeline").ours == {"created by cockpit": 1, "stage moves by cockpit": 1}
            assert _area(report, "timeline").ours == {"arlo activities": 1, "cockpit activities": 1}
            assert _area(report, "email sync").status == "cockpit"  # configured and synced just now
            assert _area(report, "calendar sync").status == "gap"  # nobody syncs calendars: not a dependency

            # Justin types one person into Twenty's UI: the verdict turns
            await _twenty_ui_person(conn, ws, "Heidi", "Brunner", "heidi@bergbahn.ch", when=datetime.now(UTC))
            report = await coverage(store, settings, modes=MODES)
            assert not report.can_switch_off
            assert report.verdict == "Twenty cannot be switched off yet: still depends on Twenty for people"
            assert report.depends == ["people: covered, but Twenty still does it: 1 created by Twenty UI"]
            # ... and looking back only at writes after it, Twenty is again idle
            later = await coverage(store, settings, days=1, now=datetime.now(UTC) + timedelta(days=2), modes=MODES)
            assert later.can_switch_off

            # a custom object with rows only Twenty shows keeps Twenty needed, even with no recent writes
            await conn.execute(f'CREATE TABLE "{ws}"."_skiPass" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), '
                               '"createdAt" timestamptz NOT NULL DEFAULT now(), "deletedAt" timestamptz, name text)')
            await conn.execute(f'INSERT INTO "{ws}"."_skiPass" (name, "createdAt") VALUES (%s, %s)',
                               ("Saisonkarte 2026/27", FIXED_NOW - timedelta(days=200)))
            later = await coverage(store, settings, days=1, now=datetime.now(UTC) + timedelta(days=2), modes=MODES)
            assert [(o.table, o.rows, o.recent_rows) for o in later.custom_objects] == [("_skiPass", 1, 0)]
            assert later.depends == ["custom object _skiPass: 1 rows only Twenty shows"]
    finally:
        await store.close()


async def test_a_missing_view_or_screen_is_not_coverage(store: Store, settings: Settings) -> None:
    report = await coverage(store, settings, now=FIXED_NOW, modes={"pipeline"})
    people = _area(report, "people")
    assert not people.covered and people.how == "missing contacts screen"
    assert "only Twenty does it" in people.why()
    assert _area(report, "search").covered  # the search functions exist
    # mailboxes configured for another client, or a mailbox URL that does not read: not this client's sync
    other = settings.model_copy(update={"imap_url": "imaps://justin:pw@imap.northwind.io", "mail_client": "northwind"})
    mail = _area(await coverage(store, other, now=FIXED_NOW, modes=MODES), "email sync")
    assert not mail.covered and mail.how == "the IMAP mailboxes configured belong to client northwind"
    bad = settings.model_copy(update={"imap_url": "ftp://justin@imap.bezeliq.com"})
    mail = _area(await coverage(store, bad, now=FIXED_NOW, modes=MODES), "email sync")
    assert not mail.covered and mail.how.startswith("IMAP mailbox misconfigured: ")


@pytest.mark.parametrize("as_json", [True, False])
def test_coverage_command(db_url: str, tmp_path: Path, as_json: bool) -> None:
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    out = cockpit("coverage", *(["--json"] if as_json else []), "--days", "3650", env=env)
    _no_traceback(out)
    assert out.returncode == 3, out.stderr  # the demo's Twenty still writes
    if as_json:
        data = json.loads(out.stdout)
        assert data["can_switch_off"] is False and data["verdict"].startswith("Twenty cannot be switched off yet")
        assert [a["name"] for a in data["areas"]][:3] == ["pipeline", "people", "companies"]
        assert next(a for a in data["areas"] if a["name"] == "people")["status"] == "twenty"
    else:
        assert "Verdict: Twenty cannot be switched off yet" in out.stdout and "people" in out.stdout
    unscoped = cockpit("coverage", env={**env, "COCKPIT_CLIENT_ID": "nosuchclient"})
    _no_traceback(unscoped)
    assert unscoped.returncode != 0 and unscoped.stderr.count("\n") == 1


# --- the screen ------------------------------------------------------------------------------------
async def test_coverage_screen_shows_the_verdict_and_follows_twentys_writes(store: Store, settings: Settings,
                                                                           conn: psycopg.AsyncConnection) -> None:
    from textual.widgets import DataTable, Static

    from screens.coverage import CoverageScreen
    from tests.screen_apps import cockpit_app, open_mode
    from tests.tui_support import screen_text, wait_until

    app = cockpit_app(settings, store, refresh_seconds=0.5)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_mode(pilot, "coverage", CoverageScreen)
        table = screen.query_one("#coverage-areas", DataTable)
        await wait_until(pilot, lambda: table.row_count == 11, what="the areas", timeout=15)
        text = screen_text(app)
        assert "Twenty cannot be switched off yet" in text and "people" in text
        people_twenty = int(str(table.get_row("people")[2]))
        assert str(table.get_row("people")[1]) == "TWENTY"
        # the cursor on people: its writes by who
        table.focus()
        table.move_cursor(row=table.get_row_index("people"))
        await pilot.pause()
        assert "created by Twenty UI" in str(screen.query_one("#coverage-detail", Static).render())

        # Twenty's UI adds a person: the open screen counts it (the change feed's poll sees Twenty's writes)
        await _twenty_ui_person(conn, await _workspace(conn), "Noémie", "Laurent", "noemie@acme.com")
        await wait_until(pilot, lambda: int(str(table.get_row("people")[2])) == people_twenty + 1,
                         what="Twenty's new person counted", timeout=15)
        # d: another window (90 days counts more of the demo's Twenty writes)
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.report is not None and screen.report.days == 90, what="90 days")
        assert int(str(table.get_row("people")[2])) > people_twenty + 1
        assert "last 90 days" in screen_text(app)


def test_coverage_snapshot_80x24(snap_compare, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import DataTable, Input

    from screens.coverage import CoverageScreen
    from tests.screen_apps import cockpit_app, open_mode
    from tests.tui_support import wait_until

    monkeypatch.setattr(Input, "cursor_blink", False)
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, refresh_seconds=3600,
                        _env_file=None)  # type: ignore[call-arg]

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_mode(pilot, "coverage", CoverageScreen)
        await wait_until(pilot, lambda: screen.query_one("#coverage-areas", DataTable).row_count == 11,
                         what="loaded", timeout=15)
        await pilot.pause()

    assert snap_compare(cockpit_app(settings, refresh_seconds=3600), terminal_size=(80, 24), run_before=ready)
