"""One retry helper for Resend, enrichment and the LLM: ``retry-after`` as seconds and as an HTTP date,
each against a local server speaking that service's wire format (real sockets); what is not retried."""

from __future__ import annotations

import email.utils
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from cockpit.arlo.enrichment import PeopleDataLabsProvider
from cockpit.arlo.llm import LLMError, MessagesClient
from cockpit.email.resend import EmailMessage, ResendAuthError, ResendClient, ResendUnavailable
from cockpit.models import Contact
from cockpit.retries import header_seconds
from tests.pdl_server import API_KEY, PDLServer, Script
from tests.resend_fake import FakeResend, Scripted
from tests.anthropic_fake import KEY, FakeAnthropic

RATE_LIMITED = {"statusCode": 429, "name": "rate_limit_exceeded", "message": "Too many requests"}
MESSAGE = EmailMessage(sender="Justin <justin@redkey.example>", to=["zoë.müller@meridianhealth.com"],
                       subject="Quick follow-up — fleet analytics", text="Hi Zoë, …")


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (IMF-fixdate, whole seconds) this many seconds from now, as a server writes it."""
    return email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now),
                                       usegmt=True)


def test_header_seconds_reads_every_form_a_server_sends() -> None:
    now = datetime(2026, 12, 1, 7, 28, 0, tzinfo=timezone.utc)
    assert header_seconds("2", now=now) == 2.0
    assert header_seconds(" 0.5 ", now=now) == 0.5
    assert header_seconds("Tue, 01 Dec 2026 07:28:30 GMT", now=now) == 30.0
    assert header_seconds("Tuesday, 01-Dec-26 07:28:30 GMT", now=now) == 30.0  # RFC 850, still sent
    assert header_seconds("Tue, 01 Dec 2026 07:00:00 GMT", now=now) == 0.0    # already past
    assert header_seconds(str(int(now.timestamp()) + 12), now=now) == 12.0    # epoch reset
    for unreadable in (None, "", "soon", "nan", "Tue, 99 Foo 2026"):
        assert header_seconds(unreadable, now=now) is None


@pytest.mark.parametrize("retry_after", ["2", "date"])
async def test_resend_waits_as_retry_after_says_and_resends_the_same_key_and_body(retry_after: str) -> None:
    header = http_date(3) if retry_after == "date" else retry_after
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    with FakeResend() as fake:
        fake.fail_next(Scripted(429, RATE_LIMITED, {"retry-after": header}),
                       Scripted(503, {"statusCode": 503, "name": "internal_server_error", "message": "down"}))
        async with ResendClient(fake.api_key, fake.url, sleep=record, timeout=5) as client:
            email_id = await client.send(MESSAGE, idempotency_key="seq-1/step-1/contact-7")
    assert email_id and len(fake.sent) == 1
    assert [r["key"] for r in fake.requests] == ["seq-1/step-1/contact-7"] * 3
    if retry_after == "date":   # whole seconds on the wire: 3 s from now reads as (2, 3]
        assert 1.5 < sleeps[0] <= 3.0
    else:
        assert sleeps[0] == 2.0
    assert sleeps[1] == 2.0                                   # 503 without a header: backoff 1, 2, ...
    assert client.retries == 2 and client.rate_limited_seconds == sleeps[0]


async def test_resend_caps_waits_and_gives_up_after_its_attempts() -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    with FakeResend() as fake:
        fake.fail_next(*[Scripted(429, RATE_LIMITED, {"retry-after": http_date(3600)}) for _ in range(3)])
        async with ResendClient(fake.api_key, fake.url, sleep=record, max_attempts=3, max_wait=10) as client:
            with pytest.raises(ResendUnavailable, match="after 3 attempts.*rate_limit_exceeded"):
                await client.send(MESSAGE, idempotency_key="k-cap")
    assert sleeps == [10, 10] and len(fake.requests) == 3 and not fake.sent


async def test_resend_auth_error_is_not_retried() -> None:
    with FakeResend() as fake:
        async with ResendClient("re_wrong", fake.url, sleep=lambda s: pytest.fail("no wait")) as client:
            with pytest.raises(ResendAuthError, match="refused the API key"):
                await client.send(MESSAGE, idempotency_key="k-auth")
        assert len(fake.requests) <= 1 and not fake.sent


def _contact(email: str) -> Contact:
    now = datetime.now(timezone.utc)
    return Contact(id=uuid.uuid4(), client_id="bezeliq", first_name="Zoë", last_name="Müller",
                   full_name="Zoë Müller", email=email, created_at=now, updated_at=now)


@pytest.mark.parametrize("retry_after", ["1", "date"])
async def test_enrichment_waits_as_retry_after_says(retry_after: str) -> None:
    script = Script(rate_limit_first=1, retry_after=http_date(2) if retry_after == "date" else retry_after)
    with PDLServer(script) as server:
        provider = PeopleDataLabsProvider(server.url, API_KEY, max_retries=2, backoff=0.05)
        t0 = time.monotonic()
        result = await provider.enrich_person(_contact("zoe.muller@meridianhealth.com"), None)
        elapsed = time.monotonic() - t0
        await provider.aclose()
    assert result.matched and result.fields["job_title"] == "Enriched Title"
    assert script.statuses[429] == 1 and len(script.requests) == 2
    assert provider.waited_seconds >= 0.9 and elapsed >= 0.9


@pytest.mark.parametrize("retry_after", ["1", "date"])
async def test_llm_waits_as_retry_after_says(retry_after: str) -> None:
    header = http_date(2) if retry_after == "date" else retry_after
    fake = FakeAnthropic(first=[(429, {"retry-after": header}), (529, {})])
    client = MessagesClient(KEY, base_url=fake.url)
    try:
        t0 = time.monotonic()
        done = await client.complete("system", "Facts (from the CRM):\nAcme has 2 open deals")
        elapsed = time.monotonic() - t0
    finally:
        await client.aclose()
        fake.close()
    assert done.text.startswith("Here is what I found") and len(fake.requests) == 3
    assert elapsed >= 0.9 + 1.0  # the server's wait, then backoff 1 s after the 529


async def test_llm_auth_error_is_not_retried() -> None:
    fake = FakeAnthropic()
    client = MessagesClient("sk-ant-wrong", base_url=fake.url)
    try:
        with pytest.raises(LLMError, match="HTTP 401"):
            await client.complete("system", "hello")
    finally:
        await client.aclose()
        fake.close()
    assert len(fake.requests) == 1
