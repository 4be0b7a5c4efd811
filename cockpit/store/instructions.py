"""Strategic instructions in the database: the vocabulary of a sentence (the client's records that share
a word with it), one instruction's writes in one transaction with every field's before and after kept in
``redkey.strategic_changes``, undo, and the question/answer bookkeeping on the task's topic log.

Writes go through the stable views under the strategic role; the change log and the topic log are
RedKey bookkeeping, written by the owner in the same transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from cockpit.arlo.mentions import Vocabulary, query_words
from cockpit.arlo.models import Task
from cockpit.db.words import folded, prefix_query, word_vector
from cockpit.errors import NotFound, ValidationFailed
from cockpit.models import Company, Contact, Deal
from cockpit.store.approvals import RoleConn
from cockpit.store.tasks import _append, _task_row

VIEWS = ("crm_deals", "crm_contacts", "crm_companies")
VOCABULARY_LIMIT = 3000
def jsonable(v: Any) -> Any:
    """A field value as the change log keeps it (dates as ISO strings, amounts as numbers)."""
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, UUID):
        return str(v)
    return v


@dataclass
class PlannedWrite:
    """What one record gets: field values (notes are appended in the transaction) and a stage move."""

    view: str
    record_id: UUID
    label: str
    fields: dict[str, Any] = field(default_factory=dict)
    note_field: str | None = None
    note_entry: str | None = None
    stage_id: str | None = None


@dataclass
class PlannedCreate:
    """A new note or task (``crm_notes`` / ``crm_tasks``) on the record ``label`` names; ``fields`` are the
    view's columns (title, body, contact_id/company_id/deal_id, due_at, assignee_id)."""

    view: str
    label: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Applied:
    view: str
    record_id: UUID
    label: str
    field: str
    before: Any
    after: Any


def append_note(old: str | None, entry: str, today: date) -> str:
    """A note appended to what is there, dated; the old text stays above it."""
    line = f"{today.isoformat()}: {entry}"
    return f"{old.rstrip()}\n{line}" if old and old.strip() else line


class InstructionsRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    # --- the vocabulary ---------------------------------------------------------------------------
    async def vocabulary(self, text: str) -> Vocabulary:
        """The client's deals, companies and people sharing a word (its first three letters) with ``text``,
        the companies they belong to, and the deals of the people and companies found."""
        words = [w for w in query_words(text) if re.fullmatch(r"[a-z0-9]+", w)]
        domains = [w for w in query_words(text) if "." in w]
        if not words and not domains:
            return Vocabulary([], [], [])
        regex = r"\m(" + "|".join(words) + ")" if words else "^$"
        # the word index narrows (redkey_*_words_idx), the word-start regex decides
        tsq = prefix_query(words) or "nothing:*"
        named, first, last = (f"({word_vector(c)} @@ to_tsquery('simple', %(q)s) AND {folded(c)} ~ %(re)s)"
                              for c in ("name", "first_name", "last_name"))
        async with self.db.tx("readonly") as conn:
            ccur = conn.cursor(row_factory=class_row(Company))
            await ccur.execute(f"SELECT * FROM crm_companies WHERE {named} ORDER BY name, id LIMIT %(n)s",
                               {"q": tsq, "re": regex, "n": VOCABULARY_LIMIT})
            companies = await ccur.fetchall()
            if domains:  # apart: an OR with the words would make every name's word vector computed, not looked up
                await ccur.execute("SELECT * FROM crm_companies WHERE lower(coalesce(domain, '')) = ANY(%s) "
                                   "ORDER BY name, id LIMIT %s", (domains, VOCABULARY_LIMIT))
                have = {c.id for c in companies}
                companies += [c for c in await ccur.fetchall() if c.id not in have]
            pcur = conn.cursor(row_factory=class_row(Contact))
            # people matching two words (first and last name) first: a cut-off list loses only the weak ones
            await pcur.execute(f"SELECT * FROM crm_contacts WHERE {first} OR {last} "
                               f"ORDER BY ({folded('first_name')} ~ %(re)s)::int + ({folded('last_name')} ~ %(re)s)::int"
                               " DESC, full_name, id LIMIT %(n)s",
                               {"q": tsq, "re": regex, "n": VOCABULARY_LIMIT})
            contacts = await pcur.fetchall()
            dcur = conn.cursor(row_factory=class_row(Deal))
            await dcur.execute(f"SELECT * FROM crm_deals WHERE {named} OR company_id = ANY(%(co)s) "
                               "OR contact_id = ANY(%(pe)s) ORDER BY name, id LIMIT %(n)s",
                               {"q": tsq, "re": regex, "co": [c.id for c in companies], "pe": [p.id for p in contacts],
                                "n": VOCABULARY_LIMIT})
            deals = await dcur.fetchall()
            known = {c.id for c in companies}
            missing = {x.company_id for x in [*contacts, *deals] if x.company_id and x.company_id not in known}
            extra: dict[UUID, Company] = {}
            if missing:
                await ccur.execute("SELECT * FROM crm_companies WHERE id = ANY(%s)", (list(missing),))
                extra = {c.id: c for c in await ccur.fetchall()}
            deal_contacts = {d.contact_id for d in deals if d.contact_id} - {p.id for p in contacts}
            more_people: list[Contact] = []
            if deal_contacts:
                await pcur.execute("SELECT * FROM crm_contacts WHERE id = ANY(%s)", (list(deal_contacts),))
                more_people = await pcur.fetchall()
        vocab = Vocabulary(deals, contacts, companies, extra, extra_contacts=more_people)
        # a list cut at the limit may miss a namesake: resolution then never picks on one word of a name
        vocab.truncated = VOCABULARY_LIMIT in (len(deals), len(contacts), len(companies))
        return vocab

    # --- writing ----------------------------------------------------------------------------------
    async def apply(self, task_id: str, writes: list[PlannedWrite], *, today: date,
                    creates: list[PlannedCreate] | None = None) -> list[Applied]:
        """All of one instruction's writes, in one transaction, or none; returns each field's before/after
        (a new note or task is the field ``created``: before nothing, after what it says)."""
        cols = sorted({c for w in writes for c in w.fields} | {w.note_field for w in writes if w.note_field}
                      | ({"stage_id"} if any(w.stage_id for w in writes) else set())
                      | {c for n in creates or [] for c in n.fields})
        applied: list[Applied] = []
        async with self.db.tx("strategic", columns=cols) as conn:
            rc = RoleConn(conn)
            for n in creates or []:
                if n.view not in ("crm_notes", "crm_tasks"):
                    raise ValidationFailed(f"cannot create in {n.view}")
                names = [c for c, v in n.fields.items() if v is not None]
                row = await rc.one(f"INSERT INTO {n.view} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
                                   " RETURNING id", [n.fields[c] for c in names])
                applied.append(Applied(n.view, row["id"], n.label, "created", None,  # type: ignore[index]
                                       {k: jsonable(v) for k, v in n.fields.items() if v is not None}))
            for w in writes:
                if w.view not in VIEWS:
                    raise ValidationFailed(f"cannot write {w.view}")
                before = await rc.one(f"SELECT * FROM {w.view} WHERE id = %s", (w.record_id,))
                if before is None:
                    raise NotFound(f"{w.label} no longer exists in this client's records")
                values = dict(w.fields)
                if w.note_field and w.note_entry:
                    values[w.note_field] = append_note(before.get(w.note_field), w.note_entry, today)
                if w.stage_id and before.get("stage_id") != w.stage_id:
                    await rc.one("SELECT from_stage FROM crm_move_deal(%s, %s)", (w.record_id, w.stage_id))
                    applied.append(Applied(w.view, w.record_id, w.label, "stage_id", before["stage_id"], w.stage_id))
                values = {k: v for k, v in values.items() if jsonable(before.get(k)) != jsonable(v)}
                if values:
                    row = await rc.one(f"UPDATE {w.view} SET {', '.join(f'{c} = %s' for c in values)} "
                                       "WHERE id = %s RETURNING id", [*values.values(), w.record_id])
                    if row is None:
                        raise NotFound(f"{w.label} no longer exists in this client's records")
                    applied.extend(Applied(w.view, w.record_id, w.label, k, before.get(k), v) for k, v in values.items())
            if applied:
                await rc.as_role("owner")
                for a in applied:
                    await conn.execute(
                        "INSERT INTO redkey.strategic_changes (client_id, task_id, view_name, record_id, label, field,"
                        " before, after) VALUES (redkey.current_client_id(), %s, %s, %s, %s, %s, %s, %s)",
                        (task_id, a.view, a.record_id, a.label, a.field, Jsonb(jsonable(a.before)),
                         Jsonb(jsonable(a.after))))
        return applied

    async def changes(self, task_id: str) -> list[dict[str, Any]]:
        """What ``task_id`` changed, in order, with before/after and whether it was undone."""
        return await self.db.fetch_dicts(  # type: ignore[no-any-return]
            "SELECT * FROM crm_strategic_changes WHERE task_id = %s ORDER BY id", (task_id,))

    async def undo(self, task_id: str, *, by: str = "justin") -> list[dict[str, Any]]:
        """Restore what ``task_id`` changed, all fields or none: refused when a field no longer holds the
        value the task wrote (someone changed it since), or when the task was already undone."""
        async with self.db.tx("owner") as conn:
            rc = RoleConn(conn)
            rows = await rc.rows("SELECT * FROM redkey.strategic_changes WHERE task_id = %s AND client_id = "
                                 "redkey.current_client_id() ORDER BY id DESC FOR UPDATE", (task_id,))
            if not rows:
                raise NotFound(f"task {task_id} changed nothing in this client's records",
                               "only strategic instructions that wrote something can be undone")
            if all(r["undone_at"] for r in rows):
                raise ValidationFailed(f"task {task_id} was already undone ({rows[0]['undone_at']:%Y-%m-%d %H:%M})")
            await rc.as_role("strategic")
            for r in rows:
                if r["field"] == "created":   # a note or task it created: deleted (gone already is fine)
                    continue
                cur = await rc.one(f"SELECT {r['field']} AS v FROM {r['view_name']} WHERE id = %s", (r["record_id"],))
                if cur is None:
                    raise NotFound(f"{r['label']} no longer exists; nothing was undone")
                if jsonable(cur["v"]) != r["after"] and not _same(cur["v"], r["after"]):
                    raise ValidationFailed(
                        f"{r['label']}: {r['field'].replace('_', ' ')} was changed since (it is now "
                        f"{_show(cur['v'])}, arlo wrote {_show(r['after'])}); nothing was undone",
                        "change it by hand, or tell arlo what it should be")
            for r in rows:
                if r["field"] == "created":
                    await conn.execute(f"DELETE FROM {r['view_name']} WHERE id = %s", (r["record_id"],))
                elif r["field"] == "stage_id":
                    await rc.one("SELECT from_stage FROM crm_move_deal(%s, %s)", (r["record_id"], r["before"]))
                else:
                    await rc.one(f"UPDATE {r['view_name']} SET {r['field']} = %s WHERE id = %s RETURNING id",
                                 (r["before"], r["record_id"]))
            await rc.as_role("owner")
            await conn.execute("UPDATE redkey.strategic_changes SET undone_at = now(), undone_by = %s "
                               "WHERE task_id = %s AND undone_at IS NULL", (by, task_id))
            await _append(conn, task_id, "arlo.undone", {"by": by, "fields": len(rows)})
        return list(reversed(rows))

    # --- questions and answers ----------------------------------------------------------------------
    async def open_questions(self, *, limit: int = 50) -> list[Task]:
        """The client's tasks waiting on Justin's answer (blocked with a question), newest first."""
        return await self.db.fetch_models(  # type: ignore[no-any-return]
            Task, "SELECT * FROM redkey.tasks WHERE client_id = %s AND status = 'blocked' "
                  "AND output ? 'question' ORDER BY created_at DESC, id DESC LIMIT %s",
            (self.db.require_scope(), limit), role="owner")

    async def answer(self, task_id: str, choice: dict[str, Any], *, by: str = "justin") -> Task:
        """Record Justin's choice on the task's log and hand the task back to arlo (blocked -> created)."""
        async with self.db.tx("owner") as conn:
            task = await _task_row(conn, task_id, lock=True)
            if task is None or (self.db.client_id and task.client_id != self.db.client_id):
                raise NotFound(f"no task {task_id}")
            if task.status != "blocked" or not (task.output or {}).get("choices"):
                raise ValidationFailed(f"task {task_id} is {task.status.replace('_', ' ')}, not waiting on an answer",
                                       "`cockpit task show ID` shows what it did")
            await _append(conn, task_id, "arlo.answered", {"by": by, "key": choice.get("key"),
                                                           "label": choice.get("label"),
                                                           "binding": choice.get("binding") or {}})
            if choice.get("cancel"):
                await _append(conn, task_id, "task.cancelled", {"reason": f"answered: {choice.get('label')}", "by": by})
            else:
                await _append(conn, task_id, "task.resumed", {"reason": f"answered: {choice.get('label')}", "by": by})
            row = await _task_row(conn, task_id)
            assert row is not None
            return row

    async def bindings(self, task_id: str) -> dict[str, Any]:
        """Every answer given on ``task_id`` so far, merged (later answers win)."""
        rows = await self.db.fetch_dicts(
            "SELECT payload FROM redkey.topic_log WHERE topic_id = %s AND message_type = 'arlo.answered' ORDER BY seq",
            (task_id,), role="owner")
        out: dict[str, Any] = {}
        for r in rows:
            out.update(r["payload"].get("binding") or {})
        return out

    async def supersede(self, task: Task) -> list[str]:
        """Close the client's older questions that ``task`` replaces: the same words said again, and
        questions with nothing to choose ("I couldn't find Zorblax"), which a new instruction leaves behind."""
        async with self.db.tx("owner") as conn:
            # the same words again, or a question that offered nothing to choose (Justin has moved on)
            cur = await conn.execute(
                "SELECT id FROM redkey.tasks WHERE client_id = %s AND status = 'blocked' AND id <> %s "
                "AND task_type IN ('strategic_write', 'adhoc_query') AND output ? 'question' AND created_at <= %s "
                "AND (lower(coalesce(params->>'text', brief, '')) = lower(%s) "
                "     OR jsonb_array_length(coalesce(output->'choices', '[]')) <= 1) FOR UPDATE",
                (task.client_id, task.id, task.created_at, str(task.params.get("text") or task.brief or "")))
            old = [r[0] for r in await cur.fetchall()]
            for tid in old:
                await _append(conn, tid, "task.cancelled", {"reason": f"superseded by {task.id}", "by": "arlo",
                                                            "replaced_by": task.id})
        return old


async def atlas_file(db: Any, client_id: str, text: str, kind: str = "auto") -> str:
    """File an instruction for ``client_id`` the way Atlas does (redkey.atlas_file_task); returns the task id."""
    return str(await db.fetch_value("SELECT redkey.atlas_file_task(%s, %s, %s)", (client_id, text, kind),
                                    role="owner"))


async def atlas_result(db: Any, task_id: str) -> dict[str, Any] | None:
    """A task filed through Atlas: status and output (redkey.atlas_task_result); None if there is none."""
    rows = await db.fetch_dicts("SELECT * FROM redkey.atlas_task_result(%s)", (task_id,), role="owner")
    return rows[0] if rows else None


def _same(current: Any, after: Any) -> bool:
    try:
        return json.dumps(jsonable(current), sort_keys=True) == json.dumps(after, sort_keys=True)
    except TypeError:
        return False


def _show(v: Any) -> str:
    v = jsonable(v)
    return "empty" if v in (None, "") else repr(v) if isinstance(v, str) and len(v) < 60 else str(v)[:60]
