"""Benchmark: does arlo stall the UI? Target: no frame gap over 100 ms while an enrichment scan over
10,000 contacts runs inside the cockpit's process.

Set-up: an embedded PostgreSQL (temporary) with demo data whose BezelIQ client has 10,000 unenriched
contacts; a People Data Labs-shaped server in a separate process (so its threads do not share our GIL);
the Arlo screen open in a headless Textual app. A 60 Hz UI timer updates a widget every tick; the gap
between consecutive ticks is the frame gap (event-loop stalls, rendering included). We record the gaps
for a few seconds idle (baseline), then while the scan runs as an async worker in the app, to the end.

    .venv/bin/python bench/arlo_ui_stall.py [--contacts 10000]
"""

from __future__ import annotations

import argparse
import gc
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App  # noqa: E402
from textual.widgets import Static  # noqa: E402

from cockpit.arlo.context import Services  # noqa: E402
from cockpit.arlo.enrichment import PeopleDataLabsProvider  # noqa: E402
from cockpit.arlo.instructions import RuleBasedParser  # noqa: E402
from cockpit.arlo.runner import Arlo  # noqa: E402
from cockpit.config import Settings  # noqa: E402
from cockpit.db.connect import connect  # noqa: E402
from cockpit.db.embedded import start_embedded  # noqa: E402
from cockpit.db.migrate import migrate  # noqa: E402
from cockpit.demo import seed_demo  # noqa: E402
from cockpit.store import Store  # noqa: E402
from screens.arlo import ArloScreen  # noqa: E402

STYLES = Path(__file__).resolve().parent.parent / "styles"
TARGET_MS = 100.0
FREEZE = "--no-freeze" not in sys.argv


class Host(App[None]):
    CSS_PATH = [STYLES / "arlo.tcss"]

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.gaps: list[float] = []
        self._last = 0.0
        self._frames = 0

    def on_mount(self) -> None:
        self.push_screen(ArloScreen())
        if FREEZE:
            gc.freeze()  # what ArloRuntime.start does in the cockpit (compare with --no-freeze)
        self._last = time.perf_counter()
        self.set_interval(1 / 60, self._frame)

    def _frame(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now
        self._frames += 1
        try:
            self.screen.query_one("#arlo-runtime", Static).update(f"frame {self._frames}")
        except Exception:  # noqa: BLE001 - screen not mounted yet
            pass


def summarise(name: str, gaps: list[float]) -> str:
    if not gaps:
        return f"{name}: no frames"
    qs = statistics.quantiles(gaps, n=100) if len(gaps) > 2 else gaps
    over = sum(g > TARGET_MS for g in gaps)
    return (f"{name}: {len(gaps)} frames, gap p50 {statistics.median(gaps):.1f} ms, p99 {qs[-1]:.1f} ms, "
            f"max {max(gaps):.1f} ms, frames over {TARGET_MS:.0f} ms: {over}")


async def main(contacts: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="arlo-bench-"))
    url = start_embedded(tmp / "pgdata")
    settings = Settings(database_url=url, client_id="bezeliq", data_dir=tmp / "data", _env_file=None)  # type: ignore[call-arg]
    conn = await connect(url, settings)
    t0 = time.perf_counter()
    await migrate(conn)
    await seed_demo(conn, deals=240, contacts=contacts)
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    async with conn.transaction():
        await conn.execute("SET LOCAL ROLE redkey_operational")
        await conn.execute("UPDATE crm_contacts SET enriched_at = NULL WHERE enriched_at IS NOT NULL")
    cur = await conn.execute("SELECT count(*) FROM crm_contacts WHERE enriched_at IS NULL")
    unenriched = (await cur.fetchone())[0]  # type: ignore[index]
    await conn.close()
    print(f"set-up: {unenriched:,} unenriched BezelIQ contacts ({time.perf_counter() - t0:.1f}s)")

    server = subprocess.Popen([sys.executable, "-m", "tests.pdl_server"], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    try:
        pdl_url = server.stdout.readline().strip()  # type: ignore[union-attr]
        store = await Store.open(settings, min_size=1, max_size=6)
        provider = PeopleDataLabsProvider(pdl_url, "test-key")
        arlo = Arlo(store, settings, Services(enrichment=provider, parser=RuleBasedParser()))
        app = Host(store, settings)
        async with app.run_test(headless=True, size=(160, 45)):
            print(f"objects before: {len(gc.get_objects()):,}")
            await asyncio.sleep(3.0)            # baseline: the screen refreshing, nothing else
            baseline = list(app.gaps[5:])
            mark = len(app.gaps)
            task = await store.create_task("enrichment_scan", client_id="bezeliq", created_by="bench")
            t1 = time.perf_counter()
            worker = app.run_worker(arlo.run_task(task.id, timeout=3600), group="arlo", exit_on_error=False)
            await worker.wait()
            scan_s = time.perf_counter() - t1
            during = list(app.gaps[mark:])
            print(f"objects after: {len(gc.get_objects()):,}")
            done = await store.task(task.id)
        await arlo.aclose()
        await store.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    out = done.output or {}
    print(f"scan: {done.status} in {scan_s:.1f}s — {out.get('summary')}")
    print(f"throughput: {out.get('scanned', 0) / scan_s:,.0f} records/s")
    print(summarise("baseline (idle screen)", baseline))
    print(summarise("during the scan", during))
    worst = max(during) if during else 0.0
    print(f"target: no frame gap over {TARGET_MS:.0f} ms -> {'PASS' if worst <= TARGET_MS else 'FAIL'}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--no-freeze", action="store_true", help="leave start-up objects to the cyclic GC")
    sys.exit(asyncio.run(main(parser.parse_args().contacts)))
