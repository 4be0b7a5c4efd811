"""ER diagrams from the schema cache: Graphviz (DOT, rendered to SVG/PNG by the ``dot`` program) and
Mermaid ``erDiagram`` text for Markdown.

A diagram shows a selection of relations (a table's neighbourhood, a group, or everything) with
their key columns: primary-key and foreign-key columns, marked PK/FK, with NOT NULL marked ``*``.
Each FK constraint is one edge (a composite key stays one edge, labelled with its column pairs);
relations are clustered by schema, so an FK that crosses schemas is visibly an edge between clusters
(drawn dashed). Relations outside the selection that a selected table references are drawn as
stubs, so no edge ends in nothing. Output is deterministic: nodes and edges are emitted sorted.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from cockpit.errors import CockpitError, ValidationFailed
from cockpit.schema.models import ForeignKey, TableDetail

FORMATS = ("svg", "png", "dot", "mermaid")


@dataclass(frozen=True)
class Selection:
    """What a diagram draws: ``tables`` in full, ``stubs`` by name only, and the FK edges among them."""

    tables: list[str]
    stubs: list[str]
    edges: list[ForeignKey]


def select(details: dict[str, TableDetail], keys: Iterable[str]) -> Selection:
    """The relations ``keys`` plus stubs for what they reference or are referenced by outside them."""
    chosen = sorted(set(keys))
    inside = set(chosen)
    edges: dict[tuple[str, str], ForeignKey] = {}
    stubs: set[str] = set()
    for key in chosen:
        d = details.get(key)
        if d is None:
            continue
        for fk in d.outgoing:
            edges[(fk.source, fk.constraint_name)] = fk
            if fk.target not in inside:
                stubs.add(fk.target)
    ordered = sorted(edges.values(), key=lambda f: (f.source, f.constraint_name))
    return Selection(tables=chosen, stubs=sorted(stubs), edges=ordered)


def _key_columns(d: TableDetail) -> list[tuple[str, str, str]]:
    """(name, type, marks) for PK and FK columns, in column order; all columns if it has no keys."""
    fk_cols = {c for fk in d.outgoing for c in fk.columns}
    rows = []
    for c in sorted(d.columns, key=lambda c: c.position):
        marks = [m for m, on in (("PK", c.is_pk), ("FK", c.name in fk_cols)) if on]
        if marks:
            rows.append((c.name, c.data_type, " ".join(marks) + ("" if c.nullable else " *")))
    if not rows:
        rows = [(c.name, c.data_type, "" if c.nullable else "*") for c in sorted(d.columns, key=lambda c: c.position)[:8]]
    return rows


def _schema_of(key: str) -> str:
    return key.split(".", 1)[0]


def fk_pairs(fk: ForeignKey) -> str:
    return ", ".join(f"{a}→{b}" for a, b in zip(fk.columns, fk.ref_columns))


# --- Graphviz ---------------------------------------------------------------------------------
def to_dot(details: dict[str, TableDetail], sel: Selection, *, title: str = "schema") -> str:
    """DOT source for the selection (built with the ``graphviz`` package, laid out by ``dot``)."""
    import graphviz

    g = graphviz.Digraph(name=title, strict=False)
    g.attr(rankdir="LR", newrank="true", fontname="Helvetica", fontsize="10", nodesep="0.3", ranksep="0.8",
           concentrate="false", label=title, labelloc="t")
    g.attr("node", shape="plain", fontname="Helvetica", fontsize="10")
    g.attr("edge", fontname="Helvetica", fontsize="8", color="#555555", arrowhead="crow", arrowtail="none")
    by_schema: dict[str, list[str]] = {}
    for key in sel.tables + sel.stubs:
        by_schema.setdefault(_schema_of(key), []).append(key)
    for schema in sorted(by_schema):
        with g.subgraph(name=f"cluster_{schema}") as sub:
            sub.attr(label=schema, style="rounded,dashed", color="#999999", fontcolor="#666666")
            for key in sorted(by_schema[schema]):
                sub.node(key, label=_html_label(details.get(key), key, stub=key in sel.stubs))
    for fk in sel.edges:
        cross = _schema_of(fk.source) != _schema_of(fk.target)
        g.edge(fk.source, fk.target, label=f"{fk_pairs(fk)}\\n{fk.constraint_name}",
               style="dashed" if cross else "solid", color="#b03030" if cross else "#555555")
    return g.source


def _html_label(d: TableDetail | None, key: str, *, stub: bool) -> str:
    e = html.escape
    if d is None or stub:
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="dashed">'
                f'<TR><TD><I>{e(key)}</I></TD></TR></TABLE>>')
    kind = "" if d.relation.kind == "table" else f" ({e(d.relation.kind)})"
    rows = "".join(f'<TR><TD ALIGN="LEFT">{e(n)}</TD><TD ALIGN="LEFT"><FONT COLOR="#666666">{e(t)}</FONT></TD>'
                   f'<TD ALIGN="LEFT"><B>{e(m)}</B></TD></TR>' for n, t, m in _key_columns(d))
    return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
            f'<TR><TD COLSPAN="3" BGCOLOR="#dde6f0"><B>{e(key)}</B>{kind}</TD></TR>{rows}</TABLE>>')


def render(dot_source: str, fmt: str) -> bytes:
    """Lay out and render DOT to ``svg`` or ``png`` with Graphviz's ``dot`` program."""
    if fmt not in ("svg", "png"):
        raise ValidationFailed(f"cannot render {fmt!r}; choose svg or png")
    if shutil.which("dot") is None:
        raise CockpitError("Graphviz's `dot` program is not installed",
                           "install it (apt-get install graphviz), or use --format dot or --format mermaid")
    import graphviz

    try:
        return graphviz.Source(dot_source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:  # pragma: no cover - which() said it was there
        raise CockpitError("Graphviz's `dot` program could not be run", "reinstall graphviz") from exc
    except graphviz.CalledProcessError as exc:
        raise CockpitError(f"Graphviz failed to lay out the diagram: {exc.stderr.decode(errors='replace')[:200]}") from exc


# --- Mermaid ----------------------------------------------------------------------------------
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def mermaid_id(key: str) -> str:
    """A Mermaid entity id for ``schema.table`` (letters, digits, underscores; stable and unique)."""
    return "t_" + _ID_UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", key)


def _mermaid_type(t: str) -> str:
    return _ID_UNSAFE.sub("_", t.replace("[]", "_array")) or "unknown"


def _mermaid_text(s: str) -> str:
    return s.replace('"', "'")


def to_mermaid(details: dict[str, TableDetail], sel: Selection) -> str:
    """A Mermaid ``erDiagram``: entities aliased to their real names, key attributes, one relation
    per FK (``||`` when the FK columns are NOT NULL, ``|o`` when nullable)."""
    lines = ["erDiagram"]
    for key in sel.tables + sel.stubs:
        d = details.get(key)
        lines.append(f'    {mermaid_id(key)}["{_mermaid_text(key)}"] {{')
        if d is not None and key not in sel.stubs:
            for name, typ, marks in _key_columns(d):
                keys = ", ".join(m for m in marks.replace("*", "").split() if m in ("PK", "FK"))
                note = ' "not null"' if "*" in marks else ""
                lines.append(f"        {_mermaid_type(typ)} {_mermaid_type(name)}" + (f" {keys}" if keys else "") + note)
        lines.append("    }")
    for fk in sel.edges:
        src = details.get(fk.source)
        nullable = True
        if src is not None:
            cols = {c.name: c for c in src.columns}
            nullable = any(cols[c].nullable for c in fk.columns if c in cols)
        left = "|o" if nullable else "||"
        lines.append(f'    {mermaid_id(fk.target)} {left}--o{{ {mermaid_id(fk.source)} : "{_mermaid_text(fk_pairs(fk))}"')
    return "\n".join(lines) + "\n"
