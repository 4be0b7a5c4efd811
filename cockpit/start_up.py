"""What the terminal session starts once connected, after the first screen has painted its data: the
warm-up (the other screens' and arlo's modules imported in the background, the start-up objects frozen
out of the cyclic collector) and arlo's loops.

The garbage collector, paused by the ``cockpit`` command for its start-up (:mod:`cockpit.collector`),
resumes then too (or ``RESUME_AFTER`` seconds after the app mounted, whichever is first).

Both take the CPU for a while (imports, arlo's first scan), so they wait for the first screen to say
its data is on screen (:meth:`StartUp.screen_shown`, after that frame), or ``START_UP_WAIT`` seconds
after connecting when no screen says so.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from typing import TYPE_CHECKING, Any

from cockpit import collector

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

START_UP_WAIT = 2.0  # seconds after connecting


class StartUp:
    def __init__(self, app: "CockpitApp", *, arlo: bool, warm_up: bool) -> None:
        self.app = app
        self.arlo, self.warm_up = arlo, warm_up
        self._timer: Any = None  # set while connected and not begun
        self.begun = False

    def mounted(self) -> None:
        if collector.paused():
            self.app.set_timer(collector.RESUME_AFTER, collector.resume)

    def connected(self) -> None:
        if not self.begun and self._timer is None:
            self._timer = self.app.set_timer(START_UP_WAIT, self._begin)

    def screen_shown(self) -> None:
        if self._timer is not None:
            self.app.call_after_refresh(self._begin)

    def _begin(self) -> None:
        if self._timer is None:  # begun already (or not connected yet)
            return
        self._timer.stop()
        self._timer = None
        self.begun = True
        self.app.run_worker(self._run(), group="start-up", exclusive=True, exit_on_error=False)

    async def _run(self) -> None:
        if self.warm_up:
            # The first ``g s`` would otherwise pay ~0.3 s of imports (networkx...), the first Tell arlo's.
            await asyncio.to_thread(self._import_modules)
            # Process-wide, once: move everything alive now (Textual, widgets, every module) out of the
            # cyclic collector's reach. arlo's loops churn objects in this process, and full collections
            # that re-scanned the whole app took 100-240 ms (frame gaps) in bench/arlo_ui_stall.py; frozen,
            # they take under 10 ms. Frozen objects are never freed, hence only in the terminal session.
            gc.freeze()
        collector.resume()
        if self.arlo:
            self.app.start_arlo()

    def _import_modules(self) -> None:
        for module in [spec.module for spec in self.app.screen_specs[1:]] + ["cockpit.arlo.runner"]:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - a broken module reports itself when it is used
                pass
