"""Writes through public.crm_* (psql, the Data API) run the session's client's own write function: the same
checks and errors as through the client's schema, the same stored result, the same change feed; and
registering a workspace leaves public's views and functions as they are (only its client's group of
views is rewritten)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.client_groups import GROUPS, SCHEMA, group_of
from cockpit.db.views import CONTRACT, client_schema
from cockpit.store import Store

MISSING = "7d1c0e9a-3b51-4c44-9a53-2f6f1c2b9e01"  # no record has this id

# (role, statement over {s}.<view>, parameters): each fails; through public and through the client's
# schema it must fail with the same SQLSTATE, message and hint.
REFUSED = [
    ("operational", "INSERT INTO {s}.crm_contacts (first_name, last_name, client_id) VALUES ('Zoë', 'Ng', 'northwind')", {}),
    ("operational", "INSERT INTO {s}.crm_contacts (first_name, priority) VALUES ('Zoë', 'high')", {}),
    ("strategic", "INSERT INTO {s}.crm_deals (name, stage_id, amount) VALUES ('Side deal — Q3', 'NO_SUCH', 1200)", {}),
    ("strategic", "UPDATE {s}.crm_deals SET stage_id = 'NO_SUCH' WHERE id = %(deal)s", {}),
    ("strategic", "UPDATE {s}.crm_contacts SET priority = 'urgent-ish' WHERE id = %(contact)s", {}),
    ("operational", "INSERT INTO {s}.crm_notes (title, body) VALUES ('  ', '')", {}),
    ("operational", "INSERT INTO {s}.crm_tasks (title, status) VALUES ('Call Renée back', 'MAYBE')", {}),
    ("operational", "INSERT INTO {s}.crm_notes (title, contact_id) VALUES ('Met at the fair', %(missing)s)", {}),
    ("strategic", "UPDATE {s}.crm_notes SET title = repeat('x', 5000) WHERE id = %(note)s", {}),
    ("strategic", "UPDATE {s}.crm_notes SET title = '', body = ' ' WHERE id = %(note)s", {}),
]


async def _ids(conn: psycopg.AsyncConnection) -> dict[str, object]:
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    out: dict[str, object] = {"missing": MISSING}
    for key, view in (("deal", "crm_deals"), ("contact", "crm_contacts")):
        cur = await conn.execute(sql.SQL("SELECT id FROM public.{} ORDER BY id LIMIT 1").format(sql.Identifier(view)))
        row = await cur.fetchone()
        assert row, view
        out[key] = row[0]
    cur = await conn.execute("INSERT INTO public.crm_notes (title, body, contact_id) VALUES ('Call recap', "
                             "'Spoke with the CFO – budget “approved” for Q3', %s) RETURNING id", (out["contact"],))
    out["note"] = (await cur.fetchone())[0]  # type: ignore[index]
    return out


async def _error(conn: psycopg.AsyncConnection, role: str, stmt: str, params: dict[str, object]) -> tuple:  # type: ignore[type-arg]
    try:
        async with conn.transaction():
            await conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(f"redkey_cockpit_{role}")))
            await conn.execute(stmt, params)  # type: ignore[arg-type]
    except psycopg.Error as exc:
        d = exc.diag
        return d.sqlstate, d.message_primary, d.message_hint
    raise AssertionError(f"accepted: {stmt}")


@pytest.mark.parametrize("role, stmt, _", REFUSED)
async def test_public_refuses_what_the_clients_schema_refuses_with_the_same_error(
        db_url: str, role: str, stmt: str, _: dict) -> None:  # type: ignore[type-arg]
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        params = await _ids(conn)
        public = await _error(conn, role, stmt.format(s="public"), params)
        mine = await _error(conn, role, stmt.format(s=client_schema("bezeliq")), params)
        assert public == mine, stmt
        assert public[0] and public[1]


async def test_an_unscoped_session_is_refused_on_both_paths(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        errors = []
        for s in ("public", client_schema("bezeliq")):
            try:
                await conn.execute(f"INSERT INTO {s}.crm_notes (title) VALUES ('Orphan')")  # type: ignore[arg-type]
            except psycopg.Error as exc:
                errors.append((exc.diag.sqlstate, exc.diag.message_primary))
        assert errors == [("42501", "no client scope: this session is not scoped to a client")] * 2


async def _listen(conn: psycopg.AsyncConnection) -> str:
    cur = await conn.execute("SELECT redkey.change_channel_of('bezeliq')")
    channel = (await cur.fetchone())[0]  # type: ignore[index]
    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    return channel


async def test_a_write_through_public_stores_and_announces_what_the_clients_schema_would(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as listener, \
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await _listen(listener)
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        ns = client_schema("bezeliq")
        rows, heard = {}, {}
        for s, first in (("public", "Zoë"), (ns, "Renée")):
            await conn.execute("SET ROLE redkey_cockpit_operational")
            cur = await conn.execute(
                f"INSERT INTO {s}.crm_contacts (first_name, last_name, email, job_title) "  # type: ignore[arg-type]
                "VALUES (%s, 'Dupont-Lefèvre', %s, 'Head of Ops') RETURNING id, client_id, created_at IS NOT NULL",
                (first, f" {first}.Dupont@Example.COM "))
            new_id, client, stamped = await cur.fetchone()  # type: ignore[misc]
            assert client == "bezeliq" and stamped
            await conn.execute(f"UPDATE {s}.crm_contacts SET city = 'Lyon' WHERE id = %s", (new_id,))  # type: ignore[arg-type]
            await conn.execute("SET ROLE redkey_cockpit_strategic")
            await conn.execute(f"UPDATE {s}.crm_contacts SET priority = 'high' WHERE id = %s", (new_id,))  # type: ignore[arg-type]
            await conn.execute("RESET ROLE")
            cur = await conn.execute("SELECT email, job_title, city, priority FROM public.crm_contacts WHERE id = %s",
                                     (new_id,))
            rows[s] = await cur.fetchone()
            cur = await conn.execute(f"SELECT email, job_title, city, priority FROM {ns}.crm_contacts WHERE id = %s",  # type: ignore[arg-type]
                                     (new_id,))
            assert await cur.fetchone() == rows[s]
            heard[s] = {n.payload.replace(str(new_id), "<id>") async for n in listener.notifies(timeout=1)}
            assert "contact:<id>" in heard[s], s
        assert heard["public"] == heard[ns]
        assert rows["public"] == (rows[ns][0].replace("renée", "zoë"), *rows[ns][1:])
        assert rows["public"] == ("zoë.dupont@example.com", "Head of Ops", "Lyon", "high")


async def test_public_writes_reach_a_record_in_a_clients_second_workspace(db_url: str) -> None:
    store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
    try:
        for ws in ("workspace_pw1", "workspace_pw2"):
            await store.admin.create_fixture_workspace(ws, ["NEW", "WON"])
            await store.admin.register_workspace(ws, "twice-co")
    finally:
        await store.close()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        person = uuid.uuid4()
        await conn.execute('INSERT INTO workspace_pw2.person (id, "nameFirstName", "nameLastName") VALUES (%s, \'Åsa\', \'Berg\')',
                           (person,))
        await conn.execute("SELECT set_config('redkey.client_id', 'twice-co', false)")
        await conn.execute("SET ROLE redkey_cockpit_operational")
        await conn.execute("UPDATE public.crm_contacts SET job_title = 'CFO' WHERE id = %s", (person,))
        cur = await conn.execute("INSERT INTO public.crm_contacts (first_name, last_name) VALUES ('Ola', 'Nordmann') RETURNING id")
        created = (await cur.fetchone())[0]  # type: ignore[index]
        await conn.execute("RESET ROLE")
        cur = await conn.execute('SELECT "jobTitle" FROM workspace_pw2.person WHERE id = %s', (person,))
        assert (await cur.fetchone())[0] == "CFO"  # type: ignore[index]
        cur = await conn.execute("SELECT count(*) FROM workspace_pw1.person WHERE id = %s", (created,))
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]  # a new record goes to the first workspace
        await conn.execute("SET ROLE redkey_cockpit_operational")
        await conn.execute("DELETE FROM public.crm_contacts WHERE id = %s", (person,))
        await conn.execute("RESET ROLE")
        cur = await conn.execute('SELECT "deletedAt" IS NOT NULL FROM workspace_pw2.person WHERE id = %s', (person,))
        assert (await cur.fetchone())[0] is True  # type: ignore[index]


async def _versions(conn: psycopg.AsyncConnection) -> dict[str, str]:
    """The row version of every generated view's rule and public's write functions."""
    cur = await conn.execute(
        """SELECT n.nspname || '.' || c.relname, r.xmin::text FROM pg_rewrite r
           JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('public', %s) AND c.relname LIKE 'crm\\_%%'
           UNION ALL
           SELECT p.oid::regprocedure::text, p.xmin::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE (n.nspname = 'redkey' AND p.proname LIKE 'crm\\_%%') OR (n.nspname = 'public' AND p.proname LIKE 'crm\\_%%')""",
        (SCHEMA,))
    return dict(await cur.fetchall())  # type: ignore[arg-type]


async def test_registering_a_client_rewrites_its_group_only(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        before = await _versions(conn)
        assert sum(k.startswith(SCHEMA + ".") for k in before) == GROUPS * len(CONTRACT)
        store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
        try:
            await store.admin.create_fixture_workspace("workspace_grp1", ["NEW", "WON"])
            await store.admin.register_workspace("workspace_grp1", "group-co")
            after = await _versions(conn)
            group = f"{SCHEMA}.crm_contacts_{group_of('group-co'):02d}"
            changed = {k for k in before if after.get(k) != before[k]}
            assert group in changed and len(changed) == len(CONTRACT) and all(k.startswith(SCHEMA + ".") for k in changed)
            await conn.execute("SELECT set_config('redkey.client_id', 'group-co', false)")
            cur = await conn.execute("SELECT stage_id FROM public.crm_pipeline ORDER BY position")
            assert [r[0] for r in await cur.fetchall()] == ["NEW", "WON"]
            await store.workspace_registry.remove("workspace_grp1")
            again = await _versions(conn)
            assert {k for k in before if again.get(k) != after[k]} == changed  # the same group, back
            assert await (await conn.execute("SELECT count(*) FROM public.crm_pipeline")).fetchone() == (0,)
        finally:
            await store.close()


async def test_a_new_generator_rewrites_every_group_and_public(db_url: str) -> None:
    """Views expand SELECT * when made: after a generator change (say, a new contract column) every group
    and public's views are made again, not only the group of the client being registered."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute("UPDATE redkey.layer2_generations SET public_sha256 = 'an older generator'"
                           " WHERE id = (SELECT max(id) FROM redkey.layer2_generations)")
        before = await _versions(conn)
        store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
        try:
            await store.admin.create_fixture_workspace("workspace_grp2", ["NEW", "WON"])
            await store.admin.register_workspace("workspace_grp2", "group-co")
        finally:
            await store.close()
        after = await _versions(conn)
        generated = [k for k in before if k.startswith(SCHEMA + ".") or k in {f"public.{v}" for v in CONTRACT}]
        assert len(generated) == (GROUPS + 1) * len(CONTRACT)
        assert [k for k in generated if after[k] == before[k]] == []


async def test_a_clients_own_activities_show_once_through_public_with_or_without_a_workspace(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        await conn.execute("INSERT INTO redkey.clients (client_id, name) VALUES ('solo-co', 'Solo Co')")
        await conn.execute("INSERT INTO redkey.activities (client_id, kind, channel, direction, subject, source) "
                           "VALUES ('solo-co', 'note', 'cockpit', 'internal', 'Rencontre à Genève — suivi', 'cockpit')")

        async def subjects() -> list[str]:
            await conn.execute("SELECT set_config('redkey.client_id', 'solo-co', false)")
            cur = await conn.execute("SELECT subject FROM public.crm_activities")
            return [r[0] for r in await cur.fetchall()]

        assert await subjects() == ["Rencontre à Genève — suivi"]  # no workspace: straight from redkey.activities
        store = await Store.open(Settings(database_url=db_url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]
        try:
            await store.admin.create_fixture_workspace("workspace_solo1", ["NEW", "WON"])
            await store.admin.register_workspace("workspace_solo1", "solo-co")
            assert await subjects() == ["Rencontre à Genève — suivi"]  # now through the client's schema, once
            await store.workspace_registry.remove("workspace_solo1")
        finally:
            await store.close()
        assert await subjects() == ["Rencontre à Genève — suivi"]
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        cur = await conn.execute("SELECT count(*) FROM public.crm_activities WHERE client_id = 'solo-co'")
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
