"""redkey.refresh_system_schema_cache() on a purpose-built schema (tests/schema_fixture.py): what the
explorer reads must match the catalog exactly, including the cases introspection tools get wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from cockpit.config import Settings
from cockpit.db.client_groups import SCHEMA, group_of
from cockpit.errors import NotFound, ValidationFailed
from cockpit.store import Store
from tests.schema_fixture import schema_database


@pytest.fixture(scope="module")
def schema_url(pg_server_url: str, templates: dict[str, str]) -> Iterator[str]:
    """One database per module (schema built, cache refreshed): these tests only read it, except the
    refresh test, whose refresh is idempotent."""
    yield from schema_database(pg_server_url, templates["demo"])


@pytest.fixture
async def schema_store(schema_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    settings = Settings(database_url=schema_url, client_id="bezeliq", data_dir=tmp_path,  # type: ignore[call-arg]
                        _env_file=None)
    store = await Store.open(settings, min_size=0, max_size=2)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def sconn(schema_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    c = await psycopg.AsyncConnection.connect(schema_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def _rows(conn: psycopg.AsyncConnection, query: str, *params: object) -> list[tuple]:
    cur = await conn.execute(query, params or None)
    return await cur.fetchall()


async def test_refresh_reports_counts_and_is_repeatable(schema_store: Store,
                                                      sconn: psycopg.AsyncConnection) -> None:
    store, conn = schema_store, sconn
    first = await store.schema.refresh_schema_cache()
    second = await store.schema.refresh_schema_cache()
    assert first.relations == second.relations > 20
    assert first.foreign_keys == second.foreign_keys
    (n,) = (await _rows(sconn, "SELECT count(*) FROM redkey.system_schema_relations"))[0]
    assert n == second.relations  # the second refresh replaced, not appended
    (fks,) = (await _rows(sconn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0"))[0]
    assert second.foreign_keys == fks
    assert (await store.schema.schema_refreshed_at()) is not None


async def test_composite_fk_keeps_its_column_pairs_in_key_order(schema_store: Store,
                                                              sconn: psycopg.AsyncConnection) -> None:
    rows = await _rows(sconn, """
        SELECT column_name, fk_position, references_schema, references_table, references_column, on_delete, on_update
        FROM redkey.system_schema_cache
        WHERE schema_name = 'sales' AND table_name = 'store' AND constraint_name = 'store_region_fk'
        ORDER BY fk_position""")
    assert rows == [
        ("region_code", 1, "sales", "region", "code", "CASCADE", "RESTRICT"),
        ("country", 2, "sales", "region", "country", "CASCADE", "RESTRICT"),
    ]
    detail = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.store")).table_oid)
    fk = next(f for f in detail.outgoing if f.constraint_name == "store_region_fk")
    assert (fk.columns, fk.ref_columns, fk.target) == (["region_code", "country"], ["code", "country"], "sales.region")


async def test_cross_schema_mixed_case_and_column_in_two_fks(schema_store: Store) -> None:
    rel = await schema_store.schema.find_relation('Ledger.InvoiceLine')
    assert (rel.schema_name, rel.table_name) == ("Ledger", "InvoiceLine")
    detail = await schema_store.schema.table_detail(rel.table_oid)
    store_id = next(c for c in detail.columns if c.name == "storeId")
    assert sorted(store_id.fks) == ["sales.store.id via InvoiceLine_storeId_fkey",
                                    "sales.store.id via InvoiceLine_store_country_fk"]
    assert [c.name for c in detail.columns] == ["lineId", "storeId", "Country"]  # one row per column
    assert detail.columns[0].metadata == {"identity": "a"}
    assert {f.target for f in detail.outgoing} == {"sales.store"}
    store = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.store")).table_oid)
    assert {(f.source, f.constraint_name) for f in store.incoming} >= {
        ("Ledger.InvoiceLine", "InvoiceLine_store_country_fk"), ("secret.keys", "keys_store_id_fkey")}


async def test_columns_types_nullability_defaults_comments(schema_store: Store) -> None:
    region = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.region")).table_oid)
    cols = {c.name: c for c in region.columns}
    assert cols["code"].data_type == "sales.code" and cols["code"].nullable is False  # domain NOT NULL
    assert cols["code"].is_pk and cols["country"].is_pk and not cols["name"].is_pk
    assert cols["name"].default_value == "'unnamed'::text"
    assert region.relation.comment == "Sales regions per country"
    assert region.relation.row_estimate == 0  # analysed, empty
    store = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.store")).table_oid)
    assert {c.name: c.comment for c in store.columns}["region_code"] == "Region within the country"
    kinds = {c.constraint_name: c.kind for c in store.constraints}
    assert kinds["store_pkey"] == "PRIMARY KEY" and kinds["store_region_fk"] == "FOREIGN KEY"
    assert kinds["store_id_country_key"] == "UNIQUE"
    assert {i.index_name: i.key_columns for i in store.indexes}["store_region_idx"] == ["country", "region_code"]


async def test_self_reference(schema_store: Store) -> None:
    emp = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.employee")).table_oid)
    self_fk = [f for f in emp.outgoing if f.target == "sales.employee"]
    assert [(f.columns, f.ref_columns) for f in self_fk] == [(["manager_id"], ["id"])]
    assert any(f.source == "sales.employee" for f in emp.incoming)


async def test_view_over_views_lineage_from_pg_depend(schema_store: Store) -> None:
    names = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.v_store_names")).table_oid)
    assert [(r.source, r.source_relkind) for r in names.reads] == [("sales.v_store", "v")]
    assert sorted(names.reads[0].columns) == ["id", "region_name"]
    v_store = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.v_store")).table_oid)
    assert {r.source for r in v_store.reads} == {"sales.region", "sales.store"}
    assert [r.view for r in v_store.read_by] == ["sales.v_store_names"]
    assert v_store.relation.kind == "view" and "JOIN sales.region" in (v_store.view_definition or "")
    assert v_store.columns and v_store.outgoing == []


async def test_partitions_hidden_and_fk_declared_once(schema_store: Store, sconn: psycopg.AsyncConnection) -> None:
    parts = await _rows(sconn, """
        SELECT table_name, is_system, hidden_reason, partition_of FROM redkey.system_schema_relations
        WHERE schema_name = 'sales' AND table_name LIKE 'event%' ORDER BY table_name""")
    assert parts == [("event", False, None, None),
                     ("event_2025", True, "partition", "sales.event"),
                     ("event_2026", True, "partition", "sales.event")]
    event = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.event")).table_oid)
    assert event.relation.kind == "partitioned"
    assert [f.constraint_name for f in event.outgoing] == ["event_store_id_fkey"]
    store = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.store")).table_oid)
    assert [f.source for f in store.incoming if "event" in f.source] == ["sales.event"]


async def test_unreadable_table_is_still_listed(schema_store: Store, sconn: psycopg.AsyncConnection) -> None:
    # the browsing role has no USAGE on schema secret: it cannot read the table ...
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with sconn.transaction():
            await sconn.execute("SET LOCAL ROLE redkey_readonly")
            await sconn.execute("SELECT * FROM secret.keys")
    # ... yet the explorer (running as that role) lists it with its columns and its FK
    rel = await schema_store.schema.find_relation("secret.keys")
    assert rel.browsable is False and rel.is_system is False
    detail = await schema_store.schema.table_detail(rel.table_oid)
    assert [c.name for c in detail.columns] == ["id", "store_id", "material"]
    assert [f.target for f in detail.outgoing] == ["sales.store"]
    assert (await schema_store.schema.find_relation("sales.store")).browsable is False  # no grant either
    assert (await schema_store.schema.find_relation("public.crm_deals")).browsable is True


async def test_system_schemas_and_extension_tables_flagged(schema_store: Store) -> None:
    users = await schema_store.schema.find_relation("auth.users")
    assert (users.is_system, users.hidden_reason) == (True, "system schema")
    ext = await schema_store.schema.find_relation("sales.ext_owned")
    assert (ext.is_system, ext.hidden_reason, ext.extension) == (True, "extension plpgsql", "plpgsql")
    assert (await schema_store.schema.find_relation("public.profiles")).is_system is False


async def test_rls_flags_and_policies(schema_store: Store) -> None:
    store = await schema_store.schema.table_detail((await schema_store.schema.find_relation("sales.store")).table_oid)
    assert store.relation.rls_enabled and not store.relation.rls_forced
    assert [(p.policy_name, p.command, p.permissive, p.roles, p.using_expr) for p in store.policies] == [
        ("store_dutch", "SELECT", True, ["redkey_readonly"], "(country = 'NL'::text)")]


async def test_relation_without_columns_keeps_a_row(schema_store: Store, sconn: psycopg.AsyncConnection) -> None:
    rows = await _rows(sconn, "SELECT column_name FROM redkey.system_schema_cache "
                             "WHERE schema_name = 'sales' AND table_name = 'no_columns'")
    assert rows == [(None,)]
    detail = await schema_store.schema.table_detail((await schema_store.schema.find_relation("no_columns")).table_oid)
    assert detail.columns == []


async def test_search_and_lookup_errors(schema_store: Store) -> None:
    hits = await schema_store.schema.search_schema("store")
    keys = [(h.key, h.column_name) for h in hits]
    assert ("sales.store", None) in keys and ("Ledger.InvoiceLine", "storeId") in keys
    assert keys.index(("sales.store", None)) < keys.index(("Ledger.InvoiceLine", "storeId"))  # tables first
    assert not any(h.key.startswith("sales.event_") for h in await schema_store.schema.search_schema("event"))
    assert any(h.key == "sales.event_2025" for h in await schema_store.schema.search_schema("event", include_system=True))
    assert await schema_store.schema.search_schema("  ") == []
    assert (await schema_store.schema.find_relation("invoiceline")).table_name == "InvoiceLine"  # case-insensitive
    with pytest.raises(NotFound):
        await schema_store.schema.find_relation("sales.nope")
    with pytest.raises(ValidationFailed):
        await schema_store.schema.find_relation("region")  # sales.region and "Ledger".region


async def test_snapshot_and_demo_layer2_lineage(store: Store) -> None:
    await store.schema.refresh_schema_cache()
    snap = await store.schema.schema_snapshot()
    keys = {r.key for r in snap.relations}
    assert {"public.crm_deals", "redkey.activities", "redkey.system_schema_cache"} <= keys
    assert not any(k.startswith(("pg_catalog.", "information_schema.")) for k in keys)
    sources = {e.source for e in snap.lineage if e.view == "public.crm_activities"}
    assert "redkey.activities" in sources
    # public reads each client's own view (through the client's group of views), which reads that
    # client's Twenty tables
    groups = {f"{SCHEMA}.crm_activities_{group_of(c):02d}" for c in ("bezeliq", "northwind")}
    assert groups <= sources
    grouped = {e.source for e in snap.lineage if e.view in groups}
    assert {"client_bezeliq.crm_activities", "client_northwind.crm_activities"} <= grouped
    client_sources = {e.source for e in snap.lineage if e.view == "client_bezeliq.crm_activities"}
    assert "redkey.activities" in client_sources
    assert any(s.endswith(".timelineActivity") for s in client_sources)
    # schema -> client: the two Twenty workspaces and the two clients' own schemas of views
    assert sorted(snap.workspaces.values()) == ["BezelIQ", "BezelIQ", "Northwind Labs", "Northwind Labs"]
    assert snap.workspaces["client_bezeliq"] == "BezelIQ"
    assert sum(s.startswith("workspace_") for s in snap.workspaces) == 2


async def test_assembled_definitions_read_like_postgres_own(sconn: psycopg.AsyncConnection) -> None:
    """Keys, FKs and plain indexes get their text assembled at refresh (cheaper than deparsing):
    it must read exactly as pg_get_constraintdef / pg_get_indexdef would (refresh runs with
    search_path = pg_catalog, so both qualify every name)."""
    await sconn.execute("SET search_path = pg_catalog")
    try:
        mine = "(SELECT table_oid FROM redkey.system_schema_relations WHERE schema_name IN ('sales', 'Ledger', 'secret'))"
        cons = await _rows(sconn, f"""
            SELECT k.constraint_name, k.definition, pg_get_constraintdef(c.oid, true)
            FROM redkey.system_schema_constraints k
            JOIN pg_constraint c ON c.conrelid = k.table_oid AND c.conname = k.constraint_name
            WHERE k.table_oid IN {mine}""")
        assert len(cons) > 15 and {k: a for k, a, _ in cons} == {k: b for k, _, b in cons}
        idx = await _rows(sconn, f"""
            SELECT x.index_name, x.definition, pg_get_indexdef(i.indexrelid)
            FROM redkey.system_schema_indexes x
            JOIN pg_index i ON i.indrelid = x.table_oid
            JOIN pg_class ic ON ic.oid = i.indexrelid AND ic.relname = x.index_name
            WHERE x.table_oid IN {mine}""")
        assert len(idx) > 10 and {k: a for k, a, _ in idx} == {k: b for k, _, b in idx}
        assert not await _rows(sconn, "SELECT 1 FROM redkey.system_schema_constraints WHERE contype = 'n'")
    finally:
        await sconn.execute("RESET search_path")


async def test_the_cache_knows_when_relations_came_or_went(store, conn) -> None:  # type: ignore[no-untyped-def]
    """A table made or dropped since the last refresh (a migration, a Twenty upgrade, psql) makes the cache
    stale, so the schema screen refreshes it when it opens instead of showing the old catalog."""
    await store.schema.refresh_schema_cache()
    assert not await store.schema.cache_is_stale()
    await conn.execute('CREATE TABLE public."Ledger Entry" (id int PRIMARY KEY)')
    assert await store.schema.cache_is_stale()
    await store.schema.refresh_schema_cache()
    assert not await store.schema.cache_is_stale()
    await conn.execute('CREATE TEMP TABLE scratch (id int)')  # another session's temp table is not the schema
    assert not await store.schema.cache_is_stale()
    await conn.execute('DROP TABLE public."Ledger Entry"')
    assert await store.schema.cache_is_stale()
