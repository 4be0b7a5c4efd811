"""Grouping the schema list by concern (tbls' "viewpoints"): crm views, redkey, each Twenty
workspace, public, finance, ... The rules are configurable (COCKPIT_SCHEMA_GROUPS):

    "CRM views=public.crm_*; RedKey=redkey.*; Twenty · {client}=workspace_*.*; Client views · {client}=client_*.*"

Each rule is ``label=pattern[|pattern...]`` matched (fnmatch, case-sensitive) against
``schema.table``; the first matching rule wins. ``{schema}`` and ``{client}`` (the client a Twenty
workspace or a client's own schema of views belongs to) may appear in labels. Unmatched relations
group under their schema name; system relations (Supabase schemas, extension tables, partitions) under ``system · {schema}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from cockpit.errors import ConfigError
from cockpit.schema.models import Relation

DEFAULT_RULES = ("CRM views=public.crm_*; RedKey=redkey.*; Twenty · {client}=workspace_*.*; "
                 "Finance=finance.*; Client views · {client}=client_*.*; Public=public.*")


@dataclass(frozen=True)
class GroupRule:
    label: str
    patterns: tuple[str, ...]

    def matches(self, key: str) -> bool:
        return any(fnmatchcase(key, p) for p in self.patterns)


@dataclass
class Group:
    label: str
    relations: list[Relation] = field(default_factory=list)

    @property
    def row_estimate(self) -> int:
        return sum(r.row_estimate or 0 for r in self.relations)


def parse_rules(text: str | None) -> list[GroupRule]:
    """Parse ``label=pattern|pattern; ...``; a malformed rule is a ConfigError naming it."""
    text = (text or "").strip() or DEFAULT_RULES
    rules = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        label, sep, patterns = part.partition("=")
        pats = tuple(p.strip() for p in patterns.split("|") if p.strip())
        if not sep or not label.strip() or not pats:
            raise ConfigError(f"schema group rule {part!r} is not label=pattern",
                              "e.g. COCKPIT_SCHEMA_GROUPS='Finance=finance.*|public.invoice*'")
        rules.append(GroupRule(label.strip(), pats))
    return rules


def group_relations(relations: list[Relation], rules: list[GroupRule], *, workspaces: dict[str, str] | None = None,
                    include_system: bool = False) -> list[Group]:
    """Groups in rule order, then schema groups alphabetically, then system groups last."""
    workspaces = workspaces or {}
    groups: dict[str, Group] = {}
    order: dict[str, tuple[int, str]] = {}
    for rel in relations:
        if rel.is_system:
            if not include_system:
                continue
            label, rank = f"system · {rel.schema_name}", (len(rules) + 1, rel.schema_name)
        else:
            for i, rule in enumerate(rules):
                if rule.matches(rel.key):
                    client = workspaces.get(rel.schema_name, rel.schema_name)
                    label = rule.label.format(schema=rel.schema_name, client=client)
                    rank = (i, label)
                    break
            else:
                label, rank = rel.schema_name, (len(rules), rel.schema_name)
        if label not in groups:
            groups[label] = Group(label)
            order[label] = rank
        groups[label].relations.append(rel)
    for g in groups.values():
        g.relations.sort(key=lambda r: (r.schema_name, r.table_name))
    return [groups[k] for k in sorted(groups, key=lambda k: order[k])]
