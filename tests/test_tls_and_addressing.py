"""TLS by default for remote hosts, verify-full against a CA file, and the IPv6-only host explained,
against a real PostgreSQL 15 speaking TLS on this machine's own (non-loopback) address."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cockpit.config import Settings
from cockpit.db.connect import _with_options, connect
from cockpit.errors import DatabaseUnavailable
from tests.clusters import pg15_cluster
from tests.test_cli import _no_traceback, cockpit


def _local_address() -> str | None:
    """This machine's outward IPv4 address (a UDP 'connect' only consults the routing table)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def _certificates(directory: Path, ip: str) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for ``ip``; returns (ca, cert, key)."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={ip}", "-keyout", "server.key", "-out", "server.csr")
    (directory / "san.ext").write_text(f"subjectAltName=IP:{ip}\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.ext", "-out", "server.crt")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Other CA",
        "-keyout", "other.key", "-out", "other.crt")
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URL over TCP on this machine's address, with no sslmode in it; the CA file)."""
    ip = _local_address()
    if ip is None or shutil.which("openssl") is None:
        pytest.skip("needs a non-loopback IPv4 address and openssl")
    certs = tmp_path_factory.mktemp("certs")
    ca, cert, key = _certificates(certs, ip)

    def prepare(data: Path) -> None:
        shutil.copy(cert, data / "server.crt")
        shutil.copy(key, data / "server.key")
        (data / "server.key").chmod(0o600)
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write("hostssl all all 0.0.0.0/0 trust\n")

    gen = pg15_cluster(listen=ip, settings={"ssl": "on"}, prepare=prepare)
    socket_url = next(gen)
    port = conninfo_to_dict(socket_url)["port"]
    try:
        yield make_conninfo(host=ip, port=str(port), user="postgres", dbname="postgres"), ca
    finally:
        next(gen, None)


def _settings(url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path, _env_file=None, **extra)  # type: ignore[call-arg]


def test_tls_is_the_default_for_remote_hosts_only(tmp_path: Path) -> None:
    s = _settings("postgresql://u:p@db.abc.supabase.co:5432/postgres", tmp_path)
    assert conninfo_to_dict(_with_options(s.database_url or "", s))["sslmode"] == "require"
    for local in ("postgresql://u@localhost/db", "postgresql://u@127.0.0.1/db", "host=/tmp/sock dbname=x"):
        assert "sslmode" not in conninfo_to_dict(_with_options(local, s))
    asked = "postgresql://u:p@db.abc.supabase.co/postgres?sslmode=verify-full&sslrootcert=/etc/ca.crt"
    assert conninfo_to_dict(_with_options(asked, s))["sslmode"] == "verify-full"


async def test_remote_connections_use_tls_and_can_verify_the_server(tls_server: tuple[str, Path],
                                                                   tmp_path: Path) -> None:
    url, ca = tls_server
    conn = await connect(url, _settings(url, tmp_path))
    try:
        assert conn.pgconn.ssl_in_use
    finally:
        await conn.close()
    verified = await connect(url, _settings(url, tmp_path, database_sslrootcert=ca))
    try:
        assert verified.pgconn.ssl_in_use and verified.info.get_parameters()["sslmode"] == "verify-full"
    finally:
        await verified.close()
    with pytest.raises(DatabaseUnavailable, match="TLS certificate did not verify .*COCKPIT_DATABASE_SSLROOTCERT"):
        await connect(url, _settings(url, tmp_path, database_sslrootcert=ca.parent / "other.crt"))
    with pytest.raises(psycopg.OperationalError):  # the server takes TLS only: nothing in clear text
        await psycopg.AsyncConnection.connect(url, sslmode="disable")


def test_doctor_reports_tls_in_use(tls_server: tuple[str, Path], tmp_path: Path) -> None:
    url, ca = tls_server
    proc = cockpit("doctor", env={"COCKPIT_DATABASE_URL": url, "COCKPIT_DATA_DIR": str(tmp_path),
                                  "COCKPIT_DATABASE_SSLROOTCERT": str(ca)})
    _no_traceback(proc)
    out = proc.stdout
    assert "tls" in out, out + proc.stderr
    tls = next(line for line in out.splitlines() if line.startswith("tls"))
    assert tls.split()[1] == "ok" and "in use (TLSv1.3, sslmode=verify-full)" in tls


def test_an_ipv6_only_host_without_an_ipv6_route_says_so(tmp_path: Path) -> None:
    # A network namespace with no routes at all: the host resolves only to IPv6 and cannot be reached.
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here (unshare -n): {probe.stderr.decode().strip()}")
    env = {"COCKPIT_DATABASE_URL": "postgresql://postgres:pw@[2001:db8::5]:5432/postgres",
           "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = cockpit("migrate", env=env, prefix=["unshare", "-n"])
    _no_traceback(proc)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "2001:db8::5 resolves only to IPv6 and this machine has no IPv6 route" in proc.stderr
    assert "session pooler" in proc.stderr
