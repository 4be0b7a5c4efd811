"""What the cockpit leaves on disk is private (data directory and logs/ 0700, cockpit.log 0600), and
what it prints never holds the database password: malformed URLs libpq quotes back, and passwords with
an unencoded ``@``."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from cockpit.config import Settings, load_settings
from cockpit.db.connect import connect
from cockpit.db.redact import redact, redact_text
from cockpit.errors import CockpitError, ConfigError
from cockpit.private_files import private_dir, private_log


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_unexpected_error_log_is_private(tmp_path: Path, loose_umask) -> None:  # type: ignore[no-untyped-def]
    from cockpit import cli

    settings = Settings(data_dir=tmp_path / "share" / "redkey-cockpit", _env_file=None)  # type: ignore[call-arg]

    async def boom() -> None:
        raise RuntimeError("a traceback that quotes data")

    with pytest.raises(SystemExit):
        cli.run(boom, settings)
    log = settings.data_dir / "logs" / "cockpit.log"
    assert "a traceback that quotes data" in log.read_text()
    assert _mode(settings.data_dir) == 0o700 and _mode(log.parent) == 0o700 and _mode(log) == 0o600
    assert _mode(tmp_path / "share") == 0o700  # a missing parent is created private too


def test_an_existing_loose_log_is_tightened(tmp_path: Path, loose_umask) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)
    (logs / "cockpit.log").write_text("old\n")
    os.chmod(logs / "cockpit.log", 0o644)
    private_log(logs / "cockpit.log")
    assert _mode(logs) == 0o700 and _mode(logs / "cockpit.log") == 0o600
    assert (logs / "cockpit.log").read_text() == "old\n"


def test_embedded_data_directory_is_created_private(tmp_path: Path, loose_umask) -> None:  # type: ignore[no-untyped-def]
    assert _mode(private_dir(tmp_path / "a" / "b")) == 0o700 and _mode(tmp_path / "a") == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    private_dir(shared)
    assert _mode(shared) == 0o755  # an existing directory the user chose keeps its mode


@pytest.mark.parametrize("url, secrets", [
    ("postgresql://cockpit:hun ter2@127.0.0.1:1/db", ["hun ter2", "ter2"]),  # libpq quotes it back
    ("postgresql://cockpit:hunter2%zz@127.0.0.1:1/db", ["hunter2"]),
    ("postgresql://cockpit:s3cr@t!%zz@127.0.0.1:1/db", ["s3cr", "t!%zz"]),  # unencoded @ and a bad escape
    ("postgresql://cockpit:p@ss@w0rd@127.0.0.1:1/db", ["p@ss", "w0rd"]),    # unencoded @, server unreachable
    ("host=127.0.0.1 port=1 password='hun ter2' junk", ["hun ter2"]),
])
def test_connection_errors_never_print_the_password(url: str, secrets: list[str]) -> None:
    with pytest.raises(CockpitError) as err:
        asyncio.run(connect(url, Settings(database_url=url, connect_timeout=1, _env_file=None)))  # type: ignore[call-arg]
    message = str(err.value)
    assert message and "\n" not in message
    for secret in secrets:
        assert secret not in message, message


def test_redact_runs_to_the_last_at_before_the_host() -> None:
    assert redact("postgresql://u:p@ss@w0rd@db.example.com:5432/x") == "postgresql://u:***@db.example.com:5432/x"
    assert redact("postgres://:only@host/x") == "postgres://:***@host/x"
    assert redact("host=h password='a b@c' user=u") == "host=h password=*** user=u"
    assert redact("postgresql://u@host/x") == "postgresql://u@host/x"
    assert redact_text('invalid URI query parameter: "sslmod"', "postgresql://u:pw1@h/x?sslmod=1") == \
        'invalid URI query parameter: "sslmod"'  # quoted pieces without credentials stay useful


def test_a_bad_database_url_setting_is_reported_without_its_password() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(database_url="mysql://cockpit:hunter2@db.example.com/x", _env_file=None)
    assert "hunter2" not in str(err.value) and "COCKPIT_DATABASE_URL" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(resend_webhook_secret=987654321, pool_max_size=0, _env_file=None)
    assert "COCKPIT_POOL_MAX_SIZE" in str(err.value) and "(got 0)" in str(err.value)
    assert "COCKPIT_RESEND_WEBHOOK_SECRET" in str(err.value) and "987654321" not in str(err.value)
