"""Projects, stages and phases above arlo's tasks: every change is a message on the entity's topic; the
listener (migrations 960-962) applies it to redkey.projects / stages / phases / tasks in the same
transaction and refuses transitions that are not allowed. This repository appends those messages and
reads current state, always for the store's client.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from cockpit.arlo.models import LogMessage
from cockpit.errors import NotFound, ValidationFailed
from cockpit.work.models import (CONTROL_TYPES, Kind, Phase, Project, ProjectSummary, ProjectTree, Stage,
                                 WorkAction, WorkTask)

_TABLE = {"project": "projects", "stage": "stages", "phase": "phases", "task": "tasks"}
_MODEL: dict[str, Any] = {"project": Project, "stage": Stage, "phase": Phase, "task": WorkTask}
_TASK_COLS = ("id, client_id, phase_id, stage_id, project_id, role, task_type, agent, status, brief, depends_on, "
              "waiting_on, status_reason, replaced_by, hold_seq, held_via, stop_seq, created_at")


async def append(conn: AsyncConnection, topic_id: str, message_type: str, payload: dict[str, Any]) -> int:
    cur = await conn.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) VALUES (%s, %s, %s) "
                             "RETURNING seq", (topic_id, message_type, Jsonb(payload)))
    return int((await cur.fetchone())[0])  # type: ignore[index]


async def new_topic(conn: AsyncConnection, kind: str) -> str:
    cur = await conn.execute("SELECT redkey.new_topic(%s)", (kind,))
    return str((await cur.fetchone())[0])  # type: ignore[index]


async def _one(conn: AsyncConnection, kind: str, entity_id: str, client_id: str) -> Any:
    cols = _TASK_COLS if kind == "task" else "*"
    cur = conn.cursor(row_factory=class_row(_MODEL[kind]))
    await cur.execute(f"SELECT {cols} FROM redkey.{_TABLE[kind]} WHERE id = %s AND client_id = %s",
                      (entity_id, client_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no {kind} {entity_id} for this client")
    return row


async def template_for(conn: AsyncConnection, client_id: str, template: str) -> dict[str, Any]:
    """The client's own template of that name, else the deployment's."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute("SELECT template, title, stage_sequence FROM redkey.project_templates WHERE template = %s "
                      "AND (client_id = %s OR client_id IS NULL) ORDER BY client_id NULLS LAST LIMIT 1",
                      (template, client_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no project template {template!r}", "define it on the definitions topic")
    return row


async def create_project_in(conn: AsyncConnection, client_id: str, *, title: str, brief: str | None = None,
                            stage_sequence: list[Any] | None = None, template: str | None = None,
                            deal_id: str | None = None, company_id: str | None = None,
                            created_by: str = "justin", start: bool = True) -> Project:
    """project.created on a new topic (in the caller's transaction); its first stage starts with it."""
    if template and stage_sequence is None:
        stage_sequence = (await template_for(conn, client_id, template))["stage_sequence"]
    topic = await new_topic(conn, "project")
    await append(conn, topic, "project.created", {
        "client_id": client_id, "title": title, "brief": brief, "created_by": created_by,
        "stage_sequence": stage_sequence or [], "template": template, "deal_id": deal_id,
        "company_id": company_id, "start": start})
    return await _one(conn, "project", topic, client_id)  # type: ignore[no-any-return]


class WorkRepo:
    """The structure above tasks, for the db's client (``db`` is the store's base: pool, scope, ``tx``)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    # --- creating -------------------------------------------------------------------------------
    async def create_project(self, title: str, *, brief: str | None = None, stage_sequence: list[Any] | None = None,
                             template: str | None = None, deal_id: str | None = None, company_id: str | None = None,
                             created_by: str = "justin", start: bool = True) -> Project:
        client = self.db.require_scope()
        if not title.strip():
            raise ValidationFailed("a project needs a title")
        async with self.db.tx("owner") as conn:
            return await create_project_in(conn, client, title=title, brief=brief, stage_sequence=stage_sequence,
                                           template=template, deal_id=deal_id, company_id=company_id,
                                           created_by=created_by, start=start)

    async def create_stage(self, project_id: str, stage_type: str, *, title: str | None = None,
                           steps: list[Any] | None = None) -> Stage:
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            await _one(conn, "project", project_id, client)
            topic = await new_topic(conn, "stage")
            await append(conn, topic, "stage.created", {
                "client_id": client, "project_id": project_id, "stage_type": stage_type, "title": title,
                "step_snapshot": steps})
            return await _one(conn, "stage", topic, client)  # type: ignore[no-any-return]

    async def create_phase(self, stage_id: str, name: str, *, depends_on: list[str] | None = None) -> Phase:
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            stage = await _one(conn, "stage", stage_id, client)
            topic = await new_topic(conn, "phase")
            await append(conn, topic, "phase.created", {
                "client_id": client, "stage_id": stage_id, "project_id": stage.project_id, "name": name,
                "depends_on": depends_on or []})
            return await _one(conn, "phase", topic, client)  # type: ignore[no-any-return]

    async def create_task(self, task_type: str, *, brief: str, role: str = "roles.crm",
                          project_id: str | None = None, stage_id: str | None = None, phase_id: str | None = None,
                          depends_on: list[str] | None = None, params: dict[str, Any] | None = None,
                          created_by: str = "justin") -> WorkTask:
        """A task in the structure (or a one-off with none of the ids). Its brief must stand on its own:
        the worker sees only the task. It goes on its role's queue once nothing it depends on is open."""
        client = self.db.require_scope()
        if not brief.strip():
            raise ValidationFailed("a task needs a self-contained brief")
        async with self.db.tx("owner") as conn:
            topic = await new_topic(conn, "task")
            await append(conn, topic, "task.created", {
                "client_id": client, "role": role, "task_type": task_type, "brief": brief, "params": params or {},
                "depends_on": depends_on or [], "project_id": project_id, "stage_id": stage_id,
                "phase_id": phase_id, "created_by": created_by})
            task = await _one(conn, "task", topic, client)
            if not task.waiting_on:
                await conn.execute("SELECT redkey.work_post_available(%s)", (topic,))
            return task  # type: ignore[no-any-return]

    async def transition_stage(self, stage_id: str, to_step: int, *, output_ref: str | None = None) -> Stage:
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            stage = await _one(conn, "stage", stage_id, client)
            await append(conn, stage_id, "stage.transition",
                         {"from_step": stage.current_step, "to_step": to_step, "output_ref": output_ref})
            return await _one(conn, "stage", stage_id, client)  # type: ignore[no-any-return]

    # --- control ---------------------------------------------------------------------------------
    async def kind_of(self, entity_id: str) -> Kind:
        """Which entity ``entity_id`` is, if it belongs to this client."""
        client = self.db.require_scope()
        rows = await self.db.fetch_dicts(
            "SELECT t.kind FROM redkey.topics t WHERE t.topic_id = %(id)s AND t.kind IN ('project','stage','phase','task')"
            " AND EXISTS (SELECT 1 FROM redkey.projects WHERE id = %(id)s AND client_id = %(c)s"
            "  UNION ALL SELECT 1 FROM redkey.stages WHERE id = %(id)s AND client_id = %(c)s"
            "  UNION ALL SELECT 1 FROM redkey.phases WHERE id = %(id)s AND client_id = %(c)s"
            "  UNION ALL SELECT 1 FROM redkey.tasks WHERE id = %(id)s AND client_id = %(c)s)",
            {"id": entity_id, "c": client}, role="owner")
        if not rows:
            raise NotFound(f"no project, stage, phase or task {entity_id} for this client",
                           "`cockpit work list` shows this client's projects")
        return rows[0]["kind"]  # type: ignore[no-any-return]

    async def control(self, entity_id: str, action: WorkAction, *, reason: str | None = None,
                      replaced_by: str | None = None, actor: str = "justin") -> Any:
        """Append the control message for ``action`` on the entity's topic; the listener applies it (and its
        cascade) or refuses it. Returns the entity's current state."""
        kind = await self.kind_of(entity_id)
        message_type = CONTROL_TYPES.get((kind, action))
        if message_type is None:
            allowed = ", ".join(a for (k, a) in CONTROL_TYPES if k == kind)
            raise ValidationFailed(f"a {kind} cannot be {action}ed", f"a {kind} takes {allowed}")
        if action == "supersede" and not replaced_by:
            raise ValidationFailed("superseding a stage needs the stage that replaces it", "give --replaced-by STAGE_ID")
        payload: dict[str, Any] = {"reason": reason, "by": actor}
        if replaced_by:
            payload["replaced_by"] = replaced_by
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            await append(conn, entity_id, message_type, payload)
            return await _one(conn, kind, entity_id, client)

    # --- definitions -------------------------------------------------------------------------------
    async def define(self, message_type: str, payload: dict[str, Any], *, own: bool = True) -> int:
        """A definition on the `definitions` topic (``own``: this client's, else the deployment's)."""
        body = dict(payload, client_id=self.db.require_scope() if own else None)
        async with self.db.tx("owner") as conn:
            cur = await conn.execute("SELECT redkey.new_topic('static', 'definitions')")
            return await append(conn, (await cur.fetchone())[0], message_type, body)  # type: ignore[index]

    async def stage_types(self) -> list[dict[str, Any]]:
        return await self.db.fetch_dicts(  # type: ignore[no-any-return]
            "SELECT DISTINCT ON (stage_type) stage_type, family, steps, client_id IS NOT NULL AS own "
            "FROM redkey.stage_types WHERE client_id = %s OR client_id IS NULL "
            "ORDER BY stage_type, client_id NULLS LAST", (self.db.require_scope(),), role="owner")

    # --- reads -------------------------------------------------------------------------------------
    async def get(self, kind: Kind, entity_id: str) -> Any:
        async with self.db.tx("owner") as conn:
            return await _one(conn, kind, entity_id, self.db.require_scope())

    async def projects(self, *, include_closed: bool = True, limit: int = 200) -> list[ProjectSummary]:
        """This client's projects, open ones first, with active stage, task progress and blockers."""
        client = self.db.require_scope()
        closed = "" if include_closed else " AND p.status NOT IN ('cancelled', 'complete')"
        async with self.db.tx("owner") as conn:
            cur = conn.cursor(row_factory=class_row(Project))
            await cur.execute(
                f"SELECT p.* FROM redkey.projects p WHERE p.client_id = %s{closed} "
                "ORDER BY p.status IN ('cancelled', 'complete'), p.created_at DESC, p.id LIMIT %s", (client, limit))
            projects = await cur.fetchall()
            ids = [p.id for p in projects]
            scur = conn.cursor(row_factory=class_row(Stage))
            await scur.execute("SELECT * FROM redkey.stages WHERE id = ANY(%s)",
                               ([p.active_stage_id for p in projects if p.active_stage_id],))
            stages = {s.id: s for s in await scur.fetchall()}
            dcur = conn.cursor(row_factory=dict_row)
            await dcur.execute(
                "SELECT project_id, count(*)::int AS total, count(*) FILTER (WHERE status = 'complete')::int AS done, "
                " array_remove(array_agg(CASE WHEN status = 'blocked' THEN id || ' blocked' "
                "   WHEN status = 'on_hold' THEN id || ' on hold' "
                "   WHEN cardinality(waiting_on) > 0 AND status = 'created' THEN id || ' waits for ' || "
                "        array_to_string(waiting_on, ', ') END ORDER BY created_at), NULL) AS blockers "
                "FROM redkey.tasks WHERE client_id = %s AND project_id = ANY(%s) AND status <> 'cancelled' "
                "GROUP BY project_id", (client, ids))
            counts = {r["project_id"]: r for r in await dcur.fetchall()}
        out = []
        for p in projects:
            c = counts.get(p.id, {})
            out.append(ProjectSummary(project=p, stage=stages.get(p.active_stage_id or ""),
                                      tasks_total=c.get("total", 0), tasks_done=c.get("done", 0),
                                      blockers=c.get("blockers") or []))
        return out

    async def tree(self, project_id: str) -> ProjectTree:
        """A project with its stages, phases and tasks, and the status of everything they depend on."""
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            project = await _one(conn, "project", project_id, client)
            scur = conn.cursor(row_factory=class_row(Stage))
            await scur.execute("SELECT * FROM redkey.stages WHERE project_id = %s AND client_id = %s "
                               "ORDER BY position, created_at, id", (project_id, client))
            pcur = conn.cursor(row_factory=class_row(Phase))
            await pcur.execute("SELECT * FROM redkey.phases WHERE project_id = %s AND client_id = %s "
                               "ORDER BY created_at, id", (project_id, client))
            tcur = conn.cursor(row_factory=class_row(WorkTask))
            await tcur.execute(f"SELECT {_TASK_COLS} FROM redkey.tasks WHERE project_id = %s AND client_id = %s "
                               "ORDER BY created_at, id", (project_id, client))
            stages, phases, tasks = await scur.fetchall(), await pcur.fetchall(), await tcur.fetchall()
            deps = sorted({d for x in [*phases, *tasks] for d in x.waiting_on})
            dcur = conn.cursor(row_factory=dict_row)
            await dcur.execute("SELECT d AS id, redkey.work_status(d) AS status FROM unnest(%s::text[]) AS d", (deps,))
            statuses = {r["id"]: r["status"] or "unknown" for r in await dcur.fetchall()}
        return ProjectTree(project=project, stages=stages, phases=phases, tasks=tasks, statuses=statuses)

    async def one_off_tasks(self, *, limit: int = 50) -> list[WorkTask]:
        """Open tasks with no project (one-off work), newest first, leaving out the engine's periodic ones."""
        return await self.db.fetch_models(  # type: ignore[no-any-return]
            WorkTask, f"SELECT {_TASK_COLS} FROM redkey.tasks WHERE client_id = %s AND project_id IS NULL "
                      "AND created_by IS DISTINCT FROM 'engine' AND status NOT IN ('complete', 'cancelled') "
                      "ORDER BY created_at DESC, id DESC LIMIT %s", (self.db.require_scope(), limit), role="owner")

    async def log(self, entity_id: str) -> list[LogMessage]:
        await self.kind_of(entity_id)
        return await self.db.fetch_models(  # type: ignore[no-any-return]
            LogMessage, "SELECT seq, topic_id, message_type, payload, created_at FROM redkey.topic_log "
                        "WHERE topic_id = %s ORDER BY seq", (entity_id,), role="owner")

    # --- won deals ---------------------------------------------------------------------------------
    async def won_deals_to_propose(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """Deals that were moved into the client's won stage (a recorded stage change: deals that were won
        before, e.g. imported history, are not proposed) with no project and no proposal yet (a rejected one
        is not asked again), with the template to use. The won stage is the client's rule (a
        ``definition.deal_won`` message), else a stage whose label says "won"."""
        client = self.db.require_scope()
        return await self.db.fetch_dicts(  # type: ignore[no-any-return]
            "WITH rule AS (SELECT stage_id, template FROM redkey.deal_won_rules WHERE client_id = %(c)s "
            "  UNION ALL SELECT stage_id, 'onboarding' FROM crm_pipeline WHERE label ILIKE '%%won%%' "
            "  AND NOT EXISTS (SELECT 1 FROM redkey.deal_won_rules WHERE client_id = %(c)s)) "
            "SELECT d.id AS deal_id, d.name, d.company_id, rule.template FROM crm_deals d JOIN rule USING (stage_id) "
            "WHERE EXISTS (SELECT 1 FROM crm_activities a WHERE a.deal_id = d.id AND a.kind = 'stage_change' "
            "              AND a.properties->>'to' = d.stage_id) "
            "AND NOT EXISTS (SELECT 1 FROM redkey.projects p WHERE p.client_id = %(c)s AND p.deal_id = d.id "
            "                  AND p.status <> 'cancelled') "
            "AND NOT EXISTS (SELECT 1 FROM redkey.proposals x WHERE x.client_id = %(c)s AND x.kind = 'project' "
            "                AND x.target_id = d.id AND x.status <> 'failed') "
            "ORDER BY d.updated_at, d.id LIMIT %(n)s", {"c": client, "n": limit}, role="owner")
