"""Benchmark: a 100k-row CSV becomes proposals in <= 20 s.

Starts its own embedded PostgreSQL in a temp dir (or uses COCKPIT_BENCH_DATABASE_URL), migrates it, loads
the demo data, writes a 100k-row CSV (contacts of 5,000 companies; 2% duplicate emails, 1% bad emails,
0.5% ragged rows, some rows matching existing demo contacts), then times each phase of the import:

    .venv/bin/python bench/import_100k.py [--rows 100000] [--in-process]

``--in-process`` normalizes in the importing process even for a large file (to compare with the child
process the import uses from cockpit.imports.normalize_process.PARALLEL_FROM_ROWS rows).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import tempfile
import time
from pathlib import Path

from cockpit.config import Settings
from cockpit.db.connect import connect
from cockpit.db.embedded import start_embedded
from cockpit.db.migrate import migrate
from cockpit.demo import seed_demo
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store

TARGET_S = 20.0
_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(pgdata: Path | None) -> float | None:
    """CPU seconds the embedded server's processes (postmaster and its children) have used so far."""
    if pgdata is None:
        return None
    try:
        pid = (pgdata / "postmaster.pid").read_text().split()[0]
        pids = [pid, *Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, IndexError):
        return None
    return processes_cpu(pids)


def processes_cpu(pids: list[str] | list[int]) -> float:
    """CPU seconds (user and system) the live processes ``pids`` have used so far."""
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _given_pgdata() -> Path | None:
    """The data directory of COCKPIT_BENCH_DATABASE_URL's server when it is a local embedded one (its
    socket directory is its data directory), so its CPU can be measured too."""
    host = re.search(r"host=([^&\s]+)", os.environ.get("COCKPIT_BENCH_DATABASE_URL", ""))
    d = Path(host.group(1)) if host else None
    return d if d is not None and (d / "postmaster.pid").is_file() else None


def helper_cpu() -> float:
    """CPU seconds this process's live child processes (the import's normalizer) have used so far."""
    import multiprocessing

    return processes_cpu([c.pid for c in multiprocessing.active_children() if c.pid is not None])


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_csv(rows: int, existing: list[str]) -> bytes:
    rng = random.Random(100)
    out = ["First Name,Last Name,Email,Company,Website,Title,Phone,City,Notes"]
    for i in range(rows):
        co = i % 5000
        r = rng.random()
        if r < 0.01:
            email = f"broken{i}.example"            # bad email
        elif r < 0.03 and i > 10:
            email = f"p{i - 7}@c{(i - 7) % 5000}.example.com"  # duplicate within the file
        elif r < 0.035 and existing:
            email = rng.choice(existing)            # already in the CRM
        else:
            email = f"p{i}@c{co}.example.com"
        line = (f"Person{i},Zeta{i % 977},{email},Company {co},https://www.c{co}.example.com,CTO,"
                f"+1 555 {i:07d},Lyon,\"note, {i}\"")
        if 0.035 <= r < 0.04:
            line += ",extra"                        # ragged
        out.append(line)
    return ("\n".join(out) + "\n").encode()


async def main(rows: int) -> None:
    pgdata = _given_pgdata() if os.environ.get("COCKPIT_BENCH_DATABASE_URL") else Path(tempfile.mkdtemp()) / "pgdata"
    url = os.environ.get("COCKPIT_BENCH_DATABASE_URL") or start_embedded(pgdata, scratch=True)
    settings = Settings(database_url=url, client_id="bezeliq", _env_file=None)  # type: ignore[call-arg]
    conn = await connect(url, settings)
    await migrate(conn)
    await seed_demo(conn, deals=240, contacts=1200)
    await conn.close()
    store = await Store.open(settings)
    existing = [r["email"] for r in await store.db.fetch_dicts("SELECT email FROM crm_contacts WHERE email <> '' LIMIT 500")]
    data = make_csv(rows, existing)
    print(f"CSV: {rows:,} rows, {len(data) / 1e6:.1f} MB")
    phases: dict[str, float] = {}
    phase_db: dict[str, float] = {}
    phase_cpu: dict[str, tuple[float, float, float]] = {}
    last: list = [time.perf_counter(), None, server_cpu(pgdata), time.process_time(), time.thread_time(), 0.0]
    child_seen: dict[str, float] = {"cpu": 0.0}

    def child_cpu() -> float:
        """The normalizer's CPU so far (it keeps the last figure seen once the child has ended)."""
        child_seen["cpu"] = max(child_seen["cpu"], helper_cpu())
        return child_seen["cpu"]

    def tick(phase: str, done: int, total: int) -> None:
        """Time (the server's CPU, this process's and its event loop's) since the previous tick belongs to
        the phase that was running."""
        now, db_now, cpu_now, loop_now = time.perf_counter(), server_cpu(pgdata), time.process_time(), time.thread_time()
        child_now = child_cpu()
        if last[1] is not None:
            phases[last[1]] = phases.get(last[1], 0.0) + (now - last[0])
            if db_now is not None and last[2] is not None:
                phase_db[last[1]] = phase_db.get(last[1], 0.0) + (db_now - last[2])
            was = phase_cpu.get(last[1], (0.0, 0.0, 0.0))
            phase_cpu[last[1]] = (was[0] + cpu_now - last[3], was[1] + loop_now - last[4], was[2] + child_now - last[5])
        last[:] = [now, phase, db_now, cpu_now, loop_now, child_now]

    load0 = os.getloadavg()
    cpu0, helpers0, db0 = time.process_time(), children_cpu(), server_cpu(pgdata)
    t0 = time.perf_counter()
    staged = await stage_import(store, data, "bench.csv", uploaded_by="bench")
    t1 = time.perf_counter()
    last[:] = [t1, None, server_cpu(pgdata), time.process_time(), time.thread_time(), child_cpu()]
    report = await run_import(store, staged, progress=tick)
    t2 = time.perf_counter()
    cpu, helpers, db = time.process_time() - cpu0, children_cpu() - helpers0, server_cpu(pgdata)
    tick("end", 0, 0)
    await store.close()
    print(report.summary())
    print(f"stage (parse, keep raw bytes, propose manifest): {t1 - t0:6.2f} s")
    for phase, secs in phases.items():
        db_part = f", database server {phase_db[phase]:5.2f} s" if phase in phase_db else ""
        print(f"  {phase:<28} {secs:6.2f} s  (CPU: this process {phase_cpu[phase][0]:5.2f} s, its event loop "
              f"{phase_cpu[phase][1]:5.2f} s, normalizer {phase_cpu[phase][2]:5.2f} s{db_part})")
    print(f"run (normalize, dedup, row records, proposals, auto commit): {t2 - t1:6.2f} s")
    total = t2 - t0
    db_cpu = f", database server {db - db0:.2f} s" if db is not None and db0 is not None else ""
    print(f"CPU: this process {cpu:.2f} s, its helper process {helpers:.2f} s{db_cpu}; load average "
          f"{load0[0]:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores")
    print(f"TOTAL file -> proposals (incl. committing {report.auto_committed:,} low-risk records): "
          f"{total:.2f} s  (target <= {TARGET_S:.0f} s: {'PASS' if total <= TARGET_S else 'FAIL'})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--in-process", action="store_true", help="normalize without the child process")
    args = ap.parse_args()
    if args.in_process:
        from cockpit.imports import normalize_process
        normalize_process.PARALLEL_FROM_ROWS = args.rows + 1
    asyncio.run(main(args.rows))
