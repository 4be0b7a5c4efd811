"""Through a real PgBouncer in transaction mode (what Supabase's port 6543 is), as a non-superuser owner:
the mode is detected, nothing relies on session state, migrations refuse or use the migration URL, and
no migration can leave its lock behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from cockpit.config import Settings
from cockpit.db import migrate as migrate_mod
from cockpit.db.connect import connect, connection_mode
from cockpit.db.migrate import LOCK_KEY, available, migrate, status
from cockpit.db.poolmode import declared_mode
from cockpit.errors import MigrationError
from cockpit.store import Store
from cockpit.store.changes import Change
from tests.conftest import OWNER, OWNER_PASSWORD, _as_user
from tests.pgbouncer import PgBouncer
from tests.test_cli import _no_traceback, cockpit_here

pytestmark = pytest.mark.usefixtures("pgbouncer")


@pytest.fixture
def conn_mode() -> str:
    return "transaction"


def _settings(url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=url, client_id="bezeliq", data_dir=tmp_path / "data", _env_file=None, **extra)  # type: ignore[call-arg]


async def _advisory_locks(direct_url: str, key: int) -> int:
    """Advisory locks on ``key`` held anywhere on the server (looked at directly, not through PgBouncer)."""
    async with await psycopg.AsyncConnection.connect(direct_url, autocommit=True) as c:
        cur = await c.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
                              " AND classid = 0", (key,))
        return (await cur.fetchone())[0]  # type: ignore[index,no-any-return]


async def test_modes_are_detected(db_url: str, app_db_url: str, tmp_path: Path) -> None:
    direct = await connection_mode(db_url, _settings(db_url, tmp_path))
    assert direct.mode == "direct"
    pooled = await connection_mode(app_db_url, _settings(app_db_url, tmp_path))
    assert pooled.mode == "transaction" and "shares backends" in pooled.how
    assert declared_mode("postgresql://postgres.abc:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres").mode == "transaction"
    assert declared_mode("postgresql://postgres.abc:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres").mode == "session"
    assert declared_mode("postgresql://postgres:pw@db.abc.supabase.co:5432/postgres") is None
    assert declared_mode(app_db_url, "session").mode == "session"  # COCKPIT_DATABASE_POOL_MODE wins


async def test_a_session_pooler_is_told_apart_and_keeps_listen(pg_server_url: str, db_url: str, tmp_path: Path) -> None:
    from tests.pgbouncer import find_pgbouncer, start_pgbouncer

    session = start_pgbouncer(find_pgbouncer() or "pgbouncer", pg_server_url, OWNER, OWNER_PASSWORD, pool_mode="session")
    try:
        url = session.url_for(db_url)
        settings = _settings(url, tmp_path)
        mode = await connection_mode(url, settings)
        assert mode.mode == "session" and "one backend per client" in mode.how
        store = await Store.open(settings, min_size=0, max_size=2)
        try:
            assert store.changes.listens
            ready = asyncio.Event()
            batches = store.changes.batches(poll_seconds=30, ready=ready)
            nxt = asyncio.ensure_future(batches.__anext__())
            await asyncio.wait_for(ready.wait(), 10)
            ours = await store.crm.log_activity(kind="note", subject="heard through the session pooler", source="cockpit")
            batch = await asyncio.wait_for(nxt, 10)
            assert Change("activity", str(ours.id)) in batch  # heard by LISTEN, by id, within the 30 s poll
            await batches.aclose()
        finally:
            await store.close()
    finally:
        session.stop()


async def test_psycopg_defaults_break_behind_the_pooler_and_the_store_does_not(app_db_url: str, settings: Settings) -> None:
    # The failure users met: psycopg prepares a statement after 5 runs on a connection; through a
    # transaction pooler the next transaction finds a backend where it does not exist (or already does).
    failures: list[str] = []
    conns = [await psycopg.AsyncConnection.connect(app_db_url, autocommit=True) for _ in range(3)]
    try:
        for i in range(12):
            for c in conns:
                try:
                    await c.execute("SELECT count(*) FROM redkey.clients WHERE client_id <> %s", (f"x{i}",))
                except psycopg.Error as exc:
                    failures.append(str(exc))
    finally:
        for c in conns:
            await c.close()
    assert any("prepared statement" in f for f in failures)

    store = await Store.open(settings, min_size=0, max_size=3)
    try:
        assert store.db.pool.mode.transaction and not store.changes.listens
        results = await asyncio.gather(*(store.crm.pipeline() for _ in range(40)))
        assert all(len(r) == len(results[0]) > 0 for r in results)
        timeout = await store.db.fetch_value("SELECT current_setting('statement_timeout')")
        assert timeout == "30s"  # set per transaction, not on a session the pooler would lend to others
    finally:
        await store.close()


async def test_a_session_lock_leaks_through_the_pooler_but_migrations_never_do(
        db_url: str, app_db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    key = 424242
    # The hazard: lock and unlock in two statements reach two backends; the lock stays held. Other
    # clients hold the locking backend in open transactions (as busy ones would), so the unlock runs
    # on another backend.
    opts = {"autocommit": True, "prepare_threshold": None}
    a = await psycopg.AsyncConnection.connect(app_db_url, **opts)  # type: ignore[arg-type]
    holders: list[psycopg.AsyncConnection] = []
    try:
        locked_on = (await (await a.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()", (key,))).fetchone())[1]  # type: ignore[index]
        for _ in range(8):
            h = await psycopg.AsyncConnection.connect(app_db_url, **opts)  # type: ignore[arg-type]
            holders.append(h)
            await h.execute("BEGIN")
            if (await (await h.execute("SELECT pg_backend_pid()")).fetchone())[0] == locked_on:  # type: ignore[index]
                break
        else:
            pytest.fail("no client got the locking backend")
        unlocked = (await (await a.execute("SELECT pg_advisory_unlock(%s)", (key,))).fetchone())[0]  # type: ignore[index]
        assert unlocked is False and await _advisory_locks(db_url, key) == 1
    finally:
        for h in holders:
            await h.close()
        await a.close()
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:  # clean up on the server
        await c.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                        (key,))

    # Migrations through the same pooler: concurrent runs, a failing run; no lock is left behind.
    conns = [await connect(app_db_url, settings) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert results == [[], [], []]
        assert await _advisory_locks(db_url, LOCK_KEY) == 0
        bad = migrate_mod.Migration(919, "broken", "CREATE TABLE redkey.half (x int);\nSELECT 1/0;")
        with monkeypatch.context() as patched:
            patched.setattr(migrate_mod, "available", lambda: [*available(), bad])
            with pytest.raises(MigrationError, match="919_broken.sql failed at line 2"):
                await migrate(conns[0])
        assert await _advisory_locks(db_url, LOCK_KEY) == 0
        assert len((await status(conns[1])).pending) == 0
    finally:
        for c in conns:
            await c.close()


async def test_fresh_database_migrates_through_the_pooler_without_a_leak(pg_server_url: str, pgbouncer: PgBouncer,
                                                                          tmp_path: Path) -> None:
    from cockpit.db.embedded import with_database as _with_db
    from tests.conftest import _admin, _drop
    from psycopg import sql

    name = "cockpit_b_pooled_fresh"
    with _admin(pg_server_url) as admin:
        _drop(admin, name)
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(OWNER)))
    direct = _with_db(pg_server_url, name)
    try:
        url = pgbouncer.url_for(direct)
        settings = _settings(url, tmp_path)
        conns = [await connect(url, settings) for _ in range(2)]
        try:
            results = await asyncio.gather(*(migrate(c) for c in conns))
        finally:
            for c in conns:
                await c.close()
        assert sorted(n for r in results for n in r) == sorted(m.filename for m in available())
        assert await _advisory_locks(direct, LOCK_KEY) == 0
    finally:
        with _admin(pg_server_url) as admin:
            _drop(admin, name)


def test_the_cli_through_the_pooler(db_url: str, app_db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": app_db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    refused = cockpit_here("migrate", env=env)
    _no_traceback(refused)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "COCKPIT_MIGRATION_DATABASE_URL" in refused.stderr
    assert "transaction pooler" in refused.stderr and "cockpit-owner-pw" not in refused.stderr

    arlo = cockpit_here("arlo", "--once", env=env)  # failed with `prepared statement "_pg3_0" already exists`
    _no_traceback(arlo)
    assert arlo.returncode == 0, arlo.stderr
    from cockpit.arlo.runner import periodic_types
    from cockpit.config import Settings

    loops = len(periodic_types(Settings(_env_file=None), "bezeliq"))  # type: ignore[call-arg]
    assert f"arlo: ran {2 * loops} task(s)" in arlo.stdout  # every periodic loop of both demo clients

    told = cockpit_here("tell", "summarise the pipeline", env=env)
    assert told.returncode == 0 and told.stdout.startswith("Pipeline:"), told.stderr
    refreshed = cockpit_here("schema", "refresh", env=env)
    assert refreshed.returncode == 0, refreshed.stderr

    doctor = cockpit_here("doctor", env=env)
    lines = {line.split()[0]: line for line in doctor.stdout.splitlines()}
    assert "transaction pooler" in lines["connection"] and "polls" in lines["connection"]
    assert lines["migrate-url"].split()[1] == "FAIL" and "COCKPIT_MIGRATION_DATABASE_URL" in lines["migrate-url"]
    assert "is not a superuser" in lines["login"] and lines["login"].split()[1] == "ok"
    assert doctor.returncode == 1

    env["COCKPIT_MIGRATION_DATABASE_URL"] = _as_user(db_url, OWNER, OWNER_PASSWORD)
    migrated = cockpit_here("migrate", env=env)
    assert migrated.returncode == 0 and "database is up to date" in migrated.stdout, migrated.stderr
    doctor = cockpit_here("doctor", env=env)
    assert doctor.returncode == 0, doctor.stdout
    assert "migrate-url ok    COCKPIT_MIGRATION_DATABASE_URL, direct" in doctor.stdout


async def test_the_feed_polls_behind_the_pooler(settings: Settings, conn: psycopg.AsyncConnection) -> None:
    store = await Store.open(settings, min_size=0, max_size=2)
    ready = asyncio.Event()
    assert not store.changes.listens
    batches = store.changes.batches(poll_seconds=0.2, ready=ready)
    try:
        first = asyncio.ensure_future(batches.__anext__())
        await asyncio.wait_for(ready.wait(), 5)
        await store.crm.log_activity(kind="note", subject="written through the view: no NOTIFY heard", source="cockpit")
        batch = await asyncio.wait_for(first, 5)
        assert Change("activity") in batch  # found by the poll (no id: a poll cannot say which row)
    finally:
        await batches.aclose()
        await store.close()
