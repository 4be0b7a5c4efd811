"""What the user is shown when something fails: a lost database raises the banner and reconnects, other
CockpitErrors become an error notification, anything unexpected is written to the error log
(:mod:`cockpit.errorlog`) and notified. The app holds one :class:`Reporter`; store calls and failed
workers report through it, so no error is ever lost and none reaches the screen as a traceback."""

from __future__ import annotations

import asyncio
from typing import Any

from cockpit.errorlog import record_exception
from cockpit.errors import CockpitError, DatabaseUnavailable


class Reporter:
    """What the user is shown when something fails (the app holds one)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def error(self, exc: CockpitError) -> None:
        if isinstance(exc, DatabaseUnavailable):
            self.app.connection.lost(exc)
            return
        self.app.notify(exc.hint or "", title=exc.message, severity="error", timeout=8)

    def unexpected(self, exc: BaseException) -> None:
        where = record_exception(exc, self.app.settings.data_dir)
        self.app.notify(f"details in {where}" if where else "", title=f"unexpected {type(exc).__name__}: {exc}",
                        severity="error", timeout=10)

    def any(self, exc: BaseException) -> None:
        if isinstance(exc, CockpitError):
            self.error(exc)
        else:
            self.unexpected(exc)

    def worker_failed(self, worker: Any) -> None:
        """A worker ended with an exception it did not handle (see :class:`ReportingWorkers`)."""
        if worker.error is not None and not isinstance(worker.error, asyncio.CancelledError):
            self.any(worker.error)
