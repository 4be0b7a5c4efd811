"""Which client the session is scoped to: the configured one, else the first registered (restricted by
``settings.clients``), and ``C`` to switch to another on the same pool; every screen then reloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cockpit.errors import ScopeError

if TYPE_CHECKING:
    from cockpit.app import CockpitApp


def pick_client(registered: Iterable[tuple[str, str]], configured: str | None,
                allowed: Iterable[str] = ()) -> tuple[list[tuple[str, str]], str]:
    """The clients offered (registered ones, in the order given: by name, restricted to ``allowed`` when
    set) and the one a session starts on: ``configured``, else the first offered. The cockpit and
    ``cockpit doctor`` both decide with this. Raises ScopeError naming the choices."""
    only = set(allowed)
    offered = [(cid, name) for cid, name in registered if not only or cid in only]
    if not offered:
        raise ScopeError("no client is registered", "run `cockpit demo` or `cockpit workspace add`")
    ids = [cid for cid, _ in offered]
    if configured and configured not in ids:
        raise ScopeError(f"unknown client {configured!r} (not registered, or not in COCKPIT_CLIENTS)",
                         f"set COCKPIT_CLIENT_ID to one of: {', '.join(ids)}")
    return offered, configured or ids[0]


class ClientSwitcher:
    """The clients this session may switch between, as (client_id, name)."""

    def __init__(self, app: "CockpitApp") -> None:
        self.app = app
        self.offered: list[tuple[str, str]] = []

    async def choose(self, registered: list[tuple[str, str]] | None = None) -> None:
        """Scope the store to the configured client, else the first one offered; ``registered`` (the
        registered clients as (id, name), read a moment ago) spares reading them again."""
        app = self.app
        assert app.store is not None
        if registered is None:
            registered = [(c.client_id, c.name) for c in await app.store.admin.clients()]
        self.offered, chosen = pick_client(registered, app.store.client_id or app.settings.client_id,
                                           app.settings.clients)
        if app.store.client_id != chosen:
            app.store = app.store.scoped(chosen)
        app.client_name = dict(self.offered)[chosen]

    def pick(self) -> None:
        """``C``: the picker over the offered clients."""
        from screens.client_picker import ClientPicker

        app = self.app
        if len(self.offered) < 2 or app.store is None:
            app.notify("only one client is available", timeout=3)
            return
        app.push_screen(ClientPicker(self.offered, app.store.client_id), self.switch)

    def switch(self, client_id: str | None) -> None:
        """Re-scope the session (same pool) and reload every screen."""
        app = self.app
        if not client_id or app.store is None or client_id == app.store.client_id:
            return
        app.clear_screens()
        while len(app.screen_stack) > 1:  # record views and dialogs over a mode show the old client's rows
            app.pop_screen()
        app.store = app.store.scoped(client_id)
        app.client_name = dict(self.offered).get(client_id, client_id)
        app.notify(f"now scoped to {app.client_name}", timeout=3)
        app.notify_screens()
