"""The app's end of the change feed: the feed (:class:`cockpit.changes.ChangeFeed`) runs as one worker of
the app for the session's client (restarted when the client or the connection changes); each delivery
goes to every screen (the visible one applies it, hidden ones turn stale) and, when it touches
proposals, decisions, tasks or the inbox, re-reads the header counters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.changes import COUNTER_KINDS, ChangeFeed, Delivery

if TYPE_CHECKING:
    from cockpit.app import CockpitApp
    from cockpit.models import Counters


class LiveScreens:
    """The app's end of the change feed."""

    def __init__(self, app: "CockpitApp") -> None:
        self.app = app
        self.feed: ChangeFeed | None = None

    def start(self) -> None:
        app = self.app
        store = app.store
        if store is None or not store.client_id:
            return
        poll = float(getattr(app.settings, "refresh_seconds", 5.0))
        self.feed = ChangeFeed(self.delivered, poll_seconds=poll)
        app.run_worker(self.feed.run(store), group="change-feed", exclusive=True, exit_on_error=False)
        self.read_counters()

    def delivered(self, delivery: Delivery) -> None:
        app = self.app
        for screen in list(app.screens_attached()):
            try:
                screen.changes_arrived(delivery)
            except Exception as exc:  # noqa: BLE001 - one screen's failure never stops the others
                app.reporter.unexpected(exc)
        if delivery.touches(COUNTER_KINDS):
            self.read_counters()

    def read_counters(self) -> None:
        def show(counters: "Counters") -> None:
            self.app.counters = counters

        self.app.call_store(self.app, lambda store: store.changes.counters(), show, group="counters")
