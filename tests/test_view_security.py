"""Attacks on the generated Layer 2, run again and refused: schema-name injection, operational inserts of
strategic fields, writes into another client through a writable view, a scope switched mid-statement,
a temporary table shadowing what a SECURITY DEFINER function names."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from cockpit.db import layer2
from cockpit.db.layer1 import read_shape
from cockpit.db.views import Workspace
from cockpit.errors import PermissionDenied, WorkspaceRejected
from cockpit.store import Store

INJECTION = "'::name::text::regclass IS NULL;CREATE TABLE pwned();--"
QUOTE = "workspace_o'brien"


async def _pwned(conn) -> bool:  # type: ignore[no-untyped-def]
    return (await (await conn.execute("SELECT to_regclass('public.pwned') IS NOT NULL")).fetchone())[0]


async def _renamed_fixture(store: Store, conn, name: str) -> None:  # type: ignore[no-untyped-def]
    """A real Twenty-shaped workspace schema, renamed to ``name`` (what an attacker with DDL could do)."""
    base = "workspace_" + uuid.uuid4().hex[:12]
    await store.admin.create_fixture_workspace(base)
    await conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(base), sql.Identifier(name)))


@pytest.mark.parametrize("name", [INJECTION, QUOTE, "Workspace_Upper", "public"])
async def test_workspace_add_refuses_names_twenty_never_creates(store: Store, conn, name: str) -> None:
    if name != "public":
        await _renamed_fixture(store, conn, name)
    with pytest.raises(WorkspaceRejected) as info:
        await store.admin.register_workspace(name, "intruder")
    assert "not a usable Twenty workspace" in str(info.value) and "workspace_<id>" in str(info.value)
    assert not await _pwned(conn)
    assert name not in [w.schema_name for w in await store.admin.workspaces()]


async def test_generation_refuses_a_bad_name_registered_behind_its_back(store: Store, conn) -> None:
    await _renamed_fixture(store, conn, INJECTION)
    await conn.execute("INSERT INTO redkey.workspaces (schema_name, client_id) VALUES (%s, 'bezeliq')", (INJECTION,))
    with pytest.raises(WorkspaceRejected):
        async with conn.transaction():
            await layer2.regenerate(conn)
    assert not await _pwned(conn)


@pytest.mark.parametrize("name", [INJECTION, QUOTE])
async def test_generated_sql_quotes_every_schema_name(store: Store, conn, name: str) -> None:
    """Even past the name check, the generated statements carry the name as an identifier only."""
    await _renamed_fixture(store, conn, name)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with conn.transaction():
            workspaces = await layer2.load_workspaces(conn)
            workspaces.append(Workspace(name, "intruder", await read_shape(conn, name)))
            await conn.execute("INSERT INTO redkey.clients (client_id, name) VALUES ('intruder', 'x')")
            for stmt in layer2.generate(workspaces):
                await conn.execute(stmt)
            assert not await _pwned(conn)
            await conn.execute("SELECT set_config('redkey.client_id', 'intruder', true)")
            stages = await (await conn.execute("SELECT stage_id FROM crm_pipeline ORDER BY position")).fetchall()
            assert [s[0] for s in stages][:2] == ["NEW", "SCREENING"]
            raise Rollback
    assert not await _pwned(conn)


# --- INSERT privileges are column-level -------------------------------------------------------------

async def _count(conn, view: str, client: str = "bezeliq") -> int:  # type: ignore[no-untyped-def]
    async with conn.transaction():
        await conn.execute("SELECT set_config('redkey.client_id', %s, true)", (client,))
        return (await (await conn.execute(f"SELECT count(*) FROM {view}")).fetchone())[0]


@pytest.mark.parametrize("view, fields", [
    ("crm_contacts", {"first_name": "Ève", "priority": "high"}),
    ("crm_contacts", {"first_name": "Ève", "strategy_note": "Push hard"}),
    ("crm_companies", {"name": "Rossi & Figli S.p.A.", "relationship_note": "friend of Justin"}),
    ("crm_deals", {"name": "Side deal", "stage_id": "DEMO"}),
])
async def test_an_operational_insert_cannot_set_strategic_fields(store: Store, conn, view: str,
                                                                 fields: dict) -> None:  # type: ignore[type-arg]
    before = await _count(conn, view)
    with pytest.raises(PermissionDenied):
        await store.crm.insert_record(view, fields, role="operational")  # type: ignore[arg-type]
    assert await _count(conn, view) == before


async def test_the_trigger_refuses_what_a_table_wide_grant_would_let_through(store: Store, conn) -> None:
    """A role given table-wide INSERT elsewhere (a platform's default privileges) is still held to the
    registry by the write trigger: no strategic field from the operational role, no record from a role
    that does not create the view's records."""
    outsider = "platform_" + uuid.uuid4().hex[:10]
    await conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(outsider)))
    try:
        await conn.execute(sql.SQL("GRANT INSERT ON public.crm_contacts, public.crm_deals TO redkey_operational, {}")
                           .format(sql.Identifier(outsider)))
        before = await _count(conn, "crm_contacts")
        for role, stmt, message in (
                ("redkey_operational", "INSERT INTO crm_contacts (first_name, priority) VALUES ('Zoë', 'high')",
                 "crm_contacts.priority is a strategic field"),
                ("redkey_operational", "INSERT INTO crm_deals (name, stage_id) VALUES ('Side deal', 'DEMO')",
                 "created under the strategic role"),
                (outsider, "INSERT INTO crm_contacts (first_name) VALUES ('Zoë')",
                 "created under the operational role")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=message):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true), "
                                       "set_config('role', %s, true)", (role,))
                    await conn.execute(stmt)
        assert await _count(conn, "crm_contacts") == before
    finally:
        await conn.execute(sql.SQL("REVOKE ALL ON public.crm_contacts, public.crm_deals FROM {}")
                           .format(sql.Identifier(outsider)))
        await conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(outsider)))


# --- no writable view takes a row for another client -------------------------------------------------

async def _writable_views(conn) -> set[str]:  # type: ignore[no-untyped-def]
    rows = await (await conn.execute(
        "SELECT table_name FROM information_schema.table_privileges WHERE table_schema = 'public' "
        "AND privilege_type IN ('INSERT', 'UPDATE') AND grantee LIKE 'redkey_%' UNION "
        "SELECT table_name FROM information_schema.column_privileges WHERE table_schema = 'public' "
        "AND privilege_type IN ('INSERT', 'UPDATE') AND grantee LIKE 'redkey_%'")).fetchall()
    return {r[0] for r in rows}


async def test_every_writable_view_refuses_a_row_for_another_client(conn) -> None:  # type: ignore[no-untyped-def]
    async with conn.transaction():
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
        contact = (await (await conn.execute("SELECT id FROM crm_contacts LIMIT 1")).fetchone())[0]
        sequence = (await (await conn.execute("SELECT id FROM crm_sequences LIMIT 1")).fetchone())[0]
    cases = {
        "crm_contacts": ("operational", {"first_name": "Eve"}),
        "crm_companies": ("operational", {"name": "Evil Corp"}),
        "crm_deals": ("strategic", {"name": "Evil deal", "stage_id": "PROSPECT"}),
        "crm_activities": ("operational", {"kind": "note", "subject": "planted"}),
        "crm_sequences": ("operational", {"name": "Planted sequence"}),
        "crm_sequence_contacts": ("operational", {"sequence_id": sequence, "contact_id": contact}),
        "crm_client_context": ("operational", {"contact_id": uuid.uuid4(), "context_json": '{}'}),
        "crm_client_context_history": ("operational", {"contact_id": contact, "context_json": '{}',
                                                       "change_note": "planted", "changed_by": "eve"}),
        "crm_notes": ("strategic", {"title": "planted", "contact_id": contact}),
        "crm_tasks": ("strategic", {"title": "planted", "contact_id": contact}),
    }
    assert await _writable_views(conn) == set(cases), "a writable view without a cross-client case here"
    for view, (role, fields) in cases.items():
        for client, refused in (("northwind", True), ("bezeliq", False)):
            row = {"client_id": client, **fields}
            stmt = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier(view), sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row)))
            try:
                async with conn.transaction():
                    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true), "
                                       "set_config('role', %s, true)", (f"redkey_{role}",))
                    await conn.execute(stmt, list(row.values()))
                    raise AssertionError("rolled back") if not refused else AssertionError(
                        f"{view} took a row for client {client} from a bezeliq session")
            except psycopg.Error as exc:
                assert refused, f"{view}: the bezeliq control row was refused: {exc}"
            except AssertionError as exc:
                if refused or str(exc) != "rolled back":
                    raise
    assert await _count(conn, "crm_contacts", "northwind") > 0  # northwind's own rows are still there


# --- the row's client, not the session's current scope ----------------------------------------------

async def test_switching_scope_mid_statement_writes_nothing_under_the_other_client(store: Store, conn) -> None:
    contact = (await store.crm.contacts_page("sarah chen")).items[0]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="record of client bezeliq"):
        async with conn.transaction():
            await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true), "
                               "set_config('role', 'redkey_operational', true)")
            await conn.execute(
                "UPDATE crm_contacts SET industry = 'Espionage' "
                "WHERE id = %s AND set_config('redkey.client_id', 'northwind', true) = 'northwind'", (contact.id,))
    planted = (await (await conn.execute(
        "SELECT count(*) FROM redkey.contact_ext WHERE record_id = %s AND client_id <> 'bezeliq'",
        (contact.id,))).fetchone())[0]
    assert planted == 0
    assert (await store.crm.contact(contact.id)).industry == contact.industry


async def test_switching_scope_mid_statement_cannot_touch_an_activity(store: Store, conn) -> None:
    contact = (await store.crm.contacts_page("sarah chen")).items[0]
    act = await store.crm.log_activity(kind="note", subject="call notes", contact_id=contact.id)
    assert act is not None
    try:  # refused, or (depending on the plan) the row is out of scope by the time it is reached
        async with conn.transaction():
            await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true), "
                               "set_config('role', 'redkey_operational', true)")
            await conn.execute(
                "UPDATE crm_activities SET summary = 'rewritten' "
                "WHERE id = %s AND set_config('redkey.client_id', 'northwind', true) = 'northwind'", (act.id,))
    except psycopg.errors.InsufficientPrivilege as exc:
        assert "record of client bezeliq" in str(exc)
    row = await (await conn.execute("SELECT summary FROM redkey.activities WHERE id = %s", (act.id,))).fetchone()
    assert row == (None,)


# --- SECURITY DEFINER functions: pg_temp last ------------------------------------------------------

async def test_a_temp_table_named_tsquery_does_not_break_search(store: Store) -> None:
    async with store.db.tx("readonly") as c:
        await c.execute("CREATE TEMP TABLE tsquery (x int) ON COMMIT DROP")
        rows = await (await c.execute("SELECT full_name FROM crm_search_contacts('sarah', 5)")).fetchall()
    assert rows and all("Sarah" in r[0] for r in rows)


async def test_every_security_definer_function_pins_pg_temp_last(conn) -> None:  # type: ignore[no-untyped-def]
    rows = await (await conn.execute(
        "SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.prosecdef AND n.nspname IN ('public', 'redkey')")).fetchall()
    assert len(rows) > 5
    for fn, config in rows:
        path = [c for c in (config or []) if c.startswith("search_path=")]
        assert path and path[0].replace(" ", "").endswith(",pg_temp"), (fn, config)
