"""The task-type registry: ``task_type -> async handler(ctx) -> output``.

Other features plug their task types in with one line, e.g. the sequences feature::

    from cockpit.arlo.registry import register
    register("sequence_step", run_sequence_step)

A handler returns its output as a dict with at least a human-readable ``summary``. It raises
:class:`TaskBlocked` (with a ``question`` or an ``error``) when it cannot do the work; anything else it
raises also blocks the task, with the error recorded. Defaults registered here (``default=True``) never
replace a real handler, whichever module is imported first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.arlo.context import TaskContext

Handler = Callable[["TaskContext"], Awaitable[dict[str, Any]]]

TASK_TYPES: dict[str, Handler] = {}
_DEFAULTS: set[str] = set()


def register(task_type: str, handler: Handler, *, default: bool = False) -> Handler:
    """Register ``handler`` for ``task_type``. A default yields to a real handler registered before or after."""
    if default:
        if task_type not in TASK_TYPES:
            TASK_TYPES[task_type] = handler
            _DEFAULTS.add(task_type)
        return handler
    TASK_TYPES[task_type] = handler
    _DEFAULTS.discard(task_type)
    return handler


def is_default(task_type_name: str) -> bool:
    return task_type_name in _DEFAULTS


class TaskBlocked(Exception):
    """The task cannot be done as asked: its output says why (an ``error``) or asks (a ``question``)."""

    def __init__(self, output: dict[str, Any]) -> None:
        super().__init__(output.get("question") or output.get("error") or "blocked")
        self.output = output


class TaskInterrupted(Exception):
    """The worker no longer holds the task (held, cancelled or re-claimed): stop, record nothing."""


# --- task type names (the engine's periodic ones and Justin's) ---------------------------------
ENRICHMENT_SCAN = "enrichment_scan"
PIPELINE_HEALTH = "pipeline_health"
SEQUENCE_STEP = "sequence_step"
STRATEGIC_WRITE = "strategic_write"
ADHOC_QUERY = "adhoc_query"


async def _sequences_not_configured(ctx: "TaskContext") -> dict[str, Any]:
    """Placeholder until the sequences feature registers the real step: says so, does nothing."""
    return {"summary": "sequences not configured: the sequence step is not installed yet, nothing was sent",
            "sent": 0}


register(SEQUENCE_STEP, _sequences_not_configured, default=True)
