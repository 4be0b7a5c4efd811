"""Anthropic's Messages API over httpx, and the LLM instruction parser behind the same protocol as the
rule-based one. Used only when COCKPIT_ANTHROPIC_API_KEY is set.

Wire format: ``POST {base}/v1/messages`` with ``x-api-key``, ``anthropic-version: 2023-06-01`` and
``{model, max_tokens, system, messages}``; the answer is ``{content: [{type: "text", text}], usage:
{input_tokens, output_tokens}, stop_reason}``; errors are ``{type: "error", error: {type, message}}``.
429, 500, 529 (overloaded) and network errors are retried, waiting ``retry-after`` (seconds or an HTTP
date) else 0.5, 1 s..., at most 30 s (:mod:`cockpit.retries`); other errors are not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from cockpit.arlo.instructions import Intent, parse_when
from cockpit.config import Settings
from cockpit.errors import CockpitError
from cockpit.retries import RetriesExhausted, Retry, RetryPolicy, header_seconds, retrying

RETRYABLE = frozenset({429, 500, 529})

# USD per million tokens (input, output) for cost_usd; Sonnet-class pricing as the default.
PRICES = {"default": (3.0, 15.0)}


class LLMError(CockpitError):
    """The LLM service failed or answered something unusable."""


@dataclass
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


class MessagesClient:
    def __init__(self, api_key: str, *, base_url: str = "https://api.anthropic.com", model: str = "claude-sonnet-4-5",
                 timeout: float = 60.0, max_retries: int = 2) -> None:
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, headers={
            "x-api-key": api_key, "anthropic-version": "2023-06-01", "content-type": "application/json"})
        self.model = model
        self.max_retries = max_retries

    @classmethod
    def from_settings(cls, settings: Settings) -> "MessagesClient | None":
        if not settings.anthropic_api_key:
            return None
        return cls(settings.anthropic_api_key, base_url=settings.anthropic_base_url, model=settings.anthropic_model)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def complete(self, system: str, user: str, *, max_tokens: int = 800) -> Completion:
        body = {"model": self.model, "max_tokens": max_tokens, "system": system,
                "messages": [{"role": "user", "content": user}]}
        policy = RetryPolicy(attempts=self.max_retries + 1, backoff=0.5, max_wait=30.0)
        try:
            resp = await retrying(lambda: self._post(body), policy)
        except RetriesExhausted as exc:
            cause = exc.last.__cause__
            if isinstance(cause, httpx.HTTPError):
                raise LLMError(f"LLM unreachable: {cause}", "check COCKPIT_ANTHROPIC_BASE_URL") from cause
            resp = exc.last.response
        if resp.status_code != 200:
            try:
                err = resp.json().get("error", {})
                detail = f"{err.get('type')}: {err.get('message')}"
            except ValueError:
                detail = resp.text[:200]
            raise LLMError(f"LLM answered HTTP {resp.status_code} ({detail})",
                           "check COCKPIT_ANTHROPIC_API_KEY" if resp.status_code in (401, 403) else None)
        data = resp.json()
        text = "".join(b.get("text", "") for b in data.get("content", []) if b.get("type") == "text")
        usage = data.get("usage", {})
        tin, tout = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        pin, pout = PRICES.get(self.model, PRICES["default"])
        return Completion(text, tin, tout, (tin * pin + tout * pout) / 1_000_000)

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        """One request; :class:`Retry` on a network error or a retryable status."""
        try:
            resp = await self._client.post("/v1/messages", json=body)
        except httpx.HTTPError as exc:
            raise Retry(f"network error: {exc}") from exc
        if resp.status_code in RETRYABLE:
            raise Retry(f"HTTP {resp.status_code}", header_seconds(resp.headers.get("retry-after")),
                        rate_limited=resp.status_code == 429, response=resp)
        return resp


PARSER_SYSTEM = """You turn a founder's CRM instruction into JSON. Strategic fields only: priority (high|medium|low),
strategy_note (deals, companies), relationship_note (contacts), recontact_at (a date expression as written,
e.g. "July", "Q3", "2 weeks", or YYYY-MM-DD), and stage moves for deals.
Answer with one JSON object and nothing else:
{"action": "update" | "move" | "unknown",
 "target_kind": "deal" | "contact" | "company" | "any",
 "target": "<the record as named, e.g. Acme>", "company_hint": "<company named with a person, or null>",
 "stage": "<stage as named, for moves, or null>", "priority": "<high|medium|low or null>",
 "note": "<context worth keeping as a note, or null>", "recontact": "<date expression or null>",
 "question": "<a question if the instruction is unclear, or null>"}
Today is {today}."""


class LLMInstructionParser:
    """Asks the model for the intent; dates are still read by :func:`parse_when` so the rules stay ours."""

    name = "llm"

    def __init__(self, client: MessagesClient) -> None:
        self.client = client

    async def parse(self, text: str, *, now: datetime) -> Intent:
        done = await self.client.complete(PARSER_SYSTEM.replace("{today}", now.date().isoformat()), text)
        m = re.search(r"\{.*\}", done.text, re.S)
        try:
            data: dict[str, Any] = json.loads(m.group(0)) if m else {}
        except json.JSONDecodeError:
            data = {}
        if not data:
            return Intent("unknown", question="I couldn't make sense of that instruction.", cost_usd=done.cost_usd)
        fields: dict[str, Any] = {}
        question = data.get("question") or None
        if data.get("priority") in ("high", "medium", "low"):
            fields["priority"] = data["priority"]
        if data.get("recontact"):
            when: date | None = parse_when(str(data["recontact"]), now.date())
            if when is None:
                question = question or f"When should I recontact? I couldn't read {data['recontact']!r} as a date."
            else:
                fields["recontact_at"] = when
        action = data.get("action") if data.get("action") in ("update", "move") else "unknown"
        if action == "unknown" and not question:
            question = "I couldn't tell what to change from that."
        kind = data.get("target_kind") if data.get("target_kind") in ("deal", "contact", "company", "any") else "any"
        return Intent(action, kind, data.get("target") or None, company_hint=data.get("company_hint") or None,
                      stage=data.get("stage") or None, fields=fields, note=data.get("note") or None,
                      question=question, cost_usd=done.cost_usd)
