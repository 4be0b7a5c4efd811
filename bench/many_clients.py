"""Many clients in one database: one client's query planning, pipeline paint and contact search with
200 Twenty-shaped workspaces registered, on the per-client path and (same run, same connection kind)
on public.crm_* as the baseline; and the time of `cockpit workspace add` / `remove` at that size.

Targets: planning <= 1 ms per query warm and <= 10 ms on a fresh connection; pipeline paint <= 0.5 s;
contact search <= 50 ms p95; `cockpit workspace add` < 2 s.

The database (``bench_clients<N>``, seeded once and reused) holds the demo's two clients plus N-2
clients of demo size (``--contacts``/``--deals`` each, the demo's default BezelIQ size), one fixture
workspace each, seeded by cockpit.demo.

    .venv/bin/python -m bench many_clients [--workspaces 200] [--contacts 1200] [--deals 240] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.common import ROOT, server_url, summary  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.db.connect import connect  # noqa: E402
from cockpit.db.embedded import with_database  # noqa: E402
from cockpit.db.views import client_schema  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
CLIENT = "bezeliq"

# The store's queries behind the first screens (pipeline, contacts, activity feed), as the store sends them.
QUERIES = {
    "stage vocabulary": "SELECT * FROM crm_pipeline ORDER BY position",
    "per-stage totals": "SELECT d.stage_id, count(*)::int AS count, coalesce(sum(d.amount), 0) AS amount "
                        "FROM crm_deals d GROUP BY d.stage_id",
    "board ranking": "SELECT id FROM (SELECT d.id, row_number() OVER (PARTITION BY d.stage_id ORDER BY "
                     "coalesce(d.amount, -1) DESC, d.id DESC) AS rn FROM crm_deals d) w WHERE rn <= 17",
    "contacts of a company": "SELECT * FROM crm_contacts WHERE company_id = '00000000-0000-0000-0000-000000000000' "
                             "ORDER BY full_name, id LIMIT 50",
    "activity feed page": "SELECT * FROM crm_activities ORDER BY occurred_at DESC, id DESC LIMIT 50",
    "deal by id": "SELECT * FROM crm_deals WHERE id = '00000000-0000-0000-0000-000000000000'",
}
SEARCHES = ["sarah", "mich", "a", "chen", "meridian", "jo", "dupont", "k", "william", "an"]


async def seed(url: str, n: int, contacts: int, deals: int) -> None:
    from cockpit.db import layer2
    from cockpit.demo import NORTHWIND, DemoClient, _seed_client, seed_demo

    conn = await connect(url, Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        t = time.perf_counter()
        await seed_demo(conn, deals=deals, contacts=contacts)
        for i in range(n - 2):
            client = DemoClient(f"bench{i:03d}", f"Bench Client {i:03d}", uuid.uuid5(uuid.NAMESPACE_DNS, f"bench{i}"),
                                NORTHWIND.stages, {}, NORTHWIND.closed, NORTHWIND.weights)
            await _seed_client(conn, client, random.Random(i), NOW, contacts, deals, named=False)
            if i % 20 == 19:
                print(f"  {i + 3} workspaces seeded ({time.perf_counter() - t:.0f}s)", flush=True)
        t1 = time.perf_counter()
        async with conn.transaction():
            await layer2.regenerate(conn, force=True)
        print(f"full Layer 2 generation over {n} workspaces: {time.perf_counter() - t1:.1f}s")
        await conn.execute("ANALYZE")
        await conn.execute("CREATE TABLE redkey.bench_ready (seeded_at timestamptz DEFAULT now())")
        print(f"seeded in {time.perf_counter() - t:.0f}s")
    finally:
        await conn.close()


async def database(n: int, contacts: int, deals: int) -> str:
    server = server_url()
    name = f"bench_clients{n}_c{contacts}_d{deals}"
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    with psycopg.connect(url) as c:
        ready = c.execute("SELECT to_regclass('redkey.bench_ready') IS NOT NULL").fetchone()[0]  # type: ignore[index]
    if not ready:
        print(f"seeding {name} (one-off)...", flush=True)
        await seed(url, n, contacts, deals)
    else:  # seeded by an older version: its migrations and Layer 2 brought up to this code's
        from cockpit.config import Settings
        from cockpit.db.connect import connect
        from cockpit.db.migrate import migrate

        conn = await connect(url, Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
        try:
            t = time.perf_counter()
            if await migrate(conn):
                print(f"migrated the seeded database to this code in {time.perf_counter() - t:.1f}s", flush=True)
        finally:
            await conn.close()
    return url


def planning_ms(conn: psycopg.Connection, query: str) -> float:
    rows = conn.execute("EXPLAIN (SUMMARY) " + query).fetchall()  # type: ignore[arg-type]
    line = next(r[0] for r in rows if r[0].startswith("Planning Time"))
    return float(line.split(":")[1].split()[0])


def scope(conn: psycopg.Connection, per_client: bool) -> None:
    """What the store's tx() sets (per-client), or the same without the client's schema (public)."""
    conn.execute("SELECT set_config('redkey.client_id', %s, false), set_config('role', 'redkey_cockpit_readonly', false)",
                 (CLIENT,))
    if per_client:
        conn.execute("SELECT set_config('search_path', %s || ', ' || current_setting('search_path'), false)",
                     (client_schema(CLIENT),))


def planning(url: str, runs: int) -> None:
    for per_client in (True, False):
        path = "per-client" if per_client else "public   "
        for label, query in QUERIES.items():
            fresh = []
            for _ in range(runs):
                with psycopg.connect(url, autocommit=True) as conn:
                    scope(conn, per_client)
                    fresh.append(planning_ms(conn, query))
            with psycopg.connect(url, autocommit=True) as conn:
                scope(conn, per_client)
                planning_ms(conn, query)
                warm = [planning_ms(conn, query) for _ in range(runs * 3)]
            ok = "PASS" if statistics.median(warm) <= 1 and statistics.median(fresh) <= 10 else "MISS"
            print(f"planning {path} {label:<24} warm p50 {statistics.median(warm):7.2f} ms   "
                  f"fresh connection p50 {statistics.median(fresh):7.2f} ms  (≤ 1 / ≤ 10 ms) "
                  f"{ok if per_client else ''}", flush=True)


async def search(url: str, runs: int) -> None:
    from cockpit.store import Store

    store = await Store.open(Settings(database_url=url, client_id=CLIENT, _env_file=None))  # type: ignore[call-arg]
    try:
        for text in SEARCHES:
            await store.crm.contacts_page(text)
        ms = []
        for _ in range(runs):
            for text in SEARCHES:
                t = time.perf_counter()
                await store.crm.contacts_page(text)
                ms.append((time.perf_counter() - t) * 1000)
        summary("contact search (store, per-client path)", ms, 50)
    finally:
        await store.close()


def cli(url: str, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(COCKPIT_DATABASE_URL=url)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cockpit", *args], capture_output=True, text=True, env=env)
    took = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"cockpit {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return took


async def register_in_process(url: str, schema: str) -> None:
    """The registration itself (no process start, no migration check): add, then remove."""
    from cockpit.store import Store

    store = await Store.open(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        t = time.perf_counter()
        await store.admin.register_workspace(schema, "benchadd")
        t1 = time.perf_counter()
        await store.workspace_registry.remove(schema)
        t2 = time.perf_counter()
        print(f"in process: register_workspace {t1 - t:.2f}s, remove {t2 - t1:.2f}s")
    finally:
        await store.close()


def workspace_add_remove(url: str) -> None:
    schema = "workspace_benchadd"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        c.execute("SELECT redkey.create_twenty_fixture(%s, NULL)", (schema,))
        n = c.execute("SELECT count(*) FROM redkey.workspaces").fetchone()[0]  # type: ignore[index]
    asyncio.run(register_in_process(url, schema))
    base = cli(url, "workspace", "list")
    add = cli(url, "workspace", "add", schema, "--client", "benchadd")
    remove = cli(url, "workspace", "remove", schema)
    print(f"`cockpit workspace add` with {n} registered: {add:.2f}s (target < 2 s) {'PASS' if add < 2 else 'MISS'}; "
          f"`remove`: {remove:.2f}s; `cockpit workspace list` (process start + migrate check): {base:.2f}s")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=1200)
    parser.add_argument("--deals", type=int, default=240)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    url = asyncio.run(database(args.workspaces, args.contacts, args.deals))
    planning(url, args.runs)
    asyncio.run(search(url, args.runs))
    workspace_add_remove(url)
    print("pipeline paint (bench/pipeline_paint.py on this database):", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline_paint.py"), "--url", url,
                    "--deals", str(args.deals), "--runs", str(args.runs)], check=False)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
