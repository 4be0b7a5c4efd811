"""CRM tasks: Twenty's tasks (due date, status, assignee), read and written through ``crm_tasks``.

Not arlo's work queue (:mod:`cockpit.store.tasks`). Lists are keyset-paginated by due date (tasks
without one last): a record's tasks, and the tasks screen's filters (mine, due today, overdue, a deal's).
"Mine" means assigned to the session's workspace member: the member whose email is
``COCKPIT_MEMBER_EMAIL``, else the client's first workspace member (Twenty's own order), which in a
one-person workspace is its owner (:meth:`CrmTasksRepo.me`).

A due date given as a day is stored at 12:00 UTC, which is that same day in every timezone from
UTC-11 to UTC+11 (Twenty shows ``dueAt`` in the viewer's timezone).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal
from uuid import UUID

from cockpit.errors import ValidationFailed
from cockpit.models import CrmTask, Member, Page, Role
from cockpit.store.core import Db, keyset_page
from cockpit.store.notes import NotesRepo, clean_text, links_of

TaskFilter = Literal["open", "mine", "today", "overdue", "deal", "done", "all"]
FILTERS: tuple[TaskFilter, ...] = ("open", "mine", "today", "overdue", "deal", "done", "all")
_FAR = datetime(9999, 12, 31, tzinfo=timezone.utc)


def due_at_of(day: date | datetime | None) -> datetime | None:
    """A day as the stored due time (12:00 UTC); a datetime as given (naive: local time)."""
    if day is None:
        return None
    if isinstance(day, datetime):
        return day if day.tzinfo else day.astimezone()
    return datetime.combine(day, time(12, 0), tzinfo=timezone.utc)


def day_bounds(today: date) -> tuple[datetime, datetime]:
    """Start of ``today`` and of tomorrow, in the machine's local timezone."""
    start = datetime.combine(today, time(0, 0)).astimezone()
    return start, datetime.combine(today + timedelta(days=1), time(0, 0)).astimezone()


class CrmTasksRepo(NotesRepo):
    view = "crm_tasks"
    model = CrmTask

    def __init__(self, db: Db, member_email: str | None = None) -> None:
        super().__init__(db)
        self.member_email = member_email

    # --- members ------------------------------------------------------------------------------
    async def members(self, limit: int = 200) -> list[Member]:
        return await self.db.fetch_models(
            Member, "SELECT * FROM crm_members ORDER BY position NULLS LAST, full_name, id LIMIT %s", (limit,))

    async def me(self) -> Member | None:
        """The session's workspace member (see the module docstring); None when the workspace has none."""
        if self.member_email:
            found = await self.db.fetch_model(
                Member, "SELECT * FROM crm_members WHERE email = lower(%s)", (self.member_email.strip(),))
            if found is None:
                raise ValidationFailed(f"no workspace member has the email {self.member_email!r}",
                                       "set COCKPIT_MEMBER_EMAIL to a member's email (or unset it)")
            return found
        members = await self.members(limit=1)
        return members[0] if members else None

    # --- reads --------------------------------------------------------------------------------
    async def get(self, task_id: UUID) -> CrmTask:  # type: ignore[override]
        return await super().get(task_id)  # type: ignore[return-value]

    async def page(self, which: TaskFilter = "open", *, deal_id: UUID | None = None,
                   record_id: UUID | None = None, today: date | None = None,
                   after: tuple[Any, ...] | None = None, limit: int = 50) -> Page[CrmTask]:
        """Tasks by due date (none last), ``limit`` at a time. ``which``: open (not done), mine (open,
        assigned to :meth:`me`), today (open, due today), overdue (open, due before today), deal (a
        deal's open tasks), done, all. ``record_id`` narrows to tasks linked to that record."""
        where = ["true"]
        params: list[Any] = []
        start, end = day_bounds(today or date.today())
        if which not in FILTERS:
            raise ValidationFailed(f"unknown task filter {which!r}", "use " + ", ".join(FILTERS))
        if which not in ("done", "all"):
            where.append("status IS DISTINCT FROM 'DONE'")
        if which == "done":
            where.append("status = 'DONE'")
        if which == "mine":
            me = await self.me()
            if me is None:
                return Page(items=[])
            where.append("assignee_id = %s")
            params.append(me.id)
        if which == "today":
            where.append("due_at >= %s AND due_at < %s")
            params += [start, end]
        if which == "overdue":
            where.append("due_at < %s")
            params.append(start)
        if which == "deal":
            if deal_id is None:
                raise ValidationFailed("the deal filter needs a deal", "open the tasks of a deal from its page")
            where.append("deal_id = %s")
            params.append(deal_id)
        if record_id is not None:
            where.append("%s = ANY(target_ids)")
            params.append(record_id)
        if after:
            where.append("(coalesce(due_at, %s), id) > (%s, %s)")
            params += [_FAR, after[0], after[1]]
        rows = await self.db.fetch_models(
            CrmTask, f"SELECT * FROM crm_tasks WHERE {' AND '.join(where)}"
                     " ORDER BY coalesce(due_at, %s), id LIMIT %s", params + [_FAR, limit + 1])
        return keyset_page(rows, limit, lambda t: (t.due_at or _FAR, t.id))

    async def of_record(self, record_id: UUID, *, after: tuple[Any, ...] | None = None,  # type: ignore[override]
                        limit: int = 20, include_done: bool = False) -> Page[CrmTask]:
        return await self.page("all" if include_done else "open", record_id=record_id, after=after, limit=limit)

    # --- writes -------------------------------------------------------------------------------
    async def add(self, *, title: str | None = None, body: str | None = None,  # type: ignore[override]
                  contact_id: UUID | None = None, company_id: UUID | None = None, deal_id: UUID | None = None,
                  due: date | datetime | None = None, assignee_id: UUID | None = None,
                  assign_to_me: bool = True, role: Role = "strategic") -> CrmTask:
        """A new open task linked to the given records; assigned to :meth:`me` unless told otherwise."""
        title, body = clean_text(title, body)
        links = links_of({"contact_id": contact_id, "company_id": company_id, "deal_id": deal_id})
        if assignee_id is None and assign_to_me:
            me = await self.me()
            assignee_id = me.id if me else None
        new_id = await self._insert({"title": title, "body": body, "status": "TODO", "due_at": due_at_of(due),
                                     "assignee_id": assignee_id, **links}, role)
        return await self.get(new_id)

    async def edit(self, task_id: UUID, *, title: str | None = None, body: str | None = None,  # type: ignore[override]
                   role: Role = "strategic") -> CrmTask:
        title, body = clean_text(title, body)
        return await self._update(task_id, {"title": title, "body": body}, role)  # type: ignore[no-any-return]

    async def complete(self, task_id: UUID, done: bool = True, *, role: Role = "strategic") -> CrmTask:
        """Mark done (or open again)."""
        return await self._update(task_id, {"status": "DONE" if done else "TODO"}, role)  # type: ignore[no-any-return]

    async def reschedule(self, task_id: UUID, due: date | datetime | None, *, role: Role = "strategic") -> CrmTask:
        return await self._update(task_id, {"due_at": due_at_of(due)}, role)  # type: ignore[no-any-return]

    async def assign(self, task_id: UUID, member_id: UUID | None, *, role: Role = "strategic") -> CrmTask:
        return await self._update(task_id, {"assignee_id": member_id}, role)  # type: ignore[no-any-return]


__all__ = ["CrmTasksRepo", "FILTERS", "TaskFilter", "day_bounds", "due_at_of"]
