"""Benchmark: the activity feed's queries on a large client (EXPLAIN ANALYZE + timings).

    .venv/bin/python bench/activity_feed.py [--activities 200000] [--twenty 50000]

Loads the demo, then adds ``--activities`` rows to redkey.activities and ``--twenty`` rows to the
workspace's timelineActivity (playing Twenty), and times: first page, a page deep in history, rows
newer than the head, and the head poll. Prints the plan of the first page. Target: each ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import drop_database, fresh_database, scratch_server  # noqa: E402
from cockpit.activity.filters import ActivityFilter  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.db.connect import connect  # noqa: E402
from cockpit.demo import seed_demo  # noqa: E402
from cockpit.store import Store  # noqa: E402

DB = "cockpit_bench_feed"


async def timed(fn, runs: int = 7) -> str:  # type: ignore[no-untyped-def]
    xs = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        xs.append(time.perf_counter() - t0)
    return f"median {statistics.median(xs) * 1000:7.2f} ms (max {max(xs) * 1000:.2f})"


async def main(activities: int, twenty: int) -> None:
    server = scratch_server()
    url = fresh_database(server, DB)
    try:
        settings = Settings(database_url=url, client_id="bezeliq", _env_file=None)  # type: ignore[call-arg]
        conn = await connect(url, settings)
        await seed_demo(conn, deals=500, contacts=5000)
        ws = (await (await conn.execute(
            "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone())[0]  # type: ignore[index]
        await conn.execute(
            "INSERT INTO redkey.activities (client_id, occurred_at, kind, channel, subject, source) "
            "SELECT 'bezeliq', now() - make_interval(secs => g * 37), "
            "(ARRAY['email_sent','email_opened','call','note'])[1 + g %% 4], 'email', 'Bench ' || g, 'arlo' "
            "FROM generate_series(1, %s) g", (activities,))
        await conn.execute(
            f'INSERT INTO "{ws}"."timelineActivity" ("happensAt", name) '
            "SELECT now() - make_interval(secs => g * 53), 'person.updated' FROM generate_series(1, %s) g", (twenty,))
        await conn.execute("ANALYZE")
        await conn.close()

        store = await Store.open(settings, url=url, min_size=1, max_size=2)
        f = ActivityFilter()
        first = await store.activity.feed_page(f, limit=100)
        deep = first
        for _ in range(50):
            deep = await store.activity.feed_page(f, before=deep.next_after, limit=100)  # type: ignore[arg-type]
        head = await store.activity.feed_head()
        older_head = (head[0] - timedelta(minutes=30), head[1])  # type: ignore[index]
        async with store.db.tx("readonly") as c:
            cur = await c.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM crm_activities "
                                  "WHERE occurred_at >= now() - interval '1 day' "
                                  "ORDER BY occurred_at DESC, id DESC LIMIT 101")
            plan = "\n".join(r[0] for r in await cur.fetchall())
        print(f"{activities:,} redkey activities + {twenty:,} Twenty timeline rows (+ demo)\n")
        print("plan of the first page (its first, one-day window):\n" + plan + "\n")
        print(f"{'first page (100 rows)':<36} {await timed(lambda: store.activity.feed_page(f, limit=100))}")
        print(f"{'page 51 (keyset, 5,000 rows back)':<36} "
              f"{await timed(lambda: store.activity.feed_page(f, before=deep.next_after, limit=100))}")
        print(f"{'rows newer than head - 30 min':<36} {await timed(lambda: store.activity.feed_newer(f, older_head))}")
        print(f"{'head (feed open)':<36} {await timed(store.activity.feed_head)}")
        print(f"{'poll: newer than the head?':<36} {await timed(lambda: store.activity.feed_head(head))}")
        print(f"{'filtered first page (kind=call)':<36} "
              f"{await timed(lambda: store.activity.feed_page(ActivityFilter(kinds=('call',)), limit=100))}")
        await store.close()
    finally:
        if os.environ.get("KEEP"):
            print("kept", url)
            return
        drop_database(server, DB)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=200_000)
    ap.add_argument("--twenty", type=int, default=50_000)
    args = ap.parse_args()
    asyncio.run(main(args.activities, args.twenty))
