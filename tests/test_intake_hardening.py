"""The intake app's refusals, in-process over ASGI against the real database: the meeting-notes webhook
bound to per-client secrets, bodies capped, deep JSON, control characters in form fields, malformed
but well-signed Resend events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from cockpit.config import Settings
from cockpit.intake import webhook as quill
from cockpit.store import Store
from cockpit.webhooks.limits import RateLimiter
from cockpit.webhooks.server import MAX_BODY, create_app
from tests.seq_helpers import NOW
from tests.test_seq_webhooks import SECRET, signed

SARAH = "sarah.chen@meridianhealth.com"  # a BezelIQ contact
SECRETS = {"bezeliq": "quill-secret-for-bezeliq", "northwind": "quill-secret-for-northwind"}
DEEP = b"[" * 100_000


def notes(**over: Any) -> dict[str, Any]:
    return {"artifact_type": "InteractionBundle", "bundle_id": "quill-hard-1", "client_ref": SARAH,
            "channel": "meeting", "event_refs": ["quill:evt:1"], "attachments": [],
            "summary": "Intro call. Next step: send the proposal", "occurred_at": "2026-11-19T15:00:00Z",
            "source_system": "quill", "created_by": "quill", "confidence": 0.9,
            "provenance": {"method": "webhook", "source_ref": "quill"}, **over}


def quill_signed(body: bytes, client: str = "bezeliq") -> dict[str, str]:
    return {"X-Quill-Signature": "sha256=" + hmac.new(SECRETS[client].encode(), body, hashlib.sha256).hexdigest(),
            "content-type": "application/json"}


def _app(store: Store, settings: Settings, *, secrets: dict[str, str] | None = SECRETS, **kw: Any):  # type: ignore[no-untyped-def]
    return create_app(store.scoped(None), settings, clock=lambda: NOW.timestamp(),
                      extra_routes=quill.quill_routes(store.scoped(None), secrets=secrets),
                      body_caps={quill.PATH: quill.MAX_BODY}, **kw)


@pytest.fixture
async def http(store: Store, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(store, settings.model_copy(update={"resend_webhook_secret": SECRET}), form_limit=1000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield client


async def _quill_count(store: Store, client: str) -> int:
    return len((await store.scoped(client).activity.activities_page(sources=["quill"], limit=100)).items)


# --- the meeting-notes webhook ------------------------------------------------------------------------

async def test_quill_without_secrets_answers_503_and_writes_nothing(store: Store, settings: Settings) -> None:
    app = _app(store, settings, secrets={})
    body = json.dumps(notes()).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        r = await http.post(quill.PATH, content=body, headers={"X-RedKey-Client": "bezeliq",
                                                              "content-type": "application/json"})
    assert r.status_code == 503 and "COCKPIT_QUILL_WEBHOOK_SECRETS" in r.json()["error"]
    assert await _quill_count(store, "bezeliq") == 0


async def test_quill_client_comes_from_the_secret_never_the_request(http: httpx.AsyncClient, store: Store) -> None:
    body = json.dumps(notes()).encode()
    # the attack: unsigned (or signed with nothing we know) with the victim chosen by header
    r = await http.post(quill.PATH, content=body, headers={"X-RedKey-Client": "bezeliq"})
    assert r.status_code == 401
    r = await http.post(f"{quill.PATH}?client=bezeliq", content=body, headers={
        "X-Quill-Signature": "sha256=" + hmac.new(b"guess", body, hashlib.sha256).hexdigest()})
    assert r.status_code == 401
    assert await _quill_count(store, "bezeliq") == 0
    # Northwind's secret with a header naming BezelIQ: applied as Northwind (where Sarah is no contact)
    r = await http.post(quill.PATH, content=body, headers={**quill_signed(body, "northwind"), "X-RedKey-Client": "bezeliq"})
    assert r.status_code == 404
    assert await _quill_count(store, "bezeliq") == 0 and await _quill_count(store, "northwind") == 0
    # BezelIQ's own secret: recorded for BezelIQ
    r = await http.post(quill.PATH, content=body, headers={**quill_signed(body), "X-RedKey-Client": "northwind"})
    assert r.status_code == 202, r.text
    assert await _quill_count(store, "bezeliq") == 1 and await _quill_count(store, "northwind") == 0


async def test_quill_404_does_not_tell_which_emails_are_contacts(http: httpx.AsyncClient) -> None:
    answers = []
    for ref in ("nobody@nowhere.example", SARAH):  # unknown anywhere / a contact of the other client
        body = json.dumps(notes(bundle_id=f"b-{ref}", client_ref=ref)).encode()
        r = await http.post(quill.PATH, content=body, headers=quill_signed(body, "northwind"))
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert "@" not in answers[0][1]["error"] and "nothing was recorded" in answers[0][1]["error"]


def test_quill_secrets_config_names_clients_and_refuses_shared_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.config import load_settings
    from cockpit.errors import ConfigError

    monkeypatch.setenv("COCKPIT_QUILL_WEBHOOK_SECRETS", json.dumps(SECRETS))
    assert load_settings(_env_file=None).quill_webhook_secrets == SECRETS
    monkeypatch.setenv("COCKPIT_QUILL_WEBHOOK_SECRETS", json.dumps({"a": "same-secret-0123456", "b": "same-secret-0123456"}))
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None)
    assert "share a secret" in str(err.value) and "same-secret" not in str(err.value)


# --- bodies, JSON, fields ---------------------------------------------------------------------------

async def test_declared_content_length_over_the_cap_is_refused_unread(http: httpx.AsyncClient) -> None:
    for path, cap in ((quill.PATH, quill.MAX_BODY), ("/webhooks/resend", MAX_BODY), ("/forms/bezeliq", MAX_BODY)):
        r = await http.post(path, content=b"{" + b" " * cap + b"}", headers={"content-type": "application/json"})
        assert r.status_code == 413 and f"at most {cap} bytes" in r.json()["error"], path


async def test_deeply_nested_json_is_a_400_with_one_line(http: httpx.AsyncClient) -> None:
    r = await http.post("/forms/bezeliq", content=DEEP, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "body: JSON nested too deeply (at most 64 levels)"
    r = await http.post(quill.PATH, content=DEEP, headers=quill_signed(DEEP))
    assert r.status_code == 400 and r.json()["error"] == "body: JSON nested too deeply (at most 64 levels)"
    closed = b"[" * 500 + b"]" * 500  # parses, but deeper than anything we read
    r = await http.post(quill.PATH, content=closed, headers=quill_signed(closed))
    assert r.status_code == 400 and "nested too deeply" in r.json()["error"]


def test_cockpit_intake_refuses_deep_json_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cockpit.cli import _load_extensions, main

    _load_extensions()
    path = tmp_path / "notes.json"
    path.write_bytes(DEEP)
    result = CliRunner().invoke(main, ["intake", str(path)], env={"COCKPIT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert result.output.strip() == "error: notes.json: JSON nested too deeply (at most 64 levels)"


@pytest.mark.parametrize("field", ["email", "first_name", "last_name", "company", "job_title", "phone", "city",
                                   "message", "form", "submission_id"])
async def test_a_control_character_in_any_form_field_is_a_422_naming_it(http: httpx.AsyncClient, store: Store,
                                                                        field: str) -> None:
    good = {"email": "nul.tester@example.com", "first_name": "Nul", "message": "Hi,\nplease call me", "form": "demo"}
    for bad in ("a\x00b", "line\x1bbreak"):
        r = await http.post("/forms/bezeliq", json={**good, field: bad})
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["fields"] and "control characters" in r.json()["fields"][field]
        assert field in r.json()["error"]
    r = await http.post("/forms/bezeliq", content=f"email=nul.tester%40example.com&{field}=x%00y",
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and field in r.json()["fields"]
    assert await store.context.contact_by_email("nul.tester@example.com") is None


async def test_form_message_keeps_line_breaks(http: httpx.AsyncClient) -> None:
    r = await http.post("/forms/bezeliq", json={"email": "lines@example.com", "message": "Hello,\r\n\tthanks"})
    assert r.status_code == 201, r.text


async def test_signed_resend_event_with_an_object_email_id_is_ignored_and_logged(
        http: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    before = await store.db.fetch_value("SELECT count(*) FROM redkey.webhook_events", role="owner")
    caplog.set_level(logging.WARNING, logger="cockpit.webhooks.server")
    for data in ({"email_id": {"$ne": None}}, {"email_id": "e-1", "to": "not-a-list@example.com"},
                 {"email_id": "e-1", "subject": "a\x00b"}, {"email_id": "e-1", "bounce": {"message": "x\x00"}}):
        body, headers = signed({"type": "email.delivered", "created_at": NOW.isoformat(), "data": data})
        r = await http.post("/webhooks/resend", content=body, headers=headers)
        assert r.status_code == 200 and r.json()["outcome"] == "ignored", r.text
    assert "'data.email_id' is not a text" in caplog.text and "NUL" in caplog.text
    assert await store.db.fetch_value("SELECT count(*) FROM redkey.webhook_events", role="owner") == before


# --- the rate limiter ---------------------------------------------------------------------------------

def test_rate_limiter_memory_is_bounded_and_expires_with_time() -> None:
    now = [0.0]
    addresses = [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(30_000)]
    limiter = RateLimiter(5, 60.0, clock=lambda: now[0])
    t0 = time.perf_counter()
    assert all(limiter.check(a) == 0 for a in addresses)  # 30,000 distinct addresses, each once
    assert time.perf_counter() - t0 < 3.0 and len(limiter) == 30_000
    now[0] = 61.0
    assert len(limiter) == 0  # idle addresses are gone one window after their first request

    small = RateLimiter(5, 60.0, clock=lambda: now[0], max_keys=1000)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for a in addresses:
        small.check(a)
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert len(small) == 1000 and grown < 1_000_000  # at most max_keys are kept
    for _ in range(5):
        small.check("198.51.100.7")
    assert 59 < small.check("198.51.100.7") <= 60  # a busy address is still held to the limit
    now[0] = 121.5
    assert small.check("198.51.100.7") == 0
