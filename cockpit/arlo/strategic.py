"""The strategic write task: Justin's instruction -> intent (parser) -> records (fuzzy resolution) ->
strategic fields, written under the strategic role. Anything unclear becomes a question in the task's
output and nothing is written (the task is 'blocked' on Justin's answer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cockpit.arlo.context import TaskContext
from cockpit.arlo.instructions import Intent
from cockpit.arlo.registry import STRATEGIC_WRITE, TaskBlocked, register
from cockpit.arlo.resolve import Candidate, find_companies, find_contacts, find_deals, match_stage, which
from cockpit.fields import strategic_whitelist

_VIEW = {"deal": "crm_deals", "contact": "crm_contacts", "company": "crm_companies"}


def _ask(question: str, intent: Intent | None = None) -> TaskBlocked:
    return TaskBlocked({"question": question, "summary": question, "written": False})


async def _resolve(ctx: TaskContext, intent: Intent) -> Candidate:
    name = intent.target or ""
    kind = intent.target_kind or "any"
    if kind == "deal":
        res = await find_deals(ctx.store, name, intent.company_hint)
        what = "deal"
    else:
        res = await find_contacts(ctx.store, name, intent.company_hint)
        what = "contact"
        if not res.match and not res.ambiguous and not intent.company_hint:
            res, what = await find_companies(ctx.store, name), "company"
            if not res.match and not res.ambiguous:
                res, what = await find_deals(ctx.store, name), "deal"
    if res.ambiguous:
        raise _ask(which(res, what if kind != "any" else f"'{name}'") + " Nothing was changed.")
    if res.match is None:
        where = f" at {intent.company_hint}" if intent.company_hint else ""
        raise _ask(f"I couldn't find a {kind if kind != 'any' else 'contact, company or deal'} matching "
                   f"'{name}'{where} in this client's records. Who do you mean? Nothing was changed.")
    return res.match


def _describe(fields: dict[str, Any]) -> str:
    parts = []
    for k, v in fields.items():
        label = k.replace("_", " ").replace(" at", "")
        parts.append(f"{label} {v.isoformat() if isinstance(v, date) else repr(v) if isinstance(v, str) else v}")
    return ", ".join(parts)


async def strategic_write(ctx: TaskContext) -> dict[str, Any]:
    text = str(ctx.task.params.get("text") or ctx.task.brief or "")
    intent = await ctx.services.parser.parse(text, now=ctx.now())
    ctx.add_cost(intent.cost_usd)
    if intent.question:
        raise _ask(intent.question + " Nothing was changed.")
    if intent.action == "unknown" or not intent.target:
        raise _ask("I couldn't tell what to change from that. Nothing was changed.")
    stage = None
    stages = []
    if intent.action == "move":
        stages = await ctx.store.crm.pipeline()
        stage = match_stage(stages, intent.stage or "")
        if stage is None:
            raise _ask(f"No stage matches '{intent.stage}'. The stages are: "
                       + ", ".join(s.label for s in stages) + ". Nothing was changed.")
    target = await _resolve(ctx, intent)
    if stage is not None and target.kind != "deal":
        raise _ask(f"{target.label} is a {target.kind}; only deals move between stages. Nothing was changed.")

    fields = dict(intent.fields)
    if intent.note and intent.action == "update":
        fields["relationship_note" if target.kind == "contact" else "strategy_note"] = intent.note
    if target.kind == "deal":
        fields.pop("relationship_note", None)
    stray = sorted(set(fields) - set(strategic_whitelist(_VIEW[target.kind])))
    if stray:
        raise _ask(f"{target.label} is a {target.kind}: {', '.join(stray)} cannot be set on it by an instruction. "
                   "Nothing was changed.")
    changes = []
    move_to = None
    if stage is not None:
        if target.record.stage_id == stage.stage_id:
            changes.append(f"{target.label} is already in {stage.label}")
        else:
            move_to = stage.stage_id
    if move_to or fields:
        from_stage = await ctx.store.arlo.apply_strategic(_VIEW[target.kind], target.id, fields,  # type: ignore[arg-type]
                                                     stage_id=move_to)
        if move_to and stage is not None:
            labels = {s.stage_id: s.label for s in stages}
            changes.append(f"moved {target.label} from {labels.get(from_stage or '', from_stage)} to {stage.label}")
        if fields:
            changes.append(f"{target.label}: {_describe(fields)}")
    if not changes:
        raise _ask(f"I found {target.label}, but not what to change. Nothing was changed.")
    return {"summary": "; ".join(changes), "written": True, "parser": ctx.services.parser.name,
            "target": {"kind": target.kind, "id": str(target.id), "label": target.label},
            "fields": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()},
            "stage": stage.stage_id if stage else None}


register(STRATEGIC_WRITE, strategic_write)
