"""Client-bound logins against the real server: a login bound to BezelIQ that sets redkey.client_id (or a
JWT claim, or SET ROLE) to Northwind still sees and writes only BezelIQ, and holds only the powers it
was granted. Also the ``cockpit client login`` command."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cockpit.cli import _load_extensions, main
from cockpit.errors import NotFound, ValidationFailed
from cockpit.store import Store
from cockpit.store.logins import ClientLogin


def _as(db_url: str, made: ClientLogin) -> str:
    params = conninfo_to_dict(db_url)
    params.update(user=made.login, password=made.password)
    return make_conninfo(**params)  # type: ignore[arg-type]


@pytest.fixture
async def login_name(db_url: str) -> AsyncIterator[str]:
    """A unique login name (roles are cluster-wide), dropped afterwards."""
    name = f"rk_test_{uuid.uuid4().hex[:10]}"
    yield name
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        await owner.execute(psycopg.sql.SQL("DROP ROLE IF EXISTS {}").format(psycopg.sql.Identifier(name)))


async def _one(conn: psycopg.AsyncConnection, query: str, *args: object) -> object:
    return (await (await conn.execute(query, args)).fetchone())[0]  # type: ignore[index]


async def test_bound_login_sees_and_writes_only_its_client(store: Store, db_url: str, login_name: str) -> None:
    made = await store.logins.create_or_rotate("bezeliq", ["readonly", "operational"], login=login_name)
    assert made.created and made.powers == ("readonly", "operational")
    await store.scoped("northwind").tasks.create_task("adhoc_query", brief="northwind's plans")
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        await owner.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
        nw_contact, nw_name = (await (await owner.execute(
            "SELECT id, first_name FROM crm_contacts ORDER BY id LIMIT 1")).fetchone())  # type: ignore[misc]
        nw_activities = await _one(owner, "SELECT count(*) FROM crm_activities")

    async with await psycopg.AsyncConnection.connect(_as(db_url, made), autocommit=True) as conn:
        for attempt in ("SELECT set_config('redkey.client_id', 'northwind', false)",
                        "SELECT set_config('request.jwt.claims', '{\"client_id\": \"northwind\"}', false)",
                        "SET ROLE redkey_operational"):
            await conn.execute(attempt)
            assert await _one(conn, "SELECT redkey.current_client_id()") == "bezeliq"
            clients = {r[0] for r in await (await conn.execute("SELECT DISTINCT client_id FROM crm_contacts")).fetchall()}
            assert clients == {"bezeliq"}, attempt
            assert await _one(conn, "SELECT count(*) FROM crm_contacts WHERE id = %s", nw_contact) == 0
            assert await _one(conn, "SELECT count(*) FROM crm_deals WHERE client_id = 'northwind'") == 0
            assert await _one(conn, "SELECT count(*) FROM redkey.tasks WHERE client_id = 'northwind'") == 0
            assert await _one(conn, "SELECT count(*) FROM redkey.clients") == 1
        # writes: Northwind's rows are out of reach
        cur = await conn.execute("UPDATE crm_contacts SET job_title = 'pwned' WHERE id = %s", (nw_contact,))
        assert cur.rowcount == 0
        with pytest.raises(psycopg.Error):
            await conn.execute("INSERT INTO crm_activities (client_id, kind, source, summary) "
                               "VALUES ('northwind', 'note', 'arlo', 'forged')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("INSERT INTO redkey.contact_email_prefs (client_id, contact_id) VALUES ('northwind', %s)",
                               (nw_contact,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the cross-client claim is not a login's
            await conn.execute("SELECT * FROM redkey.claim_task('me', 60, 'roles.crm')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor the unsubscribe signing key
            await conn.execute("SELECT unsubscribe_key FROM redkey.email_keys")
        # no strategic power was granted: its own client's strategic fields are refused too
        await conn.execute("RESET ROLE")
        own = await _one(conn, "SELECT id FROM crm_contacts ORDER BY id LIMIT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("UPDATE crm_contacts SET priority = 'high' WHERE id = %s", (own,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("SET ROLE redkey_strategic")
        channel = await _one(conn, "SELECT redkey.change_channel()")
        for other_channel in ("SELECT redkey.change_channel_of('northwind')", "SELECT * FROM redkey.notify_keys"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # Northwind's channel name stays unknown
                await conn.execute(other_channel)
    assert channel == await store.db.fetch_value("SELECT redkey.change_channel()")
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        await owner.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
        assert await _one(owner, "SELECT first_name FROM crm_contacts WHERE id = %s", nw_contact) == nw_name
        assert await _one(owner, "SELECT count(*) FROM crm_activities") == nw_activities


async def test_rotate_keeps_the_binding_and_changes_the_powers(store: Store, db_url: str, login_name: str) -> None:
    first = await store.logins.create_or_rotate("bezeliq", ["strategic"], login=login_name)
    again = await store.logins.create_or_rotate("bezeliq", ["readonly"], login=login_name)
    assert not again.created and again.password != first.password
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        granted = {r[0] for r in await (await owner.execute(
            "SELECT b.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "JOIN pg_roles b ON b.oid = m.roleid WHERE r.rolname = %s", (login_name,))).fetchall()}
    assert granted == {"redkey_client_login", "redkey_readonly"}
    with pytest.raises(ValidationFailed, match="bound to client bezeliq"):
        await store.logins.create_or_rotate("northwind", login=login_name)
    with pytest.raises(ValidationFailed, match="not a client login"):
        await store.logins.create_or_rotate("bezeliq", login="redkey_operational")
    with pytest.raises(NotFound):
        await store.logins.create_or_rotate("nosuchclient", login=login_name)
    assert [r["login"] for r in await store.logins.list()] == [login_name]


async def test_a_bound_login_without_its_row_sees_nothing(store: Store, db_url: str, login_name: str) -> None:
    made = await store.logins.create_or_rotate("bezeliq", login=login_name)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as owner:
        await owner.execute("DELETE FROM redkey.client_logins WHERE login = %s", (login_name,))
    async with await psycopg.AsyncConnection.connect(_as(db_url, made), autocommit=True) as conn:
        await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        assert await _one(conn, "SELECT redkey.current_client_id()") is None
        assert await _one(conn, "SELECT count(*) FROM crm_contacts") == 0


def test_cli_prints_the_password_once(db_url: str, tmp_path, login_name: str) -> None:  # type: ignore[no-untyped-def]
    _load_extensions()
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["client", "login", "northwind", "--name", login_name, "--power", "operational"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert f"login {login_name} for client northwind (operational): created" in result.output
    assert "password (shown once" in result.output and f"user={login_name}" in result.output
    bad = CliRunner().invoke(main, ["client", "login", "nosuch"], env=env)
    assert bad.exit_code != 0 and "unknown client 'nosuch'" in bad.output and "Traceback" not in bad.output
