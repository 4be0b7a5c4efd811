"""Every worker's end, in one place: an error no one handled becomes a notification and an error-log
record with its traceback (never a silent stop, never a traceback on the screen).

Textual lets a worker started with ``exit_on_error=False`` end in the ERROR state and tells only the
node that started it (``Worker.StateChanged`` does not bubble); a screen that does not listen loses the
error. The app's worker manager is therefore :class:`ReportingWorkers`: its done-callback, which Textual
calls once for every worker of the app whatever node started it, hands failed workers to the app.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.worker import Worker, WorkerState
from textual.worker_manager import WorkerManager


class ReportingWorkers(WorkerManager):
    """The app's worker manager, calling ``on_failed(worker)`` for each ``exit_on_error=False`` worker that
    ended in ERROR."""

    def __init__(self, app: object, on_failed: Callable[[Worker[object]], None]) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._on_failed = on_failed

    def _remove_worker(self, worker: Worker[object]) -> None:  # Textual's per-worker done-callback
        super()._remove_worker(worker)
        # exit_on_error workers already went to App._handle_exception (the app's last line of defence)
        if worker.state == WorkerState.ERROR and worker.error is not None and not worker.exit_on_error:
            self._on_failed(worker)
