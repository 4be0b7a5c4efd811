"""Rich renderables for the schema explorer's right-hand pane: a table's detail, a relation map, join
paths and lint lists. Pure functions of the headless models (no I/O, no queries)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cockpit.schema.graph import JoinPath, SchemaGraph
from cockpit.schema.models import ForeignKey, TableDetail
from cockpit.schema.names import Namer
from cockpit.schema.render import neighbourhood_entries, path_entries


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _grid(*headers: str, room: dict[int, int] | None = None) -> Table:
    """One line per row; only the last column (text) folds; a cut cell ends with an ellipsis.
    ``room``: column index -> cells it keeps before the others shrink (names before types)."""
    table = Table(box=None, show_edge=False, pad_edge=False, expand=False, header_style="bold dim")
    for i, h in enumerate(headers):
        last = i == len(headers) - 1
        table.add_column(h, no_wrap=not last, overflow="fold" if last else "ellipsis",
                         min_width=(room or {}).get(i))
    return table


def _rows(n: int | None) -> str:
    return "unknown (never analysed)" if n is None else f"~{n:,}"


def _fk_line(fk: ForeignKey, incoming: bool) -> str:
    pairs = ", ".join(f"{a} → {b}" for a, b in zip(fk.columns, fk.ref_columns))
    other = fk.source if incoming else fk.target
    arrow = "◀" if incoming else "▶"
    actions = f" on delete {fk.on_delete.lower()}" if fk.on_delete and fk.on_delete != "NO ACTION" else ""
    return f"{arrow} {other}  ({pairs})  {fk.constraint_name}{actions}"


def render_detail(d: TableDetail, name: Namer = str) -> RenderableType:
    rel = d.relation
    head = Text()
    head.append(f"{rel.key}", style="bold")  # the real name here; the label beside it
    if name(rel.key) != rel.key:
        head.append(f"  ({name(rel.key)})", style="cyan")
    head.append(f"  {rel.kind} · {_rows(rel.row_estimate)} rows")
    flags = []
    if rel.rls_enabled:
        flags.append("RLS on" + (" (forced)" if rel.rls_forced else ""))
    if not rel.browsable:
        flags.append("not readable by redkey_readonly")
    if rel.is_system:
        flags.append(f"hidden: {rel.hidden_reason}")
    if rel.partition_of:
        flags.append(f"partition of {rel.partition_of}")
    if flags:
        head.append("\n" + " · ".join(flags), style="yellow")
    if rel.comment:
        head.append(f"\n{rel.comment}", style="italic")
    parts: list[RenderableType] = [head]

    parts.append(_section(f"Columns ({len(d.columns)})"))
    longest = max((len(c.name) for c in d.columns), default=4)
    cols = _grid("name", "type", "null", "default", "key", "comment", room={0: min(longest, 40), 2: 4})
    for c in d.columns:
        key = " ".join(filter(None, ["PK" if c.is_pk else "", "FK" if c.fks else ""]))
        cols.add_row(c.name, c.data_type, "yes" if c.nullable else "no", c.default_value or "", key,
                     c.comment or "")
    parts.append(cols if d.columns else Text("(no columns)", style="dim"))

    shown = [k for k in d.constraints if k.contype != "n"]  # NOT NULL: already in the columns' null
    if shown:
        parts.append(_section(f"Constraints ({len(shown)})"))
        cons = _grid("name", "kind", "definition")
        for k in shown:
            cons.add_row(k.constraint_name, k.kind, k.definition or "")
        parts.append(cons)
    if d.indexes:
        parts.append(_section(f"Indexes ({len(d.indexes)})"))
        idx = _grid("name", "columns", "flags")
        for i in d.indexes:
            flags_i = [f for f, on in (("primary", i.is_primary), ("unique", i.is_unique and not i.is_primary),
                                       ("partial", i.is_partial), ("INVALID", not i.is_valid)) if on]
            idx.add_row(i.index_name, ", ".join(c or "(expr)" for c in i.key_columns), " ".join(flags_i))
        parts.append(idx)

    parts.append(_section(f"Relations ({len(d.outgoing)} out, {len(d.incoming)} in)"))
    lines = [_fk_line(fk, False) for fk in d.outgoing] + [_fk_line(fk, True) for fk in d.incoming]
    parts.append(Text("\n".join(lines) if lines else "(no foreign keys)", style="" if lines else "dim"))

    parts.append(_section("Row level security"))
    if d.policies:
        pol = _grid("policy", "command", "roles", "using / check")
        for p in d.policies:
            expr = " / ".join(filter(None, [p.using_expr, p.check_expr]))
            pol.add_row(p.policy_name + ("" if p.permissive else " (restrictive)"), p.command, ", ".join(p.roles), expr)
        parts.append(pol)
    else:
        parts.append(Text("RLS enabled and no policy: nobody but the owner reads it" if rel.rls_enabled
                          else "RLS off", style="dim"))

    if d.reads or d.read_by:
        parts.append(_section("Lineage"))
        lin = [f"reads {e.source} ({e.source_relkind})" + (f": {', '.join(e.columns)}" if e.columns else "")
               for e in d.reads]
        lin += [f"read by {e.view}" for e in d.read_by]
        parts.append(Text("\n".join(lin)))
    if d.view_definition:
        parts.append(_section("Definition"))
        parts.append(Text(d.view_definition.strip(), style="dim"))
    return Group(*parts)


Entry = tuple[Text, "str | None"]  # a line of the map or of a join path, and the relation it opens


def map_entries(graph: SchemaGraph, key: str, radius: int, name: Namer = str) -> list[Entry]:
    """The relation map as lines; a line naming a relation opens it (enter)."""
    hood = graph.neighbourhood(key, radius)
    title = Text(f"Relation map · radius {radius} · {len(hood.distance) - 1} neighbour(s) · enter opens a table",
                 style="bold")
    return [(title, None)] + [(Text(line), k) for line, k in neighbourhood_entries(graph, hood, name=name)]


def path_list_entries(paths: list[JoinPath], name: Namer = str) -> list[Entry]:
    """Join paths as lines: the SQL as printed (real names), its FROM / JOIN lines opening their table."""
    out: list[Entry] = [(Text(f"Join paths {name(paths[0].nodes[0])} → {name(paths[0].nodes[-1])}"
                              " · enter opens a table", style="bold"), None)]
    for i, path in enumerate(paths):
        out.append((Text("shortest" if i == 0 else f"alternative {i}", style="bold underline"), None))
        out += [(Text(line), k) for line, k in path_entries(path)]
    return out


def render_entries(entries: list[Entry]) -> RenderableType:
    return Text("\n").join(line for line, _ in entries)


def render_map(graph: SchemaGraph, key: str, radius: int, name: Namer = str) -> RenderableType:
    return render_entries(map_entries(graph, key, radius, name))


def render_paths(paths: list[JoinPath], name: Namer = str) -> RenderableType:
    return render_entries(path_list_entries(paths, name))


def render_lint(graph: SchemaGraph, what: str, name: Namer = str) -> RenderableType:
    if what == "orphans":
        items = graph.orphans()
        body = "\n".join(name(i) for i in items) or "none"
        title = f"Orphan tables ({len(items)}): no FK to or from another table"
    elif what == "cycles":
        cycles = graph.cycles()
        selfs = graph.self_references()
        body = "\n".join(" → ".join(name(k) for k in c + c[:1]) for c in cycles) or "no cycles between tables"
        body += "\n\nself-references: " + (", ".join(name(k) for k in selfs) or "none")
        title = f"FK cycles ({len(cycles)})"
    else:
        fks = graph.unindexed_fks()
        body = "\n".join(f"{name(fk.source)}: {', '.join(fk.columns)} → {name(fk.target)}  [{fk.constraint_name}]"
                         for fk in fks) or "none"
        title = f"FKs without a covering index ({len(fks)})"
    return Group(Text(title + "\n", style="bold"), Text(body))
