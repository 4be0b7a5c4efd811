"""The Work screen with Pilot: projects with their active stage, progress and blockers; drilling into the
stages, phases and tasks (what a blocked item waits for); hold, resume, supersede from the keyboard with a
reason that lands on the topic; a change made elsewhere appears on the next reload; snapshots."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from cockpit.config import Settings
from cockpit.store import Store
from screens.work import WorkScreen
from screens.work_reason import ReasonModal
from tests.screen_apps import cockpit_app, open_mode
from tests.tui_support import screen_text, wait_until


async def _build(store: Store) -> dict[str, Any]:
    w = store.work
    other = await w.create_project("Quarterly review")
    project = await w.create_project("Northwind onboarding — Zoë's team")
    stage = await w.create_stage(project.id, "onboard", title="Onboard")
    p1 = await w.create_phase(stage.id, "Kickoff")
    p2 = await w.create_phase(stage.id, "Access", depends_on=[p1.id])
    a = await w.create_task("work_item", brief="Hold the kickoff call", role="roles.coordinator", phase_id=p1.id)
    b = await w.create_task("work_item", brief="Collect VPN access", role="roles.coordinator", phase_id=p2.id)
    return {"project": project, "stage": stage, "p1": p1, "p2": p2, "a": a, "b": b, "other": other}


def _cell(app: Any, table_id: str, key: str, column: int) -> str:
    table = app.screen.query_one(table_id, DataTable)
    return str(table.get_row(key)[column]) if key in table.rows else ""



async def test_work_screen_shows_drills_and_controls(store: Store, settings: Settings) -> None:
    ids = await _build(store)
    app = cockpit_app(settings, store, refresh_seconds=0.5)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_mode(pilot, "work", WorkScreen)
        projects = screen.query_one("#work-projects", DataTable)
        await wait_until(pilot, lambda: projects.row_count == 2, what="projects listed", timeout=10)
        pid, sid = ids["project"].id, ids["stage"].id
        # pick onboarding and see its structure
        projects.focus()
        await pilot.pause()
        projects.move_cursor(row=projects.get_row_index(pid))
        items = screen.query_one("#work-items", DataTable)
        await wait_until(pilot, lambda: ids["b"].id in items.rows, what="the project's items", timeout=10)
        text = screen_text(app)
        assert "Onboard [onboard] · step 1/3 kickoff" in text and "0/2" in text
        assert f"waits for {ids['p1'].id} (active)" in _cell(app, "#work-items", ids["p2"].id, 3)
        assert f"waits for {ids['p1'].id} (active)" in _cell(app, "#work-items", ids["b"].id, 3)
        assert "waits for" in _cell(app, "#work-projects", pid, 5)  # the blocker shows on the project line

        # hold the project with a reason, from the keyboard
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal), what="the reason box")
        await pilot.press("enter")  # no reason: refused in the box
        assert isinstance(app.screen, ReasonModal)
        app.screen.query_one("#reason-input", Input).value = "client on holiday"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkScreen), what="back on the screen")
        await wait_until(pilot, lambda: "on hold" in _cell(app, "#work-projects", pid, 2), what="held", timeout=10)
        await wait_until(pilot, lambda: "paused" in _cell(app, "#work-items", sid, 2), what="stage paused", timeout=10)
        log = await store.work.log(pid)
        assert log[-1].message_type == "project.on_hold" and log[-1].payload["reason"] == "client on holiday"

        # drill into the items; resuming a task held with its project is refused with a message
        await pilot.press("enter")
        assert app.screen.focused is items
        items.move_cursor(row=items.get_row_index(ids["a"].id))
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal), what="the reason box")
        app.screen.query_one("#reason-input", Input).value = "try"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkScreen), what="back on the screen")
        await pilot.pause(0.3)
        assert (await store.work.get("task", ids["a"].id)).status == "on_hold"

        # resume the project (from the projects table): exactly what the hold paused comes back
        projects.focus()
        await pilot.pause()
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal), what="the reason box")
        app.screen.query_one("#reason-input", Input).value = "back"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "active" in _cell(app, "#work-items", sid, 2), what="resumed", timeout=10)
        assert "created" in _cell(app, "#work-items", ids["a"].id, 2)

        # a change made elsewhere (the shell, another cockpit) shows on the next reload
        await store.work.control(ids["p1"].id, "hold", reason="legal review")
        await wait_until(pilot, lambda: "on hold" in _cell(app, "#work-items", ids["p1"].id, 2),
                         what="the outside change", timeout=10)
        assert "legal review" in _cell(app, "#work-items", ids["p1"].id, 3)

        # supersede the stage by a new one
        new = await store.work.create_stage(pid, "onboard", title="Onboard, take two")
        await wait_until(pilot, lambda: new.id in items.rows, what="the new stage", timeout=10)
        items.focus()
        await pilot.pause()
        items.move_cursor(row=items.get_row_index(sid))
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal), what="the reason box")
        app.screen.query_one("#reason-input", Input).value = "new scope"
        app.screen.query_one("#reason-replaced", Input).value = new.id
        app.screen.query_one("#reason-replaced", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "superseded" in _cell(app, "#work-items", sid, 2), what="superseded", timeout=10)
        assert (await store.work.get("project", pid)).active_stage_id == new.id


SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_work_snapshot(snap_compare, db_url: str, tmp_path: Path, size, no_cursor_blink) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, refresh_seconds=3600,
                        _env_file=None)  # type: ignore[call-arg]

    async def seed() -> None:
        store = await Store.open(settings, min_size=0, max_size=2)
        try:
            ids = await _build(store)
            await store.work.control(ids["other"].id, "hold", reason="budget freeze until Q3")
        finally:
            await store.close()

    asyncio.run(seed())

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_mode(pilot, "work", WorkScreen)
        await wait_until(pilot, lambda: screen.query_one("#work-items", DataTable).row_count >= 5,
                         what="loaded", timeout=10)
        await pilot.pause()

    assert snap_compare(cockpit_app(settings, refresh_seconds=3600), terminal_size=size, run_before=ready)


async def test_work_screen_follows_a_hold_made_elsewhere_without_a_timer(store: Store, settings: Settings) -> None:
    """Another process (a second store, as `cockpit work hold` would be) holds the project: the open Work
    screen shows it through the change feed, with its own reload timer set far beyond the test."""
    ids = await _build(store)
    app = cockpit_app(settings, store, refresh_seconds=3600)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_mode(pilot, "work", WorkScreen)
        projects = screen.query_one("#work-projects", DataTable)
        await wait_until(pilot, lambda: projects.row_count == 2, what="projects listed", timeout=10)
        pid = ids["project"].id
        other = await Store.open(settings, min_size=0, max_size=2)
        try:
            await other.work.control(pid, "hold", reason="board meeting first")
        finally:
            await other.close()
        await wait_until(pilot, lambda: "on hold" in _cell(app, "#work-projects", pid, 2),
                         what="the hold shown without a key press", timeout=15)
