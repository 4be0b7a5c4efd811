"""Resend webhooks (Svix signatures, replays, out-of-order delivery), stop rules (reply, bounce,
complaint, unsubscribe) and reconciliation of unknown outcomes — through the intake app."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from cockpit.config import Settings
from cockpit.webhooks.server import create_app
from cockpit.email.svix import sign
from cockpit.sequences.step import sequence_step
from cockpit.store import Store
from tests.resend_fake import FakeResend
from tests.seq_helpers import no_demo_sequences, NOW, enroll_many

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
SENDER = "justin@bezeliq.com"


@pytest.fixture
def fake() -> Iterator[FakeResend]:
    with FakeResend() as server:
        yield server


@pytest.fixture
def online(settings: Settings, fake: FakeResend) -> Settings:
    return settings.model_copy(update={"resend_api_key": fake.api_key, "resend_base_url": fake.url,
                                       "resend_webhook_secret": SECRET})


@pytest.fixture
async def http(store: Store, online: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(store.scoped(None), online, clock=lambda: NOW.timestamp())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield client


def signed(event: dict[str, Any], *, msg_id: str | None = None, at: float | None = None,
           secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    msg_id = msg_id or f"msg_{uuid4().hex}"
    stamp = str(int(NOW.timestamp() if at is None else at))
    return body, {"svix-id": msg_id, "svix-timestamp": stamp, "svix-signature": sign(secret, msg_id, stamp, body),
                  "content-type": "application/json"}


def event(kind: str, email: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {"type": kind, "created_at": NOW.isoformat(),
            "data": {"email_id": email["id"], "from": email["from"], "to": email["to"], "subject": email["subject"],
                     "tags": {t["name"]: t["value"] for t in email["tags"]}, **data}}


async def post(http: httpx.AsyncClient, ev: dict[str, Any], **kw: Any) -> httpx.Response:
    body, headers = signed(ev, **kw)
    return await http.post("/webhooks/resend", content=body, headers=headers)


async def sent_emails(store: Store, online: Settings, fake: FakeResend, n: int) -> list[dict[str, Any]]:
    await enroll_many(store, n, sender=f"Justin <{SENDER}>")
    assert (await sequence_step(store, online, now=NOW)).sent == n
    return fake.sent


async def counts(store: Store) -> tuple[int, int]:
    events = await store.db.fetch_value("SELECT count(*) FROM redkey.webhook_events", role="owner")
    acts = await store.db.fetch_value("SELECT count(*) FROM crm_activities WHERE source = 'resend'")
    return int(events), int(acts)


async def contact_of(store: Store, email: dict[str, Any]) -> UUID:
    rows = await store.db.fetch_dicts("SELECT id FROM crm_contacts WHERE email = %s", (email["to"][0],))
    return rows[0]["id"]


async def test_signature_good_bad_stale_and_missing(store: Store, online: Settings, fake: FakeResend,
                                                    http: httpx.AsyncClient) -> None:
    [email] = await sent_emails(store, online, fake, 1)
    before = await counts(store)
    ev = event("email.delivered", email)
    body, headers = signed(ev)
    bad = dict(headers, **{"svix-signature": "v1," + base64.b64encode(b"x" * 32).decode()})
    assert (await http.post("/webhooks/resend", content=body, headers=bad)).status_code == 401
    tampered = body.replace(b"email.delivered", b"email.bounced")
    assert (await http.post("/webhooks/resend", content=tampered, headers=headers)).status_code == 401
    wrong_key = signed(ev, secret="whsec_" + base64.b64encode(b"another-secret-another-secret!!").decode())
    assert (await http.post("/webhooks/resend", content=wrong_key[0], headers=wrong_key[1])).status_code == 401
    stale = signed(ev, at=NOW.timestamp() - 301)
    r = await http.post("/webhooks/resend", content=stale[0], headers=stale[1])
    assert r.status_code == 401 and "tolerance" in r.json()["error"]
    future = signed(ev, at=NOW.timestamp() + 301)
    assert (await http.post("/webhooks/resend", content=future[0], headers=future[1])).status_code == 401
    assert (await http.post("/webhooks/resend", content=body, headers={"content-type": "application/json"})).status_code == 401
    assert await counts(store) == before, "a refused webhook writes nothing"
    # Several signatures (key rotation): one valid v1 among them is enough.
    headers["svix-signature"] = "v1,bm9wZQ== " + headers["svix-signature"]
    ok = await http.post("/webhooks/resend", content=body, headers=headers)
    assert ok.status_code == 200 and ok.json()["outcome"] == "recorded"
    status = await store.db.fetch_value("SELECT delivery_status FROM redkey.email_outbox WHERE resend_email_id = %s",
                                     (email["id"],))
    assert status == "delivered"


@pytest.mark.pooled
async def test_replayed_and_out_of_order_webhooks(store: Store, online: Settings, fake: FakeResend,
                                                  http: httpx.AsyncClient) -> None:
    [email] = await sent_emails(store, online, fake, 1)
    cid = await contact_of(store, email)
    opens_before = (await store.crm.contact(cid)).open_count
    opened = event("email.opened", email)
    first = await post(http, opened, msg_id="msg_open_1")
    replay = await post(http, opened, msg_id="msg_open_1")  # Svix retries keep the svix-id
    assert first.json()["outcome"] == "recorded" and replay.json()["outcome"] == "duplicate"
    assert (await store.crm.contact(cid)).open_count == opens_before + 1
    # delivered arrives after opened: recorded as a fact, but the status never moves backwards.
    assert (await post(http, event("email.delivered", email))).status_code == 200
    assert await store.db.fetch_value("SELECT delivery_status FROM redkey.email_outbox WHERE resend_email_id = %s",
                                   (email["id"],)) == "opened"
    # email.sent from the webhook is the same fact the step already logged: one activity, not two.
    await post(http, event("email.sent", email))
    kinds = await store.db.fetch_dicts("SELECT kind, count(*)::int AS n FROM crm_activities WHERE contact_id = %s "
                                    "AND source = 'resend' GROUP BY kind", (cid,))
    assert {r["kind"]: r["n"] for r in kinds} == {"email_sent": 1, "email_opened": 1, "email_delivered": 1}
    # A second genuine open (new svix-id) counts again.
    await post(http, opened)
    assert (await store.crm.contact(cid)).open_count == opens_before + 2


async def test_unmatched_and_unknown_events_are_acknowledged(http: httpx.AsyncClient, store: Store) -> None:
    r = await post(http, {"type": "email.delivered", "created_at": NOW.isoformat(), "data": {"email_id": "nope"}})
    assert r.status_code == 200 and r.json()["outcome"] == "unmatched"
    r = await post(http, {"type": "domain.updated", "created_at": NOW.isoformat(), "data": {}})
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    body, headers = signed({"no": "type"})  # signed but malformed: acknowledged (a 4xx/5xx is retried forever)
    r = await http.post("/webhooks/resend", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["outcome"] == "ignored" and "type" in r.json()["reason"]


async def test_stop_on_reply_but_not_on_auto_reply_or_own_copy(store: Store, online: Settings, fake: FakeResend,
                                                               http: httpx.AsyncClient) -> None:
    emails = await sent_emails(store, online, fake, 3)
    replier, auto, other = emails
    # A copy of our own mail (from us, to the contact) must not count as a reply (warmbly #549).
    own = {"type": "email.received", "created_at": NOW.isoformat(),
           "data": {"email_id": "in_0", "from": f"Justin <{SENDER}>", "to": replier["to"], "subject": "Re: hi"}}
    assert (await post(http, own)).json()["outcome"] == "unmatched"
    ooo = {"type": "email.received", "created_at": NOW.isoformat(),
           "data": {"email_id": "in_1", "from": auto["to"][0], "to": [SENDER], "subject": "Out of Office: back Monday"}}
    assert "continues" in (await post(http, ooo)).json()["outcome"]
    reply = {"type": "email.received", "created_at": NOW.isoformat(),
             "data": {"email_id": "in_2", "from": f"Someone <{replier['to'][0]}>", "to": [SENDER],
                      "subject": "Re: Quick question"}}
    r = await post(http, reply)
    assert r.json()["outcome"] == "stopped 1 enrollment(s): replied"
    statuses = {r["email"]: (r["status"], r["status_reason"]) for r in await store.db.fetch_dicts(
        "SELECT c.email, e.status, e.status_reason FROM crm_sequence_contacts e JOIN crm_contacts c "
        "ON c.id = e.contact_id")}
    assert statuses[replier["to"][0]] == ("complete", "replied")
    assert statuses[auto["to"][0]][0] == "active" and statuses[other["to"][0]][0] == "active"
    # arlo learnt from the reply: the contact's client context has a thread that needs a reply
    context = await store.db.fetch_value(
        "SELECT context_json FROM crm_client_context x JOIN crm_contacts c ON c.id = x.contact_id "
        "WHERE c.email = %s", (replier["to"][0],))
    threads = context["open_threads"]
    assert any(t.get("needs_reply") and t.get("topic") == "Re: Quick question" for t in threads), threads
    received = await store.db.fetch_value("SELECT count(*) FROM crm_activities WHERE kind = 'email_received' "
                                       "AND source = 'resend'")
    assert received == 2
    # The next follow-up goes to the two who did not reply, not to the one who did.
    fake.sent.clear()
    assert (await sequence_step(store, online, now=NOW + timedelta(days=4))).sent == 2
    assert replier["to"][0] not in {e["to"][0] for e in fake.sent}


async def test_bounce_and_complaint_stop_and_suppress(store: Store, online: Settings, fake: FakeResend,
                                                      http: httpx.AsyncClient) -> None:
    soft, hard, complainer = await sent_emails(store, online, fake, 3)
    r = await post(http, event("email.bounced", soft, bounce={"type": "Temporary", "message": "mailbox full"}))
    assert r.json()["outcome"] == "recorded"
    r = await post(http, event("email.bounced", hard, bounce={"type": "Permanent", "message": "no such user"}))
    assert r.json()["outcome"] == "stopped 1 enrollment(s): bounced"
    r = await post(http, event("email.complained", complainer))
    assert r.json()["outcome"] == "stopped 1 enrollment(s): complained"
    hard_id = await contact_of(store, hard)
    prefs = await store.sequences.email_prefs(hard_id)
    assert prefs["suppressed_at"] is not None and prefs["suppression_reason"] == "bounced"
    seq = (await store.sequences.sequences())[0]
    other = await store.sequences.create_sequence("Another", [{"subject": "x", "body": "y"}])
    with pytest.raises(Exception, match="suppressed"):
        await store.sequences.enroll(hard_id, other.id, now=NOW)
    assert seq.name == "Intro"
    fake.sent.clear()
    assert (await sequence_step(store, online, now=NOW + timedelta(days=4))).sent == 1  # only the soft bounce


@pytest.mark.pooled
async def test_one_click_unsubscribe(store: Store, online: Settings, fake: FakeResend,
                                     http: httpx.AsyncClient) -> None:
    [email] = await sent_emails(store, online, fake, 1)
    url = email["headers"]["List-Unsubscribe"].strip("<>")
    path = httpx.URL(url).path
    page = await http.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and "<form" in page.text
    cid = await contact_of(store, email)
    assert not (await store.sequences.email_prefs(cid)).get("unsubscribed_at")
    r = await http.post(path, content=b"List-Unsubscribe=One-Click",
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    assert (await store.sequences.email_prefs(cid))["unsubscribed_at"] is not None
    [e] = await store.sequences.enrollments_of_contact(cid)
    assert (e.status, e.status_reason) == ("complete", "unsubscribed")
    assert (await http.post(path)).status_code == 200  # idempotent
    assert (await http.post("/unsubscribe/not-a-token")).status_code == 404
    token = path.rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert (await http.post(f"/unsubscribe/{forged}")).status_code == 404
    other_contact = token.split(".")[0] + "." + "0" * 32 + "." + token.split(".")[2]
    assert (await http.post(f"/unsubscribe/{other_contact}")).status_code == 404


async def test_unknown_outcome_reconciled_from_email_sent(store: Store, online: Settings, fake: FakeResend,
                                                          http: httpx.AsyncClient) -> None:
    await enroll_many(store, 1)

    def crash(_unit: Any) -> None:
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        await sequence_step(store, online, now=NOW, crash_after_send=crash)
    assert (await sequence_step(store, online, now=NOW + timedelta(hours=25))).unknown == 1
    [email] = fake.sent
    ev = {"type": "email.sent", "created_at": NOW.isoformat(),
          "data": {"email_id": email["id"], "from": email["from"], "to": email["to"], "subject": email["subject"],
                   "tags": {t["name"]: t["value"] for t in email["tags"]}}}
    assert (await post(http, ev)).json()["outcome"] == "reconciled"
    row = (await store.db.fetch_dicts("SELECT status, resend_email_id FROM redkey.email_outbox"))[0]
    assert row == {"status": "sent", "resend_email_id": email["id"]}
    assert len(fake.sent) == 1


async def test_webhooks_refused_without_a_secret(store: Store, settings: Settings) -> None:
    app = create_app(store.scoped(None), settings.model_copy(update={"resend_webhook_secret": None}),
                     clock=time.time)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        r = await client.post("/webhooks/resend", content=b"{}")
    assert r.status_code == 503 and "COCKPIT_RESEND_WEBHOOK_SECRET" in r.json()["error"]
