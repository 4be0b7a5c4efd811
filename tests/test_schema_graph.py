"""The relation graph (networkx) built from the refreshed cache of tests/schema_fixture.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cockpit.config import Settings
from cockpit.errors import NotFound, ValidationFailed
from cockpit.schema.graph import SchemaGraph
from cockpit.schema.groups import group_relations, parse_rules
from cockpit.schema.models import SchemaSnapshot
from cockpit.schema.render import render_neighbourhood, render_path
from cockpit.store import Store
from tests.schema_fixture import schema_database


@pytest.fixture(scope="module")
def schema_url(pg_server_url: str, templates: dict[str, str]) -> Iterator[str]:
    yield from schema_database(pg_server_url, templates["demo"])


@pytest.fixture(scope="module")
def snapshot(schema_url: str, tmp_path_factory: pytest.TempPathFactory) -> SchemaSnapshot:
    """Read once per module: the graph tests only read it."""
    settings = Settings(database_url=schema_url, client_id="bezeliq",  # type: ignore[call-arg]
                        data_dir=tmp_path_factory.mktemp("data"), _env_file=None)

    async def read() -> SchemaSnapshot:
        store = await Store.open(settings, min_size=0, max_size=1)
        try:
            return await store.schema.schema_snapshot()
        finally:
            await store.close()

    return asyncio.run(read())


async def test_neighbourhood_radius_and_direction(snapshot: SchemaSnapshot) -> None:
    g = SchemaGraph(snapshot)
    one = g.neighbourhood("sales.store", radius=1)
    assert set(one.distance) == {"sales.store", "sales.region", "sales.employee", "Ledger.InvoiceLine",
                                 "sales.event", "secret.keys"}
    two = g.neighbourhood("sales.region", radius=2)
    assert two.distance["sales.region"] == 0 and two.distance["sales.store"] == 1
    assert two.distance["Ledger.InvoiceLine"] == 2 and "sales.lonely" not in two.distance
    out = g.neighbourhood("Ledger.InvoiceLine", radius=2, direction="out")
    assert set(out.distance) == {"Ledger.InvoiceLine", "sales.store", "sales.region"}
    incoming = g.neighbourhood("sales.store", radius=1, direction="in")
    assert "sales.region" not in incoming.distance and "sales.employee" in incoming.distance
    # both FKs from InvoiceLine to store are edges of the neighbourhood, the composite one paired
    fks = {e[2].constraint_name: e[2] for e in one.edges if e[0] == "Ledger.InvoiceLine"}
    assert fks["InvoiceLine_store_country_fk"].columns == ["storeId", "Country"]
    with pytest.raises(ValidationFailed):
        g.neighbourhood("sales.store", radius=7)


async def test_join_path_shortest_then_alternatives(snapshot: SchemaSnapshot) -> None:
    g = SchemaGraph(snapshot)
    path = g.join_path("secret.keys", "sales.region")
    assert path.nodes == ["secret.keys", "sales.store", "sales.region"]
    assert path.hops[0].forward and path.hops[0].join_condition() == "secret.keys.store_id = sales.store.id"
    assert path.hops[1].join_condition() == ("sales.store.region_code = sales.region.code AND "
                                             "sales.store.country = sales.region.country")
    back = g.join_path("sales.region", "sales.employee")
    assert back.nodes == ["sales.region", "sales.store", "sales.employee"] and not back.hops[1].forward
    paths = g.join_paths("sales.cyc_a", "sales.cyc_b", k=3)
    assert [p.nodes for p in paths] == [["sales.cyc_a", "sales.cyc_b"]]  # one undirected edge, two FKs
    alts = g.join_paths("sales.employee", "sales.event", k=4)
    assert alts[0].nodes == ["sales.employee", "sales.store", "sales.event"]
    assert all(a.length >= alts[0].length for a in alts)
    with pytest.raises(NotFound):
        g.join_path("sales.lonely", "sales.store")
    assert g.join_paths("sales.store", "sales.store")[0].hops == []
    text = render_path(path)
    assert text[2] == "FROM secret.keys" and text[3].startswith("  JOIN sales.store ON secret.keys.store_id")


async def test_orphans_cycles_selfrefs_unindexed(snapshot: SchemaSnapshot) -> None:
    g = SchemaGraph(snapshot, include_system=False)
    orphans = g.orphans()
    assert "sales.lonely" in orphans and "sales.no_columns" in orphans and '"Ledger".region' not in orphans
    assert "Ledger.region" in orphans
    assert "sales.employee" not in orphans  # self-reference plus a real FK
    assert "sales.v_store" not in orphans  # views are not tables
    assert "sales.event_2025" not in orphans  # partitions hidden
    # only the purpose-built schema: other features may add their own cycles (e.g. redkey approvals)
    assert [c for c in g.cycles() if c[0].startswith("sales.")] == [["sales.cyc_a", "sales.cyc_b"]]
    assert g.self_references() == ["sales.employee"]
    unindexed = {(f.source, f.constraint_name) for f in g.unindexed_fks()}
    assert ("sales.employee", "employee_manager_id_fkey") not in unindexed  # indexed
    assert ("sales.store", "store_region_fk") not in unindexed  # index (country, region_code) covers it
    assert ("Ledger.InvoiceLine", "InvoiceLine_storeId_fkey") in unindexed
    assert ("sales.employee", "employee_store_id_fkey") in unindexed
    assert ("Ledger.InvoiceLine", "InvoiceLine_store_country_fk") in unindexed


async def test_hidden_system_targets_stay_as_stubs(snapshot: SchemaSnapshot) -> None:
    hidden = SchemaGraph(snapshot, include_system=False)
    assert "auth.users" in hidden.stubs and "sales.ext_owned" not in hidden.g
    assert hidden.join_path("public.profiles", "auth.users").length == 1
    shown = SchemaGraph(snapshot, include_system=True)
    assert "auth.users" not in shown.stubs and "sales.event_2025" in shown.g
    assert "sales.event_2025" in shown.orphans()  # its FK lives on the parent (conparentid)
    lines = render_neighbourhood(hidden, hidden.neighbourhood("public.profiles"))
    assert lines[1].endswith("auth.users (stub)  id→id  [profiles_id_fkey]")


async def test_resolve_names(snapshot: SchemaSnapshot) -> None:
    g = SchemaGraph(snapshot)
    assert g.resolve("InvoiceLine") == "Ledger.InvoiceLine"
    assert g.resolve("ledger.invoiceline") == "Ledger.InvoiceLine"
    with pytest.raises(ValidationFailed):
        g.resolve("region")
    with pytest.raises(NotFound):
        g.resolve("nope.nope")


async def test_render_neighbourhood_tree(snapshot: SchemaSnapshot) -> None:
    g = SchemaGraph(snapshot)
    lines = render_neighbourhood(g, g.neighbourhood("sales.employee", radius=2))
    assert lines[0] == "sales.employee (table · ~0 rows)" or lines[0].startswith("sales.employee (table")
    assert lines[1] == "├─↺ self  manager_id→id  [employee_manager_id_fkey]"
    assert any(line.startswith("└─▶ sales.store") for line in lines)
    assert any("◀ Ledger.InvoiceLine" in line and line.startswith("   ") for line in lines)  # radius 2
    capped = render_neighbourhood(g, g.neighbourhood("sales.store"), max_children=2)
    assert capped[-1].endswith("more")
    assert render_neighbourhood(g, g.neighbourhood("sales.lonely"))[1].strip().startswith("(no foreign keys")


async def test_grouping_rules(snapshot: SchemaSnapshot) -> None:
    rules = parse_rules("Sales=sales.*|Ledger.*; CRM views=public.crm_*; Twenty · {client}=workspace_*.*")
    groups = group_relations(snapshot.relations, rules, workspaces=snapshot.workspaces)
    labels = [gr.label for gr in groups]
    assert labels[:2] == ["Sales", "CRM views"]
    assert {"Twenty · BezelIQ", "Twenty · Northwind Labs"} <= set(labels)
    assert "public" in labels and "redkey" in labels and not any(lb.startswith("system") for lb in labels)
    sales = groups[0]
    assert "Ledger.InvoiceLine" in [r.key for r in sales.relations]
    assert "sales.event_2025" not in [r.key for r in sales.relations]
    with_sys = group_relations(snapshot.relations, rules, include_system=True)
    assert with_sys[-1].label.startswith("system · ")
    assert {"system · auth", "system · sales"} <= {gr.label for gr in with_sys}
    default = group_relations(snapshot.relations, parse_rules(""), workspaces=snapshot.workspaces)
    assert default[0].label == "CRM views" and default[1].label == "RedKey"
    from cockpit.errors import ConfigError
    with pytest.raises(ConfigError):
        parse_rules("Finance finance.*")


async def test_join_sql_runs_as_printed(snapshot: SchemaSnapshot, schema_url: str) -> None:
    """Every printed join path (quoted mixed-case names, FK names in comments) executes in Postgres."""
    import psycopg

    g = SchemaGraph(snapshot, include_system=False)
    ws = next(r.key.partition(".")[0] for r in snapshot.relations if r.key.endswith(".timelineActivity"))
    cases = [("secret.keys", "sales.region"), (f"{ws}.timelineActivity", f"{ws}.company"),
             ("Ledger.InvoiceLine", "sales.store")]
    async with await psycopg.AsyncConnection.connect(schema_url) as conn:
        for a, b in cases:
            for path in g.join_paths(a, b, k=3):
                sql = "\n".join(render_path(path))
                assert "-- " in sql
                await (await conn.execute(sql)).fetchall()  # raises if the printed SQL is not valid
    text = "\n".join(render_path(g.join_path(f"{ws}.timelineActivity", f"{ws}.person")))
    assert '"timelineActivity"."personId"' in text
