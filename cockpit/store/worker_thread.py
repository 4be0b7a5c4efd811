"""Consume a CPU-bound iterator in a worker thread, as an async iterator.

An import builds 100k proposal rows (pure Python) while the database writes the ones already built. With
the building in a thread, the event loop stays free to stream to the server (and to paint the cockpit),
and the database's work overlaps Python's instead of alternating with it. At most ``depth`` items wait
at once (bounded memory); an error in the thread is raised to the consumer; a consumer that stops early
(an error, a cancellation) stops the thread at its next item, and closes a generator there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


async def iterate_in_thread(items: Iterator[T], *, depth: int = 2, name: str = "cockpit-worker") -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[tuple[bool, object]] = asyncio.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def hand_over(more: bool, value: object) -> None:
        try:
            loop.call_soon_threadsafe(ready.put_nowait, (more, value))
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            stop.set()

    def run() -> None:
        try:
            for item in items:
                room.acquire()
                if stop.is_set():
                    return
                hand_over(True, item)
            hand_over(False, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            hand_over(False, exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator stopped early releases what it holds (here, in its thread)
                try:
                    close()
                except Exception:  # noqa: BLE001 - nobody waits for it any more: logged, not raised
                    log.warning("%s: releasing the stopped work failed", name, exc_info=True)

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        while True:
            more, value = await ready.get()
            if not more:
                if isinstance(value, BaseException):
                    raise value
                return
            room.release()
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        room.release()  # wake the thread if it waits for room, so it sees the stop
