"""The Arlo screen (in the cockpit frame) and the tell-arlo box, driven with Textual's Pilot over a real
database."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, Static

from cockpit.app import CockpitApp
from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from screens.arlo import ArloScreen
from tests.tui_support import Waiter, fixed_clock, screen_text, wait_until
from screens.tell_arlo import TellArlo


async def _open(settings: Any, store: Store, pilot: Any, app: CockpitApp) -> None:
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
    await pilot.press("g", "r")  # the go-key from the screen registry
    await wait_until(pilot, lambda: isinstance(app.screen, ArloScreen), what="arlo screen")


async def test_arlo_screen_shows_queue_loops_inbox_and_controls_tasks(store: Store, settings) -> None:
    arlo = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser()))
    await arlo.run_once()                       # loops have run: enrichment, health (inbox), sequences, won deals
    waiting = await store.tasks.create_task("strategic_write", brief="Move the Volta deal to Demo",
                                      params={"text": "Move the Volta deal to Demo"})
    w = Waiter()
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 45), message_hook=w.hook) as pilot:
        await _open(settings, store, pilot, app)
        loaded = await w.wait(ArloScreen.Loaded)
        # scoped to BezelIQ: its four loops; the completed routine tasks are hidden until 'a'
        assert len(loaded.view.loops) == 4 and [t.id for t in loaded.view.tasks] == [waiting.id]
        await pilot.press("a")
        loaded = await w.wait(ArloScreen.Loaded, lambda m: len(m.view.tasks) == 5)  # Northwind's not shown
        screen = app.screen
        assert isinstance(screen, ArloScreen)
        loops = screen.query_one("#arlo-loops", DataTable)
        assert loops.row_count == 4
        tasks = screen.query_one("#arlo-tasks", DataTable)
        assert tasks.row_count == 5 and tasks.get_row_index(waiting.id) == 0   # newest first
        inbox = screen.query_one("#arlo-inbox", DataTable)
        assert inbox.row_count == 1
        assert "1 created" in str(screen.query_one("#arlo-queue-title", Static).render())
        assert "all tasks" in str(screen.query_one("#arlo-queue-title", Static).render())

        tasks.focus()
        tasks.move_cursor(row=0)
        await pilot.pause()
        assert "Move the Volta deal to Demo" in str(screen.query_one("#arlo-detail", Static).render())
        for key, status in (("h", "on_hold"), ("u", "created"), ("x", "cancelled")):
            n = len(w.messages)
            await pilot.press(key)
            await w.wait(ArloScreen.Loaded, lambda m: any(t.id == waiting.id and t.status == status
                                                          for t in m.view.tasks))
            assert (await store.tasks.task(waiting.id)).status == status, (key, len(w.messages) - n)
        assert [m.message_type for m in await store.tasks.task_log(waiting.id)] == [
            "task.created", "task.on_hold", "task.resumed", "task.cancelled"]

        inbox.focus()
        inbox.move_cursor(row=0)
        await pilot.pause()
        assert "Pipeline health" in str(screen.query_one("#arlo-detail", Static).render())


async def test_tell_arlo_files_a_task_and_shows_its_result(store: Store, settings) -> None:
    w = Waiter()
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(140, 40), message_hook=w.hook) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        assert type(app.screen).__name__ == "PipelineScreen"   # reachable from any screen
        await pilot.press("t")
        assert isinstance(app.screen, TellArlo)
        box = app.screen.query_one("#tell-input", Input)
        box.value = "Mark Sarah at Meridian as a priority - strong champion"
        await pilot.press("enter")
        done = await w.wait(TellArlo.Done)
        assert done.task.status == "complete"
        await pilot.pause()
        shown = str(app.screen.query_one("#tell-result", Static).render())
        assert "Sarah Chen (Meridian Health)" in shown and "Strong champion" in shown and "priority high" in shown
        sarah = (await store.crm.contacts_page("sarah chen")).items[0]
        assert sarah.relationship_note.endswith(": Strong champion")   # appended to the note that was there, dated

        box.value = "Mark Sarah as a priority"
        await pilot.press("enter")
        asked = await w.wait(TellArlo.Done, lambda m: m.task.id != done.task.id)
        await pilot.pause()
        assert asked.task.status == "blocked"
        assert "arlo asks: Which" in str(app.screen.query_one("#tell-result", Static).render())
        await pilot.press("escape")
        assert type(app.screen).__name__ == "PipelineScreen"


async def test_arlo_loops_run_as_async_workers_in_the_app(store: Store, settings) -> None:
    settings.arlo_enabled = True
    settings.arlo_tick_seconds = 0.2
    w = Waiter()
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(140, 40), message_hook=w.hook) as pilot:
        await _open(settings, store, pilot, app)
        app.start_arlo(Services(enrichment=OfflineProvider(), parser=RuleBasedParser()))
        loaded = await w.wait(ArloScreen.Loaded, lambda m: sum(lp.last_status == "complete" for lp in m.view.loops) == 4,
                              timeout=30)
        assert {(lp.task_type, lp.last_status) for lp in loaded.view.loops} == {
            ("enrichment_scan", "complete"), ("pipeline_health", "complete"), ("sequence_step", "complete"),
            ("won_deal_projects", "complete")}
        assert all(lp.next_run_at is not None for lp in loaded.view.loops)
        await pilot.pause()
        assert "engine:" in str(app.screen.query_one("#arlo-runtime", Static).render())
        assert "Arlo" in screen_text(app) and "Task queue" in screen_text(app)


async def test_an_unexpected_error_in_tell_is_shown_logged_and_gives_the_box_back(store: Store, settings,
                                                                                  waiter: Waiter) -> None:
    """A failure nobody planned for must not leave the box disabled under "arlo is on it…": it becomes a
    notification and an error-log record with its traceback, and the box takes the next instruction."""
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    real_tell = app.arlo_runtime.tell

    async def tell_that_fails_unexpectedly(_store: Any, _client: str, _text: str) -> Any:
        raise RuntimeError("parser exploded")

    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        await pilot.press("t")
        assert isinstance(app.screen, TellArlo)
        box = app.screen.query_one("#tell-input", Input)
        box.value = "Mark Sarah at Meridian as a priority"
        app.arlo_runtime.tell = tell_that_fails_unexpectedly  # type: ignore[method-assign]
        since = waiter.mark()
        await pilot.press("enter")
        await waiter.wait(TellArlo.Failed, since=since)
        await pilot.pause()
        assert not box.disabled and "arlo is on it" not in str(app.screen.query_one("#tell-result", Static).render())
        assert "unexpected RuntimeError: parser exploded" in str(app.screen.query_one("#tell-result", Static).render())
        titles = [n.title for n in app._notifications]
        assert any("unexpected RuntimeError: parser exploded" in t for t in titles), titles
        log = (settings.data_dir / "logs" / "cockpit.log").read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in log and "RuntimeError: parser exploded" in log
        assert "tell_that_fails_unexpectedly" in log  # the traceback reaches the failing frame

        app.arlo_runtime.tell = real_tell  # type: ignore[method-assign]
        box.value = "Mark Sarah at Meridian as a priority - strong champion"
        box.focus()
        await pilot.press("enter")  # the box works again, for real this time
        done = await waiter.wait(TellArlo.Done, timeout=20)
        assert done.task.status == "complete"


async def test_questions_show_their_choices_and_are_answered_in_the_tell_dialog_and_the_arlo_screen(
        store: Store, settings, conn) -> None:  # type: ignore[no-untyped-def]
    from screens.answer_question import AnswerPicker
    from tests.tui_support import scoped_rows

    w = Waiter()
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(140, 40), message_hook=w.hook) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        await pilot.press("t")
        box = app.screen.query_one("#tell-input", Input)
        box.value = "Mark Sarah as a priority"
        await pilot.press("enter")
        asked = await w.wait(TellArlo.Done)
        await pilot.pause()
        assert asked.task.status == "blocked"
        text = screen_text(app)
        assert "Sarah Chen" in text and "Sarah Okafor" in text  # the choices, in the dialog
        choices = app.screen.query_one("#tell-choices")
        okafor = next(i for i in range(choices.option_count) if "Okafor" in str(choices.get_option_at_index(i).prompt))
        choices.highlighted = okafor
        n = w.mark()
        await pilot.press("enter")
        done = await w.wait(TellArlo.Done, since=n, timeout=30)
        assert done.task.id == asked.task.id and done.task.status == "complete", done.task.output
        [(priority,)] = await scoped_rows(conn, "bezeliq", "SELECT priority FROM crm_contacts WHERE full_name = 'Sarah Okafor'")
        assert priority == "high"
        await pilot.press("escape")

        # the same question asked again, answered from the Arlo screen
        second = await app.arlo_runtime.tell(store, "bezeliq", "Mark Sarah as a priority")
        assert second.status == "blocked"
        await _open(settings, store, pilot, app)
        screen = app.screen
        await w.wait(ArloScreen.Loaded, lambda m: any(t.id == second.id for t in m.view.tasks))
        await pilot.pause()
        table = screen.query_one("#arlo-tasks", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(second.id))
        await pilot.pause()
        assert "1. Sarah Chen" in str(screen.query_one("#arlo-detail", Static).render())
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AnswerPicker), what="the picker")
        n = w.mark()
        await pilot.press("enter")  # choice 1: Sarah Chen
        answered = await w.wait(AnswerPicker.Answered, since=n, timeout=30)
        assert answered.task.status == "complete", answered.task.output
        [(priority,)] = await scoped_rows(conn, "bezeliq", "SELECT priority FROM crm_contacts WHERE full_name = 'Sarah Chen'")
        assert priority == "high"
        await pilot.press("escape")
        assert isinstance(app.screen, ArloScreen)
