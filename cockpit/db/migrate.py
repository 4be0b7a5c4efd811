"""Ordered, checksummed SQL migrations, recorded in ``redkey.schema_migrations``.

Files are ``cockpit/db/migrations/NNN_name.sql``, applied in number order, each in its own transaction.
Re-running is a no-op. A file edited after it was applied is refused (its checksum no longer matches),
naming the file. A migration whose number is lower than one already applied (from a merged branch) is
still applied, in order. After migrations, Layer 2 is regenerated when its SQL would differ from the
last generation (by a fingerprint of the generator and the workspace shapes), so the views always
match the registered workspaces, and the Data API lock-down runs last, over everything the
migrations and the generation created.

Only transaction-level advisory locks are taken, so the same code is safe through a pooler.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import AsyncConnection

from cockpit.db import change_stamps, generation, stage_totals, stale_keys
from cockpit.db.data_api import lock_down
from cockpit.errors import MigrationError

LOCK_KEY = 0x6D696772  # "migr"
_NAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.version:03d}_{self.name}.sql"


@dataclass
class MigrationStatus:
    applied: list[int]
    pending: list[Migration]
    edited: list[str]


def available() -> list[Migration]:
    out = []
    for entry in resources.files("cockpit.db").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            out.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(versions) != len(set(versions)):
        dupes = sorted({v for v in versions if versions.count(v) > 1})
        raise MigrationError(f"two migration files share a number: {dupes}")
    return out


_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS redkey;
CREATE TABLE IF NOT EXISTS redkey.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
"""


async def status(conn: AsyncConnection) -> MigrationStatus:
    cur = await conn.execute("SELECT to_regclass('redkey.schema_migrations') IS NOT NULL")
    exists = (await cur.fetchone())[0]  # type: ignore[index]
    applied: dict[int, str] = {}
    if exists:
        cur = await conn.execute("SELECT version, checksum FROM redkey.schema_migrations")
        applied = {v: c for v, c in await cur.fetchall()}
    files = available()
    edited = [m.filename for m in files if m.version in applied and applied[m.version] != m.checksum]
    pending = [m for m in files if m.version not in applied]
    return MigrationStatus(sorted(applied), pending, edited)


async def _lock(conn: AsyncConnection) -> None:
    """The migration lock, held to the end of the current transaction: the server releases it at
    commit or rollback, so it cannot outlive its transaction or land on another pooled backend."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))


async def migrate(conn: AsyncConnection) -> list[str]:
    """Apply pending migrations, refresh Layer 2 and lock down the Data API. Returns the filenames applied.

    ``conn`` must be in autocommit mode. Each migration runs in its own transaction, which takes the
    migration lock (transaction-level) and re-reads what is applied, so concurrent runs serialise and
    never apply a file twice.
    """
    applied_now: list[str] = []
    async with conn.transaction():
        await _lock(conn)
        await conn.execute(_BOOTSTRAP)
    checked_roles = False
    while True:
        failure: tuple[Migration, psycopg.Error] | None = None
        async with conn.transaction():
            await _lock(conn)
            st = await status(conn)
            if st.edited:
                raise MigrationError(
                    f"migration {', '.join(st.edited)} was edited after it was applied (checksum differs)",
                    "restore the original file and put the change in a new migration")
            if not st.pending:
                break
            m = st.pending[0]
            if not checked_roles:
                await check_roles(conn, roles_created_by(st.pending))
                checked_roles = True
            try:
                async with conn.transaction():
                    await conn.execute(m.sql)  # type: ignore[arg-type]
                    await conn.execute(
                        "INSERT INTO redkey.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (m.version, m.name, m.checksum))
            except psycopg.Error as exc:
                failure = (m, exc)
        if failure:
            raise await explain_failure(conn, *failure)
        applied_now.append(m.filename)
    async with conn.transaction():
        await _lock(conn)
        await refresh_layer2(conn, force=bool(applied_now))
        await stage_totals.retrack(conn)
        await stale_keys.retrack(conn)
        await change_stamps.retrack(conn)
        await lock_down(conn)
    return applied_now


# The field-owning roles, and the store's session roles (members of those, plus the per-client schemas)
REDKEY_ROLES = ("redkey_readonly", "redkey_operational", "redkey_strategic",
                "redkey_cockpit_readonly", "redkey_cockpit_operational", "redkey_cockpit_strategic")
_CREATE_ROLE = re.compile(r"\bCREATE\s+ROLE\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)


def roles_created_by(migrations: list[Migration]) -> list[str]:
    """The roles these migrations create when missing (cluster-wide, so they may exist already)."""
    return list(dict.fromkeys(name.lower() for m in migrations for name in _CREATE_ROLE.findall(m.sql)))


async def role_problems(conn: AsyncConnection, roles: list[str] | None = None) -> list[str]:
    """Why the login cannot create or administer ``roles`` (default: every role a migration creates);
    empty when it can.

    Roles are cluster-wide: another database, or another login, may have created them. A superuser can
    do anything; a CREATEROLE login (Supabase's ``postgres``) needs, since PostgreSQL 16, the ADMIN
    option on a role it did not create itself (to comment on it and grant it)."""
    roles = roles if roles is not None else roles_created_by(available())
    cur = await conn.execute(
        "SELECT r.rolsuper, r.rolcreaterole, current_setting('server_version_num')::int, current_user"
        " FROM pg_roles r WHERE r.rolname = current_user")
    superuser, createrole, version, login = await cur.fetchone()  # type: ignore[misc]
    if superuser or not roles:
        return []
    cur = await conn.execute(
        "SELECT rolname, pg_has_role(current_user, oid, 'MEMBER WITH ADMIN OPTION')"
        " FROM pg_roles WHERE rolname = ANY(%s)", (roles,))
    existing = dict(await cur.fetchall())
    problems = []
    for role in roles:
        if role not in existing:
            if not createrole:
                problems.append(f"role {role} does not exist and {login} may not create roles (no CREATEROLE)")
        elif not createrole:
            problems.append(f"role {role} exists and {login} may not administer roles (no CREATEROLE)")
        elif version >= 160000 and not existing[role]:
            problems.append(f"role {role} already exists in this cluster and {login} has no ADMIN option on it "
                            "(another role created it)")
    return problems


async def check_roles(conn: AsyncConnection, roles: list[str]) -> None:
    problems = await role_problems(conn, roles)
    if problems:
        login = (await (await conn.execute("SELECT current_user")).fetchone())[0]  # type: ignore[index]
        names = ", ".join(sorted({p.split()[1] for p in problems}))
        raise MigrationError(
            "migrations cannot run: " + "; ".join(problems),
            f"as a superuser or the role that created them: GRANT {names} TO {login} WITH ADMIN OPTION "
            "(or DROP ROLE them if no other database uses them), then rerun `cockpit migrate`")


def _statements(sql: str) -> list[tuple[int, str]]:
    """The statements of a migration file, each with the line its first non-comment line is on."""
    import sqlparse  # only to explain a failed migration: not imported by every start

    out = []
    offset = 0
    for raw in sqlparse.split(sql):
        at = sql.find(raw, offset)
        if at < 0:
            at = offset
        offset = at + len(raw)
        lines = raw.splitlines()
        skip = 0
        while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("--")):
            skip += 1
        body = "\n".join(lines[skip:]).strip()
        if body and body != ";":
            out.append((sql.count("\n", 0, at) + skip + 1, body))
    return out


def _object_of(exc: psycopg.Error) -> str:
    d = exc.diag
    parts = [p for p in (d.schema_name, d.table_name, d.column_name) if p]
    named = ".".join(parts) or d.constraint_name or d.datatype_name
    return f" (object: {named})" if named else ""


async def explain_failure(conn: AsyncConnection, m: Migration, exc: psycopg.Error) -> MigrationError:
    """One line naming the file, the statement that failed (its line and start), what it touched and
    why. The file ran as one batch, so the statements are replayed one by one in a transaction that is
    rolled back, to find the one that fails."""
    where = ""
    culprit: psycopg.Error = exc

    class _Found(Exception):
        pass

    try:
        async with conn.transaction():
            await _lock(conn)
            for line, stmt in _statements(m.sql):
                try:
                    await conn.execute(stmt)  # type: ignore[arg-type]
                except psycopg.Error as inner:
                    culprit = inner
                    first = " ".join(stmt.split())
                    where = f" at line {line} ({first[:70]}{'…' if len(first) > 70 else ''})"
                    raise _Found from None
            raise _Found  # every statement ran alone: roll them back all the same
    except _Found:
        pass
    except psycopg.Error:
        pass
    d = culprit.diag
    msg = d.message_primary or str(culprit).splitlines()[0]
    detail = f" — {d.message_detail}" if d.message_detail else ""
    context = ""
    if d.context and "SQL statement" in d.context:
        inner = d.context.split('SQL statement "', 1)[1].split('"\n', 1)[0].strip('"')
        context = f" in: {' '.join(inner.split())[:80]}"
    return MigrationError(
        f"migration {m.filename} failed{where}{context}: {msg}{_object_of(culprit)}{detail}",
        d.message_hint or "nothing of it was applied; fix the file or the database and retry")


async def refresh_layer2(conn: AsyncConnection, *, force: bool = False) -> bool:
    """Regenerate Layer 2 if forced or if the generated SQL changed since the last generation."""
    if not force:
        workspaces = await generation.load_workspaces(conn)
        digest = generation.fingerprint(workspaces)
        cur = await conn.execute("SELECT sql_sha256 FROM redkey.layer2_generations ORDER BY id DESC LIMIT 1")
        row = await cur.fetchone()
        if row and row[0] == digest:
            return False
    from cockpit.db import layer2  # the generator, imported only when it has work to do

    await layer2.regenerate(conn, force=force)
    return True
