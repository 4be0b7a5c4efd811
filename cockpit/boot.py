"""The ``cockpit`` console script: pauses the garbage collector for the start-up (see
:mod:`cockpit.collector`), then runs the CLI (:func:`cockpit.cli.entry`). It imports nothing else
itself, so the pause covers every import of the start-up."""

from __future__ import annotations

from typing import Any

from cockpit import collector


def entry(argv: list[str] | None = None) -> Any:
    collector.pause()
    from cockpit.cli import entry as cli_entry

    return cli_entry(argv)
