"""The company page: its fields (strategic ones editable with ``e``, under the strategic role), its
people and deals (each openable) and its timeline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from rich.text import Text
from textual.widgets import Static

from cockpit.models import Activity, Company, Contact, CrmTask, Deal, Note, Stage
from screens.record_page import ActivityPage, RecordPage, activity_line, fields_table
from widgets.formatting import money

if TYPE_CHECKING:
    from cockpit.changes import Delivery
    from cockpit.store import Store

LIST_LIMIT = 30
NOTES = 10


@dataclass
class CompanyData:
    company: Company
    people: list[Contact]
    deals: list[Deal]
    stages: list[Stage]
    activities: list[Activity]
    notes: list[Note] = field(default_factory=list)
    tasks: list[CrmTask] = field(default_factory=list)


async def load_company(store: "Store", company_id: UUID) -> CompanyData:
    company, people, deals, stages, acts, notes, tasks = await asyncio.gather(
        store.crm.company(company_id), store.crm.contacts_of_company(company_id, limit=LIST_LIMIT),
        store.crm.deals_of(company_id=company_id, limit=LIST_LIMIT), store.crm.pipeline(),
        store.activity.activities_page(company_id=company_id, limit=LIST_LIMIT),
        store.notes.of_record(company_id, limit=NOTES), store.crm_tasks.of_record(company_id, limit=NOTES))
    return CompanyData(company, people, deals, stages, acts.items, notes.items, tasks.items)


class CompanyPage(RecordPage):
    NOUN = "company"

    def __init__(self, company_id: UUID) -> None:
        super().__init__()
        self.company_id = company_id
        self.data: CompanyData | None = None

    def load(self) -> None:
        company_id = self.company_id
        self.load_record(lambda store: load_company(store, company_id), self._loaded)

    def watches(self, delivery: "Delivery") -> bool:
        """The company itself (by id; a poll's "some row" counts), and any change of contacts, deals or
        activities: its people, deals and timeline (a new person's id says nothing of their company)."""
        ids = delivery.ids.get("company")
        if ids is not None and (not ids or str(self.company_id) in ids):
            return True
        return delivery.touches({"contact", "deal", "activity", "note", "crm_task"})

    def _loaded(self, data: CompanyData) -> None:
        self.data = data
        co = data.company
        now = self.app.clock()  # type: ignore[attr-defined]
        labels = {s.stage_id: s.label for s in data.stages}
        self.query_one("#page-head", Static).update(Text.assemble(
            (co.name or "(unnamed company)", "bold"), (f"  {co.domain or ''}", "dim")))
        self.query_one("#page-fields", Static).update(fields_table("crm_companies", co, now))
        app = self.app
        lines: list[tuple[str, Text | str, object]] = [
            ("h-people", Text(f"People ({len(data.people)})" if data.people else "People: nobody yet", style="bold"),
             None)]
        for p in data.people:
            lines.append((f"p-{p.id}", Text.assemble((p.display_name, "bold"), f"  {p.job_title or ''}".rstrip()),
                          lambda p=p: app.open_contact(p.id)))  # type: ignore[attr-defined]
        lines.append(("h-deals", Text(f"Deals ({len(data.deals)})" if data.deals else "Deals: none", style="bold"),
                      None))
        for d in data.deals:
            lines.append((f"d-{d.id}", Text.assemble((d.name or "(unnamed deal)", "bold"),
                                                     f"  {labels.get(d.stage_id, d.stage_id)}  ",
                                                     (money(d.amount, d.currency), "green")),
                          lambda d=d: app.open_deal(d.id)))  # type: ignore[attr-defined]
        lines += self.notes_lines(data.notes, data.tasks)
        lines.append(("h-timeline", Text("Timeline" if data.activities else "Timeline: no activity yet",
                                         style="bold"), None))
        for a in data.activities:
            lines.append((f"act-{a.id}", activity_line(a), lambda a=a: app.push_screen(ActivityPage(a))))
        self.show_links(lines)  # type: ignore[arg-type]
        self.query_one("#page-help", Static).update(Text(
            "e edit strategy · n note · T task · d done · r reschedule · enter opens · u undo · esc close",
            style="dim"))

    def note_links(self) -> dict[str, UUID]:
        return {"company_id": self.company_id}

    def about(self) -> str:
        return self.data.company.name or "" if self.data else ""

    def action_edit(self) -> None:
        if self.data is not None:
            self.edit_fields("crm_companies", self.data.company)
