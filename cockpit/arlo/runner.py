"""Arlo's loops: the engine (timers that create periodic tasks per client) and the worker (claims and
runs tasks). The same :class:`Arlo` runs headless (``cockpit arlo``), once (``--once``) and inside the
cockpit as async workers; everything awaits I/O, and handlers yield between chunks, so it shares an
event loop with a UI without stalling it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cockpit.arlo import answers, health, scan, strategic  # noqa: F401 - register the task types
from cockpit.sequences import task as _sequence_task  # noqa: F401 - registers sequence_step
from cockpit.mail import task as _sync_tasks  # noqa: F401 - registers mail_sync, calendar_sync
from cockpit.work import won as _won  # noqa: F401 - registers won_deal_projects
from cockpit.arlo.context import Services, utcnow
from cockpit.arlo.instructions import looks_like_query
from cockpit.arlo.models import Task
from cockpit.arlo.registry import ADHOC_QUERY, ENRICHMENT_SCAN, PIPELINE_HEALTH, SEQUENCE_STEP, STRATEGIC_WRITE
from cockpit.arlo.worker import Worker
from cockpit.config import Settings
from cockpit.errors import CockpitError, ValidationFailed

log = logging.getLogger("cockpit.arlo")


def periodic_types(settings: Settings, client_id: str | None = None) -> dict[str, float]:
    """The engine's timers for a client: task type -> interval (seconds), from settings."""
    return {ENRICHMENT_SCAN: settings.enrichment_interval_seconds,
            PIPELINE_HEALTH: settings.pipeline_health_interval_seconds,
            SEQUENCE_STEP: settings.sequence_interval_seconds, **_sync_tasks.periodic(settings, client_id),
            _won.WON_DEAL_PROJECTS: settings.won_deal_interval_seconds}


@dataclass
class LoopState:
    """In-process status of a loop, for the Arlo screen (the database has the per-client history)."""

    name: str
    last_run: datetime | None = None
    last_result: str = ""
    last_error: str | None = None
    runs: int = 0


@dataclass
class ArloStatus:
    engine: LoopState = field(default_factory=lambda: LoopState("engine"))
    worker: LoopState = field(default_factory=lambda: LoopState("worker"))
    running: Task | None = None


class Arlo:
    def __init__(self, store: Any, settings: Settings, services: Services | None = None, *,
                 agent: str | None = None) -> None:
        self.store = store.scoped(None, source="arlo", actor="arlo")
        self.settings = settings
        self.services = services or Services.from_settings(settings)
        self.worker = Worker(self.store, settings, self.services, agent=agent)
        self.status = ArloStatus()
        self._wake = asyncio.Event()

    @property
    def agent(self) -> str:
        return self.worker.agent

    # --- one step each ----------------------------------------------------------------------------
    async def clients(self) -> list[str]:
        ids = await self.store.tasks.arlo_client_ids()
        return [c for c in ids if c in self.settings.clients] if self.settings.clients else ids

    async def engine_tick(self) -> list[Task]:
        """Create whatever periodic tasks are due, for every client."""
        created = []
        for client in await self.clients():
            for task_type, interval in periodic_types(self.settings, client).items():
                task = await self.store.tasks.create_periodic_task(client, task_type, interval)
                if task:
                    created.append(task)
        st = self.status.engine
        st.last_run, st.runs, st.last_error = utcnow(), st.runs + 1, None
        st.last_result = f"created {len(created)} task(s)"
        if created:
            self._wake.set()
        return created

    async def run_one(self, task_id: str | None = None) -> Task | None:
        task = await self.worker.run_one(task_id)
        if task is not None:
            st = self.status.worker
            st.last_run, st.runs = utcnow(), st.runs + 1
            st.last_result = f"{task.task_type} {task.id}: {task.status} — {task.summary[:120]}"
        return task

    async def drain(self, limit: int | None = None) -> list[Task]:
        done: list[Task] = []
        while limit is None or len(done) < limit:
            task = await self.run_one()
            if task is None:
                break
            done.append(task)
        return done

    async def run_once(self) -> list[Task]:
        """``cockpit arlo --once``: create what is due, run everything claimable, return what ran."""
        await self.engine_tick()
        return await self.drain()

    # --- Justin's instructions --------------------------------------------------------------------
    async def tell(self, text: str, client_id: str, *, created_by: str = "justin") -> Task:
        """File an instruction (a strategic write or an ad-hoc query) for ``client_id``."""
        text = " ".join(text.split())
        if not text:
            raise ValidationFailed("tell arlo what to do", 'e.g. cockpit tell "Move the Volta deal to Negotiation"')
        kind = ADHOC_QUERY if looks_like_query(text) else STRATEGIC_WRITE
        task = await self.store.tasks.create_task(kind, client_id=client_id, brief=text, params={"text": text},
                                            created_by=created_by)
        self._wake.set()
        return task

    async def run_task(self, task_id: str, *, timeout: float = 120.0) -> Task:
        """Run ``task_id`` here if it is still claimable, else wait for whoever took it to finish."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        task = await self.run_one(task_id)
        delay = 0.05
        while task is None or not task.is_final:
            if task is not None and task.status == "on_hold":
                return task
            if loop.time() > deadline:
                raise CockpitError(f"task {task_id} is still {task.status if task else 'pending'}",
                                   "arlo is busy; check it later with the Arlo screen")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            task = await self.store.tasks.task(task_id)
            if task.status == "created":
                task = await self.run_one(task_id) or task
        return task

    # --- the loops ----------------------------------------------------------------------------------
    async def engine_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.engine_tick()
            except CockpitError as exc:
                self.status.engine.last_error = str(exc)
                log.warning("arlo engine: %s", exc)
            except Exception as exc:  # noqa: BLE001 - a loop never dies; the error is shown on the Arlo screen
                self.status.engine.last_error = f"unexpected {type(exc).__name__}: {exc}"
                log.exception("arlo engine")
            await _wait(stop, self.settings.arlo_tick_seconds)

    async def worker_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                task = await self.run_one()
            except CockpitError as exc:
                self.status.worker.last_error = str(exc)
                log.warning("arlo worker: %s", exc)
                task = None
            except Exception as exc:  # noqa: BLE001 - a loop never dies; the error is shown on the Arlo screen
                self.status.worker.last_error = f"unexpected {type(exc).__name__}: {exc}"
                log.exception("arlo worker")
                task = None
            if task is None:
                self._wake.clear()
                await _wait(stop, self.settings.arlo_tick_seconds, self._wake)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Engine and worker (and the mailboxes' IDLE watchers) until ``stop`` is set; the task in hand
        finishes (or its lease expires)."""
        from cockpit.mail.idle import idle_loop

        await asyncio.gather(self.engine_loop(stop), self.worker_loop(stop), idle_loop(self, self.settings, stop))

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        for svc in (self.services.enrichment, self.services.llm):
            if svc is not None and hasattr(svc, "aclose"):
                await svc.aclose()


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep ``seconds`` unless stopped (or woken) first."""
    waiters = [asyncio.ensure_future(stop.wait())] + ([asyncio.ensure_future(wake.wait())] if wake else [])
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
