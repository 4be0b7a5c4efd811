"""The relation graph: FK edges between relations, built from the schema cache with networkx.

Nodes are ``schema.table`` keys; a directed edge source → target carries every FK constraint between
the two (composite FKs are one constraint with paired columns). Hiding system schemas keeps the
system tables that visible tables reference as *stub* nodes (``public.profiles → auth.users`` stays
drawable).

Queries (named after the schema lint tools that have them): neighbourhood
(pgAdmin's relation depth / tbls' distance), join paths (shortest first, then alternatives), orphans
(tbls unrelatedTable), FK cycles (SchemaCrawler LinterTableCycles) and FKs without a covering index
(splinter unindexed_foreign_keys).
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from itertools import islice
from typing import Literal

import networkx as nx

from cockpit.errors import NotFound, ValidationFailed
from cockpit.schema.models import ForeignKey, Relation, SchemaSnapshot

Direction = Literal["both", "out", "in"]

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
# Reserved words that cannot be a bare identifier (PostgreSQL's reserved key words).
_RESERVED = frozenset("""all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp current_user default
deferrable desc distinct do else end except false fetch for foreign from grant group having in initially
intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary
references returning select session_user some symmetric system_user table then to trailing true union unique
user using variadic when where window with""".split())


def ident(name: str) -> str:
    """One identifier as SQL: bare when Postgres reads it back unchanged, else double-quoted."""
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(key: str) -> str:
    """A graph key (``schema.table``, unquoted) as SQL: ``"timelineActivity"`` style quoting per part."""
    schema, dot, table = key.partition(".")
    return f"{ident(schema)}.{ident(table)}" if dot else ident(schema)


@dataclass(frozen=True)
class Hop:
    """One step of a join path: from ``left`` to ``right`` over ``fk`` (forward: left holds the FK)."""

    left: str
    right: str
    fk: ForeignKey
    forward: bool

    def join_condition(self) -> str:
        """``a.col = b.col [AND ...]`` as SQL: identifiers quoted where Postgres needs it."""
        src, dst = (self.left, self.right) if self.forward else (self.right, self.left)
        pairs = zip(self.fk.columns, self.fk.ref_columns)
        return " AND ".join(f"{qualified(src)}.{ident(a)} = {qualified(dst)}.{ident(b)}" for a, b in pairs)


@dataclass(frozen=True)
class JoinPath:
    nodes: list[str]
    hops: list[Hop]

    @property
    def length(self) -> int:
        return len(self.hops)


@dataclass
class Neighbourhood:
    center: str
    radius: int
    distance: dict[str, int] = field(default_factory=dict)  # node -> hops from center
    edges: list[tuple[str, str, ForeignKey]] = field(default_factory=list)  # (source, target, fk)


class SchemaGraph:
    """FK graph over the cached relations. Cheap to build (one pass over the snapshot)."""

    def __init__(self, snapshot: SchemaSnapshot, *, include_system: bool = True) -> None:
        self.include_system = include_system
        self.relations: dict[str, Relation] = {r.key: r for r in snapshot.relations}
        self.g: nx.DiGraph = nx.DiGraph()
        visible = {k for k, r in self.relations.items() if include_system or not r.is_system}
        self.stubs: set[str] = set()
        for key in visible:
            self.g.add_node(key)
        for fk in snapshot.foreign_keys:
            if fk.source not in visible:
                continue
            if fk.target not in visible:
                self.stubs.add(fk.target)  # a hidden (or unknown) target stays as a stub node
                self.g.add_node(fk.target)
            if self.g.has_edge(fk.source, fk.target):
                self.g.edges[fk.source, fk.target]["fks"].append(fk)
            else:
                self.g.add_edge(fk.source, fk.target, fks=[fk])
        self._undirected: nx.Graph | None = None

    # --- lookups ------------------------------------------------------------------------------
    def resolve(self, name: str) -> str:
        """``schema.table`` or a bare table name (unique) to a node key; case-insensitive fallback."""
        name = name.strip()
        if name in self.g:
            return name
        lowered = name.lower()
        if "." in name:
            hits = [k for k in self.g if k.lower() == lowered]
        else:
            hits = [k for k in self.g if k.split(".", 1)[1] == name] or \
                   [k for k in self.g if k.split(".", 1)[1].lower() == lowered]
        if not hits:
            raise NotFound(f"no table named {name} in the relation graph",
                           "check the name, or show system schemas if it lives in one")
        if len(hits) > 1:
            raise ValidationFailed(f"{name} is ambiguous: {', '.join(sorted(hits)[:5])}", "qualify it with its schema")
        return hits[0]

    def fks_between(self, a: str, b: str) -> list[tuple[ForeignKey, bool]]:
        """FKs linking a and b in either direction, with ``forward`` = a holds the FK."""
        out: list[tuple[ForeignKey, bool]] = []
        if self.g.has_edge(a, b):
            out += [(fk, True) for fk in self.g.edges[a, b]["fks"]]
        if a != b and self.g.has_edge(b, a):
            out += [(fk, False) for fk in self.g.edges[b, a]["fks"]]
        return out

    @property
    def undirected(self) -> nx.Graph:
        """The graph without direction or self-loops: a join can follow an FK either way."""
        if self._undirected is None:
            u = nx.Graph(self.g.to_undirected(as_view=True))
            u.remove_edges_from(list(nx.selfloop_edges(u)))
            self._undirected = u
        return self._undirected

    # --- neighbourhood ------------------------------------------------------------------------
    def neighbourhood(self, name: str, radius: int = 1, direction: Direction = "both") -> Neighbourhood:
        if radius not in (1, 2, 3):
            raise ValidationFailed("radius must be 1, 2 or 3")
        center = self.resolve(name)
        base: nx.DiGraph | nx.Graph
        if direction == "both":
            base = self.undirected
        elif direction == "out":
            base = self.g
        else:
            base = self.g.reverse(copy=False)
        distance = nx.single_source_shortest_path_length(base, center, cutoff=radius)
        hood = Neighbourhood(center=center, radius=radius, distance=dict(distance))
        nodes = set(distance)
        for u, v, data in self.g.subgraph(nodes).edges(data=True):
            for fk in data["fks"]:
                hood.edges.append((u, v, fk))
        hood.edges.sort(key=lambda e: (distance[e[0]] + distance[e[1]], e[0], e[1], e[2].constraint_name))
        return hood

    # --- join paths ---------------------------------------------------------------------------
    def _to_path(self, nodes: list[str]) -> JoinPath:
        hops = []
        for a, b in zip(nodes, nodes[1:]):
            fk, forward = self.fks_between(a, b)[0]
            hops.append(Hop(a, b, fk, forward))
        return JoinPath(nodes=list(nodes), hops=hops)

    def join_path(self, a: str, b: str) -> JoinPath:
        """The shortest FK path between two tables, following FKs in either direction."""
        src, dst = self.resolve(a), self.resolve(b)
        try:
            return self._to_path(nx.shortest_path(self.undirected, src, dst))
        except nx.NetworkXNoPath:
            raise NotFound(f"no FK path joins {src} and {dst}",
                           "they are in separate components of the relation graph") from None

    def join_paths(self, a: str, b: str, *, k: int = 5, cutoff: int = 6) -> list[JoinPath]:
        """Up to ``k`` simple paths, shortest first, none longer than ``cutoff`` hops."""
        src, dst = self.resolve(a), self.resolve(b)
        if src == dst:
            return [JoinPath(nodes=[src], hops=[])]
        if not nx.has_path(self.undirected, src, dst):
            raise NotFound(f"no FK path joins {src} and {dst}",
                           "they are in separate components of the relation graph")
        paths = []
        for nodes in islice(nx.shortest_simple_paths(self.undirected, src, dst), k):
            if len(nodes) - 1 > cutoff:
                break
            paths.append(self._to_path(nodes))
        return paths

    # --- lint ---------------------------------------------------------------------------------
    def orphans(self) -> list[str]:
        """Tables linked to no other table by an FK (a self-reference alone does not count)."""
        u = self.undirected
        return sorted(k for k in u if u.degree(k) == 0 and k in self.relations
                      and not self.relations[k].is_view and k not in self.stubs)

    def self_references(self) -> list[str]:
        return sorted(u for u, _ in nx.selfloop_edges(self.g))

    def cycles(self, *, length_bound: int = 6, limit: int = 100) -> list[list[str]]:
        """FK cycles between distinct tables (strongly connected components first, so acyclic parts
        of a large schema cost nothing); self-references are listed by :meth:`self_references`."""
        out: list[list[str]] = []
        for comp in nx.strongly_connected_components(self.g):
            if len(comp) < 2:
                continue
            sub = self.g.subgraph(comp).copy()
            sub.remove_edges_from(list(nx.selfloop_edges(sub)))
            for cyc in nx.simple_cycles(sub, length_bound=length_bound):
                i = cyc.index(min(cyc))
                out.append(cyc[i:] + cyc[:i])
                if len(out) >= limit:
                    return sorted(out)
        return sorted(out)

    def unindexed_fks(self) -> list[ForeignKey]:
        """FKs whose columns are not the leading key columns of any valid, non-partial index (the
        refresh checks pg_index): deleting or updating a referenced row then scans the referencing
        table."""
        out = [fk for _, _, data in self.g.edges(data=True) for fk in data["fks"] if not fk.indexed]
        return sorted(out, key=lambda f: (f.source, f.constraint_name))
