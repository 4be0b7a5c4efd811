"""A client switch (``C``) empties every screen of the old client's records before the new client's
arrive: every mode screen (visited and loaded, some with a record's detail open), the record pages over
them, the Work screen. Checked on what each screen's widgets hold the moment the new scope is set, then
after the new client's rows came in."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.widgets import DataTable, OptionList, Static

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.store import Store
from screens.base import CockpitScreen
from tests.tui_support import fixed_clock, scoped_rows, wait_until


def widget_text(screen: Any) -> str:
    """Everything a screen's widgets hold (tables, lists, text), shown or not."""
    console = Console(width=400, record=True, file=io.StringIO())
    for w in screen.query(Static):
        console.print(w.content)
    for ol in screen.query(OptionList):
        for i in range(ol.option_count):
            console.print(ol.get_option_at_index(i).prompt)
    for table in screen.query(DataTable):
        for key in list(table.rows):
            console.print(" ".join(str(cell) for cell in table.get_row(key)))
    return console.export_text()


async def _settled(pilot: Any, timeout: float = 10.0) -> None:
    """Every load has ended (the change feed and the screens' timers run for good)."""
    def busy() -> list[str]:
        return [w.group for w in pilot.app.workers if not w.is_finished
                and w.group not in ("change-feed", "arlo-loops") and not w.group.endswith("-tick")]
    await wait_until(pilot, lambda: not busy(), timeout=timeout, what="loads finished")
    await pilot.pause()


async def _names(conn: Any, client: str) -> set[str]:
    rows = await scoped_rows(conn, client, "SELECT full_name FROM crm_contacts UNION SELECT name FROM crm_companies "
                                           "UNION SELECT name FROM crm_deals")
    return {r[0] for r in rows if r[0] and len(r[0]) > 5}


async def test_client_switch_empties_every_screen_first(settings: Settings, store: Store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    bez = store.scoped("bezeliq")
    project = await bez.work.create_project("Volta Energy rollout — phase 2")
    await bez.work.create_stage(project.id, "onboard", title="Onboard")
    old_names = (await _names(conn, "bezeliq") - await _names(conn, "northwind")) | {"Volta Energy rollout"}
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
        screens: dict[str, CockpitScreen] = {}
        for spec in app.screen_specs:  # every screen visited and loaded with BezelIQ's records
            await pilot.press("g", spec.key)
            await wait_until(pilot, lambda: app.current_mode == spec.mode, what=spec.mode)
            await _settled(pilot)
            screens[spec.mode] = app.screen  # type: ignore[assignment]
        # some detail open: a contact's dossier, the work project's items, a deal page over the pipeline
        await pilot.press("g", "c")
        await _settled(pilot)
        since = waiter.mark()
        await pilot.press("enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        await pilot.press("g", "w")
        await wait_until(pilot, lambda: project.id in screens["work"].query_one("#work-projects", DataTable).rows,
                         what="the project listed", timeout=10)
        await pilot.press("g", "p")
        await _settled(pilot)
        [(deal_id,)] = await scoped_rows(conn, "bezeliq", "SELECT id FROM crm_deals ORDER BY amount DESC LIMIT 1")
        since = waiter.mark()
        app.open_deal(deal_id)
        await waiter.worker(pilot, "record-page", since=since)
        deal_page = app.screen
        shown_before = "\n".join(widget_text(s) for s in [*screens.values(), deal_page])
        assert sum(name in shown_before for name in old_names) >= 10  # the check below has teeth

        app.client_switcher.switch("northwind")
        # at once, before any of Northwind's rows: no screen holds a BezelIQ record
        for mode, screen in [*screens.items(), ("deal page", deal_page)]:
            text = widget_text(screen)
            left = sorted(n for n in old_names if n in text)
            assert not left, f"{mode} still shows {left[:3]}"
        work = screens["work"]
        assert work.project_id is None and not work.view.projects

        # and after Northwind's rows arrived, on each screen as it is shown again
        for spec in app.screen_specs:
            await pilot.press("g", spec.key)
            await wait_until(pilot, lambda: app.current_mode == spec.mode, what=spec.mode)
            await _settled(pilot)
            text = widget_text(app.screen)
            left = sorted(n for n in old_names if n in text)
            assert not left, f"{spec.mode} shows {left[:3]} after the switch"
