"""Benchmark: schema diagrams and the documentation folder on a large schema.

Targets: an ER diagram of a ~50-table neighbourhood, laid
out by Graphviz to SVG, ≤ 2 s; ``cockpit schema doc`` of the 2,000-table bench schema (2,000 tables /
40,000 columns / 4,000 FKs, the same generator as bench/schema_refresh.py) ≤ 30 s.

    .venv/bin/python bench/schema_doc.py                  # embedded server in a temp dir
    COCKPIT_BENCH_DATABASE_URL=postgresql://... .venv/bin/python bench/schema_doc.py
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import drop_database, fresh_database, scratch_server  # noqa: E402
from bench.schema_refresh import DB, schema_ddl  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.db.connect import connect  # noqa: E402
from cockpit.db.migrate import migrate  # noqa: E402
from cockpit.schema import diagram, docs, publish  # noqa: E402
from cockpit.schema.graph import SchemaGraph  # noqa: E402
from cockpit.store import Store  # noqa: E402


def _hood_of_size(graph: SchemaGraph, details: dict, want: int = 50) -> tuple[str, int, diagram.Selection]:
    """A table whose radius-1 or -2 neighbourhood has about ``want`` relations."""
    best = None
    for key in sorted(graph.relations):
        if key not in details or graph.relations[key].is_system:
            continue
        for radius in (1, 2):
            sel = docs.neighbourhood_selection(graph, details, key, radius)
            size = len(sel.tables)
            if best is None or abs(size - want) < abs(best[3] - want):
                best = (key, radius, sel, size)
        if best and abs(best[3] - want) <= 3:
            break
    assert best is not None
    return best[0], best[1], best[2]


async def main(tables: int, columns: int, fks: int) -> None:
    server = scratch_server()
    url = fresh_database(server, DB)
    out = Path(tempfile.mkdtemp(prefix="cockpit-bench-doc-"))
    try:
        settings = Settings(database_url=url, data_dir=out / "data", _env_file=None)  # type: ignore[call-arg]
        conn = await connect(url, settings)
        await migrate(conn)
        async with conn.transaction():
            for stmt in schema_ddl(tables, columns, fks):
                await conn.execute(stmt)
        await conn.execute("ANALYZE")
        await conn.close()
        store = await Store.open(settings, url=url, min_size=1, max_size=2)
        res = await store.schema.refresh_schema_cache()
        print(f"schema: {res.relations:,} relations, {res.columns:,} column rows, {res.foreign_keys:,} FKs")

        t0 = time.perf_counter()
        cat = await publish.load_catalog(store)
        t_load = time.perf_counter() - t0

        graph = SchemaGraph(cat.snapshot, include_system=False)
        key, radius, sel = _hood_of_size(graph, cat.details)
        have_dot = shutil.which("dot") is not None
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            cat2, s2, title = await publish.diagram_catalog(store, table=key, radius=radius, group=None,
                                                            include_system=False)
            data = publish.diagram_bytes(cat2, s2, "svg" if have_dot else "dot", title)
            runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mermaid = diagram.to_mermaid(cat.details, sel)
        t_mermaid = time.perf_counter() - t0

        doc_runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            result = await publish.write_doc_folder(store, out / "docs", include_system=False, svg=False,
                                                    rules_text=None)
            doc_runs.append(time.perf_counter() - t0)
        await store.close()
        size = sum(p.stat().st_size for p in (out / "docs").rglob("*") if p.is_file())

        print(f"\n{'what':<58} {'result':<26} target")
        print(f"{'catalog read (every relation with its detail)':<58} {t_load * 1000:>8.0f} ms")
        label = f"diagram {key} r{radius}: {len(sel.tables)} tables, {len(sel.edges)} FKs"
        print(f"{label[:58]:<58} {min(runs):>8.2f} s (max {max(runs):.2f})"
              f"{'' if have_dot else ' [dot missing: DOT only]'}  ≤ 2 s  ({len(data):,} bytes, incl. catalog read)")
        print(f"{'  same neighbourhood as Mermaid text':<58} {t_mermaid * 1000:>8.1f} ms   ({len(mermaid):,} bytes)")
        print(f"{f'doc folder: {result.tables:,} pages, {result.groups} groups':<58} {min(doc_runs):>8.2f} s "
              f"(max {max(doc_runs):.2f})  ≤ 30 s  ({size / 1e6:.1f} MB)")
    finally:
        shutil.rmtree(out, ignore_errors=True)
        drop_database(server, DB)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--columns", type=int, default=40000)
    ap.add_argument("--fks", type=int, default=4000)
    args = ap.parse_args()
    asyncio.run(main(args.tables, args.columns, args.fks))
