"""The import and approvals screens driven with Pilot against the real database (standalone screens
pushed by a tiny test app until the app frame registers them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import DataTable, Input, Static

from cockpit.imports.service import run_import, stage_import
from cockpit.store import Store
from screens.approvals import ApprovalsScreen
from screens.imports import ImportScreen

SARAH = "sarah.chen@meridianhealth.com"


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self._first = screen

    def on_mount(self) -> None:
        self.push_screen(self._first)


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_approvals_screen_approve_and_reject_with_notes(store: Store) -> None:
    data = (f"Name,Email,Title\nSarah Chen,{SARAH},Chief Financial Officer\n"
            "Nameless Lead,,\n").encode()
    staged = await stage_import(store, data, "screen.csv", uploaded_by="justin")
    await run_import(store, staged)
    assert await store.pending_count("entity") == 2
    ours = [str(p.proposal_id) for p in (await store.pending_proposals(kind="entity")).items]
    screen = ApprovalsScreen(store)
    async with Host(screen).run_test(size=(140, 40)) as pilot:
        await _settle(pilot)
        table = screen.query_one("#proposals", DataTable)
        assert table.row_count == 4  # the import's two + arlo's two demo writebacks
        assert "4 pending" in _text(screen, "#approvals-title")
        table.focus()
        table.move_cursor(row=table.get_row_index(ours[0]))
        await _settle(pilot)
        detail = _text(screen, "#detail-text")
        assert "Evidence" in detail and "Would change" in detail and "screen.csv row 1" in detail
        assert "Chief Financial Officer" in detail
        first = screen.selected
        assert first == ours[0]
        # reject without a note is refused in the UI (and nothing is decided)
        await pilot.press("x")
        await _settle(pilot)
        assert (await store.get_proposal(first)).status == "pending"
        # approve with a note
        screen.query_one("#decision-note", Input).value = "promoted"
        table.focus()
        await pilot.press("a")
        await _settle(pilot)
        assert (await store.get_proposal(first)).status == "committed"
        contact = next(c for c in (await store.contacts_page("sarah chen")).items if c.email == SARAH)
        assert contact.job_title == "Chief Financial Officer"
        assert table.row_count == 3 and "3 pending" in _text(screen, "#approvals-title")
        # reject the other with a note
        table.move_cursor(row=table.get_row_index(ours[1]))
        await _settle(pilot)
        second = screen.selected
        assert second == ours[1]
        screen.query_one("#decision-note", Input).value = "not a real lead"
        table.focus()
        await pilot.press("x")
        await _settle(pilot)
        assert (await store.get_proposal(second)).status == "rejected"
        decisions = await store.fetch_dicts("SELECT decision, decision_notes FROM redkey.approval_decisions "
                                            "ORDER BY decided_at")
        assert [(d["decision"], d["decision_notes"]) for d in decisions] == [
            ("approved", "promoted"), ("rejected", "not a real lead")]
        assert table.row_count == 2 and "Would change" in _text(screen, "#detail-text")


async def test_import_screen_maps_imports_and_reports(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "leads.csv"
    f.write_bytes(b"Who,Email,Company\nAda Lovelace,ada@engines.example,Engines\nBad,nope,X\n")
    screen = ImportScreen(store)
    async with Host(screen).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        path = screen.query_one("#import-path", Input)
        path.value = str(tmp_path / "missing.csv")
        await pilot.press("enter")
        await _settle(pilot)
        assert screen.staged is None  # a clear notification, nothing staged
        path.value = str(f)
        path.focus()
        await pilot.press("enter")
        await _settle(pilot)
        assert screen.staged is not None and "2 rows" in _text(screen, "#import-title")
        table = screen.query_one("#mapping", DataTable)
        assert table.row_count == 3
        assert screen.manifest is not None and [m.source_column for m in screen.manifest.unresolved] == ["Who"]
        edit = screen.query_one("#mapping-edit", Input)
        edit.focus()
        edit.value = "Who=full_name"
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.manifest.unresolved
        await pilot.press("ctrl+s")
        await _settle(pilot)
        report = _text(screen, "#import-report")
        assert "2 rows -> 2 proposals" in report and "bad_email" in report
    page = await store.contacts_page("ada")
    assert [c.last_name for c in page.items] == ["Lovelace"]
