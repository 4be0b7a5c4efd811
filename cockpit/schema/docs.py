"""A browsable documentation folder of the schema, as tbls writes one, from the schema cache.

Layout of the folder::

    README.md               groups (the explorer's grouping rules), each with its tables; lint summary
    groups/<group>.md       one index per group: its tables, their kind, comment, and the group diagram
    tables/<schema.table>.md  one page per relation: columns, constraints, indexes, relations both ways,
                            RLS and policies, lineage for views, and its neighbourhood diagram
    lint.md                 orphan tables, FK cycles, FKs without a covering index
    schema.json             the snapshot the pages were written from (``cockpit schema diff`` reads it)

Diagrams are Mermaid blocks (GitHub and GitLab render them in place); with ``svg=True`` each table
also gets ``tables/<schema.table>.svg`` laid out by Graphviz. The output is deterministic: the same
schema writes the same bytes (no dates, no row estimates), so the folder can be committed and diffed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cockpit.errors import ValidationFailed
from cockpit.schema import diagram, snapshot
from cockpit.schema.graph import SchemaGraph
from cockpit.schema.groups import Group
from cockpit.schema.models import SchemaSnapshot, TableDetail

OWNED = ("README.md", "lint.md", snapshot.DOC_SNAPSHOT, "groups", "tables")


@dataclass(frozen=True)
class DocResult:
    folder: Path
    tables: int
    groups: int
    files: int


def page_name(key: str, suffix: str = ".md") -> str:
    """The file name of a relation's page (safe on every file system, readable for plain names)."""
    return quote(key, safe="._-") + suffix


def _slug(label: str) -> str:
    return quote(label.replace(" ", "-").replace("·", "").replace("--", "-").strip("-").lower(), safe="._-")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _code(value: object) -> str:
    text = _cell(value)
    return f"`{text}`" if text and "`" not in text else text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def _link(key: str, known: set[str], *, prefix: str = "") -> str:
    return f"[{_cell(key)}]({prefix}{page_name(key)})" if key in known else _cell(key)


def table_page(d: TableDetail, graph: SchemaGraph, details: dict[str, TableDetail], known: set[str],
               *, display: str, svg: bool = False) -> str:
    """The Markdown page of one relation."""
    r = d.relation
    lines = [f"# {_cell(r.key)}", ""]
    if display != r.key:
        lines += [f"{_cell(display)}", ""]
    lines += [f"**{r.kind}**" + (f" · partition of {_link(r.partition_of, known)}" if r.partition_of else "")
              + (f" · extension `{r.extension}`" if r.extension else ""), ""]
    if r.comment:
        lines += [_cell(r.comment), ""]
    fk_by_col: dict[str, list[str]] = {}
    for fk in d.outgoing:
        for col, ref in zip(fk.columns, fk.ref_columns):
            fk_by_col.setdefault(col, []).append(f"{_link(fk.target, known)}.{_cell(ref)}")
    lines += ["## Columns", ""]
    lines += _table(["#", "name", "type", "null", "default", "key", "references", "comment"],
                    [[str(c.position), _code(c.name), _cell(c.data_type), "" if c.nullable else "NOT NULL",
                      _code(c.default_value), "PK" if c.is_pk else "", ", ".join(fk_by_col.get(c.name, [])),
                      _cell(c.comment)] for c in sorted(d.columns, key=lambda c: c.position)])
    cons = [k for k in d.constraints if k.contype not in ("f", "n")]  # NOT NULL shows per column
    lines += ["## Constraints", ""]
    lines += _table(["name", "type", "columns", "definition"],
                    [[_code(k.constraint_name), k.kind, _cell(", ".join(k.columns)), _code(k.definition)]
                     for k in cons])
    lines += ["## Indexes", ""]
    lines += _table(["name", "columns", "unique", "definition"],
                    [[_code(i.index_name), _cell(", ".join(str(c) for c in i.key_columns)),
                      "yes" if i.is_unique else "", _code(i.definition)] for i in d.indexes])
    lines += ["## Relations", "", "### Outgoing (this relation references)", ""]
    lines += _table(["constraint", "columns", "references", "on delete", "indexed"],
                    [[_code(f.constraint_name), _cell(diagram.fk_pairs(f)), _link(f.target, known),
                      _cell(f.on_delete), "yes" if f.indexed else "**no**"]
                     for f in sorted(d.outgoing, key=lambda f: f.constraint_name)])
    lines += ["### Incoming (referenced by)", ""]
    lines += _table(["relation", "constraint", "columns"],
                    [[_link(f.source, known), _code(f.constraint_name), _cell(diagram.fk_pairs(f))]
                     for f in sorted(d.incoming, key=lambda f: (f.source, f.constraint_name))])
    if r.rls_enabled or d.policies:
        lines += ["## Row-level security", "",
                  f"RLS {'enabled' if r.rls_enabled else 'disabled'}{', forced' if r.rls_forced else ''}.", ""]
        lines += _table(["policy", "command", "permissive", "roles", "using", "with check"],
                        [[_code(p.policy_name), p.command, "yes" if p.permissive else "no",
                          _cell(", ".join(sorted(p.roles))), _code(p.using_expr), _code(p.check_expr)]
                         for p in d.policies])
    if r.is_view:
        lines += ["## Lineage", "", "Reads: " + (", ".join(_link(e.source, known) for e in
                                                          sorted(d.reads, key=lambda e: e.source)) or "nothing"), ""]
        if d.view_definition:
            lines += ["```sql", d.view_definition.strip(), "```", ""]
    if d.read_by:
        lines += ["Read by views: " + ", ".join(_link(e.view, known) for e in sorted(d.read_by, key=lambda e: e.view)), ""]
    lines += ["## Neighbourhood", ""]
    if svg:
        lines += [f"![{_cell(r.key)}]({page_name(r.key, '.svg')})", ""]
    lines += ["```mermaid", diagram.to_mermaid(details, neighbourhood_selection(graph, details, r.key)).rstrip(),
              "```", ""]
    return "\n".join(lines)


def neighbourhood_selection(graph: SchemaGraph, details: dict[str, TableDetail], key: str,
                            radius: int = 1) -> diagram.Selection:
    """The relation ``key`` and its FK neighbours within ``radius`` (both directions)."""
    if key not in graph.g:
        return diagram.select(details, [key])
    hood = graph.neighbourhood(key, radius)
    return diagram.select(details, [k for k in hood.distance if k in details and k not in graph.stubs])


def write_docs(folder: Path, snap: SchemaSnapshot, details: dict[str, TableDetail], groups: list[Group], *,
               include_system: bool = False, svg: bool = False, display: Callable[[str], str] = lambda k: k,
               progress: Callable[[int, int], None] | None = None) -> DocResult:
    """Write the documentation folder (replacing what an earlier run wrote there, nothing else)."""
    _prepare(folder)
    graph = SchemaGraph(snap, include_system=include_system)
    keys = sorted(k for k, d in details.items() if include_system or not d.relation.is_system)
    known = set(keys)
    (folder / "tables").mkdir(parents=True)
    (folder / "groups").mkdir()
    files = 0
    for i, key in enumerate(keys, 1):
        d = details[key]
        (folder / "tables" / page_name(key)).write_text(
            table_page(d, graph, details, known, display=display(key), svg=svg), encoding="utf-8")
        files += 1
        if svg:
            dot = diagram.to_dot(details, neighbourhood_selection(graph, details, key), title=key)
            (folder / "tables" / page_name(key, ".svg")).write_bytes(diagram.render(dot, "svg"))
            files += 1
        if progress and (i % 100 == 0 or i == len(keys)):
            progress(i, len(keys))

    readme = ["# Schema", "", f"{len(keys)} relations in {len(groups)} groups. "
              "[Lint findings](lint.md) · snapshot: [schema.json](schema.json)", ""]
    for g in groups:
        rels = [r for r in g.relations if r.key in known]
        if not rels:
            continue
        slug = _slug(g.label)
        readme += [f"## [{_cell(g.label)}](groups/{slug}.md)", ""]
        readme += _table(["relation", "kind", "columns", "comment"],
                         [[_link(r.key, known, prefix="tables/"), r.kind, str(r.column_count), _cell(r.comment)]
                          for r in rels])
        page = [f"# {_cell(g.label)}", "", f"[All groups](../README.md) · {len(rels)} relations", ""]
        page += _table(["relation", "kind", "columns", "comment"],
                       [[_link(r.key, known, prefix="../tables/"), r.kind, str(r.column_count), _cell(r.comment)]
                        for r in rels])
        if len(rels) <= 60:
            page += ["```mermaid", diagram.to_mermaid(details, diagram.select(details, [r.key for r in rels])).rstrip(),
                     "```", ""]
        (folder / "groups" / f"{slug}.md").write_text("\n".join(page), encoding="utf-8")
        files += 1
    (folder / "README.md").write_text("\n".join(readme), encoding="utf-8")
    (folder / "lint.md").write_text(lint_page(graph, known), encoding="utf-8")
    (folder / snapshot.DOC_SNAPSHOT).write_text(snapshot.dumps(snapshot.build(details, include_system=include_system)),
                                                encoding="utf-8")
    return DocResult(folder=folder, tables=len(keys), groups=sum(1 for _ in (folder / "groups").iterdir()),
                     files=files + 3)


def lint_page(graph: SchemaGraph, known: set[str]) -> str:
    orphans, cycles, unindexed = graph.orphans(), graph.cycles(), graph.unindexed_fks()
    lines = ["# Lint findings", "", "[All groups](README.md)", "", f"## Orphan tables ({len(orphans)})", "",
             "Tables no foreign key links to any other table.", ""]
    lines += [f"- {_link(k, known, prefix='tables/')}" for k in orphans] or ["_none_"]
    lines += ["", f"## FK cycles ({len(cycles)})", ""]
    lines += [f"- {' → '.join(_link(k, known, prefix='tables/') for k in cyc + cyc[:1])}" for cyc in cycles] or ["_none_"]
    lines += ["", f"## Foreign keys without a covering index ({len(unindexed)})", "",
              "Deleting or updating a referenced row scans the referencing table.", ""]
    lines += _table(["relation", "constraint", "columns", "references"],
                    [[_link(f.source, known, prefix="tables/"), _code(f.constraint_name), _cell(diagram.fk_pairs(f)),
                      _link(f.target, known, prefix="tables/")] for f in unindexed])
    return "\n".join(lines)


def _prepare(folder: Path) -> None:
    """Refuse a folder holding anything this writer did not write; clear what it wrote before."""
    if folder.exists() and not folder.is_dir():
        raise ValidationFailed(f"{folder} is a file", "give a folder for the documentation")
    if folder.exists():
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in OWNED and not p.name.startswith("."))
        if foreign and not (folder / snapshot.DOC_SNAPSHOT).exists():
            raise ValidationFailed(f"{folder} is not empty and holds no schema documentation ({', '.join(foreign[:3])})",
                                   "give an empty or new folder, or one an earlier `cockpit schema doc` wrote")
        for name in ("groups", "tables"):
            if (folder / name).is_dir():
                shutil.rmtree(folder / name)
    folder.mkdir(parents=True, exist_ok=True)
