"""The pipeline board driven with keys on the seeded demo data; assertions on the screen and the DB."""

from __future__ import annotations

from decimal import Decimal

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.pipeline import PipelineScreen
from screens.deal_page import DealPage as DealDetail
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


def _app(settings: Settings, store: Store, page_size: int = 50) -> CockpitApp:
    settings.page_size = page_size
    return CockpitApp(settings, store=store, clock=fixed_clock)


async def _board(app: CockpitApp, pilot, waiter) -> PipelineScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen), what="pipeline screen")
    screen = app.screen
    assert isinstance(screen, PipelineScreen)
    await waiter.worker(pilot, "board")
    await pilot.pause()
    return screen


async def test_columns_follow_the_pipeline_and_headers_come_from_sql(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store, page_size=5)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        stages = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_pipeline ORDER BY position")
        assert list(board.columns) == [s for (s,) in stages]
        totals = dict((s, (n, a)) for s, n, a in await scoped_rows(
            conn, "bezeliq", "SELECT stage_id, count(*), sum(amount) FROM crm_deals GROUP BY stage_id"))
        for stage_id, column in board.columns.items():
            n, amount = totals.get(stage_id, (0, Decimal(0)))
            assert (column.count, column.amount) == (n, amount)
            # a first page (plus one prefetched page when the cursor starts near its end), not the stage
            assert min(n, 5) <= len(column.order) <= min(n, 10)
        # scrolling down a column fetches the next pages; the header stays exact
        first = board.columns["PROSPECT"]
        assert first.count > 10
        for _ in range(9):
            await pilot.press("j")
        await wait_until(pilot, lambda: len(first.order) >= 15, what="more pages")
        assert first.count == totals["PROSPECT"][0]
        ids = first.order
        assert len(ids) == len(set(ids))


async def test_h_l_and_j_k_navigate(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        stage, first = board.selected()  # type: ignore[misc]
        assert stage == "PROSPECT"
        await pilot.press("j")
        assert board.selected()[1].id != first.id  # type: ignore[index]
        await pilot.press("k")
        assert board.selected()[1].id == first.id  # type: ignore[index]
        await pilot.press("l", "l")
        assert board.selected()[0] == "DEMO"  # type: ignore[index]
        await pilot.press("h")
        assert board.selected()[0] == "QUALIFY"  # type: ignore[index]


async def test_L_moves_the_deal_at_once_and_through_crm_move_deal(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        await pilot.press("l")  # QUALIFY
        _stage, card = board.selected()  # type: ignore[misc]
        before = (board.columns["QUALIFY"].count, board.columns["DEMO"].count)
        await pilot.press("L")
        # shown at once: the card is in the next column, selected, counts adjusted
        assert board.selected()[0] == "DEMO" and board.selected()[1].id == card.id  # type: ignore[index]
        assert str(card.id) not in board.columns["QUALIFY"].cards
        assert (board.columns["QUALIFY"].count, board.columns["DEMO"].count) == (before[0] - 1, before[1] + 1)
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (card.id,))
        assert stage_id == "DEMO"
        acts = await scoped_rows(conn, "bezeliq", "SELECT kind, source FROM crm_activities WHERE deal_id = %s "
                                 "AND kind = 'stage_change'", (card.id,))
        assert acts == [("stage_change", "cockpit")]
        [(n,)] = await scoped_rows(conn, "bezeliq", "SELECT count(*) FROM crm_deals WHERE stage_id = 'DEMO'")
        assert board.columns["DEMO"].count == n
        # [ moves it back
        await pilot.press("left_square_bracket")
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (card.id,))
        assert stage_id == "QUALIFY"


async def test_moving_past_the_last_stage_is_refused_with_a_message(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        board = await _board(app, pilot, waiter)
        await pilot.press("H")
        assert any("first stage" in n.message for n in app._notifications)
        assert board.columns["PROSPECT"].count == (await scoped_rows(
            conn, "bezeliq", "SELECT count(*) FROM crm_deals WHERE stage_id = 'PROSPECT'"))[0][0]


async def test_slash_filters_by_deal_or_company_name(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        since = waiter.mark()
        await pilot.press("slash", *"meridian", "enter")
        await waiter.worker(pilot, "board", since=since)
        expected = await scoped_rows(conn, "bezeliq",
                                     "SELECT d.id FROM crm_deals d LEFT JOIN crm_companies c ON c.id = d.company_id "
                                     "WHERE d.name ILIKE %s OR c.name ILIKE %s", ('%meridian%', '%meridian%'))
        shown = {cid for col in board.columns.values() for cid in col.order}
        assert shown == {str(r[0]) for r in expected} and shown
        assert sum(col.count for col in board.columns.values()) == len(expected)
        since = waiter.mark()
        await pilot.press("escape")
        await waiter.worker(pilot, "board", since=since)
        assert sum(col.count for col in board.columns.values()) == (await scoped_rows(
            conn, "bezeliq", "SELECT count(*) FROM crm_deals"))[0][0]


async def test_s_cycles_sort_and_z_folds_closed_stages(settings, store, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        amounts = [board.columns["PROSPECT"].cards[i].amount or 0 for i in board.columns["PROSPECT"].order]
        assert amounts == sorted(amounts, reverse=True)
        since = waiter.mark()
        await pilot.press("s")
        await waiter.worker(pilot, "board", since=since)
        assert board.sort == "close_date"
        dates = [board.columns["PROSPECT"].cards[i].close_date for i in board.columns["PROSPECT"].order]
        assert [d for d in dates if d] == sorted(d for d in dates if d)
        since = waiter.mark()
        await pilot.press("s")
        await waiter.worker(pilot, "board", since=since)
        assert board.sort == "staleness"
        for column in board.columns.values():
            keys = [(c.last_activity_at or c.created_at, c.id) for c in map(column.cards.get, column.order)]
            assert keys == sorted(keys) and all(k[0] is not None for k in keys), column.stage.stage_id  # type: ignore[union-attr]
        await pilot.press("z")
        closed = [c for c in board.columns.values() if c.stage.is_closed]
        assert closed and all(c.collapsed for c in closed)
        assert all(not c.collapsed for c in board.columns.values() if not c.stage.is_closed)
        await pilot.press("z")
        assert not any(c.collapsed for c in board.columns.values())


async def test_enter_opens_the_deal_with_contact_company_and_activity(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        since = waiter.mark()
        await pilot.press("slash", *"meridian health", "enter")
        await waiter.worker(pilot, "board", since=since)
        _stage, card = board.selected() or next(  # type: ignore[misc]
            (c.stage.stage_id, c.cards[c.order[0]]) for c in board.columns.values() if c.order)
        for _ in range(len(board.columns)):  # at most one step per column
            if board.selected() is not None and board.selected()[1].id == card.id:  # type: ignore[index]
                break
            await pilot.press("l")
        assert board.selected() is not None and board.selected()[1].id == card.id  # type: ignore[index]
        [(contact, company)] = await scoped_rows(
            conn, "bezeliq", "SELECT p.full_name, c.name FROM crm_deals d JOIN crm_contacts p ON p.id = d.contact_id "
            "JOIN crm_companies c ON c.id = d.company_id WHERE d.id = %s", (card.id,))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DealDetail), what="deal detail")
        await waiter.idle(pilot)
        await pilot.pause()
        text = screen_text(app)
        for needle in (card.name, contact, company, "Strategic (Justin)", "Deal terms", "Timeline"):
            assert needle in text
        await pilot.press("escape")
        assert isinstance(app.screen, PipelineScreen)


async def test_quick_keys_are_not_lost_before_focus_lands(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    """Keys typed faster than Textual applies focus (key repeat, a quick ``l l``) still add up."""
    app = _app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        board = await _board(app, pilot, waiter)
        board.action_column(1)
        board.action_column(1)  # no pause: focus() has not landed yet
        assert board.focused_column is board.columns["DEMO"]
        _stage, card = board.selected()  # type: ignore[misc]
        board.action_move(1)
        board.action_move(1)  # the same deal moves on, not the next card of DEMO
        await waiter.idle(pilot)
        [(stage_id,)] = await scoped_rows(conn, "bezeliq", "SELECT stage_id FROM crm_deals WHERE id = %s", (card.id,))
        assert stage_id == "NEGOTIATE"
        assert board.selected()[1].id == card.id  # type: ignore[index]
