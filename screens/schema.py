"""The schema explorer (g s), read-only: Tom's view of the database.

Left: relations grouped by concern (configurable rules, cockpit/schema/groups.py) with row
estimates; groups fill in when expanded, so 2,000 tables cost nothing until looked at. Right: the
selected table's detail, its relation map, a join path, or a lint list. Everything is read from the
schema cache (redkey.system_schema_*), never the live catalog; ``R`` refreshes the cache.

Keys: enter detail · m map (1 / 2 radius) · a mark as join start, p join path to here (enter on a map
or path line opens its table) · o orphans · y cycles · u unindexed FKs · / search tables and columns ·
S show/hide system schemas · R refresh. Twenty's workspace schemas read as their client's label
(cockpit/schema/names.py); the detail and the SQL keep the real names.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, OptionList, Static, Tree
from textual.widgets.option_list import Option

from cockpit.errors import CockpitError
from cockpit.schema.graph import SchemaGraph
from cockpit.schema.groups import Group, group_relations, parse_rules
from cockpit.schema.models import Relation, SchemaSnapshot, SearchHit, TableDetail
from cockpit.schema.names import Namer, fit, namer
from screens.base import CockpitScreen
from widgets.schema_detail import Entry, map_entries, path_list_entries, render_detail, render_entries, render_lint

from styles import STYLES  # noqa: E402 - the stylesheets ship as package data


@dataclass
class SchemaLoaded(Message):
    snapshot: SchemaSnapshot
    graph: SchemaGraph
    groups: list[Group]
    include_system: bool
    refreshed_ms: float | None = None


@dataclass
class DetailLoaded(Message):
    detail: TableDetail


@dataclass
class SearchDone(Message):
    text: str
    hits: list[SearchHit]


@dataclass
class SchemaFailed(Message):
    error: CockpitError


def _rows(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


class SchemaScreen(CockpitScreen):
    """Grouping rules come from the settings (schema_groups; empty: the default concerns)."""

    TITLE_TEXT = "Schema"
    CSS_PATH = str(STYLES / "schema.tcss")
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("m", "map(1)", "Map"),
        Binding("1", "map(1)", "Radius 1", show=False),
        Binding("2", "map(2)", "Radius 2", show=False),
        Binding("a", "mark", "Join from"),
        Binding("p", "path", "Join path"),
        Binding("o", "lint('orphans')", "Orphans"),
        Binding("y", "lint('cycles')", "Cycles"),
        Binding("u", "lint('unindexed')", "Unindexed FKs"),
        Binding("D", "diagram", "Diagram file"),
        Binding("S", "toggle_system", "System"),
        Binding("R", "refresh", "Refresh"),
        Binding("escape", "close_search", "Close search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.include_system = False
        self.graph: SchemaGraph | None = None
        self.snapshot: SchemaSnapshot | None = None
        self.groups: list[Group] = []
        self.selected: Relation | None = None
        self.detail: TableDetail | None = None
        self.mark: Relation | None = None
        self.pane = "empty"  # what the right pane shows: detail / map / path / lint
        self.refresh_note = ""
        self.pane_renderable: RenderableType = ""
        self.label_of: Namer = str  # relation key -> what the explorer calls it (workspaces by client label)
        self.link_keys: list[str | None] = []

    def _rules_text(self) -> str:
        return getattr(self.cockpit.settings, "schema_groups", "") or ""

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        yield Static("Schema", id="schema-status")
        yield Input(placeholder="search table and column names", id="schema-search")
        with Horizontal(id="schema-body"):
            tree: Tree[Relation | Group] = Tree("schema", id="schema-tree")
            tree.show_root = False
            yield tree
            yield OptionList(id="schema-hits")
            with VerticalScroll(id="schema-pane"):
                yield Static(Text("loading the schema cache…", style="dim"), id="schema-detail")
            yield OptionList(id="schema-links")  # the relation map / join paths: enter opens a table
        yield from self.compose_frame_bottom()

    def on_mount(self) -> None:
        self.query_one("#schema-search", Input).display = False
        self.query_one("#schema-hits", OptionList).display = False
        self.query_one("#schema-links", OptionList).display = False
        self.query_one("#schema-tree", Tree).focus()

    def reload(self) -> None:
        """The cache is the same for every client; reload re-reads it (e.g. after a reconnect)."""
        self.load(refresh=False)

    # --- store calls (results come back as messages) --------------------------------------------
    def load(self, refresh: bool) -> None:
        """Snapshot of the cache -> graph -> groups (graph and grouping in a thread: pure CPU)."""
        include = self.include_system
        rules = parse_rules(self._rules_text())

        async def fetch(store: Any) -> SchemaLoaded:
            # asked for, never filled, or relations made or dropped since the last refresh
            took = ((await store.schema.refresh_schema_cache()).duration_ms if refresh
                    else await store.schema.ensure_fresh())
            snap = await store.schema.schema_snapshot()

            def build() -> tuple[SchemaGraph, list[Group]]:
                graph = SchemaGraph(snap, include_system=include)
                graph.undirected  # noqa: B018 - built here, off the UI thread
                return graph, group_relations(snap.relations, rules, workspaces=snap.workspaces,
                                              include_system=include)

            graph, groups = await asyncio.to_thread(build)
            return SchemaLoaded(snap, graph, groups, include, took)

        self.call_store(fetch, self.post_message, group="schema-load")

    def load_detail(self, table_oid: int) -> None:
        async def fetch(store: Any) -> DetailLoaded:
            return DetailLoaded(await store.schema.table_detail(table_oid))

        self.call_store(fetch, self.post_message, group="schema-detail")

    def run_search(self, text: str) -> None:
        include = self.include_system

        async def fetch(store: Any) -> SearchDone:
            return SearchDone(text, await store.schema.search_schema(text, include_system=include))

        self.call_store(fetch, self.post_message, group="schema-search")

    def write_diagram(self, key: str) -> None:
        """The selected table's neighbourhood as a file (SVG when Graphviz is installed, Mermaid otherwise)."""
        from cockpit.schema.publish import diagram_format, write_neighbourhood_diagram

        fmt = diagram_format()
        include, folder = self.include_system, self.cockpit.settings.data_dir / "diagrams"

        async def write(store: Any) -> Any:
            return await write_neighbourhood_diagram(store, key, folder, fmt=fmt, include_system=include)

        def written(path: Any) -> None:
            note = "" if fmt == "svg" else " (Mermaid: install graphviz for SVG)"
            self.notify(f"{key}: neighbourhood diagram written to {path}{note}", title="Diagram", timeout=10)

        self.call_store(write, written, group="schema-diagram")

    # --- applying results ---------------------------------------------------------------------
    @on(SchemaLoaded)
    def _on_loaded(self, msg: SchemaLoaded) -> None:
        self.snapshot, self.graph, self.groups = msg.snapshot, msg.graph, msg.groups
        self.label_of = namer(msg.snapshot.workspaces)
        self.include_system = msg.include_system
        if msg.refreshed_ms is not None:
            self.refresh_note = f"refreshed in {msg.refreshed_ms:.0f} ms"
        tree = self.query_one("#schema-tree", Tree)
        tree.clear()
        for group in self.groups:
            tree.root.add(self._group_label(group), data=group, allow_expand=True)  # leaves come on first expand
        tree.root.expand()
        if self.pane == "empty":
            self._show(Text("Pick a table (enter). / searches; o y u list orphans, cycles, unindexed FKs.",
                            style="dim"))
        self._render_status()

    @on(Tree.NodeExpanded, "#schema-tree")
    def _on_expand(self, event: Tree.NodeExpanded[Relation | Group]) -> None:
        node, group = event.node, event.node.data
        if not isinstance(group, Group) or node.children:
            return
        single_schema = len({r.schema_name for r in group.relations}) == 1
        for rel in group.relations:  # leaves are added only when their group is opened
            node.add_leaf(self._leaf_label(rel, single_schema), data=rel)

    def _room(self, depth: int) -> int:
        """Cells a tree line has for its label: a group's after its expand icon, a leaf's after its
        guide (0: not laid out yet, nothing is cut)."""
        tree = self.query_one("#schema-tree", Tree)
        width = tree.scrollable_content_region.width
        if not width:
            return 0
        if not tree.show_vertical_scrollbar:  # expanding a group may bring the scrollbar: keep its room
            width -= tree.styles.scrollbar_size_vertical
        return max(width - (2 if depth == 1 else tree.guide_depth * (depth - 1)), 8)

    def _group_label(self, group: Group) -> Text:
        """Numbers are never cut: a tight label drops the relation count, then gives way with an ellipsis."""
        rows = f" ~{_rows(group.row_estimate)}"
        tail = f"  {len(group.relations)} ·{rows}"
        room = self._room(1)
        if room and len(group.label) + len(tail) > room:
            tail = rows
        return Text.assemble((fit(group.label, room - len(tail)) if room else group.label, "bold"), (tail, "dim"))

    def _leaf_label(self, rel: Relation, single_schema: bool) -> Text:
        rows = "" if rel.row_estimate is None else f"  ~{_rows(rel.row_estimate)}"
        mark = {"v": " ◇", "m": " ◆", "p": " ▤", "f": " ⇢"}.get(rel.relkind, "")
        lock = " ⊘" if not rel.browsable else ""
        tail = mark + lock + rows
        name = rel.table_name if single_schema else self.label_of(rel.key)
        room = self._room(2)
        return Text.assemble(fit(name, room - len(tail)) if room else name, (tail, "dim"))

    def on_resize(self) -> None:
        """Labels are cut to the tree's width: re-cut them when it changes."""
        tree = self.query_one("#schema-tree", Tree)
        for node in tree.root.children:
            if isinstance(node.data, Group):
                node.set_label(self._group_label(node.data))
                single = len({r.schema_name for r in node.data.relations}) == 1
                for leaf in node.children:
                    if isinstance(leaf.data, Relation):
                        leaf.set_label(self._leaf_label(leaf.data, single))

    @on(Tree.NodeSelected, "#schema-tree")
    def _on_select(self, event: Tree.NodeSelected[Relation | Group]) -> None:
        if isinstance(event.node.data, Relation):
            self.open_relation(event.node.data)

    @on(Tree.NodeHighlighted, "#schema-tree")
    def _on_highlight(self, event: Tree.NodeHighlighted[Relation | Group]) -> None:
        if isinstance(event.node.data, Relation):
            self.selected = event.node.data

    def open_relation(self, rel: Relation) -> None:
        self.selected = rel
        self.load_detail(rel.table_oid)

    @on(DetailLoaded)
    def _on_detail(self, msg: DetailLoaded) -> None:
        self.detail = msg.detail
        self.pane = "detail"
        self._show(render_detail(msg.detail, self.label_of))

    @on(SearchDone)
    def _on_search(self, msg: SearchDone) -> None:
        hits = self.query_one("#schema-hits", OptionList)
        hits.clear_options()
        hits.add_options([Option(self.label_of(h.key) + (f" .{h.column_name}" if h.column_name else ""), id=str(i))
                          for i, h in enumerate(msg.hits)] or [Option("no match", disabled=True)])
        self._hits = msg.hits
        hits.highlighted = 0 if msg.hits else None  # enter opens the first match right away
        hits.display = True
        self.query_one("#schema-tree", Tree).display = False
        self._render_status(f"{len(msg.hits)} match(es) for “{msg.text}”")

    @on(OptionList.OptionSelected, "#schema-hits")
    def _on_hit(self, event: OptionList.OptionSelected) -> None:
        hit = self._hits[int(event.option.id or 0)]
        rel = self.graph.relations.get(hit.key) if self.graph else None
        if rel is None and self.snapshot is not None:
            rel = next((r for r in self.snapshot.relations if r.key == hit.key), None)
        if rel is not None:
            self.open_relation(rel)

    @on(SchemaFailed)
    def _on_failed(self, msg: SchemaFailed) -> None:
        self.cockpit.report_error(msg.error)  # a lost database raises the banner and reconnects

    def _show(self, renderable: RenderableType) -> None:
        self.pane_renderable = renderable
        self.query_one("#schema-links", OptionList).display = False
        pane = self.query_one("#schema-pane", VerticalScroll)
        pane.display = True
        self.query_one("#schema-detail", Static).update(renderable)
        pane.scroll_home(animate=False)

    def _show_links(self, entries: list[Entry]) -> None:
        """The map or the join paths as a list: enter on a line naming a table opens it."""
        self.pane_renderable = render_entries(entries)
        self.link_keys = [key for _, key in entries]
        links = self.query_one("#schema-links", OptionList)
        links.clear_options()
        links.add_options([Option(line, id=str(i), disabled=key is None) for i, (line, key) in enumerate(entries)])
        self.query_one("#schema-pane", VerticalScroll).display = False
        links.display = True
        first = next((i for i, key in enumerate(self.link_keys) if key is not None), None)
        links.highlighted = first
        links.focus()

    @on(OptionList.OptionSelected, "#schema-links")
    def _on_link(self, event: OptionList.OptionSelected) -> None:
        key = self.link_keys[int(event.option.id or 0)]
        rel = self.graph.relations.get(key) if self.graph and key else None
        if rel is None:
            self.notify(f"{self.label_of(key) if key else 'that line'} is not in the schema cache", title="Schema")
            return
        self.open_relation(rel)
        self.query_one("#schema-tree", Tree).focus()

    def _render_status(self, extra: str = "") -> None:
        parts = ["[b]Schema[/b]"]
        if self.snapshot is not None:
            visible = sum(len(g.relations) for g in self.groups)
            parts.append(f"{visible:,} relations in {len(self.groups)} groups")
            if self.snapshot.refreshed_at is not None:
                parts.append(f"cache of {self.snapshot.refreshed_at:%Y-%m-%d %H:%M}")
        parts.append("system shown" if self.include_system else "system hidden")
        if self.mark is not None:
            parts.append(f"join from {self.label_of(self.mark.key)}")
        for note in (self.refresh_note, extra):
            if note:
                parts.append(note)
        self.query_one("#schema-status", Static).update("  ·  ".join(parts))

    # --- actions ------------------------------------------------------------------------------
    def _current(self) -> Relation | None:
        if self.selected is None:
            self.notify("pick a table first (enter on a table)", title="Schema")
        return self.selected

    def action_map(self, radius: int) -> None:
        rel = self._current()
        if rel is None or self.graph is None:
            return
        try:
            self._show_links(map_entries(self.graph, rel.key, radius, self.label_of))
        except CockpitError as exc:
            self.post_message(SchemaFailed(exc))
            return
        self.pane = "map"

    def action_diagram(self) -> None:
        rel = self._current()
        if rel is not None:
            self.notify(f"writing the diagram of {rel.key}…", title="Diagram")
            self.write_diagram(rel.key)

    def action_mark(self) -> None:
        rel = self._current()
        if rel is not None:
            self.mark = rel
            self._render_status()

    def action_path(self) -> None:
        rel = self._current()
        if rel is None or self.graph is None:
            return
        if self.mark is None:
            self.notify("mark the start table with a first", title="Join path")
            return
        try:
            paths = self.graph.join_paths(self.mark.key, rel.key, k=4)
        except CockpitError as exc:
            self.post_message(SchemaFailed(exc))
            return
        self.pane = "path"
        self._show_links(path_list_entries(paths, self.label_of))

    def action_lint(self, what: str) -> None:
        if self.graph is not None:
            self.pane = "lint"
            self._show(render_lint(self.graph, what, self.label_of))

    def action_toggle_system(self) -> None:
        self.include_system = not self.include_system
        self._render_status("loading…")
        self.load(refresh=False)

    def action_refresh(self) -> None:
        self._render_status("refreshing the cache…")
        self.load(refresh=True)

    def action_search(self) -> None:
        box = self.query_one("#schema-search", Input)
        box.display = True
        self.cockpit.open_field(box)

    @on(Input.Submitted, "#schema-search")
    def _on_search_submit(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.run_search(event.value)
            self.query_one("#schema-hits", OptionList).focus()
        else:
            self.action_close_search()

    def action_close_search(self) -> None:
        self.query_one("#schema-search", Input).display = False
        self.query_one("#schema-hits", OptionList).display = False
        tree = self.query_one("#schema-tree", Tree)
        tree.display = True
        tree.focus()
        self._render_status()
