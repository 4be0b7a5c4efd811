"""Every consumer of the field registry agrees with it: views, triggers, grants, checks, models, the
editor, arlo's whitelist, governance — and deal terms belong to the strategic role."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from cockpit import fields as reg
from cockpit.arlo import strategic as arlo_strategic
from cockpit.contracts.governance import WRITABLE, OracleWritebackProposal
from cockpit.contracts.base import Provenance
from cockpit.db import views, writes
from cockpit.db.layer2 import field_check, load_workspaces
from cockpit.errors import PermissionDenied
from cockpit.models import VIEW_MODELS
from cockpit.store import Store

PY_TYPES = {"uuid": UUID, "text": str, "timestamptz": datetime, "date": date, "integer": int,
            "numeric": Decimal, "double precision": float, "boolean": bool, "jsonb": dict,
            "uuid[]": list}
RECORDS = ("crm_contacts", "crm_companies", "crm_deals")


def test_every_field_is_well_formed() -> None:
    seen = set()
    for f in reg.FIELDS:
        assert f.view in reg.VIEWS, f
        assert (f.view, f.name) not in seen, f"{f.view}.{f.name} listed twice"
        seen.add((f.view, f.name))
        assert f.type in PY_TYPES, f
        assert f.label and f.owner in reg.ROLE_OF
        assert not (f.ext and f.l1), f"{f.view}.{f.name} cannot live in two places"
        if f.ext:
            assert reg.VIEWS[f.view].ext_table, f
        for role in f.insert_roles:
            assert role in reg.WRITE_ROLES


def test_models_agree_with_the_registry() -> None:
    assert reg.field("crm_deals", "priority").choices == reg.PRIORITIES
    assert set(VIEW_MODELS) == set(reg.VIEWS)
    for view, model in VIEW_MODELS.items():
        assert list(model.model_fields) == reg.columns(view), view
        hints = typing.get_type_hints(model)
        for f in reg.fields_of(view):
            hint = hints[f.name]
            union = typing.get_origin(hint) in (typing.Union, types.UnionType)
            options = {typing.get_origin(a) or a for a in (typing.get_args(hint) if union else (hint,))}
            assert PY_TYPES[f.type] in options, (view, f.name, hint)


def test_view_lists_are_derived() -> None:
    assert {v: [c for c, _ in cols] for v, cols in views.CONTRACT.items()} == {v: reg.columns(v) for v in reg.VIEWS}
    for view in RECORDS:
        assert views.EXT_COLUMNS[view] == [f.name for f in reg.fields_of(view) if f.ext]
        assert views.OPERATIONAL[view] == reg.updatable_by("operational", view)
        assert views.STRATEGIC[view] == reg.updatable_by("strategic", view)


def test_deal_terms_are_strategic() -> None:
    for name in ("name", "amount", "currency", "close_date"):
        f = reg.field("crm_deals", name)
        assert f.owner == "deal_terms" and f.role == "strategic"
        assert name not in views.OPERATIONAL["crm_deals"] and name in views.STRATEGIC["crm_deals"]
        assert WRITABLE["crm_deals"][name] == "strategic"
        assert name in arlo_strategic.strategic_whitelist("crm_deals")


def test_editor_governance_and_arlo_read_the_registry() -> None:
    assert reg.STRATEGIC_FIELDS == ("priority", "strategy_note", "relationship_note", "recontact_at")
    assert reg.PRIORITIES == reg.field("crm_contacts", "priority").choices
    for view in RECORDS:
        assert WRITABLE[view] == {f.name: f.role for f in reg.fields_of(view) if f.proposable and f.role}
        assert set(arlo_strategic.strategic_whitelist(view)) == {
            f.name for f in reg.fields_of(view) if f.role == "strategic"} - {"stage_id"}
    assert set(WRITABLE["client_context"]) == set(reg.CONTEXT_FIELDS)


def test_a_deal_terms_proposal_needs_approval() -> None:
    with pytest.raises(ValueError, match="always requires approval"):
        OracleWritebackProposal(
            proposal_id="p1", target_domain="crm_deals", target_entity_ref="deal:1",
            proposed_change={"amount": 90000}, reasoning_summary="email said so", evidence_refs=["email:1"],
            approval_required=False, source_system="arlo", created_by="arlo", confidence=0.7,
            provenance=Provenance(method="ai"))


async def test_trigger_routing_covers_every_writable_field(conn) -> None:  # type: ignore[no-untyped-def]
    for w in await load_workspaces(conn):
        for view in RECORDS:
            routed = writes._l1_assignments(view, w)
            exprs = views.record_exprs(view, w)
            assert list(exprs) == reg.columns(view)
            for f in reg.fields_of(view):
                if f.writable and not f.ext:
                    assert f.name in routed, (w.schema, view, f.name)
                assert exprs[f.name] != "NULL" or f.name in ("job_title", "city", "linkedin_url", "phone"), f
    assert {k for k in views.READ_OVERRIDES} | {k for k in writes.WRITE_OVERRIDES} <= {
        (f.view, f.name) for f in reg.FIELDS}


async def _privileges(conn, kind: str) -> dict[tuple[str, str, str], bool]:  # type: ignore[no-untyped-def]
    out = {}
    for view in reg.VIEWS:
        for role in reg.WRITE_ROLES:
            for col in reg.columns(view):
                ok = (await (await conn.execute("SELECT has_column_privilege(%s, %s, %s, %s)",
                                                (f"redkey_{role}", f"public.{view}", col, kind))).fetchone())[0]
                out[(view, role, col)] = ok
    return out


async def test_grants_are_exactly_the_registry(conn) -> None:  # type: ignore[no-untyped-def]
    update = await _privileges(conn, "UPDATE")
    insert = await _privileges(conn, "INSERT")
    for (view, role, col), ok in update.items():
        assert ok == (col in reg.updatable_by(role, view)), ("UPDATE", view, role, col)
    for (view, role, col), ok in insert.items():
        assert ok == (col in reg.insertable_by(role, view)), ("INSERT", view, role, col)
    # no table-wide INSERT or UPDATE left on the stable views
    rows = await (await conn.execute(
        "SELECT table_name, grantee, privilege_type FROM information_schema.table_privileges "
        "WHERE table_schema = 'public' AND table_name = ANY(%s) AND privilege_type IN ('INSERT', 'UPDATE') "
        "AND grantee LIKE 'redkey_%%'", (list(reg.VIEWS),))).fetchall()
    assert rows == []


async def test_extension_checks_come_from_the_registry(conn) -> None:  # type: ignore[no-untyped-def]
    for view in RECORDS:
        table = views.EXT_TABLE[view]
        rows = await (await conn.execute(
            "SELECT conname, obj_description(oid, 'pg_constraint') FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND obj_description(oid, 'pg_constraint') LIKE 'registry: %%'",
            (table,))).fetchall()
        expected = {f"{table.split('.')[1]}_{f.name}_check": "registry: " + field_check(f)  # type: ignore[operator]
                    for f in reg.fields_of(view) if f.ext and field_check(f)}
        assert dict(rows) == expected, view
        assert any("priority" in name for name in expected)


async def test_a_priority_outside_the_registry_is_refused_by_the_table(conn) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    with pytest.raises(psycopg.errors.CheckViolation):
        await conn.execute("INSERT INTO redkey.contact_ext (client_id, record_id, priority) "
                           "VALUES ('bezeliq', gen_random_uuid(), 'urgent')")


async def test_operational_role_cannot_touch_deal_terms(store: Store) -> None:
    deal = (await store.crm.search_deals("acme"))[0]
    for name, value in (("name", "Renamed"), ("amount", 1), ("currency", "USD"), ("close_date", "2027-01-01")):
        with pytest.raises(PermissionDenied) as info:
            await store.crm.update_operational("crm_deals", deal.id, **{name: value})
        assert name in str(info.value)
    assert await store.crm.deal(deal.id) == deal
    await store.crm.update_strategic("crm_deals", deal.id, name="Acme — Fleet renewal", amount=51000,
                                 currency="eur", close_date="2027-03-31")
    updated = await store.crm.deal(deal.id)
    assert (updated.name, updated.amount, updated.currency, str(updated.close_date)) == (
        "Acme — Fleet renewal", Decimal("51000.00"), "EUR", "2027-03-31")


async def test_deals_are_created_under_the_strategic_role(store: Store) -> None:
    company = (await store.crm.companies_page(limit=1)).items[0]
    with pytest.raises(PermissionDenied):
        await store.crm.insert_record("crm_deals", {"name": "Sneaky", "company_id": company.id}, role="operational")
    deal = await store.crm.insert_record("crm_deals", {"name": "Müller GmbH – Pilot", "stage_id": "QUALIFY",
                                                   "company_id": company.id, "amount": 12000, "currency": "EUR"})
    assert (deal.name, deal.stage_id, deal.company_id) == ("Müller GmbH – Pilot", "QUALIFY", company.id)


def test_editor_validates_deal_terms_from_the_registry() -> None:
    from types import SimpleNamespace

    from cockpit.errors import ValidationFailed

    current = SimpleNamespace(name="Volta", amount=Decimal("100"), currency="EUR", close_date=None)
    changes = reg.strategic_changes(current, {"amount": "48,000.50", "currency": "usd", "close_date": "2027-02-01"},
                                    view="crm_deals")
    assert changes == {"amount": Decimal("48000.50"), "currency": "USD", "close_date": date(2027, 2, 1)}
    for raw in ({"amount": "lots"}, {"currency": "Euro"}, {"close_date": "31/02/2027"}, {"stage_id": "DEMO"}):
        with pytest.raises(ValidationFailed):
            reg.strategic_changes(current, raw, view="crm_deals")
