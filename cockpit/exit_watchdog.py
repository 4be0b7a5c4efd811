"""The terminal session never hangs on its way out.

Quitting stops the app's workers, closes its pool and ends the interpreter; each of those waits for
something (a task to take its cancellation, a connection to close, a thread to finish). A quit in the
cockpit's first second, while its first connection was still opening, hung in 4 of some 250 measured
starts, and none could be caught in the act. So once the session begins to exit, :func:`arm` gives it
EXIT_GRACE seconds: if the process is still alive then, Python's :mod:`faulthandler` writes every
thread's stack to the error log (under "Timeout (0:00:10)!": what was waited for, for whoever looks
next) and ends the process with status 1. A normal exit cancels it as the interpreter finishes, and
writes nothing.
"""

from __future__ import annotations

import faulthandler
from pathlib import Path
from typing import IO

from cockpit.errorlog import log_path
from cockpit.private_files import private_log

EXIT_GRACE = 10.0  # seconds from the start of the exit to the forced end

_log: IO[str] | None = None  # kept open: faulthandler writes to its file descriptor


def arm(data_dir: Path | None, grace: float = EXIT_GRACE) -> bool:
    """From now on, the process has ``grace`` seconds to end; whether the watchdog is armed (once per
    process: later calls do nothing)."""
    global _log
    if _log is not None:
        return True
    try:
        _log = private_log(log_path(data_dir)).open("a", encoding="utf-8")
    except OSError:
        return False
    faulthandler.dump_traceback_later(grace, exit=True, file=_log)
    return True
