"""Companies: the client's companies in a table, searched in the database as you type (name, domain and
custom text fields, through ``crm_search_companies``), paged by keyset as the cursor nears the end.
Enter opens the company page (its people, deals and timeline); ``x`` exports the companies.

Live through the change feed: a company changed elsewhere is re-read in place when it is on screen,
anything broader re-reads the list as far as it was loaded, the cursor staying on its company.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from cockpit.changes import Delivery
from cockpit.models import Company, Page
from screens.base import CockpitScreen
from styles import sheet
from widgets.debounce import Debounce
from widgets.table_cursor import selected_key

if TYPE_CHECKING:
    from cockpit.store import Store

SEARCH_DEBOUNCE = 0.25
PREFETCH_MARGIN = 8
RELOAD_CAP = 1000  # a list re-read after a change reads at most this many rows again
IN_PLACE_MAX = 20  # named changes up to this many are re-read row by row

# (key, heading, width): fits 80 columns with the cell padding
COLUMNS = (("name", "Name", 26), ("domain", "Domain", 20), ("city", "City", 12), ("employees", "Staff", 6),
           ("priority", "Pri", 3))
PRIORITY_MARK = {"high": ("▲", "bold red"), "medium": ("◆", "yellow"), "low": ("▽", "dim")}


class CompanyTable(DataTable[Any]):
    """The list (j/k move like the other lists)."""

    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False)]


class CompaniesScreen(CockpitScreen):
    """The client's companies."""

    TITLE_TEXT = "Companies"
    WATCHES = frozenset({"company"})
    AUTO_FOCUS = "#company-table"
    CSS_PATH = sheet("companies.tcss")

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("x", "export", "Export"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.companies: dict[str, Company] = {}
        self.next_after: tuple[Any, ...] | None = None
        self.loading_more = False
        self._search = Debounce(self, SEARCH_DEBOUNCE, self._apply_search)

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        with Vertical(id="companies-body"):
            yield Input(placeholder="search companies (name, domain…)", id="company-search")
            yield Static("", id="company-count")
            yield CompanyTable(id="company-table", cursor_type="row", zebra_stripes=True)
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        table = self.query_one(CompanyTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        super().on_mount()

    @property
    def page_size(self) -> int:
        return self.cockpit.settings.page_size

    # --- loading --------------------------------------------------------------------------------
    def _fetch(self, *, after: tuple[Any, ...] | None = None, limit: int | None = None):  # type: ignore[no-untyped-def]
        query, size = self.query_text or None, limit or self.page_size

        async def page(store: Store) -> Page[Company]:
            return await store.crm.companies_page(query, after=after, limit=size)

        return page

    def reload(self) -> None:
        self.call_store(self._fetch(), lambda page: self._show_page(page, append=False), group="company-list")

    def apply_changes(self, delivery: Delivery) -> None:
        changed = delivery.ids.get("company")
        if changed and len(changed) <= IN_PLACE_MAX and all(i in self.companies for i in changed):
            rows = [UUID(i) for i in changed]

            async def fresh(store: Store) -> list[Company | None]:
                got = await asyncio.gather(*(store.crm.company(i) for i in rows), return_exceptions=True)
                return [c if isinstance(c, Company) else None for c in got]  # None: gone (deleted)

            self.call_store(fresh, self._replace_rows, group="company-rows")
            return
        # a new, deleted or unnamed change: the list as far as it was loaded (a new company sorts in)
        limit = max(self.page_size, min(len(self.companies), RELOAD_CAP))
        self.call_store(self._fetch(limit=limit), lambda page: self._show_page(page, append=False),
                        group="company-list")

    def _replace_rows(self, companies: list[Company | None]) -> None:
        if None in companies or any(c is not None and self._moves(c) for c in companies):
            self.apply_changes(Delivery({"company": set()}))  # gone or renamed (its place changed): re-read
            return
        table = self.query_one(CompanyTable)
        for c in companies:
            assert c is not None
            self.companies[str(c.id)] = c
            for (key, _label, _width), cell in zip(COLUMNS, self._cells(c)):
                table.update_cell(str(c.id), key, cell)

    def _moves(self, c: Company) -> bool:
        old = self.companies.get(str(c.id))
        return old is None or old.name != c.name

    def clear_records(self) -> None:
        super().clear_records()
        self.companies.clear()
        self.next_after = None
        self.query_one("#company-count", Static).update("")

    def _show_page(self, page: Page[Company], *, append: bool) -> None:
        table = self.query_one(CompanyTable)
        keep = self.highlighted_id() if not append else None
        if not append and [str(c.id) for c in page.items] == list(self.companies):
            # the same rows in the same order (a burst of edits): redraw the changed ones, keep the cursor
            for c in page.items:
                if c != self.companies[str(c.id)]:
                    self.companies[str(c.id)] = c
                    for (key, _label, _width), cell in zip(COLUMNS, self._cells(c)):
                        table.update_cell(str(c.id), key, cell)
            self.next_after = page.next_after
            self._show_count()
            return
        if not append:
            self.companies.clear()
            table.clear()
        for c in page.items:
            key = str(c.id)
            if key in self.companies:
                continue
            self.companies[key] = c
            table.add_row(*self._cells(c), key=key)
        self.next_after = page.next_after
        self.loading_more = False
        self._show_count()
        if not append and self.companies:
            index = table.get_row_index(keep) if keep in self.companies else 0
            table.move_cursor(row=index, animate=False)

    def _show_count(self) -> None:
        more = "+" if self.next_after else ""
        what = f"matching “{self.query_text}”" if self.query_text else "by name"
        noun = "company" if len(self.companies) == 1 and not more else "companies"
        self.query_one("#company-count", Static).update(f"{len(self.companies):,}{more} {noun} {what}")

    @staticmethod
    def _cells(c: Company) -> tuple[Text, Text, Text, Text, Text]:
        mark, style = PRIORITY_MARK.get(c.priority or "", ("", ""))
        return (Text(c.name or "(unnamed company)", style="bold", no_wrap=True, overflow="ellipsis"),
                Text(c.domain or "", style="dim", no_wrap=True, overflow="ellipsis"),
                Text(c.city or "", no_wrap=True, overflow="ellipsis"),
                Text(f"{c.employees:,}" if c.employees is not None else "", justify="right"),
                Text(mark, style=style))

    def highlighted_id(self) -> str | None:
        return selected_key(self.query_one(CompanyTable))

    def _load_more(self) -> None:
        if self.next_after is None or self.loading_more:
            return
        self.loading_more = True
        after = self.next_after

        def show(page: Page[Company]) -> None:
            if self.next_after == after:
                self._show_page(page, append=True)

        def failed(_exc: BaseException) -> None:
            self.loading_more = False

        self.call_store(self._fetch(after=after), show, group="company-more", failed=failed)

    @on(DataTable.RowHighlighted, "#company-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.companies) - PREFETCH_MARGIN:
            self._load_more()

    @on(DataTable.RowSelected, "#company-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.cockpit.open_company(UUID(str(event.row_key.value)))

    # --- search ---------------------------------------------------------------------------------
    def action_search(self) -> None:
        self.cockpit.open_field(self.query_one("#company-search", Input))  # the text-box key rule

    @on(Input.Changed, "#company-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._search.later(event.value.strip())

    def _apply_search(self, value: str) -> None:
        if value != self.query_text:
            self.query_text = value
            self.call_store(self._fetch(), lambda page: self._show_page(page, append=False), group="company-list")

    @on(Input.Submitted, "#company-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._search.now(event.value.strip())
        self.query_one(CompanyTable).focus()

    # --- keys -----------------------------------------------------------------------------------
    def action_export(self) -> None:
        from screens.exporting import start_export

        start_export(self, "companies", self.query_text)  # what the screen shows: its search

    def action_back(self) -> None:
        search = self.query_one("#company-search", Input)
        if search.has_focus:
            if search.value:
                search.value = ""
            self.query_one(CompanyTable).focus()
