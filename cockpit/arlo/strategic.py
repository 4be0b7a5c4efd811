"""The strategic write task: Justin's instruction -> intent (parser) -> writes (resolution against the
client's records and stages) -> one transaction under the strategic role.

Anything unclear becomes a question with choices in the task's output and nothing is written (the task
is 'blocked' on Justin's answer; answering hands it back here with the choice as a binding). A write's
result says exactly what changed on which record; ``redkey.strategic_changes`` keeps every field's
before and after for undo.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cockpit.arlo.dates import shown
from cockpit.arlo.context import TaskContext
from cockpit.arlo.registry import STRATEGIC_WRITE, TaskBlocked, register
from cockpit.arlo.resolve import Ask, Question, resolve
from cockpit.errors import CockpitError
from cockpit.fields import strategic_whitelist
from cockpit.store.crm_tasks import due_at_of
from cockpit.store.instructions import jsonable


def _show(field: str, v: Any) -> str:
    v = jsonable(v)
    if v in (None, ""):
        return "empty"
    if field in ("recontact_at", "close_date"):
        return shown(date.fromisoformat(str(v)))
    if field.endswith("_note"):
        return repr(v.splitlines()[-1]) if isinstance(v, str) else str(v)
    return repr(v) if isinstance(v, str) else f"{v:,.0f}" if isinstance(v, float) else str(v)


def describe_applied(applied: list[Any], stage_labels: dict[str, str]) -> list[str]:
    """One line per record: what changed on it, before → after (dates as the exact day)."""
    by_record: dict[str, list[str]] = {}
    for a in applied:
        if a.field == "created":
            what = "note" if a.view == "crm_notes" else "task"
            text = (a.after.get("body") if what == "note" else None) or a.after.get("title") or ""
            due = a.after.get("due_at")
            by_record.setdefault(a.label, []).append(
                f"new {what} {text!r}" + (f" due {shown(date.fromisoformat(str(due)[:10]))}" if due else ""))
            continue
        name = a.field.replace("_", " ").removesuffix(" at")
        if a.field == "stage_id":
            part = f"stage {stage_labels.get(a.before, a.before)} → {stage_labels.get(a.after, a.after)}"
        elif a.field.endswith("_note"):
            part = f"{name} + {_show(a.field, a.after)}"
        else:
            part = f"{name} {_show(a.field, a.before)} → {_show(a.field, a.after)}"
        by_record.setdefault(a.label, []).append(part)
    return [f"{label}: {', '.join(parts)}" for label, parts in by_record.items()]


async def strategic_write(ctx: TaskContext) -> dict[str, Any]:
    text = str(ctx.task.params.get("text") or ctx.task.brief or "")
    repo = ctx.store.instructions
    today = ctx.now().date()
    bindings = await repo.bindings(ctx.task.id)
    if not bindings:
        await repo.supersede(ctx.task)
    vocab = await repo.vocabulary(text)
    intent = await ctx.services.parser.parse(text, now=ctx.now(), vocabulary=vocab)
    ctx.add_cost(intent.cost_usd)
    stages = await ctx.store.crm.pipeline()
    try:
        plan = resolve(intent, vocab, stages, bindings, today)
    except Ask as ask:
        raise TaskBlocked(ask.question.output()) from None
    if not plan.writes and not plan.creates:
        if plan.already:
            return {"summary": "Nothing to change: " + "; ".join(plan.already) + ".", "written": False,
                    "changes": [], "parser": ctx.services.parser.name}
        raise TaskBlocked(Question("I couldn't tell what to change from that.").output())
    for w in plan.writes:   # the registry says what an instruction may set on each kind of record
        stray = sorted({*w.fields, *([w.note_field] if w.note_field else [])} - set(strategic_whitelist(w.view)))
        if stray:
            raise TaskBlocked(Question(f"{w.label}: {', '.join(f.replace('_', ' ') for f in stray)} cannot be set "
                                       "by an instruction.").output())
    await ctx.checkpoint()
    planned = [{"record": w.label, "id": str(w.record_id), "view": w.view,
                "fields": sorted([*w.fields, *([w.note_field] if w.note_field else []),
                                  *(["stage_id"] if w.stage_id else [])])} for w in plan.writes]
    for new in plan.creates:   # a task arlo writes is assigned to the cockpit's workspace member
        if new.view == "crm_tasks":
            me = await ctx.store.crm_tasks.me()
            new.fields["assignee_id"] = me.id if me else None
            new.fields["due_at"] = due_at_of(new.fields.get("due_at"))
    planned += [{"record": n.label, "view": n.view, "fields": ["created"]} for n in plan.creates]
    try:
        applied = await repo.apply(ctx.task.id, plan.writes, today=today, creates=plan.creates)
    except CockpitError as exc:   # refused by the database: nothing of the instruction was written
        raise TaskBlocked({"error": f"{exc}; nothing was changed (it would have been: {'; '.join(plan.said)})",
                           "written": False, "planned": planned}) from None
    labels = {s.stage_id: s.label for s in stages}
    lines = describe_applied(applied, labels)
    summary = "; ".join(lines) + "." if lines else "Nothing to change."
    if plan.already:
        summary += " (" + "; ".join(plan.already) + ")"
    if plan.unused:
        summary += " Not used: " + "; ".join(f"'{u}'" for u in plan.unused) + "."
    return {"summary": summary, "written": bool(applied), "parser": ctx.services.parser.name,
            "changes": [{"record": a.label, "id": str(a.record_id), "view": a.view, "field": a.field,
                         "before": jsonable(a.before), "after": jsonable(a.after)} for a in applied],
            "undo": f"cockpit undo {ctx.task.id}" if applied else None}


register(STRATEGIC_WRITE, strategic_write)
