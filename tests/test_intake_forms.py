"""Website form intake: validation (422 per field), rate limiting (429 + Retry-After), new contacts tagged
with source 'form', no duplicate contacts; and the intake app served by uvicorn on a real local port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn

from cockpit.config import Settings
from cockpit.webhooks.server import create_app
from cockpit.store import Store
from tests.seq_helpers import NOW


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def http(store: Store, settings: Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(store.scoped(None), settings, clock=lambda: NOW.timestamp(), form_limit=3, form_window=60,
                     limiter_clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield client


@pytest.mark.pooled
async def test_form_creates_a_contact_tagged_form(http: httpx.AsyncClient, store: Store) -> None:
    r = await http.post("/forms/bezeliq", json={"email": "New.Lead@Example.com", "first_name": "Nia",
                                                "last_name": "Okoro", "company": "Okoro Freight",
                                                "message": "Please call me", "form": "pricing"})
    assert r.status_code == 201 and r.json()["created"] is True
    contact = await store.crm.contact(r.json()["contact_id"])
    assert (contact.first_name, contact.last_name, contact.email) == ("Nia", "Okoro", "new.lead@example.com")
    assert (await store.sequences.email_prefs(contact.id))["lead_source"] == "form"
    acts = await store.db.fetch_dicts("SELECT kind, source, summary, properties FROM crm_activities WHERE contact_id = %s",
                                   (contact.id,))
    assert [(a["kind"], a["source"]) for a in acts] == [("form_submission", "form")]
    assert acts[0]["properties"]["form"] == "pricing" and acts[0]["summary"] == "Please call me"
    # The same address again: logged on the same contact, no duplicate contact.
    again = await http.post("/forms/bezeliq", data={"email": "new.lead@example.com", "message": "Still keen"})
    assert again.status_code == 200 and again.json() == {"ok": True, "contact_id": str(contact.id), "created": False}
    assert await store.db.fetch_value("SELECT count(*) FROM crm_contacts WHERE lower(email) = 'new.lead@example.com'") == 1
    # Northwind's scope never sees BezelIQ's lead.
    other = store.scoped("northwind")
    assert await other.db.fetch_value("SELECT count(*) FROM crm_contacts WHERE email = 'new.lead@example.com'") == 0


async def test_form_validation_errors_are_specific(store: Store, settings: Settings) -> None:
    app = create_app(store.scoped(None), settings, clock=lambda: NOW.timestamp(), form_limit=100)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        await _validation(http, store)


async def _validation(http: httpx.AsyncClient, store: Store) -> None:
    before = await store.db.fetch_value("SELECT count(*) FROM crm_contacts")
    r = await http.post("/forms/bezeliq", json={"first_name": "No email"})
    assert r.status_code == 422 and r.json()["fields"] == {"email": "required"}
    r = await http.post("/forms/bezeliq", json={"email": "not-an-email", "first_name": "x" * 101,
                                                "last_name": "<script>", "phone": 12})
    assert r.status_code == 422
    assert r.json()["fields"] == {"email": "not a valid email address", "first_name": "at most 100 characters",
                                  "last_name": "contains characters that are not allowed", "phone": "must be text"}
    assert (await http.post("/forms/bezeliq", content=b"{oops", headers={"content-type": "application/json"})).status_code == 400
    assert (await http.post("/forms/bezeliq", content=b"x", headers={"content-type": "text/plain"})).status_code == 415
    assert (await http.post("/forms/bezeliq", json=["a"])).status_code == 422
    r = await http.post("/forms/nosuchclient", json={"email": "a@example.com"})
    assert r.status_code == 404 and "unknown client" in r.json()["error"]
    big = await http.post("/forms/bezeliq", json={"email": "a@example.com", "message": "x" * 300_000})
    assert big.status_code == 413
    honeypot = await http.post("/forms/bezeliq", json={"email": "bot@example.com", "website": "http://spam"})
    assert honeypot.status_code == 202
    assert await store.db.fetch_value("SELECT count(*) FROM crm_contacts") == before


async def test_form_rate_limit(http: httpx.AsyncClient, clock: Clock) -> None:
    for i in range(3):
        r = await http.post("/forms/bezeliq", json={"email": f"lead{i}@example.com"})
        assert r.status_code == 201
    limited = await http.post("/forms/bezeliq", json={"email": "lead9@example.com"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    clock.t += 61
    assert (await http.post("/forms/bezeliq", json={"email": "lead9@example.com"})).status_code == 201


@pytest.fixture
def served(store: Store, settings: Settings) -> Iterator[str]:
    """The intake app on a real local port, as `cockpit webhooks` serves it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(store.scoped(None), settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    # The store's pool belongs to the test's event loop, so serve on that loop too (see the test).
    yield f"http://127.0.0.1:{port}", server, sock  # type: ignore[misc]
    server.should_exit = True


async def test_intake_on_a_real_port(served) -> None:  # type: ignore[no-untyped-def]
    url, server, sock = served
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while not server.started:
            assert asyncio.get_running_loop().time() < deadline and not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).json() == {"ok": True}
            r = await client.post("/forms/bezeliq", json={"email": "port.test@example.com"})
            assert r.status_code == 201
            unsigned = await client.post("/webhooks/resend", content=b"{}")
            assert unsigned.status_code == 503  # no secret configured in these settings
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def test_cockpit_webhooks_command_serves(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`cockpit webhooks` as a user starts it: a real process on a real port."""
    import os
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update({"COCKPIT_DATABASE_URL": db_url, "COCKPIT_DATA_DIR": str(tmp_path)})
    proc = subprocess.Popen([sys.executable, "-m", "cockpit", "webhooks", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.1)
        r = httpx.post(f"http://127.0.0.1:{port}/forms/bezeliq", json={"email": "cli.lead@example.com"})
        assert r.status_code == 201 and r.json()["created"] is True
        assert httpx.post(f"http://127.0.0.1:{port}/webhooks/resend", content=b"{}").status_code == 503
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert "intake on http://127.0.0.1" in out and "COCKPIT_RESEND_WEBHOOK_SECRET is not set" in out
    assert "Traceback" not in err
