"""Client scoping: a session sees only its client's rows; an unscoped session sees nothing."""

from __future__ import annotations

import json

import pytest

from cockpit.errors import PermissionDenied
from cockpit.store import Store

VIEWS = ["crm_contacts", "crm_companies", "crm_deals", "crm_activities", "crm_pipeline"]


async def _count(conn, view: str) -> int:  # type: ignore[no-untyped-def]
    return (await (await conn.execute(f"SELECT count(*) FROM {view}")).fetchone())[0]


async def test_unscoped_superuser_sees_nothing(conn) -> None:  # type: ignore[no-untyped-def]
    is_super = (await (await conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).fetchone())[0]
    for view in VIEWS:
        assert await _count(conn, view) == 0, f"{view} leaked rows to an unscoped session (superuser={is_super})"


async def test_scope_by_setting_shows_only_that_client(conn) -> None:  # type: ignore[no-untyped-def]
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    for view in VIEWS:
        rows = await (await conn.execute(f"SELECT DISTINCT client_id FROM {view}")).fetchall()
        assert [r[0] for r in rows] == ["bezeliq"], view
    bez = await _count(conn, "crm_deals")
    await conn.execute("SELECT set_config('redkey.client_id', 'northwind', false)")
    nw = await _count(conn, "crm_deals")
    assert bez > 0 and nw > 0 and bez != nw
    ids = {r[0] for r in await (await conn.execute("SELECT id FROM crm_deals")).fetchall()}
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    ids_b = {r[0] for r in await (await conn.execute("SELECT id FROM crm_deals")).fetchall()}
    assert not ids & ids_b


async def test_scope_by_jwt_claim(conn) -> None:  # type: ignore[no-untyped-def]
    """PostgREST puts the JWT's claims in request.jwt.claims; client_id there scopes the session."""
    await conn.execute("SELECT set_config('request.jwt.claims', %s, false)",
                       (json.dumps({"sub": "u1", "role": "authenticated", "client_id": "northwind"}),))
    rows = await (await conn.execute("SELECT DISTINCT client_id FROM crm_contacts")).fetchall()
    assert [r[0] for r in rows] == ["northwind"]
    # an explicit setting wins over the claim
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    rows = await (await conn.execute("SELECT DISTINCT client_id FROM crm_contacts")).fetchall()
    assert [r[0] for r in rows] == ["bezeliq"]


async def test_unknown_client_sees_nothing(store: Store) -> None:
    nobody = store.scoped("no-such-client")
    assert (await nobody.crm.contacts_page()).items == []
    assert await nobody.crm.pipeline() == []
    assert await nobody.crm.stage_totals() == {}


async def test_cannot_write_into_another_client(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        await store.crm.insert_record("crm_contacts", {"client_id": "northwind", "first_name": "Eve"})
    other = store.scoped("northwind")
    deal = (await store.crm.deal_cards("PROPOSAL")).items[0]
    # a northwind session cannot see, so cannot update, a bezeliq deal
    with pytest.raises(Exception):
        await other.crm.update_strategic("crm_deals", deal.id, priority="low")
    assert (await store.crm.deal(deal.id)).priority == deal.priority
