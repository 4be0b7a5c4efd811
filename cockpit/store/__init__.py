"""The store: every read and write the cockpit and arlo make, through Layer 2 and redkey.* only.

Features add a mixin module here (one concern each) and list it in :class:`Store`'s bases.
"""

from __future__ import annotations

from functools import cached_property

from cockpit.config import Settings
from cockpit.db.connect import open_pool, resolve_url
from cockpit.store.activity import ActivityMixin
from cockpit.store.admin import AdminMixin
from cockpit.store.core import StoreBase
from cockpit.store.crm import CrmMixin
from cockpit.store.arlo import ArloMixin
from cockpit.store.dossier import DossierMixin
from cockpit.store.schema import SchemaMixin
from cockpit.store.schema_doc import SchemaDocRepo
from cockpit.store.mail import MailRepo
from cockpit.store.calendar import CalendarRepo
from cockpit.store.imports import ImportsMixin
from cockpit.store.approvals import ApprovalsMixin
from cockpit.store.context import ContextMixin
from cockpit.store.tasks import TasksMixin
from cockpit.store.email_events import EmailEventsMixin
from cockpit.store.forms import FormsMixin
from cockpit.store.outbox import OutboxMixin
from cockpit.store.sequences import SequencesMixin
from cockpit.store.instructions import InstructionsRepo


class Store(TasksMixin, ArloMixin, DossierMixin, CrmMixin, ActivityMixin, SchemaMixin, ImportsMixin, ApprovalsMixin,
            ContextMixin, SequencesMixin, OutboxMixin, EmailEventsMixin, FormsMixin, AdminMixin, StoreBase):
    """All store capabilities over one pool, scoped to one client."""

    instructions = cached_property(InstructionsRepo)  # strategic instructions: vocabulary, writes, undo, answers

    @cached_property
    def schema_doc(self) -> SchemaDocRepo:
        return SchemaDocRepo(self)

    @cached_property
    def mail(self) -> MailRepo:
        return MailRepo(self)

    @cached_property
    def calendar(self) -> CalendarRepo:
        return CalendarRepo(self, self.mail)

    @classmethod
    async def open(cls, settings: Settings, *, url: str | None = None, client_id: str | None = None,
                   source: str = "cockpit", min_size: int | None = None, max_size: int | None = None) -> "Store":
        url = url or resolve_url(settings)
        pool = await open_pool(url, settings, min_size=min_size, max_size=max_size)
        return cls(pool, client_id if client_id is not None else settings.client_id, source=source)


__all__ = ["Store"]
