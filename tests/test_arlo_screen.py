"""The Arlo screen and the tell-arlo box, driven with Textual's Pilot over a real database. Until the
cockpit frame lands they run in a small host App that offers what the frame offers (store, settings,
arlo_runtime, a key for the tell box)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from screens.arlo import ArloRuntime, ArloScreen
from widgets.tell_arlo import TellArlo

STYLES = Path(__file__).resolve().parent.parent / "styles"


class Host(App[None]):
    CSS_PATH = [STYLES / "arlo.tcss"]
    BINDINGS = [Binding("ctrl+t", "tell_arlo", "Tell arlo")]

    def __init__(self, store: Store, settings: Any) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.arlo_runtime = ArloRuntime(self)

    def on_mount(self) -> None:
        self.push_screen(ArloScreen())

    def action_tell_arlo(self) -> None:
        self.push_screen(TellArlo())


class Waiter:
    """Collects posted messages; ``wait`` returns once one of a type (matching ``pred``) arrives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._event = asyncio.Event()

    def hook(self, message: Any) -> None:
        self.messages.append(message)
        self._event.set()

    async def wait(self, kind: type, pred=lambda m: True, timeout: float = 20.0) -> Any:  # type: ignore[no-untyped-def]
        async def find() -> Any:
            seen = 0
            while True:
                for m in self.messages[seen:]:
                    if isinstance(m, kind) and pred(m):
                        return m
                seen = len(self.messages)
                self._event.clear()
                await self._event.wait()
        return await asyncio.wait_for(find(), timeout)


async def test_arlo_screen_shows_queue_loops_inbox_and_controls_tasks(store: Store, settings) -> None:
    arlo = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser()))
    await arlo.run_once()                       # loops have run: enrichment, health (inbox), sequences
    waiting = await store.create_task("strategic_write", brief="Move the Volta deal to Demo",
                                      params={"text": "Move the Volta deal to Demo"})
    w = Waiter()
    app = Host(store, settings)
    async with app.run_test(size=(160, 45), message_hook=w.hook) as pilot:
        loaded = await w.wait(ArloScreen.Loaded)
        # scoped to BezelIQ: its three loops and four tasks (Northwind's are not shown)
        assert len(loaded.view.loops) == 3 and len(loaded.view.tasks) == 4
        screen = app.screen
        assert isinstance(screen, ArloScreen)
        loops = screen.query_one("#arlo-loops", DataTable)
        assert loops.row_count == 3
        tasks = screen.query_one("#arlo-tasks", DataTable)
        assert tasks.row_count == 4 and tasks.get_row_index(waiting.id) == 0   # newest first
        inbox = screen.query_one("#arlo-inbox", DataTable)
        assert inbox.row_count == 1
        assert "1 created" in str(screen.query_one("#arlo-queue-title", Static).render())

        tasks.focus()
        tasks.move_cursor(row=0)
        await pilot.pause()
        assert "Move the Volta deal to Demo" in str(screen.query_one("#arlo-detail", Static).render())
        for key, status in (("h", "on_hold"), ("u", "created"), ("x", "cancelled")):
            n = len(w.messages)
            await pilot.press(key)
            await w.wait(ArloScreen.Loaded, lambda m: any(t.id == waiting.id and t.status == status
                                                          for t in m.view.tasks))
            assert (await store.task(waiting.id)).status == status, (key, len(w.messages) - n)
        assert [m.message_type for m in await store.task_log(waiting.id)] == [
            "task.created", "task.on_hold", "task.resumed", "task.cancelled"]

        inbox.focus()
        inbox.move_cursor(row=0)
        await pilot.pause()
        assert "Pipeline health" in str(screen.query_one("#arlo-detail", Static).render())


async def test_tell_arlo_files_a_task_and_shows_its_result(store: Store, settings) -> None:
    w = Waiter()
    app = Host(store, settings)
    async with app.run_test(size=(140, 40), message_hook=w.hook) as pilot:
        await w.wait(ArloScreen.Loaded)
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, TellArlo)
        box = app.screen.query_one("#tell-input", Input)
        box.value = "Mark Sarah at Meridian as a priority - strong champion"
        await pilot.press("enter")
        done = await w.wait(TellArlo.Done)
        assert done.task.status == "complete"
        await pilot.pause()
        shown = str(app.screen.query_one("#tell-result", Static).render())
        assert "Sarah Chen (Meridian Health)" in shown and "priority 'high'" in shown
        sarah = (await store.contacts_page("sarah chen")).items[0]
        assert sarah.relationship_note == "Strong champion"

        box.value = "Mark Sarah as a priority"
        await pilot.press("enter")
        asked = await w.wait(TellArlo.Done, lambda m: m.task.id != done.task.id)
        await pilot.pause()
        assert asked.task.status == "blocked"
        assert "arlo asks: Which" in str(app.screen.query_one("#tell-result", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, ArloScreen)


async def test_arlo_loops_run_as_async_workers_in_the_app(store: Store, settings) -> None:
    settings.arlo_enabled = True
    settings.arlo_tick_seconds = 0.2
    w = Waiter()
    app = Host(store, settings)
    async with app.run_test(size=(140, 40), message_hook=w.hook) as pilot:
        app.arlo_runtime.start(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser()))
        loaded = await w.wait(ArloScreen.Loaded, lambda m: m.view.counts.get("complete", 0) >= 3, timeout=30)
        assert {t.task_type for t in loaded.view.tasks} == {"enrichment_scan", "pipeline_health", "sequence_step"}
        await pilot.pause()
        assert "engine:" in str(app.screen.query_one("#arlo-runtime", Static).render())
        app.arlo_runtime.stop()
