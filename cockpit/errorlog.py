"""The error log: ``<data_dir>/logs/cockpit.log``, the one file where unexpected errors are written.

Whatever meets an exception nobody planned for (a CLI command, a worker of the TUI, the TUI's event
handlers) hands it to :func:`record_exception`, which appends a timestamped traceback and returns the
file's path so the one-line message the user sees can say where the details are. While the TUI owns the
terminal, :func:`tui_logging` also sends ordinary log records (e.g. psycopg's pool warnings while the
database is down) to the same file instead of stderr, where they would tear the screen. The log and its
directory are private to the user (0600, 0700): tracebacks can quote data and settings.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from cockpit.private_files import private_log

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "redkey-cockpit"
RECORD_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path(data_dir: Path | None) -> Path:
    return (data_dir or DEFAULT_DATA_DIR) / "logs" / "cockpit.log"


def record_exception(exc: BaseException, data_dir: Path | None) -> Path | None:
    """Append ``exc`` with its traceback to the error log; its path, or None if it cannot be written."""
    path = log_path(data_dir)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        with private_log(path).open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat()}\n{text}\n")
    except OSError:
        return None
    return path


@contextmanager
def tui_logging(data_dir: Path | None) -> Iterator[None]:
    """Route every log record to the error log while the block runs (the TUI's lifetime)."""
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        path = private_log(log_path(data_dir))
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(RECORD_FORMAT))
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()
