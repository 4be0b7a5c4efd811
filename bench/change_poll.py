"""The change feed's poll at scale: what one poll of the client's data costs (target <= 50 ms, both with
LISTEN, where it watches what Twenty writes, and without, where it watches everything).

The feed runs it every ``refresh_seconds`` (5 s) for every open cockpit. Each kind's value is timed on
its own, then the whole query as the feed runs it (:func:`cockpit.store.changes.fingerprint_sql`), on
the shared bench database (default 1M deals, 200k contacts).

    .venv/bin/python -m bench change_poll [--deals 1000000] [--contacts 200000] [--runs 7] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cockpit.config import Settings  # noqa: E402
from cockpit.store import Store  # noqa: E402
from cockpit.store import changes  # noqa: E402

TARGET_MS = 50.0


async def _timed(store: Store, query: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await store.db.fetch_dicts(query, {"c": "bezeliq"}, role="owner")
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


async def _main(argv: list[str]) -> bool:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="an already seeded database (default: the shared bench database)")
    args = parser.parse_args(argv)
    if args.url:
        url = args.url
    else:
        from bench.common import bench_database

        url = await bench_database(args.deals, args.contacts)
    store = await Store.open(Settings(database_url=url, client_id="bezeliq", _env_file=None))  # type: ignore[call-arg]
    try:
        kinds = {**changes._TWENTY_POLL, **changes._REDKEY_POLL}
        for kind, query in kinds.items():
            print(f"  {kind:<10} {await _timed(store, f'SELECT ({query}) AS v', args.runs):8.1f} ms")
        ok = True
        for everything, label in ((False, "with LISTEN (Twenty's kinds)"), (True, "without LISTEN (every kind)")):
            ms = await _timed(store, changes.fingerprint_sql(everything=everything), args.runs)
            ok = ok and ms <= TARGET_MS
            print(f"one poll {label}: median {ms:.1f} ms (target <= {TARGET_MS:g} ms)")
    finally:
        await store.close()
    print("PASS" if ok else "FAIL")
    return ok


def main(argv: list[str] | None = None) -> None:
    if not asyncio.run(_main(argv or [])):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
