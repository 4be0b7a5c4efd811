"""The deal page (enter on a card, or the palette): every field of crm_deals, the stage by its label,
the deal terms and strategic fields editable (``e``, under the strategic role), a move to another stage
(``m``), and the contact, the company and the deal's timeline, each line openable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from rich.console import Group
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from cockpit.models import Activity, Company, Contact, CrmTask, Deal, Note, Stage
from screens.record_page import ActivityPage, RecordPage, activity_line, fields_table
from widgets.formatting import money

if TYPE_CHECKING:
    from cockpit.changes import Delivery
    from cockpit.store import Store

TIMELINE = 15
NOTES = 10  # notes and open tasks shown on a record page (the newest / soonest due)


@dataclass
class DealData:
    deal: Deal
    stages: list[Stage]
    contact: Contact | None
    company: Company | None
    activities: list[Activity]
    notes: list[Note] = field(default_factory=list)
    tasks: list[CrmTask] = field(default_factory=list)

    @property
    def stage(self) -> Stage | None:
        return next((s for s in self.stages if s.stage_id == self.deal.stage_id), None)


async def load_deal(store: "Store", deal_id: UUID) -> DealData:
    async def none() -> None:
        return None

    deal = await store.crm.deal(deal_id)
    contact, company, acts, stages, notes, tasks = await asyncio.gather(
        store.crm.contact(deal.contact_id) if deal.contact_id else none(),
        store.crm.company(deal.company_id) if deal.company_id else none(),
        store.activity.activities_page(deal_id=deal_id, limit=TIMELINE), store.crm.pipeline(),
        store.notes.of_record(deal_id, limit=NOTES), store.crm_tasks.of_record(deal_id, limit=NOTES))
    return DealData(deal, stages, contact, company, acts.items, notes.items, tasks.items)


class DealPage(RecordPage):
    NOUN = "deal"
    BINDINGS = [Binding("m", "move", "Move"), Binding("c", "open_contact", "Contact"),
                Binding("o", "open_company", "Company")]

    def __init__(self, deal_id: UUID) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.data: DealData | None = None

    def load(self) -> None:
        deal_id = self.deal_id
        self.load_record(lambda store: load_deal(store, deal_id), self._loaded)

    def watches(self, delivery: "Delivery") -> bool:
        """The deal itself, its contact, its company (by id; a poll's "some row" counts) and any activity
        (its timeline: an activity's id does not say which deal it belongs to)."""
        data = self.data
        mine = {"deal": self.deal_id,
                "contact": data.deal.contact_id if data else None,
                "company": data.deal.company_id if data else None}
        for kind, rid in mine.items():
            ids = delivery.ids.get(kind)
            if ids is not None and (not ids or (rid is not None and str(rid) in ids)):
                return True
        return delivery.touches({"activity", "note", "crm_task"})  # its timeline, notes and tasks

    def _loaded(self, data: DealData) -> None:
        self.data = data
        deal, stage = data.deal, data.stage
        now = self.app.clock()  # type: ignore[attr-defined]
        head = Text(deal.name or "(unnamed deal)", style="bold")
        head.append(f"  {stage.label if stage else deal.stage_id}", style="bold green")
        head.append(f"  {money(deal.amount, deal.currency)}", style="green")
        if stage is not None and not stage.is_closed and deal.close_date and deal.close_date < now.date():
            head.append("  overdue", style="bold red")
        self.query_one("#page-head", Static).update(head)
        shown = {"stage_id": Text(stage.label if stage else deal.stage_id),
                 "contact_id": Text(data.contact.display_name if data.contact else "—"),
                 "company_id": Text(data.company.name or "(unnamed)" if data.company else "—")}
        self.query_one("#page-fields", Static).update(fields_table("crm_deals", deal, now, shown))
        lines: list[tuple[str, Text | str, object]] = []
        if data.contact is not None:
            c = data.contact
            lines.append(("contact", Text.assemble(("contact  ", "dim"), (c.display_name, "bold"),
                                                   f"  {c.job_title or ''}  {c.email or ''}".rstrip()),
                          self.action_open_contact))
        if data.company is not None:
            co = data.company
            lines.append(("company", Text.assemble(("company  ", "dim"), (co.name or "(unnamed)", "bold"),
                                                   f"  {co.domain or ''}".rstrip()), self.action_open_company))
        lines += self.notes_lines(data.notes, data.tasks)
        lines.append(("h-timeline", Text("Timeline" if data.activities else "Timeline: no activity yet",
                                         style="bold"), None))
        for a in data.activities:
            lines.append((f"act-{a.id}", activity_line(a), lambda a=a: self.app.push_screen(ActivityPage(a))))
        self.show_links(lines)  # type: ignore[arg-type]
        self.query_one("#page-help", Static).update(Group(Text(
            "e edit terms & strategy · m move · c contact · o company · n note · T task · d done · r reschedule"
            " · enter opens · u undo · esc close", style="dim")))

    def note_links(self) -> dict[str, UUID]:
        if self.data is None:
            return {}
        d = self.data.deal
        return {"deal_id": d.id, **({"company_id": d.company_id} if d.company_id else {})}

    def about(self) -> str:
        return self.data.deal.name or "" if self.data else ""

    def action_edit(self) -> None:
        if self.data is not None:
            self.edit_fields("crm_deals", self.data.deal)

    def action_move(self) -> None:
        if self.data is None:
            return
        from screens.deal_moves import StagePicker, move_deal

        data = self.data

        def picked(stage_id: str | None) -> None:
            stage = next((s for s in data.stages if s.stage_id == stage_id), None)
            if stage is None or stage_id == data.deal.stage_id:
                return
            move_deal(self.app, self, data.deal.id, data.deal.name or "(unnamed deal)", stage,
                      lambda _r: self.load())

        self.app.push_screen(StagePicker(data.stages, data.deal.stage_id), picked)

    def action_open_contact(self) -> None:
        if self.data is not None and self.data.contact is not None:
            self.app.open_contact(self.data.contact.id)  # type: ignore[attr-defined]

    def action_open_company(self) -> None:
        if self.data is not None and self.data.company is not None:
            self.app.open_company(self.data.company.id)  # type: ignore[attr-defined]
