"""Moving around: the screens as modes (``go``), the record views (``open_deal`` …), and the keyboard
chords the App takes before any screen sees them: ``g <key>`` and type-ahead into an input that is
about to open.

Type-ahead: "/volta" or ":acme" typed in one burst arrives before the binding of the first key has moved
the focus into its input, so Textual would hand "volta" to the board (where "l" even moves a column).
Keys that open an input start a short hold: printable keys typed meanwhile are kept and go into the
input as soon as it has the focus (or, if no input appears, are replayed as ordinary keys).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from uuid import UUID

from textual import events
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

TYPEAHEAD_OPENERS = frozenset({"slash", "colon", "t"})
TYPEAHEAD_WAIT = 0.6  # seconds an opener may take to focus its input


class Navigator:
    """Go-to, record views, and the key chords of one app."""

    def __init__(self, app: "CockpitApp") -> None:
        self.app = app
        self._go_targets: list[tuple[str, str, str]] | None = None
        self._typeahead: list[events.Key] | None = None
        self._typeahead_deadline = 0.0

    # --- where to ---------------------------------------------------------------------------------
    def go(self, mode: str) -> None:
        app = self.app
        if mode in app.MODES and mode != app.current_mode:
            app.switch_mode(mode)

    def open_deal(self, deal_id: UUID) -> None:
        from screens.record_detail import DealDetail

        self.app.push_screen(DealDetail(deal_id))

    def open_company(self, company_id: UUID) -> None:
        from screens.record_detail import CompanyDetail

        self.app.push_screen(CompanyDetail(company_id))

    def open_contact(self, contact_id: UUID) -> None:
        """Show a contact in the contacts screen (the palette's and detail views' jump target)."""
        if "contacts" in self.app.MODES:
            self.app.run_worker(self._open_contact(contact_id), group="jump", exclusive=True, exit_on_error=False)

    async def _open_contact(self, contact_id: UUID) -> None:
        app = self.app
        while len(app.screen_stack) > 1:  # close modals over the current mode first
            await app.pop_screen()
        if app.current_mode != "contacts":
            await app.switch_mode("contacts")
        show = getattr(app.screen, "show_contact", None)
        if show is not None:
            show(contact_id)

    # --- key chords -------------------------------------------------------------------------------
    def go_prefix(self) -> None:
        """``g``: the next key picks a screen. The App takes that key before any screen or widget sees
        it (see :meth:`intercept`), so "gc" typed in one go cannot race the hint screen's mount."""
        from screens.go import GoScreen

        self._go_targets = [(spec.key, spec.mode, spec.title) for spec in self.app.screen_specs]
        self.app.push_screen(GoScreen(self._go_targets))

    def intercept(self, event: events.Event) -> bool:
        """Whether the App consumed ``event`` (the key after ``g``, or a key held for type-ahead)."""
        if not isinstance(event, events.Key):
            return False
        targets = self._go_targets
        # The key after ``g`` may arrive raw, or (typed fast, queued before the binding ran) forwarded to
        # a screen and bubbling back up: either way it is the go target, taken once.
        if targets is not None:
            from screens.go import GoScreen

            self._go_targets = None
            if isinstance(self.app.screen, GoScreen):
                self.app.pop_screen()
            mode = next((m for key, m, _title in targets if key == event.key), None)
            if mode:
                self.app.call_after_refresh(self.go, mode)
            return True
        return not event.is_forwarded and self._typeahead_hold(event)

    def typing_in_input(self) -> bool:
        return isinstance(self.app.focused, (Input, TextArea))

    def _typeahead_hold(self, event: events.Key) -> bool:
        held = self._typeahead
        if held is None:
            if event.key in TYPEAHEAD_OPENERS and not self.typing_in_input():
                self._typeahead = []
                self._typeahead_deadline = asyncio.get_running_loop().time() + TYPEAHEAD_WAIT
                self.app.set_timer(0.02, self._typeahead_flush)
            return False
        if self.typing_in_input():
            self._typeahead_flush()
            return False
        held.append(event)  # every key, in order: "…text<enter>" must submit after the text is in
        return True

    def _typeahead_flush(self) -> None:
        held = self._typeahead
        if held is None:
            return
        app = self.app
        focused = app.focused
        if isinstance(focused, (Input, TextArea)):
            self._typeahead = None
            rest: list[events.Key] = []
            for key in held:
                if rest or not (key.is_printable or key.key == "backspace"):
                    rest.append(key)  # the first other key (enter, esc...) and all after it: as keys
                elif key.key == "backspace":
                    focused.action_delete_left()
                elif isinstance(focused, Input):
                    focused.insert_text_at_cursor(key.character or "")
                else:
                    focused.insert(key.character or "")
            for key in rest:
                app.post_message(events.Key(key.key, key.character))
            return
        if asyncio.get_running_loop().time() < self._typeahead_deadline:
            app.set_timer(0.02, self._typeahead_flush)
            return
        self._typeahead = None  # no input appeared: the keys were meant for the screen after all
        for key in held:
            app.post_message(events.Key(key.key, key.character))
