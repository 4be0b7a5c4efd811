"""The cockpit's own files are private to the user running it: the data directory and ``logs/`` are
created 0700, log files 0600 (they hold tracebacks, which can quote data and settings)."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 (whatever the umask); an existing directory keeps
    its mode."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        try:
            p.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        os.chmod(p, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_log(path: Path) -> Path:
    """Make ``<data_dir>/logs`` 0700 and ``path`` (a log file in it) exist as 0600; returns ``path``."""
    private_dir(path.parent)
    if path.parent.stat().st_mode & 0o077:
        os.chmod(path.parent, DIR_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path
