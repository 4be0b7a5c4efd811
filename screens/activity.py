"""The live activity feed (g a): crm_activities for the client, newest first, live.

- New rows appear within seconds without a keypress: a worker listens (LISTEN/NOTIFY for writes
  through the views) and polls the head (rows Twenty writes itself), then fetches only the rows newer
  than the newest one known.
- No jump while reading: with the cursor on the top row the feed follows (new rows slide in above);
  anywhere else new rows wait behind an "N new" marker until ``f`` (or moving back to the top).
- History is unbounded and loads a page at a time as the cursor nears the bottom.
- ``/`` filters (free text + kind= channel= source= contact= deal=); ``c``/``d``/``k``/``s`` filter by
  the highlighted row's contact, deal, kind or source; ``x`` clears; enter opens the contact (else the deal);
  home goes to the newest row, end to the oldest loaded.

All queries go through the store in workers; handlers only apply posted results to widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from cockpit.activity.feed import FeedState
from cockpit.activity.filters import ActivityFilter, parse_filter, unknown_kinds_warning
from cockpit.errors import CockpitError
from cockpit.formatting import fit
from cockpit.models import Activity, Page
from screens.base import CockpitScreen

from styles import STYLES  # noqa: E402 - the stylesheets ship as package data
LOAD_AHEAD = 15  # rows from the bottom at which the next page of history is fetched
WIDE = 110  # from this width the channel and source get their own columns


@dataclass
class FeedLoaded(Message):
    page: Page[Activity]
    names: dict[UUID, str]
    filter: ActivityFilter
    older: bool  # True: a page of history to append; False: a fresh first page


@dataclass
class FeedNewer(Message):
    rows: list[Activity]
    names: dict[UUID, str]
    filter: ActivityFilter


def _when(a: Activity, year: int | None) -> str:
    """Day and time; the year only when it differs from the newest row's (deterministic, compact)."""
    if year is None or a.occurred_at.year == year:
        return a.occurred_at.strftime("%d %b %H:%M")
    return a.occurred_at.strftime("%Y-%m-%d")


def _text(a: Activity) -> str:
    text = a.subject or a.summary or ""
    return " ".join(text.split())


WHO_WIDE, WHO_NARROW = 24, 18  # the "Contact / deal" column: the contact, then the deal when there is one


class FeedTable(DataTable[str]):
    """The feed's rows: Home goes to the newest row (and follows), End to the oldest one loaded."""

    BINDINGS = [
        Binding("home", "newest", "Newest", show=False),
        Binding("end", "oldest", "Oldest loaded", show=False),
    ]

    def action_newest(self) -> None:
        self.move_cursor(row=0)

    def action_oldest(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)


class ActivityScreen(CockpitScreen):
    """The feed. Page size and poll interval come from the settings (page_size, refresh_seconds)."""

    TITLE_TEXT = "Activity"
    WATCHES = frozenset({"activity"})
    CSS_PATH = str(STYLES / "activity.tcss")
    BINDINGS = [
        Binding("f", "follow", "Follow"),
        Binding("slash", "filter", "Filter"),
        Binding("c", "filter_row('contact')", "By contact"),
        Binding("d", "filter_row('deal')", "By deal"),
        Binding("k", "filter_row('kind')", "By kind", show=False),
        Binding("s", "filter_row('source')", "By source", show=False),
        Binding("x", "clear_filter", "Clear"),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state = FeedState()
        self.names: dict[UUID, str] = {}
        self._loading_older = False
        self._client: str | None = None
        self._wide = False

    @property
    def page_size(self) -> int:
        return max(20, int(getattr(self.cockpit.settings, "page_size", 50)) * 2)

    @property
    def poll_seconds(self) -> float:
        return min(float(getattr(self.cockpit.settings, "refresh_seconds", 2.0)), 4.0)

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Activity", id="feed-status")
        yield Input(placeholder="filter: words kind=email_opened,call source=arlo channel=email contact=<id>",
                    id="feed-filter")
        table: DataTable[str] = FeedTable(id="feed-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        table = self.query_one("#feed-table", DataTable)
        self._setup_columns(self.size.width >= WIDE)
        self.query_one("#feed-filter", Input).display = False
        table.focus()
        self._render_status()

    def reload(self) -> None:
        """First page and the live watcher; on a client switch the record filters no longer apply."""
        client = self.store.client_id if self.store is not None else None
        if client != self._client:
            self._client = client
            self.names = {}
            self.state.filter = ActivityFilter()
        self.apply_filter(self.state.filter)

    def changes_arrived(self, delivery: Any) -> None:
        """New activities (announced, or found by the feed's poll): the rows newer than the head, plus the
        announced ones (which may be back-dated), prepended in place, shown or hidden."""
        if "activity" not in delivery.ids or self.store is None:
            return
        ids: list[UUID] = []
        for raw in delivery.ids["activity"]:
            try:
                ids.append(UUID(raw))
            except ValueError:
                continue
        self.fetch_newer(ids)

    # --- store calls (I/O only; results come back as messages) ----------------------------------
    async def _names_for(self, store: Any, rows: list[Activity]) -> dict[UUID, str]:
        contacts = {a.contact_id for a in rows if a.contact_id and a.contact_id not in self.names}
        deals = {a.deal_id for a in rows if a.deal_id and a.deal_id not in self.names}
        if not contacts and not deals:
            return {}
        return await store.activity.record_names(contacts, deals)  # type: ignore[no-any-return]

    def load_first(self, f: ActivityFilter) -> None:
        async def fetch(store: Any) -> FeedLoaded:
            page = await store.activity.feed_page(f, limit=self.page_size)
            return FeedLoaded(page, await self._names_for(store, page.items), f, older=False)

        self.call_store(fetch, self.post_message, group="feed-load")

    def load_older(self, f: ActivityFilter, before: Any) -> None:
        async def fetch(store: Any) -> FeedLoaded:
            page = await store.activity.feed_page(f, before=before, limit=self.page_size)
            return FeedLoaded(page, await self._names_for(store, page.items), f, older=True)

        def failed(_exc: BaseException) -> None:
            self._loading_older = False

        self.call_store(fetch, self.post_message, group="feed-older", failed=failed)

    def fetch_newer(self, announced: list[UUID]) -> None:
        """One fetch of the rows newer than the head, plus the announced rows the head check misses."""
        if not self.state.loaded:
            return
        f, head = self.state.filter, self.state.head

        async def fetch(store: Any) -> None:
            rows = await store.activity.feed_newer(f, head)
            seen = {a.id for a in rows}
            late = [i for i in announced if i not in seen]
            rows += await store.activity.feed_by_ids(f, late) if late else []
            if rows and self.store is store:
                self.post_message(FeedNewer(rows, await self._names_for(store, rows), f))

        self.call_store(fetch, group="feed-live", exclusive=False)

    # --- applying results ---------------------------------------------------------------------
    def _setup_columns(self, wide: bool) -> None:
        table = self.query_one("#feed-table", DataTable)
        self._wide = wide
        table.clear(columns=True)
        table.add_column("When", width=12, key="when")
        table.add_column("Kind", width=14, key="kind")
        if wide:
            table.add_column("Channel", width=8, key="channel")
            table.add_column("Source", width=7, key="source")
        table.add_column("Contact / deal", width=WHO_WIDE if wide else WHO_NARROW, key="who")
        table.add_column("Subject", key="subject")

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE
        if wide != self._wide:
            table = self.query_one("#feed-table", DataTable)
            row = table.cursor_row
            self._setup_columns(wide)
            self._rebuild()
            table.move_cursor(row=row)

    def _row_cells(self, a: Activity) -> tuple[str, ...]:
        contact = self.names.get(a.contact_id) if a.contact_id else None  # type: ignore[arg-type]
        deal = self.names.get(a.deal_id) if a.deal_id else None  # type: ignore[arg-type]
        who = fit(" · ".join(n for n in (contact, deal) if n), WHO_WIDE if self._wide else WHO_NARROW)
        year = self.state.rows[0].occurred_at.year if self.state.rows else None
        if self._wide:
            return (_when(a, year), a.kind, a.channel or "", a.source, who, _text(a))
        return (_when(a, year), a.kind, who, _text(a))

    def _rebuild(self) -> None:
        """Rows newer than the top can only go in by rebuilding (DataTable appends); callers do it
        only while following, when the cursor is on the top row anyway."""
        table = self.query_one("#feed-table", DataTable)
        table.clear()
        table.add_rows([self._row_cells(a) for a in self.state.rows])

    @on(FeedLoaded)
    def _on_loaded(self, msg: FeedLoaded) -> None:
        if msg.filter != self.state.filter:
            return  # a page for a filter the user has since changed
        self.names.update(msg.names)
        table = self.query_one("#feed-table", DataTable)
        if msg.older:
            self._loading_older = False
            added = self.state.append_older(msg.page)
            table.add_rows([self._row_cells(a) for a in added])  # appended below: nothing moves
        else:
            self.state.reset(msg.page, msg.filter)
            self._rebuild()
            table.move_cursor(row=0)
        self._render_status()

    @on(FeedNewer)
    def _on_newer(self, msg: FeedNewer) -> None:
        if msg.filter != self.state.filter:
            return
        self.names.update(msg.names)
        table = self.query_one("#feed-table", DataTable)
        for index in self.state.replace_known(msg.rows):  # edited rows change in place: nothing moves
            for col, value in enumerate(self._row_cells(self.state.rows[index])):
                table.update_cell_at(Coordinate(index, col), value)
        if self.state.add_newer(msg.rows) and self.state.following:
            self._rebuild()
            table.move_cursor(row=0)
        self._render_status()

    @on(DataTable.RowHighlighted, "#feed-table")
    def _on_highlight(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if row == 0 and not self.state.following:
            if self.state.follow():
                self._rebuild()
            self._render_status()
        elif row > 0 and self.state.following:
            self.state.stop_following()
            self._render_status()
        if (row >= len(self.state.rows) - LOAD_AHEAD and self.state.has_more and not self._loading_older):
            self._loading_older = True
            self.load_older(self.state.filter, self.state.older)

    @on(DataTable.RowSelected, "#feed-table")
    def _on_select(self, event: DataTable.RowSelected) -> None:
        a = self.current()
        if a is None:
            return
        if a.contact_id:  # the first the "Contact / deal" column names
            self._open("contact", a.contact_id)
        elif a.deal_id:
            self._open("deal", a.deal_id)
        else:
            self.notify("this activity names no contact or deal", title="Activity")

    def _open(self, kind: str, record_id: UUID) -> None:
        if kind == "contact":
            self.cockpit.open_contact(record_id)  # the contacts screen, on that contact
        else:
            self.cockpit.open_deal(record_id)  # the deal's detail view

    # --- actions ------------------------------------------------------------------------------
    def current(self) -> Activity | None:
        table = self.query_one("#feed-table", DataTable)
        if not self.state.rows or table.cursor_row < 0 or table.cursor_row >= len(self.state.rows):
            return None
        return self.state.rows[table.cursor_row]

    def action_follow(self) -> None:
        shown = self.state.follow()
        if shown:
            self._rebuild()
        self.query_one("#feed-table", DataTable).move_cursor(row=0)
        self._render_status()

    def action_filter(self) -> None:
        box = self.query_one("#feed-filter", Input)
        box.value = self.state.filter.to_query()
        box.display = True
        self.cockpit.open_field(box)

    def action_close_filter(self) -> None:
        box = self.query_one("#feed-filter", Input)
        if box.display:
            box.display = False
            self.query_one("#feed-table", DataTable).focus()

    @on(Input.Submitted, "#feed-filter")
    def _on_filter(self, event: Input.Submitted) -> None:
        try:
            f = parse_filter(event.value)
        except CockpitError as exc:
            self.notify(f"{exc.message} — {exc.hint}" if exc.hint else exc.message, title="Filter",
                        severity="error")
            return  # the box stays open with what was typed
        self.action_close_filter()
        warning = unknown_kinds_warning(f)
        if warning:
            self.notify(warning, title="Filter", severity="warning", timeout=12)
        self.apply_filter(f)

    def apply_filter(self, f: ActivityFilter) -> None:
        self.state.filter = f
        self.state.loaded = False
        self._render_status(loading=True)
        self.load_first(f)

    def action_filter_row(self, what: str) -> None:
        a = self.current()
        if a is None:
            return
        f = self.state.filter
        if what == "contact" and a.contact_id:
            f = f.with_record(contact_id=a.contact_id, label=self.names.get(a.contact_id))
        elif what == "deal" and a.deal_id:
            f = f.with_record(deal_id=a.deal_id, label=self.names.get(a.deal_id))
        elif what == "kind":
            f = ActivityFilter(**{**f.__dict__, "kinds": (a.kind,)})
        elif what == "source":
            f = ActivityFilter(**{**f.__dict__, "sources": (a.source,)})
        else:
            self.notify(f"this activity names no {what}", title="Activity")
            return
        self.apply_filter(f)

    def action_clear_filter(self) -> None:
        if not self.state.filter.is_empty:
            self.apply_filter(ActivityFilter())

    def _render_status(self, loading: bool = False) -> None:
        s = self.state
        parts = ["[b]Activity[/b]"]
        desc = s.filter.describe()
        if desc:
            parts.append(f"filter: {desc}")
        if loading or not s.loaded:
            parts.append("loading…")
        else:
            parts.append(f"{len(s.rows):,} shown" + (" · more below" if s.has_more else " · all"))
        if s.pending:
            parts.append(f"[reverse] {len(s.pending)} new [/reverse] f to follow")
        elif s.following and self.store is not None and not self.store.changes.listens:
            parts.append(f"● polling every {self.poll_seconds:g} s")
        elif s.following:
            parts.append("● live")
        else:
            parts.append("○ paused (reading)")
        self.query_one("#feed-status", Static).update("  ·  ".join(parts))
