"""arlo's answers count in SQL: "who needs a follow-up" says how many there are in all and how many it
lists; a deal's idle days agree between the follow-up answer and the pipeline health report."""

from __future__ import annotations

import re
from datetime import timedelta

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from tests.conftest import FIXED_NOW


async def test_follow_up_answer_counts_everyone_and_idle_days_agree(store, settings, conn) -> None:  # type: ignore[no-untyped-def]
    today = FIXED_NOW.date()
    await conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
    # ten more people due this week (Justin set their recontact dates)
    await conn.execute("UPDATE crm_contacts SET recontact_at = %s WHERE id IN (SELECT id FROM crm_contacts "
                       "WHERE recontact_at IS NULL ORDER BY id LIMIT 10)", (today + timedelta(days=2),))
    cur = await conn.execute(
        "SELECT count(DISTINCT p.id) FROM crm_contacts p WHERE p.recontact_at <= %(t)s::date + 7 OR p.id IN ("
        " SELECT d.contact_id FROM crm_deals d JOIN crm_pipeline s ON s.stage_id = d.stage_id WHERE NOT s.is_closed"
        " AND (d.recontact_at <= %(t)s::date + 7 OR coalesce(d.last_activity_at, d.created_at) < %(t)s::date - %(s)s))",
        {"t": today, "s": settings.stale_days})
    (expected,) = await cur.fetchone()
    assert expected > 15  # more than the answer lists
    arlo = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(), clock=lambda: FIXED_NOW))
    try:
        done = await arlo.run_task((await arlo.tell("who needs a follow-up?", "bezeliq")).id)
    finally:
        await arlo.aclose()
    answer = done.output["answer"]
    assert answer.startswith(f"{expected} people need a follow-up; the 15 most urgent:"), answer
    # idle days: the same count as the health report's for the same deal on the same day
    idle = re.search(r"• [^:]+, (?P<deal>[^:]+): deal idle (?P<days>\d+) days", answer)
    assert idle is not None, answer
    total, rows = await store.arlo.stale_deals({}, 1, now=FIXED_NOW + timedelta(hours=23), limit=100000)
    assert int(idle["days"]) in {r["idle_days"] for r in rows if r["name"] == idle["deal"]}  # names may repeat
