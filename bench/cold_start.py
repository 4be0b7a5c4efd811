"""Cold start of `cockpit` on an existing database: process start -> first frame, and -> the pipeline board
painted with its columns (target <= 1 s to the board).

Each run starts a fresh interpreter that does what ``cockpit`` does (the CLI module, the settings, the head
start on the database, the app with the same options as :func:`cockpit.app.run_app`: arlo's loops if
configured, the warm-up), headless, told the size of the terminal it pretends to be (as a terminal would);
the child reports the wall-clock time of its marks (CLI and app imported, mounted, first frame,
connected, board's columns in place, the first frame drawn with its cards: "painted") and the CPU it used until then;
the parent measures from just before it spawned the child, so interpreter start-up and every import
count. On a shared machine the CPU figure says more than the wall clock. The database is the shared bench database
of that size (seeded once), or ``--url``.

    .venv/bin/python -m bench cold_start [--deals 240] [--contacts 1000000] [--runs 5] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

TARGET_S = 1.0
COLUMNS, LINES = 160, 48  # the headless terminal's size
HERE = Path(__file__).resolve()


def child(url: str) -> None:
    """One `cockpit` start (headless); prints '<first frame> <board painted>' as epoch seconds."""
    sys.path.insert(0, str(HERE.parent.parent))
    marks: dict[str, float] = {}
    from cockpit import boot

    boot.prepare()  # what the `cockpit` entry point (cockpit.boot) does first
    from cockpit import cli  # noqa: F401 - what it imports next
    from cockpit.config import load_settings
    from cockpit.errorlog import tui_logging
    from cockpit.head_start import HeadStart

    settings = load_settings()
    marks["cli imported"] = time.time()
    # then what the command does without a subcommand, its log records in the error log (as the TUI's)
    with tui_logging(settings.data_dir):
        head_start = HeadStart.begin(settings)
        from cockpit.app import CockpitApp

        marks["app imported"] = time.time()

        class Probe(CockpitApp):
            def on_mount(self) -> None:
                marks["mounted"] = time.time()
                super().on_mount()
                self.set_interval(0.002, self._check)

            def _check(self) -> None:
                from screens.pipeline import PipelineScreen
                from widgets.stage_column import StageColumn

                if self.connection_state == "connected":
                    marks.setdefault("connected", time.time())
                if "ready" not in marks and isinstance(self.screen, PipelineScreen) and self.screen.query(StageColumn):
                    marks["ready"] = time.time()
                    usage = resource.getrusage(resource.RUSAGE_SELF)
                    marks["cpu_ready"] = usage.ru_utime + usage.ru_stime

            def _display(self, screen: Any, renderable: Any) -> None:
                # Where Textual hands a rendered frame to the terminal (none while a batch update holds it back).
                # "painted": the first frame with the board's cards in it, i.e. after a layout gave them a place.
                super()._display(screen, renderable)
                if renderable is None or self._batch_count or "painted" in marks:
                    return
                marks.setdefault("frame", time.time())
                from widgets.stage_column import CardList

                if any(cards.option_count and cards.region for cards in screen.query(CardList)):
                    marks["painted"] = time.time()
                    usage = resource.getrusage(resource.RUSAGE_SELF)
                    marks["cpu"] = usage.ru_utime + usage.ru_stime  # seconds of CPU, not a time of day
                    marks.setdefault("ready", marks["painted"])
                    marks.setdefault("cpu_ready", marks["cpu"])
                    self.call_later(self.exit)

        from cockpit import exit_watchdog

        probe = Probe(settings, arlo=settings.arlo_enabled, warm_up=True, head_start=head_start)
        probe.on_exit_begun = lambda: exit_watchdog.arm(settings.data_dir)  # as the terminal session does
        probe.run(headless=True, size=(COLUMNS, LINES))
    print(" ".join(f"{k.replace(' ', '_')}={v}" for k, v in marks.items()))


def one_run(url: str, data_dir: str) -> dict[str, float]:
    """Seconds from spawning the child to each of its marks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(COCKPIT_DATABASE_URL=url, COCKPIT_CLIENT_ID="bezeliq", COCKPIT_DATA_DIR=data_dir)
    # the size of the terminal the child pretends to be (its output is a pipe, not a terminal)
    env.update(COLUMNS=str(COLUMNS), LINES=str(LINES))
    # An installed cockpit keeps its modules' bytecode (the first start writes it): without it every
    # start compiles the cockpit's own modules again (~0.1 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    import subprocess  # the parent's: the child imports what ``cockpit`` does (and argparse, which it does too)

    t0 = time.time()
    proc = subprocess.run([sys.executable, str(HERE), "--child", url], capture_output=True, text=True, env=env,
                          timeout=120)
    if proc.returncode:
        from cockpit.errorlog import log_path

        log = log_path(Path(data_dir))
        stacks = log.read_text(errors="replace")[-6000:] if log.exists() else ""
        raise SystemExit(f"cold start run failed (status {proc.returncode}): {proc.stdout}{proc.stderr}\n"
                         f"its error log ({log}) ends:\n{stacks}")
    marks = dict(item.split("=") for item in proc.stdout.split() if "=" in item)
    return {k.replace("_", " "): float(v) - (0 if k.startswith("cpu") else t0) for k, v in marks.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=240)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="an already seeded database (default: the shared bench database)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv or [])
    if args.child:
        child(args.child)
        return
    import statistics
    import tempfile

    if args.url:
        url = args.url
    else:
        sys.path.insert(0, str(HERE.parent.parent))
        from bench.common import bench_database

        url = asyncio.run(bench_database(args.deals, args.contacts))
    data_dir = tempfile.mkdtemp(prefix="cockpit-bench-")
    one_run(url, data_dir)  # the first start after seeding may migrate; not counted
    frames, boards, cpus = [], [], []
    for _ in range(args.runs):
        marks = one_run(url, data_dir)
        frames.append(marks["frame"])
        boards.append(marks["painted"])
        cpus.append(marks.pop("cpu"))
        cpu_ready = marks.pop("cpu ready")
        print("  " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(marks.items(), key=lambda kv: kv[1]))
              + f"; the process's CPU to ready {cpu_ready:.2f}s, to painted {cpus[-1]:.2f}s"
              f" (load {os.getloadavg()[0]:.1f})", flush=True)
    med = statistics.median(boards)
    print(f"cold start to first frame: median {statistics.median(frames):.3f}s; to the board painted: median "
          f"{med:.3f}s, max {max(boards):.3f}s (target <= {TARGET_S}s) {'PASS' if med <= TARGET_S else 'MISS'}; "
          f"CPU of the process to the board: median {statistics.median(cpus):.2f}s")


if __name__ == "__main__":
    main(sys.argv[1:])
