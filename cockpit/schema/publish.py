"""Diagrams, documentation folders and snapshots of the live schema cache: what the CLI and the
explorer call (headless; reads go through the store's schema-doc repository)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.errors import ValidationFailed
from cockpit.schema import diagram, docs, snapshot
from cockpit.schema.graph import SchemaGraph
from cockpit.schema.groups import group_relations, parse_rules
from cockpit.schema.models import SchemaSnapshot, TableDetail

SUFFIX_FORMAT = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


@dataclass
class Catalog:
    snapshot: SchemaSnapshot
    details: dict[str, TableDetail]

    def display(self, key: str) -> str:
        """``BezelIQ · person`` for a Twenty workspace table, the key itself otherwise."""
        schema, _, table = key.partition(".")
        client = self.snapshot.workspaces.get(schema)
        return f"{client} · {table}" if client else key


async def load_catalog(store: Any, keys: list[str] | None = None) -> Catalog:
    """Every relation with its detail (or only ``keys``'); refreshes the cache first if it was never filled
    or is stale."""
    await store.schema.ensure_fresh()
    snap, details = await store.schema_doc.catalog(keys)
    return Catalog(snap, details)


async def diagram_catalog(store: Any, *, table: str | None, radius: int, group: str | None,
                          include_system: bool) -> tuple[Catalog, diagram.Selection, str]:
    """What a diagram draws, reading the detail of the drawn relations only."""
    await store.schema.ensure_fresh()
    snap = await store.schema.schema_snapshot()
    keys, title = selection_keys(snap, table=table, radius=radius, group=group, include_system=include_system)
    cat = await load_catalog(store, keys)
    return cat, diagram.select(cat.details, keys), title


def format_for(fmt: str | None, output: Path | None) -> str:
    if fmt:
        if fmt not in diagram.FORMATS:
            raise ValidationFailed(f"unknown diagram format {fmt!r}", f"choose one of {', '.join(diagram.FORMATS)}")
        return fmt
    if output is not None and output.suffix.lower() in SUFFIX_FORMAT:
        return SUFFIX_FORMAT[output.suffix.lower()]
    return "svg" if output is not None else "mermaid"


def selection_keys(snap: SchemaSnapshot, *, table: str | None, radius: int, group: str | None,
                   include_system: bool) -> tuple[list[str], str]:
    """The relations to draw, and a title: TABLE's neighbourhood, a group's relations, or every relation."""
    if table and group:
        raise ValidationFailed("give a table or --group, not both")
    graph = SchemaGraph(snap, include_system=include_system)
    if table:
        key = graph.resolve(table)
        hood = graph.neighbourhood(key, radius)
        return sorted(k for k in hood.distance if k not in graph.stubs), f"{key} (radius {radius})"
    if group:
        groups = group_relations(snap.relations, parse_rules(None), workspaces=snap.workspaces,
                                 include_system=include_system)
        wanted = group.strip().lower()
        hit = [g for g in groups if g.label.lower() == wanted] or [g for g in groups if wanted in g.label.lower()]
        if len(hit) != 1:
            names = ", ".join(g.label for g in groups)
            raise ValidationFailed(f"no single group matches {group!r}" if not hit else f"{group!r} is ambiguous",
                                   f"groups: {names}")
        return [r.key for r in hit[0].relations], hit[0].label
    return sorted(r.key for r in snap.relations if include_system or not r.is_system), "schema"


def diagram_format() -> str:
    """What the explorer writes: SVG when Graphviz's ``dot`` is installed, Mermaid text otherwise."""
    return "svg" if shutil.which("dot") else "mermaid"


def diagram_bytes(cat: Catalog, sel: diagram.Selection, fmt: str, title: str) -> bytes:
    if fmt == "mermaid":
        return diagram.to_mermaid(cat.details, sel).encode()
    dot = diagram.to_dot(cat.details, sel, title=title)
    return dot.encode() if fmt == "dot" else diagram.render(dot, fmt)


async def write_neighbourhood_diagram(store: Any, table: str, folder: Path, *, radius: int = 1,
                                      fmt: str = "svg", include_system: bool = False) -> Path:
    """The explorer's key: the selected table's neighbourhood as a file in ``folder``; returns its path."""
    cat, sel, title = await diagram_catalog(store, table=table, radius=radius, group=None,
                                            include_system=include_system)
    data = await asyncio.to_thread(diagram_bytes, cat, sel, fmt, title)
    folder.mkdir(parents=True, exist_ok=True)
    ext = {"mermaid": ".mmd"}.get(fmt, f".{fmt}")
    path = folder / docs.page_name(table, f".r{radius}{ext}")
    path.write_bytes(data)
    return path


async def write_doc_folder(store: Any, folder: Path, *, include_system: bool, svg: bool, rules_text: str | None,
                           progress: Callable[[int, int], None] | None = None) -> docs.DocResult:
    cat = await load_catalog(store)
    groups = group_relations(cat.snapshot.relations, parse_rules(rules_text), workspaces=cat.snapshot.workspaces,
                             include_system=include_system)
    return await asyncio.to_thread(docs.write_docs, folder, cat.snapshot, cat.details, groups,
                                   include_system=include_system, svg=svg, display=cat.display, progress=progress)


async def live_snapshot(store: Any, *, include_system: bool) -> dict[str, Any]:
    cat = await load_catalog(store)
    return snapshot.build(cat.details, include_system=include_system)
