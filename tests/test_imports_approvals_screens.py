"""The import and approvals screens in the real app frame (``g v`` / ``g i``), driven with keys against
the real database — asserting the screen and what the database holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, ProgressBar, Static

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store
from screens.approvals import ApprovalsScreen
from screens.imports import ImportScreen
from tests.tui_support import fixed_clock, screen_text, wait_until

SARAH = "sarah.chen@meridianhealth.com"


async def _go(pilot: Any, app: CockpitApp, key: str, kind: type) -> Any:
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
    await pilot.press("g")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "GoScreen", what="go prompt")
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, kind), what=kind.__name__)
    return app.screen


async def _staged(pilot: Any, app: CockpitApp, f: Path, waiter: Any) -> ImportScreen:
    """The import screen with ``f`` read and its mapping shown (the path set, then Enter as a user ends it)."""
    screen = await _go(pilot, app, "i", ImportScreen)
    path = screen.query_one("#import-path", Input)
    path.focus()
    path.value = str(f)  # (typing a long path key by key only slows the test)
    await pilot.press("enter")
    await waiter.worker(pilot, "import-stage")
    return screen  # type: ignore[no-any-return]


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def _select(pilot: Any, screen: ApprovalsScreen, key: str) -> None:
    table = screen.query_one("#proposals", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await wait_until(pilot, lambda: screen.shown == key, what="proposal detail")
    await pilot.pause()


async def test_approvals_screen_approve_and_reject_with_notes(settings: Settings, store: Store, waiter) -> None:
    data = f"Name,Email,Title\nSarah Chen,{SARAH},Chief Financial Officer\nNameless Lead,,\n".encode()
    await run_import(store, await stage_import(store, data, "screen.csv", uploaded_by="justin"))
    ours = [str(p.proposal_id) for p in (await store.approvals.pending_proposals(kind="entity")).items]
    assert len(ours) == 2
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(150, 44)) as pilot:
        screen = await _go(pilot, app, "v", ApprovalsScreen)
        await waiter.worker(pilot, "approvals-page")
        table = screen.query_one("#proposals", DataTable)
        assert table.row_count == 4  # the import's two + arlo's two demo writebacks
        assert "4 pending" in _text(screen, "#approvals-title")
        await _select(pilot, screen, ours[0])
        shown = screen_text(app)
        for needle in ("Evidence", "Would change", "screen.csv row 1", "Chief Financial Officer"):
            assert needle in shown, needle
        # reject without a note is refused in the UI: nothing is decided
        await pilot.press("x")
        await pilot.pause()
        assert (await store.approvals.get_proposal(ours[0])).status == "pending"
        assert app.focused is table  # the message says "n to write one": the n is not typed into the box
        # approve, with a note typed into the note box (enter returns to the list)
        await pilot.press("n", *"promoted", "enter")
        assert app.focused is table
        since = waiter.mark()
        await pilot.press("a")
        await waiter.worker(pilot, "approvals-decide", since=since)
        assert (await store.approvals.get_proposal(ours[0])).status == "committed"
        assert (await store.context.contact_by_email(SARAH)).job_title == "Chief Financial Officer"
        assert table.row_count == 3 and "3 pending" in _text(screen, "#approvals-title")
        # reject the other, with a note
        await _select(pilot, screen, ours[1])
        await pilot.press("n", *"not a real lead", "enter")
        since = waiter.mark()
        await pilot.press("x")
        await waiter.worker(pilot, "approvals-decide", since=since)
        assert (await store.approvals.get_proposal(ours[1])).status == "rejected"
    decisions = await store.db.fetch_dicts("SELECT decision, decision_notes FROM redkey.approval_decisions "
                                        "ORDER BY decided_at")
    assert [(d["decision"], d["decision_notes"]) for d in decisions] == [
        ("approved", "promoted"), ("rejected", "not a real lead")]


async def test_import_screen_maps_imports_and_reports(settings: Settings, store: Store, tmp_path: Path, waiter) -> None:
    f = tmp_path / "leads.csv"
    f.write_bytes(b"Who,Email,Company\nAda Lovelace,ada@engines.example,Engines\nBad,nope,X\n")
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(150, 44)) as pilot:
        screen = await _go(pilot, app, "i", ImportScreen)
        path = screen.query_one("#import-path", Input)
        path.focus()
        path.value = str(tmp_path / "missing.csv")  # (typing a long path key by key only slows the test)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app._notifications), what="error notification")
        assert screen.staged is None
        path.value = str(f)
        await pilot.press("enter")
        await waiter.worker(pilot, "import-stage")
        assert "2 rows" in _text(screen, "#import-title")
        assert screen.query_one("#mapping", DataTable).row_count == 3
        assert screen.manifest is not None and [m.source_column for m in screen.manifest.unresolved] == ["Who"]
        screen.query_one("#mapping-edit", Input).focus()
        await pilot.press(*"Who=full_name", "enter")
        await pilot.pause()
        assert not screen.manifest.unresolved
        bar = screen.query_one("#import-progress", ProgressBar)
        assert not bar.display  # nothing runs yet: no bar
        await pilot.press("ctrl+s")
        await waiter.worker(pilot, "import-run")
        await pilot.pause()
        assert bar.display and bar.percentage == 1
        report = _text(screen, "#import-report")
        assert "2 rows -> 2 proposals" in report and "bad_email" in report
    ada = await store.context.contact_by_email("ada@engines.example")
    assert ada is not None and ada.last_name == "Lovelace"


async def test_an_import_the_database_refuses_says_nothing_was_written(settings: Settings, store: Store, conn,  # type: ignore[no-untyped-def]
                                                                     tmp_path: Path, waiter) -> None:
    """The database refuses the import part-way (here a constraint added on proposals): the screen says
    nothing was imported and the file stays staged; no contact of the file exists."""
    f = tmp_path / "leads.csv"
    f.write_bytes("Name,Email,Company\nJosé Ñúñez-Ortiz,jose@nunez.example,Ñúñez SL\n".encode())
    await conn.execute("ALTER TABLE redkey.proposals ADD CONSTRAINT test_refuse CHECK (false) NOT VALID")
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _staged(pilot, app, f, waiter)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: _text(screen, "#import-phase") == "failed", what="the failed import")
        report = _text(screen, "#import-report")
        assert "Nothing was imported" in report and "Import (ctrl+s) again" in report, report
        assert _text(screen, "#import-phase") == "failed"
        assert screen.staged is not None and not screen.query_one("#run-import").disabled
    assert await store.context.contact_by_email("jose@nunez.example") is None


async def test_quitting_during_an_import_asks_first(settings: Settings, store: Store, tmp_path: Path, waiter) -> None:  # type: ignore[no-untyped-def]
    """q while an import runs says quitting rolls it back; n stays (the import goes on and lands), and q
    with nothing running quits at once."""
    from screens.confirm_quit import ConfirmQuit

    f = tmp_path / "many.csv"
    f.write_bytes(("Name,Email,Company\n" + "".join(
        f"Zoë Brandt-{i},zoe{i}@brandt{i % 40}.example,Brandt {i % 40} GmbH\n" for i in range(6000))).encode())
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _staged(pilot, app, f, waiter)
        assert app.focused is screen.query_one("#mapping")  # the path was taken: the mapping is next
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.running, what="the import running")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmQuit), what="the question")
        assert "rolls it back" in screen_text(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: not screen.running, what="the import to finish", timeout=60)
        assert app.is_running and "6,000 rows -> " in _text(screen, "#import-report")
        await pilot.press("q")  # nothing runs now: quits without asking
        await wait_until(pilot, lambda: not app.is_running, what="the app to quit")
    assert await store.context.contact_by_email("zoe5999@brandt39.example") is not None
