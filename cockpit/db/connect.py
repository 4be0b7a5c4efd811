"""Connections: resolve where the database is, open pools, and explain failures in one line.

``database_url`` set: that server (a Supabase connection string, a local Postgres). Unset: the embedded
server in ``data_dir``, with the ``cockpit`` database created on first use.
"""

from __future__ import annotations

import asyncio
import re

import psycopg
from psycopg import AsyncConnection, errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from cockpit.config import Settings
from cockpit.db.embedded import start_embedded, with_database
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


def explain_write_error(exc: psycopg.Error, *, role: str | None = None, columns: list[str] | None = None) -> CockpitError:
    """Translate an error raised by a statement (not the connection) into a user-facing error."""
    diag = exc.diag
    msg = redact_text(diag.message_primary or str(exc).splitlines()[0])
    hint = diag.message_hint
    if isinstance(exc, errors.InsufficientPrivilege):
        if columns and role:
            owner = {"redkey_operational": "operational (arlo's)", "redkey_strategic": "strategic (Justin's)",
                     "redkey_readonly": "read-only"}.get(role, role)
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
    if isinstance(exc, errors.ObjectNotInPrerequisiteState) or diag.sqlstate == "428C9":
        return ValidationFailed(msg, hint)
    if isinstance(exc, (errors.UndefinedTable, errors.UndefinedFunction)):
        return DatabaseUnavailable(f"the database is not migrated: {msg}", "run `cockpit migrate`")
    if isinstance(exc, psycopg.OperationalError):
        return explain_db_error(exc)
    return CockpitError(f"database error: {msg}", hint)


def _with_options(url: str, settings: Settings) -> str:
    params = conninfo_to_dict(url)
    params.setdefault("connect_timeout", str(int(max(1, settings.connect_timeout))))
    params.setdefault("application_name", APPLICATION_NAME)
    return make_conninfo(**params)  # type: ignore[arg-type]


async def connect(url: str, settings: Settings, *, autocommit: bool = True) -> AsyncConnection:
    """One connection (CLI commands, migrations), with failures explained."""
    try:
        conninfo = _with_options(url, settings)
    except psycopg.ProgrammingError as exc:
        raise explain_db_error(exc, url) from None
    try:
        return await asyncio.wait_for(
            AsyncConnection.connect(conninfo, autocommit=autocommit), timeout=settings.connect_timeout + 2)
    except (psycopg.Error, OSError, asyncio.TimeoutError) as exc:
        raise explain_db_error(exc if not isinstance(exc, asyncio.TimeoutError) else TimeoutError("timed out"),
                               url) from None


async def open_pool(url: str, settings: Settings, *, min_size: int | None = None,
                    max_size: int | None = None) -> AsyncConnectionPool:
    """A pool whose connections all start with the statement timeout set. Checks one connection first so a
    bad URL fails here, with a clear message, rather than later inside a worker."""
    conn = await connect(url, settings)
    await conn.close()
    timeout_ms = settings.statement_timeout_ms

    async def configure(c: AsyncConnection) -> None:
        await c.set_autocommit(True)
        if timeout_ms:
            await c.execute(f"SET statement_timeout = {int(timeout_ms)}")

    pool = AsyncConnectionPool(
        _with_options(url, settings),
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size if max_size is None else max_size,
        configure=configure,
        open=False,
        timeout=settings.connect_timeout + 5,
        reconnect_timeout=60,
        name="cockpit",
    )
    await pool.open(wait=False)
    return pool
