"""Shared bench plumbing: a bench database at a given demo size (seeded once, reused), timing helpers.

The server is the embedded one in ``.bench-data/`` (kept running between benches) or the server named
by ``COCKPIT_BENCH_DATABASE_URL``. Each size gets its own database, seeded with ``cockpit.demo`` once.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from cockpit.config import Settings
from cockpit.db.connect import connect
from cockpit.db.embedded import start_embedded, with_database
from cockpit.demo import seed_demo

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    url = os.environ.get("COCKPIT_BENCH_DATABASE_URL")
    if url:
        return url
    return start_embedded(ROOT / ".bench-data" / "pgdata", keep_running=True)


def scratch_server() -> str:
    """The server named by ``COCKPIT_BENCH_DATABASE_URL``, else a new embedded one in a temporary directory."""
    return os.environ.get("COCKPIT_BENCH_DATABASE_URL") or start_embedded(
        Path(tempfile.mkdtemp(prefix="cockpit-bench-")) / "pgdata", scratch=True)


def fresh_database(server: str, name: str) -> str:
    """URL of a new, empty database ``name`` on ``server`` (one left over from an earlier run is dropped)."""
    drop_database(server, name)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def bench_database(deals: int, contacts: int, *, say: Callable[[str], None] = print) -> str:
    """URL of a database holding demo data at this size (BezelIQ: ``deals`` deals, ``contacts``
    contacts; Northwind a fifth), seeding it on first use."""
    server = server_url()
    name = f"bench_d{deals}_c{contacts}"
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    with psycopg.connect(url, autocommit=True) as c:
        ready = c.execute("SELECT to_regclass('redkey.bench_ready') IS NOT NULL").fetchone()[0]  # type: ignore[index]
    if not ready:
        say(f"seeding {name} (one-off)...")
        conn = await connect(url, Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        try:
            stats = await seed_demo(conn, deals=deals, contacts=contacts, progress=lambda m: say("  " + m))
            await conn.execute("CREATE TABLE redkey.bench_ready (seeded_at timestamptz DEFAULT now())")
            await conn.execute("INSERT INTO redkey.bench_ready DEFAULT VALUES")
        finally:
            await conn.close()
        say(f"seeded in {stats.seconds:.1f}s ({stats.contacts:,} contacts, {stats.deals:,} deals in all)")
    else:
        # keep Layer 2 current with the code (cheap no-op when nothing changed)
        from cockpit.db.migrate import migrate

        conn = await connect(url, Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        try:
            await migrate(conn)
        finally:
            await conn.close()
    return url


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(name: str, ms: list[float], target_ms: float | None = None) -> dict[str, Any]:
    p50, p95 = statistics.median(ms), percentile(ms, 95)
    verdict = "" if target_ms is None else ("  PASS" if p95 <= target_ms else "  MISS")
    print(f"{name:<44} n={len(ms):<4} p50={p50:8.2f} ms  p95={p95:8.2f} ms  max={max(ms):8.2f} ms"
          + (f"  (target p95 ≤ {target_ms:g} ms){verdict}" if target_ms is not None else ""))
    return {"name": name, "n": len(ms), "p50_ms": p50, "p95_ms": p95, "max_ms": max(ms), "target_ms": target_ms}


class Timer:
    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self.start) * 1000
