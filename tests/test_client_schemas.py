"""Per-client schemas: the same rows, contract, grants and triggers as public.crm_*, one client's branches
only; reachable by the store's sessions and nobody else; regenerated per client; cleaned up on remove."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.matches import MATCHES
from cockpit.db.views import CONTRACT, client_schema
from cockpit.db.writes import SEARCHES
from cockpit.errors import NotFound
from cockpit.store import Store

CLIENTS = ("bezeliq", "northwind", "third-co")


async def _store(url: str, client: str | None = None) -> Store:
    return await Store.open(Settings(database_url=url, _env_file=None), client_id=client,  # type: ignore[call-arg]
                            min_size=0, max_size=2)


async def _add_third_client(url: str) -> None:
    """A client with two workspaces (and an id that needs its schema name derived)."""
    store = await _store(url)
    try:
        for ws in ("workspace_third1", "workspace_third2"):
            await store.admin.create_fixture_workspace(ws, ["NEW", "QUALIFIED", "WON"])
            await store.admin.register_workspace(ws, "third-co", label="Third Co")
    finally:
        await store.close()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for ws, first in (("workspace_third1", "Zoë"), ("workspace_third2", "Renée")):
            person = uuid.uuid4()
            await conn.execute(
                f'INSERT INTO "{ws}".person (id, "nameFirstName", "nameLastName", "emailsPrimaryEmail") '
                "VALUES (%s, %s, 'Dupont-Lefèvre', %s)", (person, first, f"{first.lower()}@third.example"))
            await conn.execute(f'INSERT INTO "{ws}".opportunity (name, stage, "pointOfContactId") '
                               "VALUES (%s, 'QUALIFIED', %s)", (f"{first}'s deal", person))


async def _rows(conn: psycopg.AsyncConnection, query: sql.Composable) -> list[str]:
    cur = await conn.execute(query)
    return sorted(json.dumps(r, default=str, sort_keys=True) for r in await cur.fetchall())


async def _scope(conn: psycopg.AsyncConnection, client: str | None, role: str | None = None) -> None:
    await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client or "",))
    await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)) if role else sql.SQL("RESET ROLE"))


async def test_per_client_and_public_views_return_the_same_rows_for_every_client(db_url: str) -> None:
    await _add_third_client(db_url)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for client in CLIENTS:
            ns = sql.Identifier(client_schema(client))
            for role in (None, "redkey_cockpit_readonly"):
                await _scope(conn, client, role)
                for view in CONTRACT:
                    mine = await _rows(conn, sql.SQL("SELECT * FROM {}.{}").format(ns, sql.Identifier(view)))
                    public = await _rows(conn, sql.SQL("SELECT * FROM public.{}").format(sql.Identifier(view)))
                    assert mine == public, (client, role, view)
                    if view in ("crm_contacts", "crm_deals", "crm_pipeline"):
                        assert mine, (client, view)  # every client has rows there: the comparison means something
                for view, fn in SEARCHES.items():
                    for text in ("", "a", "dupont", "zo", "!!!"):
                        call = "SELECT * FROM {}.{}(%s, 1000)"
                        cur = await conn.execute(sql.SQL(call).format(ns, sql.Identifier(fn)), (text,))
                        mine = sorted(json.dumps(r, default=str) for r in await cur.fetchall())
                        cur = await conn.execute(sql.SQL(call).format(sql.Identifier("public"), sql.Identifier(fn)), (text,))
                        assert mine == sorted(json.dumps(r, default=str) for r in await cur.fetchall()), (client, fn, text)
                for fn in MATCHES.values():  # what an export of the screen's search reads
                    for text in ("a", "dupont", "zo", "!!!"):
                        call = "SELECT * FROM {}.{}(%s)"
                        cur = await conn.execute(sql.SQL(call).format(ns, sql.Identifier(fn)), (text,))
                        mine = sorted(str(r[0]) for r in await cur.fetchall())
                        cur = await conn.execute(sql.SQL(call).format(sql.Identifier("public"), sql.Identifier(fn)), (text,))
                        assert mine == sorted(str(r[0]) for r in await cur.fetchall()), (client, fn, text)
                        if fn == "crm_match_contacts" and text == ("dupont" if client == "third-co" else "a"):
                            assert mine, (client, fn)  # the comparison means something
            # and both are what Layer 1 holds for that client's workspaces (read without any view)
            await _scope(conn, client)
            cur = await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = %s", (client,))
            spaces = [r[0] for r in await cur.fetchall()]
            for view, table in (("crm_contacts", "person"), ("crm_companies", "company"), ("crm_deals", "opportunity")):
                raw = set()
                for ws in spaces:
                    cur = await conn.execute(sql.SQL('SELECT id FROM {}.{} WHERE "deletedAt" IS NULL').format(
                        sql.Identifier(ws), sql.Identifier(table)))
                    raw |= {r[0] for r in await cur.fetchall()}
                cur = await conn.execute(sql.SQL("SELECT id FROM {}.{}").format(ns, sql.Identifier(view)))
                assert {r[0] for r in await cur.fetchall()} == raw and (raw or client == "third-co"), (client, view)
            # fail closed: scoped to another client, or to none, a client's schema shows nothing
            for other in (c for c in CLIENTS if c != client):
                await _scope(conn, other)
                for view in CONTRACT:
                    assert await _rows(conn, sql.SQL("SELECT * FROM {}.{}").format(ns, sql.Identifier(view))) == []
            await _scope(conn, None)
            for view in CONTRACT:
                assert await _rows(conn, sql.SQL("SELECT * FROM {}.{}").format(ns, sql.Identifier(view))) == []
        assert client_schema("third-co") != "client_third-co" and client_schema("third-co").startswith("client_third_co_")


async def test_same_contract_grants_and_triggers_as_public(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        ns = client_schema("bezeliq")
        for view, cols in CONTRACT.items():
            columns = []
            for schema in ("public", ns):
                cur = await conn.execute(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass"
                    " AND attnum > 0 ORDER BY attnum", (f"{schema}.{view}",))
                columns.append([tuple(r) for r in await cur.fetchall()])
            assert [c for c, _ in columns[0]] == [c for c, _ in cols] and columns[1] == columns[0], view
        cur = await conn.execute(
            """SELECT n.nspname, c.relname, r.rolname, a.attname, p.priv,
                      has_column_privilege(r.oid, c.oid, a.attnum, p.priv)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
               CROSS JOIN pg_roles r CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE']) p(priv)
               WHERE n.nspname IN ('public', %s) AND c.relname = ANY(%s)
                 AND r.rolname IN ('redkey_readonly', 'redkey_operational', 'redkey_strategic')""",
            (ns, list(CONTRACT)))
        grants: dict[str, set[tuple[str, ...]]] = {"public": set(), ns: set()}
        for schema, view, role, col, priv, has in await cur.fetchall():
            if has:
                grants[schema].add((view, role, col, priv))
        assert grants["public"] and grants[ns] == grants["public"]
        cur = await conn.execute(
            """SELECT n.nspname, c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', %s) AND c.relname LIKE 'crm\\_%%'""",
            (ns,))
        triggers: dict[str, set[tuple[str, str]]] = {"public": set(), ns: set()}
        for schema, view, name in await cur.fetchall():
            triggers[schema].add((view, name))
        assert len(triggers[ns]) == 6 and triggers[ns] == triggers["public"]  # contacts … activities, notes, tasks
        cur = await conn.execute("SELECT count(*) FROM pg_views WHERE schemaname = %s AND viewowner <> "
                                 "(SELECT viewowner FROM pg_views WHERE schemaname = 'public' AND viewname = 'crm_deals')", (ns,))
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]


async def test_store_queries_plan_only_their_clients_branches(store: Store) -> None:
    schemas = {w.client_id: w.schema_name for w in await store.admin.workspaces()}
    async with store.db.tx() as conn:
        for query in ("SELECT * FROM crm_contacts ORDER BY full_name LIMIT 10",
                      "SELECT stage_id, count(*) FROM crm_deals GROUP BY 1",
                      "SELECT * FROM crm_activities ORDER BY occurred_at DESC LIMIT 50"):
            plan = "\n".join(r[0] for r in await (await conn.execute("EXPLAIN (VERBOSE) " + query)).fetchall())  # type: ignore[arg-type]
            assert schemas["bezeliq"] in plan and schemas["northwind"] not in plan, query
        cur = await conn.execute("SELECT current_schemas(false)")
        assert (await cur.fetchone())[0][0] == "client_bezeliq"  # type: ignore[index]


async def test_writes_through_the_client_schema_keep_ownership_stage_checks_and_the_log(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    deal = (await store.crm.search_deals("", 1))[0] if await store.crm.search_deals("", 1) else None
    board = await store.crm.stage_totals()
    assert board and deal is not None
    target = next(s.stage_id for s in await store.crm.pipeline() if s.stage_id != deal.stage_id)
    moved = await store.crm.move_deal(deal.id, target)
    assert (moved.from_stage, moved.to_stage) == (deal.stage_id, target)
    cur = await conn.execute("SELECT client_id, kind FROM redkey.activities WHERE deal_id = %s AND kind = 'stage_change'",
                             (deal.id,))
    assert await cur.fetchall() == [("bezeliq", "stage_change")]
    with pytest.raises(Exception) as bad:
        await store.crm.move_deal(deal.id, "NO_SUCH_STAGE")
    assert "unknown stage" in str(bad.value)
    # a strategic field is refused under the operational role on the per-client path too
    async with store.db.tx("operational") as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await c.execute("UPDATE crm_deals SET priority = 'high' WHERE id = %s", (deal.id,))
    # the per-client trigger refuses a session scoped to another client
    await conn.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await conn.execute("INSERT INTO client_bezeliq.crm_contacts (first_name, last_name) VALUES ('A', 'B')")


async def test_only_the_store_session_roles_reach_client_schemas(db_url: str) -> None:
    """A login holding the field-owning roles (what client-bound logins and API callers hold) cannot use a
    client schema: named, it is refused; on its search path, it is skipped and public answers."""
    login = f"rk_probe_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(login), sql.Literal(password)))
        await conn.execute(sql.SQL("GRANT redkey_readonly, redkey_operational, redkey_strategic TO {}").format(
            sql.Identifier(login)))
        for role in ("redkey_readonly", "redkey_operational", "redkey_strategic", "public"):
            for client in ("bezeliq", "northwind"):
                cur = await conn.execute("SELECT has_schema_privilege(%s, %s, 'USAGE')", (role, client_schema(client)))
                assert (await cur.fetchone())[0] is False, (role, client)  # type: ignore[index]
    try:
        info = psycopg.conninfo.conninfo_to_dict(db_url)
        info.update(user=login, password=password)
        async with await psycopg.AsyncConnection.connect(psycopg.conninfo.make_conninfo(**info), autocommit=True) as other:
            await other.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await other.execute("SELECT * FROM client_northwind.crm_contacts")
            await other.execute("SET search_path = client_northwind, public")
            assert (await (await other.execute("SELECT current_schemas(false)")).fetchone())[0] == ["public"]  # type: ignore[index]
            assert (await (await other.execute("SELECT count(*) FROM crm_contacts")).fetchone())[0] > 0  # type: ignore[index]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await other.execute("SET ROLE redkey_cockpit_readonly")
    finally:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(login)))


async def test_registering_regenerates_only_that_clients_schema_and_remove_cleans_up(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        async def generated() -> dict[str, object]:
            cur = await conn.execute("SELECT client_id, generated_at FROM redkey.client_schemas")
            return dict(await cur.fetchall())  # type: ignore[arg-type]

        before = await generated()
        await _add_third_client(db_url)
        after = await generated()
        assert {c: after[c] for c in before} == before and "third-co" in after
        ns = client_schema("third-co")
        store = await _store(db_url)
        try:
            assert await store.workspace_registry.remove("workspace_third1") == "third-co"
            await _scope(conn, "third-co")
            names = await _rows(conn, sql.SQL("SELECT first_name FROM {}.crm_contacts").format(sql.Identifier(ns)))
            assert names == await _rows(conn, sql.SQL("SELECT first_name FROM public.crm_contacts")) == ['["Ren\\u00e9e"]']
            assert await store.workspace_registry.remove("workspace_third2") == "third-co"
            with pytest.raises(NotFound):
                await store.workspace_registry.remove("workspace_third2")
        finally:
            await store.close()
        assert "third-co" not in await generated()
        assert (await (await conn.execute("SELECT to_regnamespace(%s)", (ns,))).fetchone())[0] is None  # type: ignore[index]
        cur = await conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname LIKE 'workspace_third%%' AND indexname LIKE 'redkey\\_%%'")
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
        # nothing RedKey generated depends on the removed workspaces any more
        await conn.execute("DROP SCHEMA workspace_third1, workspace_third2 CASCADE")
        await conn.execute("RESET ROLE")
        await _scope(conn, "bezeliq")
        assert await _rows(conn, sql.SQL("SELECT * FROM public.crm_deals")) == await _rows(
            conn, sql.SQL("SELECT * FROM client_bezeliq.crm_deals"))


def test_workspace_remove_command(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(COCKPIT_DATABASE_URL=db_url, COCKPIT_DATA_DIR=str(tmp_path))

    def cockpit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cockpit", *args], capture_output=True, text=True, env=env,
                              timeout=120, stdin=subprocess.DEVNULL)

    with psycopg.connect(db_url) as c:
        schema = c.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = 'northwind'").fetchone()[0]  # type: ignore[index]
    proc = cockpit("workspace", "remove", schema)
    assert proc.returncode == 0 and f"removed {schema} (client northwind)" in proc.stdout, proc.stdout + proc.stderr
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT to_regnamespace('client_northwind')").fetchone()[0] is None  # type: ignore[index]
    proc = cockpit("workspace", "remove", schema)
    assert proc.returncode != 0 and "Traceback" not in proc.stdout + proc.stderr
    assert f"workspace {schema} is not registered" in proc.stdout + proc.stderr


async def test_look_ups_by_key_walk_indexes(store: Store) -> None:
    """An import's duplicate check and mail sync's participants look contacts up by lower(email), companies
    by domain and lower(name), through the views: each is an index look-up on Twenty's table, not a scan of
    every person (the views' own expressions are indexed)."""
    queries = {
        "redkey_person_email_idx": "SELECT c.id FROM crm_contacts c JOIN unnest(%s::text[]) AS k(e) ON lower(c.email) = k.e",
        "redkey_company_domain_idx": "SELECT c.id FROM crm_companies c JOIN unnest(%s::text[]) AS k(e) ON c.domain = k.e",
        "redkey_company_lower_name_idx": "SELECT c.id FROM crm_companies c JOIN unnest(%s::text[]) AS k(e) ON lower(c.name) = k.e",
    }
    async with store.db.tx() as conn:
        await conn.execute("SET LOCAL enable_seqscan = off")  # the demo is small: ask whether the index can serve
        for index, query in queries.items():
            cur = await conn.execute("EXPLAIN " + query, (["sarah.chen@meridian.example", "acme.com"],))  # type: ignore[arg-type]
            plan = "\n".join(r[0] for r in await cur.fetchall())
            assert index in plan, plan
