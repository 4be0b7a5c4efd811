"""Enrichment against a local server speaking People Data Labs' wire format (429 + retry-after, 500s,
404 no match), writing operational fields under the operational role; pipeline health to the inbox."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider, PeopleDataLabsProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from cockpit.errors import PermissionDenied
from cockpit.store import Store
from cockpit.arlo.models import EnrichmentWrite
from tests.pdl_server import API_KEY, PDLServer, Script


def _arlo(store: Store, settings, provider) -> Arlo:
    return Arlo(store, settings, Services(enrichment=provider, parser=RuleBasedParser()))


async def test_enrichment_scan_paces_on_429_and_keeps_going_past_errors(store: Store, settings, conn) -> None:
    contacts = await store.arlo.unenriched_page("crm_contacts", limit=10)
    fail = {c.email for c in contacts[:3]}
    no_match = {c.email for c in contacts[3:5]}
    before = await store.arlo.unenriched_counts()
    script = Script(fail=fail, no_match=no_match, rate_limit_first=1, retry_after="1")
    with PDLServer(script) as server:
        provider = PeopleDataLabsProvider(server.url, API_KEY, max_retries=1, backoff=0.05)
        arlo = _arlo(store, settings, provider)
        task = await store.tasks.create_task("enrichment_scan", created_by="test")
        done = await arlo.run_task(task.id)
        assert done.status == "complete", done.output
        out = done.output
        total = before["contacts"] + before["companies"]
        assert out["scanned"] == total
        assert out["failed"] == 3 and len([e for e in out["errors"] if "HTTP 500" in e]) == 3
        assert out["no_match"] == 2 and out["matched"] == total - 5
        assert out["written"] == total - 3
        assert script.statuses[429] == 1 and provider.waited_seconds >= 0.9  # waited as retry-after said
        assert "waiting on rate limits" in out["summary"]

        # what landed in the database, through the views
        for c in contacts:
            row = await store.crm.contact(c.id)
            if c.email in fail:
                assert row.enriched_at is None and row.linkedin_url is None   # retried next scan
            elif c.email in no_match:
                assert row.enriched_at is not None and row.linkedin_url is None
            else:
                assert row.enriched_at is not None and row.job_title == "Enriched Title"
                assert row.linkedin_url == f"https://linkedin.com/in/{c.email.split('@')[0]}"
                assert row.company_size == "51-200" and row.industry == "computer software"
        acts = await store.activity.activities_page(contact_id=contacts[6].id, kinds=["enrichment"])
        assert len(acts.items) == 1 and acts.items[0].source == "arlo"
        assert (await store.arlo.unenriched_counts()) == {"contacts": 3, "companies": 0}

        # the next scan asks only about the three that failed
        n = len(script.requests)
        again = await arlo.run_task((await store.tasks.create_task("enrichment_scan", created_by="test")).id)
        assert again.output["scanned"] == 3
        assert len(script.requests) - n == 3 * 2  # each failing record: a try and one retry
        await arlo.aclose()


async def test_bad_api_key_blocks_the_scan_with_a_clear_error(store: Store, settings) -> None:
    with PDLServer() as server:
        arlo = _arlo(store, settings, PeopleDataLabsProvider(server.url, "wrong-key"))
        done = await arlo.run_task((await store.tasks.create_task("enrichment_scan", created_by="test")).id)
        await arlo.aclose()
    assert done.status == "blocked" and "refused the API key" in done.output["error"]
    assert (await store.arlo.unenriched_counts())["companies"] > 0


async def test_offline_default_enriches_nothing_and_says_so(store: Store, settings) -> None:
    before = await store.arlo.unenriched_counts()
    arlo = _arlo(store, settings, OfflineProvider())
    done = await arlo.run_task((await store.tasks.create_task("enrichment_scan", created_by="test")).id)
    assert done.status == "complete" and done.output["written"] == 0
    assert "not configured" in done.summary and str(before["contacts"]) in done.summary
    assert await store.arlo.unenriched_counts() == before


async def test_enrichment_write_to_a_strategic_field_is_refused_by_the_database(store: Store) -> None:
    a, b, c = await store.arlo.unenriched_page("crm_contacts", limit=3)
    now = datetime.now(timezone.utc)
    outcome = await store.arlo.write_enrichment("crm_contacts", [
        EnrichmentWrite(a.id, {"enriched_at": now, "industry": "fintech"}, "ok"),
        EnrichmentWrite(b.id, {"enriched_at": now, "priority": "high"}, "strategic: refused"),
        EnrichmentWrite(c.id, {"enriched_at": now, "linkedin_url": "https://linkedin.com/in/c"}, "ok"),
    ])
    assert outcome.written == [a.id, c.id]
    assert "priority" in outcome.failed[b.id] and "may not write" in outcome.failed[b.id]
    assert (await store.crm.contact(b.id)).priority is None and (await store.crm.contact(b.id)).enriched_at is None
    assert (await store.crm.contact(a.id)).industry == "fintech"   # the others were kept
    with pytest.raises(PermissionDenied):
        await store.crm.update_operational("crm_contacts", a.id, relationship_note="not arlo's to write")


async def test_pipeline_health_posts_a_readable_summary_to_the_exec_inbox(store: Store, settings) -> None:
    settings.health_threshold_days = 30
    settings.health_threshold_by_stage = {"Proposal": 40}
    arlo = _arlo(store, settings, OfflineProvider())
    now = {"now": "2026-11-20T00:00:00+00:00"}  # the demo data's "now"
    done = await arlo.run_task((await store.tasks.create_task("pipeline_health", created_by="test", params=now)).id)
    assert done.status == "complete", done.output
    inbox = await store.tasks.exec_inbox()
    assert inbox and inbox[0].task_id == done.id and inbox[0].title == done.summary
    names = [d["name"] for d in done.output["deals"]]
    assert "Acme — Fleet Analytics" in names                     # 41 days idle in Proposal (> 40)
    assert all(d["idle_days"] >= 30 for d in done.output["deals"])  # whole days; the threshold is exceeded
    assert "idle" in inbox[0].body and "Acme — Fleet Analytics" in inbox[0].body
    settings.health_threshold_by_stage = {"PROPOSAL": 60}           # keyed by stage id, Acme now fine
    again = await arlo.run_task((await store.tasks.create_task("pipeline_health", created_by="test", params=now)).id)
    assert "Acme — Fleet Analytics" not in [d["name"] for d in again.output["deals"]]



async def test_provider_paces_itself_when_the_window_is_used_up(store: Store) -> None:
    """x-ratelimit-remaining: 0 with x-ratelimit-reset: the next call waits for the reset, no 429 needed."""
    a, b = await store.arlo.unenriched_page("crm_contacts", limit=2)
    script = Script(exhaust_once=True)
    with PDLServer(script) as server:
        provider = PeopleDataLabsProvider(server.url, API_KEY)
        first = await provider.enrich_person(a, None)
        second = await provider.enrich_person(b, None)
        await provider.aclose()
    assert first.matched and second.matched and first.likelihood == 8
    assert first.fields["linkedin_url"].startswith("https://linkedin.com/in/")
    assert provider.waited_seconds >= 0.9 and script.statuses[429] == 0
