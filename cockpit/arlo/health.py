"""The pipeline health task: open deals with no activity past their stage's threshold
(settings.health_threshold_by_stage, keyed by stage id or label; else health_threshold_days), posted as a
readable summary to roles.exec — Justin's inbox."""

from __future__ import annotations

from typing import Any

from cockpit.arlo.context import TaskContext
from cockpit.arlo.registry import PIPELINE_HEALTH, register
from cockpit.formatting import money


async def pipeline_health(ctx: TaskContext) -> dict[str, Any]:
    s = ctx.settings
    total, rows = await ctx.store.arlo.stale_deals(s.health_threshold_by_stage, s.health_threshold_days,
                                              now=ctx.task.params.get("now"), limit=25)
    if total == 0:
        title = "Pipeline health: every open deal has recent activity"
        body = (f"No open deal has gone quiet past its threshold ({s.health_threshold_days} days by default"
                + (", per stage: " + ", ".join(f"{k} {v}d" for k, v in s.health_threshold_by_stage.items())
                   if s.health_threshold_by_stage else "") + ").")
    else:
        title = f"Pipeline health: {total} deal{'s' if total != 1 else ''} need attention"
        lines = [f"{total} open deal{'s have' if total != 1 else ' has'} had no activity past the threshold "
                 f"(most idle first):", ""]
        for r in rows:
            who = f" ({r['company_name']})" if r["company_name"] else ""
            amount = "no amount" if r["amount"] is None else money(r["amount"], r["currency"])
            lines.append(f"• {r['name']}{who} — {r['stage_label']}, {amount}, idle {r['idle_days']} days")
        if total > len(rows):
            lines.append(f"… and {total - len(rows)} more.")
        body = "\n".join(lines)
    inbox_id = await ctx.store.tasks.post_to_exec(title, body, task_id=ctx.task.id)
    return {"summary": title, "stale": total, "inbox_id": inbox_id,
            "deals": [{"id": str(r["id"]), "name": r["name"], "idle_days": r["idle_days"]} for r in rows]}


register(PIPELINE_HEALTH, pipeline_health)
