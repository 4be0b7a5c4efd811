"""Plain-text renderings of the relation graph for a terminal (the CLI prints them; the explorer
shows them in a scrollable pane). Box-drawing characters only; no layout engine, so a 2,000-table
schema renders as fast as a 20-table one (only the neighbourhood is drawn, with a cap per node)."""

from __future__ import annotations

from cockpit.schema.graph import JoinPath, Neighbourhood, SchemaGraph, qualified
from cockpit.schema.models import ForeignKey
from cockpit.schema.names import Namer

MAX_CHILDREN = 12


def _fk_text(fk: ForeignKey) -> str:
    pairs = ", ".join(f"{a}→{b}" for a, b in zip(fk.columns, fk.ref_columns))
    return f"{pairs}  [{fk.constraint_name}]"


def _node_text(graph: SchemaGraph, key: str, name: Namer = str) -> str:
    rel = graph.relations.get(key)
    if rel is None or key in graph.stubs:
        return f"{name(key)} (stub)"
    rows = f" · ~{rel.row_estimate:,} rows" if rel.row_estimate is not None else ""
    return f"{name(key)} ({rel.kind}{rows})"


def neighbourhood_entries(graph: SchemaGraph, hood: Neighbourhood, *, max_children: int = MAX_CHILDREN,
                          name: Namer = str) -> list[tuple[str, str | None]]:
    """The neighbourhood tree's lines, each with the relation it names (None for a line naming none)."""
    lines: list[tuple[str, str | None]] = [(_node_text(graph, hood.center, name), hood.center)]
    seen = {hood.center}
    by_node: dict[str, list[tuple[str, str, ForeignKey]]] = {}
    for src, dst, fk in hood.edges:
        if src == dst:
            by_node.setdefault(src, []).append(("↺", src, fk))
            continue
        by_node.setdefault(src, []).append(("▶", dst, fk))
        by_node.setdefault(dst, []).append(("◀", src, fk))

    def walk(node: str, prefix: str, depth: int) -> None:
        children = [c for c in by_node.get(node, []) if c[0] == "↺" or hood.distance.get(c[1], 99) == depth]
        children.sort(key=lambda c: (c[0] != "↺", c[0] != "▶", c[1], c[2].constraint_name))
        shown = children[:max_children]
        for i, (arrow, other, fk) in enumerate(shown):
            last = i == len(shown) - 1 and len(children) <= max_children
            branch = "└─" if last else "├─"
            if arrow == "↺":
                lines.append((f"{prefix}{branch}↺ self  {_fk_text(fk)}", node))
                continue
            again = other in seen
            seen.add(other)
            tail = "  (see above)" if again else ""
            lines.append((f"{prefix}{branch}{arrow} {_node_text(graph, other, name)}  {_fk_text(fk)}{tail}", other))
            if not again and depth < hood.radius:
                walk(other, prefix + ("   " if last else "│  "), depth + 1)
        if len(children) > max_children:
            lines.append((f"{prefix}└─ … {len(children) - max_children} more", None))

    walk(hood.center, "", 1)
    if len(lines) == 1:
        lines.append(("  (no foreign keys to or from this relation)", None))
    return lines


def render_neighbourhood(graph: SchemaGraph, hood: Neighbourhood, *, max_children: int = MAX_CHILDREN,
                         name: Namer = str) -> list[str]:
    """A tree: the centre, then its FK neighbours (▶ it references them, ◀ they reference it), then
    theirs up to the radius. A table reached twice is shown once and then marked ``(see above)``."""
    return [line for line, _ in neighbourhood_entries(graph, hood, max_children=max_children, name=name)]


def path_entries(path: JoinPath) -> list[tuple[str, str | None]]:
    """``render_path``'s lines, the FROM and JOIN lines with the relation they name."""
    lines = render_path(path)
    if not path.hops:
        return [(lines[0], None), (lines[1], path.nodes[0])]
    keys: list[str | None] = [None, None, path.nodes[0]] + [hop.right for hop in path.hops]
    return list(zip(lines, keys))


def render_path(path: JoinPath) -> list[str]:
    """A join path as a query that runs as printed (psql): identifiers quoted where needed, each hop's
    foreign key named in a comment (▶ the left table holds it, ◀ the right one does)."""
    if not path.hops:
        return [f"-- {path.nodes[0]} (same table)", f"SELECT * FROM {qualified(path.nodes[0])};"]
    lines = [f"-- {path.length} hop(s): " + " → ".join(path.nodes), "SELECT *", f"FROM {qualified(path.nodes[0])}"]
    for i, hop in enumerate(path.hops):
        arrow = "▶" if hop.forward else "◀"
        end = ";" if i == len(path.hops) - 1 else ""
        lines.append(f"  JOIN {qualified(hop.right)} ON {hop.join_condition()}{end}  -- {arrow} {hop.fk.constraint_name}")
    return lines
