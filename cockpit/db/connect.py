"""Connections: resolve where the database is, open pools, and explain failures in one line.

``database_url`` set: that server (a Supabase connection string, a local Postgres). Unset: the embedded
server in ``data_dir``, with the ``cockpit`` database created on first use.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from typing import Any

import psycopg
from psycopg import AsyncConnection, errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from cockpit.config import Settings
from cockpit.db.embedded import start_embedded, with_database
from cockpit.db.poolmode import ConnectionMode, detect_mode, known_mode
from cockpit.db.redact import redact, redact_text
from cockpit.errors import CockpitError, DatabaseUnavailable, PermissionDenied, ValidationFailed, NotFound

APPLICATION_NAME = "redkey-cockpit"


def resolve_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The libpq URL to use: the configured one, or the embedded server's (starting it)."""
    if settings.database_url:
        return settings.database_url
    server_url = start_embedded(settings.pgdata, keep_running=keep_running)
    ensure_database(server_url, settings.embedded_database)
    return with_database(server_url, settings.embedded_database)


def ensure_database(server_url: str, dbname: str) -> None:
    """Create ``dbname`` on the server if it does not exist (embedded server only)."""
    with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            try:
                conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname)))
            except errors.DuplicateDatabase:
                pass  # another process created it first


def explain_db_error(exc: BaseException, url: str | None = None) -> CockpitError:
    """Translate a connection-level failure into one clear line with what to do."""
    if isinstance(exc, CockpitError):
        return exc
    text = redact_text(str(exc).strip(), url)
    low = text.lower()
    where = f" at {redact(url)}" if url else ""
    if "password authentication failed" in low or "authentication failed" in low:
        return DatabaseUnavailable(f"the database refused the login{where}: wrong user or password",
                                   "check the credentials in COCKPIT_DATABASE_URL")
    if "no password supplied" in low:
        return DatabaseUnavailable(f"the database wants a password{where}",
                                   "put the password in COCKPIT_DATABASE_URL")
    m = re.search(r'role "([^"]+)" does not exist', text)
    if m:
        return DatabaseUnavailable(f"the database refused the login{where}: user {m.group(1)!r} does not exist",
                                   "check the user name in COCKPIT_DATABASE_URL")
    m = re.search(r'database "([^"]+)" does not exist', text)
    if m:
        return DatabaseUnavailable(f"database {m.group(1)!r} does not exist{where}",
                                   "create it, or fix the database name in COCKPIT_DATABASE_URL")
    if "could not translate host name" in low or "name or service not known" in low:
        return DatabaseUnavailable(f"unknown database host{where}", "check the host in COCKPIT_DATABASE_URL")
    if "certificate verify failed" in low or "does not match host name" in low or "server certificate for" in low:
        return DatabaseUnavailable(f"the server's TLS certificate did not verify{where}: {text.splitlines()[0]}",
                                   "set COCKPIT_DATABASE_SSLROOTCERT to the project's CA certificate (Supabase: "
                                   "Database settings > SSL) and connect by the host name the certificate names")
    if "server does not support ssl" in low:
        return DatabaseUnavailable(f"the server does not accept TLS{where}",
                                   "ask for TLS on the server; sslmode=disable in the URL only on a network you trust")
    if "root certificate file" in low:
        return DatabaseUnavailable(f"cannot read the CA certificate{where}: {text.splitlines()[0]}",
                                   "check COCKPIT_DATABASE_SSLROOTCERT / sslrootcert")
    if "network is unreachable" in low or "cannot assign requested address" in low:
        ipv6 = _ipv6_only_unreachable(url)
        if ipv6:
            return DatabaseUnavailable(
                f"{ipv6} resolves only to IPv6 and this machine has no IPv6 route{where}",
                "use the session pooler's URL instead (Supabase: Connect > Session pooler, "
                "<region>.pooler.supabase.com:5432, user postgres.<project-ref>)")
        return DatabaseUnavailable(f"cannot reach the database{where}: the network is unreachable",
                                   "check the machine's network and the host in COCKPIT_DATABASE_URL")
    if "connection refused" in low or "no such file or directory" in low or "is the server running" in low:
        return DatabaseUnavailable(f"cannot reach the database{where}: nothing is listening",
                                   "start the server or fix COCKPIT_DATABASE_URL; unset it to use the embedded one")
    if "timeout" in low or "timed out" in low:
        return DatabaseUnavailable(f"the database did not answer in time{where}",
                                   "check the network/firewall, or raise COCKPIT_CONNECT_TIMEOUT")
    if "invalid dsn" in low or "missing \"=\"" in low or "invalid connection option" in low or "invalid uri" in low:
        return DatabaseUnavailable(f"COCKPIT_DATABASE_URL is malformed: {text.splitlines()[0]}",
                                   "use postgresql://user:password@host:5432/dbname")
    first = text.splitlines()[0] if text else type(exc).__name__
    return DatabaseUnavailable(f"database error{where}: {first}")


def _ipv6_only_unreachable(url: str | None) -> str | None:
    """The host of ``url`` if every address it resolves to is IPv6 and none of them is routable from here."""
    if not url:
        return None
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return None
    host = str(params.get("host") or "")
    port = int(str(params.get("port") or 5432).split(",")[0])
    if not host or host.startswith("/") or "," in host:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None
    if not infos or any(family != socket.AF_INET6 for family, *_ in infos):
        return None
    for *_, sockaddr in infos:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            probe.connect(sockaddr)  # UDP: only asks the routing table, sends nothing
            return None
        except OSError:
            continue
        finally:
            probe.close()
    return host


def explain_write_error(exc: psycopg.Error, *, role: str | None = None, columns: list[str] | None = None) -> CockpitError:
    """Translate an error raised by a statement (not the connection) into a user-facing error."""
    diag = exc.diag
    msg = redact_text(diag.message_primary or str(exc).splitlines()[0])
    hint = diag.message_hint
    if isinstance(exc, errors.InsufficientPrivilege):
        if columns and role:
            owner = {"redkey_operational": "operational (arlo's)", "redkey_strategic": "strategic (Justin's)",
                     "redkey_readonly": "read-only"}.get(role.replace("redkey_cockpit_", "redkey_"), role)
            return PermissionDenied(
                f"the {owner} role may not write {', '.join(columns)}: {msg}",
                "operational fields belong to arlo, strategic fields to Justin; use the owning role")
        return PermissionDenied(msg, hint)
    if isinstance(exc, errors.NoDataFound):
        return NotFound(msg, hint)
    if isinstance(exc, errors.UniqueViolation):
        detail = diag.message_detail or ""
        return ValidationFailed(f"that would duplicate an existing record ({detail or msg})", hint)
    if isinstance(exc, (errors.CheckViolation, errors.InvalidParameterValue, errors.InvalidDatetimeFormat,
                        errors.DatetimeFieldOverflow, errors.InvalidTextRepresentation,
                        errors.NumericValueOutOfRange, errors.NotNullViolation, errors.ForeignKeyViolation,
                        errors.StringDataRightTruncation, errors.InvalidTransactionTermination,
                        errors.RaiseException)):
        return ValidationFailed(msg, hint)
    if isinstance(exc, errors.ObjectNotInPrerequisiteState) or diag.sqlstate == "428C9" \
            or (diag.sqlstate or "").startswith("RK"):  # RedKey's own refusals (a transition not allowed)
        return ValidationFailed(msg, hint)
    if isinstance(exc, (errors.UndefinedTable, errors.UndefinedFunction)):
        return DatabaseUnavailable(f"the database is not migrated: {msg}", "run `cockpit migrate`")
    if isinstance(exc, psycopg.OperationalError):
        return explain_db_error(exc)
    return CockpitError(f"database error: {msg}", hint)


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _is_local_host(host: str) -> bool:
    """A Unix socket directory or a loopback address: no TLS needed by default."""
    return all(not h or h.startswith("/") or h.startswith("@") or h in _LOOPBACK or h.startswith("127.")
               for h in host.split(","))


def _with_options(url: str, settings: Settings) -> str:
    """The URL with the cockpit's defaults: timeouts, application name, and TLS for remote hosts
    (``sslmode=require``; ``verify-full`` against ``COCKPIT_DATABASE_SSLROOTCERT`` when set). What the URL
    or the PG* environment says wins."""
    params = conninfo_to_dict(url)
    params.setdefault("connect_timeout", str(int(max(1, settings.connect_timeout))))
    params.setdefault("application_name", APPLICATION_NAME)
    if settings.database_sslrootcert is not None:
        params.setdefault("sslrootcert", str(settings.database_sslrootcert))
        if params.get("sslmode") not in ("verify-ca", "verify-full"):
            params["sslmode"] = "verify-full"
    host = str(params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST", ""))
    if "sslmode" not in params and not os.environ.get("PGSSLMODE") and not _is_local_host(host):
        params["sslmode"] = "require"
    return make_conninfo(**params)  # type: ignore[arg-type]


def connection_kwargs(mode: ConnectionMode) -> dict[str, object]:
    """psycopg connection options for a mode: no automatic prepared statements behind a transaction
    pooler (a prepared statement lives on one backend; the next transaction may get another)."""
    return {"prepare_threshold": None} if mode.transaction else {}


async def connection_mode(url: str, settings: Settings) -> ConnectionMode:
    """The detected (or configured) connection mode for ``url``; failures explained in one line."""
    found = known_mode(url, settings.database_pool_mode)
    if found is not None:
        return found
    try:
        conninfo = _with_options(url, settings)
        return await asyncio.wait_for(detect_mode(conninfo, url, settings.database_pool_mode),
                                      timeout=settings.connect_timeout * 2 + 2)
    except (psycopg.Error, OSError, asyncio.TimeoutError) as exc:
        raise explain_db_error(exc if not isinstance(exc, asyncio.TimeoutError) else TimeoutError("timed out"),
                               url) from None


PSYCOPG_PREPARE_THRESHOLD = 5  # psycopg's default: prepare a query after it ran this many times


async def connect(url: str, settings: Settings, *, autocommit: bool = True) -> AsyncConnection:
    """One connection (CLI commands, migrations), with failures explained. The first connection to an
    address also tells its connection mode; until then it prepares nothing."""
    try:
        conninfo = _with_options(url, settings)
    except psycopg.ProgrammingError as exc:
        raise explain_db_error(exc, url) from None
    mode = known_mode(url, settings.database_pool_mode)
    kwargs = connection_kwargs(mode) if mode is not None else {"prepare_threshold": None}
    try:
        conn = await asyncio.wait_for(
            AsyncConnection.connect(conninfo, autocommit=autocommit, **kwargs),  # type: ignore[arg-type]
            timeout=settings.connect_timeout + 2)
        if mode is None:
            try:
                mode = await asyncio.wait_for(detect_mode(conninfo, url, settings.database_pool_mode, conn=conn),
                                              timeout=settings.connect_timeout * 2 + 2)
            except BaseException:
                await conn.close()
                raise
            if not mode.transaction:
                conn.prepare_threshold = PSYCOPG_PREPARE_THRESHOLD
        return conn
    except (psycopg.Error, OSError, asyncio.TimeoutError) as exc:
        raise explain_db_error(exc if not isinstance(exc, asyncio.TimeoutError) else TimeoutError("timed out"),
                               url) from None


class CockpitPool(AsyncConnectionPool):
    """The store's pool, knowing its connection mode and the statement timeout that each transaction
    sets for itself (a session-level ``SET`` would not survive a transaction pooler)."""

    def __init__(self, *args: Any, mode: ConnectionMode, statement_timeout_ms: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.statement_timeout_ms = statement_timeout_ms


async def open_pool(url: str, settings: Settings, *, min_size: int | None = None,
                    max_size: int | None = None, check: bool = True) -> CockpitPool:
    """A pool for ``url`` adapted to its connection mode. Checks one connection first (unless the caller
    just had one, ``check=False``) so a bad URL fails here, with a clear message, rather than later
    inside a worker."""
    if check:
        conn = await connect(url, settings)
        await conn.close()
    mode = await connection_mode(url, settings)
    timeout_ms = settings.statement_timeout_ms

    async def configure(c: AsyncConnection) -> None:
        await c.set_autocommit(True)
        if timeout_ms and not mode.transaction:
            await c.execute(f"SET statement_timeout = {int(timeout_ms)}")

    pool = CockpitPool(
        _with_options(url, settings),
        kwargs=connection_kwargs(mode),
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size if max_size is None else max_size,
        configure=configure,
        open=False,
        timeout=settings.connect_timeout + 5,
        reconnect_timeout=60,
        name="cockpit",
        mode=mode,
        statement_timeout_ms=timeout_ms,
    )
    await pool.open(wait=False)
    return pool
