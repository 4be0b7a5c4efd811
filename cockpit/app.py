"""The Textual application (the one place that composes screens). Placeholder until the screens land."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from cockpit.config import Settings


class CockpitApp(App[None]):
    TITLE = "RedKey Cockpit"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("RedKey Cockpit — screens are on their way. Press q to quit.")
        yield Footer()

    BINDINGS = [("q", "quit", "Quit")]


def run_app(settings: Settings) -> None:
    CockpitApp(settings).run()
