"""The pipeline board (the default screen): one column per crm_pipeline stage.

Each column header shows the stage's exact count and summed amount (SQL, ``Store.crm.stage_totals``), and
its cards load a page at a time (``Store.crm.deal_cards`` keyset pages). Moves go through ``crm_move_deal``
under the strategic role (``Store.crm.move_deal``): the card moves at once, and the totals are re-read from
the database when the move is confirmed (or the board reloads if the database refused it).
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalScroll
from textual.notifications import Notification, Notify
from textual.widgets import Input, OptionList, Static

from cockpit.head_start import BOARD_SORT, first_page_size
from cockpit.models import BoardView, DealCard, Page, Stage, StageTotal
from cockpit.session_undo import Move
from screens.base import CockpitScreen
from screens.deal_moves import confirm_then
from widgets.debounce import Debounce
from widgets.stage_column import CardList, StageColumn

if TYPE_CHECKING:
    from cockpit.changes import Delivery
    from cockpit.store import Store

SORTS = ("amount", "close_date", "staleness")
SORT_LABEL = {"amount": "amount ↓", "close_date": "close date ↑", "staleness": "stalest first"}
FILTER_DEBOUNCE = 0.25
MIN_COLUMN = 22
FOLDED_COLUMN = 14
MOVE_NOTICE_BURST = 3.0  # seconds: a move this soon after the last replaces its notice
# Seconds after the screen first learns its size before the board read at start-up (cockpit.head_start)
# is built: Textual hands a new screen the terminal's size once more right after its first layout, and
# columns mounted before that are laid out and drawn twice.
HEAD_START_SETTLE = 0.05


class PipelineScreen(CockpitScreen):
    """Deals by stage; h/l between stages, j/k within, H/L moves, / filters, s sorts, z folds closed."""

    TITLE_TEXT = "Pipeline"
    AUTO_FOCUS = ""  # no auto focus: the board takes focus once its cards are loaded

    BINDINGS = [
        Binding("h,left", "column(-1)", "Prev stage", show=False),
        Binding("l,right", "column(1)", "Next stage", show=False),
        Binding("H,left_square_bracket", "move(-1)", "Move ◀", key_display="H"),
        Binding("L,right_square_bracket", "move(1)", "Move ▶", key_display="L"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort"),
        Binding("z", "fold", "Fold closed"),
        Binding("x", "export", "Export deals"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stages: list[Stage] = []
        self.columns: dict[str, StageColumn] = {}
        self.sort = BOARD_SORT
        self.filter_text = ""
        self.fold_closed = False
        self._filter = Debounce(self, FILTER_DEBOUNCE, self._apply_filter)
        self._focus_target: StageColumn | None = None
        self._move_lock = asyncio.Lock()  # moves reach the database in the order they were made
        self._moves_pending: dict[str, str] = {}
        self._notice: Notification | None = None
        self._notice_at = 0.0
        self._head_start_asked = False

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Input(placeholder="filter deals or companies (enter keeps, esc clears)", id="pipeline-filter")
        yield Static("", id="pipeline-info")
        with HorizontalScroll(id="board"):
            yield from self._compose_head_start_board()
        yield from self.compose_frame_bottom()

    def _compose_head_start_board(self) -> list[StageColumn]:
        """The board read while the cockpit started (:mod:`cockpit.head_start`), when it is there already:
        the columns are composed with their cards, so the first frame drawn is the board (one layout and
        render less than mounting them after the first frame)."""
        head_start = getattr(self.cockpit, "head_start", None)
        board = head_start.board_now(self.first_page_size) if head_start is not None else None
        if board is None:
            return []
        self._columns_for(board)
        columns = list(self.columns.values())
        self._layout_columns(columns, width=self.size.width or self.app.size.width)
        return columns

    def on_mount(self) -> None:
        super().on_mount()
        if self.columns:  # composed with the head start's board
            self._finish_load(None)

    def _take_head_start_board(self) -> None:
        if self.cockpit.head_start is not None:  # the terminal session's (see on_resize)
            self.cockpit.head_start.on_board(self.first_page_size, self._show_head_start_board)

    def _show_head_start_board(self, board: BoardView) -> None:
        """The board as read while the cockpit started (:mod:`cockpit.head_start`), after the first frame
        and without waiting for the app's connection; unless the store's board is here already. It is
        the database's of a moment ago: the screen reloads once the app is connected, like every screen."""
        unchanged = self.sort == BOARD_SORT and not self.filter_text  # no key has re-sorted or filtered it
        if not self.stages and unchanged and self.is_attached:
            self._show_board(board)

    @property
    def page_size(self) -> int:
        """Cards per page when a column scrolls on."""
        return min(self.cockpit.settings.page_size, 40)

    @property
    def first_page_size(self) -> int:
        """The first page: what a column shows (a card is 4 rows) plus a small buffer."""
        return first_page_size(self.size.height or self.app.size.height, self.cockpit.settings.page_size)

    # --- loading --------------------------------------------------------------------------------
    WATCHES = frozenset({"deal", "company"})

    def reload(self) -> None:
        self._load(self.first_page_size)

    def apply_changes(self, delivery: "Delivery") -> None:
        """A deal changed elsewhere: re-read the board as deep as each column is loaded (totals from SQL,
        the moved card in its new column, cursor and scroll kept). Not while a move of ours is on its way
        (the board would flash its old column): once it has landed."""
        if self._move_lock.locked():
            self.set_timer(0.2, lambda: self.apply_changes(delivery))
            return
        loaded = max((len(c.order) for c in self.columns.values()), default=0)
        self._load(max(self.first_page_size, min(loaded, 500)))

    def _load(self, limit: int) -> None:
        sort, text = self.sort, self.filter_text or None

        async def load(store: "Store") -> BoardView:
            return await store.crm.board_view(sort=sort, limit=limit, text=text)  # type: ignore[arg-type]

        self.call_store(load, self._show_board, group="board")

    def _show_board(self, data: BoardView) -> None:
        stages, totals, pages = data
        focused_stage = self.focused_column.stage.stage_id if self.focused_column else None
        if [s.stage_id for s in stages] != [s.stage_id for s in self.stages]:
            self._columns_for(data)
            self.call_later(self._rebuild, focused_stage)
        else:
            self.stages = stages
            self._fill(totals, pages, focused_stage)

    def _columns_for(self, data: BoardView) -> None:
        """New columns for a board of new stages, each with its total and first page (not mounted yet)."""
        stages, totals, pages = data
        now = self.cockpit.clock()
        stale = self.cockpit.settings.stale_days
        self.stages = stages
        self.columns = {s.stage_id: StageColumn(s, now=now, stale_days=stale,
                                                collapsed=self.fold_closed and s.is_closed,
                                                total=totals.get(s.stage_id), page=pages[s.stage_id])
                        for s in stages}

    async def _rebuild(self, focus: str | None) -> None:
        """New stage vocabulary (first load, client switch): new columns, composed with their first page
        (one layout pass, which is most of the time to first paint)."""
        board = self.query_one("#board", HorizontalScroll)
        self._layout_columns(list(self.columns.values()))
        with self.app.batch_update():
            await board.remove_children()
            await board.mount_all(self.columns.values())
        self._finish_load(focus)

    def _layout_columns(self, columns: list[StageColumn] | None = None, *, width: int = 0) -> None:
        """Share the board's width (``width``, default: the board's now) between open columns: all of them
        when they fit at MIN_COLUMN each, else as many as fit (the board scrolls sideways to the focused one)."""
        cols = columns if columns is not None else list(self.columns.values())
        if not cols:
            return
        width = width or self.query_one("#board", HorizontalScroll).size.width or self.size.width
        folded = [c for c in cols if c.collapsed]
        open_cols = [c for c in cols if not c.collapsed]
        widths = {col: FOLDED_COLUMN for col in folded}
        if open_cols:
            room = max(width - FOLDED_COLUMN * len(folded), MIN_COLUMN)
            fits = max(1, min(len(open_cols), room // MIN_COLUMN))
            widths.update({col: max(MIN_COLUMN, room // fits) for col in open_cols})
        for col, cells in widths.items():
            current = col.styles.width
            if current is None or current.cells != cells:  # a no-op change would still re-render the cards
                col.styles.width = cells

    def on_resize(self) -> None:
        if not self._head_start_asked and getattr(self.cockpit, "head_start", None) is not None:
            self._head_start_asked = True
            self.set_timer(HEAD_START_SETTLE, self._take_head_start_board)
        self.call_after_refresh(self._layout_columns)
        self.set_timer(0.05, self._update_info)

    def _fill(self, totals: dict[str, StageTotal], pages: dict[str, Page[DealCard]], focus: str | None) -> None:
        for stage in self.stages:
            col = self.columns[stage.stage_id]
            col.now = self.cockpit.clock()
            total = totals.get(stage.stage_id)
            col.set_total(total.count if total else 0, total.amount if total else Decimal(0))
            col.show_page(pages[stage.stage_id], append=False)
        self._finish_load(focus)

    def _finish_load(self, focus: str | None) -> None:
        self._update_info()
        self.cockpit.first_screen_shown()
        target = self.columns.get(focus or "") or next(iter(self.columns.values()), None)
        if target is not None and not self.query_one("#pipeline-filter", Input).has_class("-shown"):
            if target.collapsed:
                target = next((c for c in self.columns.values() if not c.collapsed), target)
            self._focus_column(target)

    def _update_info(self) -> None:
        parts = [f"sort: {SORT_LABEL[self.sort]}"]
        where = self._stages_on_screen()
        if where:
            parts.insert(0, where)
        if self.filter_text:
            hits = [f"{c.stage.label} {c.count:,}" for c in self.columns.values() if c.count]
            parts.append(f"filter “{self.filter_text}”: " + (", ".join(hits) if hits else "no matches"))
        if self.fold_closed:
            parts.append("closed stages folded")
        self.query_one("#pipeline-info", Static).update(" · ".join(parts))

    def _stages_on_screen(self) -> str:
        """"◀ 2 · 3 of 7 · 2 ▶": stages scrolled off to the left, shown, off to the right ("" when all fit)."""
        cols = list(self.columns.values())
        board = self.query_one("#board", HorizontalScroll)
        width = board.scrollable_content_region.width
        if not cols or not width:
            return ""
        start, end = board.scroll_x, board.scroll_x + width
        left = right = x = 0
        for c in cols:  # the widths the layout gave the columns (an off-screen column has no region)
            w = c.styles.width.cells if c.styles.width is not None and c.styles.width.cells else MIN_COLUMN
            if x + w / 2 <= start:
                left += 1
            elif x + w / 2 >= end:
                right += 1
            x += w
        shown = len(cols) - left - right
        if not left and not right:
            return ""
        return f"{'◀ ' + str(left) + ' · ' if left else ''}{shown} of {len(cols)}{' · ' + str(right) + ' ▶' if right else ''}"

    @on(StageColumn.NeedMore)
    def _load_more(self, event: StageColumn.NeedMore) -> None:
        column = event.column
        stage_id, after = column.stage.stage_id, column.next_after
        sort, text, limit = self.sort, self.filter_text or None, self.page_size

        async def more(store: "Store") -> Page[DealCard]:
            return await store.crm.deal_cards(stage_id, sort=sort, after=after, limit=limit, text=text)  # type: ignore[arg-type]

        def show(page: Page[DealCard]) -> None:
            if column.next_after == after:  # not reloaded meanwhile
                column.show_page(page, append=True)

        def failed(_exc: BaseException) -> None:
            column.fetching = False

        self.call_store(more, show, group=f"more-{stage_id}", failed=failed)

    # --- navigation -----------------------------------------------------------------------------
    @property
    def focused_column(self) -> StageColumn | None:
        """The column keys act on. Textual applies focus() later, so a column asked for but not yet
        focused wins: two quick ``l`` presses move two columns, two quick ``L`` move the same deal."""
        if self._focus_target is not None and self._focus_target in self.columns.values():
            return self._focus_target
        node = self.focused
        while node is not None and not isinstance(node, StageColumn):
            node = node.parent  # type: ignore[assignment]
        return node

    def _focus_column(self, column: StageColumn) -> None:
        self._focus_target = column
        lists = column.query(CardList)  # empty while a rebuild (a client switch) replaces the columns
        if lists:
            lists.first().focus()

    def _visible_columns(self) -> list[StageColumn]:
        return [self.columns[s.stage_id] for s in self.stages if not self.columns[s.stage_id].collapsed]

    def action_column(self, step: int) -> None:
        cols = self._visible_columns()
        current = self.focused_column
        if not cols:
            return
        index = cols.index(current) if current in cols else 0
        target = cols[max(0, min(len(cols) - 1, index + step))]
        self._focus_column(target)
        target.scroll_visible(animate=False)
        self.call_after_refresh(self._update_info)

    def on_descendant_focus(self) -> None:
        node = self.focused
        while node is not None and not isinstance(node, StageColumn):
            node = node.parent  # type: ignore[assignment]
        if node is None or node is self._focus_target:  # the asked-for focus arrived (or left the board)
            self._focus_target = None
        if node is not None:
            node.scroll_visible(animate=False)
            self.call_after_refresh(self._update_info)  # the board has scrolled to the column

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.cockpit.open_deal(UUID(event.option.id))

    # --- moving ---------------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        source = self.focused_column
        card = source.selected_card if source else None
        if source is None or card is None:
            self.notify("no deal selected", timeout=2)
            return
        ids = [s.stage_id for s in self.stages]
        index = ids.index(source.stage.stage_id) + step
        if not 0 <= index < len(ids):
            self.notify(f"{source.stage.label} is the {'first' if step < 0 else 'last'} stage", timeout=2)
            return
        target = self.columns[ids[index]]
        confirm_then(self.app, card.name or "(unnamed deal)", target.stage,
                     lambda: self._move(source, target, card))

    def _sort_index(self, column: StageColumn, card: DealCard) -> int:
        """Where the board's sort puts ``card`` among the column's loaded cards."""
        def key(c: DealCard) -> tuple[Any, UUID]:
            if self.sort == "amount":
                return (c.amount if c.amount is not None else Decimal(-1), c.id)
            if self.sort == "close_date":
                return (c.close_date or date(9999, 12, 31), c.id)
            return (c.last_activity_at or c.created_at or c.updated_at, c.id)  # the store's staleness key

        mine = key(card)
        for i, other_id in enumerate(column.order):
            other = key(column.cards[other_id])
            if (mine > other) if self.sort == "amount" else (mine < other):
                return i
        return len(column.order)

    def _move(self, source: StageColumn, target: StageColumn, card: DealCard) -> None:
        if str(card.id) not in source.cards:
            return  # moved meanwhile (a second answer to the question)
        amount = card.amount or Decimal(0)
        source.remove_card(str(card.id))
        source.adjust_total(-1, -amount)
        moved = card.model_copy(update={"stage_id": target.stage.stage_id})
        target.insert_card(moved, self._sort_index(target, moved))
        target.adjust_total(1, amount)
        if not target.collapsed:
            self._focus_column(target)
            target.scroll_visible()
        deal_id, from_stage, to_stage = card.id, source.stage.stage_id, target.stage.stage_id
        text, label = self.filter_text or None, card.name or "(unnamed deal)"

        async def move(store: "Store") -> dict[str, StageTotal]:
            async with self._move_lock:
                await store.crm.move_deal(deal_id, to_stage)
            return await store.crm.stage_totals(text)

        def confirmed(totals: dict[str, StageTotal]) -> None:
            for sid, col in self.columns.items():
                t = totals.get(sid)
                col.set_total(t.count if t else 0, t.amount if t else Decimal(0))
            self.cockpit.undo_stack.push(Move(deal_id, label, from_stage, to_stage))
            self._moved_notice(label, target.stage.label)

        self.call_store(move, confirmed, group=f"move-{deal_id}", exclusive=False,
                        failed=lambda _exc: self.reload())

    def _moved_notice(self, label: str, stage_label: str) -> None:
        """Quick moves share one notice: a move within a few seconds of the last replaces its notice
        (four ``L`` presses: one line saying where the deal is now, not four)."""
        now = asyncio.get_running_loop().time()
        if self._notice is None or now - self._notice_at > MOVE_NOTICE_BURST:
            self._moves_pending = {}
        elif self._notice in self.app._notifications:
            self.app._unnotify(self._notice)
        self._moves_pending.pop(label, None)
        self._moves_pending[label] = stage_label
        if len(self._moves_pending) == 1:
            message = f"moved “{label}” to {stage_label} · u undoes"
        else:
            message = f"moved {len(self._moves_pending)} deals, last “{label}” to {stage_label} · u undoes"
        self._notice, self._notice_at = Notification(message, timeout=3), now
        self.app.post_message(Notify(self._notice))

    # --- filter, sort, fold ---------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#pipeline-filter", Input)
        box.add_class("-shown")
        self.cockpit.open_field(box)

    def action_clear_filter(self) -> None:
        box = self.query_one("#pipeline-filter", Input)
        had = bool(self.filter_text)
        box.value = ""
        box.remove_class("-shown")
        self.filter_text = ""
        if had:
            self.reload()
        elif self.columns:
            self._focus_column(self.focused_column or next(iter(self.columns.values())))

    @on(Input.Changed, "#pipeline-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter.later(event.value.strip())

    def _apply_filter(self, value: str) -> None:
        if value != self.filter_text:
            self.filter_text = value
            self.reload()

    @on(Input.Submitted, "#pipeline-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._filter.now(event.value.strip())
        if not event.value.strip():
            event.input.remove_class("-shown")
        cols = self._visible_columns()
        if cols:
            self._focus_column(cols[0])

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._update_info()
        self.reload()

    def action_export(self) -> None:
        from screens.exporting import start_export

        start_export(self, "deals", self.filter_text)

    def action_fold(self) -> None:
        self.fold_closed = not self.fold_closed
        for stage in self.stages:
            if stage.is_closed:
                self.columns[stage.stage_id].set_collapsed(self.fold_closed)
        self._layout_columns()
        self._update_info()
        current = self.focused_column
        if current is None or current.collapsed:
            cols = self._visible_columns()
            if cols:
                self._focus_column(cols[-1])

    def selected(self) -> tuple[str, Any] | None:
        """(stage id, card) under the cursor — for tests and the palette."""
        col = self.focused_column
        if col is None or col.selected_card is None:
            return None
        return col.stage.stage_id, col.selected_card
