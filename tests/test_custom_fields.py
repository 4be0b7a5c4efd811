"""Twenty's custom fields in the stable views' read-only ``custom`` column, and custom objects listed,
on a Twenty-shaped workspace with custom columns of several types (tests/custom_workspace.py)."""

from __future__ import annotations

import psycopg
import pytest

from cockpit.db import custom_fields, layer2
from cockpit.db.migrate import refresh_layer2
from cockpit.db.views import named_columns
from cockpit.errors import CockpitError, ValidationFailed
from cockpit.export.service import export_to_file
from cockpit.store import Store
from tests import custom_workspace as cw


async def _store(url: str) -> Store:
    from cockpit.config import Settings

    return await Store.open(Settings(database_url=url, _env_file=None), min_size=0, max_size=2)  # type: ignore[call-arg]


async def _scoped_rows(url: str, query: str, params: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (cw.CLIENT,))
        cur = await conn.execute(query, params)  # type: ignore[arg-type]
        return await cur.fetchall()


async def test_custom_column_holds_custom_fields_by_label_with_their_types(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        ids = await cw.seed_rows(empty_db_url)
        lumen = store.scoped(cw.CLIENT)
        company = await lumen.crm.company(ids["company"])
        assert company.custom == {"Niveau partenaire": "GOLD", "Churn risk – %": 12.5, "Founded": "2011-03-04",
                                  "Sales notes": "renewal owner: Brontë", "Budget (amount micros)": 250000000000,
                                  "Budget (currency code)": "SEK"}
        person = await lumen.crm.contact(ids["person"])
        assert person.custom == {"Régime alimentaire": "vegetarisk", "Last met": "2026-11-02T09:30:00+00:00",
                                 "NPS": 9}
        deal = await lumen.crm.deal(ids["deal"])
        assert deal.custom == {"Loss reason": "TIMING", "Signed probability": 0.4}
        plain = [c for c in (await lumen.crm.companies_page()).items if c.name == "Plain Co"][0]
        assert plain.custom["Sales notes"] is None and plain.custom["Niveau partenaire"] is None  # '' reads as NULL
        # Twenty's standard fields the contract does not read are not custom
        assert not {"idealCustomerProfile", "xLinkPrimaryLinkUrl", "avatarUrl"} & (set(company.custom) | set(person.custom))
        # public's view (client logins, the Data API) shows the same
        [(custom,)] = await _scoped_rows(empty_db_url, "SELECT custom FROM public.crm_companies WHERE id = %s",
                                         (ids["company"],))
        assert custom == company.custom
    finally:
        await store.close()


async def test_without_readable_metadata_the_keys_are_the_column_names(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url, metadata=None)
        ids = await cw.seed_rows(empty_db_url)
        company = await store.scoped(cw.CLIENT).crm.company(ids["company"])
        assert set(company.custom) == {"tier", "churnRisk", "foundedOn", "salesNotes", "budgetAmountMicros",
                                       "budgetCurrencyCode"}
        assert company.custom["tier"] == "GOLD"
        [obj] = await store.scoped(cw.CLIENT).custom.objects()
        assert (obj.table_name, obj.label) == ("_partnerProgram", "partnerProgram")
    finally:
        await store.close()


async def test_labels_come_from_the_older_metadata_schema_too(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url, metadata="metadata")  # Twenty before the move to core
        ids = await cw.seed_rows(empty_db_url)
        deal = await store.scoped(cw.CLIENT).crm.deal(ids["deal"])
        assert deal.custom == {"Loss reason": "TIMING", "Signed probability": 0.4}
    finally:
        await store.close()


async def test_a_new_custom_column_or_label_regenerates_the_views(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        ids = await cw.seed_rows(empty_db_url)
        async with await psycopg.AsyncConnection.connect(empty_db_url) as conn:
            assert not await refresh_layer2(conn)  # nothing changed: no regeneration
            await conn.commit()
            await conn.execute(f'ALTER TABLE "{cw.SCHEMA}".company ADD COLUMN "renewalMonth" text NOT NULL DEFAULT \'\'')
            await conn.execute(f'UPDATE "{cw.SCHEMA}".company SET "renewalMonth" = \'März\' WHERE id = %s',
                               (ids["company"],))
            assert await refresh_layer2(conn)  # the digest saw the new column
            await conn.commit()
        lumen = store.scoped(cw.CLIENT)
        assert (await lumen.crm.company(ids["company"])).custom["renewalMonth"] == "März"
        async with await psycopg.AsyncConnection.connect(empty_db_url) as conn:
            await conn.execute("""UPDATE core."fieldMetadata" SET label = 'Tier' WHERE name = 'tier'""")
            assert await refresh_layer2(conn)  # a label renamed in Twenty's settings
            await conn.commit()
        custom = (await lumen.crm.company(ids["company"])).custom
        assert custom["Tier"] == "GOLD" and "Niveau partenaire" not in custom
    finally:
        await store.close()


async def test_twenty_can_still_drop_a_custom_field(empty_db_url: str) -> None:
    """A user deleting a field in Twenty drops its column: the views must not stand in the way."""
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        ids = await cw.seed_rows(empty_db_url)
        async with await psycopg.AsyncConnection.connect(empty_db_url) as conn:
            await conn.execute(f'ALTER TABLE "{cw.SCHEMA}".company DROP COLUMN "churnRisk"')
            await conn.execute(f'ALTER TABLE "{cw.SCHEMA}".person DROP COLUMN "dietaryPreference"')  # searched
            await conn.commit()
            lumen = store.scoped(cw.CLIENT)
            custom = (await lumen.crm.company(ids["company"])).custom
            assert custom["Churn risk – %"] is None and custom["Niveau partenaire"] == "GOLD"
            # until the views are regenerated, search runs without the dropped field instead of failing
            assert [c.id for c in (await lumen.crm.contacts_page("zoë")).items] == [ids["person"]]
            assert [c.id for c in (await lumen.crm.contacts_page("vegetarisk")).items] == []
            assert await refresh_layer2(conn)
            await conn.commit()
        custom = (await lumen.crm.company(ids["company"])).custom
        assert "Churn risk – %" not in custom and custom["Founded"] == "2011-03-04"
        assert [c.id for c in (await lumen.crm.companies_page("renewal")).items] == [ids["company"]]
        assert "Régime alimentaire" not in (await lumen.crm.contact(ids["person"])).custom
    finally:
        await store.close()


async def test_writes_to_custom_are_refused_with_a_clear_error(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        ids = await cw.seed_rows(empty_db_url)
        lumen = store.scoped(cw.CLIENT)
        with pytest.raises(ValidationFailed, match="custom is read-only"):
            await lumen.crm.update_record("crm_companies", ids["company"], {"custom": {"Tier": "SILVER"}},
                                          role="operational")
        with pytest.raises(ValidationFailed, match="custom is read-only"):
            await lumen.crm.insert_record("crm_contacts", {"first_name": "X", "custom": {"NPS": 1}})
        # straight SQL, even as the owner: the trigger refuses it
        async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
            await conn.execute("SELECT set_config('redkey.client_id', %s, false)", (cw.CLIENT,))
            with pytest.raises(psycopg.Error, match=r"crm_companies.custom is read-only: custom fields are Twenty's"):
                await conn.execute("""UPDATE crm_companies SET custom = '{"Tier": "SILVER"}' WHERE id = %s""",
                                   (ids["company"],))
            with pytest.raises(psycopg.Error, match="permission denied"):
                await conn.execute("SET ROLE redkey_strategic")
                await conn.execute("""UPDATE crm_deals SET custom = '{}' WHERE id = %s""", (ids["deal"],))
        [(tier,)] = await _scoped_rows(empty_db_url, f'SELECT tier::text FROM "{cw.SCHEMA}".company WHERE id = %s',
                                       (ids["company"],))
        assert tier == "GOLD"
        # ordinary writes of the same record still work and keep the custom values
        updated = await lumen.crm.update_strategic("crm_companies", ids["company"], priority="high")
        assert updated.priority == "high" and updated.custom["Niveau partenaire"] == "GOLD"
    finally:
        await store.close()


async def test_custom_fields_and_objects_are_listed_per_client(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        await cw.seed_rows(empty_db_url)
        lumen = store.scoped(cw.CLIENT)
        assert await lumen.custom.keys("crm_deals") == ["Loss reason", "Signed probability"]
        by_key = {f.key: f for f in await lumen.custom.fields("crm_companies")}
        assert by_key["Niveau partenaire"].column_name == "tier" and by_key["Founded"].data_type == "date"
        [obj] = await lumen.custom.objects()
        assert (obj.schema_name, obj.table_name, obj.label) == (cw.SCHEMA, "_partnerProgram", "Partner program")
        # another client (and an unscoped session) sees none of them
        await store.admin.create_fixture_workspace("workspace_other1")
        await store.admin.register_workspace("workspace_other1", "other")
        assert await store.scoped("other").custom.objects() == []
        assert await store.scoped("other").custom.fields() == []
        async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
            cur = await conn.execute("SELECT * FROM public.crm_custom_objects()")  # unscoped
            assert await cur.fetchall() == []
    finally:
        await store.close()


async def test_search_finds_custom_text_through_an_index(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        ids = await cw.seed_rows(empty_db_url)
        lumen = store.scoped(cw.CLIENT)
        assert [c.id for c in (await lumen.crm.companies_page("brontë")).items] == [ids["company"]]
        assert [c.id for c in (await lumen.crm.contacts_page("vegetar")).items] == [ids["person"]]
        indexes = await _scoped_rows(empty_db_url, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"
                                     " AND indexname LIKE 'redkey_%%custom%%'", (cw.SCHEMA,))
        assert {name.split("_custom_")[0] for name, _ in indexes} == {"redkey_company", "redkey_person"}
        assert any('"salesNotes"' in d and "gin" in d for _, d in indexes)
        # the search functions' expression is the indexed one (the planner can use the index for it)
        async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
            [w] = [w for w in await layer2.load_workspaces(conn) if w.schema == cw.SCHEMA]
            expr = custom_fields.search_text_expr("crm_companies", w, named_columns("crm_companies"))
            await conn.execute(f'INSERT INTO "{cw.SCHEMA}".company (name, "salesNotes") SELECT \'Filler \' || i,'
                               " 'quarterly review ' || i FROM generate_series(1, 5000) i")
            await conn.execute(f'ANALYZE "{cw.SCHEMA}".company')
            cur = await conn.execute(  # type: ignore[call-overload]
                f'EXPLAIN SELECT p.id FROM "{cw.SCHEMA}".company p WHERE {expr} @@ redkey.prefix_tsquery(%s)'
                ' AND p."deletedAt" IS NULL', ("renewal",))
            plan = "\n".join(r[0] for r in await cur.fetchall())
        assert "redkey_company_custom_" in plan, plan
    finally:
        await store.close()


async def test_export_has_one_prefixed_column_per_custom_key(empty_db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = await _store(empty_db_url)
    try:
        await cw.create(store, empty_db_url)
        await cw.seed_rows(empty_db_url)
        result = await export_to_file(store.scoped(cw.CLIENT), "companies", directory=tmp_path)
        import csv

        with open(result.path, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert "custom (read-only)" not in rows[0]
        asgard = [r for r in rows if r["name (operational)"] == "Åsgard Lüften AB"][0]
        assert asgard["custom.Niveau partenaire (read-only)"] == "GOLD"
        assert asgard["custom.Churn risk – % (read-only)"] == "12.5"
        assert asgard["custom.Founded (read-only)"] == "2011-03-04"
        plain = [r for r in rows if r["name (operational)"] == "Plain Co"][0]
        assert plain["custom.Sales notes (read-only)"] == ""
    finally:
        await store.close()


def test_errors_are_cockpit_errors() -> None:
    assert issubclass(ValidationFailed, CockpitError)
