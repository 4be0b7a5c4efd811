"""Helpers for the Pilot tests of the cockpit screens (not fixtures of our DB: those are in conftest).

Tests wait through :class:`Waiter` (the ``waiter`` fixture): it sees every message the app under test
dispatches (Textual's message hook) and returns once a message of a kind, or the end of a worker of a
group (``Worker.StateChanged``), has been seen. Screens carry nothing for tests to wait on. Every wait
has a deadline and fails the test with what it was waiting for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timezone
from typing import Any

from textual._context import message_hook as message_hook_var
from textual.message import Message
from textual.pilot import Pilot
from textual.worker import Worker, WorkerState

FOREVER = frozenset({"change-feed"})  # worker groups that run as long as the app
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


class Waiter:
    """The messages an app dispatched, in order; waits return the first match after a mark."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def hook(self, message: Message) -> None:
        self.messages.append(message)

    def mark(self) -> int:
        """A position: a wait ``since`` it only looks at what is dispatched from now on."""
        return len(self.messages)

    async def wait(self, kind: type, pred: Callable[[Any], bool] = lambda m: True, *, since: int = 0,
                   timeout: float = 20.0) -> Any:
        """The first message of ``kind`` (matching ``pred``) dispatched after ``since``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = since
        while True:
            for m in self.messages[seen:]:
                if isinstance(m, kind) and pred(m):
                    return m
            seen = len(self.messages)
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for a {kind.__name__}")
            await asyncio.sleep(0.005)

    async def worker(self, pilot: Pilot[Any], group: str, *, since: int = 0, timeout: float = 10.0) -> Worker[Any]:
        """The first worker of ``group`` to succeed after ``since``; then the screen has applied its
        result (the pilot's pause lets queued handlers run). A store call that failed (its worker's
        result is False: the error was reported) does not count; a worker that raised fails the test."""
        msg = await self.wait(Worker.StateChanged, lambda m: m.worker.group == group and (
            m.state == WorkerState.ERROR or (m.state == WorkerState.SUCCESS and m.worker.result is not False)),
            since=since, timeout=timeout)
        if msg.state == WorkerState.ERROR:
            raise AssertionError(f"worker {group!r} failed: {msg.worker.error!r}")
        await pilot.pause()
        return msg.worker  # type: ignore[no-any-return]

    @asynccontextmanager
    async def after(self, pilot: Pilot[Any], group: str, *, timeout: float = 10.0) -> AsyncIterator[None]:
        """``async with waiter.after(pilot, "board"): await pilot.press("r")``: the block, then the
        next success of a worker of ``group``."""
        since = self.mark()
        yield
        await self.worker(pilot, group, since=since, timeout=timeout)

    async def idle(self, pilot: Pilot[Any], *, timeout: float = 10.0) -> None:
        """Every worker has ended (cancelled ones included), except the change feed's, which listens for
        the app's whole life."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while busy := [w for w in pilot.app.workers if w.group not in FOREVER and not w.is_finished]:
            if loop.time() > deadline:
                raise AssertionError(f"workers still running after {timeout}s: {[w.group for w in busy]}")
            await asyncio.sleep(0.01)
        await pilot.pause()


@contextmanager
def watching() -> Iterator[Waiter]:
    """A :class:`Waiter` hooked into every app started inside the block (the ``waiter`` fixture)."""
    waiter = Waiter()
    token = message_hook_var.set(waiter.hook)
    try:
        yield waiter
    finally:
        message_hook_var.reset(token)


async def scoped_rows(conn: Any, client_id: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a Layer 2 query as ``client_id`` sees them (for asserting what the database holds)."""
    await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (client_id,))
    return await (await conn.execute(query, params)).fetchall()


def screen_text(app: Any) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)
