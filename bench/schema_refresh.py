"""Benchmark: schema cache refresh, explorer open and join path on a large schema, side by side with
pgcli's metadata fetch (what pgcli 4.7 reads for its completions) in the same run.

Targets: refresh (read + persist) ≤ 1 s; explorer open from the cache ≤ 0.3 s;
join path ≤ 50 ms — on 2,000 tables / 40,000 columns / 4,000 FKs.

    .venv/bin/python bench/schema_refresh.py                  # embedded server in a temp dir
    COCKPIT_BENCH_DATABASE_URL=postgresql://... .venv/bin/python bench/schema_refresh.py

The schema goes into a fresh database (``cockpit_bench_schema``) which is dropped at the end.
Figures are sensitive to machine load (the embedded server shares the CPUs): compare ours with the
pgcli line printed by the same run. The in-app line's first run includes importing the explorer
(networkx, models: ~0.3 s once per process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import drop_database, fresh_database, scratch_server  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.db.connect import connect  # noqa: E402
from cockpit.db.migrate import migrate  # noqa: E402
from cockpit.schema.graph import SchemaGraph  # noqa: E402
from cockpit.schema.groups import group_relations, parse_rules  # noqa: E402
from cockpit.store import Store  # noqa: E402

DB = "cockpit_bench_schema"


def schema_ddl(tables: int, columns: int, fks: int, seed: int = 11) -> list[str]:
    """DDL for ``tables`` tables in 10 schemas with ``columns`` columns in total (id + ref columns +
    filler) and ``fks`` single-column FKs to earlier tables (plus a few composite ones)."""
    rng = random.Random(seed)
    schemas = [f"bench_{i}" for i in range(10)]
    stmts = [f"CREATE SCHEMA {s}" for s in schemas]
    per_table = columns // tables
    fk_targets: list[list[str]] = [[] for _ in range(tables)]
    for _ in range(fks):
        src = rng.randrange(1, tables)
        fk_targets[src].append(f"t{rng.randrange(0, src)}")
    names = [f"{schemas[i % 10]}.t{i}" for i in range(tables)]
    for i in range(tables):
        cols = ["id bigint PRIMARY KEY", "code text NOT NULL", "UNIQUE (id, code)"]
        n_cols = 2
        for j, target in enumerate(fk_targets[i]):
            tnum = int(target[1:])
            cols.append(f"ref_{j} bigint REFERENCES {names[tnum]} (id)")
            n_cols += 1
        while n_cols < per_table:
            cols.append(f"c{n_cols} {'text' if n_cols % 3 else 'integer'} DEFAULT NULL")
            n_cols += 1
        stmts.append(f"CREATE TABLE {names[i]} ({', '.join(cols)})")
        if i % 3 == 0 and fk_targets[i]:
            stmts.append(f"CREATE INDEX ON {names[i]} (ref_0)")
        if i % 97 == 0 and i > 0:  # a few composite FKs
            stmts.append(f"ALTER TABLE {names[i]} ADD FOREIGN KEY (id, code) REFERENCES {names[i // 2]} (id, code)")
    return stmts


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


async def atimed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t0)
    return out


def fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:8.2f} ms  (min {min(xs) * 1000:.2f}, max {max(xs) * 1000:.2f})"


def pgcli_fetch(url: str) -> tuple[int, int, int]:
    from pgcli.pgexecute import PGExecute

    ex = PGExecute(dsn=url)
    try:
        t = list(ex.tables())
        c = list(ex.table_columns())
        f = list(ex.foreignkeys())
    finally:
        ex.conn.close()
    return len(t), len(c), len(f)


async def explorer_in_app(settings: Settings, runs: int = 5) -> list[float]:
    """The explorer as the user meets it: the real app, headless; from the ``g s`` keys to the grouped
    tree being shown (first open), then reloads of the open screen (cache -> graph -> tree)."""
    from cockpit.app import CockpitApp
    from screens.schema import SchemaScreen

    store = await Store.open(settings, min_size=1, max_size=4)
    await store.admin.ensure_client("bench", "Bench")  # the frame scopes the session to a client first
    app = CockpitApp(settings.model_copy(update={"client_id": "bench"}), store=store)
    out: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.connection_state != "connected":
            await pilot.pause(0.01)
        t0 = time.perf_counter()
        await pilot.press("g", "s")
        while not (isinstance(app.screen, SchemaScreen) and app.screen.snapshot is not None):
            await pilot.pause(0.005)
        await pilot.pause()
        out.append(time.perf_counter() - t0)
        screen = app.screen
        for _ in range(runs - 1):
            shown = screen.snapshot
            t0 = time.perf_counter()
            screen.reload()
            while screen.snapshot is shown:  # each load shows a new snapshot object
                await pilot.pause(0.005)
            await pilot.pause()
            out.append(time.perf_counter() - t0)
    await store.close()
    return out


async def main(tables: int, columns: int, fks: int, runs: int) -> None:
    server = scratch_server()
    url = fresh_database(server, DB)
    try:
        settings = Settings(database_url=url, data_dir=Path(tempfile.mkdtemp(prefix="cockpit-bench-data-")),
                            _env_file=None)  # type: ignore[call-arg]
        conn = await connect(url, settings)
        await migrate(conn)
        t0 = time.perf_counter()
        async with conn.transaction():
            for stmt in schema_ddl(tables, columns, fks):
                await conn.execute(stmt)
        await conn.execute("ANALYZE")
        await conn.close()
        print(f"generated the schema in {time.perf_counter() - t0:.1f}s")

        store = await Store.open(settings, url=url, min_size=1, max_size=2)
        res = await store.schema.refresh_schema_cache()  # warm-up
        print(f"schema: {res.relations:,} relations, {res.columns:,} column rows, {res.foreign_keys:,} FKs")

        refresh = await atimed(store.schema.refresh_schema_cache, runs)

        async def open_explorer() -> None:
            snap = await store.schema.schema_snapshot()
            graph = SchemaGraph(snap, include_system=False)
            graph.undirected  # noqa: B018 - the join-path view is built when the explorer opens
            group_relations(snap.relations, parse_rules(""), workspaces=snap.workspaces)
            open_explorer.graph = graph  # type: ignore[attr-defined]

        explorer = await atimed(open_explorer, runs)
        graph: SchemaGraph = open_explorer.graph  # type: ignore[attr-defined]
        await store.close()

        rng = random.Random(5)
        import networkx as nx

        keys = sorted(max(nx.connected_components(graph.undirected), key=len))  # pairs that have a path
        pairs = [(rng.choice(keys), rng.choice(keys)) for _ in range(50)]
        shortest = [timed(lambda a=a, b=b: graph.join_path(a, b), 1)[0] for a, b in pairs]
        alternatives = [timed(lambda a=a, b=b: graph.join_paths(a, b, k=5), 1)[0] for a, b in pairs[:20]]
        hood = timed(lambda: graph.neighbourhood(keys[0], radius=2), 5)
        lint = timed(lambda: (graph.orphans(), graph.cycles(), graph.unindexed_fks()), 3)

        screen_open = await explorer_in_app(settings)
        print("explorer screen runs (ms):", [round(x * 1000) for x in screen_open])

        counts = pgcli_fetch(url)  # warm-up
        pgcli = timed(lambda: pgcli_fetch(url), runs)

        print(f"\n{'what':<44} {'result':<48} target")
        print(f"{'cockpit refresh (read + persist)':<44} {fmt(refresh):<48} ≤ 1000 ms")
        print(f"{'pgcli tables+columns+FKs fetch':<44} {fmt(pgcli):<48} (reference; {counts[0]:,} tables, "
              f"{counts[1]:,} columns, {counts[2]:,} FK columns)")
        print(f"{'explorer open (cache → graph → groups)':<44} {fmt(explorer):<48} ≤ 300 ms")
        print(f"{'explorer screen: g s → tree shown (app)':<44} {fmt(screen_open):<48} ≤ 300 ms")
        print(f"{'join path, shortest (50 random pairs)':<44} {fmt(shortest):<48} ≤ 50 ms "
              f"(p95 {sorted(shortest)[int(0.95 * len(shortest)) - 1] * 1000:.2f} ms)")
        print(f"{'join paths, 5 alternatives (20 pairs)':<44} {fmt(alternatives):<48}")
        print(f"{'neighbourhood radius 2':<44} {fmt(hood):<48}")
        print(f"{'lint: orphans + cycles + unindexed FKs':<44} {fmt(lint):<48}")
    finally:
        drop_database(server, DB)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--columns", type=int, default=40000)
    ap.add_argument("--fks", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    asyncio.run(main(args.tables, args.columns, args.fks, args.runs))
