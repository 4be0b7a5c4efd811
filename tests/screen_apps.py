"""Tiny host apps for screen tests until the app frame (issue 3) registers the screens: they open a
real Store on the test database and push one screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from cockpit.config import Settings
from cockpit.store import Store


class ScreenHost(App[None]):
    """Opens the store, then pushes ``make_screen()``; ``app.store`` is what screens default to."""

    def __init__(self, settings: Settings, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.settings = settings
        self.make_screen = make_screen
        self.store: Store | None = None
        self.opened: list[tuple[str, Any]] = []

    async def on_mount(self) -> None:
        self.store = await Store.open(self.settings, min_size=0, max_size=4)
        await self.push_screen(self.make_screen())

    async def on_unmount(self) -> None:
        self.workers.cancel_all()
        if self.store is not None:
            await self.store.close()


class RecordingHost(ScreenHost):
    """A host with an ``open_record`` hook, as the app frame will have."""

    def open_record(self, kind: str, record_id: Any) -> None:
        self.opened.append((kind, record_id))


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Wait (yielding to the app) until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(0.05)
