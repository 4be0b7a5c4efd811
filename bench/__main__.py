"""Run benchmarks: `python -m bench` runs all with their defaults, `python -m bench NAME [ARGS...]` one
(ARGS go to that bench's own command line, e.g. `python -m bench schema_refresh --help`)."""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in ("common", "__main__"))
    if argv and argv[0] not in names:
        print(f"unknown bench {argv[0]}; available: {', '.join(names)}")
        return 2
    runs = [(argv[0], argv[1:])] if argv else [(n, []) for n in names]
    for name, args in runs:
        print(f"=== bench {name}", flush=True)
        sys.argv = [f"bench/{name}.py", *args]
        runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
