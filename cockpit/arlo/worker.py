"""The worker: claim one task from roles.crm, run its handler scoped to the task's client, record the
outcome. Every step is a topic-log message (claimed, started, complete | blocked); if the task was
held, cancelled or re-claimed while it ran, the outcome is dropped rather than recorded."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from cockpit.arlo.context import Services, TaskContext
from cockpit.arlo.models import Task
from cockpit.arlo.registry import TASK_TYPES, TaskBlocked, TaskInterrupted
from cockpit.config import Settings
from cockpit.errors import CockpitError

log = logging.getLogger("cockpit.arlo")


def agent_name() -> str:
    """A name unique to this worker (host, pid, random): the claim's owner in the log."""
    return f"arlo@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, queue: Any, settings: Settings, services: Services, *, agent: str | None = None) -> None:
        self.queue = queue.scoped(None, source="arlo", actor="arlo")
        self.settings = settings
        self.services = services
        self.agent = agent or agent_name()
        self.current: Task | None = None

    async def run_one(self, task_id: str | None = None) -> Task | None:
        """Claim and run one task (the oldest claimable, or ``task_id``). None when there was none."""
        lease = self.settings.lease_seconds
        claimed = await self.queue.tasks.claim_task(self.agent, lease, task_id=task_id)
        if claimed is None:
            return None
        started = await self.queue.tasks.start_task(claimed, self.agent, lease)
        if started is None:  # held or cancelled between claim and start
            return await self.queue.tasks.task(claimed.id)
        self.current = started
        try:
            return await self._execute(started)
        finally:
            self.current = None

    async def _execute(self, task: Task) -> Task:
        ctx = TaskContext(task=task, store=self.queue.scoped(task.client_id, source="arlo", actor="arlo"),
                          queue=self.queue, settings=self.settings, services=self.services, agent=self.agent)
        t0 = time.monotonic()
        blocked = False
        handler = TASK_TYPES.get(task.task_type)
        try:
            if handler is None:
                raise TaskBlocked({"error": f"arlo has no handler for task type {task.task_type!r}"})
            output = await handler(ctx)
        except TaskInterrupted:
            log.info("task %s was held, cancelled or re-claimed while running; result dropped", task.id)
            return await self.queue.tasks.task(task.id)
        except TaskBlocked as exc:
            output, blocked = exc.output, True
        except CockpitError as exc:
            output, blocked = {"error": str(exc)}, True
        except Exception as exc:  # noqa: BLE001 - a handler bug blocks its task, never the worker
            log.exception("task %s (%s) failed", task.id, task.task_type)
            output, blocked = {"error": f"unexpected {type(exc).__name__}: {exc}"}, True
        finished = await self.queue.tasks.finish_task(task, self.agent, blocked=blocked, output=output,
                                                cost_usd=ctx.cost_usd, duration_seconds=time.monotonic() - t0)
        if finished is None:
            log.info("task %s changed hands while running; its result was not recorded", task.id)
            return await self.queue.tasks.task(task.id)
        if finished.created_by == "engine":
            await self.queue.tasks.record_loop_result(finished)
        return finished
