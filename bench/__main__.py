"""Run benchmarks: `python -m bench` runs all with their defaults, `python -m bench NAME [ARGS...]` one
(ARGS go to that bench's own command line, e.g. `python -m bench schema_refresh --help`).

Each bench runs as ``__main__`` and may end with ``sys.exit(code)`` (non-zero when it misses its target);
that ends that bench only: the rest still run, and the exit code is non-zero if any bench failed."""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in ("common", "__main__"))
    if argv and argv[0] not in names:
        print(f"unknown bench {argv[0]}; available: {', '.join(names)}")
        return 2
    runs = [(argv[0], argv[1:])] if argv else [(n, []) for n in names]
    failed: list[str] = []
    for name, args in runs:
        print(f"=== bench {name}", flush=True)
        sys.argv = [f"bench/{name}.py", *args]
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            if _exit_code(exc):
                failed.append(name)
    if failed and len(runs) > 1:
        print(f"=== benches that missed their target: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
