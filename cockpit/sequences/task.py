"""The sequence step as an arlo task type (``sequence_step``).

arlo's task engine calls ``handler(ctx)`` with a context holding the client-scoped store, the
settings and the engine clock; the output dict carries a one-line ``summary`` plus the step's counts.
Registered in :mod:`cockpit.arlo.registry` when that module exists::

    from cockpit.arlo.registry import register
    register("sequence_step", run_sequence_step)
"""

from __future__ import annotations

from typing import Any

from cockpit.sequences.step import sequence_step


async def run_sequence_step(ctx: Any) -> dict[str, Any]:
    """Task handler: one tick for ``ctx.store``'s client at ``ctx.now()``."""
    report = await sequence_step(ctx.store, ctx.settings, now=ctx.now())
    return report.as_output()


def _register() -> None:
    from cockpit.arlo.registry import SEQUENCE_STEP, register

    register(SEQUENCE_STEP, run_sequence_step)


_register()
