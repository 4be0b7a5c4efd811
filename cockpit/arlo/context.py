"""What a task handler gets: the store scoped to the task's client (acting as arlo), the settings, the
external services, a clock, and :meth:`TaskContext.checkpoint` to keep its lease and notice control
messages (hold, cancel) between chunks of work."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cockpit.arlo.models import Task
from cockpit.arlo.registry import TaskInterrupted
from cockpit.config import Settings

if TYPE_CHECKING:
    from cockpit.arlo.enrichment import EnrichmentProvider
    from cockpit.arlo.instructions import InstructionParser
    from cockpit.arlo.llm import MessagesClient
    from cockpit.store import Store


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """External services behind protocols; each has an offline default (see :meth:`from_settings`)."""

    enrichment: "EnrichmentProvider"
    parser: "InstructionParser"
    llm: "MessagesClient | None" = None
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "Services":
        from cockpit.arlo.enrichment import provider_from_settings
        from cockpit.arlo.instructions import RuleBasedParser
        from cockpit.arlo.llm import LLMInstructionParser, MessagesClient

        llm = MessagesClient.from_settings(settings)
        values: dict[str, Any] = {
            "enrichment": provider_from_settings(settings),
            "parser": LLMInstructionParser(llm) if llm else RuleBasedParser(),
            "llm": llm,
        }
        values.update(overrides)
        return cls(**values)


@dataclass
class TaskContext:
    task: Task
    store: "Store"          # scoped to task.client_id, source 'arlo'
    queue: "Store"          # unscoped: the queue's bookkeeping (heartbeats)
    settings: Settings
    services: Services
    agent: str
    cost_usd: float = 0.0
    _last_beat: float = field(default_factory=time.monotonic)

    @property
    def client_id(self) -> str:
        return self.task.client_id

    def now(self) -> datetime:
        return self.services.clock()

    def add_cost(self, usd: float) -> None:
        self.cost_usd += usd

    async def checkpoint(self) -> None:
        """Between chunks of work: renew the lease when a third of it has passed, and stop (raise
        :class:`TaskInterrupted`) when the task was held, cancelled or re-claimed meanwhile."""
        lease = self.settings.lease_seconds
        if time.monotonic() - self._last_beat >= lease / 3:
            held = await self.queue.tasks.heartbeat(self.task, self.agent, lease)
            self._last_beat = time.monotonic()
        else:
            current = await self.queue.tasks.task(self.task.id)
            held = current if (current.status in ("claimed", "in_progress") and current.agent == self.agent
                               and current.attempts == self.task.attempts) else None
        if held is None:
            raise TaskInterrupted(self.task.id)
