"""`cockpit doctor`'s deployment lines: connection mode, TLS, the login's powers, where migrations run,
and what Supabase's Data API roles can reach. Each check is one line, ok or FAIL with what to do."""

from __future__ import annotations

from collections.abc import Callable

from psycopg import AsyncConnection

from cockpit.config import Settings
from cockpit.db.connect import connection_mode, redact
from cockpit.db.data_api import exposures
from cockpit.db.migrate import REDKEY_ROLES, role_problems
from cockpit.errors import CockpitError

Line = Callable[[str, bool, str], bool]


async def deployment_lines(conn: AsyncConnection, url: str, settings: Settings, line: Line) -> bool:
    ok = True
    mode = await connection_mode(url, settings)
    line("connection", True, f"{mode.describe()}: {mode.degrades}")

    pg = conn.pgconn
    if pg.ssl_in_use:
        verify = conn.info.get_parameters().get("sslmode", "require")
        proto = ""
        if mode.mode == "direct":  # the server's view of this very connection
            row = await (await conn.execute(
                "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).fetchone()
            proto = f"{row[0]}, " if row and row[0] else ""
        line("tls", True, f"in use ({proto}sslmode={verify})")
    elif pg.host.decode().startswith("/") or pg.host.decode() in ("localhost", "127.0.0.1", "::1"):
        line("tls", True, "not used (local connection)")
    else:
        ok = line("tls", False, f"not in use to {pg.host.decode()} — put sslmode=require (or verify-full with "
                  "COCKPIT_DATABASE_SSLROOTCERT) in COCKPIT_DATABASE_URL") and ok

    cur = await conn.execute(
        "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
        " WHERE rolname = current_user")
    login, superuser, createrole, createdb, bypassrls = await cur.fetchone()  # type: ignore[misc]
    problems = await role_problems(conn)
    if not superuser and not problems:
        version = int(conn.info.server_version)
        kind = "SET" if version >= 160000 else "MEMBER"
        cur = await conn.execute(
            f"SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) AND NOT pg_has_role(current_user, oid, '{kind}')",
            (list(REDKEY_ROLES),))
        problems = [f"{login} cannot switch to {r[0]}" for r in await cur.fetchall()]
    powers = ", ".join(p for p, has in (("CREATEROLE", createrole), ("CREATEDB", createdb),
                                        ("BYPASSRLS", bypassrls)) if has) or "no role attributes"
    if problems:
        ok = line("login", False, f"{login}: " + "; ".join(problems) + f" — as a superuser: GRANT "
                  f"{', '.join(REDKEY_ROLES)} TO {login} WITH ADMIN OPTION") and ok
    elif superuser:
        line("login", True, f"{login} is a superuser (Supabase's postgres is not: what works here may not there)")
    else:
        line("login", True, f"{login} is not a superuser ({powers}); it can use RedKey's roles")

    ok = await _migration_line(url, settings, mode.transaction, line) and ok
    return ok


async def _migration_line(url: str, settings: Settings, transaction: bool, line: Line) -> bool:
    if settings.migration_database_url:
        try:
            mig = await connection_mode(settings.migration_database_url, settings)
        except CockpitError as exc:
            return line("migrate-url", False, f"COCKPIT_MIGRATION_DATABASE_URL: {exc}")
        if mig.transaction:
            return line("migrate-url", False, "COCKPIT_MIGRATION_DATABASE_URL is a transaction pooler too "
                        f"({mig.how}) — use the direct URL or the session pooler's (port 5432)")
        return line("migrate-url", True, f"COCKPIT_MIGRATION_DATABASE_URL, {mig.describe()}: "
                    f"{redact(settings.migration_database_url)}")
    if transaction:
        return line("migrate-url", False, "COCKPIT_DATABASE_URL is a transaction pooler and "
                    "COCKPIT_MIGRATION_DATABASE_URL is not set — set it to the direct or session pooler URL")
    return line("migrate-url", True, "migrations run on COCKPIT_DATABASE_URL (it keeps session state)")


async def exposure_line(conn: AsyncConnection, line: Line) -> bool:
    roles, found = await exposures(conn)
    if not roles:
        return line("data-api", True, "no anon/authenticated roles here (not a Supabase database)")
    if found:
        shown = "; ".join(str(e) for e in found[:4]) + (f" (+{len(found) - 4} more)" if len(found) > 4 else "")
        return line("data-api", False, f"{shown} — run `cockpit migrate` (it revokes these)")
    return line("data-api", True, "anon reaches nothing RedKey owns; authenticated reads the crm_* views, "
                "only rows of its JWT's client_id claim")
