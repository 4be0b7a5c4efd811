"""At 80x24: the board says how many stages are off screen and where, a filter says where its matches
are, every screen's footer keeps ``?``, ``t`` and ``q`` visible (down to 44 columns), and the Arlo screen
gives its rows to the lists at 80x24 and 60x20."""

from __future__ import annotations

import pytest

from cockpit.app import CockpitApp
from screens.pipeline import PipelineScreen
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


async def test_board_says_which_stages_are_off_screen(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        await waiter.worker(pilot, "board")
        await pilot.pause()
        await wait_until(pilot, lambda: "3 of 7 · 4 ▶" in screen_text(app), what="stages off to the right")
        await pilot.press("l", "l", "l", "l")
        await wait_until(pilot, lambda: "◀" in screen_text(app).splitlines()[1], what="stages off to the left")
        info = screen_text(app).splitlines()[1]
        import re

        m = re.search(r"◀ (\d+) · (\d+) of 7 · (\d+) ▶", info)
        assert m, info  # the fifth stage focused: stages off on both sides, and the counts add up
        left, shown, right = map(int, m.groups())
        assert left >= 1 and right >= 1 and left + shown + right == 7 and left < 5 <= left + shown, info
        lines = screen_text(app).splitlines()
        assert "? keys" in lines[-1] and "t tell" in lines[-1] and "q quit" in lines[-1]


async def test_filter_says_where_its_matches_are(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        await waiter.worker(pilot, "board")
        since = waiter.mark()
        await pilot.press("slash", *"volta", "enter")
        await waiter.worker(pilot, "board", since=since)
        await pilot.pause()
        rows = await scoped_rows(conn, "bezeliq", "SELECT s.label, count(*) FROM crm_deals d JOIN crm_pipeline s "
                                 "ON s.stage_id = d.stage_id LEFT JOIN crm_companies c ON c.id = d.company_id "
                                 "WHERE d.name ILIKE '%%volta%%' OR c.name ILIKE '%%volta%%' GROUP BY s.label")
        text = screen_text(app)
        for label, n in rows:
            assert f"{label} {n}" in text


async def test_every_screen_keeps_the_frame_keys_visible_at_80_columns(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        for spec in app.screen_specs:
            await app.switch_mode(spec.mode)
            await pilot.pause()
            last = screen_text(app).splitlines()[-1]
            assert "? keys" in last and "t tell" in last and "q quit" in last, (spec.mode, last)


@pytest.mark.parametrize("width", [60, 50, 44])
async def test_frame_keys_stay_visible_at_narrower_widths(settings, store, waiter, width) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(width, 20)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        for spec in app.screen_specs:
            await app.switch_mode(spec.mode)
            await pilot.pause()
            last = screen_text(app).splitlines()[-1]
            assert "? keys" in last and "t tell" in last and "q quit" in last, (spec.mode, width, last)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_arlo_screen_gives_its_rows_to_the_lists(settings, store, waiter, size) -> None:  # type: ignore[no-untyped-def]
    """No empty loops rows or detail pane taking the screen: the lists get the room, and picking an inbox
    item opens the detail without pushing the item itself off screen."""
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
        await app.switch_mode("arlo")
        screen = app.screen
        await waiter.worker(pilot, "arlo-load")
        await pilot.pause(0.3)
        tasks, inbox = screen.query_one("#arlo-tasks"), screen.query_one("#arlo-inbox")
        detail, loops = screen.query_one("#arlo-detail"), screen.query_one("#arlo-loops")
        assert not detail.display  # nothing picked: no empty pane
        assert loops.region.height <= 1 + len(screen.view.loops) + 1  # the header, its rows (and a scrollbar)
        lists = tasks.region.height + (inbox.region.height if size[0] < 70 else 0)
        assert lists >= size[1] - 8, (tasks.region, inbox.region)  # the rest of the screen is the lists'
        app.start_arlo()  # its first runs post the pipeline health report to the inbox
        await wait_until(pilot, lambda: inbox.row_count > 0, what="an inbox item", timeout=15)
        inbox.focus()
        await wait_until(pilot, lambda: detail.display and detail.region.height >= 3, what="the detail pane")
        await pilot.pause(0.2)
        assert "Pipeline health" in screen_text(app).split("Exec inbox", 1)[1].split("─" * 10, 1)[0]
