"""arlo's questions and Justin's answers, and undo: the service the shell, the Arlo screen and the Tell
dialog call (no Textual, no SQL here; the store's ``instructions`` repository does the bookkeeping).

- :func:`open_questions` — the client's tasks waiting on an answer, each with its choices.
- :func:`answer` — pick a choice (its key "2", or words of its label "Negotiation"); the task goes back
  to arlo with the choice, and :meth:`Arlo.run_task` (or a running arlo) finishes it: it completes, or
  asks the next question on the same task. Choice "0" drops the instruction (the task is cancelled).
  A question is never left behind: answered ones re-run, dropped ones are cancelled, and telling the
  same words again supersedes the old question.
- :func:`undo` — restore what a strategic instruction wrote (all fields or none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from cockpit.arlo.models import Task
from cockpit.errors import ValidationFailed


@dataclass(frozen=True)
class OpenQuestion:
    task_id: str
    text: str                            # the instruction as told
    question: str                        # arlo's question (without the list of choices)
    choices: list[dict[str, Any]]        # [{key, label, binding, cancel}]

    @classmethod
    def of(cls, task: Task) -> "OpenQuestion":
        out = task.output or {}
        return cls(task.id, str(task.params.get("text") or task.brief or ""),
                   str(out.get("summary") or out.get("question") or ""), list(out.get("choices") or []))


async def open_questions(store: Any, *, limit: int = 50) -> list[OpenQuestion]:
    """The questions of the store's client that wait on Justin, newest first."""
    return [OpenQuestion.of(t) for t in await store.instructions.open_questions(limit=limit)]


def pick(choices: list[dict[str, Any]], answer_text: str) -> dict[str, Any]:
    """The choice ``answer_text`` means: its key, or words of its label (unambiguous)."""
    a = " ".join(answer_text.lower().split())
    if not a:
        raise ValidationFailed("the answer is empty", "give the number of a choice, e.g. 1")
    for c in choices:
        if a == str(c["key"]).lower() or a == str(c["label"]).lower():
            return c
    scored = sorted(((max(fuzz.partial_ratio(a, str(c["label"]).lower()) if len(a) >= 3 else 0.0,
                          fuzz.ratio(a, str(c["label"]).lower())), c) for c in choices), key=lambda x: -x[0])
    if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 5):
        return scored[0][1]
    listed = "; ".join(f"{c['key']} = {c['label']}" for c in choices)
    raise ValidationFailed(f"{answer_text!r} is not one of the choices", f"answer with a number: {listed}")


async def answer(store: Any, task_id: str, answer_text: str, *, by: str = "justin") -> Task:
    """Record the answer to ``task_id``'s question; returns the task (created again, or cancelled)."""
    task = await store.tasks.task(task_id)
    choices = list((task.output or {}).get("choices") or [])
    if task.status != "blocked" or not choices:
        raise ValidationFailed(f"task {task_id} is {task.status.replace('_', ' ')}, not waiting on an answer",
                               f"`cockpit task show {task_id}` shows what it did")
    return await store.scoped(task.client_id).instructions.answer(task_id, pick(choices, answer_text), by=by)


async def answer_and_run(arlo: Any, task_id: str, answer_text: str, *, by: str = "justin") -> Task:
    """Answer, then run the task to its end here (or wait for the arlo that took it)."""
    task = await answer(arlo.store, task_id, answer_text, by=by)
    return task if task.is_final else await arlo.run_task(task_id)


async def undo(store: Any, task_id: str, *, by: str = "justin") -> str:
    """Restore what ``task_id`` wrote; returns what was restored, one line per field."""
    task = await store.tasks.task(task_id)
    scoped = store.scoped(task.client_id)
    rows = await scoped.instructions.undo(task_id, by=by)
    labels = {s.stage_id: s.label for s in await scoped.crm.pipeline()}
    parts = []
    for r in rows:
        field = "stage" if r["field"] == "stage_id" else r["field"].replace("_", " ").removesuffix(" at")
        before = labels.get(r["before"], r["before"]) if r["field"] == "stage_id" else r["before"]
        parts.append(f"{r['label']}: {field} back to {'empty' if before in (None, '') else _short(before)}")
    return "Undone: " + "; ".join(parts) + "."


def _short(v: Any) -> str:
    text = str(v).splitlines()[-1] if isinstance(v, str) else str(v)
    return repr(text[:60]) if isinstance(v, str) else text
