"""Sending through the outbox against a local server speaking Resend's wire format (real sockets).

Covers: offline drafts; a batch with List-Unsubscribe headers and a User-Agent; a crash between send and
commit (batch and single) with no double send; 409 idempotency answers; 429 with retry-after; 5xx
retries on the same key; quota errors not retried; a batch with one invalid address; a missing merge
field pausing the enrollment; the daily cap; two concurrent ticks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from cockpit.config import Settings
from cockpit.email.resend import ResendClient
from cockpit.sequences.step import sequence_step
from cockpit.store import Store
from tests.resend_fake import FakeResend, Scripted
from tests.seq_helpers import no_demo_sequences, NOW, STEPS, contacts_with_email, enroll_many


# One planner and one batch in flight: for tests that count requests or script the server's answers.
SERIAL = {"planners": 1, "concurrency": 1}


class Crash(Exception):
    pass


@pytest.fixture
def fake() -> Iterator[FakeResend]:
    with FakeResend() as server:
        yield server


@pytest.fixture
def online(settings: Settings, fake: FakeResend) -> Settings:
    return settings.model_copy(update={"resend_api_key": fake.api_key, "resend_base_url": fake.url})


def client_for(fake: FakeResend, sleeps: list[float] | None = None, on_sleep=None) -> ResendClient:  # type: ignore[no-untyped-def]
    async def sleep(seconds: float) -> None:  # waits are recorded, not slept: the tests stay fast
        if sleeps is not None:
            sleeps.append(seconds)
        if on_sleep is not None:
            on_sleep()
    return ResendClient(fake.api_key, fake.url, sleep=sleep, timeout=5)


async def outbox(store: Store) -> list[dict]:
    return await store.db.fetch_dicts(
        "SELECT step, status, resend_email_id, error, to_email, enrollment_id FROM redkey.email_outbox "
        "WHERE client_id = redkey.current_client_id() ORDER BY to_email, step")


async def test_offline_drafts_then_sends_once_a_key_is_set(store: Store, settings: Settings, online: Settings,
                                                          fake: FakeResend) -> None:
    await enroll_many(store, 4)
    report = await sequence_step(store, settings, now=NOW)
    assert report.offline and report.drafted == 4 and report.sent == 0
    assert "offline" in report.summary and "nothing sent" in report.summary
    assert fake.requests == []
    assert {r["status"] for r in await outbox(store)} == {"draft"}
    again = await sequence_step(store, settings, now=NOW)  # still due, still one draft each
    assert again.drafted == 4 and len(await outbox(store)) == 4
    sent = await sequence_step(store, online, now=NOW)
    assert sent.sent == 4 and len(fake.sent) == 4
    assert {r["status"] for r in await outbox(store)} == {"sent"}


@pytest.mark.pooled
async def test_batch_send_headers_activities_and_advance(store: Store, online: Settings, fake: FakeResend) -> None:
    enrollments = await enroll_many(store, 5)
    report = await sequence_step(store, online, now=NOW, **SERIAL)
    assert (report.sent, report.batches, report.requests) == (5, 1, 1)
    assert fake.requests[0]["path"] == "/emails/batch" and fake.requests[0]["ua"].startswith("redkey-cockpit/")
    for email in fake.sent:
        assert email["headers"]["List-Unsubscribe"].startswith("<http://127.0.0.1:8787/unsubscribe/")
        assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "{{" not in email["subject"] + email["text"]
        assert {t["name"] for t in email["tags"]} >= {"client_id", "enrollment_id", "step", "outbox_id"}
    e = await store.sequences.enrollment(enrollments[0])
    # Friday 15:00 UTC + 2 business days -> Tuesday at the window start (09:00 UTC).
    assert (e.current_step, e.status, e.next_due_at) == (1, "active", datetime(2026, 11, 24, 9, tzinfo=timezone.utc))
    acts = await store.db.fetch_dicts("SELECT external_id, contact_id FROM crm_activities WHERE kind = 'email_sent' "
                                   "AND source = 'resend'")
    assert len(acts) == 5
    contact = await store.crm.contact(e.contact_id)
    assert contact.sequence_step == 1 and contact.email_thread_count >= 1 and contact.last_activity_at == NOW
    # Nothing is due any more: a second tick at the same instant sends nothing.
    assert (await sequence_step(store, online, now=NOW, **SERIAL)).sent == 0 and len(fake.sent) == 5
    # Two business days later the follow-up goes out, and after the last step the enrollment completes.
    tue = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    assert (await sequence_step(store, online, now=tue, **SERIAL)).sent == 5
    last = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    assert (await sequence_step(store, online, now=last, **SERIAL)).sent == 5
    done = await store.sequences.enrollment(enrollments[0])
    assert (done.status, done.status_reason, done.current_step) == ("complete", "finished", 3)
    assert len(fake.sent) == 15


@pytest.mark.parametrize("n", [1, 5], ids=["single", "batch"])
async def test_crash_between_send_and_commit_never_sends_twice(store: Store, online: Settings, fake: FakeResend,
                                                               n: int) -> None:
    await enroll_many(store, n)

    def crash(_unit) -> None:  # type: ignore[no-untyped-def]
        raise Crash("killed after Resend accepted the request, before the outcome was recorded")

    with pytest.raises(Crash):
        await sequence_step(store, online, now=NOW, **SERIAL, crash_after_send=crash)
    assert len(fake.sent) == n
    assert {r["status"] for r in await outbox(store)} == {"sending"}
    # Under the lease nobody touches the rows; nothing was skipped either (the step is planned).
    assert (await sequence_step(store, online, now=NOW + timedelta(seconds=5), **SERIAL)).sent == 0
    later = NOW + timedelta(seconds=online.lease_seconds + 1)
    report = await sequence_step(store, online, now=later, **SERIAL)
    assert report.sent == n
    assert len(fake.sent) == n, "the retry reused the idempotency key: Resend did not send again"
    keys = [r["key"] for r in fake.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    rows = await outbox(store)
    assert {r["status"] for r in rows} == {"sent"}
    assert sorted(r["resend_email_id"] for r in rows) == sorted(e["id"] for e in fake.sent)


async def test_crash_past_the_idempotency_window_is_unknown_not_resent(store: Store, online: Settings,
                                                                       fake: FakeResend) -> None:
    await enroll_many(store, 2)
    with pytest.raises(Crash):
        await sequence_step(store, online, now=NOW, **SERIAL, crash_after_send=lambda _u: (_ for _ in ()).throw(Crash()))
    report = await sequence_step(store, online, now=NOW + timedelta(hours=25), **SERIAL)
    assert report.unknown == 2 and report.sent == 0
    assert len(fake.sent) == 2 and len(fake.requests) == 1
    assert {r["status"] for r in await outbox(store)} == {"unknown"}


async def test_409_invalid_idempotent_request_marks_unknown(store: Store, online: Settings, fake: FakeResend) -> None:
    [eid] = await enroll_many(store, 1)
    # Someone already used this enrollment's key with another body: something went out under it.
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{fake.url}/emails", headers={"Authorization": f"Bearer {fake.api_key}",
                                                           "Idempotency-Key": f"seq-{eid}-0"},
                            json={"from": "a@b.com", "to": ["c@d.com"], "subject": "other", "text": "x"})
        assert r.status_code == 200
    report = await sequence_step(store, online, now=NOW, **SERIAL)
    assert report.unknown == 1 and report.sent == 0 and len(fake.sent) == 1
    [row] = await outbox(store)
    assert row["status"] == "unknown" and "invalid_idempotent_request" in row["error"]


async def test_409_concurrent_request_is_retried_with_the_same_key(store: Store, online: Settings,
                                                                   fake: FakeResend) -> None:
    [eid] = await enroll_many(store, 1)
    key = f"seq-{eid}-0"
    fake.hold_key(key)
    sleeps: list[float] = []
    client = client_for(fake, sleeps, on_sleep=lambda: fake.release_key(key))
    async with client:
        report = await sequence_step(store, online, now=NOW, **SERIAL, resend=client)
    assert report.sent == 1 and len(fake.sent) == 1
    assert [r["key"] for r in fake.requests] == [key, key] and len(sleeps) == 1


async def test_429_honours_retry_after_and_5xx_retries_same_key(store: Store, online: Settings,
                                                               fake: FakeResend) -> None:
    await enroll_many(store, 3)
    fake.fail_next(Scripted(429, {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests"},
                            {"retry-after": "2"}),
                   Scripted(500, {"statusCode": 500, "name": "internal_server_error", "message": "boom"}))
    sleeps: list[float] = []
    async with client_for(fake, sleeps) as client:
        report = await sequence_step(store, online, now=NOW, **SERIAL, resend=client)
    assert report.sent == 3 and len(fake.sent) == 3
    assert len({r["key"] for r in fake.requests}) == 1 and len(fake.requests) == 3
    assert sleeps[0] == 2.0 and report.rate_limited_seconds == 2.0 and report.retries == 2


async def test_network_timeout_then_success_does_not_double_send(store: Store, online: Settings,
                                                                 fake: FakeResend) -> None:
    await enroll_many(store, 2)
    # The server processes the batch but the answer never arrives in time (a lost response).
    fake.fail_next(Scripted(200, hang=2.0, process=True))
    async with ResendClient(fake.api_key, fake.url, timeout=0.5, sleep=lambda s: asyncio.sleep(0)) as client:
        report = await sequence_step(store, online, now=NOW, **SERIAL, resend=client)
    assert report.sent == 2 and len(fake.sent) == 2


async def test_quota_error_is_not_retried_and_rows_wait(store: Store, online: Settings, fake: FakeResend) -> None:
    await enroll_many(store, 3)
    fake.fail_next(Scripted(429, {"statusCode": 429, "name": "daily_quota_exceeded", "message": "quota"}))
    async with client_for(fake) as client:
        report = await sequence_step(store, online, now=NOW, **SERIAL, resend=client)
    assert report.sent == 0 and report.released == 3 and len(fake.requests) == 1
    assert "quota" in report.summary
    assert {r["status"] for r in await outbox(store)} == {"pending"}
    assert (await sequence_step(store, online, now=NOW, **SERIAL)).sent == 3  # next tick, quota back


async def test_batch_with_one_invalid_address(store: Store, online: Settings, fake: FakeResend) -> None:
    seq = await store.sequences.create_sequence("Intro", STEPS)
    good = await contacts_with_email(store, 2)
    bad = await store.crm.insert_record("crm_contacts", {"first_name": "Bad", "last_name": "Address",
                                                     "email": "bad-address@"})
    for cid in [*good, bad.id]:
        await store.sequences.enroll(cid, seq.id, now=NOW)
    report = await sequence_step(store, online, now=NOW, **SERIAL)
    assert report.sent == 2 and report.failed == 1
    good_emails = [(await store.crm.contact(c)).email for c in good]
    assert sorted(e["to"][0] for e in fake.sent) == sorted(good_emails)
    [paused] = [e for e in await store.sequences.enrollments_of_contact(bad.id)]
    assert paused.status == "paused" and "Invalid `to` field" in (paused.status_reason or "")
    # The good ones are not re-sent on the next tick.
    assert (await sequence_step(store, online, now=NOW, **SERIAL)).sent == 0 and len(fake.sent) == 2


async def test_missing_merge_field_pauses_and_nothing_goes_out(store: Store, online: Settings,
                                                               fake: FakeResend) -> None:
    seq = await store.sequences.create_sequence("Intro", STEPS)
    nameless = await store.crm.insert_record("crm_contacts", {"last_name": "Nameless", "email": "nameless@example.com"})
    await store.sequences.enroll(nameless.id, seq.id, now=NOW)
    assert (await sequence_step(store, online, now=NOW)).sent == 1  # step 1 has a fallback: "Hi there"
    assert fake.sent[0]["text"].startswith("Hi there,")
    report = await sequence_step(store, online, now=datetime(2026, 11, 24, 10, tzinfo=timezone.utc))
    assert report.sent == 0 and report.paused == 1
    [e] = await store.sequences.enrollments_of_contact(nameless.id)
    assert e.status == "paused" and "missing merge field first_name" in (e.status_reason or "")
    assert len(fake.sent) == 1 and len(await outbox(store)) == 1


async def test_daily_cap_per_sender(store: Store, online: Settings, fake: FakeResend) -> None:
    capped = online.model_copy(update={"sender_daily_cap": 3})
    await enroll_many(store, 5)
    report = await sequence_step(store, capped, now=NOW)
    assert report.sent == 3 and report.rescheduled == 2
    due = await store.db.fetch_dicts("SELECT next_due_at FROM crm_sequence_contacts WHERE current_step = 0")
    assert {r["next_due_at"] for r in due} == {datetime(2026, 11, 23, 9, tzinfo=timezone.utc)}  # Monday 09:00
    monday = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
    assert (await sequence_step(store, capped, now=monday)).sent == 2


@pytest.mark.pooled
async def test_two_concurrent_ticks_send_each_step_once(store: Store, online: Settings, fake: FakeResend) -> None:
    await enroll_many(store, 12)
    reports = await asyncio.gather(sequence_step(store, online, now=NOW, plan_limit=5),
                                   sequence_step(store, online, now=NOW, plan_limit=5))
    assert sum(r.sent for r in reports) == 12
    assert len(fake.sent) == 12 and len({e["to"][0] for e in fake.sent}) == 12


async def test_pause_between_planning_and_sending_then_resume_sends_the_step(store: Store, online: Settings,
                                                                              fake: FakeResend) -> None:
    from cockpit.sequences.planner import PlanPolicy, decide_all

    [eid] = await enroll_many(store, 1)
    policy = PlanPolicy("bezeliq", online.sender_email, 100, online.unsubscribe_base_url)
    await store.outbox.plan_due(NOW, lambda rows, t, s: decide_all(rows, t, s, now=NOW, policy=policy))
    assert (await store.sequences.enrollment(eid)).current_step == 1  # planned: the outbox holds step 1's email
    await store.sequences.pause_enrollment(eid)
    assert {r["status"] for r in await outbox(store)} == {"cancelled"}
    assert (await sequence_step(store, online, now=NOW)).sent == 0
    resumed = await store.sequences.resume_enrollment(eid, now=NOW)
    assert (resumed.status, resumed.current_step) == ("active", 0)
    report = await sequence_step(store, online, now=NOW)
    assert report.sent == 1 and len(fake.sent) == 1 and fake.sent[0]["subject"].startswith("Quick question")
    assert (await store.sequences.enrollment(eid)).current_step == 1


async def test_refused_address_fixed_then_resumed_is_sent_with_a_new_key(store: Store, online: Settings,
                                                                         fake: FakeResend) -> None:
    seq = await store.sequences.create_sequence("Intro", STEPS)
    bad = await store.crm.insert_record("crm_contacts", {"first_name": "Bo", "email": "bo@"})
    [e] = [await store.sequences.enroll(bad.id, seq.id, now=NOW)]
    assert (await sequence_step(store, online, now=NOW, **SERIAL)).failed == 1
    paused = await store.sequences.enrollment(e.id)
    assert (paused.status, paused.current_step) == ("paused", 0)
    await store.crm.update_record("crm_contacts", bad.id, {"email": "bo@example.com"}, role="owner")
    await store.sequences.resume_enrollment(e.id, now=NOW)
    report = await sequence_step(store, online, now=NOW, **SERIAL)
    assert report.sent == 1 and fake.sent[0]["to"] == ["bo@example.com"]
    assert fake.requests[-1]["key"] == f"seq-{e.id}-0-r1"
    [row] = await outbox(store)
    assert row["status"] == "sent"


async def test_daily_cap_holds_across_ticks_and_concurrent_planners(store: Store, online: Settings,
                                                                     fake: FakeResend) -> None:
    capped = online.model_copy(update={"sender_daily_cap": 7})
    await enroll_many(store, 12)
    reports = await asyncio.gather(sequence_step(store, capped, now=NOW, plan_limit=2, planners=3),
                                   sequence_step(store, capped, now=NOW, plan_limit=3, planners=2))
    assert sum(r.sent for r in reports) == 7 and len(fake.sent) == 7
    assert (await sequence_step(store, capped, now=NOW + timedelta(minutes=5))).sent == 0  # same day: still capped
    sent = await store.db.fetch_value("SELECT sum(sent) FROM redkey.sends_today(%s, %s)",
                                      (NOW.date(), [online.sender_email]))
    assert sent == 7


@pytest.mark.pooled
async def test_arlo_runs_the_sequence_step_task(store: Store, online: Settings, fake: FakeResend) -> None:
    """The task type arlo's engine creates every 30 s: the real step, scoped to the task's client."""
    from cockpit.arlo.context import Services
    from cockpit.arlo.enrichment import OfflineProvider
    from cockpit.arlo.instructions import RuleBasedParser
    from cockpit.arlo.registry import TASK_TYPES, is_default
    from cockpit.arlo.runner import SEQUENCE_STEP  # importing the runner registers the task types
    from cockpit.arlo.worker import Worker

    assert not is_default(SEQUENCE_STEP) and TASK_TYPES[SEQUENCE_STEP].__name__ == "run_sequence_step"
    await enroll_many(store, 3)
    task = await store.tasks.create_task(SEQUENCE_STEP, brief="sequence step")
    worker = Worker(store, online, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(),
                                            clock=lambda: NOW), agent="arlo-test")
    done = await worker.run_one()
    assert done is not None and done.id == task.id and done.status == "complete"
    assert done.output["sent"] == 3 and done.output["summary"].startswith("sent 3 of 3")
    assert len(fake.sent) == 3
