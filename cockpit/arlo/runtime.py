"""arlo inside a host process (the cockpit): its loops as one coroutine the host schedules, and Justin's
instructions run through the same :class:`~cockpit.arlo.runner.Arlo` while it is running.

Headless: no UI library here. The cockpit runs :meth:`ArloRuntime.run` as one of its async workers
(never a thread, so it holds no executor slot) when it was started with arlo enabled, and calls
:meth:`ArloRuntime.stop` on exit; the Tell-arlo box calls :meth:`ArloRuntime.tell`.
"""

from __future__ import annotations

import asyncio
import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from cockpit.config import Settings

if TYPE_CHECKING:
    from cockpit.arlo.context import Services
    from cockpit.arlo.models import Task
    from cockpit.arlo.runner import Arlo


class ArloRuntime:
    """arlo's engine and worker loops in this process, and the instructions Justin gives from the UI."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.arlo: Arlo | None = None  # set while the loops run
        self._stop = asyncio.Event()
        self._started = False

    @property
    def running(self) -> bool:
        return self.arlo is not None

    async def _runner(self) -> ModuleType:
        # arlo's modules (httpx, rapidfuzz, dateutil...) are imported off the event loop: an import on it
        # was a 110 ms frame gap in bench/arlo_ui_stall.py.
        return await asyncio.to_thread(importlib.import_module, "cockpit.arlo.runner")

    async def prepare(self) -> None:
        """Import arlo's modules without blocking the event loop (before the host freezes its objects)."""
        await self._runner()

    async def run(self, store: Any, services: Services | None = None) -> None:
        """The loops, until :meth:`stop`; runs once per runtime (a second call returns at once)."""
        if self._started:
            return
        self._started = True
        runner = await self._runner()
        if services is None:
            services = await asyncio.to_thread(runner.Services.from_settings, self.settings)
        self.arlo = runner.Arlo(store, self.settings, services)
        try:
            await self.arlo.run_forever(self._stop)
        finally:
            arlo, self.arlo = self.arlo, None
            await arlo.aclose()

    def stop(self) -> None:
        self._stop.set()

    def wake(self) -> None:
        """A task changed (held, resumed, filed): let the worker look at the queue now."""
        if self.arlo is not None:
            self.arlo.wake()

    async def tell(self, store: Any, client_id: str, text: str) -> Task:
        """File Justin's instruction for ``client_id`` and run it; the finished (or blocked) task.

        The running loops' arlo takes it when there is one; otherwise (arlo disabled in this process)
        a short-lived one over ``store`` does, with the services the settings configure."""
        arlo = self.arlo
        own = arlo is None
        if arlo is None:
            runner = await self._runner()
            arlo = runner.Arlo(store, self.settings)
        try:
            task = await arlo.tell(text, client_id)
            return await arlo.run_task(task.id)
        finally:
            if own:
                await arlo.aclose()

    async def answer(self, store: Any, task_id: str, choice: str) -> Task:
        """Answer ``task_id``'s question with ``choice`` (a key or words of a label) and run the task on;
        the finished task, or the same task asking its next question."""
        from cockpit.arlo.questions import answer_and_run

        arlo = self.arlo
        own = arlo is None
        if arlo is None:
            runner = await self._runner()
            arlo = runner.Arlo(store, self.settings)
        try:
            return await answer_and_run(arlo, task_id, choice)
        finally:
            if own:
                await arlo.aclose()
