"""Arlo's task queue on roles.crm: every transition is a topic-log append; the database's
listener (migration 300) applies it to redkey.tasks in the same transaction, so current state always
follows from the log.

Claims use ``FOR UPDATE SKIP LOCKED`` and a lease: concurrent workers never take the same task, and a
task whose worker died (its lease ran out) is claimable again. A worker proves it still holds a task
with its agent name and attempt number (a fencing token): a worker that lost its lease cannot
complete a task someone else has re-claimed. These are RedKey bookkeeping tables: the login role
("owner") writes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from cockpit.arlo.models import CONTROL_MESSAGES, PENDING_STATUSES, ControlAction, InboxItem, LogMessage, LoopStatus, Task
from cockpit.errors import NotFound, ValidationFailed
from cockpit.store.core import Db

QUEUE = "roles.crm"

# Which statuses each control action may leave (mirrors redkey.apply_task_message, which enforces it).
_CONTROL_FROM: dict[str, tuple[str, ...]] = {
    "hold": ("created", "assigned", "claimed", "in_progress"),
    "resume": ("on_hold", "blocked"),
    "cancel": ("created", "assigned", "claimed", "in_progress", "on_hold", "blocked"),
}

_APPEND = "INSERT INTO redkey.topic_log (topic_id, message_type, payload) VALUES (%s, %s, %s) RETURNING seq"


async def _append(conn: AsyncConnection, topic_id: str, message_type: str, payload: dict[str, Any]) -> int:
    cur = await conn.execute(_APPEND, (topic_id, message_type, Jsonb(payload)))
    row = await cur.fetchone()
    return int(row[0])  # type: ignore[index]


async def _task_row(conn: AsyncConnection, task_id: str, *, lock: bool = False) -> Task | None:
    cur = conn.cursor(row_factory=class_row(Task))
    await cur.execute("SELECT * FROM redkey.tasks WHERE id = %s" + (" FOR UPDATE" if lock else ""), (task_id,))
    return await cur.fetchone()


async def _create(conn: AsyncConnection, *, client_id: str, task_type: str, brief: str | None,
                  params: dict[str, Any], created_by: str, role: str) -> Task:
    cur = await conn.execute("SELECT redkey.new_topic('task')")
    topic = (await cur.fetchone())[0]  # type: ignore[index]
    await _append(conn, topic, "task.created", {
        "client_id": client_id, "role": role, "task_type": task_type, "brief": brief, "params": params,
        "created_by": created_by})
    role_topic = await conn.execute("SELECT redkey.new_topic('static', %s)", (role,))
    await _append(conn, (await role_topic.fetchone())[0], "task.available",  # type: ignore[index]
                  {"task_id": topic, "task_type": task_type, "client_id": client_id})
    task = await _task_row(conn, topic)
    assert task is not None
    return task


class TasksRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    # --- creating -----------------------------------------------------------------------------
    async def create_task(self, task_type: str, *, client_id: str | None = None, brief: str | None = None,
                          params: dict[str, Any] | None = None, created_by: str = "justin",
                          role: str = QUEUE) -> Task:
        """File a task for ``client_id`` (default: this store's client) on the ``role`` queue."""
        client = client_id or self.db.require_scope()
        if not task_type.strip():
            raise ValidationFailed("a task needs a type")
        async with self.db.tx("owner") as conn:
            return await _create(conn, client_id=client, task_type=task_type, brief=brief,
                                 params=params or {}, created_by=created_by, role=role)

    async def create_tasks(self, task_type: str, client_ids: list[str], *, created_by: str = "engine",
                           params: dict[str, Any] | None = None) -> list[Task]:
        """File one ``task_type`` task per entry of ``client_ids``, all in one transaction (bulk work)."""
        async with self.db.tx("owner") as conn:
            return [await _create(conn, client_id=c, task_type=task_type, brief=None, params=params or {},
                                  created_by=created_by, role=QUEUE) for c in client_ids]

    async def create_periodic_task(self, client_id: str, task_type: str, interval_seconds: float,
                                   *, brief: str | None = None) -> Task | None:
        """The engine's timer: create ``task_type`` for ``client_id`` when it is due, i.e. none is pending
        and the last one was created at least ``interval_seconds`` ago. An advisory lock makes the check
        and the insert atomic across arlo processes (a unique partial index backs it up)."""
        async with self.db.tx("owner") as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('arlo.engine'), hashtext(%s || '/' || %s))",
                               (client_id, task_type))
            cur = await conn.execute(
                "SELECT EXISTS (SELECT 1 FROM redkey.tasks WHERE client_id = %(c)s AND task_type = %(t)s"
                "  AND created_by = 'engine' AND status = ANY(%(p)s)),"
                " (SELECT max(created_at) FROM redkey.tasks WHERE client_id = %(c)s AND task_type = %(t)s"
                "  AND created_by = 'engine'), now()",
                {"c": client_id, "t": task_type, "p": list(PENDING_STATUSES)})
            pending, last_created, now = await cur.fetchone()  # type: ignore[misc]
            due = not pending and (last_created is None
                                   or (now - last_created).total_seconds() >= interval_seconds)
            task = None
            if due:
                task = await _create(conn, client_id=client_id, task_type=task_type, brief=brief, params={},
                                     created_by="engine", role=QUEUE)
            last = task.created_at if task else last_created
            await conn.execute(
                "INSERT INTO redkey.arlo_loops (client_id, task_type, next_run_at, last_task_id) "
                "VALUES (%s, %s, %s + make_interval(secs => %s), %s) "
                "ON CONFLICT (client_id, task_type) DO UPDATE SET next_run_at = EXCLUDED.next_run_at, "
                "last_task_id = coalesce(EXCLUDED.last_task_id, arlo_loops.last_task_id), updated_at = now()",
                (client_id, task_type, last or now, interval_seconds, task.id if task else None))
            return task

    # --- the worker's side ----------------------------------------------------------------------
    async def claim_task(self, agent: str, lease_seconds: float, *, role: str = QUEUE,
                         task_id: str | None = None) -> Task | None:
        """Claim the oldest claimable task (new, or its lease ran out) of any client, or ``task_id`` if it
        is claimable: ``redkey.claim_task``, the one cross-client step (only the owner may call it). The
        claimed task then runs scoped to its own client."""
        async with self.db.tx("owner") as conn:
            cur = conn.cursor(row_factory=class_row(Task))
            await cur.execute("SELECT * FROM redkey.claim_task(%s, %s, %s, %s)", (agent, lease_seconds, role, task_id))
            return await cur.fetchone()

    async def start_task(self, task: Task, agent: str, lease_seconds: float) -> Task | None:
        """claimed -> in_progress. None when the task was held, cancelled or re-claimed meanwhile."""
        return await self._holder_message(task, agent, "task.started", {}, lease_seconds)

    async def heartbeat(self, task: Task, agent: str, lease_seconds: float) -> Task | None:
        """Extend the lease. None when the worker no longer holds the task (held, cancelled, re-claimed)."""
        return await self._holder_message(task, agent, "task.heartbeat", {}, lease_seconds)

    async def finish_task(self, task: Task, agent: str, *, blocked: bool, output: dict[str, Any],
                          cost_usd: float = 0.0, duration_seconds: float = 0.0) -> Task | None:
        """in_progress -> complete | blocked, with output, cost and duration. None when the result no
        longer counts (the task was held, cancelled or re-claimed by another worker meanwhile)."""
        payload = {"output": output, "cost_usd": round(cost_usd, 6), "duration_seconds": int(round(duration_seconds))}
        return await self._holder_message(task, agent, "task.blocked" if blocked else "task.complete", payload, None)

    async def _holder_message(self, task: Task, agent: str, message_type: str, payload: dict[str, Any],
                              lease_seconds: float | None) -> Task | None:
        async with self.db.tx("owner") as conn:
            current = await _task_row(conn, task.id, lock=True)
            allowed = ("claimed", "in_progress") if message_type in ("task.started", "task.heartbeat") \
                else ("in_progress",)
            if (current is None or current.status not in allowed or current.agent != agent
                    or current.attempts != task.attempts):
                return None
            body = dict(payload, agent=agent, attempt=task.attempts)
            if lease_seconds is not None:
                cur = await conn.execute("SELECT now() + make_interval(secs => %s)", (lease_seconds,))
                body["lease_until"] = (await cur.fetchone())[0].isoformat()  # type: ignore[index]
            await _append(conn, task.id, message_type, body)
            return await _task_row(conn, task.id)

    # --- control (hold / resume / cancel) -------------------------------------------------------
    async def control_task(self, task_id: str, action: ControlAction, *, reason: str | None = None,
                           actor: str = "justin") -> Task:
        """Append a control message; the listener applies it. Refuses transitions that make no sense."""
        if action not in CONTROL_MESSAGES:
            raise ValidationFailed(f"unknown control action {action!r}", "use hold, resume or cancel")
        async with self.db.tx("owner") as conn:
            current = await _task_row(conn, task_id, lock=True)
            if current is None or (self.db.client_id and current.client_id != self.db.client_id):
                raise NotFound(f"no task {task_id}")
            if current.status not in _CONTROL_FROM[action]:
                verb = {"hold": "put on hold", "resume": "resumed", "cancel": "cancelled"}[action]
                raise ValidationFailed(f"task {task_id} is {current.status.replace('_', ' ')}; it cannot be {verb}",
                                       "hold works on waiting or running tasks, resume on held or blocked ones")
            await _append(conn, task_id, CONTROL_MESSAGES[action], {"reason": reason, "by": actor})
            task = await _task_row(conn, task_id)
            assert task is not None
            return task

    # --- reads ----------------------------------------------------------------------------------
    async def task(self, task_id: str) -> Task:
        row = await self.db.fetch_model(Task, "SELECT * FROM redkey.tasks WHERE id = %s", (task_id,), role="owner")
        if row is None:
            raise NotFound(f"no task {task_id}")
        return row

    async def tasks_page(self, *, statuses: list[str] | None = None, limit: int = 50,
                         before: tuple[datetime, str] | None = None, all_clients: bool = False,
                         hide_routine: bool = False) -> list[Task]:
        """Newest first, for this store's client (or every client); ``before`` = (created_at, id) cursor.
        ``hide_routine`` leaves out periodic tasks that completed (their loop's status says it all)."""
        conds, params = [], []  # type: ignore[var-annotated]
        if hide_routine:
            conds.append("NOT (created_by = 'engine' AND status = 'complete')")
        if not all_clients:
            conds.append("client_id = %s")
            params.append(self.db.require_scope())
        if statuses:
            conds.append("status = ANY(%s)")
            params.append(statuses)
        if before:
            conds.append("(created_at, id) < (%s, %s)")
            params.extend(before)
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        return await self.db.fetch_models(
            Task, f"SELECT * FROM redkey.tasks {where} ORDER BY created_at DESC, id DESC LIMIT %s",
            params + [limit], role="owner")

    async def task_counts(self, *, all_clients: bool = False) -> dict[str, int]:
        where = "" if all_clients else "WHERE client_id = %s"
        rows = await self.db.fetch_dicts(f"SELECT status, count(*)::int AS n FROM redkey.tasks {where} GROUP BY status",
                                      [] if all_clients else [self.db.require_scope()], role="owner")
        return {r["status"]: r["n"] for r in rows}

    async def task_log(self, task_id: str) -> list[LogMessage]:
        return await self.db.fetch_models(
            LogMessage, "SELECT * FROM redkey.topic_log WHERE topic_id = %s ORDER BY seq", (task_id,), role="owner")

    # --- the engine's bookkeeping and the exec inbox -------------------------------------------
    async def arlo_client_ids(self) -> list[str]:
        """Clients arlo serves: every client with a registered workspace."""
        rows = await self.db.fetch_dicts("SELECT DISTINCT client_id FROM redkey.workspaces ORDER BY client_id",
                                      role="owner")
        return [r["client_id"] for r in rows]

    async def record_loop_result(self, task: Task) -> None:
        """After a periodic task finishes: its loop's last run, result and error (for the Arlo screen)."""
        error = (task.output or {}).get("error") if task.status == "blocked" else None
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.arlo_loops (client_id, task_type, last_run_at, last_task_id, last_status,"
                " last_result, last_error) VALUES (%s, %s, now(), %s, %s, %s, %s) "
                "ON CONFLICT (client_id, task_type) DO UPDATE SET last_run_at = now(), last_task_id = EXCLUDED.last_task_id,"
                " last_status = EXCLUDED.last_status, last_result = EXCLUDED.last_result,"
                " last_error = EXCLUDED.last_error, updated_at = now()",
                (task.client_id, task.task_type, task.id, task.status, task.summary[:500], error))

    async def loop_statuses(self, *, all_clients: bool = False) -> list[LoopStatus]:
        where = "" if all_clients else "WHERE client_id = %s"
        return await self.db.fetch_models(
            LoopStatus, f"SELECT * FROM redkey.arlo_loops {where} ORDER BY client_id, task_type",
            [] if all_clients else [self.db.require_scope()], role="owner")

    async def post_to_exec(self, title: str, body: str, *, task_id: str | None = None,
                           client_id: str | None = None) -> int:
        """Post to roles.exec (Justin's inbox): a log message on the topic, and the inbox row."""
        client = client_id or self.db.require_scope()
        async with self.db.tx("owner") as conn:
            cur = await conn.execute("SELECT redkey.new_topic('static', 'roles.exec')")
            topic = (await cur.fetchone())[0]  # type: ignore[index]
            await _append(conn, topic, "exec.summary", {"client_id": client, "title": title, "task_id": task_id})
            cur = await conn.execute(
                "INSERT INTO redkey.exec_inbox (client_id, topic_id, task_id, title, body) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id", (client, topic, task_id, title, body))
            return int((await cur.fetchone())[0])  # type: ignore[index]

    async def exec_inbox(self, *, limit: int = 50, unread_only: bool = False) -> list[InboxItem]:
        cond = " AND read_at IS NULL" if unread_only else ""
        return await self.db.fetch_models(
            InboxItem, f"SELECT * FROM redkey.exec_inbox WHERE client_id = %s{cond} ORDER BY created_at DESC, id DESC "
                       "LIMIT %s", (self.db.require_scope(), limit), role="owner")

    async def mark_inbox_read(self, item_id: int) -> None:
        async with self.db.tx("owner") as conn:
            await conn.execute("UPDATE redkey.exec_inbox SET read_at = now() WHERE id = %s AND client_id = %s",
                               (item_id, self.db.require_scope()))
