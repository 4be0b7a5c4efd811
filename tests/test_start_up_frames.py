"""What the terminal is sent at start-up: one frame, and it is the board with its cards (when the head
start read the board before the first screen composed); nothing is rendered while the app holds its
updates; the theme set in the settings styles that first screen."""

from __future__ import annotations

from typing import Any

import pytest

from textual.color import Color

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.head_start import HeadStart
from screens.pipeline import PipelineScreen
from tests.tui_support import fixed_clock, wait_until
from widgets.stage_column import CardList

HEIGHT = 30


class FramesSeen(CockpitApp):
    """Records every frame Textual hands to the terminal: (whether the app held its updates, whether the
    board's cards were in it)."""

    frames: list[tuple[bool, bool]]

    def _display(self, screen: Any, renderable: Any) -> None:
        if renderable is not None:
            cards = any(c.option_count and c.region for c in screen.query(CardList))
            self.frames.append((bool(self._batch_count), cards))
        super()._display(screen, renderable)


@pytest.mark.parametrize("fork", [True, False], ids=["read in a child process", "read in a thread"])
async def test_the_first_frame_sent_is_the_board_with_its_cards(settings, fork) -> None:  # type: ignore[no-untyped-def]
    head_start = HeadStart.begin(settings, height=HEIGHT, fork=fork)
    assert await head_start.found() is not None  # read before the screen composes
    app = FramesSeen(settings, clock=fixed_clock, head_start=head_start)
    app.frames = []
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await wait_until(pilot, lambda: any(cards for _held, cards in app.frames), what="a frame with cards")
        assert not any(held for held, _cards in app.frames), "rendered while the app held its updates"
        assert app.frames[0] == (False, True), f"frames before the board: {app.frames}"
        assert isinstance(app.screen, PipelineScreen)


async def test_the_settings_theme_styles_the_first_screen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url="postgresql://nobody:pw@127.0.0.1:1/none", data_dir=tmp_path,  # type: ignore[call-arg]
                        connect_timeout=2, theme="textual-light", _env_file=None)
    app = CockpitApp(settings, clock=fixed_clock)
    async with app.run_test(size=(120, HEIGHT)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        background = Color.parse(app.get_css_variables()["background"])
        assert app.theme == "textual-light" and background.brightness > 0.5  # the light theme's
        assert app.screen.styles.background == background
