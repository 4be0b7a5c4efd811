"""The session's connection: open the store off the UI (embedded server start, migrations), pick the
client scope, and when the database goes away raise the banner and probe it with backoff (1 s, 2 s,
4 s … 30 s) until it answers; then every screen reloads.

State is shown through the app's reactive ``connection_state`` (connecting, connected, lost, no-client)
and ``banner``; the status bar and banner widgets watch them.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from cockpit.errorlog import record_exception
from cockpit.errors import CockpitError, ScopeError

if TYPE_CHECKING:
    from cockpit.app import CockpitApp
    from cockpit.head_start import Found

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
PING_TIMEOUT = 5.0


class Connection:
    """Connect and reconnect for one app; ``backoff_start``/``backoff_max`` are seconds (tests shorten them)."""

    def __init__(self, app: "CockpitApp") -> None:
        self.app = app
        self.backoff_start, self.backoff_max = BACKOFF_START, BACKOFF_MAX
        self._head_start_taken = False

    def start(self) -> None:
        self.app.run_worker(self._connect(), group="connect", exclusive=True, exit_on_error=False)

    async def _connect(self) -> None:
        app = self.app
        app.connection_state = "connecting"
        delay = self.backoff_start
        while True:
            try:
                registered = None
                if app.store is None:
                    found = await self._head_start()
                    if found is not None:  # the database opened and migrated a moment ago: only the pool
                        if "cockpit.store" not in sys.modules:  # read in a child process: importing the
                            await self._next_frame()  # pool's modules holds the loop ~0.15 s; its board first
                        from cockpit.store import Store

                        app.store = await Store.open(app.settings, url=found.url, client_id=app.settings.client_id,
                                                     reached=True)
                        registered = found.registered
                    else:
                        from cockpit.cli import open_store

                        app.store = await open_store(app.settings, client_id=app.settings.client_id)
                    app.owns_store = True
                await app.client_switcher.choose(registered)
                break
            except ScopeError as exc:
                app.connection_state = "no-client"
                app.banner = f"{exc.message} — {exc.hint}" if exc.hint else exc.message
                return
            except CockpitError as exc:
                app.connection_state = "lost"
                app.banner = f"database unreachable: {exc.message} — retrying in {delay:.0f}s"
            except Exception as exc:  # noqa: BLE001 - never a traceback; keep retrying
                record_exception(exc, app.settings.data_dir)
                app.connection_state = "lost"
                app.banner = f"cannot open the database ({type(exc).__name__}) — retrying in {delay:.0f}s"
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)
        app.banner = ""
        app.connection_state = "connected"
        app.notify_screens()
        app.connected()

    async def _next_frame(self, timeout: float = 0.5) -> None:
        """Until the screen has been refreshed (what was handed to it meanwhile is painted), ``timeout`` at most."""
        shown = asyncio.Event()
        self.app.call_after_refresh(shown.set)
        try:
            await asyncio.wait_for(shown.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    async def _head_start(self) -> "Found | None":
        """What the session's head start found (the first attempt only; see :mod:`cockpit.head_start`)."""
        head_start, taken, self._head_start_taken = self.app.head_start, self._head_start_taken, True
        return await head_start.found() if head_start is not None and not taken else None

    def lost(self, exc: CockpitError) -> None:
        """A query met a dead database: show it and start probing (once, however many queries failed)."""
        app = self.app
        if app.connection_state == "lost":
            return
        app.connection_state = "lost"
        app.banner = f"database lost: {exc.message} — reconnecting…"
        app.run_worker(self._reconnect(), group="reconnect", exclusive=True, exit_on_error=False)

    async def _reconnect(self) -> None:
        app = self.app
        delay = self.backoff_start
        attempt = 0
        while True:
            attempt += 1
            app.banner = f"database lost — reconnecting in {delay:.0f}s (attempt {attempt}); the cockpit keeps working"
            await asyncio.sleep(delay)
            app.banner = f"database lost — trying to reach it (attempt {attempt})…"
            store = app.store
            try:
                if store is not None:
                    await asyncio.wait_for(store.db.ping(), timeout=PING_TIMEOUT)
                    break
            except (asyncio.TimeoutError, CockpitError):
                pass
            except Exception as exc:  # noqa: BLE001
                record_exception(exc, app.settings.data_dir)
            delay = min(delay * 2, self.backoff_max)
        app.banner = ""
        app.connection_state = "connected"
        app.notify("database is back; screens refreshed", timeout=4)
        app.notify_screens()
