"""Run benchmarks: `python -m bench` runs all, `python -m bench NAME [NAME...]` the named ones."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in ("common", "__main__")]
    chosen = argv or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown bench {', '.join(unknown)}; available: {', '.join(sorted(names))}")
        return 2
    for name in chosen:
        print(f"=== bench {name}")
        module = importlib.import_module(f"bench.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
