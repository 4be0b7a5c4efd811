"""Contacts (placeholder)."""
from __future__ import annotations
from textual.app import ComposeResult
from textual.widgets import Static
from screens.base import CockpitScreen


class ContactsScreen(CockpitScreen):
    TITLE_TEXT = "Contacts"

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("loading…", id="pl", classes="placeholder")
        yield from self.compose_frame_bottom()

    def reload(self) -> None:
        self.call_store(lambda s: s.contacts_page(limit=5), lambda stages: self.query_one("#pl", Static).update(
            " · ".join(c.full_name for c in stages.items)))
