"""The base of every top-level cockpit screen: header, banner, footer, and store access via workers.

A screen implements :meth:`CockpitScreen.reload` (start its queries). The app calls it when the store
becomes available, when the client scope changes and when the database comes back after an outage.
Queries go through :meth:`CockpitScreen.call_store`, which runs them in a worker and hands the result
to a callback on the UI side; errors become notifications or the database-lost banner, never a traceback.

The change feed (:mod:`cockpit.changes`) reaches every screen through :meth:`CockpitScreen.changes_arrived`:
a screen names the kinds it shows in ``WATCHES``; the visible one applies the change
(:meth:`apply_changes`, a reload that keeps the cursor unless the screen does better), a hidden one is
marked stale and reloads when it is shown again. On a client switch :meth:`clear_records` empties the
screen before the new client's rows arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.containers import Horizontal
from textual.widgets import Footer, OptionList
from textual.worker import Worker

from widgets.status_bar import DbBanner, FrameKeys, StatusBar

if TYPE_CHECKING:
    from cockpit.app import CockpitApp
    from cockpit.changes import Delivery
    from cockpit.store import Store

T = TypeVar("T")


class CockpitScreen(Screen[None]):
    """A mode screen of the cockpit."""

    TITLE_TEXT = "Cockpit"
    # What gets the focus when nothing has it (after a modal closes, on first show): a list, never a text
    # field (a key typed next would land in it).
    AUTO_FOCUS = "DataTable, OptionList"
    # The change kinds this screen shows (see cockpit.store.changes.KINDS); empty: none.
    WATCHES: frozenset[str] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self._stale = False

    @property
    def cockpit(self) -> "CockpitApp":
        return self.app  # type: ignore[return-value]

    @property
    def store(self) -> "Store | None":
        return self.cockpit.store

    def compose_frame_top(self) -> ComposeResult:
        yield StatusBar(self.TITLE_TEXT)
        yield DbBanner()

    def compose_frame_bottom(self) -> ComposeResult:
        with Horizontal(id="frame-bottom"):
            yield Footer()
            yield FrameKeys()

    def _compositor_refresh(self) -> None:
        """Draw the screen, except while the app holds its updates (``App.batch_update``, which the
        start-up's compose and mount run in): Textual would render the whole screen and drop the frame.
        The layout's regions stay dirty and are drawn at the screen's first idle after the batch."""
        if self.app._batch_count:
            self._dirty_widgets.add(self)
            return
        super()._compositor_refresh()

    def on_mount(self) -> None:
        self.cockpit.attach_screen(self)
        if self.store is not None:
            self.reload()

    def on_screen_resume(self) -> None:
        if self._stale and self.store is not None:
            self._stale = False
            self.reload()

    def store_changed(self) -> None:
        """Called by the app after connect, reconnect or a client switch."""
        if self.is_current:
            self.reload()
        else:
            self._stale = True

    def reload(self) -> None:
        """(Re)load everything the screen shows. Subclasses override."""

    def changes_arrived(self, delivery: "Delivery") -> None:
        """The feed heard changes: apply them now if visible, else reload when next shown."""
        if not delivery.touches(self.WATCHES) or self.store is None:
            return
        if self.is_current:
            self.apply_changes(delivery)
        else:
            self._stale = True

    def apply_changes(self, delivery: "Delivery") -> None:
        """Show the changes in place (default: reload; the screens keep cursor and scroll on reload)."""
        self.reload()

    def clear_records(self) -> None:
        """Drop every record shown (a client switch: nothing of the old client may stay on screen).
        The default empties the screen's tables and lists; screens with more override and call super."""
        # by the type's name: DataTable is imported by the screens that have one, not at start-up (~10 ms)
        for table in self.query("DataTable"):
            table.clear()  # type: ignore[attr-defined]
        for options in self.query(OptionList):
            options.clear_options()

    def call_store(self, fn: Callable[["Store"], Awaitable[T]], done: Callable[[T], Any] | None = None, *,
                   group: str = "default", exclusive: bool = True,
                   failed: Callable[[BaseException], Any] | None = None) -> Worker[bool] | None:
        return self.cockpit.call_store(self, fn, done, group=group, exclusive=exclusive, failed=failed)
