"""Run an action once typing (or a moving cursor) has paused: each new value restarts the wait, and
``now`` runs at once (Enter in a search box) dropping the pending one."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from textual.message_pump import MessagePump
from textual.timer import Timer

T = TypeVar("T")


class Debounce(Generic[T]):
    """``later(value)`` calls ``action(value)`` after ``delay`` seconds of no newer value, on ``owner``'s timers
    (so it stops with the screen)."""

    def __init__(self, owner: MessagePump, delay: float, action: Callable[[T], object]) -> None:
        self._owner = owner
        self._delay = delay
        self._action = action
        self._timer: Timer | None = None

    def later(self, value: T) -> None:
        self.cancel()
        self._timer = self._owner.set_timer(self._delay, lambda: self._action(value))

    def now(self, value: T) -> None:
        self.cancel()
        self._action(value)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
