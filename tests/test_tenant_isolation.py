"""Tenant isolation on RedKey's own tables, against the real server: what a role (or an unscoped
session) can read of another client, arlo's one cross-client step, TRUNCATE on append-only tables,
and the activity feed's notifications."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cockpit.approvals.service import reject
from cockpit.arlo.context import Services
from cockpit.arlo.registry import TASK_TYPES, register
from cockpit.arlo.worker import Worker
from cockpit.config import Settings
from cockpit.imports.service import run_import, stage_import
from cockpit.intake.service import intake_any
from cockpit.store import Store

# The field-owning roles, and the store's session roles (members of those, with the per-client schemas)
ROLES = ("redkey_readonly", "redkey_operational", "redkey_strategic",
         "redkey_cockpit_readonly", "redkey_cockpit_operational", "redkey_cockpit_strategic")
# Every RedKey table with a client_id that a role may read (the catalog test below finds any other).
SCOPED = ("clients", "workspaces", "stage_settings", "tasks", "topic_log", "exec_inbox", "arlo_loops",
          "import_batches", "import_manifests", "import_rows", "proposals", "approval_decisions", "artifacts",
          "record_merges", "email_outbox", "contact_email_prefs", "unsubscribe_tokens", "webhook_events")
CSV = {"bezeliq": b"Name,Email,Company\nAda Lovelace,ada@engines.example,Analytical Engines\n"
                  b"Ada L.,ADA@engines.example,\n",
       "northwind": b"Name,Email,Company\nGrace Hopper,grace@cobol.example,Remington Rand\n"
                    b"G. Hopper,GRACE@cobol.example,\n"}


async def _both_clients_have_rows(store: Store) -> None:
    """Tasks, log messages, inbox items, loop records, an import (batch, manifest, rows, proposals, one
    decision) and an artifact, for BezelIQ and for Northwind."""
    for client in ("bezeliq", "northwind"):
        s = store.scoped(client)
        task = await s.tasks.create_task("adhoc_query", brief=f"secret plans of {client}")
        await s.tasks.post_to_exec(f"{client} summary", "confidential", task_id=task.id)
        await s.tasks.create_periodic_task(client, "pipeline_health", 3600)
        staged = await stage_import(s, CSV[client], f"{client}.csv", uploaded_by="justin")
        await run_import(s, staged)
        pending = (await s.approvals.pending_proposals(limit=5)).items
        await reject(s, pending[0].proposal_id, reviewer="justin", note="not now")
    contact = await store.context.contact_by_email("sarah.chen@meridianhealth.com")
    assert contact is not None
    await intake_any(store, {
        "artifact_type": "QdSignalBundle", "signal_id": "sig-iso", "client_ref": contact.email, "source_ref": "arlo",
        "score_type": "engagement", "value": 0.5, "supporting_evidence_refs": ["activity:1"],
        "time_window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
        "source_system": "arlo", "created_by": "arlo", "confidence": 0.7, "provenance": {"method": "rule"}})


async def _count(conn: psycopg.AsyncConnection, query: str, *args: Any) -> int:
    return (await (await conn.execute(query, args)).fetchone())[0]  # type: ignore[index]


async def test_roles_read_only_their_clients_rows_and_nothing_unscoped(store: Store, db_url: str) -> None:
    await _both_clients_have_rows(store)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        for table in ("tasks", "topic_log", "exec_inbox", "import_batches", "import_rows", "proposals",
                      "approval_decisions"):
            assert await _count(owner, f"SELECT count(DISTINCT client_id) FROM redkey.{table}") == 2, table
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        for role in ROLES:
            readable = [t for t in SCOPED
                        if await _count(conn, "SELECT has_table_privilege(%s, %s, 'SELECT')::int", role, f"redkey.{t}")]
            assert len(readable) >= 14
            async with conn.transaction(force_rollback=True):
                await conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                for table in readable:
                    q = f"SELECT count(*) FROM redkey.{table}"
                    assert await _count(conn, q) == 0, f"{role} unscoped sees {table}"
                await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
                for table in readable:
                    assert await _count(conn, f"SELECT count(*) FROM redkey.{table} WHERE client_id <> 'bezeliq'") == 0, \
                        f"{role} scoped to bezeliq sees another client's {table}"
                for table in ("tasks", "topic_log", "exec_inbox", "arlo_loops", "import_batches", "import_rows",
                              "proposals", "approval_decisions", "artifacts", "clients", "workspaces"):
                    assert await _count(conn, f"SELECT count(*) FROM redkey.{table}") > 0, f"{role} lost {table}"
                briefs = [r[0] for r in await (await conn.execute("SELECT brief FROM redkey.tasks")).fetchall()]
                assert "secret plans of northwind" not in briefs and "secret plans of bezeliq" in briefs
                log = await (await conn.execute("SELECT payload::text FROM redkey.topic_log")).fetchall()
                assert not any("northwind" in r[0] for r in log)


async def test_every_client_table_a_role_can_read_is_scoped(conn: psycopg.AsyncConnection) -> None:
    """The catalog view: no RedKey table with a client_id is readable by a role without a client policy."""
    rows = await (await conn.execute(
        "SELECT c.relname, c.relrowsecurity, "
        " (SELECT string_agg(pg_get_expr(p.polqual, p.polrelid), ' ') FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'client_id' AND NOT a.attisdropped "
        "WHERE c.relnamespace = 'redkey'::regnamespace AND c.relkind = 'r' "
        " AND (has_table_privilege('redkey_readonly', c.oid, 'SELECT') "
        "   OR has_table_privilege('redkey_operational', c.oid, 'SELECT') "
        "   OR has_table_privilege('redkey_strategic', c.oid, 'SELECT'))")).fetchall()
    assert {r[0] for r in rows} >= set(SCOPED) - {"unsubscribe_tokens", "webhook_events"}
    for name, rls, quals in rows:
        assert rls and quals and "current_client_id()" in quals, f"redkey.{name} is readable across clients"


async def test_tables_without_a_client_column_readable_by_a_role_hold_no_client_data(conn: psycopg.AsyncConnection) -> None:
    """What a role reads without a client policy is shared reference data only: the schema cache (what
    pg_catalog tells any role anyway) and the topic registry (ids and kinds; names only for the static
    topics). The per-sender send counters, shared by clients sending from one address, are not among them."""
    rows = await (await conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'redkey'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') "
        " AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'client_id' AND NOT a.attisdropped) "
        " AND (has_table_privilege('redkey_readonly', c.oid, 'SELECT') "
        "   OR has_table_privilege('redkey_operational', c.oid, 'SELECT') "
        "   OR has_table_privilege('redkey_strategic', c.oid, 'SELECT'))")).fetchall()
    shared = {r[0] for r in rows}
    assert "sender_daily" not in shared
    assert {t for t in shared if not t.startswith("system_schema_")} <= {"topics"}, shared


async def test_send_counters_are_reached_through_functions_only(db_url: str, conn: psycopg.AsyncConnection) -> None:
    await conn.execute("INSERT INTO redkey.sender_daily (sender, day, sent) VALUES ('ops@northwind.example', current_date, 42)")
    async with await psycopg.AsyncConnection.connect(db_url) as c:
        async with c.transaction(force_rollback=True):
            await c.execute("SET LOCAL ROLE redkey_operational")
            await c.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # no list of other clients' senders
                await c.execute("SELECT sender FROM redkey.sender_daily")
        async with c.transaction(force_rollback=True):
            await c.execute("SET LOCAL ROLE redkey_operational")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # unscoped: nothing at all
                await c.execute("SELECT * FROM redkey.sends_today(current_date, ARRAY['ops@northwind.example'])")
        async with c.transaction(force_rollback=True):
            await c.execute("SET LOCAL ROLE redkey_operational")
            await c.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
            cur = await c.execute("SELECT * FROM redkey.count_sends(current_date, ARRAY['ops@northwind.example'], ARRAY[3])")
            assert await cur.fetchall() == [("ops@northwind.example", 45)]  # a shared sender's cap counts every client
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                await c.execute("SELECT * FROM redkey.count_sends(current_date, ARRAY['a@x.example'], ARRAY[-1])")
        async with c.transaction(force_rollback=True):
            await c.execute("SET LOCAL ROLE redkey_readonly")
            await c.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # reading is not sending
                await c.execute("SELECT * FROM redkey.count_sends(current_date, ARRAY['a@x.example'], ARRAY[1])")


async def test_a_scoped_role_cannot_write_another_clients_rows(db_url: str, store: Store) -> None:
    await _both_clients_have_rows(store)
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        async with conn.transaction(force_rollback=True):
            await conn.execute("SET LOCAL ROLE redkey_operational")
            await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', true)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await conn.execute("INSERT INTO redkey.contact_email_prefs (client_id, contact_id) "
                                   "VALUES ('northwind', gen_random_uuid())")


async def test_arlo_claims_across_clients_and_runs_each_task_in_its_own_scope(store: Store, settings: Settings,
                                                                             db_url: str) -> None:
    seen: list[tuple[str, str, set[str]]] = []

    async def probe(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        rows = await ctx.store.db.fetch_dicts("SELECT DISTINCT client_id FROM crm_contacts")
        tasks = await ctx.store.db.fetch_dicts("SELECT DISTINCT client_id FROM redkey.tasks")
        seen.append((ctx.task.client_id, ctx.store.client_id,
                     {r["client_id"] for r in rows} | {r["client_id"] for r in tasks}))
        return {"summary": "probed"}

    register("scope_probe", probe)
    try:
        for client in ("northwind", "bezeliq"):
            await store.tasks.create_task("scope_probe", client_id=client)
        worker = Worker(store, settings, Services.from_settings(settings), agent="arlo@test")
        done = [await worker.run_one(), await worker.run_one()]
        assert await worker.run_one() is None
    finally:
        TASK_TYPES.pop("scope_probe", None)
    assert [t.status for t in done if t] == ["complete", "complete"]
    assert sorted(s[0] for s in seen) == ["bezeliq", "northwind"]
    for task_client, scope, visible in seen:
        assert scope == task_client and visible == {task_client}
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        for role in ROLES:  # the cross-client claim is the owner's alone
            async with conn.transaction(force_rollback=True):
                await conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    await conn.execute("SELECT * FROM redkey.claim_task('x', 60, 'roles.crm')")


async def test_truncate_is_refused_on_append_only_tables(store: Store, conn: psycopg.AsyncConnection) -> None:
    await _both_clients_have_rows(store)
    for table in ("import_rows", "topic_log", "artifacts", "import_batches", "approval_decisions"):
        before = await _count(conn, f"SELECT count(*) FROM redkey.{table}")
        assert before > 0
        with pytest.raises(psycopg.Error) as err:
            await conn.execute(f"TRUNCATE redkey.{table} CASCADE")
        assert "immutable" in str(err.value) or "append-only" in str(err.value)
        assert await _count(conn, f"SELECT count(*) FROM redkey.{table}") == before


@contextlib.asynccontextmanager
async def _listening(url: str, channel: str):  # type: ignore[no-untyped-def]
    c = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await c.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        yield c
    finally:
        await c.close()


async def _heard(c: psycopg.AsyncConnection, seconds: float) -> list[str]:
    out: list[str] = []
    with contextlib.suppress(asyncio.TimeoutError):
        async with asyncio.timeout(seconds):
            async for note in c.notifies(timeout=seconds):
                out.append(note.payload)
    return out


async def test_activity_notifications_reach_only_the_clients_own_channel(store: Store, db_url: str) -> None:
    northwind = store.scoped("northwind")
    ours = await store.db.fetch_value("SELECT redkey.change_channel()")
    theirs = await northwind.db.fetch_value("SELECT redkey.change_channel()")
    assert ours != theirs and "bezeliq" not in ours and "northwind" not in theirs
    assert await store.scoped(None).db.fetch_value("SELECT redkey.change_channel()") is None
    async with _listening(db_url, "redkey_activity") as broad, _listening(db_url, ours) as mine:
        secret = await northwind.crm.log_activity(kind="note", subject="Northwind only", source="cockpit")
        assert secret is not None
        mine_heard = await _heard(mine, 0.5)
        assert mine_heard == [] and await _heard(broad, 0.1) == []  # nobody on the old channel, nothing of theirs
        own = await store.crm.log_activity(kind="note", subject="Ours", source="cockpit")
        assert own is not None
        assert await _heard(mine, 2) == [f"activity:{own.id}"]
