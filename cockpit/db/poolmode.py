"""What sits between the cockpit and Postgres: nothing (direct), a session pooler, or a transaction pooler.

A transaction pooler (Supavisor or PgBouncer on port 6543) lends a server backend per transaction, so
nothing survives a transaction boundary: no named prepared statements, no ``SET``, no session advisory
locks, no ``LISTEN``. The cockpit adapts to it (see :attr:`ConnectionMode.degrades`).

The mode is, in this order: ``COCKPIT_DATABASE_POOL_MODE`` when not ``auto``; port 6543 (Supabase's
transaction pooler, shared or dedicated); a ``*.pooler.supabase.com`` host on another port (session);
otherwise what the server answers. A connection whose backend sees our own socket's port is direct;
behind a proxy, two connections show whether backends are shared between clients (transaction mode)
or bound to one client each (session mode).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict

Mode = Literal["direct", "session", "transaction"]
TRANSACTION_POOLER_PORT = "6543"


@dataclass(frozen=True)
class ConnectionMode:
    mode: Mode
    how: str  # how the mode was decided, for `cockpit doctor`

    @property
    def transaction(self) -> bool:
        return self.mode == "transaction"

    @property
    def degrades(self) -> str:
        if self.transaction:
            return ("no prepared statements, settings and locks per transaction only, the live feed polls "
                    "instead of LISTEN; migrations need COCKPIT_MIGRATION_DATABASE_URL")
        return "nothing degrades"

    def describe(self) -> str:
        label = {"direct": "direct", "session": "session pooler", "transaction": "transaction pooler"}[self.mode]
        return f"{label} ({self.how})"


_known: dict[tuple[str, str, str], ConnectionMode] = {}


def _key(url: str) -> tuple[str, str, str]:
    params = conninfo_to_dict(url)
    return (str(params.get("host", "")), str(params.get("port", "")), str(params.get("user", "")))


def declared_mode(url: str, setting: str = "auto") -> ConnectionMode | None:
    """The mode the configuration or the address alone decides; None when the server must be asked."""
    if setting != "auto":
        return ConnectionMode(setting, "COCKPIT_DATABASE_POOL_MODE")  # type: ignore[arg-type]
    params = conninfo_to_dict(url)
    if str(params.get("port", "")) == TRANSACTION_POOLER_PORT:
        return ConnectionMode("transaction", "port 6543")
    if str(params.get("host", "")).endswith(".pooler.supabase.com"):
        return ConnectionMode("session", "Supavisor host, not port 6543")
    return None


def known_mode(url: str, setting: str = "auto") -> ConnectionMode | None:
    """The mode already detected (or declared) for this URL's host, port and user, without asking."""
    return declared_mode(url, setting) or _known.get(_key(url))


async def _pid(conn: AsyncConnection) -> int:
    return (await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0]  # type: ignore[index]


async def _sees_own_socket(conn: AsyncConnection) -> bool:
    """True when the backend's view of its client is this very socket (no proxy in between)."""
    row = await (await conn.execute(
        "SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()")).fetchone()
    server_side_port = row[0] if row else None
    fd = conn.pgconn.socket
    sock = socket.socket(fileno=socket.dup(fd))
    try:
        if sock.family == socket.AF_UNIX:
            return server_side_port == -1  # the backend, too, sees a Unix socket
        return server_side_port == sock.getsockname()[1]
    finally:
        sock.close()


async def detect_mode(conninfo: str, url: str | None = None, setting: str = "auto", *,
                      conn: AsyncConnection | None = None) -> ConnectionMode:
    """Decide the mode for ``conninfo`` (cached per host, port and user). ``url`` is the configured URL
    (the address the decision is about) when ``conninfo`` carries extra options. ``conn``, an autocommit
    connection to it opened without prepared statements, is used for the first look instead of a new one."""
    url = url or conninfo
    found = known_mode(url, setting)
    if found is not None:
        return found
    kwargs = {"autocommit": True, "prepare_threshold": None}
    own = conn is None or not conn.autocommit
    first = await AsyncConnection.connect(conninfo, **kwargs) if own else conn  # type: ignore[arg-type]
    assert first is not None
    try:
        if await _sees_own_socket(first):
            mode = ConnectionMode("direct", "the server sees this connection's own socket")
        else:
            mode = await _probe_pooler(first, conninfo, kwargs)
    except psycopg.Error:
        mode = ConnectionMode("session", "a proxy that did not answer the probe; assuming session state is kept")
    finally:
        if own:
            await first.close()
    _known[_key(url)] = mode
    return mode


async def _probe_pooler(first: AsyncConnection, conninfo: str, kwargs: dict, rounds: int = 3) -> ConnectionMode:  # type: ignore[type-arg]
    """Behind a proxy: does another client get the first one's backend, or the first one a new backend,
    while the others hold theirs in open transactions? Never in session mode; within a few rounds in
    transaction mode (poolers hand out the backend released last)."""
    pid_before = await _pid(first)
    others: list[AsyncConnection] = []
    try:
        for _ in range(rounds):
            other = await AsyncConnection.connect(conninfo, **kwargs)
            others.append(other)
            await other.execute("BEGIN")
            if await _pid(other) == pid_before or await _pid(first) != pid_before:
                return ConnectionMode("transaction", "a pooler that shares backends between clients")
    finally:
        for other in others:
            await other.close()
    return ConnectionMode("session", "a pooler that keeps one backend per client")
