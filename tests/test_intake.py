"""Meeting notes in (files and the Quill webhook): file intake, the webhook over a real local HTTP server,
next-step extraction, idempotency, and clear refusals."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
import uvicorn

from cockpit.intake.nextsteps import extract_next_steps
from cockpit.intake.service import intake
from cockpit.intake.webhook import make_app
from cockpit.store import Store

SARAH = "sarah.chen@meridianhealth.com"


def bundle(**over: Any) -> dict[str, Any]:
    return {"artifact_type": "InteractionBundle", "bundle_id": "quill-mtg-1", "client_ref": SARAH,
            "channel": "meeting", "event_refs": ["quill:evt:991", "gcal:abc"], "attachments": [],
            "title": "Security review with Sarah",
            "summary": "Walked through the questionnaire.\nNext steps:\n- Send SOC2 report\n- Book technical demo\n",
            "occurred_at": "2026-11-19T15:00:00Z", "source_system": "quill", "created_by": "quill",
            "confidence": 0.9, "provenance": {"method": "webhook", "source_ref": "quill"}, **over}


TRANSCRIPT = {"artifact_type": "TranscriptBundle", "transcript_id": "tr-1", "interaction_ref": "quill-mtg-1",
              "media_ref": "quill://media/1", "language": "en", "source_system": "quill", "created_by": "quill",
              "text": "Sarah: TODO: loop in the CISO", "confidence": 0.8, "provenance": {"method": "webhook"},
              "speaker_segments": [{"speaker": "Sarah", "start_s": 0, "end_s": 4.2,
                                    "text": "TODO: loop in the CISO"}]}


def test_next_step_extraction() -> None:
    text = "Intro\nAction items:\n1. Send pricing\n2) Draft SOW\nOther\n- [ ] Ping legal\nFollow-up: Send pricing"
    assert extract_next_steps(text) == ["Send pricing", "Draft SOW", "Ping legal"]
    assert extract_next_steps("no steps here", None) == []


async def test_file_intake_attaches_note_and_next_steps(store: Store) -> None:
    r = await intake(store, {"interaction": bundle(), "transcripts": [TRANSCRIPT]})
    assert r.next_steps == ["Send SOC2 report", "Book technical demo", "loop in the CISO"]
    assert not r.duplicate and r.transcripts == ["tr-1"]
    acts = (await store.activity.activities_page(contact_id=r.contact_id, sources=["quill"])).items
    assert len(acts) == 1 and acts[0].kind == "meeting" and acts[0].subject == "Security review with Sarah"
    assert acts[0].properties["event_refs"] == ["quill:evt:991", "gcal:abc"]  # raw refs kept
    ctx = (await store.context.client_context(r.contact_id)).context
    thread = next(t for t in ctx["open_threads"] if t["thread_id"] == "quill:quill-mtg-1")
    assert thread["next_steps"] == r.next_steps and thread["needs_reply"] is True
    again = await intake(store, bundle())
    assert again.duplicate and len((await store.activity.activities_page(contact_id=r.contact_id, sources=["quill"])).items) == 1


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 10
    while not server.started:
        assert asyncio.get_running_loop().time() < deadline and not task.done(), "the server did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


async def test_webhook_over_http_with_signature(store: Store) -> None:
    secret = "s3cret-bezeliq-quill"
    server, task, base = await _serve(make_app(store, secrets={"bezeliq": secret,
                                                               "northwind": "s3cret-northwind-quill"}))
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            body = json.dumps(bundle(bundle_id="quill-mtg-2", channel="note", summary="Call notes. TODO: send deck"))
            sig = "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
            bad = await http.post("/webhooks/quill", content=body, headers={"X-Quill-Signature": "sha256=00"})
            assert bad.status_code == 401
            ok = await http.post("/webhooks/quill", content=body,
                                 headers={"X-Quill-Signature": sig, "X-RedKey-Client": "bezeliq"})
            assert ok.status_code == 202, ok.text
            assert ok.json()["next_steps"] == ["send deck"]
            dup = await http.post("/webhooks/quill", content=body, headers={"X-Quill-Signature": sig})
            assert dup.status_code == 200 and dup.json()["duplicate"] is True

            def signed(payload: str) -> dict[str, str]:
                return {"X-Quill-Signature": "sha256=" + hmac.new(secret.encode(), payload.encode(),
                                                                  hashlib.sha256).hexdigest()}
            notjson = "{nope"
            assert (await http.post("/webhooks/quill", content=notjson, headers=signed(notjson))).status_code == 400
            unknown = json.dumps(bundle(bundle_id="x3", client_ref="nobody@nowhere.example"))
            r = await http.post("/webhooks/quill", content=unknown, headers=signed(unknown))
            assert r.status_code == 404 and "nobody@nowhere.example" not in r.json()["error"]
            invalid = json.dumps(bundle(bundle_id="x4", event_refs=[]))
            r = await http.post("/webhooks/quill", content=invalid, headers=signed(invalid))
            assert r.status_code == 422 and "event_refs" in r.json()["error"]
            other = json.dumps(bundle(bundle_id="x5"))
            northwind = {"X-Quill-Signature": "sha256=" + hmac.new(b"s3cret-northwind-quill", other.encode(),
                                                                   hashlib.sha256).hexdigest()}
            r = await http.post("/webhooks/quill", content=other, headers=northwind)
            assert r.status_code == 404  # signed by Northwind's secret: Sarah is not Northwind's contact
    finally:
        server.should_exit = True
        await task
    acts = (await store.activity.activities_page(sources=["quill"])).items
    assert [a.kind for a in acts] == ["note"]


async def test_qd_signal_feeds_client360(store: Store) -> None:
    from cockpit.context.service import build_client360
    from cockpit.intake.service import intake_any

    sig = {"artifact_type": "QdSignalBundle", "signal_id": "sig-1", "client_ref": SARAH, "source_ref": "arlo",
           "score_type": "engagement", "value": 0.82, "supporting_evidence_refs": ["activity:1", "activity:2"],
           "time_window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
           "source_system": "arlo", "created_by": "arlo", "confidence": 0.7, "provenance": {"method": "rule"}}
    assert (await intake_any(store, sig))["duplicate"] is False
    assert (await intake_any(store, sig))["duplicate"] is True
    contact = await store.context.contact_by_email(SARAH)
    snap = await build_client360(store, contact.id)
    assert snap.qd_overview["engagement"]["value"] == 0.82
    assert snap.qd_overview["engagement"]["evidence"] == ["activity:1", "activity:2"]
