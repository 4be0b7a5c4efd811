"""What the schema cache holds, as typed rows. The store fills these from redkey.system_schema_*;
the graph, the CLI and the explorer screen consume them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cockpit.models import Row

RELKIND_LABEL = {"r": "table", "p": "partitioned", "v": "view", "m": "matview", "f": "foreign"}


class Relation(Row):
    """One table, view, matview, partitioned or foreign table."""

    table_oid: int
    schema_name: str
    table_name: str
    relkind: str
    comment: str | None = None
    row_estimate: int | None = None
    column_count: int = 0
    rls_enabled: bool = False
    rls_forced: bool = False
    is_system: bool = False
    hidden_reason: str | None = None
    partition_of: str | None = None
    extension: str | None = None
    owner: str | None = None
    browsable: bool = False

    @property
    def key(self) -> str:
        """The graph node key: ``schema.table`` as written, unquoted (unique per database)."""
        return f"{self.schema_name}.{self.table_name}"

    @property
    def kind(self) -> str:
        return RELKIND_LABEL.get(self.relkind, self.relkind)

    @property
    def is_view(self) -> bool:
        return self.relkind in ("v", "m")


class ForeignKey(Row):
    """One FK constraint with its column pairs in key order (composite FKs stay paired)."""

    table_oid: int
    constraint_name: str
    source: str  # schema.table
    target: str  # schema.table
    columns: list[str]
    ref_columns: list[str]
    on_delete: str | None = None
    on_update: str | None = None
    indexed: bool = False  # a valid, non-partial index leads with exactly these columns

    def label(self) -> str:
        pairs = ", ".join(f"{a}→{b}" for a, b in zip(self.columns, self.ref_columns))
        return f"{self.constraint_name} ({pairs})"


class Column(Row):
    name: str
    position: int
    data_type: str
    nullable: bool
    default_value: str | None = None
    is_pk: bool = False
    comment: str | None = None
    fks: list[str] = Field(default_factory=list)  # "schema.table.column via constraint"
    metadata: dict[str, Any] = Field(default_factory=dict)


class Constraint(Row):
    constraint_name: str
    contype: str
    columns: list[str]
    definition: str | None = None
    comment: str | None = None

    @property
    def kind(self) -> str:
        return {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "c": "CHECK", "x": "EXCLUDE",
                "n": "NOT NULL", "t": "TRIGGER"}.get(self.contype, self.contype)


class Index(Row):
    index_name: str
    key_columns: list[str | None]
    is_unique: bool
    is_primary: bool
    is_partial: bool
    is_valid: bool
    definition: str | None = None


class Policy(Row):
    policy_name: str
    command: str
    permissive: bool
    roles: list[str]
    using_expr: str | None = None
    check_expr: str | None = None


class LineageEdge(Row):
    """A view reading a relation (from pg_depend, not from parsing the view's SQL)."""

    view: str
    source: str
    source_relkind: str
    columns: list[str] = Field(default_factory=list)


class TableDetail(Row):
    relation: Relation
    columns: list[Column]
    constraints: list[Constraint]
    indexes: list[Index]
    policies: list[Policy]
    outgoing: list[ForeignKey]
    incoming: list[ForeignKey]
    reads: list[LineageEdge]  # for views: what they read
    read_by: list[LineageEdge]  # views that read this relation
    view_definition: str | None = None


class RefreshResult(Row):
    refreshed_at: datetime
    duration_ms: float
    relations: int
    columns: int
    foreign_keys: int


class SearchHit(Row):
    schema_name: str
    table_name: str
    column_name: str | None = None
    relkind: str
    is_system: bool = False

    @property
    def key(self) -> str:
        return f"{self.schema_name}.{self.table_name}"


class SchemaSnapshot(Row):
    """Everything the explorer needs to open: relations, FKs, lineage edges, workspaces."""

    relations: list[Relation]
    foreign_keys: list[ForeignKey]
    lineage: list[LineageEdge]
    # schema -> client name: each Twenty workspace schema and each client's own schema of views
    workspaces: dict[str, str] = Field(default_factory=dict)
    refreshed_at: datetime | None = None
