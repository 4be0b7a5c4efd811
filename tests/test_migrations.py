"""Migrations: ordered, checksummed, recorded; re-running is a no-op; edited files are refused."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from cockpit.db import migrate as migrate_mod
from cockpit.db.migrate import available, migrate, status
from cockpit.errors import MigrationError


async def test_fresh_database_migrates_and_rerun_is_noop(bare_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(bare_db_url, autocommit=True) as conn:
        applied = await migrate(conn)
        assert applied == [m.filename for m in available()]
        rows = await (await conn.execute(
            "SELECT version, checksum FROM redkey.schema_migrations ORDER BY version")).fetchall()
        assert [(v, c) for v, c in rows] == [(m.version, m.checksum) for m in available()]
        gens = (await (await conn.execute("SELECT count(*) FROM redkey.layer2_generations")).fetchone())[0]
        assert await migrate(conn) == []
        # no-op: nothing recorded, views not regenerated
        assert (await (await conn.execute("SELECT count(*) FROM redkey.layer2_generations")).fetchone())[0] == gens
        st = await status(conn)
        assert not st.pending and not st.edited


async def test_edited_migration_is_refused(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = available()
    edited = [dataclasses.replace(m, sql=m.sql + "\n-- sneaky edit\n") if m.version == 3 else m for m in original]
    monkeypatch.setattr(migrate_mod, "available", lambda: edited)
    async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
        with pytest.raises(MigrationError) as info:
            await migrate(conn)
        assert "003_extension_tables.sql" in str(info.value) and "edited" in str(info.value)


async def test_failed_migration_applies_nothing(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = migrate_mod.Migration(999, "broken", "CREATE TABLE redkey.half_done (x int);\nSELECT 1/0;")
    monkeypatch.setattr(migrate_mod, "available", lambda: [*available(), bad])
    async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
        with pytest.raises(MigrationError) as info:
            await migrate(conn)
        assert "999_broken.sql failed at line 2 (SELECT 1/0;): division by zero" in str(info.value)
        assert (await (await conn.execute("SELECT to_regclass('redkey.half_done')")).fetchone())[0] is None
        assert 999 not in (await status(conn)).applied


async def test_a_failed_migration_names_its_statement_and_object(empty_db_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bad = migrate_mod.Migration(998, "bad_client", "-- a client with a malformed id\n\n"
                                "INSERT INTO redkey.clients (client_id, name)\n    VALUES ('Not Valid', 'x');\n")
    monkeypatch.setattr(migrate_mod, "available", lambda: [*available(), bad])
    async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
        with pytest.raises(MigrationError) as info:
            await migrate(conn)
    text = str(info.value)
    assert "998_bad_client.sql failed at line 3 (INSERT INTO redkey.clients (client_id, name) VALUES" in text
    assert "violates check constraint" in text and "(object: redkey.clients)" in text


async def test_concurrent_migrations_do_not_collide(bare_db_url: str) -> None:
    import asyncio

    conns = [await psycopg.AsyncConnection.connect(bare_db_url, autocommit=True) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    # Each file is applied by exactly one of them, in number order within each run.
    applied = [name for r in results for name in r]
    assert sorted(applied) == sorted(m.filename for m in available())
    def number(name: str) -> int:
        return int(name.split("_", 1)[0])

    assert all(r == sorted(r, key=number) for r in results)
