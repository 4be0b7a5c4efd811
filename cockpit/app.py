"""The Textual application: the one place that composes screens (the registry in ``screens/``).

The app owns the session: it opens the store in a worker (never blocking the first paint), picks the
client scope, watches the connection and reconnects with backoff when the database goes away, and turns
every error a worker meets into a notification or the banner — the user never sees a traceback.
Screens get data through :meth:`CockpitApp.call_store` (a worker per query, result handed back on the
UI side) and are told to reload when the scope or the connection changes.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.worker import Worker

from cockpit.config import Settings
from cockpit.errors import CockpitError, DatabaseUnavailable, ScopeError
from cockpit.private_files import private_log
from screens import ScreenSpec, available_screens
from screens.palette import CockpitProvider

if TYPE_CHECKING:
    from screens.base import CockpitScreen
    from cockpit.store import Store

T = TypeVar("T")
log = logging.getLogger("cockpit.app")

from styles import STYLES  # noqa: E402 - the stylesheets ship as package data
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
PING_TIMEOUT = 5.0


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
                 clock: Callable[[], datetime] | None = None) -> None:
        self.screen_specs: list[ScreenSpec] = available_screens()
        self.MODES = {spec.mode: _mode_factory(spec) for spec in self.screen_specs}
        super().__init__()
        self.settings = settings
        self.clock: Callable[[], datetime] = clock or _utcnow
        self.store: Store | None = store
        self._owns_store = store is None
        self.clients: list[tuple[str, str]] = []
        self._screens: weakref.WeakSet[CockpitScreen] = weakref.WeakSet()
        self.backoff_start, self.backoff_max = BACKOFF_START, BACKOFF_MAX  # tests shorten these
        self.theme = settings.theme if settings.theme in self.available_themes else "textual-dark"
        from screens.arlo import ArloRuntime

        self.arlo_runtime = ArloRuntime(self)  # arlo's loops in this process (settings.arlo_enabled)

    # --- start-up -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.screen_specs:
            self.switch_mode(self.screen_specs[0].mode)
        self._connect()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _connect(self) -> None:
        """Open the store (embedded server start, migrations) off the UI, then pick the client."""
        self.connection_state = "connecting"
        delay = self.backoff_start
        while True:
            try:
                if self.store is None:
                    from cockpit.cli import open_store

                    self.store = await open_store(self.settings, client_id=self.settings.client_id)
                    self._owns_store = True
                await self._choose_client()
                break
            except ScopeError as exc:
                self.connection_state = "no-client"
                self.banner = f"{exc.message} — {exc.hint}" if exc.hint else exc.message
                return
            except CockpitError as exc:
                self.connection_state = "lost"
                self.banner = f"database unreachable: {exc.message} — retrying in {delay:.0f}s"
            except Exception as exc:  # noqa: BLE001 - never a traceback; keep retrying
                self._log_unexpected(exc)
                self.connection_state = "lost"
                self.banner = f"cannot open the database ({type(exc).__name__}) — retrying in {delay:.0f}s"
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)
        self.banner = ""
        self.connection_state = "connected"
        self._notify_screens()
        if not self.is_headless:  # Pilot tests start arlo themselves, with offline services
            self.arlo_runtime.start(self.store, self.settings)
            self._warm_up_screens()

    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def _warm_up_screens(self) -> None:
        """Import the other screens' modules (and their libraries, e.g. networkx) in the background
        once the first screen is up, so the first ``g s`` does not pay ~0.3 s of imports."""
        import importlib

        for spec in self.screen_specs[1:]:
            try:
                importlib.import_module(spec.module)
            except Exception:  # noqa: BLE001 - a broken screen module reports itself when opened
                pass

    async def _choose_client(self) -> None:
        """Scope to the configured client, else the first one offered (settings.clients restricts)."""
        assert self.store is not None
        registered = await self.store.clients()
        allowed = set(self.settings.clients)
        self.clients = [(c.client_id, c.name) for c in registered if not allowed or c.client_id in allowed]
        if not self.clients:
            raise ScopeError("no client is registered", "run `cockpit demo` or `cockpit workspace add`")
        ids = [cid for cid, _ in self.clients]
        wanted = self.store.client_id or self.settings.client_id
        if wanted and wanted not in ids:
            raise ScopeError(f"client {wanted!r} is not registered or not allowed",
                             f"use one of: {', '.join(ids)}")
        chosen = wanted or ids[0]
        if self.store.client_id != chosen:
            self.store = self.store.scoped(chosen)
        self.client_name = dict(self.clients)[chosen]

    @property
    def switchable_clients(self) -> list[tuple[str, str]]:
        return self.clients

    # --- screens --------------------------------------------------------------------------------
    def attach_screen(self, screen: "CockpitScreen") -> None:
        self._screens.add(screen)

    def _notify_screens(self) -> None:
        for screen in list(self._screens):
            screen.store_changed()

    def go(self, mode: str) -> None:
        if mode in self.MODES and mode != self.current_mode:
            self.switch_mode(mode)

    def open_deal(self, deal_id: UUID) -> None:
        from screens.record_detail import DealDetail

        self.push_screen(DealDetail(deal_id))

    def open_company(self, company_id: UUID) -> None:
        from screens.record_detail import CompanyDetail

        self.push_screen(CompanyDetail(company_id))

    def open_contact(self, contact_id: UUID) -> None:
        """Show a contact in the contacts screen (the palette's and detail views' jump target)."""
        if "contacts" in self.MODES:
            self.run_worker(self._open_contact(contact_id), group="jump", exclusive=True, exit_on_error=False)

    async def _open_contact(self, contact_id: UUID) -> None:
        while len(self.screen_stack) > 1:  # close modals over the current mode first
            await self.pop_screen()
        if self.current_mode != "contacts":
            await self.switch_mode("contacts")
        show = getattr(self.screen, "show_contact", None)
        if show is not None:
            show(contact_id)

    # --- store calls ----------------------------------------------------------------------------
    def call_store(self, node: DOMNode, fn: Callable[["Store"], Awaitable[T]],
                   done: Callable[[T], Any] | None = None, *, group: str = "default",
                   exclusive: bool = True, failed: Callable[[BaseException], Any] | None = None,
                   ) -> Worker[None] | None:
        """Run ``fn(store)`` in a worker of ``node``; hand the result to ``done`` if the scope is unchanged.

        Errors never escape: a lost database raises the banner and starts reconnecting, other
        CockpitErrors become an error notification, anything unexpected is logged and notified;
        ``failed`` (if given) is called after that, e.g. to undo an optimistic change.
        """
        store = self.store
        if store is None:
            return None

        async def job() -> None:
            try:
                result = await fn(store)
            except asyncio.CancelledError:
                raise
            except CockpitError as exc:
                self.report_error(exc)
                if failed is not None and self.store is store:
                    failed(exc)
                return
            except Exception as exc:  # noqa: BLE001
                self.report_unexpected(exc)
                if failed is not None and self.store is store:
                    failed(exc)
                return
            if done is None or self.store is not store:
                return
            try:
                done(result)
            except Exception as exc:  # noqa: BLE001
                self.report_unexpected(exc)

        return node.run_worker(job(), group=group, exclusive=exclusive, exit_on_error=False)

    def report_error(self, exc: CockpitError) -> None:
        if isinstance(exc, DatabaseUnavailable):
            self.connection_lost(exc)
            return
        self.notify(exc.hint or "", title=exc.message, severity="error", timeout=8)

    def report_unexpected(self, exc: BaseException) -> None:
        where = self._log_unexpected(exc)
        self.notify(f"details in {where}" if where else "", title=f"unexpected {type(exc).__name__}: {exc}",
                    severity="error", timeout=10)

    def _log_unexpected(self, exc: BaseException) -> str | None:
        path = self.settings.data_dir / "logs" / "cockpit.log"
        try:
            with private_log(path).open("a", encoding="utf-8") as fh:
                fh.write(f"--- {_utcnow().isoformat()}\n"
                         f"{''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))}\n")
            return str(path)
        except OSError:
            return None

    def _handle_exception(self, error: Exception) -> None:
        """Last line of defence: an exception in a handler is logged and shown, the app keeps running.

        Textual's default would exit with a traceback; under a test (Pilot) we keep that behaviour so
        bugs fail loudly."""
        if self.is_headless:
            super()._handle_exception(error)
            return
        if isinstance(error, CockpitError):
            self.report_error(error)
        else:
            self.report_unexpected(error)

    # --- connection loss ------------------------------------------------------------------------
    def connection_lost(self, exc: CockpitError) -> None:
        if self.connection_state == "lost":
            return
        self.connection_state = "lost"
        self.banner = f"database lost: {exc.message} — reconnecting…"
        self._reconnect()

    @work(exclusive=True, group="reconnect", exit_on_error=False)
    async def _reconnect(self) -> None:
        """Probe the database with backoff (1 s, 2 s, 4 s … 30 s); when it answers, reload the screens."""
        delay = self.backoff_start
        attempt = 0
        while True:
            attempt += 1
            self.banner = f"database lost — reconnecting in {delay:.0f}s (attempt {attempt}); the cockpit keeps working"
            await asyncio.sleep(delay)
            self.banner = f"database lost — trying to reach it (attempt {attempt})…"
            store = self.store
            try:
                if store is not None:
                    await asyncio.wait_for(store.ping(), timeout=PING_TIMEOUT)
                    break
            except asyncio.TimeoutError:
                pass
            except CockpitError:
                pass
            except Exception as exc:  # noqa: BLE001
                self._log_unexpected(exc)
            delay = min(delay * 2, self.backoff_max)
        self.banner = ""
        self.connection_state = "connected"
        self.notify("database is back; screens refreshed", timeout=4)
        self._notify_screens()

    # --- actions --------------------------------------------------------------------------------
    def action_go_prefix(self) -> None:
        """``g``: the next key picks a screen. The App takes that key before any screen or widget sees
        it (see :meth:`on_event`), so "gc" typed in one go cannot race the hint screen's mount."""
        from screens.go import GoScreen

        self._go_targets = [(spec.key, spec.mode, spec.title) for spec in self.screen_specs]
        self.push_screen(GoScreen(self._go_targets))

    async def on_event(self, event: events.Event) -> None:
        targets = getattr(self, "_go_targets", None)
        # The key after ``g`` may arrive raw, or (typed fast, queued before the binding ran) forwarded to
        # a screen and bubbling back up: either way it is the go target, taken once.
        if targets is not None and isinstance(event, events.Key):
            from screens.go import GoScreen

            self._go_targets = None
            if isinstance(self.screen, GoScreen):
                self.pop_screen()
            mode = next((m for key, m, _title in targets if key == event.key), None)
            if mode:
                self.call_after_refresh(self.go, mode)
            return
        if isinstance(event, events.Key) and not event.is_forwarded and self._typeahead_hold(event):
            return
        await super().on_event(event)

    # --- type-ahead -----------------------------------------------------------------------------
    # "/volta" or ":acme" typed in one burst: the terminal delivers all the keys before the binding of
    # the first one has moved the focus into its input, so Textual would hand "volta" to the board
    # (where "l" even moves a column). Keys that open an input start a short hold: printable keys
    # typed meanwhile are kept and go into the input as soon as it has the focus (or, if no input
    # appears, are replayed as ordinary keys).
    TYPEAHEAD_OPENERS = frozenset({"slash", "colon", "t"})
    TYPEAHEAD_WAIT = 0.6  # seconds an opener may take to focus its input

    def _typing_in_input(self) -> bool:
        from textual.widgets import Input, TextArea

        return isinstance(self.focused, (Input, TextArea))

    def _typeahead_hold(self, event: events.Key) -> bool:
        """Whether ``event`` was kept for the input an opener key is about to focus."""
        held: list[events.Key] | None = getattr(self, "_typeahead", None)
        if held is None:
            if event.key in self.TYPEAHEAD_OPENERS and not self._typing_in_input():
                self._typeahead = []
                self._typeahead_deadline = asyncio.get_running_loop().time() + self.TYPEAHEAD_WAIT
                self.set_timer(0.02, self._typeahead_flush)
            return False
        if self._typing_in_input():
            self._typeahead_flush()
            return False
        held.append(event)  # every key, in order: "…text<enter>" must submit after the text is in
        return True

    def _typeahead_flush(self) -> None:
        from textual.widgets import Input, TextArea

        held: list[events.Key] | None = getattr(self, "_typeahead", None)
        if held is None:
            return
        focused = self.focused
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
                self.post_message(events.Key(key.key, key.character))
            return
        if asyncio.get_running_loop().time() < self._typeahead_deadline:
            self.set_timer(0.02, self._typeahead_flush)
            return
        self._typeahead = None  # no input appeared: the keys were meant for the screen after all
        for key in held:
            self.post_message(events.Key(key.key, key.character))

    def action_help(self) -> None:
        from screens.help import HelpScreen

        rows: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for key, active in self.active_bindings.items():
            b = active.binding
            desc = b.description or b.tooltip or b.action.replace("_", " ")
            node = active.node
            section = ("App" if node is self else getattr(node, "TITLE_TEXT", None)
                       or {"VerticalScroll": "Scrolling", "CardList": "Cards", "ContactList": "List",
                           "Input": "Text box"}.get(type(node).__name__, type(node).__name__))
            keys = b.key_display or self.get_key_display(b)
            if (keys, desc) in seen:
                continue
            seen.add((keys, desc))
            rows.append((section, keys, desc))
        for spec in self.screen_specs:
            rows.append(("Go to", f"g {spec.key}", spec.title))
        own = getattr(self.screen, "TITLE_TEXT", "")
        rows.sort(key=lambda r: (r[0] == "App", r[0] == "Go to", r[0] != own, r[0]))  # this screen's keys first
        self.push_screen(HelpScreen(rows))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_client":
            return len(self.clients) > 1
        return True

    def action_switch_client(self) -> None:
        from screens.client_picker import ClientPicker

        if len(self.clients) < 2 or self.store is None:
            self.notify("only one client is available", timeout=3)
            return
        self.push_screen(ClientPicker(self.clients, self.store.client_id), self.switch_client)

    def switch_client(self, client_id: str | None) -> None:
        """Re-scope the session (same pool) and reload every screen."""
        if not client_id or self.store is None or client_id == self.store.client_id:
            return
        self.store = self.store.scoped(client_id)
        self.client_name = dict(self.clients).get(client_id, client_id)
        self.notify(f"now scoped to {self.client_name}", timeout=3)
        self._notify_screens()

    def action_refresh(self) -> None:
        self._notify_screens()

    async def action_quit(self) -> None:
        self.exit()

    def action_leave_input(self) -> None:
        """Esc in a text field that does nothing else with it gives the keys back to the screen (so
        ``g``, ``?``, ``q`` work again) instead of trapping the user in the field."""
        if self._typing_in_input():
            self.screen.set_focus(None)

    def action_tell_arlo(self) -> None:
        from screens.tell_arlo import TellArlo

        if not isinstance(self.screen, TellArlo):
            self.push_screen(TellArlo())

    async def on_unmount(self) -> None:
        self.arlo_runtime.stop()
        if self.store is not None and self._owns_store:
            try:
                await asyncio.wait_for(self.store.close(), timeout=3)
            except Exception:  # noqa: BLE001 - closing on exit must never fail loudly
                pass


def run_app(settings: Settings) -> None:
    """What ``cockpit`` (no subcommand) runs.

    While the TUI owns the terminal, log records (e.g. psycopg's pool warnings while the database is
    down) go to ``<data_dir>/logs/cockpit.log`` instead of stderr, where they would tear the screen."""
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        path = private_log(settings.data_dir / "logs" / "cockpit.log")
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    try:
        CockpitApp(settings).run()
    finally:
        root.handlers = saved
        handler.close()
