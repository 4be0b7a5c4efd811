"""How screens get data: :func:`call_store` runs one store call in a worker of the screen and hands the
result back on the UI side, and :class:`Reporter` turns the errors workers meet into what the user sees.

The one pattern for every query a screen makes: ``call_store(node, fn, done)``. A result arrives only if
the session's scope is still the one it was asked under (a client switch in between drops it). Errors
never escape: a lost database raises the banner and starts reconnecting, other CockpitErrors become an
error notification, anything unexpected is written to the error log and notified.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker

from cockpit.errorlog import record_exception
from cockpit.errors import CockpitError, DatabaseUnavailable

if TYPE_CHECKING:
    from cockpit.app import CockpitApp
    from cockpit.store import Store

T = TypeVar("T")


class Reporter:
    """What the user is shown when something fails (the app holds one)."""

    def __init__(self, app: "CockpitApp") -> None:
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

    def worker_failed(self, worker: Worker[Any]) -> None:
        """A worker ended with an exception it did not handle (see :mod:`cockpit.app.workers`)."""
        if worker.error is not None and not isinstance(worker.error, asyncio.CancelledError):
            self.any(worker.error)


def call_store(app: "CockpitApp", node: DOMNode, fn: Callable[["Store"], Awaitable[T]],
               done: Callable[[T], Any] | None = None, *, group: str = "default", exclusive: bool = True,
               failed: Callable[[BaseException], Any] | None = None) -> Worker[bool] | None:
    """Run ``fn(store)`` in a worker of ``node``; hand the result to ``done`` if the scope is unchanged.

    ``failed`` (if given) is called after the error was reported, e.g. to undo an optimistic change.
    The worker's result says whether the call went through (and ``done``, if any, was applied).
    Without a store (still connecting) nothing runs: the screen reloads when the store arrives."""
    store = app.store
    if store is None:
        return None

    async def job() -> bool:
        try:
            result = await fn(store)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            app.reporter.any(exc)
            if failed is not None and app.store is store:
                failed(exc)
            return False
        if done is None or app.store is not store:
            return done is None
        try:
            done(result)
        except Exception as exc:  # noqa: BLE001
            app.reporter.unexpected(exc)
            return False
        return True

    return node.run_worker(job(), group=group, exclusive=exclusive, exit_on_error=False)
