"""The ``:`` palette runs commands, completed from the database: move a deal to a stage, edit a field of
the record on screen (validated like the form), enroll a contact, switch client, undo. Assertions on what
the database holds afterwards."""

from __future__ import annotations

from decimal import Decimal

from cockpit.app import CockpitApp
from screens.deal_moves import ConfirmClose
from screens.deal_page import DealPage
from screens.pipeline import PipelineScreen
from tests.seq_helpers import STEPS
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


async def _ready(app: CockpitApp, pilot, waiter) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline")
    await waiter.worker(pilot, "board")


async def _run(app: CockpitApp, pilot, query: str, hit: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``query`` in the palette and run the hit whose text starts with ``hit``."""
    await pilot.press("colon", *query)
    await wait_until(pilot, lambda: hit in screen_text(app), what=f"hit {hit!r}", timeout=10)
    for _ in range(15):
        option = app.screen.query_one("CommandList").highlighted_option  # type: ignore[union-attr]
        if option is not None and str(option.prompt).startswith(hit):
            break
        await pilot.press("down")
    await pilot.press("enter")


async def test_move_command_completes_deal_and_stage_and_moves(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        await _run(app, pilot, "move volta to nego", "move Volta Energy — Pilot to Negotiation")
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals "
                                          "WHERE name = 'Volta Energy — Pilot'")
        assert stage_id == "NEGOTIATE"
        # a closed stage asks first
        await _run(app, pilot, "move volta to closed", "move Volta Energy — Pilot to Closed won")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), what="the question")
        await pilot.press("n")
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals "
                                          "WHERE name = 'Volta Energy — Pilot'")
        assert stage_id == "NEGOTIATE"
        # and the palette's undo takes the move back
        await _run(app, pilot, "undo", "undo")
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals "
                                          "WHERE name = 'Volta Energy — Pilot'")
        assert stage_id == "PROPOSAL"


async def test_edit_command_validates_and_writes_the_record_on_screen(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE name = 'Acme — Fleet Analytics'")
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        since = waiter.mark()
        app.open_deal(deal_id)
        await waiter.worker(pilot, "record-page", since=since)
        await pilot.press("colon", *"edit amount lots")
        await wait_until(pilot, lambda: "is not a number" in screen_text(app), what="the refusal")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DealPage), what="deal page")
        await _run(app, pilot, "edit amount 51000", "edit amount 51000")
        await waiter.idle(pilot)
        [(amount, priority)] = await scoped_rows(conn, "bezeliq", "SELECT amount, priority FROM crm_deals "
                                                 "WHERE id = %s", (deal_id,))
        assert amount == Decimal(51000)
        await _run(app, pilot, "edit prio high", "edit priority high")
        await waiter.idle(pilot)
        [(priority,)] = await scoped_rows(conn, "bezeliq", "SELECT priority FROM crm_deals WHERE id = %s", (deal_id,))
        assert priority == "high"
        assert isinstance(app.screen, DealPage) and "high" in screen_text(app)


async def test_enroll_and_client_commands(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    await store.sequences.create_sequence("Palette intro", STEPS)
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        await _run(app, pilot, "enroll tom alvarez in palette", "enroll Tom Alvarez in Palette intro")
        await waiter.idle(pilot)
        rows = await scoped_rows(conn, "bezeliq", "SELECT e.status FROM redkey.sequence_enrollments e "
                                 "JOIN redkey.sequences s ON s.id = e.sequence_id JOIN crm_contacts p "
                                 "ON p.id = e.contact_id WHERE s.name = 'Palette intro' AND p.full_name = 'Tom Alvarez'")
        assert rows == [("active",)]
        since = waiter.mark()
        await _run(app, pilot, "client north", "client Northwind Labs")
        await waiter.worker(pilot, "board", since=since)
        assert app.store is not None and app.store.client_id == "northwind"


async def test_a_move_that_matches_nothing_says_which_part(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    """"move volta to banana" names the stage it could not find and lists the stages; an unknown deal is
    named as the deal; nothing moves."""
    from screens.palette_commands import move_hits

    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot, waiter)
        [(_text, _run_it, why)] = await move_hits(app, "volta to banana")
        assert why.startswith("no stage matches “banana”: ") and "Negotiation" in why, why
        [(_text, _run_it, why)] = await move_hits(app, "zzqx to demo")
        assert why == "no deal matches “zzqx”", why
        await pilot.press("colon", *"move volta to banana")
        await wait_until(pilot, lambda: "no stage matches" in screen_text(app), what="the reason", timeout=10)
