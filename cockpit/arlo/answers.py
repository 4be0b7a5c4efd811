"""Ad-hoc queries from Justin, answered from the views: "summarise the pipeline", "who needs a
follow-up", "draft a follow-up to X". Templates by default; when an LLM is configured it phrases the
answer from the same facts (the facts are always computed here, from the database)."""

from __future__ import annotations

import re
from typing import Any

from cockpit.arlo.context import TaskContext
from cockpit.arlo.registry import ADHOC_QUERY, TaskBlocked, register
from cockpit.arlo.resolve import find_contacts, which
from cockpit.formatting import money


async def _pipeline_summary(ctx: TaskContext) -> tuple[str, dict[str, Any]]:
    stages = await ctx.store.crm.pipeline()
    totals = await ctx.store.crm.stage_totals()
    open_count = sum(totals[s.stage_id].count for s in stages if not s.is_closed and s.stage_id in totals)
    open_value = sum(totals[s.stage_id].amount for s in stages if not s.is_closed and s.stage_id in totals)
    stale, rows = await ctx.store.arlo.stale_deals(ctx.settings.health_threshold_by_stage, ctx.settings.health_threshold_days,
                                              now=ctx.now(), limit=3)
    lines = [f"Pipeline: {open_count} open deals worth {money(open_value)}."]
    for s in stages:
        t = totals.get(s.stage_id)
        lines.append(f"  {s.label:<14} {t.count if t else 0:>5} deals  {money(t.amount if t else 0):>14}"
                     + ("  (closed)" if s.is_closed else ""))
    if stale:
        lines.append(f"{stale} open deals have gone quiet past their threshold; most idle: "
                     + "; ".join(f"{r['name']} ({r['idle_days']} days)" for r in rows) + ".")
    facts = {"open_deals": open_count, "open_value": float(open_value), "stale": stale,
             "stages": {s.label: (totals[s.stage_id].count if s.stage_id in totals else 0) for s in stages}}
    return "\n".join(lines), facts


async def _follow_ups(ctx: TaskContext) -> tuple[str, dict[str, Any]]:
    rows = await ctx.store.arlo.follow_up_candidates(today=ctx.now().date(), stale_days=ctx.settings.stale_days, limit=15)
    if not rows:
        return "Nobody needs a follow-up right now: no recontact dates due this week and no idle open deals.", {}
    total = int(rows[0]["total"])
    lines = [f"{total} {'people need' if total != 1 else 'person needs'} a follow-up"
             + (f"; the {len(rows)} most urgent:" if total > len(rows) else " (most urgent first):")]
    for r in rows:
        where = f" ({r['company_name']})" if r["company_name"] else ""
        deal = f", {r['deal_name']}" if r["deal_name"] else ""
        lines.append(f"• {r['full_name']}{where}{deal}: {r['reason']}")
    return "\n".join(lines), {"people": [r["full_name"] for r in rows], "total": total}


async def _draft(ctx: TaskContext, who: str) -> tuple[str, dict[str, Any]]:
    parts = re.split(r"\s+(?:at|from)\s+", who, maxsplit=1)
    name, company = parts[0], (parts[1] if len(parts) > 1 else None)
    res = await find_contacts(ctx.store, name, company)
    if res.ambiguous:
        raise TaskBlocked({"question": which(res, "contact"), "summary": which(res, "contact")})
    if res.match is None:
        q = f"I couldn't find a contact matching '{who}'. Who should the follow-up go to?"
        raise TaskBlocked({"question": q, "summary": q})
    contact = res.match.record
    deals = await ctx.store.crm.deals_of(contact_id=contact.id, limit=1)
    last = await ctx.store.arlo.last_activity_of(contact.id)
    first = contact.first_name or contact.full_name or "there"
    topic = deals[0].name if deals else "our conversation"
    recall = (f"Following up on our last exchange ({last['subject'] or last['kind'].replace('_', ' ')}, "
              f"{last['occurred_at']:%-d %B})." if last else "I wanted to follow up.")
    body = (f"To: {contact.email or contact.full_name}\nSubject: Following up — {topic}\n\n"
            f"Hi {first},\n\n{recall} Is there anything you need from us to move {topic} forward? "
            f"Happy to set up a short call this week if that helps.\n\nBest,\nJustin")
    return body, {"contact": res.match.label, "deal": topic, "last_activity": bool(last)}


async def adhoc_query(ctx: TaskContext) -> dict[str, Any]:
    text = str(ctx.task.params.get("text") or ctx.task.brief or "").strip()
    low = text.lower()
    if m := re.search(r"\bdraft\b.*?\b(?:follow[ -]?up|email|note|message)\b\s+(?:to|for)\s+(?P<who>[^?.!,]+)", low):
        who = text[m.start("who"):m.end("who")].strip()
        kind, (answer, facts) = "draft", await _draft(ctx, who)
    elif re.search(r"follow[ -]?up|recontact|who should i (call|email|contact)|overdue", low):
        kind, (answer, facts) = "follow_ups", await _follow_ups(ctx)
    elif re.search(r"pipeline|summar|overview|how are we doing|deals", low):
        kind, (answer, facts) = "pipeline_summary", await _pipeline_summary(ctx)
    else:
        q = ("I can summarise the pipeline, list who needs a follow-up, or draft a follow-up to someone "
             "(\"draft a follow-up to Sarah Chen\"). Which would help?")
        raise TaskBlocked({"question": q, "summary": q})
    if ctx.services.llm is not None:
        done = await ctx.services.llm.complete(
            "You are arlo, a CRM assistant. Answer the founder's request using only the facts given; be brief.",
            f"Request: {text}\n\nFacts (from the CRM):\n{answer}")
        ctx.add_cost(done.cost_usd)
        answer = done.text.strip() or answer
    summary = f"Drafted a follow-up to {facts['contact']}" if kind == "draft" else answer.splitlines()[0]
    return {"summary": summary, "answer": answer, "kind": kind, "facts": facts}


register(ADHOC_QUERY, adhoc_query)
