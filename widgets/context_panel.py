"""The client context object as a readable panel: summary, relationship status, emotion
trend, roles, key facts, open threads (needs-reply flagged), opportunities and risks.

Renders whatever subset is present: arlo fills the object over time, so missing keys are normal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from widgets.formatting import money, short_date

STATUS_STYLE = {"warm": "green", "hot": "bold green", "cool": "cyan", "cold": "blue", "at_risk": "bold red"}


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            return short_date(datetime.fromisoformat(value))
        except ValueError:
            return value
    return short_date(value) if value else "—"


def _section(title: str) -> Text:
    return Text(title, style="bold underline")


def render_context(ctx: dict[str, Any] | None, last_updated: datetime | None = None) -> RenderableType:
    if not ctx:
        return Text("no client context yet (arlo builds it from conversations)", style="dim")
    parts: list[RenderableType] = []
    head = Text()
    status = ctx.get("relationship_status")
    if status:
        head.append("relationship ", style="dim")
        head.append(str(status), style=STATUS_STYLE.get(str(status), "bold"))
    trend = ctx.get("emotion_trend") or {}
    if trend:
        head.append("   emotion ", style="dim")
        valence = trend.get("valence")
        if isinstance(valence, (int, float)):
            head.append(f"{valence:+.1f}", style="green" if valence > 0 else "red" if valence < 0 else "")
        for key in ("energy", "stability"):
            if trend.get(key):
                head.append(f" · {trend[key]}")
    if last_updated:
        head.append(f"   updated {short_date(last_updated)}", style="dim")
    if head:
        parts.append(head)
    if ctx.get("summary"):
        parts.append(Text(str(ctx["summary"])))
    roles = ctx.get("roles") or []
    if roles:
        parts.append(Text.assemble(("roles ", "dim"), ", ".join(str(r).replace("_", " ") for r in roles)))
    facts = ctx.get("key_facts") or []
    if facts:
        parts.append(_section("Key facts"))
        parts.append(Text("\n".join(f"• {f}" for f in facts)))
    threads = ctx.get("open_threads") or []
    if threads:
        parts.append(_section("Open threads"))
        lines = Text()
        for i, t in enumerate(threads):
            if i:
                lines.append("\n")
            if t.get("needs_reply"):
                lines.append("● needs reply ", style="bold red")
            else:
                lines.append("○ ", style="dim")
            lines.append(str(t.get("topic") or t.get("thread_id") or "thread"))
            lines.append(f"  {t.get('channel', '')} · last {_when(t.get('last_message_at'))}", style="dim")
            if t.get("suggested_tone"):
                lines.append(f"\n    tone: {t['suggested_tone']}", style="italic dim")
        parts.append(lines)
    opps = ctx.get("opportunities") or []
    if opps:
        parts.append(_section("Opportunities"))
        lines = Text()
        for i, o in enumerate(opps):
            if i:
                lines.append("\n")
            lines.append(f"{o.get('type', 'opportunity')}", style="bold")
            if o.get("stage"):
                lines.append(f" · {o['stage']}")
            if o.get("estimated_value") is not None:
                lines.append(f" · {money(o['estimated_value'], 'USD', compact=True)}", style="green")
            if o.get("next_action"):
                lines.append(f"\n    next: {o['next_action']}")
        parts.append(lines)
    risks = ctx.get("risks") or []
    if risks:
        parts.append(_section("Risks"))
        parts.append(Text("\n".join(f"! {r.get('type', 'risk')}: {r.get('note', '')}" for r in risks),
                          style="yellow"))
    return Group(*parts)
