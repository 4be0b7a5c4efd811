"""Ordered, checksummed SQL migrations, recorded in ``redkey.schema_migrations``.

Files are ``cockpit/db/migrations/NNN_name.sql``, applied in number order, each in its own transaction.
Re-running is a no-op. A file edited after it was applied is refused (its checksum no longer matches),
naming the file. A migration whose number is lower than one already applied (from a merged branch) is
still applied, in order. After migrations, Layer 2 is regenerated when its SQL would differ from the
last generation (by a fingerprint of the generator and the workspace shapes), so the views always
match the registered workspaces.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from psycopg import AsyncConnection

from cockpit.db import layer2
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


async def migrate(conn: AsyncConnection) -> list[str]:
    """Apply pending migrations and refresh Layer 2. Returns the filenames applied.

    ``conn`` must be in autocommit mode; each migration gets its own transaction.
    """
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        await conn.execute(_BOOTSTRAP)
        st = await status(conn)
        if st.edited:
            raise MigrationError(
                f"migration {', '.join(st.edited)} was edited after it was applied (checksum differs)",
                "restore the original file and put the change in a new migration")
        for m in st.pending:
            try:
                async with conn.transaction():
                    await conn.execute(m.sql)  # type: ignore[arg-type]
                    await conn.execute(
                        "INSERT INTO redkey.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (m.version, m.name, m.checksum))
            except Exception as exc:
                raise MigrationError(f"migration {m.filename} failed: {str(exc).splitlines()[0]}",
                                     "nothing of it was applied; fix the file or the database and retry") from exc
            applied_now.append(m.filename)
        async with conn.transaction():
            await refresh_layer2(conn, force=bool(applied_now))
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied_now


async def refresh_layer2(conn: AsyncConnection, *, force: bool = False) -> bool:
    """Regenerate Layer 2 if forced or if the generated SQL changed since the last generation."""
    if not force:
        workspaces = await layer2.load_workspaces(conn)
        digest = layer2.fingerprint(workspaces)
        cur = await conn.execute("SELECT sql_sha256 FROM redkey.layer2_generations ORDER BY id DESC LIMIT 1")
        row = await cur.fetchone()
        if row and row[0] == digest:
            return False
    await layer2.regenerate(conn, force=force)
    return True
