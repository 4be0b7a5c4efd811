"""The store: every read and write the cockpit and arlo make, through Layer 2 and redkey.* only.

:class:`Store` composes one repository per concern over one :class:`~cockpit.store.core.Db` (the pool,
the client scope, transactions under a role). A repository is a class in its own module here whose
constructor takes the db and the other repositories it calls; it imports models, never services.
A new concern adds its module and one ``cached_property`` below, importing its repository there: a
repository's module (and what it imports) loads when first used, not when the cockpit starts.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from cockpit.config import Settings
from cockpit.db.connect import open_pool, resolve_url
from cockpit.store.core import Db

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

    from cockpit.store.activity import ActivityRepo
    from cockpit.store.admin import AdminRepo
    from cockpit.store.approvals import ApprovalsRepo
    from cockpit.store.arlo import ArloRepo
    from cockpit.store.calendar import CalendarRepo
    from cockpit.store.changes import ChangesRepo
    from cockpit.store.context import ContextRepo
    from cockpit.store.coverage import CoverageRepo
    from cockpit.store.crm import CrmRepo
    from cockpit.store.custom import CustomRepo
    from cockpit.store.crm_tasks import CrmTasksRepo
    from cockpit.store.email_events import EmailEventsRepo
    from cockpit.store.exports import ExportsRepo
    from cockpit.store.forms import FormsRepo
    from cockpit.store.import_mappings import ImportMappingsRepo
    from cockpit.store.logins import LoginsRepo
    from cockpit.store.imports import ImportsRepo
    from cockpit.store.instructions import InstructionsRepo
    from cockpit.store.mail import MailRepo
    from cockpit.store.notes import NotesRepo
    from cockpit.store.outbox import OutboxRepo
    from cockpit.store.schema import SchemaRepo
    from cockpit.store.schema_doc import SchemaDocRepo
    from cockpit.store.sequences import SequencesRepo
    from cockpit.store.tasks import TasksRepo
    from cockpit.store.work import WorkRepo
    from cockpit.store.workspace_registry import WorkspaceRegistryRepo


class Store:
    """All repositories over one pool, scoped to one client (and acting as one source/actor)."""

    def __init__(self, pool: AsyncConnectionPool, client_id: str | None = None, *,
                 source: str = "cockpit", actor: str | None = None) -> None:
        self.db = Db(pool, client_id, source=source, actor=actor)
        self.member_email: str | None = None  # who "me" is among the workspace members (see crm_tasks)

    @classmethod
    async def open(cls, settings: Settings, *, url: str | None = None, client_id: str | None = None,
                   source: str = "cockpit", min_size: int | None = None, max_size: int | None = None,
                   reached: bool = False) -> "Store":
        """``reached``: a connection to ``url`` has just succeeded, so the pool skips its check connection."""
        url = url or resolve_url(settings)
        pool = await open_pool(url, settings, min_size=min_size, max_size=max_size, check=not reached)
        store = cls(pool, client_id if client_id is not None else settings.client_id, source=source)
        store.member_email = settings.member_email
        return store

    @property
    def client_id(self) -> str | None:
        return self.db.client_id

    def scoped(self, client_id: str | None, *, source: str | None = None, actor: str | None = None) -> "Store":
        """The same store (same pool) scoped to another client or acting as another source."""
        other = Store(self.db.pool, client_id, source=source or self.db.source, actor=actor or self.db.actor)
        other.member_email = self.member_email
        return other

    async def close(self) -> None:
        await self.db.close()

    @cached_property
    def coverage(self) -> CoverageRepo:  # who does the CRM's work: Twenty or the cockpit
        from cockpit.store.coverage import CoverageRepo

        return CoverageRepo(self.db)

    @cached_property
    def crm(self) -> CrmRepo:
        from cockpit.store.crm import CrmRepo

        return CrmRepo(self.db)

    @cached_property
    def custom(self) -> CustomRepo:
        """Twenty's custom fields and custom objects of the client."""
        from cockpit.store.custom import CustomRepo

        return CustomRepo(self.db)

    @cached_property
    def activity(self) -> ActivityRepo:
        from cockpit.store.activity import ActivityRepo

        return ActivityRepo(self.db)

    @cached_property
    def context(self) -> ContextRepo:
        from cockpit.store.context import ContextRepo

        return ContextRepo(self.db, self.crm)

    @cached_property
    def sequences(self) -> SequencesRepo:
        from cockpit.store.sequences import SequencesRepo

        return SequencesRepo(self.db, self.crm)

    @cached_property
    def outbox(self) -> OutboxRepo:
        from cockpit.store.outbox import OutboxRepo

        return OutboxRepo(self.db)

    @cached_property
    def email_events(self) -> EmailEventsRepo:
        from cockpit.store.email_events import EmailEventsRepo

        return EmailEventsRepo(self.db)

    @cached_property
    def forms(self) -> FormsRepo:
        from cockpit.store.forms import FormsRepo

        return FormsRepo(self.db)

    @cached_property
    def tasks(self) -> TasksRepo:
        """arlo's task queue (CRM tasks are :attr:`crm_tasks`)."""
        from cockpit.store.tasks import TasksRepo

        return TasksRepo(self.db)

    @cached_property
    def notes(self) -> NotesRepo:
        from cockpit.store.notes import NotesRepo

        return NotesRepo(self.db)

    @cached_property
    def crm_tasks(self) -> CrmTasksRepo:
        """Twenty's tasks on contacts, companies and deals."""
        from cockpit.store.crm_tasks import CrmTasksRepo

        return CrmTasksRepo(self.db, self.member_email)

    @cached_property
    def instructions(self) -> InstructionsRepo:
        """Strategic instructions: vocabulary, writes with before/after, undo, questions and answers."""
        from cockpit.store.instructions import InstructionsRepo

        return InstructionsRepo(self.db)

    @cached_property
    def arlo(self) -> ArloRepo:
        from cockpit.store.arlo import ArloRepo

        return ArloRepo(self.db)

    @cached_property
    def approvals(self) -> ApprovalsRepo:
        from cockpit.store.approvals import ApprovalsRepo

        return ApprovalsRepo(self.db)

    @cached_property
    def imports(self) -> ImportsRepo:
        from cockpit.store.imports import ImportsRepo

        return ImportsRepo(self.db)

    @cached_property
    def import_mappings(self) -> ImportMappingsRepo:
        from cockpit.store.import_mappings import ImportMappingsRepo

        return ImportMappingsRepo(self.db)

    @cached_property
    def exports(self) -> ExportsRepo:
        from cockpit.store.exports import ExportsRepo

        return ExportsRepo(self.db)

    @cached_property
    def schema(self) -> SchemaRepo:
        from cockpit.store.schema import SchemaRepo

        return SchemaRepo(self.db)

    @cached_property
    def schema_doc(self) -> SchemaDocRepo:
        from cockpit.store.schema_doc import SchemaDocRepo

        return SchemaDocRepo(self.db)

    @cached_property
    def mail(self) -> MailRepo:
        from cockpit.store.mail import MailRepo

        return MailRepo(self.db)

    @cached_property
    def calendar(self) -> CalendarRepo:
        from cockpit.store.calendar import CalendarRepo

        return CalendarRepo(self.db, self.mail)

    @cached_property
    def workspace_registry(self) -> WorkspaceRegistryRepo:
        from cockpit.store.workspace_registry import WorkspaceRegistryRepo

        return WorkspaceRegistryRepo(self.db)

    @cached_property
    def admin(self) -> AdminRepo:
        from cockpit.store.admin import AdminRepo

        return AdminRepo(self.db)

    @cached_property
    def work(self) -> WorkRepo:
        from cockpit.store.work import WorkRepo

        return WorkRepo(self.db)

    @cached_property
    def changes(self) -> ChangesRepo:
        from cockpit.store.changes import ChangesRepo

        return ChangesRepo(self.db)

    @cached_property
    def logins(self) -> LoginsRepo:  # client-bound database logins
        from cockpit.store.logins import LoginsRepo

        return LoginsRepo(self.db)


__all__ = ["Db", "Store"]
