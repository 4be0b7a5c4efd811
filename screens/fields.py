"""Which keys a text field of a screen takes, and which it hands back to the screen.

The rule: a field the user opened with its key (:meth:`FieldKeys.open`: ``/``, ``n``) or has typed into
takes every key, ``g`` and ``q`` included, until Esc or Enter; a field that merely has the focus (the
screen put it there, or it came back to it) hands ``g``, ``q``, ``:`` and ``?`` to the screen while it
is empty, and starts taking every key at the first other one typed. Fields of dialogs keep every key.
"""

from __future__ import annotations

import weakref
from typing import Any

from textual import events
from textual.screen import ModalScreen
from textual.widgets import Input

HAND_BACK_KEYS = frozenset({"g", "q", "colon", "question_mark"})


class FieldKeys:
    """The app's one record of the field being typed into."""

    def __init__(self) -> None:
        self._typing: weakref.ref[Input] | None = None  # the field the user opened or typed into

    def open(self, field: Input) -> None:
        """Focus ``field`` at once for typing: the key that opened it is not typed into it, every key
        after it is."""
        field.screen.set_focus(field)
        self._typing = weakref.ref(field)

    def leave(self, app: Any) -> None:
        """Take the focus out of a text field: to the place the screen names (its ``leave_input()``),
        else to no widget."""
        self._typing = None
        if app.navigator.typing_in_input():  # an Input or a TextArea
            leave = getattr(app.screen, "leave_input", None)
            if leave is None or not leave():
                app.screen.set_focus(None)

    def hands_back(self, app: Any, event: events.Key, *, holding: bool) -> bool:
        """Whether ``event`` leaves the focused field for the screen (the caller re-sends it there).
        ``holding``: keys typed right after an opener are held until its field has the focus."""
        focused = app.focused
        if not isinstance(focused, Input) or isinstance(focused.screen, ModalScreen):
            if not holding:  # an opener's field may not have the focus yet
                self._typing = None
            return False
        if self._typing is not None and self._typing() is focused:
            return False
        if not focused.value and event.key in HAND_BACK_KEYS:
            self.leave(app)
            return True
        if event.is_printable:
            self._typing = weakref.ref(focused)
        return False
