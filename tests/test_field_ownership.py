"""Field ownership is enforced by Postgres roles and column privileges, not by convention."""

from __future__ import annotations

import psycopg
import pytest

from cockpit.db.views import OPERATIONAL, STRATEGIC
from cockpit.errors import PermissionDenied
from cockpit.store import Store


async def test_operational_role_cannot_write_strategic_fields(store: Store) -> None:
    contact = (await store.crm.contacts_page("sarah chen")).items[0]
    before = await store.crm.contact(contact.id)
    for field, value in (("priority", "low"), ("strategy_note", "x"), ("relationship_note", "x"),
                         ("recontact_at", "2027-01-01")):
        with pytest.raises(PermissionDenied) as info:
            await store.crm.update_operational("crm_contacts", contact.id, **{field: value})
        assert field in str(info.value) and "operational" in str(info.value)
    assert await store.crm.contact(contact.id) == before


@pytest.mark.pooled
async def test_operational_write_with_strategic_field_changes_nothing_at_all(store: Store) -> None:
    """A mixed statement is refused whole: the operational part is not applied either."""
    contact = (await store.crm.contacts_page(limit=1)).items[0]
    with pytest.raises(PermissionDenied):
        await store.crm.update_operational("crm_contacts", contact.id, industry="Mining", priority="high")
    after = await store.crm.contact(contact.id)
    assert after.industry == contact.industry and after.priority == contact.priority


async def test_strategic_role_cannot_write_operational_fields(store: Store) -> None:
    deal = (await store.crm.search_deals("acme"))[0]
    with pytest.raises(PermissionDenied) as info:
        await store.crm.update_strategic("crm_deals", deal.id, last_activity_at="2026-01-01T00:00:00Z")
    assert "last_activity_at" in str(info.value) and "strategic" in str(info.value)
    company = await store.crm.company(deal.company_id)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await store.crm.update_strategic("crm_companies", company.id, enriched_at="2026-01-01T00:00:00Z")
    assert (await store.crm.company(company.id)).enriched_at == company.enriched_at


@pytest.mark.pooled
async def test_each_role_can_write_what_it_owns(store: Store) -> None:
    deal = (await store.crm.search_deals("acme"))[0]
    updated = await store.crm.update_strategic("crm_deals", deal.id, priority="high",
                                           strategy_note="Budget freeze until Q3", recontact_at="2027-07-01")
    assert (updated.priority, updated.strategy_note, str(updated.recontact_at)) == (
        "high", "Budget freeze until Q3", "2027-07-01")
    contact = (await store.crm.contacts_page(limit=1)).items[0]
    enriched = await store.crm.update_operational("crm_contacts", contact.id, enriched_at="2026-11-20T00:00:00Z",
                                              linkedin_url="https://linkedin.com/in/x", company_size="51-200")
    assert enriched.linkedin_url == "https://linkedin.com/in/x" and enriched.company_size == "51-200"


async def test_readonly_role_writes_nothing(store: Store) -> None:
    contact = (await store.crm.contacts_page(limit=1)).items[0]
    with pytest.raises(PermissionDenied):
        await store.crm.update_record("crm_contacts", contact.id, {"first_name": "X"}, role="readonly")
    with pytest.raises(PermissionDenied):
        await store.crm.log_activity(role="readonly", kind="note", contact_id=contact.id)


async def test_roles_cannot_touch_layer1_or_extension_tables_directly(store: Store) -> None:
    ws = (await store.admin.workspaces())[0].schema_name
    for role in ("readonly", "operational", "strategic"):
        for target in (f'"{ws}".person', "redkey.contact_ext"):
            with pytest.raises(PermissionDenied):
                async with store.db.tx(role) as c:  # type: ignore[arg-type]
                    await c.execute(f"SELECT count(*) FROM {target}")


async def test_privileges_match_the_design(conn) -> None:  # type: ignore[no-untyped-def]
    """Column privileges in the catalog: exactly the owning role may update each field."""
    for view in ("crm_contacts", "crm_companies", "crm_deals"):
        for role, owned in (("redkey_operational", OPERATIONAL[view]), ("redkey_strategic", STRATEGIC[view])):
            for col in owned:
                ok = (await (await conn.execute("SELECT has_column_privilege(%s, %s, %s, 'UPDATE')",
                                                (role, f"public.{view}", col))).fetchone())[0]
                assert ok, (role, view, col)
        for col in STRATEGIC[view]:
            assert not (await (await conn.execute("SELECT has_column_privilege('redkey_operational', %s, %s, 'UPDATE')",
                                                  (f"public.{view}", col))).fetchone())[0], (view, col)
        for col in OPERATIONAL[view]:
            assert not (await (await conn.execute("SELECT has_column_privilege('redkey_strategic', %s, %s, 'UPDATE')",
                                                  (f"public.{view}", col))).fetchone())[0], (view, col)
    assert not (await (await conn.execute(
        "SELECT has_function_privilege('redkey_operational', 'public.crm_move_deal(uuid, text)', 'EXECUTE')"
    )).fetchone())[0]


async def test_raw_error_is_postgres_permission_denied(db_url: str) -> None:
    """The refusal really comes from Postgres (SQLSTATE 42501), not from our Python."""
    async with await psycopg.AsyncConnection.connect(db_url) as c:
        await c.execute("SELECT set_config('redkey.client_id', 'bezeliq', true), set_config('role', 'redkey_operational', true)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await c.execute("UPDATE crm_contacts SET priority = 'low'")
