"""The ``cockpit`` console script: pauses the garbage collector for the start-up (see
:mod:`cockpit.collector`), then runs the CLI (:func:`cockpit.cli.entry`). It imports nothing else
itself, so the pause covers every import of the start-up.

It also tells pydantic that no plugins are installed (the cockpit uses none), unless
``PYDANTIC_DISABLE_PLUGINS`` is already set: otherwise pydantic scans the entry points of every installed
distribution when the first model is built."""

from __future__ import annotations

import os
from typing import Any

from cockpit import collector


def prepare() -> None:
    """What the command does before it imports anything else."""
    collector.pause()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def entry(argv: list[str] | None = None) -> Any:
    prepare()
    from cockpit.cli import entry as cli_entry

    return cli_entry(argv)
