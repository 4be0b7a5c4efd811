"""The optional LLM path against a local server speaking Anthropic's Messages API wire format."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.llm import LLMInstructionParser
from cockpit.arlo.runner import Arlo
from cockpit.store import Store
from tests.conftest import FIXED_NOW

KEY = "sk-ant-test"
# What the fake model answers for each instruction (the JSON the parser prompt asks for).
ANSWERS = {
    "Sarah at Meridian is key — make her high priority, she's our CFO champion": {
        "action": "update", "target_kind": "contact", "target": "Sarah", "company_hint": "Meridian",
        "priority": "high", "note": "CFO champion", "recontact": None, "stage": None, "question": None},
    "Let's circle back with Acme's fleet deal after the summer": {
        "action": "update", "target_kind": "deal", "target": "Acme Fleet Analytics", "company_hint": None,
        "priority": None, "note": None, "recontact": "September", "stage": None, "question": None},
    "do the thing": {"action": "unknown", "question": "Which record, and what should change?"},
    # the current answer shape: several changes, on several records
    "volta's in negotiation now, worth 80k — and ping Priya end of Q1": {
        "targets": [{"name": "Volta Energy — Pilot", "kind": "deal", "company": None},
                    {"name": "Priya", "kind": "contact", "company": None}],
        "changes": [{"target": 0, "field": "stage", "value": "negotiation"},
                    {"target": 1, "field": "recontact", "value": "end of Q1"}],
        "question": None},
    # the model picks a stage and a person the client does not have as one: same rule, a question
    "Stanton is lost": {"targets": [{"name": "Volta", "kind": "deal", "company": None}],
                        "changes": [{"target": 0, "field": "stage", "value": "Closed Lost"}], "question": None},
    "make Sarah high priority": {"targets": [{"name": "Sarah", "kind": "contact", "company": None}],
                                 "changes": [{"target": 0, "field": "priority", "value": "high"}], "question": None},
}


class FakeAnthropic:
    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if self.path != "/v1/messages" or self.headers.get("x-api-key") != KEY:
                    return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                                       "message": "invalid x-api-key"}})
                if status != 200:
                    return self._send(status, {"type": "error", "error": {"type": "overloaded_error",
                                                                          "message": "Overloaded"}})
                user = body["messages"][0]["content"]
                if user in ANSWERS:
                    text = "```json\n" + json.dumps(ANSWERS[user]) + "\n```"
                else:  # an ad-hoc query: phrase the facts
                    text = "Here is what I found: " + user.split("Facts (from the CRM):\n", 1)[-1][:80]
                self._send(200, {"id": "msg_01", "type": "message", "role": "assistant", "model": body["model"],
                                 "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                                 "usage": {"input_tokens": 1000, "output_tokens": 200}})

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


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
    sarah = (await store.contacts_page("sarah chen")).items[0]
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
    deal = next(d for d in await store.search_deals("acme", 10) if d.name == "Acme — Fleet Analytics")
    assert deal.recontact_at.isoformat() == "2027-09-01"
    await arlo.aclose()


async def test_llm_question_and_errors_write_nothing(store: Store, settings, fake) -> None:
    before = (await store.contacts_page("sarah chen")).items[0]
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
    assert (await store.contacts_page("sarah chen")).items[0] == before


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
        deal = next(d for d in await store.search_deals("volta", 5) if d.name == "Volta Energy — Pilot")
        priya = (await store.contacts_page("priya raman")).items[0]
        assert deal.stage_id == "NEGOTIATE" and priya.recontact_at.isoformat() == "2027-03-31"
        lost = await arlo.run_task((await arlo.tell("Stanton is lost", "bezeliq")).id)
        assert lost.status == "blocked" and "no lost stage" in lost.output["question"]
        sarah = await arlo.run_task((await arlo.tell("make Sarah high priority", "bezeliq")).id)
        assert sarah.status == "blocked" and "Sarah Okafor" in sarah.output["question"]
        assert (await store.contacts_page("sarah okafor")).items[0].priority is None
    finally:
        await arlo.aclose()
