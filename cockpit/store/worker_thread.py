"""Consume a CPU-bound iterator in a worker thread, as an async iterator.

An import builds 100k proposal rows (pure Python) while the database writes the ones already built. With
the building in a thread, the event loop stays free to stream to the server (and to paint the cockpit),
and the database's work overlaps Python's instead of alternating with it. At most ``depth`` items wait
at once (bounded memory); an error in the thread is raised to the consumer; a consumer that stops early
(an error, a cancellation) stops the thread at its next item, and closes a generator there.

While the thread works, the interpreter hands its lock over every millisecond instead of every five
(:func:`quick_switching`). Each time the event loop wakes (a socket is writable, the server answered) it
waits for the thread to let go of that lock; an import's write makes some 20 such round trips per step,
and at 5 ms each the database sat idle for 1.3 s of a 100k-row import.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001  # seconds: how long a thread holds the interpreter lock when another one wants it
_switching = threading.Lock()
_quick_holders = 0
_interval_before = 0.005


@contextmanager
def quick_switching() -> Iterator[None]:
    """The interpreter switches threads at least every SWITCH_INTERVAL inside; calls may nest and overlap,
    and the interval is again what it was when the last one leaves (unless someone else changed it since)."""
    global _quick_holders, _interval_before
    with _switching:
        if _quick_holders == 0:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
        _quick_holders += 1
    try:
        yield
    finally:
        with _switching:
            _quick_holders -= 1
            if _quick_holders == 0 and sys.getswitchinterval() == min(_interval_before, SWITCH_INTERVAL):
                sys.setswitchinterval(_interval_before)


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

    with quick_switching():  # while the thread works
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
