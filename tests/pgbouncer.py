"""A real PgBouncer (Debian's package) in transaction mode, in front of the test server, for the tests
that run through a transaction pooler the way Supabase's port 6543 does.

Started once per test session in a temporary directory on a free loopback port. Every database is
reachable through it (``* =`` wildcard), as the non-superuser owner role the suite creates. PgBouncer
refuses to run as root; then it runs as the OS user that owns the server's socket directory (so it can
reach the socket), or ``nobody`` for a TCP server.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")


def find_pgbouncer() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgBouncer:
    process: subprocess.Popen  # type: ignore[type-arg]
    port: int
    directory: Path
    user: str
    password: str

    def url_for(self, direct_url: str, *, user: str | None = None, password: str | None = None) -> str:
        """The URL of ``direct_url``'s database through PgBouncer, as the owner role."""
        dbname = conninfo_to_dict(direct_url)["dbname"]
        return make_conninfo(host="127.0.0.1", port=str(self.port), dbname=dbname, user=user or self.user,
                             password=password or self.password)

    def log(self) -> str:
        try:
            return (self.directory / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_pgbouncer(binary: str, server_url: str, user: str, password: str, *,
                    pool_mode: str = "transaction") -> PgBouncer:
    params = conninfo_to_dict(server_url)
    host = str(params.get("host") or "127.0.0.1")
    port = str(params.get("port") or 5432)
    directory = Path(tempfile.mkdtemp(prefix="cockpit-pgbouncer-"))
    listen = _free_port()
    (directory / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    (directory / "pgbouncer.ini").write_text(f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {directory / 'userlist.txt'}
pool_mode = {pool_mode}
max_client_conn = 400
default_pool_size = 8
server_lifetime = 3600
server_idle_timeout = 30
logfile = {directory / 'pgbouncer.log'}
pidfile =
""")
    cmd = [binary, str(directory / "pgbouncer.ini")]
    run_as = None
    if os.geteuid() == 0:
        run_as = pwd.getpwuid(os.stat(host).st_uid).pw_name if host.startswith("/") else "nobody"
        shutil.chown(directory, run_as)
        for f in directory.iterdir():
            shutil.chown(f, run_as)
        cmd = [binary, "-u", run_as, str(directory / "pgbouncer.ini")]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"pgbouncer exited at start: {err.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", listen), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("pgbouncer did not listen within 10 s")
    return PgBouncer(process, listen, directory, user, password)
