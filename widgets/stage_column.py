"""One pipeline stage: a header with the stage's exact count and sum (from SQL) over an OptionList of
deal cards that grows a page at a time as the cursor (or the scroll) nears its end."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.models import DealCard, Page, Stage, StageTotal
from widgets.deal_card import render_card
from widgets.formatting import money

PREFETCH_MARGIN = 5  # fetch the next page when the cursor is this close to the last loaded card


class CardList(OptionList):
    """The cards of one stage; vim keys within the column."""

    BINDINGS = [Binding("j", "cursor_down", "Down", show=False), Binding("k", "cursor_up", "Up", show=False),
                Binding("home", "first", show=False), Binding("G,end", "last", show=False)]

    def watch_scroll_y(self, old: float, new: float) -> None:  # type: ignore[override]
        super().watch_scroll_y(old, new)
        if new >= self.max_scroll_y - 2:
            column = self.parent
            if isinstance(column, StageColumn):
                column.want_more()


class StageColumn(Vertical):
    """A column of the board. The screen feeds it pages; it asks for more with :class:`NeedMore`."""

    class NeedMore(Message):
        def __init__(self, column: "StageColumn") -> None:
            super().__init__()
            self.column = column

    def __init__(self, stage: Stage, *, now: datetime, stale_days: int, collapsed: bool = False,
                 total: StageTotal | None = None, page: Page[DealCard] | None = None) -> None:
        """``total`` and ``page`` (when known at creation) are composed in directly: one layout pass."""
        classes = "stage-column" + (" -collapsed" if collapsed else "") + (" -closed" if stage.is_closed else "")
        super().__init__(id=f"stage-{stage.stage_id}", classes=classes)
        self.stage = stage
        self.now = now
        self.stale_days = stale_days
        self.cards: dict[str, DealCard] = {}
        self.order: list[str] = []
        self.next_after: tuple[Any, ...] | None = None
        self.fetching = False
        self.count = total.count if total else 0
        self.amount = total.amount if total else Decimal(0)
        self._initial = page

    def compose(self) -> ComposeResult:
        yield Static(self._header_text(), classes="stage-header")
        options: list[Any] = []
        if self._initial is not None:
            for c in self._initial.items:
                self.cards[str(c.id)] = c
                self.order.append(str(c.id))
                options.append(self._option(c))
                options.append(None)
            self.next_after = self._initial.next_after
            self._initial = None
        cards = CardList(*options, classes="stage-cards")
        cards.can_focus = not self.collapsed
        if self.order:
            cards.highlighted = 0
        yield cards

    @property
    def card_list(self) -> CardList:
        return self.query_one(CardList)

    @property
    def collapsed(self) -> bool:
        return self.has_class("-collapsed")

    def set_collapsed(self, collapsed: bool) -> None:
        self.set_class(collapsed, "-collapsed")
        self.card_list.can_focus = not collapsed
        self._refresh_header()

    def _header_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.stage.label, style="bold")
        if self.collapsed:
            text.append(f" {self.count}", style="dim")
            return text
        text.append(f"  {self.count:,}", style="cyan")
        text.append(f"\n{money(self.amount, 'USD', compact=True)}", style="green")
        if self.stage.is_closed:
            text.append("  closed", style="dim")
        return text

    def _refresh_header(self) -> None:
        for header in self.query(".stage-header").results(Static):
            header.update(self._header_text())

    # --- data ---------------------------------------------------------------------------------
    def set_total(self, count: int, amount: Decimal) -> None:
        self.count, self.amount = count, amount
        self._refresh_header()

    def adjust_total(self, count: int, amount: Decimal) -> None:
        self.set_total(self.count + count, self.amount + amount)

    def _option(self, card: DealCard) -> Option:
        return Option(render_card(card, self.now, self.stale_days, closed=self.stage.is_closed), id=str(card.id))

    def show_page(self, page: Page[DealCard], *, append: bool) -> None:
        ol = self.card_list
        if not append and self._shows(page):
            self.fetching = False  # a reload that changed nothing here: no re-render, cursor and scroll stay
            return
        if not append:
            keep = self.selected_id
            self.cards.clear()
            self.order.clear()
            ol.clear_options()
        new = [c for c in page.items if str(c.id) not in self.cards]
        for c in new:
            self.cards[str(c.id)] = c
            self.order.append(str(c.id))
        options: list[Any] = []
        for c in new:
            options.append(self._option(c))
            options.append(None)
        ol.add_options(options)
        self.next_after = page.next_after
        self.fetching = False
        if not append:
            ol.scroll_home(animate=False)
            self.select(keep) if keep and keep in self.cards else self._highlight_first()
            # once the new options are measured, show the highlighted card from its first line
            self.call_after_refresh(ol.scroll_to_highlight, True)

    def _shows(self, page: Page[DealCard]) -> bool:
        """Whether the column already shows exactly ``page`` (same cards, same values, same order)."""
        return (page.next_after == self.next_after and len(page.items) == len(self.order)
                and all(str(c.id) == key and self.cards[key] == c for c, key in zip(page.items, self.order)))

    def _highlight_first(self) -> None:
        if self.order:
            self.card_list.highlighted = 0

    @property
    def selected_id(self) -> str | None:
        ol = self.card_list
        option = ol.highlighted_option
        return option.id if option is not None else None

    @property
    def selected_card(self) -> DealCard | None:
        sid = self.selected_id
        return self.cards.get(sid) if sid else None

    def select(self, deal_id: str) -> bool:
        if deal_id not in self.cards:
            return False
        self.card_list.highlighted = self.card_list.get_option_index(deal_id)
        return True

    def remove_card(self, deal_id: str) -> DealCard | None:
        card = self.cards.pop(deal_id, None)
        if card is None:
            return None
        self.order.remove(deal_id)
        self.card_list.remove_option(deal_id)
        return card

    def insert_card(self, card: DealCard, index: int = 0) -> None:
        """Put a card at ``index`` of the loaded cards (a moved deal shows at once, where the board's
        sort puts it, before its column reloads)."""
        key = str(card.id)
        if key in self.cards:
            self.remove_card(key)
        index = max(0, min(index, len(self.order)))
        self.cards[key] = card
        self.order.insert(index, key)
        ol = self.card_list
        ol.clear_options()
        options: list[Any] = []
        for k in self.order:
            options.append(self._option(self.cards[k]))
            options.append(None)
        ol.add_options(options)
        ol.highlighted = index

    def want_more(self) -> None:
        if self.next_after is not None and not self.fetching:
            self.fetching = True
            self.post_message(self.NeedMore(self))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.order) - PREFETCH_MARGIN:
            self.want_more()
