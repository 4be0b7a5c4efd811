"""The screen registry: every top-level screen of the cockpit, one line each.

The app (cockpit/app.py) turns each :class:`ScreenSpec` into a Textual mode, a ``g <key>`` go-to key
and a command palette entry. A spec names its Screen class by import path, so a screen module is only
imported when the user first opens it, and a screen whose module is missing is simply not offered.

To add a screen: write ``screens/<name>.py`` with a :class:`screens.base.CockpitScreen` subclass and
append one ``ScreenSpec`` line to :data:`SCREENS`.

Screens import Textual, ``widgets``, ``styles`` and the core's store, models and services; never psycopg
and no SQL (every read and write goes through the store, in a worker).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScreenSpec:
    """One top-level screen: its mode name, title, go-to key (``g <key>``) and Screen class path."""

    mode: str
    title: str
    key: str
    target: str  # "package.module:ClassName"
    help: str = ""

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def available(self) -> bool:
        """Whether the screen's module exists (screens not built yet are not offered)."""
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def load(self) -> Any:
        """The Screen class (imports its module on first use)."""
        module_name, _, class_name = self.target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)


SCREENS: list[ScreenSpec] = [
    ScreenSpec("pipeline", "Pipeline", "p", "screens.pipeline:PipelineScreen", "deals by stage"),
    ScreenSpec("contacts", "Contacts", "c", "screens.contacts:ContactsScreen", "people and their context"),
    ScreenSpec("companies", "Companies", "o", "screens.companies:CompaniesScreen", "organisations, their people and deals"),
    ScreenSpec("activity", "Activity", "a", "screens.activity:ActivityScreen", "what happened"),
    ScreenSpec("schema", "Schema", "s", "screens.schema:SchemaScreen", "tables and join paths"),
    ScreenSpec("approvals", "Approvals", "v", "screens.approvals:ApprovalsScreen", "proposals to approve or reject"),
    ScreenSpec("import", "Import", "i", "screens.imports:ImportScreen", "contacts and companies from a CSV"),
    ScreenSpec("arlo", "Arlo", "r", "screens.arlo:ArloScreen", "the agent's loops, tasks and inbox"),
    ScreenSpec("sequences", "Sequences", "e", "screens.sequences:SequencesScreen", "email sequences per step"),
    ScreenSpec("work", "Work", "w", "screens.work:WorkScreen", "projects, stages, phases and tasks"),
    ScreenSpec("coverage", "Coverage", "x", "screens.coverage:CoverageScreen", "what still depends on Twenty"),
    ScreenSpec("tasks", "Tasks", "k", "screens.crm_tasks:TasksScreen", "tasks due: mine, today, overdue, by deal"),
]


def available_screens() -> list[ScreenSpec]:
    """The registered screens whose modules exist, in registry order (the first is the default)."""
    return [spec for spec in SCREENS if spec.available()]
