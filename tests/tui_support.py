"""Helpers for the Pilot tests of the cockpit screens (not fixtures of our DB: those are in conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from textual.pilot import Pilot

FIXED_NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    return FIXED_NOW


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], bool], *, timeout: float = 5.0,
                     what: str = "condition") -> None:
    """Let the app run until ``predicate()`` holds (fails the test after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def wait_event(event: asyncio.Event, timeout: float = 5.0) -> None:
    await asyncio.wait_for(event.wait(), timeout)


async def scoped_rows(conn: Any, client_id: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a Layer 2 query as ``client_id`` sees them (for asserting what the database holds)."""
    await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client_id,))
    return await (await conn.execute(query, params)).fetchall()


def screen_text(app: Any) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)
