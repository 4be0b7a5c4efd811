"""The optional LLM path against a local server speaking Anthropic's Messages API wire format."""

from __future__ import annotations

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.llm import LLMInstructionParser
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from tests.anthropic_fake import KEY, FakeAnthropic
from tests.conftest import FIXED_NOW


@pytest.fixture
def fake():
    f = FakeAnthropic()
    yield f
    f.close()


async def _arlo(store: Store, settings, url: str) -> Arlo:
    settings.anthropic_api_key = KEY
    settings.anthropic_base_url = url
    services = Services.from_settings(settings, clock=lambda: FIXED_NOW)
    assert isinstance(services.parser, LLMInstructionParser)
    return Arlo(store, settings, services)


async def test_llm_parser_writes_strategic_fields_and_records_cost(store: Store, settings, fake) -> None:
    arlo = await _arlo(store, settings, fake.url)
    done = await arlo.run_task((await arlo.tell(
        "Sarah at Meridian is key — make her high priority, she's our CFO champion", "bezeliq")).id)
    assert done.status == "complete", done.output
    sarah = (await store.crm.contacts_page("sarah chen")).items[0]
    assert sarah.priority == "high"
    assert sarah.relationship_note == "Strong champion; CFO relationship\n2026-11-20: CFO champion"  # appended
    assert float(done.cost_usd) == pytest.approx((1000 * 3 + 200 * 15) / 1e6)
    headers, body = fake.requests[0]
    assert headers["anthropic-version"] == "2023-06-01" and headers["x-api-key"] == KEY
    assert body["model"] == settings.anthropic_model and body["max_tokens"] > 0
    assert "2026-11-20" in body["system"] and body["messages"][0]["role"] == "user"
    await arlo.aclose()


async def test_llm_dates_are_read_by_our_rules(store: Store, settings, fake) -> None:
    arlo = await _arlo(store, settings, fake.url)
    # the test demo has two Acme deals; the LLM named the fleet one
    done = await arlo.run_task((await arlo.tell("Let's circle back with Acme's fleet deal after the summer",
                                                "bezeliq")).id)
    assert done.status == "complete", done.output
    deal = next(d for d in await store.crm.search_deals("acme", 10) if d.name == "Acme — Fleet Analytics")
    assert deal.recontact_at.isoformat() == "2027-09-01"
    await arlo.aclose()


async def test_llm_question_and_errors_write_nothing(store: Store, settings, fake) -> None:
    before = (await store.crm.contacts_page("sarah chen")).items[0]
    arlo = await _arlo(store, settings, fake.url)
    asked = await arlo.run_task((await arlo.tell("do the thing", "bezeliq")).id)
    assert asked.status == "blocked" and "Which record" in asked.output["question"]
    await arlo.aclose()
    down = FakeAnthropic(status=529)
    try:
        arlo = await _arlo(store, settings, down.url)
        failed = await arlo.run_task((await arlo.tell("Mark Sarah at Meridian as a priority", "bezeliq")).id)
        await arlo.aclose()
    finally:
        down.close()
    assert failed.status == "blocked" and "HTTP 529" in failed.output["error"]
    assert len(down.requests) == 3  # one try + two retries
    assert (await store.crm.contacts_page("sarah chen")).items[0] == before


async def test_llm_phrases_adhoc_answers_from_our_facts(store: Store, settings, fake) -> None:
    arlo = await _arlo(store, settings, fake.url)
    done = await arlo.run_task((await arlo.tell("summarise the pipeline", "bezeliq")).id)
    assert done.status == "complete"
    assert done.output["answer"].startswith("Here is what I found: Pipeline:")
    assert "Facts (from the CRM)" in fake.requests[-1][1]["messages"][0]["content"]
    await arlo.aclose()


async def test_llm_intents_go_through_the_same_resolution_and_rule(store: Store, settings, fake) -> None:
    arlo = await _arlo(store, settings, fake.url)
    try:
        done = await arlo.run_task((await arlo.tell("volta's in negotiation now, worth 80k — and ping Priya end of Q1",
                                                    "bezeliq")).id)
        assert done.status == "complete", done.output
        assert done.output["parser"] == "llm"
        deal = next(d for d in await store.crm.search_deals("volta", 5) if d.name == "Volta Energy — Pilot")
        priya = (await store.crm.contacts_page("priya raman")).items[0]
        assert deal.stage_id == "NEGOTIATE" and priya.recontact_at.isoformat() == "2027-03-31"
        lost = await arlo.run_task((await arlo.tell("Stanton is lost", "bezeliq")).id)
        assert lost.status == "blocked" and "no lost stage" in lost.output["question"]
        sarah = await arlo.run_task((await arlo.tell("make Sarah high priority", "bezeliq")).id)
        assert sarah.status == "blocked" and "Sarah Okafor" in sarah.output["question"]
        assert (await store.crm.contacts_page("sarah okafor")).items[0].priority is None
    finally:
        await arlo.aclose()
