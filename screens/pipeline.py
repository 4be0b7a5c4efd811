"""Pipeline (placeholder while the board is built)."""
from __future__ import annotations
from textual.app import ComposeResult
from textual.widgets import Static
from screens.base import CockpitScreen


class PipelineScreen(CockpitScreen):
    TITLE_TEXT = "Pipeline"

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("loading…", id="pl", classes="placeholder")
        yield from self.compose_frame_bottom()

    def reload(self) -> None:
        self.call_store(lambda s: s.pipeline(), lambda stages: self.query_one("#pl", Static).update(
            " · ".join(st.label for st in stages)))
