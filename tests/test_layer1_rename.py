"""The stable views' central promise: a Twenty upgrade renames Layer 1 columns, the view definitions are
regenerated, and every store call keeps working unchanged."""

from __future__ import annotations

from typing import Any

import psycopg

from cockpit.db.migrate import migrate
from cockpit.db.views import client_schema
from cockpit.store import Store

# Twenty 1.12 renamed timelineActivity targets, 1.17 noteTarget/taskTarget targets.
RENAMES = [
    ("timelineActivity", "personId", "targetPersonId"),
    ("timelineActivity", "companyId", "targetCompanyId"),
    ("timelineActivity", "opportunityId", "targetOpportunityId"),
    ("noteTarget", "personId", "targetPersonId"),
    ("noteTarget", "companyId", "targetCompanyId"),
    ("noteTarget", "opportunityId", "targetOpportunityId"),
]


async def _every_read(store: Store) -> dict[str, Any]:
    deal = (await store.crm.search_deals("acme"))[0]
    contact = (await store.crm.contacts_page("sarah chen")).items[0]
    return {
        "pipeline": await store.crm.pipeline(),
        "totals": await store.crm.stage_totals(),
        "filtered_totals": await store.crm.stage_totals("acme"),
        "cards": (await store.crm.deal_cards("PROPOSAL", sort="staleness")).items,
        "contacts": (await store.crm.contacts_page(limit=20)).items,
        "search": (await store.crm.contacts_page("sar")).items,
        "companies": (await store.crm.companies_page(limit=20)).items,
        "company_search": (await store.crm.companies_page("meridian")).items,
        "deal": await store.crm.deal(deal.id),
        "contact": await store.crm.contact(contact.id),
        "activities": (await store.activity.activities_page(limit=200)).items,
        "deal_activities": (await store.activity.activities_page(deal_id=deal.id)).items,
        "twenty_activities": (await store.activity.activities_page(sources=["twenty"], limit=200)).items,
    }


async def test_rename_then_regenerate_keeps_every_store_call_working(store: Store, db_url: str) -> None:
    before = await _every_read(store)
    assert before["twenty_activities"] and any(a.deal_id for a in before["twenty_activities"])
    first = (await store.admin.workspaces())[0]
    ws = first.schema_name

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        for table, old, new in RENAMES:
            await conn.execute(f'ALTER TABLE "{ws}"."{table}" RENAME COLUMN "{old}" TO "{new}"')
        await migrate(conn)  # nothing pending: migrate notices Layer 1 changed and regenerates Layer 2
        # the renamed workspace's columns are read in its client's own view (public reads that one)
        own = f"{client_schema(first.client_id)}.crm_activities"
        viewdef = (await (await conn.execute("SELECT pg_get_viewdef(%s::regclass)", (own,))).fetchone())[0]
        assert '"targetPersonId"' in viewdef and '"targetOpportunityId"' in viewdef

    after = await _every_read(store)
    assert after == before

    # writes still route correctly too
    deal = before["deal"]
    await store.crm.move_deal(deal.id, "NEGOTIATE")
    await store.crm.update_strategic("crm_deals", deal.id, priority="low")
    new = await store.crm.insert_record("crm_contacts", {"first_name": "Post", "last_name": "Upgrade"})
    logged = await store.crm.log_activity(kind="note", contact_id=new.id, summary="after the upgrade")
    assert logged is not None
    assert (await store.crm.deal(deal.id)).stage_id == "NEGOTIATE"
    assert (await store.crm.contact(new.id)).last_activity_at is not None
