"""Driving the cockpit app (its frame: header, client, go-to keys) to the activity and schema screens in tests."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from cockpit.app import CockpitApp
from cockpit.config import Settings
from tests.tui_support import fixed_clock, wait_until


def cockpit_app(settings: Settings, store: Any = None, **overrides: Any) -> CockpitApp:
    """The real app; ``overrides`` adjust settings (e.g. refresh_seconds, page_size, schema_groups)."""
    return CockpitApp(settings.model_copy(update=overrides), store=store, clock=fixed_clock)


async def open_mode(pilot: Pilot[Any], mode: str, cls: type) -> Any:
    """Wait for the connection, then go to ``mode`` the way a user does (``g`` + key)."""
    app = pilot.app
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connected", timeout=10)
    key = next(spec.key for spec in app.screen_specs if spec.mode == mode)  # type: ignore[attr-defined]
    await pilot.press("g", key)
    await wait_until(pilot, lambda: isinstance(app.screen, cls), what=f"the {mode} screen")
    return app.screen


async def until(pilot: Pilot[Any], predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    await wait_until(pilot, predicate, timeout=timeout, what=what)
