"""Enrichment: a provider protocol, the offline default (enriches nothing, and says so) and an HTTP
provider shaped like People Data Labs' enrich API:

- ``GET {base}/v5/person/enrich`` and ``/v5/company/enrich``, authenticated with ``X-Api-Key``;
- 200 ``{status, likelihood, data}`` on a match (company responses are not wrapped in ``data``),
  404 when nothing matched, 429 ``rate_limit_error`` over the limit;
- it paces itself from ``retry-after`` and ``x-ratelimit-remaining`` / ``x-ratelimit-reset``.

One record's failure is that record's alone: the scan records it and goes on.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from cockpit.config import Settings
from cockpit.errors import CockpitError
from cockpit.models import Company, Contact


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


def _seconds(value: str | None, now: float) -> float | None:
    """A retry-after / reset header as seconds from now (delta seconds, epoch seconds or an HTTP date)."""
    if not value:
        return None
    try:
        n = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - now) if parsed else None
    return max(0.0, n - now) if n > 1_000_000_000 else max(0.0, n)


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
        now = time.time()
        wait = _seconds(resp.headers.get("retry-after"), now)
        remaining = resp.headers.get("x-ratelimit-remaining")
        if wait is None and remaining is not None:
            try:
                if int(float(remaining.split(",")[0])) <= 0:
                    wait = _seconds(resp.headers.get("x-ratelimit-reset"), now) or 1.0
            except ValueError:
                wait = None
        if wait is not None:
            self._not_before = max(self._not_before, time.monotonic() + min(wait, self.max_wait))
        return wait

    async def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """One enrich call with retries: the JSON body on 200, None on 404 (no match)."""
        params = {k: v for k, v in params.items() if v}
        last = ""
        for attempt in range(self.max_retries + 1):
            async with self._lock:
                await self._pace()
            try:
                resp = await self._client.get(path, params=params)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                self._not_before = time.monotonic() + min(2 ** attempt * self.backoff, self.max_wait)
                continue
            waited = self._note_limits(resp)
            if resp.status_code == 200:
                return resp.json()  # type: ignore[no-any-return]
            if resp.status_code == 404:
                return None
            if resp.status_code in (401, 403):
                raise EnrichmentAuthError(f"enrichment provider refused the API key ({resp.status_code})",
                                          "check COCKPIT_ENRICHMENT_API_KEY")
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code} {_error_type(resp)}".strip()
                if waited is None:  # no header: back off exponentially
                    self._not_before = time.monotonic() + min(2 ** attempt * self.backoff, self.max_wait)
                continue
            raise EnrichmentError(f"enrichment provider answered HTTP {resp.status_code} {_error_type(resp)}".strip())
        raise EnrichmentError(f"enrichment provider kept failing ({last}) after {self.max_retries + 1} tries")

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
