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
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from cockpit.arlo.dates import read_date
from cockpit.arlo.instructions import Change, Intent, Target
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


PARSER_SYSTEM = """You turn a founder's CRM instruction into JSON. It may hold several changes, on one or
more records. Fields: stage (deals: the stage as he named it, e.g. "Negotiation", "closed lost", "signed"),
priority (high|medium|low), recontact (a date expression as written, e.g. "July", "end of Q1", "next Tuesday",
or YYYY-MM-DD), note (context worth keeping, in his words), amount (deals: a number in currency units),
currency (deals: ISO code), close_date (deals: a date expression as written), name (deals: a new name).
Answer with one JSON object and nothing else:
{"targets": [{"name": "<the record as named, e.g. Volta Energy — Pilot or Sarah>",
              "kind": "deal" | "contact" | "company" | "any", "company": "<company named with a person, or null>"}],
 "changes": [{"target": <index into targets>, "field": "<field>", "value": "<value as written>"}],
 "question": "<a question if the instruction is unclear, or null>"}
Never guess a record, a stage or a date: when unsure, ask in "question". Today is {today}."""

_FIELDS = {"stage": "stage", "priority": "priority", "recontact": "recontact_at", "recontact_at": "recontact_at",
           "note": "note", "amount": "amount", "currency": "currency", "close_date": "close_date", "name": "name"}


def _legacy(data: dict[str, Any]) -> dict[str, Any]:
    """The single-action answer shape ({action, target, priority, ...}) as targets + changes."""
    if "targets" in data or not data.get("target"):
        return data
    changes = [{"target": 0, "field": f, "value": data.get(k)} for k, f in
               (("stage", "stage"), ("priority", "priority"), ("recontact", "recontact"), ("note", "note"))
               if data.get(k)]
    return {"targets": [{"name": data["target"], "kind": data.get("target_kind") or "any",
                         "company": data.get("company_hint")}], "changes": changes, "question": data.get("question")}


class LLMInstructionParser:
    """Asks the model for the intent; dates and amounts are still read by our rules, and resolution
    (records, stages, the never-a-wrong-write rule) is the same as for the rule-based parser."""

    name = "llm"

    def __init__(self, client: MessagesClient) -> None:
        self.client = client

    async def parse(self, text: str, *, now: datetime, vocabulary: Any = None) -> Intent:
        done = await self.client.complete(PARSER_SYSTEM.replace("{today}", now.date().isoformat()), text)
        m = re.search(r"\{.*\}", done.text, re.S)
        try:
            data: dict[str, Any] = json.loads(m.group(0)) if m else {}
        except json.JSONDecodeError:
            data = {}
        if not isinstance(data, dict) or not data:
            return Intent(question="I couldn't make sense of that instruction.", cost_usd=done.cost_usd)
        data = _legacy(data)
        intent = Intent(question=data.get("question") or None, cost_usd=done.cost_usd)
        for t in data.get("targets") or []:
            if isinstance(t, dict) and t.get("name"):
                kind = t.get("kind") if t.get("kind") in ("deal", "contact", "company", "any") else "any"
                intent.targets.append(Target(str(t["name"]), kind, t.get("company") or None))
        for c in data.get("changes") or []:
            field = _FIELDS.get(str(c.get("field"))) if isinstance(c, dict) else None
            target = c.get("target") if isinstance(c, dict) else None
            if field is None or not isinstance(target, int) or not 0 <= target < len(intent.targets):
                continue
            value = c.get("value")
            change = _change(field, value, target, now.date())
            if isinstance(change, str):
                intent.question = intent.question or change
            elif change is not None:
                intent.changes.append(change)
        if not intent.changes and not intent.question:
            intent.question = "I couldn't tell what to change from that."
        return intent


def _change(field: str, value: Any, target: int, today: date) -> Change | str | None:
    if value in (None, ""):
        return None
    words = str(value)
    if field in ("recontact_at", "close_date"):
        when = read_date(words, today)
        if when is None:
            return f"I couldn't read {words!r} as a date."
        return Change(target, field, when, words)
    if field == "priority":
        level = words.lower()
        return Change(target, field, level, words) if level in ("high", "medium", "low") else \
            f"Priority {words!r} is not high, medium or low."
    if field == "amount":
        try:
            amount = Decimal(re.sub(r"[^\d.]", "", words.lower().replace("k", "000")))
        except InvalidOperation:
            return f"I couldn't read {words!r} as an amount."
        return Change(target, field, amount, words)
    if field == "currency":
        return Change(target, field, words.upper()[:3], words)
    return Change(target, field, words, words)
