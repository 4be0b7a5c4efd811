"""The `cockpit` command as a user runs it: one clear line on bad input, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def cockpit(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    full_env.update(env or {})
    return subprocess.run([*(prefix or []), sys.executable, "-m", "cockpit", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)


def cockpit_here(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `cockpit` command in this process (the same click entry point; no interpreter start-up per
    command), with only ``env``'s COCKPIT_* variables set."""
    from click.testing import CliRunner

    from cockpit import cli

    cli._load_extensions()
    clean = {k: None for k in os.environ if k.startswith("COCKPIT_")}
    result = CliRunner().invoke(cli.main, list(args), env={**clean, **env}, catch_exceptions=False)  # type: ignore[dict-item]
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_doctor_on_a_healthy_database(db_url: str, tmp_path: Path) -> None:
    proc = cockpit("doctor", env={"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq",
                                  "COCKPIT_DATA_DIR": str(tmp_path)})
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["config", "sync", "database", "connection", "tls", "login",
                                                   "migrate-url", "migrations", "data-api", "scope"]
    assert all(line.split()[1] == "ok" for line in lines)
    assert "bezeliq (BezelIQ)" in lines[-1]


@pytest.mark.parametrize("env,expect", [
    ({"COCKPIT_DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none"}, "cannot reach the database"),
    ({"COCKPIT_DATABASE_URL": "not a url"}, "COCKPIT_DATABASE_URL"),
    ({"COCKPIT_STALE_DAYS": "soon"}, "COCKPIT_STALE_DAYS"),
])
def test_doctor_bad_config_one_line_each(env: dict[str, str], expect: str, tmp_path: Path) -> None:
    proc = cockpit("doctor", env={**env, "COCKPIT_DATA_DIR": str(tmp_path)})
    _no_traceback(proc)
    assert proc.returncode == 1
    assert expect in proc.stdout
    assert all(len(line) < 400 for line in proc.stdout.splitlines())


def test_doctor_unknown_and_missing_client(db_url: str, tmp_path: Path) -> None:
    base = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = cockpit("doctor", env={**base, "COCKPIT_CLIENT_ID": "globex"})
    _no_traceback(proc)
    assert proc.returncode == 1
    assert "unknown client 'globex'" in proc.stdout and "one of: bezeliq, northwind" in proc.stdout
    # no client set: the doctor checks the client the cockpit opens on (the first by name), as the cockpit does
    proc = cockpit("doctor", env=base)
    _no_traceback(proc)
    scope = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0 and scope.startswith("scope       ok") and "bezeliq (BezelIQ)" in scope, proc.stdout
    assert "first client by name" in scope


async def test_doctor_and_cockpit_pick_the_same_client(settings, store, conn) -> None:  # type: ignore[no-untyped-def]
    """With no client configured and COCKPIT_CLIENTS naming only Northwind, the cockpit opens on Northwind
    Labs and the doctor reports that client (its deal count is Northwind's)."""
    from cockpit.app import CockpitApp
    from cockpit.doctor import run_doctor
    from tests.tui_support import scoped_rows

    settings.client_id = None
    settings.clients = ["northwind"]
    app = CockpitApp(settings, store=store.scoped(None))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.store is not None and app.store.client_id:
                break
        assert app.store is not None and app.store.client_id == "northwind" and app.client_name == "Northwind Labs"
    lines: list[str] = []
    await run_doctor(settings, lines.append)
    [(deals,)] = await scoped_rows(conn, "northwind", "SELECT count(*) FROM crm_deals")
    scope = next(line for line in lines if line.startswith("scope"))
    assert "ok" in scope and "northwind (Northwind Labs)" in scope and f"{deals:,} deals" in scope, lines


def test_wrong_credentials(pg_server_url: str, tmp_path: Path) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(pg_server_url)
    params.update(user="ghost", password="s3cr3t-pw")
    proc = cockpit("migrate", env={"COCKPIT_DATABASE_URL": make_conninfo(**params), "COCKPIT_DATA_DIR": str(tmp_path)})
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: the database refused the login"), proc.stderr
    assert "s3cr3t-pw" not in proc.stderr  # the password is never echoed


def test_migrate_and_workspace_commands(empty_db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": empty_db_url, "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = cockpit("migrate", env=env)
    assert proc.returncode == 0 and "up to date" in proc.stdout
    proc = cockpit("workspace", "list", env=env)
    assert "no workspaces registered" in proc.stdout
    proc = cockpit("workspace", "add", "public", "--client", "x", env=env)
    _no_traceback(proc)
    assert proc.returncode == 1 and "not a usable Twenty workspace" in proc.stderr and "workspace_<id>" in proc.stderr


def test_demo_then_list(empty_db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": empty_db_url, "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = cockpit("demo", "--deals", "30", "--contacts", "90", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "2 clients" in proc.stdout
    proc = cockpit("demo", "--if-empty", env=env)
    assert "already has data" in proc.stdout
    proc = cockpit("workspace", "list", env=env)
    assert "bezeliq" in proc.stdout and "northwind" in proc.stdout
    proc = cockpit("demo", "--deals", "-5", env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_every_feature_subcommand_is_mapped_to_its_module_and_loaded_only_when_used() -> None:
    """Starting `cockpit` imports no feature's CLI module; each module's commands are named in
    EXTENSIONS (a command missing there would be unreachable), and `--help` lists them all."""
    code = (
        "import sys, click\n"
        "from cockpit import cli\n"
        "before = set(cli.main.commands)\n"
        "assert not [m for m in cli.EXTENSIONS.values() if m in sys.modules], 'imported at start'\n"
        "for name, module in cli.EXTENSIONS.items():\n"
        "    assert cli.main.get_command(click.Context(cli.main), name) is not None, name\n"
        "    assert module in sys.modules, module\n"
        "added = set(cli.main.commands) - before\n"
        "assert added == set(cli.EXTENSIONS), sorted(added ^ set(cli.EXTENSIONS))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = cockpit("--help")
    assert listed.returncode == 0, listed.stderr
    for name in ("import", "tell", "calendar", "work", "workspace"):
        assert f"  {name} " in listed.stdout, listed.stdout
    unknown = cockpit("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
