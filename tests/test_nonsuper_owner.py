"""Every command run by a login like Supabase's ``postgres`` (NOSUPERUSER CREATEROLE CREATEDB BYPASSRLS)
on a cluster of its own: Debian's PostgreSQL 15 and the embedded 18, where CREATEROLE changed (the
creator of a role gets ADMIN on it, not SET or INHERIT, unless granted). Also what happens when RedKey's
roles already exist and belong to someone else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.clusters import free_port, pg15_cluster, pg18_cluster
from tests.test_cli import _no_traceback, cockpit_here as cockpit

OWNER = "app_owner"
PASSWORD = "app-owner-pw"
pytestmark = pytest.mark.slow


@pytest.fixture(params=["15", "18"])
def cluster(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A cluster of its own (RedKey's roles are cluster-wide): (superuser URL, major version)."""
    gen = pg15_cluster() if request.param == "15" else pg18_cluster()
    url = next(gen)
    try:
        yield url, request.param
    finally:
        next(gen, None)


def _url(server_url: str, **over: str) -> str:
    params = conninfo_to_dict(server_url)
    params.update(over)
    return make_conninfo(**params)  # type: ignore[arg-type]


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {"COCKPIT_DATABASE_URL": url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp)}


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_supabase_like_owner_runs_every_command(cluster: tuple[str, str], tmp_path: Path) -> None:
    server, version = cluster
    with psycopg.connect(server, autocommit=True) as su:
        su.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER CREATEROLE CREATEDB BYPASSRLS").format(
            sql.Identifier(OWNER), sql.Literal(PASSWORD)))
        su.execute(sql.SQL("CREATE DATABASE first_app OWNER {}").format(sql.Identifier(OWNER)))
        su.execute(sql.SQL("CREATE DATABASE app OWNER {}").format(sql.Identifier(OWNER)))
        # Someone else created RedKey's roles first (another tool, an earlier project on this cluster).
        for role in ("redkey_readonly", "redkey_operational", "redkey_strategic"):
            su.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    first = cockpit("migrate", env=_env(_url(server, dbname="first_app", user=OWNER, password=PASSWORD), tmp_path))
    _no_traceback(first)
    if version == "15":  # CREATEROLE may still grant any non-superuser role there
        assert first.returncode == 0, first.stderr
    else:
        assert first.returncode == 1 and first.stderr.count("\n") == 1
        assert "migrations cannot run: role redkey_readonly already exists in this cluster" in first.stderr
        assert f"GRANT redkey_operational, redkey_readonly, redkey_strategic TO {OWNER} WITH ADMIN OPTION" in first.stderr
    with psycopg.connect(server, autocommit=True) as su:
        su.execute("DROP DATABASE first_app")
        for role in ("redkey_readonly", "redkey_operational", "redkey_strategic"):
            su.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))

    # The owner now creates the roles itself, and runs everything.
    url = _url(server, dbname="app", user=OWNER, password=PASSWORD)
    env = _env(url, tmp_path)
    assert "applied" in _ok(cockpit("migrate", env=env))
    assert "demo data loaded" in _ok(cockpit("demo", "--deals", "20", "--contacts", "40", env=env))
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute("SELECT redkey.create_twenty_fixture('workspace_acme')")
        superuser = owner.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]  # type: ignore[index]
        assert superuser is False
    assert "registered workspace_acme for Acme (acme)" in _ok(
        cockpit("workspace", "add", "workspace_acme", "--client", "acme", "--label", "Acme", env=env))
    _ok(cockpit("schema", "refresh", env=env))
    assert "arlo: ran" in _ok(cockpit("arlo", "--once", env=env))
    assert _ok(cockpit("tell", "summarise the pipeline", env=env)).startswith("Pipeline:")
    doctor = _ok(cockpit("doctor", env=env))
    assert f"{OWNER} is not a superuser (CREATEROLE, CREATEDB, BYPASSRLS)" in doctor

    port = free_port()
    hook = subprocess.Popen([sys.executable, "-m", "cockpit", "webhooks"], env={
        **{k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}, **env,
        "COCKPIT_WEBHOOK_PORT": str(port)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = json.dumps({"email": "owner.test@example.org", "first_name": "Owen"}).encode()
        status = None
        deadline = time.monotonic() + 60  # the server process starts under a loaded machine too
        while time.monotonic() < deadline and hook.poll() is None:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/forms/bezeliq", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    status = resp.status
                break
            except urllib.error.HTTPError as exc:  # the server answered: that is the answer
                status = exc.code
                break
            except OSError:
                time.sleep(0.1)
        assert status in (200, 201, 202), (hook.stderr.read() if hook.poll() is not None else status)
    finally:
        hook.terminate()
        hook.wait(timeout=10)
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        assert owner.execute("SELECT count(*) FROM crm_contacts WHERE email = 'owner.test@example.org'").fetchone() == (1,)
        if version == "18":  # the creator got ADMIN; 001 granted it SET so it can switch to the roles
            rows = owner.execute(
                "SELECT r.rolname, bool_or(m.set_option) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
                " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) GROUP BY 1 ORDER BY 1").fetchall()
            can_set = {name for name, set_option in rows if set_option}
            store_roles = {"redkey_cockpit_operational", "redkey_cockpit_readonly", "redkey_cockpit_strategic",
                           "redkey_operational", "redkey_readonly", "redkey_strategic"}
            assert store_roles <= can_set, rows
