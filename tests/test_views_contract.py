"""Layer 2's contract: exact columns, typed models, writable views, read-only crm_pipeline, crm_move_deal."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from cockpit.db.views import CONTRACT
from cockpit.fields import VIEWS, fields_of
from cockpit.errors import NotFound, ValidationFailed
from cockpit.store import Store

async def test_view_columns_are_exactly_the_registry(conn) -> None:  # type: ignore[no-untyped-def]
    """The catalog's view columns are the field registry's, in order (the models pin them: see
    test_field_registry)."""
    for view in VIEWS:
        rows = await (await conn.execute(
            "SELECT a.attname, replace(format_type(a.atttypid, a.atttypmod), 'timestamp with time zone',"
            " 'timestamptz') FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (f"public.{view}",))).fetchall()
        assert [tuple(r) for r in rows] == [(f.name, f.type) for f in fields_of(view)], view
        assert CONTRACT[view] == [(f.name, f.type) for f in fields_of(view)]


async def test_writes_route_to_layer1_and_extension(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    company = await store.crm.insert_record("crm_companies", {"name": "Quill & Co", "domain": "quill.co"})
    contact = await store.crm.insert_record("crm_contacts", {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ADA@Quill.co", "company_id": company.id,
        "enriched_at": "2026-11-01T00:00:00Z", "industry": "SaaS"})
    assert contact.full_name == "Ada Lovelace" and contact.email == "ada@quill.co"
    assert contact.industry == "SaaS" and contact.enriched_at is not None
    assert company.domain == "quill.co"
    # Layer 1 got Twenty's representation (URL, lower-cased email) and the extension table got the rest
    ws = (await (await conn.execute(
        "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone())[0]
    row = await (await conn.execute(
        f'SELECT "emailsPrimaryEmail", "companyId" FROM "{ws}".person WHERE id = %s', (contact.id,))).fetchone()
    assert row == ("ada@quill.co", company.id)
    url = (await (await conn.execute(
        f'SELECT "domainNamePrimaryLinkUrl" FROM "{ws}".company WHERE id = %s', (company.id,))).fetchone())[0]
    assert url == "https://quill.co"
    ext = await (await conn.execute(
        "SELECT industry FROM redkey.contact_ext WHERE client_id = 'bezeliq' AND record_id = %s",
        (contact.id,))).fetchone()
    assert ext == ("SaaS",)


async def test_delete_is_a_soft_delete(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    page = await store.crm.contacts_page(limit=1)
    victim = page.items[0]
    async with store.db.tx("owner") as c:
        await c.execute("DELETE FROM crm_contacts WHERE id = %s", (victim.id,))
    with pytest.raises(NotFound):
        await store.crm.contact(victim.id)
    ws = (await (await conn.execute(
        "SELECT schema_name FROM redkey.workspaces WHERE client_id = 'bezeliq'")).fetchone())[0]
    deleted = (await (await conn.execute(
        f'SELECT "deletedAt" IS NOT NULL FROM "{ws}".person WHERE id = %s', (victim.id,))).fetchone())[0]
    assert deleted


async def test_pipeline_is_read_only(store: Store) -> None:
    for role in ("owner", "operational", "strategic"):
        with pytest.raises(Exception) as info:
            async with store.db.tx(role) as c:  # type: ignore[arg-type]
                await c.execute("UPDATE crm_pipeline SET label = 'x'")
        assert "crm_pipeline" in str(info.value) or "permission" in str(info.value).lower()
    assert [s.label for s in await store.crm.pipeline()][:2] == ["Prospect", "Qualify"]


async def test_pipeline_stages_in_order_with_closed_flags(store: Store) -> None:
    stages = await store.crm.pipeline()
    assert [s.stage_id for s in stages] == ["PROSPECT", "QUALIFY", "DEMO", "PROPOSAL", "NEGOTIATE", "CLOSE", "ONBOARD"]
    assert [s.position for s in stages] == list(range(7))
    assert {s.stage_id for s in stages if s.is_closed} == {"CLOSE", "ONBOARD"}
    northwind = await store.scoped("northwind").crm.pipeline()
    assert [s.stage_id for s in northwind] == ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"]


async def test_move_deal_validates_and_logs_stage_change(store: Store) -> None:
    deal = (await store.crm.search_deals("volta"))[0]
    assert deal.stage_id == "PROPOSAL"
    result = await store.crm.move_deal(deal.id, "NEGOTIATE")
    assert (result.from_stage, result.to_stage) == ("PROPOSAL", "NEGOTIATE")
    assert (await store.crm.deal(deal.id)).stage_id == "NEGOTIATE"
    acts = (await store.activity.activities_page(deal_id=deal.id, kinds=["stage_change"])).items
    assert len(acts) == 1
    assert acts[0].properties["from"] == "PROPOSAL" and acts[0].properties["to"] == "NEGOTIATE"
    assert acts[0].subject == f"{deal.name}: Proposal → Negotiation"  # labels for people, ids in properties
    assert acts[0].source == "cockpit"

    with pytest.raises(ValidationFailed) as info:
        await store.crm.move_deal(deal.id, "WON")
    assert "unknown stage WON" in str(info.value) and "NEGOTIATE" in str(info.value)
    # a Northwind stage is unknown for BezelIQ
    with pytest.raises(ValidationFailed):
        await store.crm.move_deal(deal.id, "CUSTOMER")
    assert (await store.crm.deal(deal.id)).stage_id == "NEGOTIATE"
    assert len((await store.activity.activities_page(deal_id=deal.id, kinds=["stage_change"])).items) == 1


async def test_move_unknown_deal(store: Store) -> None:
    import uuid

    with pytest.raises(NotFound):
        await store.crm.move_deal(uuid.uuid4(), "DEMO")


async def test_activity_dedupe_and_last_activity(store: Store) -> None:
    contact = (await store.crm.contacts_page("sarah chen")).items[0]
    first = await store.crm.log_activity(kind="email_received", channel="email", direction="inbound",
                                     subject="Re: security", contact_id=contact.id, source="resend",
                                     external_id="msg-1", occurred_at="2026-11-21T10:00:00Z")
    assert first is not None
    again = await store.crm.log_activity(kind="email_received", channel="email", direction="inbound",
                                     subject="Re: security", contact_id=contact.id, source="resend",
                                     external_id="msg-1", occurred_at="2026-11-21T10:00:00Z")
    assert again is None
    fresh = await store.crm.contact(contact.id)
    assert fresh.last_activity_at is not None and fresh.last_activity_at.isoformat().startswith("2026-11-21T10:00")
    # older activities never move last_activity_at backwards
    await store.crm.log_activity(kind="note", contact_id=contact.id, occurred_at="2020-01-01T00:00:00Z")
    assert (await store.crm.contact(contact.id)).last_activity_at == fresh.last_activity_at


async def test_twenty_rows_are_read_only_through_crm_activities(store: Store) -> None:
    twenty = (await store.activity.activities_page(sources=["twenty"], limit=1)).items
    assert twenty, "demo data has Twenty timeline rows"
    with pytest.raises(Exception) as info:
        await store.crm.update_record("crm_activities", twenty[0].id, {"summary": "x"}, role="operational")
    assert "read-only" in str(info.value)


async def test_bad_values_are_refused_and_nothing_changes(store: Store) -> None:
    contact = (await store.crm.contacts_page(limit=1)).items[0]
    with pytest.raises(ValidationFailed):
        await store.crm.update_strategic("crm_contacts", contact.id, recontact_at="next tuesday-ish")
    with pytest.raises(ValidationFailed):
        await store.crm.update_strategic("crm_contacts", contact.id, priority="urgent!!")
    with pytest.raises(ValidationFailed):
        await store.crm.update_strategic("crm_contacts", contact.id, no_such_field=1)
    after = await store.crm.contact(contact.id)
    assert (after.priority, after.recontact_at) == (contact.priority, contact.recontact_at)


async def test_duplicate_email_is_a_clear_error(store: Store) -> None:
    with pytest.raises(ValidationFailed) as info:
        await store.crm.insert_record("crm_contacts", {"first_name": "Dup", "email": "sarah.chen@meridianhealth.com"})
    assert "duplicate" in str(info.value)
    assert not isinstance(info.value, psycopg.Error)


async def test_stage_changes_logged_with_ids_are_relabelled(store: Store, conn: Any) -> None:
    """Migration 1020: a stage change logged the old way ("PROPOSAL → NEGOTIATE") reads with the client's
    labels afterwards; the ids stay in its properties; a Northwind move gets Northwind's labels."""
    from importlib import resources

    deal = (await store.crm.search_deals("volta"))[0]
    await conn.execute(
        "INSERT INTO redkey.activities (client_id, kind, channel, direction, subject, deal_id, source, properties) "
        "VALUES ('bezeliq', 'stage_change', 'cockpit', 'internal', %s, %s, 'cockpit', "
        "'{\"from\": \"PROPOSAL\", \"to\": \"NEGOTIATE\"}'),"
        " ('northwind', 'stage_change', 'cockpit', 'internal', 'Old deal: NEW → MEETING', NULL, 'cockpit', "
        "'{\"from\": \"NEW\", \"to\": \"MEETING\"}'),"
        " ('bezeliq', 'stage_change', 'cockpit', 'internal', 'Gone: PROPOSAL → RETIRED', NULL, 'cockpit', "
        "'{\"from\": \"PROPOSAL\", \"to\": \"RETIRED\"}')",
        (f"{deal.name}: PROPOSAL → NEGOTIATE", deal.id))
    sql = resources.files("cockpit.db").joinpath("migrations/1020_stage_change_labels.sql").read_text(encoding="utf-8")
    async with conn.transaction():
        await conn.execute(sql)
    rows = dict(await (await conn.execute(
        "SELECT subject, properties ->> 'to' FROM redkey.activities WHERE kind = 'stage_change' "
        "AND properties ->> 'to' IN ('NEGOTIATE', 'MEETING', 'RETIRED')")).fetchall())
    assert rows == {f"{deal.name}: Proposal → Negotiation": "NEGOTIATE", "Old deal: New → Meeting": "MEETING",
                    "Gone: Proposal → RETIRED": "RETIRED"}, rows
