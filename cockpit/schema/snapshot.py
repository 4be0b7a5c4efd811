"""Schema snapshots: the schema cache as a deterministic JSON document, and the diff of two of them.

A snapshot names everything by ``schema.table`` and constraint/index name, never by oid, and leaves
out what changes without the schema changing (row estimates, refresh times), so the same schema
always gives the same bytes: snapshots and documentation folders can be committed and diffed.
``cockpit schema diff`` compares two snapshots (or doc folders, which carry their ``schema.json``)
and says which tables, columns, foreign keys and indexes were added, removed or changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.errors import ValidationFailed
from cockpit.schema.models import TableDetail

FORMAT = "redkey-schema-snapshot"
VERSION = 1
DOC_SNAPSHOT = "schema.json"  # the snapshot a documentation folder carries


def table_entry(d: TableDetail) -> dict[str, Any]:
    """One relation as plain, ordered data (no oids, no estimates)."""
    r = d.relation
    entry: dict[str, Any] = {
        "kind": r.kind,
        "comment": r.comment,
        "system": r.is_system,
        "partition_of": r.partition_of,
        "rls": {"enabled": r.rls_enabled, "forced": r.rls_forced},
        "columns": {c.name: {"position": c.position, "type": c.data_type, "nullable": c.nullable,
                             "default": c.default_value, "pk": c.is_pk, "comment": c.comment}
                    for c in sorted(d.columns, key=lambda c: c.position)},
        "constraints": {k.constraint_name: {"type": k.kind, "columns": list(k.columns), "definition": k.definition}
                        for k in sorted(d.constraints, key=lambda k: k.constraint_name)
                        if k.contype not in ("f", "n")},  # NOT NULL is the column's "nullable"
        "foreign_keys": {f.constraint_name: {"columns": list(f.columns), "references": f.target,
                                             "ref_columns": list(f.ref_columns), "on_delete": f.on_delete,
                                             "on_update": f.on_update, "indexed": f.indexed}
                         for f in sorted(d.outgoing, key=lambda f: f.constraint_name)},
        "indexes": {i.index_name: {"columns": list(i.key_columns), "unique": i.is_unique, "primary": i.is_primary,
                                   "partial": i.is_partial, "definition": i.definition}
                    for i in sorted(d.indexes, key=lambda i: i.index_name)},
        "policies": {p.policy_name: {"command": p.command, "permissive": p.permissive, "roles": sorted(p.roles),
                                     "using": p.using_expr, "check": p.check_expr}
                     for p in sorted(d.policies, key=lambda p: p.policy_name)},
    }
    if r.is_view:
        entry["view_definition"] = d.view_definition
        entry["reads"] = sorted({e.source for e in d.reads})
    return entry


def build(details: dict[str, TableDetail], *, include_system: bool = False) -> dict[str, Any]:
    """The snapshot document of ``details`` (system relations only when asked)."""
    tables = {key: table_entry(d) for key, d in sorted(details.items())
              if include_system or not d.relation.is_system}
    return {"format": FORMAT, "version": VERSION, "tables": tables}


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load(path: Path) -> dict[str, Any]:
    """A snapshot from a file written by ``cockpit schema snapshot`` or from a doc folder."""
    target = path / DOC_SNAPSHOT if path.is_dir() else path
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = "a documentation folder without schema.json" if path.is_dir() else "no such file"
        raise ValidationFailed(f"{path}: {what}",
                               "give a file from `cockpit schema snapshot` or a folder from `cockpit schema doc`") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{target} is not a schema snapshot ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("tables"), dict):
        raise ValidationFailed(f"{target} is not a schema snapshot",
                               "write one with `cockpit schema snapshot -o FILE`")
    if doc.get("version") != VERSION:
        raise ValidationFailed(f"{target} is snapshot version {doc.get('version')}; this cockpit reads {VERSION}")
    return doc


# --- diff -------------------------------------------------------------------------------------
@dataclass
class TableChange:
    table: str
    added: list[str] = field(default_factory=list)    # "column x integer", "fk name → target", ...
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class SchemaDiff:
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    tables_changed: list[TableChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tables_added or self.tables_removed or self.tables_changed)

    def lines(self) -> list[str]:
        if self.empty:
            return ["no differences"]
        out = [f"+ table {t}" for t in self.tables_added] + [f"- table {t}" for t in self.tables_removed]
        for ch in self.tables_changed:
            out.append(f"~ table {ch.table}")
            out += [f"    + {a}" for a in ch.added] + [f"    - {r}" for r in ch.removed]
            out += [f"    ~ {c}" for c in ch.changed]
        return out


def _describe(section: str, name: str, spec: dict[str, Any]) -> str:
    if section == "columns":
        return f"column {name} {spec['type']}{'' if spec['nullable'] else ' NOT NULL'}"
    if section == "foreign_keys":
        pairs = ", ".join(f"{a}→{b}" for a, b in zip(spec["columns"], spec["ref_columns"]))
        return f"foreign key {name} ({pairs}) → {spec['references']}"
    if section == "indexes":
        return f"index {name} ({', '.join(str(c) for c in spec['columns'])})"
    if section == "constraints":
        return f"{spec['type'].lower()} {name}"
    return f"policy {name}"


def _changes(section: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k) and k not in ("position",)]
    what = ", ".join(f"{k} {old.get(k)!r} → {new.get(k)!r}" for k in keys)
    label = {"columns": "column", "foreign_keys": "foreign key", "indexes": "index", "constraints": "constraint",
             "policies": "policy"}[section]
    return f"{label} {name}: {what}" if what else ""


def diff(old: dict[str, Any], new: dict[str, Any]) -> SchemaDiff:
    """What changed from ``old`` to ``new``: tables, then columns, FKs, indexes, constraints, policies."""
    a, b = old["tables"], new["tables"]
    out = SchemaDiff(tables_added=sorted(set(b) - set(a)), tables_removed=sorted(set(a) - set(b)))
    for key in sorted(set(a) & set(b)):
        ch = TableChange(key)
        ta, tb = a[key], b[key]
        for prop in ("kind", "comment", "partition_of", "rls", "view_definition"):
            if ta.get(prop) != tb.get(prop):
                ch.changed.append(f"{prop}: {ta.get(prop)!r} → {tb.get(prop)!r}")
        for section in ("columns", "foreign_keys", "indexes", "constraints", "policies"):
            sa, sb = ta.get(section, {}), tb.get(section, {})
            ch.added += [_describe(section, n, sb[n]) for n in sorted(set(sb) - set(sa))]
            ch.removed += [_describe(section, n, sa[n]) for n in sorted(set(sa) - set(sb))]
            for n in sorted(set(sa) & set(sb)):
                if sa[n] != sb[n] and (text := _changes(section, n, sa[n], sb[n])):
                    ch.changed.append(text)
        if not ch.empty:
            out.tables_changed.append(ch)
    return out
