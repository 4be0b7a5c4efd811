"""Enrichment: a provider protocol, the offline default (enriches nothing, and says so) and an HTTP
provider shaped like People Data Labs' enrich API:

- ``GET {base}/v5/person/enrich`` and ``/v5/company/enrich``, authenticated with ``X-Api-Key``;
- 200 ``{status, likelihood, data}`` on a match (company responses are not wrapped in ``data``),
  404 when nothing matched, 429 ``rate_limit_error`` over the limit;
- it paces itself from ``retry-after`` (seconds or an HTTP date) and ``x-ratelimit-remaining`` /
  ``x-ratelimit-reset``; 429, 5xx and network errors are retried (:mod:`cockpit.retries`), 401/403 and
  other answers are not.

One record's failure is that record's alone: the scan records it and goes on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from cockpit.config import Settings
from cockpit.errors import CockpitError
from cockpit.models import Company, Contact
from cockpit.retries import RetriesExhausted, Retry, RetryPolicy, header_seconds, retrying


class EnrichmentError(CockpitError):
    """The provider failed for one record (server error, bad answer, rate limit not lifting)."""


class EnrichmentAuthError(EnrichmentError):
    """The provider refused our key: no point trying the other records."""


@dataclass
class EnrichmentResult:
    matched: bool
    likelihood: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    credits_used: int = 0


class EnrichmentProvider(Protocol):
    name: str
    configured: bool

    async def enrich_person(self, contact: Contact, company: Company | None) -> EnrichmentResult: ...

    async def enrich_company(self, company: Company) -> EnrichmentResult: ...

    async def aclose(self) -> None: ...


class OfflineProvider:
    """No enrichment service configured: enriches nothing (the scan reports that, writes nothing)."""

    name = "offline"
    configured = False

    async def enrich_person(self, contact: Contact, company: Company | None) -> EnrichmentResult:
        return EnrichmentResult(matched=False)

    async def enrich_company(self, company: Company) -> EnrichmentResult:
        return EnrichmentResult(matched=False)

    async def aclose(self) -> None:
        return None


def _size_bucket(n: Any) -> str | None:
    try:
        n = int(n)
    except (TypeError, ValueError):
        return None
    for hi, label in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
                      (5000, "1001-5000"), (10000, "5001-10000")):
        if n <= hi:
            return label
    return "10001+"


class PeopleDataLabsProvider:
    """People Data Labs-shaped HTTP provider, pacing itself from the rate-limit headers."""

    name = "peopledatalabs"
    configured = True

    def __init__(self, base_url: str, api_key: str, *, max_retries: int = 4, max_wait: float = 60.0,
                 backoff: float = 0.5,
                 timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
                                         headers={"X-Api-Key": api_key, "Accept": "application/json",
                                                  "User-Agent": "redkey-cockpit-arlo/0.1"})
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self._not_before = 0.0          # monotonic time before which we must not call
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0       # total pacing, for the scan's report

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _pace(self) -> None:
        delay = self._not_before - time.monotonic()
        if delay > 0:
            self.waited_seconds += delay
            await asyncio.sleep(delay)

    def _note_limits(self, resp: httpx.Response) -> float | None:
        """Remember when we may call again; returns the server's requested wait, if any."""
        wait = header_seconds(resp.headers.get("retry-after"))
        remaining = resp.headers.get("x-ratelimit-remaining")
        if wait is None and remaining is not None:
            try:
                if int(float(remaining.split(",")[0])) <= 0:
                    wait = header_seconds(resp.headers.get("x-ratelimit-reset")) or 1.0
            except ValueError:
                wait = None
        if wait is not None:
            self._not_before = max(self._not_before, time.monotonic() + min(wait, self.max_wait))
        return wait

    def _count_wait(self, seconds: float, retry: Retry) -> None:
        self.waited_seconds += seconds

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """One enrich call with retries: the JSON body on 200, None on 404 (no match)."""
        params = {k: v for k, v in params.items() if v}
        policy = RetryPolicy(attempts=self.max_retries + 1, backoff=self.backoff, max_wait=self.max_wait)
        try:
            return await retrying(lambda: self._attempt(path, params), policy, on_wait=self._count_wait)
        except RetriesExhausted as exc:
            raise EnrichmentError(f"enrichment provider kept failing ({exc.last.reason}) "
                                  f"after {exc.attempts} tries") from exc

    async def _attempt(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        async with self._lock:
            await self._pace()
        try:
            resp = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise Retry(f"{type(exc).__name__}: {exc}") from exc
        waited = self._note_limits(resp)
        if resp.status_code == 200:
            return resp.json()  # type: ignore[no-any-return]
        if resp.status_code == 404:
            return None
        if resp.status_code in (401, 403):
            raise EnrichmentAuthError(f"enrichment provider refused the API key ({resp.status_code})",
                                      "check COCKPIT_ENRICHMENT_API_KEY")
        if resp.status_code == 429 or resp.status_code >= 500:
            raise Retry(f"HTTP {resp.status_code} {_error_type(resp)}".strip(), waited,
                        rate_limited=resp.status_code == 429)
        raise EnrichmentError(f"enrichment provider answered HTTP {resp.status_code} {_error_type(resp)}".strip())

    async def enrich_person(self, contact: Contact, company: Company | None) -> EnrichmentResult:
        body = await self._get("/v5/person/enrich", {
            "email": contact.email, "first_name": contact.first_name, "last_name": contact.last_name,
            "company": company.name if company else None})
        if body is None:
            return EnrichmentResult(matched=False)
        data = body.get("data") or {}
        fields = {"linkedin_url": _url(data.get("linkedin_url")), "job_title": data.get("job_title"),
                  "company_size": data.get("job_company_size"),
                  "industry": data.get("job_company_industry") or data.get("industry"),
                  "city": data.get("location_locality")}
        return EnrichmentResult(matched=True, likelihood=body.get("likelihood"),
                                fields={k: v for k, v in fields.items() if v}, credits_used=1)

    async def enrich_company(self, company: Company) -> EnrichmentResult:
        body = await self._get("/v5/company/enrich", {"website": company.domain, "name": company.name})
        if body is None:
            return EnrichmentResult(matched=False)
        fields = {"linkedin_url": _url(body.get("linkedin_url")), "industry": body.get("industry"),
                  "company_size": body.get("size") or _size_bucket(body.get("employee_count")),
                  "employees": body.get("employee_count")}
        return EnrichmentResult(matched=True, likelihood=body.get("likelihood"),
                                fields={k: v for k, v in fields.items() if v}, credits_used=1)


def _url(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    return text if text.startswith("http") else "https://" + text


def _error_type(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error", {})
        return str(err.get("type", "")) if isinstance(err, dict) else str(err)
    except ValueError:
        return ""


def provider_from_settings(settings: Settings) -> EnrichmentProvider:
    if settings.enrichment_url and settings.enrichment_api_key:
        return PeopleDataLabsProvider(settings.enrichment_url, settings.enrichment_api_key)
    return OfflineProvider()
