"""The AI update policy for the client context, as pure functions (no I/O).

* Append new facts rather than overwriting history: key facts, roles, risks, opportunities and open
  threads are appended (an open thread with the same thread_id is refreshed: it is state, not a fact).
* Respect existing facts unless contradicted; a contradiction becomes a proposal, never an overwrite.
  Two facts contradict when they are about the same *topic* and say different things. A fact's topic is
  explicit (``{"topic": "budget", "text": ...}`` or ``"Budget: ..."``) or, conservatively, the first topic
  word it mentions (budget, timeline, decision maker, competitor, ...); a negation of an existing fact
  ("No longer ...", "Not ...") contradicts it too. When unsure, the human decides.
* ``relationship_status`` and ``system_links`` entries are facts too (a different value is proposed);
  ``summary`` and ``emotion_trend`` are observations of the moment and are refreshed (history keeps
  every previous snapshot).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

STATUSES = ("cold", "warm", "hot", "active", "dormant", "conflict")
TOPIC_WORDS = {
    "budget": ("budget", "funding", "spend"),
    "timeline": ("timeline", "deadline", "go-live", "go live", "launch date"),
    "decision_maker": ("decision maker", "decision-maker", "signs off", "sign-off", "approver"),
    "competitor": ("competitor", "evaluating against", "alternative vendor"),
    "channel_preference": ("prefers sms", "prefers email", "prefers phone", "prefers calls", "prefers whatsapp"),
    "headcount": ("headcount", "employees"),
}
_EXPLICIT = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{1,30}):\s+(.+)$")
_NEGATION = re.compile(r"^\s*(no longer|not|never|isn't|is not|doesn't|does not)\s+", re.I)


@dataclass
class ContextUpdate:
    """What arlo learned from an activity (all optional)."""

    facts: list[str | dict[str, str]] = field(default_factory=list)
    summary: str | None = None
    relationship_status: str | None = None
    emotion_trend: dict[str, Any] | None = None
    roles: list[str] = field(default_factory=list)
    open_threads: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)
    system_links: dict[str, Any] = field(default_factory=dict)
    evidence_refs: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s$%.-]", " ", text.lower()).split()).rstrip(".")


def topic_of(fact: str | dict[str, str]) -> tuple[str | None, str]:
    """(topic, text) of a fact."""
    if isinstance(fact, dict):
        return (fact.get("topic") or None), str(fact.get("text", "")).strip()
    text = fact.strip()
    m = _EXPLICIT.match(text)
    if m and m.group(1).lower().strip() not in ("note", "fyi"):
        return m.group(1).lower().strip().replace(" ", "_").replace("-", "_"), text
    low = text.lower()
    for topic, words in TOPIC_WORDS.items():
        if any(w in low for w in words):
            return topic, text
    return None, text


def _same(a: Any, b: Any) -> bool:
    return _norm(str(a)) == _norm(str(b)) if isinstance(a, str) and isinstance(b, str) else a == b


def merge_context(current: dict[str, Any], update: ContextUpdate, *, contact_id: str,
                  now: datetime | None = None) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """(new context, contradictions to propose, change notes). ``current`` is never modified."""
    now = now or datetime.now(timezone.utc)
    ctx = copy.deepcopy(current) if current else {}
    ctx.setdefault("contact_id", contact_id)
    facts: list[str] = list(ctx.get("key_facts") or [])
    topics: dict[str, str] = dict(ctx.get("fact_topics") or {})
    for f in facts:  # facts written before topics were tracked
        t, _ = topic_of(f)
        if t and t not in topics:
            topics[t] = f
    notes: list[str] = []
    contradictions: list[dict[str, Any]] = []
    known = {_norm(f) for f in facts}
    for fact in update.facts:
        topic, text = topic_of(fact)
        if not text or _norm(text) in known:
            continue
        neg = _NEGATION.match(text)
        negated = next((f for f in facts if neg and _norm(text[neg.end():]) in _norm(f)), None)
        clash = topics.get(topic) if topic else None
        if negated or (clash and not _same(clash, text)):
            contradictions.append({"field": "fact", "topic": topic, "current": negated or clash, "proposed": text})
            continue
        facts.append(text)
        known.add(_norm(text))
        if topic:
            topics[topic] = text
        notes.append(f"fact added: {text}")
    if facts != list(ctx.get("key_facts") or []):
        ctx["key_facts"] = facts
    if topics:
        ctx["fact_topics"] = topics
    if update.relationship_status:
        if update.relationship_status not in STATUSES:
            raise ValueError(f"relationship_status must be one of {', '.join(STATUSES)}")
        cur = ctx.get("relationship_status")
        if not cur:
            ctx["relationship_status"] = update.relationship_status
            notes.append(f"relationship_status: {update.relationship_status}")
        elif cur != update.relationship_status:
            contradictions.append({"field": "relationship_status", "current": cur,
                                   "proposed": update.relationship_status})
    for key in ("summary", "emotion_trend"):
        value = getattr(update, key)
        if value and value != ctx.get(key):
            ctx[key] = value
            notes.append(f"{key} refreshed")
    for key in ("roles", "opportunities", "risks"):
        items = list(ctx.get(key) or [])
        for item in getattr(update, key):
            if not any(_same(item, x) for x in items):
                items.append(item)
                notes.append(f"{key} += {item if isinstance(item, str) else item.get('type', item)}")
        if items:
            ctx[key] = items
    threads = list(ctx.get("open_threads") or [])
    for t in update.open_threads:
        i = next((i for i, x in enumerate(threads) if t.get("thread_id") and x.get("thread_id") == t.get("thread_id")), None)
        if i is None:
            threads.append(t)
            notes.append(f"open thread: {t.get('topic') or t.get('thread_id')}")
        elif {**threads[i], **t} != threads[i]:
            threads[i] = {**threads[i], **t}
            notes.append(f"open thread updated: {t.get('topic') or t.get('thread_id')}")
    if threads:
        ctx["open_threads"] = threads
    links = dict(ctx.get("system_links") or {})
    for k, v in update.system_links.items():
        if links.get(k) in (None, "", []):
            links[k] = v
            notes.append(f"system link {k}")
        elif links[k] != v:
            contradictions.append({"field": f"system_links.{k}", "current": links[k], "proposed": v})
    if update.system_links or "system_links" in ctx:
        ctx["system_links"] = links
    if notes:
        ctx["last_updated_at"] = now.isoformat()
    for c in contradictions:
        c["evidence_refs"] = list(update.evidence_refs)
    return ctx, contradictions, notes


def apply_approved(current: dict[str, Any], kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The context after a human approved a contradiction (or a context writeback)."""
    ctx = copy.deepcopy(current) if current else {}
    if kind == "writeback":  # a writeback sets fields; list fields are appended to, as policy says
        for k, v in payload.items():
            if k == "fact":
                ctx.setdefault("key_facts", []).append(v)
            elif isinstance(ctx.get(k), list) and isinstance(v, list):
                ctx[k] = ctx[k] + [x for x in v if x not in ctx[k]]
            else:
                ctx[k] = v
    elif payload.get("field") == "fact":
        facts = list(ctx.get("key_facts") or [])
        old, new = payload.get("current"), payload["proposed"]
        facts = [f for f in facts if f != old] + [new]
        ctx["key_facts"] = facts
        history = list(ctx.get("superseded_facts") or [])
        if old:
            history.append({"fact": old, "superseded_by": new})
        ctx["superseded_facts"] = history
        if payload.get("topic"):
            ctx.setdefault("fact_topics", {})[payload["topic"]] = new
    elif str(payload.get("field", "")).startswith("system_links."):
        ctx.setdefault("system_links", {})[payload["field"].split(".", 1)[1]] = payload["proposed"]
    else:
        ctx[payload["field"]] = payload["proposed"]
    ctx["last_updated_at"] = datetime.now(timezone.utc).isoformat()
    return ctx
