"""The Textual application: the one package of the core that imports Textual, and the one place that
composes screens (the registry in ``screens/``).

:class:`CockpitApp` holds the session and delegates each of its jobs to a module named for it:

- :mod:`cockpit.app.connection` opens the store in a worker (never blocking the first paint) and
  reconnects with backoff when the database goes away;
- :mod:`cockpit.app.store_calls` is how screens load data (:meth:`CockpitApp.call_store`) and how errors
  become notifications, the banner or an error-log record (:mod:`cockpit.errorlog`);
- :mod:`cockpit.app.workers` hands every worker that ended in an error to that reporting, so none is lost;
- :mod:`cockpit.app.navigation` holds go-to, record views and the key chords (``g <key>``, type-ahead);
- :mod:`cockpit.app.help` builds the ``?`` screen, :mod:`cockpit.app.clients` picks and switches clients.

arlo's loops (:class:`cockpit.arlo.runtime.ArloRuntime`) run in this process when the app is built with
``arlo=True`` (``cockpit`` does that when ``settings.arlo_enabled``); Pilot tests and benches leave it off
and start them with :meth:`CockpitApp.start_arlo` when they want them.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.worker import Worker

from cockpit.app.clients import ClientSwitcher
from cockpit.app.connection import Connection
from cockpit.app.help import show_help
from cockpit.app.navigation import Navigator
from cockpit.app.store_calls import Reporter, call_store
from cockpit.app.workers import ReportingWorkers
from cockpit.arlo.runtime import ArloRuntime
from cockpit.config import Settings
from cockpit.errorlog import tui_logging
from cockpit.errors import CockpitError
from screens import ScreenSpec, available_screens
from screens.palette import CockpitProvider
from styles import STYLES

if TYPE_CHECKING:
    from cockpit.arlo.context import Services
    from screens.base import CockpitScreen
    from cockpit.store import Store

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _mode_factory(spec: ScreenSpec) -> Callable[[], Any]:
    return lambda: spec.load()()


class CockpitApp(App[None]):
    """RedKey Cockpit: pipeline, contacts and the other registered screens as Textual modes."""

    TITLE = "RedKey Cockpit"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "pipeline.tcss", STYLES / "contacts.tcss", STYLES / "arlo.tcss",
                STYLES / "sequences.tcss"]
    COMMANDS = {CockpitProvider}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("colon", "command_palette", "Jump", key_display=":"),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("g", "go_prefix", "Go", show=False),
        Binding("C", "switch_client", "Client"),
        Binding("t", "tell_arlo", "Tell arlo"),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
        Binding("escape", "leave_input", "Leave field", show=False),
        Binding("q", "quit", "Quit"),
    ]

    client_name: reactive[str] = reactive("")
    connection_state: reactive[str] = reactive("connecting")
    banner: reactive[str] = reactive("")
    status_note: reactive[str] = reactive("")

    def __init__(self, settings: Settings, *, store: "Store | None" = None,
                 clock: Callable[[], datetime] | None = None, arlo: bool = False, warm_up: bool = False) -> None:
        """``arlo``: start arlo's loops in this process once connected. ``warm_up``: once connected, import
        the other screens' and arlo's modules in the background and freeze the start-up objects (see
        :meth:`_start_up`); both are for the terminal session (:func:`run_app`), off by default."""
        self.screen_specs: list[ScreenSpec] = available_screens()
        self.MODES = {spec.mode: _mode_factory(spec) for spec in self.screen_specs}
        super().__init__()
        self.settings = settings
        self.clock: Callable[[], datetime] = clock or _utcnow
        self.store: Store | None = store
        self.owns_store = store is None
        self.reporter = Reporter(self)
        self._workers = ReportingWorkers(self, self.reporter.worker_failed)
        self.connection = Connection(self)
        self.client_switcher = ClientSwitcher(self)
        self.navigator = Navigator(self)
        self.arlo_runtime = ArloRuntime(settings)
        self._start_arlo, self._warm_up = arlo, warm_up
        self._screens: weakref.WeakSet[CockpitScreen] = weakref.WeakSet()
        self.theme = settings.theme if settings.theme in self.available_themes else "textual-dark"

    # --- start-up -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.screen_specs:
            self.switch_mode(self.screen_specs[0].mode)
        self.connection.start()

    def connected(self) -> None:
        """The first connection is up (the connection calls this once)."""
        self.run_worker(self._start_up(), group="start-up", exclusive=True, exit_on_error=False)

    async def _start_up(self) -> None:
        if self._warm_up:
            # The first ``g s`` would otherwise pay ~0.3 s of imports (networkx...), the first Tell arlo's.
            await asyncio.to_thread(self._import_modules)
            # Process-wide, once: move everything alive now (Textual, widgets, every module) out of the
            # cyclic collector's reach. arlo's loops churn objects in this process, and full collections
            # that re-scanned the whole app took 100-240 ms (frame gaps) in bench/arlo_ui_stall.py; frozen,
            # they take under 10 ms. Frozen objects are never freed, hence only in the terminal session.
            gc.freeze()
        if self._start_arlo:
            self.start_arlo()

    def _import_modules(self) -> None:
        for module in [spec.module for spec in self.screen_specs[1:]] + ["cockpit.arlo.runner"]:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - a broken module reports itself when it is used
                pass

    def start_arlo(self, services: "Services | None" = None) -> None:
        """arlo's loops as an async worker of the app (services from the settings unless given)."""
        if self.store is not None:
            self.run_worker(self.arlo_runtime.run(self.store, services), group="arlo-loops", exclusive=True,
                            exit_on_error=False)

    async def on_unmount(self) -> None:
        self.arlo_runtime.stop()
        if self.store is not None and self.owns_store:
            try:
                await asyncio.wait_for(self.store.close(), timeout=3)
            except Exception:  # noqa: BLE001 - closing on exit must never fail loudly
                pass

    # --- screens --------------------------------------------------------------------------------
    def attach_screen(self, screen: "CockpitScreen") -> None:
        self._screens.add(screen)

    def notify_screens(self) -> None:
        """The store changed (connected, reconnected, client switched): every screen reloads."""
        for screen in list(self._screens):
            screen.store_changed()

    @property
    def clients(self) -> list[tuple[str, str]]:
        return self.client_switcher.offered

    @property
    def switchable_clients(self) -> list[tuple[str, str]]:
        return self.client_switcher.offered

    def go(self, mode: str) -> None:
        self.navigator.go(mode)

    def open_deal(self, deal_id: UUID) -> None:
        self.navigator.open_deal(deal_id)

    def open_company(self, company_id: UUID) -> None:
        self.navigator.open_company(company_id)

    def open_contact(self, contact_id: UUID) -> None:
        self.navigator.open_contact(contact_id)

    def switch_client(self, client_id: str | None) -> None:
        self.client_switcher.switch(client_id)

    # --- store calls and errors -----------------------------------------------------------------
    def call_store(self, node: DOMNode, fn: Callable[["Store"], Awaitable[T]],
                   done: Callable[[T], Any] | None = None, *, group: str = "default",
                   exclusive: bool = True, failed: Callable[[BaseException], Any] | None = None,
                   ) -> Worker[bool] | None:
        """Run ``fn(store)`` in a worker of ``node``, ``done(result)`` on success (see :func:`call_store`)."""
        return call_store(self, node, fn, done, group=group, exclusive=exclusive, failed=failed)

    def report_error(self, exc: CockpitError) -> None:
        self.reporter.error(exc)

    def report_unexpected(self, exc: BaseException) -> None:
        self.reporter.unexpected(exc)

    def _handle_exception(self, error: Exception) -> None:
        """Last line of defence: an exception in a handler is logged and shown, the app keeps running.

        Textual's default would exit with a traceback; under a test (Pilot) we keep that behaviour so
        bugs fail loudly."""
        if self.is_headless:
            super()._handle_exception(error)
            return
        self.reporter.any(error)

    # --- keys -----------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if self.navigator.intercept(event):
            return
        await super().on_event(event)

    def action_go_prefix(self) -> None:
        self.navigator.go_prefix()

    def action_help(self) -> None:
        show_help(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_client":
            return len(self.clients) > 1
        return True

    def action_switch_client(self) -> None:
        self.client_switcher.pick()

    def action_refresh(self) -> None:
        self.notify_screens()

    async def action_quit(self) -> None:
        self.exit()

    def action_leave_input(self) -> None:
        """Esc in a text field that does nothing else with it gives the keys back to the screen (so
        ``g``, ``?``, ``q`` work again) instead of trapping the user in the field."""
        if self.navigator.typing_in_input():
            self.screen.set_focus(None)

    def action_tell_arlo(self) -> None:
        from screens.tell_arlo import TellArlo

        if not isinstance(self.screen, TellArlo):
            self.push_screen(TellArlo())


def run_app(settings: Settings) -> None:
    """What ``cockpit`` (no subcommand) runs: the TUI, with arlo's loops when ``settings.arlo_enabled``.

    While the TUI owns the terminal, log records go to the error log instead of stderr."""
    with tui_logging(settings.data_dir):
        CockpitApp(settings, arlo=settings.arlo_enabled, warm_up=True).run()
