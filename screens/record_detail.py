"""Read-only detail modals for a deal (enter on a pipeline card, or the palette) and a company."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.models import Activity, Company, Contact, Deal
from widgets.formatting import ago, money, short_date
from widgets.timeline import render_timeline


def field_table(rows: list[tuple[str, Any]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, value if isinstance(value, Text) else Text(str(value) if value not in (None, "") else "—"))
    return table


class DetailModal(ModalScreen[None]):
    """A scrollable panel over the current screen; esc closes, c jumps to the contact."""

    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("j", "scroll_down", show=False),
                Binding("k", "scroll_up", show=False)]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-modal"):
            yield Static("loading…", id="detail-body")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#detail-modal", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#detail-modal", VerticalScroll).scroll_up()

    def show(self, renderable: Any) -> None:
        self.query_one("#detail-body", Static).update(renderable)


class DealDetail(DetailModal):
    """Deal, its contact and company, strategic fields and recent activities."""

    BINDINGS = [Binding("c", "open_contact", "Contact")]

    def __init__(self, deal_id: UUID) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.contact_id: UUID | None = None

    def on_mount(self) -> None:
        deal_id = self.deal_id

        async def load(store: Any) -> tuple[Deal, Contact | None, Company | None, list[Activity]]:
            deal = await store.crm.deal(deal_id)
            contact = await store.crm.contact(deal.contact_id) if deal.contact_id else None
            company = await store.crm.company(deal.company_id) if deal.company_id else None
            acts = (await store.activity.activities_page(deal_id=deal_id, limit=12)).items
            return deal, contact, company, acts

        self.app.call_store(self, load, self._loaded, group="detail")  # type: ignore[attr-defined]

    def _loaded(self, data: tuple[Deal, Contact | None, Company | None, list[Activity]]) -> None:
        deal, contact, company, acts = data
        self.contact_id = contact.id if contact else None
        now = self.app.clock()  # type: ignore[attr-defined]
        title = Text(deal.name or "(unnamed deal)", style="bold")
        main = field_table([
            ("stage", deal.stage_id), ("amount", money(deal.amount, deal.currency)),
            ("close date", short_date(deal.close_date)), ("last activity", ago(deal.last_activity_at, now)),
            ("contact", f"{contact.display_name} · {contact.job_title or ''}".rstrip(" ·") if contact else None),
            ("email", contact.email if contact else None),
            ("company", f"{company.name} ({company.domain})" if company and company.domain else
             (company.name if company else None)),
        ])
        strategic = field_table([("priority", deal.priority), ("strategy note", deal.strategy_note),
                                 ("recontact", short_date(deal.recontact_at) if deal.recontact_at else None)])
        self.show(Group(title, Text(""), main, Text(""), Text("Strategic (Justin)", style="bold magenta"),
                        strategic, Text(""), Text("Recent activity", style="bold"), render_timeline(acts, now),
                        Text(""), Text("esc close · c open contact", style="dim")))

    def action_open_contact(self) -> None:
        if self.contact_id is not None:
            self.app.open_contact(self.contact_id)  # type: ignore[attr-defined]


class CompanyDetail(DetailModal):
    """Company fields, its people and its deals."""

    def __init__(self, company_id: UUID) -> None:
        super().__init__()
        self.company_id = company_id

    def on_mount(self) -> None:
        company_id = self.company_id

        async def load(store: Any) -> tuple[Company, list[Contact], list[Deal]]:
            company = await store.crm.company(company_id)
            return (company, await store.crm.contacts_of_company(company_id, limit=20),
                    await store.crm.deals_of(company_id=company_id, limit=20))

        self.app.call_store(self, load, self._loaded, group="detail")  # type: ignore[attr-defined]

    def _loaded(self, data: tuple[Company, list[Contact], list[Deal]]) -> None:
        company, people, deals = data
        fields = field_table([("domain", company.domain), ("industry", company.industry),
                              ("employees", company.employees), ("city", company.city),
                              ("country", company.country), ("priority", company.priority),
                              ("strategy note", company.strategy_note)])
        people_text = Text("\n".join(f"{p.display_name} · {p.job_title or ''}".rstrip(" ·") for p in people)
                           or "nobody yet")
        deals_text = Text("\n".join(f"{d.name} · {d.stage_id} · {money(d.amount, d.currency)}" for d in deals)
                          or "no deals")
        self.show(Group(Text(company.name or "(unnamed company)", style="bold"), Text(""), fields, Text(""),
                        Text("People", style="bold"), people_text, Text(""), Text("Deals", style="bold"),
                        deals_text, Text(""), Text("esc close", style="dim")))
