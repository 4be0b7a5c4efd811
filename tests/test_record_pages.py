"""Record pages and the commands that act: the deal page (fields, stage label, editing terms and strategy
under the strategic role, openable lines), the company page, palette commands, the session's undo, and
moving into a closed stage. Assertions on what the database holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.company_page import CompanyPage
from screens.deal_moves import ConfirmClose, StagePicker
from screens.deal_page import DealPage
from screens.pipeline import PipelineScreen
from screens.record_editor import RecordEditor
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until

VOLTA = "Volta Energy — Pilot"


def _app(settings: Settings, store: Store) -> CockpitApp:
    return CockpitApp(settings, store=store, clock=fixed_clock)


async def _board(app: CockpitApp, pilot, waiter) -> PipelineScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline screen")
    await waiter.worker(pilot, "board")
    return app.screen  # type: ignore[return-value]


async def _deal_id(conn, name: str = VOLTA):  # type: ignore[no-untyped-def]
    [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals WHERE name = %s", (name,))
    return deal_id


async def _open_deal(app: CockpitApp, pilot, waiter, deal_id) -> DealPage:  # type: ignore[no-untyped-def]
    since = waiter.mark()
    app.open_deal(deal_id)
    await waiter.worker(pilot, "record-page", since=since)
    assert isinstance(app.screen, DealPage)
    return app.screen


async def test_deal_page_shows_every_field_with_the_stage_label(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(120, 48)) as pilot:
        await _board(app, pilot, waiter)
        page = await _open_deal(app, pilot, waiter, await _deal_id(conn))
        text = screen_text(app)
        assert VOLTA in text and "Proposal" in text and "PROPOSAL" not in text
        for label in ("amount", "currency", "close date", "priority", "strategy note", "recontact date", "stage"):
            assert label in text, label
        assert "Priya Raman" in text and "Volta Energy" in text and "Timeline" in text
        assert page.links  # contact, company, timeline lines are openable
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, CompanyPage), what="company page")


async def test_deal_page_edits_terms_under_the_strategic_role_and_undo_restores(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    deal_id = await _deal_id(conn)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await _board(app, pilot, waiter)
        await _open_deal(app, pilot, waiter, deal_id)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordEditor), what="editor")
        editor = app.screen
        amount = editor.query_one("#ed-amount")
        amount.value = "not money"
        editor.action_save()
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor)  # refused, nothing written
        assert "is not a number" in screen_text(app)
        [(before,)] = await scoped_rows(conn, "bezeliq", "SELECT amount FROM crm_deals WHERE id = %s", (deal_id,))
        assert before == Decimal(65000)
        amount.value = "72,500"
        editor.query_one("#ed-close_date").value = "2027-02-15"
        await pilot.pause()
        assert "Mon 15 Feb 2027" in screen_text(app)  # the date understood, before saving
        since = waiter.mark()
        editor.action_save()
        await waiter.worker(pilot, "save", since=since)
        await waiter.worker(pilot, "record-page", since=since)
        assert isinstance(app.screen, DealPage)
        [(amount_now, close)] = await scoped_rows(conn, "bezeliq", "SELECT amount, close_date FROM crm_deals "
                                                  "WHERE id = %s", (deal_id,))
        assert (amount_now, close) == (Decimal("72500"), date(2027, 2, 15))
        assert "72,500" in screen_text(app)
        since = waiter.mark()
        await pilot.press("u")
        await waiter.worker(pilot, "undo", since=since)
        [(amount_now, close)] = await scoped_rows(conn, "bezeliq", "SELECT amount, close_date FROM crm_deals "
                                                  "WHERE id = %s", (deal_id,))
        assert amount_now == Decimal(65000) and close != date(2027, 2, 15)


async def test_company_page_lists_people_and_deals_and_edits_strategy(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    [(company_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_companies WHERE name = 'Meridian Health'")
    async with app.run_test(size=(100, 40)) as pilot:
        await _board(app, pilot, waiter)
        since = waiter.mark()
        app.open_company(company_id)
        await waiter.worker(pilot, "record-page", since=since)
        page = app.screen
        assert isinstance(page, CompanyPage)
        text = screen_text(app)
        assert "Sarah Chen" in text and "Tom Alvarez" in text and "Meridian Health — Platform" in text
        assert "Demo" in text  # the deal's stage by its label
        deal_key = next(k for k in page.links if k.startswith("d-"))
        page.links[deal_key]()
        await waiter.worker(pilot, "record-page")
        assert isinstance(app.screen, DealPage)
        await pilot.press("escape")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordEditor), what="editor")
        app.screen.query_one("#ed-strategy_note").value = "Land the platform deal before Q2"
        app.screen.query_one("#ed-recontact_at").value = "next Tuesday"  # a date as arlo reads it
        await pilot.pause()
        assert "Tue 24 Nov 2026" in screen_text(app)  # the date understood, shown before saving
        since = waiter.mark()
        app.screen.action_save()
        await waiter.worker(pilot, "record-page", since=since)
        [(note, recontact)] = await scoped_rows(conn, "bezeliq", "SELECT strategy_note, recontact_at "
                                                "FROM crm_companies WHERE id = %s", (company_id,))
        assert (note, recontact) == ("Land the platform deal before Q2", date(2026, 11, 24))


async def test_undo_takes_back_a_board_move_and_quick_moves_notify_once(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        board = await _board(app, pilot, waiter)
        _stage, card = board.selected()  # type: ignore[misc]
        await pilot.press("L", "L", "L", "L")  # PROSPECT -> NEGOTIATE, four quick moves
        await waiter.idle(pilot)
        await pilot.pause(1.0)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (card.id,))
        assert stage_id == "NEGOTIATE"
        moved = [n for n in app._notifications if n.message.startswith("moved")]
        assert len(moved) == 1, [n.message for n in moved]
        since = waiter.mark()
        await pilot.press("u")
        await waiter.worker(pilot, "undo", since=since)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (card.id,))
        assert stage_id == "PROPOSAL"
        assert any("back in Proposal" in n.message for n in app._notifications)


async def test_moving_into_a_closed_stage_asks_first(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    deal_id = await _deal_id(conn)
    async with app.run_test(size=(120, 40)) as pilot:
        await _board(app, pilot, waiter)
        await _open_deal(app, pilot, waiter, deal_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, StagePicker), what="stage picker")
        picker = app.screen
        picker.dismiss("CLOSE")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), what="the question")
        assert "Closed won" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (deal_id,))
        assert stage_id == "PROPOSAL"  # kept
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, StagePicker), what="stage picker")
        app.screen.dismiss("CLOSE")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), what="the question")
        since = waiter.mark()
        await pilot.press("y")
        await waiter.worker(pilot, f"move-{deal_id}", since=since)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (deal_id,))
        assert stage_id == "CLOSE"
