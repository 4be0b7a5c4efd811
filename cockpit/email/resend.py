"""The Resend API over httpx (async): single sends (POST /emails) and batches (POST /emails/batch).

What the client guarantees:
- every request carries the caller's ``Idempotency-Key`` and a ``User-Agent`` (Resend answers 403
  without one);
- 429 ``rate_limit_exceeded``, 5xx, network errors and 409 ``concurrent_idempotent_requests`` are
  retried **with the same key and body**, waiting ``retry-after`` (seconds or an HTTP date; else
  ``ratelimit-reset``, else 1, 2, 4 s...: :mod:`cockpit.retries`); after a response whose
  ``ratelimit-remaining`` is 0 the next request waits for the reset;
- validation errors (400/422), auth errors (401/403), daily/monthly quota and 409
  ``invalid_idempotent_request`` are never retried: they raise a specific :class:`ResendError`.

Time spent waiting on rate limits is counted in :attr:`ResendClient.rate_limited_seconds`, so a benchmark
can report throughput without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cockpit.errors import CockpitError
from cockpit.retries import RetriesExhausted, Retry, RetryPolicy, header_seconds, retrying

USER_AGENT = "redkey-cockpit/0.1 (+https://github.com/redkey; httpx)"
BATCH_MAX = 100
QUOTA_ERRORS = frozenset({"daily_quota_exceeded", "monthly_quota_exceeded"})


class ResendError(CockpitError):
    """Resend refused a request, or could not be reached; ``name`` is Resend's error name."""

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.name = name


class ResendValidationError(ResendError):
    """400/422: the email itself is wrong (address, field). Retrying cannot help."""


class ResendAuthError(ResendError):
    """401/403: the API key is missing, invalid or restricted."""


class ResendQuotaError(ResendError):
    """Daily or monthly quota exhausted: nothing more goes out until it resets."""


class ResendIdempotencyConflict(ResendError):
    """409 invalid_idempotent_request: this key was already used with a different body, so something was
    already sent under it. Never retried; the outbox marks the row unknown for reconciliation."""


class ResendUnavailable(ResendError):
    """Retries exhausted on 429/5xx/network errors; the outcome may be unknown (the same key must be used
    for any later attempt)."""


@dataclass(frozen=True)
class EmailMessage:
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"from": self.sender, "to": list(self.to), "subject": self.subject, "text": self.text}
        if self.html:
            body["html"] = self.html
        if self.reply_to:
            body["reply_to"] = self.reply_to
        if self.headers:
            body["headers"] = dict(self.headers)
        if self.tags:
            body["tags"] = list(self.tags)
        return body


def _error_of(resp: httpx.Response) -> tuple[str, str]:
    try:
        data = resp.json()
    except ValueError:
        return "", resp.text[:200]
    if not isinstance(data, dict):
        return "", str(data)[:200]
    return str(data.get("name") or ""), str(data.get("message") or data.get("error") or "")


class ResendClient:
    """One Resend API client (one httpx.AsyncClient). Use as an async context manager or call aclose()."""

    def __init__(self, api_key: str, base_url: str = "https://api.resend.com", *, timeout: float = 30.0,
                 max_attempts: int = 5, backoff: float = 1.0, max_wait: float = 60.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not api_key:
            raise ResendAuthError("no Resend API key", "set COCKPIT_RESEND_API_KEY")
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT,
                     "Content-Type": "application/json"})
        self._pause_until = 0.0  # loop time before which the next request must wait (ratelimit-remaining 0)
        self.requests = 0
        self.retries = 0
        self.rate_limited_seconds = 0.0

    async def __aenter__(self) -> "ResendClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        """POST /emails; returns Resend's email id."""
        data = await self._post("/emails", message.to_wire(), idempotency_key)
        return str(data["id"])

    async def send_batch(self, messages: list[EmailMessage], *, idempotency_key: str) -> list[str]:
        """POST /emails/batch (≤ 100, strict validation: one bad email fails the whole batch with 422);
        returns the email ids in the order of ``messages``."""
        if not 1 <= len(messages) <= BATCH_MAX:
            raise ResendValidationError(f"a batch holds 1 to {BATCH_MAX} emails, got {len(messages)}")
        data = await self._post("/emails/batch", [m.to_wire() for m in messages], idempotency_key)
        ids = [str(item["id"]) for item in data.get("data", [])]
        if len(ids) != len(messages):
            raise ResendError(f"Resend answered a batch of {len(messages)} with {len(ids)} ids")
        return ids

    def _count_wait(self, seconds: float, retry: Retry) -> None:
        self.retries += 1
        if retry.rate_limited:
            self.rate_limited_seconds += seconds

    async def _post(self, path: str, body: Any, key: str) -> Any:
        """POST with retries: the same key and body on every attempt, so Resend sends at most once."""
        if not 1 <= len(key) <= 256:
            raise ResendValidationError("an Idempotency-Key is 1 to 256 characters")
        policy = RetryPolicy(attempts=self.max_attempts, backoff=self.backoff, max_wait=self.max_wait)
        try:
            return await retrying(lambda: self._attempt(path, body, key), policy, sleep=self._sleep,
                                  on_wait=self._count_wait)
        except RetriesExhausted as exc:
            raise ResendUnavailable(f"Resend unavailable after {exc.attempts} attempts ({exc.last.reason})",
                                    "the outbox retries with the same idempotency key on the next tick") from exc

    async def _attempt(self, path: str, body: Any, key: str) -> Any:
        """One request. Raises :class:`Retry` for 429 / 409 concurrent / 5xx / network errors, a specific
        :class:`ResendError` for what retrying cannot fix."""
        loop = asyncio.get_running_loop()
        delay = min(self._pause_until - loop.time(), self.max_wait)
        if delay > 0:  # the last answer said the window is used up: wait for its reset
            self.rate_limited_seconds += delay
            await self._sleep(delay)
        self.requests += 1
        try:
            resp = await self._http.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:  # the request may or may not have reached Resend
            raise Retry(f"network error: {type(exc).__name__}: {exc}") from exc
        if resp.headers.get("ratelimit-remaining") == "0":
            reset = header_seconds(resp.headers.get("ratelimit-reset"))
            if reset:
                self._pause_until = loop.time() + reset
        if resp.status_code < 300:
            return resp.json()
        name, message = _error_of(resp)
        status = resp.status_code
        last = f"{status} {name or 'error'}: {message}"
        if status == 429 and name in QUOTA_ERRORS:
            raise ResendQuotaError(f"Resend {name.replace('_', ' ')}: {message}",
                                   "sending resumes when the quota resets", status=status, name=name)
        if status == 429 or (status == 409 and name == "concurrent_idempotent_requests"):
            asked = header_seconds(resp.headers.get("retry-after"))
            if asked is None:
                asked = header_seconds(resp.headers.get("ratelimit-reset"))
            raise Retry(last, asked, rate_limited=status == 429)
        if status == 409:
            raise ResendIdempotencyConflict(f"Resend {name or 'conflict'}: {message}",
                                            "the key was used with another body; reconcile, do not re-send",
                                            status=status, name=name)
        if status in (401, 403):
            raise ResendAuthError(f"Resend refused the API key ({name or status}): {message}",
                                  "check COCKPIT_RESEND_API_KEY", status=status, name=name)
        if status in (400, 422):
            raise ResendValidationError(f"Resend {name or 'validation_error'}: {message}",
                                        status=status, name=name)
        if status >= 500:
            raise Retry(last)
        raise ResendError(f"Resend answered {last}", status=status, name=name)
