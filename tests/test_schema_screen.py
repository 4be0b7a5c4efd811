"""Pilot and snapshot tests of the schema explorer (screens/schema.py) over the demo database plus the
purpose-built schema of tests/schema_fixture.py."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from textual.widgets import Input, OptionList, Static, Tree

from cockpit.config import Settings
from cockpit.schema.groups import Group
from cockpit.schema.models import Relation
from cockpit.app import CockpitApp
from cockpit.store import Store
from screens.schema import SchemaScreen
from tests.conftest import FIXED_NOW
from tests.schema_fixture import build
from tests.screen_apps import cockpit_app, open_mode, until

RULES = "CRM views=public.crm_*; RedKey=redkey.*; Sales=sales.*|Ledger.*; Twenty · {client}=workspace_*.*"


@pytest.fixture
async def prepared(conn: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
    """The fixture schema, exact statistics and a cache stamped at a fixed time (stable snapshots)."""
    await build(conn)
    await conn.execute("ANALYZE")
    await conn.execute("SET ROLE redkey_readonly")
    await conn.execute("SELECT redkey.refresh_system_schema_cache()")
    await conn.execute("RESET ROLE")
    await conn.execute("UPDATE redkey.system_schema_refresh SET refreshed_at = %s", (FIXED_NOW,))
    return conn


def _screen(app: CockpitApp) -> SchemaScreen:
    assert isinstance(app.screen, SchemaScreen)
    return app.screen


async def _ready(pilot: Any) -> SchemaScreen:
    screen = await open_mode(pilot, "schema", SchemaScreen)
    await until(pilot, lambda: screen.snapshot is not None, what="the explorer open", timeout=10)
    return screen


def _group_node(screen: SchemaScreen, label: str) -> Any:
    tree = screen.query_one("#schema-tree", Tree)
    return next(n for n in tree.root.children if isinstance(n.data, Group) and n.data.label == label)


async def _open(pilot: Any, screen: SchemaScreen, key: str) -> None:
    rel = screen.graph.relations[key]  # type: ignore[union-attr]
    screen.open_relation(rel)
    await until(pilot, lambda: screen.detail is not None and screen.detail.relation.key == key, what=key)


def _status(screen: SchemaScreen) -> str:
    return str(screen.query_one("#schema-status", Static).visual)


def _pane(screen: SchemaScreen) -> str:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(screen.pane_renderable)
    return console.export_text()


async def test_open_groups_and_detail(settings: Settings, store: Store, prepared: psycopg.AsyncConnection) -> None:
    app = cockpit_app(settings, store, schema_groups=RULES)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _ready(pilot)
        labels = [g.label for g in screen.groups]
        assert labels[:3] == ["CRM views", "RedKey", "Sales"]
        assert {"Twenty · BezelIQ", "Twenty · Northwind Labs"} <= set(labels)
        assert not any(label.startswith("system") for label in labels)
        sales = _group_node(screen, "Sales")
        assert not sales.children  # lazy
        sales.expand()
        await pilot.pause()
        leaves = [n.data.key for n in sales.children if isinstance(n.data, Relation)]
        assert "sales.store" in leaves and "Ledger.InvoiceLine" in leaves and "sales.event_2025" not in leaves
        await _open(pilot, screen, "sales.store")
        text = _pane(screen)
        for fragment in ("sales.store", "RLS on", "store_region_fk", "FOREIGN KEY (region_code, country)",
                         "store_region_idx", "◀ Ledger.InvoiceLine", "▶ sales.region  (region_code → code, "
                         "country → country)", "store_dutch", "Region within the country", "read by sales.v_store"):
            assert fragment in text, fragment
        await _open(pilot, screen, "sales.v_store_names")
        assert "reads sales.v_store (v): id, region_name" in _pane(screen)


async def test_map_path_and_lint(settings: Settings, store: Store, prepared: psycopg.AsyncConnection) -> None:
    app = cockpit_app(settings, store, schema_groups=RULES)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("m")  # nothing selected yet: a hint, no crash
        assert screen.pane == "empty"
        await _open(pilot, screen, "secret.keys")
        await pilot.press("a")
        assert screen.mark is not None and "join from secret.keys" in _status(screen)
        await _open(pilot, screen, "sales.region")
        await pilot.press("p")
        assert screen.pane == "path"
        text = _pane(screen)
        assert "2 hop(s): secret.keys → sales.store → sales.region" in text
        assert "JOIN sales.region ON sales.store.region_code = sales.region.code AND" in text
        await pilot.press("2")
        assert screen.pane == "map" and "Relation map · radius 2" in _pane(screen)
        assert "◀ Ledger.InvoiceLine" in _pane(screen)
        await pilot.press("o")
        assert "sales.lonely" in _pane(screen) and screen.pane == "lint"
        await pilot.press("y")
        assert "sales.cyc_a → sales.cyc_b → sales.cyc_a" in _pane(screen)
        await pilot.press("u")
        assert "Ledger.InvoiceLine: storeId → sales.store" in _pane(screen)
        await _open(pilot, screen, "sales.lonely")
        await pilot.press("p")  # no path: an error notification, the pane stays
        assert screen.pane == "detail"


async def test_system_toggle_search_and_refresh(settings: Settings, store: Store, prepared: psycopg.AsyncConnection) -> None:
    app = cockpit_app(settings, store, schema_groups=RULES)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("S")
        await until(pilot, lambda: screen.include_system and any(g.label == "system · auth" for g in screen.groups),
                    what="system groups")
        assert "system shown" in _status(screen)
        await pilot.press("S")
        await until(pilot, lambda: not any(g.label.startswith("system") for g in screen.groups), what="hidden again")

        await pilot.press("slash")
        box = screen.query_one("#schema-search", Input)
        assert box.has_focus
        await pilot.press(*"storeid", "enter")
        hits = screen.query_one("#schema-hits", OptionList)
        await until(pilot, lambda: hits.display and hits.option_count > 0, what="search hits")
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert "Ledger.InvoiceLine .storeId" in prompts
        hits.highlighted = prompts.index("Ledger.InvoiceLine .storeId")
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail is not None and screen.detail.relation.key == "Ledger.InvoiceLine",
                    what="hit detail")
        await pilot.press("escape")
        assert screen.query_one("#schema-tree", Tree).display and not hits.display

        await prepared.execute("CREATE TABLE sales.brand_new (id integer PRIMARY KEY)")
        await pilot.press("R")
        await until(pilot, lambda: "sales.brand_new" in (screen.graph.relations if screen.graph else {}),
                    what="refreshed cache")
        assert "refreshed in" in _status(screen)


async def test_empty_cache_is_filled_on_open(settings: Settings, store: Store) -> None:
    app = cockpit_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(pilot)
        assert "public.crm_deals" in screen.graph.relations  # type: ignore[union-attr]
        assert screen.groups[0].label == "CRM views"
        labels = [g.label for g in screen.groups]  # each client's own views: labelled, after the contract
        assert "Client views · BezelIQ" in labels and "client_bezeliq" not in labels
        assert labels.index("Client views · BezelIQ") > labels.index("Twenty · BezelIQ")


async def test_a_table_made_since_the_last_refresh_shows_when_the_screen_opens(settings: Settings, store: Store,
                                                                             conn: psycopg.AsyncConnection) -> None:
    await store.schema.refresh_schema_cache()
    await conn.execute("CREATE TABLE public.invoice_lines (id bigint PRIMARY KEY, amount numeric)")
    app = cockpit_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(pilot)
        assert "public.invoice_lines" in screen.graph.relations  # type: ignore[union-attr]


@pytest.fixture
async def pinned(prepared: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
    """The cache cut down to the fixture's own schemas, so the snapshot does not change whenever a
    feature adds a redkey table (the Pilot tests above cover the whole database)."""
    keep = ("SELECT table_oid FROM redkey.system_schema_relations "
            "WHERE schema_name IN ('sales', 'Ledger', 'secret', 'auth') OR table_name = 'profiles'")
    for table, col in (("cache", "table_oid"), ("constraints", "table_oid"), ("indexes", "table_oid"),
                       ("policies", "table_oid"), ("lineage", "view_oid"), ("relations", "table_oid")):
        await prepared.execute(f"DELETE FROM redkey.system_schema_{table} WHERE {col} NOT IN ({keep})")
    return prepared


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_schema_snapshot(settings: Settings, pinned: psycopg.AsyncConnection, snap_compare: Any,
                         size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.store.schema import SchemaRepo

    async def pinned_on_purpose(self: SchemaRepo) -> bool:
        return False  # the cache was cut down deliberately: opening must not refresh it back to the catalog

    monkeypatch.setattr(SchemaRepo, "cache_is_stale", pinned_on_purpose)
    app = cockpit_app(settings, schema_groups=RULES)

    async def ready(pilot: Any) -> None:
        screen = await _ready(pilot)
        _group_node(screen, "Sales").expand()
        await pilot.pause()
        await _open(pilot, screen, "sales.store")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_diagram_key_writes_the_neighbourhood_and_says_where(settings: Settings, store: Store,
                                                                    prepared: psycopg.AsyncConnection) -> None:
    import shutil

    app = cockpit_app(settings, store, schema_groups=RULES)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _ready(pilot)
        await _open(pilot, screen, "sales.store")
        await pilot.press("D")
        folder = settings.data_dir / "diagrams"
        await until(pilot, lambda: folder.is_dir() and any(folder.iterdir()), what="the diagram file", timeout=10)
        (path,) = list(folder.iterdir())
        text = path.read_text(encoding="utf-8")
        if shutil.which("dot"):
            assert path.name == "sales.store.r1.svg" and "<svg" in text and "Ledger.InvoiceLine" in text
        else:
            assert path.name == "sales.store.r1.mmd" and text.startswith("erDiagram")
        await until(pilot, lambda: any(str(path) in str(n.message) for n in app._notifications),
                    what="the notification naming the file")


async def test_workspaces_by_client_label_and_map_entries_open(settings: Settings, store: Store,
                                                               prepared: psycopg.AsyncConnection) -> None:
    """Twenty's workspace schemas read as their client's label in the list, the search, the map and the
    join paths' titles; the real name stays in the detail and the SQL; enter on a map or path line opens
    the table it names. At 80x24 a leaf's row estimate is never cut."""
    from tests.tui_support import screen_text

    (ws,) = await (await prepared.execute(
        "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone()  # type: ignore[misc]
    app = cockpit_app(settings, store, schema_groups="CRM views=public.crm_*; Twenty=workspace_*.*; RedKey=redkey.*")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        twenty = _group_node(screen, "Twenty")
        twenty.expand()
        await pilot.pause()
        leaves = {n.data.key: n.label.plain for n in twenty.children if isinstance(n.data, Relation)}
        assert screen.label_of(f"{ws}.person") == "BezelIQ · person"
        assert screen.label_of("client_bezeliq.crm_contacts") == "BezelIQ · crm_contacts"  # its own views
        assert all(label.startswith("Bezel") for key, label in leaves.items() if key.startswith(ws))
        assert not any("workspace_" in label for label in leaves.values())
        assert "workspace_" not in screen_text(app)
        for key, label in leaves.items():  # the estimate is whole at the end of every label
            rel = screen.graph.relations[key]  # type: ignore[union-attr]
            if rel.row_estimate is not None:
                assert label.endswith(f"~{_rows_text(rel.row_estimate)}"), label
            assert len(label) <= screen.query_one("#schema-tree", Tree).scrollable_content_region.width
        # search results
        await pilot.press("slash", *"person", "enter")
        hits = screen.query_one("#schema-hits", OptionList)
        await until(pilot, lambda: hits.display and hits.option_count > 1, what="search hits")
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert "BezelIQ · person" in prompts and not any("workspace_" in p for p in prompts)
        await pilot.press("escape")
        # the detail keeps the real name
        await _open(pilot, screen, f"{ws}.person")
        assert f"{ws}.person" in _pane(screen) and "(BezelIQ · person)" in _pane(screen)
        # the map: labels, and enter opens the company
        await pilot.press("m")
        links = screen.query_one("#schema-links", OptionList)
        assert links.display and links.has_focus and screen.pane == "map"
        shown = screen_text(app)
        assert "BezelIQ · person" in shown and "workspace_" not in shown
        row = next(i for i, k in enumerate(screen.link_keys) if k == f"{ws}.company")
        links.highlighted = row
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail is not None and screen.detail.relation.key == f"{ws}.company",
                    what="the company from the map")
        assert screen.pane == "detail" and not links.display
        # a join path: person -> company; the SQL has the real, quoted names; enter on the JOIN opens it
        await _open(pilot, screen, f"{ws}.person")
        await pilot.press("a")
        assert "join from BezelIQ · person" in _status(screen)
        await _open(pilot, screen, f"{ws}.company")
        await pilot.press("p")
        assert screen.pane == "path" and links.display
        text = _pane(screen)
        assert "Join paths BezelIQ · person → BezelIQ · company" in text and f"FROM {ws}.person" in text
        join = next(i for i, k in enumerate(screen.link_keys) if k == f"{ws}.company")
        assert f"JOIN {ws}.company" in str(links.get_option_at_index(join).prompt)
        await _open(pilot, screen, f"{ws}.person")  # somewhere else first
        await pilot.press("p")
        links.highlighted = next(i for i, k in enumerate(screen.link_keys) if k == f"{ws}.person")
        await pilot.press("enter")
        await until(pilot, lambda: screen.pane == "detail" and screen.detail.relation.key == f"{ws}.person",  # type: ignore[union-attr]
                    what="the table of the FROM line")


def _rows_text(n: int) -> str:
    from screens.schema import _rows

    return _rows(n)
