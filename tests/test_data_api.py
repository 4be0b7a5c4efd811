"""Supabase's Data API roles and default privileges, recreated: nothing RedKey creates is readable,
writable or callable by ``anon`` or by ``authenticated`` without a ``client_id`` claim; with the claim,
reads see that client's rows only.

The database gets what a Supabase project has before the first migration: roles anon, authenticated
and service_role, and ``ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES / FUNCTIONS /
SEQUENCES TO anon, authenticated, service_role`` (Supabase's own development set-up runs the same).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.data_api import exposures
from cockpit.doctor import run_doctor
from cockpit.db.migrate import migrate
from cockpit.demo import seed_demo
from cockpit.db.embedded import with_database as _with_db
from tests.conftest import FIXED_NOW, _admin, _drop

SUPABASE_DEFAULTS = """
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
"""


def _ensure_api_roles(admin: psycopg.Connection) -> None:
    for role in ("anon", "authenticated", "service_role"):
        try:
            admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # cluster-wide: another database (or worker) created it


@pytest.fixture
def supabase_db_url(pg_server_url: str) -> Iterator[str]:
    import uuid

    name = f"cockpit_sb_{uuid.uuid4().hex[:10]}"
    with _admin(pg_server_url) as admin:
        _ensure_api_roles(admin)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_db(pg_server_url, name)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(SUPABASE_DEFAULTS)
    try:
        yield url
    finally:
        with _admin(pg_server_url) as admin:
            _drop(admin, name)


@pytest.fixture
async def api(supabase_db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    c = await psycopg.AsyncConnection.connect(supabase_db_url, autocommit=True)
    await seed_demo(c, deals=20, contacts=40, now=FIXED_NOW)  # resets, migrates, loads two clients
    try:
        yield c
    finally:
        await c.close()


async def _objects(c: psycopg.AsyncConnection) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Every RedKey relation (name, kind, first column) and function (a call with NULL arguments)."""
    rels = await (await c.execute("""
        SELECT format('%I.%I', n.nspname, cl.relname), cl.relkind::text,
               (SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = cl.oid AND attnum > 0
                AND NOT attisdropped AND attidentity = '' ORDER BY attnum DESC LIMIT 1)
        FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE cl.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND (n.nspname = 'redkey' OR (n.nspname = 'public' AND cl.relname LIKE 'crm\\_%')
               OR n.nspname IN (SELECT schema_name FROM redkey.client_schemas))
        ORDER BY 1""")).fetchall()
    fns = await (await c.execute("""
        SELECT format('SELECT %I.%I(%s)', n.nspname, p.proname,
                      (SELECT string_agg('NULL::' || format_type(t, NULL), ', ')
                       FROM unnest(p.proargtypes::oid[]) t))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.prokind = 'f' AND (n.nspname = 'redkey' OR (n.nspname = 'public' AND p.proname LIKE 'crm\\_%')
                                   OR n.nspname IN (SELECT schema_name FROM redkey.client_schemas))
        ORDER BY 1""")).fetchall()
    return [tuple(r) for r in rels], [r[0] for r in fns]  # type: ignore[misc]


async def _as(c: psycopg.AsyncConnection, role: str, claims: dict[str, str], stmt: str) -> list[tuple] | str:  # type: ignore[type-arg]
    """Run ``stmt`` as PostgREST would for a request (role and JWT claims set for the transaction);
    the rows, or the error message."""
    try:
        async with c.transaction(force_rollback=True):
            await c.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
            await c.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            cur = await c.execute(stmt)  # type: ignore[arg-type]
            return await cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        return f"{exc.sqlstate}: {exc.diag.message_primary}"


def _writes(name: str, kind: str, col: str | None) -> list[str]:
    if kind == "S":
        return [f"SELECT nextval('{name}')"]
    out = [f"INSERT INTO {name} DEFAULT VALUES", f"DELETE FROM {name} WHERE false"]
    if col:
        out.append(f"UPDATE {name} SET {col} = {col} WHERE false")
    return out


def _refused(result: list | str) -> bool:  # type: ignore[type-arg]
    """Permission denied, or (for a view no one can write, such as crm_pipeline) not writable at all."""
    return isinstance(result, str) and (result.startswith("42501: permission denied")
                                        or result.startswith("55000: cannot "))


async def _may_write(c: psycopg.AsyncConnection, role: str, name: str, kind: str) -> bool:
    if kind == "S":
        q = "SELECT has_sequence_privilege(%s, %s, 'USAGE,UPDATE')"
    else:
        q = ("SELECT has_table_privilege(%s, %s, 'INSERT,UPDATE,DELETE,TRUNCATE')"
             " OR has_any_column_privilege(%s, %s, 'INSERT,UPDATE')")
    args = (role, name) if kind == "S" else (role, name, role, name)
    return bool((await (await c.execute(q, args)).fetchone())[0])  # type: ignore[index]


async def test_anon_and_claimless_callers_reach_nothing(api: psycopg.AsyncConnection) -> None:
    rels, fns = await _objects(api)
    assert len(rels) > 40 and any(r[0] == "public.crm_client_context_history" for r in rels)
    assert "SELECT public.crm_move_deal(NULL::uuid, NULL::text)" in fns
    assert any(r[0] == "client_bezeliq.crm_contacts" for r in rels)
    assert "SELECT client_northwind.crm_move_deal(NULL::uuid, NULL::text)" in fns
    denied = "42501: permission denied"
    for role, claims in (("anon", {"role": "anon"}), ("authenticated", {"role": "authenticated", "sub": "u-1"})):
        for name, kind, col in rels:
            read = await _as(api, role, claims, f"SELECT * FROM {name} LIMIT 1")
            if role == "authenticated" and kind == "v" and name.startswith("public.crm_"):
                assert read == [], (role, name, read)  # granted, but no claim: no client, no rows
            else:
                assert isinstance(read, str) and read.startswith(denied), (role, name, read)
            for stmt in _writes(name, kind, col):
                result = await _as(api, role, claims, stmt)
                assert _refused(result), (role, stmt, result)
            assert not await _may_write(api, role, name, kind)
        for call in fns:
            result = await _as(api, role, claims, call)
            assert isinstance(result, str) and result.startswith(denied), (role, call, result)


async def test_a_client_claim_reads_that_client_only_and_writes_nothing(api: psycopg.AsyncConnection) -> None:
    rels, fns = await _objects(api)
    views = [name for name, kind, _ in rels if kind == "v" and name.startswith("public.crm_")]
    for client in ("bezeliq", "northwind"):
        claims = {"role": "authenticated", "sub": "u-2", "client_id": client}
        for view in views:
            rows = await _as(api, "authenticated", claims, f"SELECT DISTINCT client_id FROM {view}")
            assert isinstance(rows, list) and set(rows) <= {(client,)}, (view, rows)
        for view in ("public.crm_contacts", "public.crm_deals", "public.crm_pipeline"):
            assert await _as(api, "authenticated", claims, f"SELECT DISTINCT client_id FROM {view}") == [(client,)]
        for name, kind, col in rels:
            for stmt in _writes(name, kind, col):
                result = await _as(api, "authenticated", claims, stmt)
                assert _refused(result), (stmt, result)
        moved = await _as(api, "authenticated", claims,
                          "SELECT public.crm_move_deal((SELECT id FROM public.crm_deals LIMIT 1), 'WON')")
        assert isinstance(moved, str) and "permission denied for function crm_move_deal" in moved
        # user_metadata is the user's to edit: a client_id there scopes nothing
        forged = await _as(api, "authenticated", {"role": "authenticated", "user_metadata": {"client_id": client}},  # type: ignore[dict-item]
                           "SELECT count(*) FROM public.crm_contacts")
        assert forged == [(0,)]


async def test_objects_created_later_are_locked_down_by_the_next_migrate(api: psycopg.AsyncConnection,
                                                                        supabase_db_url: str) -> None:
    roles, found = await exposures(api)
    assert roles == ["anon", "authenticated"] and found == []
    # What a later migration or a hand-made view gets from the default privileges:
    await api.execute("CREATE VIEW public.crm_notes_draft AS SELECT client_id, name FROM redkey.clients"
                      " WHERE client_id = redkey.current_client_id()")
    await api.execute("CREATE TABLE public.unrelated_app_table (x int)")  # not RedKey's: left alone
    _, found = await exposures(api)
    assert "anon may INSERT public.crm_notes_draft" in [str(e) for e in found]
    assert not any("unrelated" in e.object for e in found)
    lines: list[str] = []
    assert not await run_doctor(Settings(database_url=supabase_db_url, client_id="bezeliq", _env_file=None),  # type: ignore[call-arg]
                                lines.append)
    data_api = next(line for line in lines if line.startswith("data-api"))
    assert data_api.split()[1] == "FAIL" and "public.crm_notes_draft" in data_api and "cockpit migrate" in data_api
    assert await migrate(api) == []  # nothing pending, yet the lock-down ran
    _, found = await exposures(api)
    assert found == []
    assert (await _as(api, "anon", {"role": "anon"}, "SELECT * FROM public.crm_notes_draft")).startswith("42501")  # type: ignore[union-attr]
    assert await _as(api, "anon", {"role": "anon"}, "SELECT count(*) FROM public.unrelated_app_table") == [(0,)]
    lines.clear()
    await run_doctor(Settings(database_url=supabase_db_url, client_id="bezeliq", _env_file=None), lines.append)  # type: ignore[call-arg]
    assert next(line for line in lines if line.startswith("data-api")).split()[1] == "ok"
    # A second run with nothing to revoke changes nothing.
    assert (await (await api.execute("SELECT redkey.lock_down_data_api()")).fetchone()) == (0,)


async def test_grants_in_a_client_schema_are_flagged_and_locked_down(api: psycopg.AsyncConnection,
                                                                    supabase_db_url: str) -> None:
    # What a hand-made grant (or a default privilege on the schema) would give the Data API roles:
    await api.execute("GRANT USAGE ON SCHEMA client_bezeliq TO anon, authenticated")
    await api.execute("GRANT SELECT ON client_bezeliq.crm_contacts TO authenticated")
    await api.execute("GRANT EXECUTE ON FUNCTION client_bezeliq.crm_move_deal(uuid, text) TO PUBLIC")
    _, found = await exposures(api)
    flagged = {str(e) for e in found}
    assert {"anon may USAGE schema client_bezeliq", "authenticated may SELECT client_bezeliq.crm_contacts",
            "anon may EXECUTE client_bezeliq.crm_move_deal(uuid,text)"} <= flagged, flagged
    lines: list[str] = []
    assert not await run_doctor(Settings(database_url=supabase_db_url, client_id="bezeliq", _env_file=None),  # type: ignore[call-arg]
                                lines.append)
    data_api = next(line for line in lines if line.startswith("data-api"))
    assert data_api.split()[1] == "FAIL" and "client_bezeliq" in data_api
    assert await migrate(api) == []  # the lock-down runs over the client schemas too
    assert (await exposures(api))[1] == []
    claims = {"role": "authenticated", "sub": "u-3", "client_id": "bezeliq"}
    read = await _as(api, "authenticated", claims, "SELECT * FROM client_bezeliq.crm_contacts LIMIT 1")
    assert isinstance(read, str) and read.startswith("42501"), read
    # the store's own session role still reads its client's schema
    async with api.transaction(force_rollback=True):
        await api.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
        await api.execute("SET LOCAL ROLE redkey_cockpit_readonly")
        rows = await (await api.execute("SELECT DISTINCT client_id FROM client_bezeliq.crm_contacts")).fetchall()
    assert rows == [("bezeliq",)]
