"""The Textual application: the one module of the core that imports Textual, and the one place that
composes screens (the registry in ``screens/``).

:class:`CockpitApp` holds the session and delegates each of its jobs to a part named for it. The parts
that need Textual are the sections of this module; the others are modules of their own:

- :mod:`cockpit.reconnect` opens the store in a worker (never blocking the first paint) and reconnects
  with backoff when the database goes away; :mod:`cockpit.start_up` starts arlo's loops and the warm-up
  once the first screen has painted its data;
- :func:`call_store` (below) and :class:`cockpit.reporting.Reporter` are how screens load data and how errors become
  notifications, the banner or an error-log record (:mod:`cockpit.errorlog`, the one writer);
- :class:`ReportingWorkers` (below) hands every worker that ended in an error to that reporting, so none
  is lost;
- :class:`Navigator` (below) holds go-to, record views and the key chords (``g <key>``, type-ahead);
- :mod:`cockpit.keyhelp` builds the ``?`` screen, :mod:`cockpit.client_switch` picks and switches clients;
- :mod:`cockpit.changes` is the one change feed (LISTEN + poll); :class:`cockpit.live_screens.LiveScreens`
  hands its deliveries to the screens and keeps the header counters current;
- :mod:`cockpit.head_start` (the terminal session's) has opened the database and read the first board
  while this module was being imported.

arlo's loops (:class:`cockpit.arlo.runtime.ArloRuntime`) run in this process when the app is built with
``arlo=True`` (``cockpit`` does that when ``settings.arlo_enabled``); Pilot tests and benches leave it off
and start them with :meth:`CockpitApp.start_arlo` when they want them.
"""

from __future__ import annotations

import asyncio
import sys
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
from textual.screen import ModalScreen
from textual.widgets import Input
from textual.worker import Worker, WorkerState
from textual.worker_manager import WorkerManager

from cockpit.client_switch import ClientSwitcher
from cockpit.live_screens import LiveScreens
from cockpit.models import Counters
from cockpit.keyhelp import show_help
from cockpit.reporting import Reporter
from cockpit.reconnect import Connection
from cockpit.session_undo import UndoStack, undo
from cockpit.start_up import StartUp
from cockpit.arlo.runtime import ArloRuntime
from cockpit.config import Settings
from cockpit.errors import CockpitError
from screens import ScreenSpec, available_screens
from screens.confirm_quit import ConfirmQuit
from screens.fields import FieldKeys
from screens.palette import CockpitProvider
from styles import STYLES

if TYPE_CHECKING:
    from cockpit.arlo.context import Services
    from cockpit.head_start import HeadStart
    from screens.base import CockpitScreen
    from cockpit.store import Store

T = TypeVar("T")


def _is_text_input(widget: object) -> bool:
    """An Input or a TextArea (only once a screen imported TextArea: importing it costs the start-up
    ~30 ms, and until then nothing focused can be one)."""
    text_area = sys.modules.get("textual.widgets._text_area")
    return isinstance(widget, Input) or (text_area is not None and isinstance(widget, text_area.TextArea))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _mode_factory(app: "CockpitApp", spec: ScreenSpec) -> Callable[[], Any]:
    def make() -> Any:
        screen = spec.load()()
        # The breakpoint class the screen's first resize sets, set before it is styled: added at that
        # resize (after the screen's first layout), it restyled every widget of the screen once more.
        width = app.size.width
        breakpoints = sorted(app.HORIZONTAL_BREAKPOINTS or [], reverse=True)
        name = next((name for least, name in breakpoints if width >= least), None)
        if name is not None and screen.HORIZONTAL_BREAKPOINTS is None:
            screen.add_class(name, update=False)  # styled when it is registered
        # Textual re-parses the whole stylesheet when it installs a mode's first screen (the screen's CSS
        # count is behind the app's), and that empties the parse cache, so the next parse (the screen's
        # widgets) starts over too: ~35 ms of the start-up. With the stylesheet parsed with the app's
        # current variables (no theme change since), that re-parse gives the same rules.
        if app.stylesheet._variables == app.get_css_variables():
            screen._css_update_count = app._css_update_count
        return screen

    return make


# === store calls ===============================================================================
# How screens get data: :func:`call_store` runs one store call in a worker of the screen and hands the
# result back on the UI side, and :class:`Reporter` turns the errors workers meet into what the user sees.
#
# The one pattern for every query a screen makes: ``call_store(node, fn, done)``. A result arrives only if
# the session's scope is still the one it was asked under (a client switch in between drops it). Errors
# never escape: a lost database raises the banner and starts reconnecting, other CockpitErrors become an
# error notification, anything unexpected is written to the error log and notified.


def call_store(app: "CockpitApp", node: DOMNode, fn: Callable[["Store"], Awaitable[T]],
               done: Callable[[T], Any] | None = None, *, group: str = "default", exclusive: bool = True,
               failed: Callable[[BaseException], Any] | None = None) -> Worker[bool] | None:
    """Run ``fn(store)`` in a worker of ``node``; hand the result to ``done`` if the scope is unchanged.

    ``failed`` (if given) is called after the error was reported, e.g. to undo an optimistic change.
    The worker's result says whether the call went through (and ``done``, if any, was applied).
    Without a store (still connecting) nothing runs: the screen reloads when the store arrives."""
    store = app.store
    if store is None:
        return None

    async def job() -> bool:
        try:
            result = await fn(store)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            app.reporter.any(exc)
            if failed is not None and app.store is store:
                failed(exc)
            return False
        if done is None or app.store is not store:
            return done is None
        try:
            done(result)
        except Exception as exc:  # noqa: BLE001
            app.reporter.unexpected(exc)
            return False
        return True

    # the coroutine function, not a coroutine: a worker cancelled before it starts (a newer exclusive
    # load) then leaves no never-awaited coroutine behind
    return node.run_worker(job, group=group, exclusive=exclusive, exit_on_error=False)


# === workers ===================================================================================
# Every worker's end, in one place: an error no one handled becomes a notification and an error-log
# record with its traceback (never a silent stop, never a traceback on the screen).
#
# Textual lets a worker started with ``exit_on_error=False`` end in the ERROR state and tells only the
# node that started it (``Worker.StateChanged`` does not bubble); a screen that does not listen loses the
# error. The app's worker manager is therefore :class:`ReportingWorkers`: its done-callback, which Textual
# calls once for every worker of the app whatever node started it, hands failed workers to the app.

class ReportingWorkers(WorkerManager):
    """The app's worker manager, calling ``on_failed(worker)`` for each ``exit_on_error=False`` worker that
    ended in ERROR."""

    def __init__(self, app: object, on_failed: Callable[[Worker[object]], None]) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._on_failed = on_failed

    def _remove_worker(self, worker: Worker[object]) -> None:  # Textual's per-worker done-callback
        super()._remove_worker(worker)
        # exit_on_error workers already went to App._handle_exception (the app's last line of defence)
        if worker.state == WorkerState.ERROR and worker.error is not None and not worker.exit_on_error:
            self._on_failed(worker)


# === navigation ================================================================================
# Moving around: the screens as modes (``go``), the record views (``open_deal`` …), and the keyboard
# chords the App takes before any screen sees them: ``g <key>`` and type-ahead into an input that is
# about to open.
#
# Type-ahead: "/volta" or ":acme" typed in one burst arrives before the binding of the first key has moved
# the focus into its input, so Textual would hand "volta" to the board (where "l" even moves a column).
# Keys that open an input start a short hold: printable keys typed meanwhile are kept and go into the
# input as soon as it has the focus (or, if no input appears, are replayed as ordinary keys).

TYPEAHEAD_OPENERS = frozenset({"slash", "colon", "t"})
TYPEAHEAD_WAIT = 0.6  # seconds an opener may take to focus its input


class Navigator:
    """Go-to, record views, and the key chords of one app."""

    def __init__(self, app: "CockpitApp") -> None:
        self.app = app
        self._go_targets: list[tuple[str, str, str]] | None = None
        self._typeahead: list[events.Key] | None = None
        self._typeahead_deadline = 0.0
        self.fields = FieldKeys()  # which keys a text field takes
        # jumps between modes, (from, to): Esc on the screen jumped to goes back to the one it came from,
        # whose cursor and scroll were left as they were
        self.back_stack: list[tuple[str, str]] = []

    # --- where to ---------------------------------------------------------------------------------
    def go(self, mode: str) -> None:
        app = self.app
        if mode in app.MODES and mode != app.current_mode:
            app.switch_mode(mode)

    def open_deal(self, deal_id: UUID) -> None:
        from screens.deal_page import DealPage

        self.app.push_screen(DealPage(deal_id))

    def open_company(self, company_id: UUID) -> None:
        from screens.company_page import CompanyPage

        self.app.push_screen(CompanyPage(company_id))

    def open_contact(self, contact_id: UUID) -> None:
        """Show a contact in the contacts screen (the palette's and detail views' jump target)."""
        if "contacts" in self.app.MODES:
            self.app.run_worker(self._open_contact(contact_id), group="jump", exclusive=True, exit_on_error=False)

    async def _open_contact(self, contact_id: UUID) -> None:
        app = self.app
        while len(app.screen_stack) > 1:  # close modals over the current mode first
            await app.pop_screen()
        if app.current_mode != "contacts":
            self.back_stack = [*self.back_stack[-9:], (app.current_mode, "contacts")]
            await app.switch_mode("contacts")
        show = getattr(app.screen, "show_contact", None)
        if show is not None:
            show(contact_id)

    def back(self) -> bool:
        """Back to the screen the current one was jumped to from (whether there was one)."""
        app = self.app
        while self.back_stack:
            came_from, went_to = self.back_stack.pop()
            if went_to == app.current_mode and came_from in app.MODES:
                app.switch_mode(came_from)
                return True
        return False

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
        if not event.is_forwarded and self._hand_back(event):
            self.app.post_message(events.Key(event.key, event.character))
            return True
        return not event.is_forwarded and self._typeahead_hold(event)

    def typing_in_input(self) -> bool:
        return _is_text_input(self.app.focused)

    def leave_field(self) -> None:
        """Take the focus out of a text field (before a modal opens, so it does not return there)."""
        self.fields.leave(self.app)

    def _hand_back(self, event: events.Key) -> bool:
        return self.fields.hands_back(self.app, event, holding=self._typeahead is not None)

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
        if _is_text_input(focused):
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


class CockpitApp(App[None]):
    """RedKey Cockpit: pipeline, contacts and the other registered screens as Textual modes."""

    TITLE = "RedKey Cockpit"
    # the frame's and the sheets several screens share; a screen's own sheet loads when it first opens
    CSS_PATH = [STYLES / "app.tcss", STYLES / "pipeline.tcss", STYLES / "contacts.tcss", STYLES / "records.tcss"]
    COMMANDS = {CockpitProvider}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("colon", "command_palette", "Jump", key_display=":"),
        Binding("question_mark", "help", "Keys", key_display="?", show=False),  # the frame's keys: always shown
        Binding("g", "go_prefix", "Go", show=False),
        Binding("C", "switch_client", "Client"),
        Binding("t", "tell_arlo", "Tell arlo", show=False),
        Binding("u", "undo", "Undo", show=False),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
        Binding("V", "go('approvals')", "To approve", show=False),
        Binding("Q", "go('arlo')", "arlo's questions", show=False),
        Binding("I", "go('arlo')", "Unread inbox", show=False),
        Binding("escape", "leave_input", "Leave field", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    client_name: reactive[str] = reactive("")
    connection_state: reactive[str] = reactive("connecting")
    banner: reactive[str] = reactive("")
    status_note: reactive[str] = reactive("")
    counters: reactive[Counters] = reactive(Counters)

    def __init__(self, settings: Settings, *, store: "Store | None" = None,
                 clock: Callable[[], datetime] | None = None, arlo: bool = False, warm_up: bool = False,
                 head_start: "HeadStart | None" = None) -> None:
        """``arlo``: start arlo's loops in this process once connected. ``warm_up``: once connected, import
        the other screens' and arlo's modules in the background and freeze the start-up objects (see
        :class:`cockpit.start_up.StartUp`); ``head_start``: what the first connection and the first screen
        take (see :mod:`cockpit.head_start`). All for the terminal session (:func:`run_app`), off by default."""
        self.screen_specs: list[ScreenSpec] = available_screens()
        self.MODES = {spec.mode: _mode_factory(self, spec) for spec in self.screen_specs}
        if self.screen_specs:  # the app starts on the first screen (no default screen built and styled first)
            self.DEFAULT_MODE = self.screen_specs[0].mode
        super().__init__()
        self.settings = settings
        self.clock: Callable[[], datetime] = clock or _utcnow
        self.store: Store | None = store
        self.owns_store = store is None
        self.head_start = head_start
        self.reporter = Reporter(self)
        self._workers = ReportingWorkers(self, self.reporter.worker_failed)
        self.connection = Connection(self)
        self.client_switcher = ClientSwitcher(self)
        self.navigator = Navigator(self)
        self.live = LiveScreens(self)
        self.undo_stack = UndoStack()
        self.arlo_runtime = ArloRuntime(settings)
        self._screens: weakref.WeakSet[CockpitScreen] = weakref.WeakSet()
        self.start_up = StartUp(self, arlo=arlo, warm_up=warm_up)
        self.theme = settings.theme if settings.theme in self.available_themes else "textual-dark"
        self.on_exit_begun: Callable[[], None] | None = None  # the terminal session arms its exit watchdog

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Every way out of the app comes here first (quit, a fatal error, a test's exit)."""
        if self.on_exit_begun is not None:
            self.on_exit_begun()
        super().exit(*args, **kwargs)

    def _end_batch(self) -> None:
        super()._end_batch()
        if not self._batch_count and self.screen_stack:  # what the screen held back meanwhile is drawn
            self.screen.check_idle()

    # --- start-up -------------------------------------------------------------------------------
    def on_mount(self) -> None:  # in the first screen's mode already (DEFAULT_MODE)
        self.start_up.mounted()
        if self.head_start is not None:  # the first screen shows its board first: then the pool, the feed...
            self.call_after_refresh(self.connection.start)
        else:
            self.connection.start()

    def connected(self) -> None:
        """The first connection is up (the connection calls this once)."""
        self.start_up.connected()

    def first_screen_shown(self) -> None:
        """A screen painted its first data (see :class:`cockpit.start_up.StartUp`)."""
        self.start_up.screen_shown()

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

    def detach_screen(self, screen: "CockpitScreen") -> None:
        self._screens.discard(screen)

    def screens_attached(self) -> list["CockpitScreen"]:
        return list(self._screens)

    def notify_screens(self) -> None:
        """The store changed (connected, reconnected, client switched): every screen reloads, and the
        change feed listens again for the (possibly new) client."""
        for screen in list(self._screens):
            screen.store_changed()
        if self.connection_state == "connected":
            self.live.start()

    def clear_screens(self) -> None:
        """Before another client's rows arrive: no screen keeps the old client's records."""
        for screen in list(self._screens):
            screen.clear_records()

    @property
    def clients(self) -> list[tuple[str, str]]:
        return self.client_switcher.offered

    @property
    def switchable_clients(self) -> list[tuple[str, str]]:
        return self.client_switcher.offered

    def go(self, mode: str) -> None:
        self.navigator.go(mode)

    def action_go(self, mode: str) -> None:
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
        self.navigator.leave_field()  # closing ? returns to the screen, not into a field
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
        """Quit, after asking when a screen says quitting would throw work away (its ``quit_warning()``
        while one of its workers runs, e.g. an import that would roll back)."""
        reasons = sorted({r for w in self.workers if not w.is_finished
                          if (r := getattr(w.node, "quit_warning", lambda: None)())})
        if not reasons or isinstance(self.screen, ConfirmQuit):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmQuit(reasons), answered)

    def action_leave_input(self) -> None:
        """Esc in a text field that does nothing else with it gives the keys back to the screen (so
        ``g``, ``?``, ``q`` work again) instead of trapping the user in the field: to the place the screen
        names (its ``leave_input()``), else to no widget."""
        self.navigator.leave_field()

    def open_field(self, field: Input) -> None:
        """What a screen's key that opens a text field calls (see :meth:`FieldKeys.open`)."""
        self.navigator.fields.open(field)

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Every dialog opened over a screen closes back to the screen's list, never into a text field
        (a key typed next would land in it)."""
        if self.screen_stack and not isinstance(self.screen, ModalScreen):
            self.navigator.leave_field()
        return super().push_screen(*args, **kwargs)

    def action_command_palette(self) -> None:
        self.navigator.leave_field()  # the palette closes back to the screen, not into a field
        super().action_command_palette()

    def action_undo(self) -> None:
        """Take back the session's last move or edit (refused, writing nothing, if it changed since)."""
        entry = self.undo_stack.peek()
        if entry is None:
            self.notify("nothing to undo in this session", timeout=3)
            return

        def done(message: str) -> None:
            self.undo_stack.forget(entry)
            self.notify(message, title="undone", timeout=4)
            self.notify_screens()
            reload = getattr(self.screen, "load", None)
            if callable(reload) and self.screen not in self._screens:
                reload()  # a record page over the mode screen shows the restored values

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CockpitError):
                self.undo_stack.forget(entry)  # refused for good: the record changed since

        self.call_store(self.screen, lambda store: undo(store, entry), done, group="undo", failed=failed)

    def action_tell_arlo(self) -> None:
        from screens.tell_arlo import TellArlo

        if not isinstance(self.screen, TellArlo):
            self.push_screen(TellArlo())


def run_app(settings: Settings, head_start: "HeadStart | None" = None) -> None:
    """What ``cockpit`` (no subcommand) runs: the TUI, with arlo's loops when ``settings.arlo_enabled``.

    The command runs it inside :func:`cockpit.errorlog.tui_logging`: while the TUI owns the terminal (and
    while the head start opens the database), log records go to the error log instead of stderr."""
    from cockpit import exit_watchdog

    app = CockpitApp(settings, arlo=settings.arlo_enabled, warm_up=True, head_start=head_start)
    app.on_exit_begun = lambda: exit_watchdog.arm(settings.data_dir)
    app.run()
    exit_watchdog.arm(settings.data_dir)  # also when the app ended without exit() (an error on its way up)
