"""What a Twenty workspace schema looks like physically, read from the catalog.

The stable views are generated against a :class:`WorkspaceShape`: the columns each Layer 1 table really
has. Where Twenty renamed a column between releases (``"personId"`` → ``"targetPersonId"`` in 1.12/1.17,
say) the generator asks :meth:`WorkspaceShape.pick` for the first candidate that exists, so the same
generator serves old and new workspaces and a Twenty upgrade only changes the generated SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# Tables and columns the views cannot do without. A schema missing any of them is not a usable
# Twenty workspace; each entry lists acceptable spellings (first found wins).
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "person": [("id",), ("createdAt",), ("updatedAt",), ("deletedAt",), ("nameFirstName",),
               ("nameLastName",), ("emailsPrimaryEmail",), ("companyId",), ("searchVector",)],
    "company": [("id",), ("createdAt",), ("updatedAt",), ("deletedAt",), ("name",),
                ("domainNamePrimaryLinkUrl",), ("searchVector",)],
    "opportunity": [("id",), ("createdAt",), ("updatedAt",), ("deletedAt",), ("name",),
                    ("amountAmountMicros",), ("amountCurrencyCode",), ("closeDate",), ("stage",),
                    ("companyId",), ("pointOfContactId",), ("position",)],
    "timelineActivity": [("id",), ("deletedAt",), ("happensAt",), ("name",), ("properties",),
                         ("targetPersonId", "personId"), ("targetCompanyId", "companyId"),
                         ("targetOpportunityId", "opportunityId")],
    "note": [("id",), ("createdAt",), ("deletedAt",), ("title",)],
    "noteTarget": [("noteId",), ("deletedAt",), ("targetPersonId", "personId"),
                   ("targetCompanyId", "companyId"), ("targetOpportunityId", "opportunityId")],
}

# Tables read when there (a workspace without them shows no tasks or members, and is still usable).
OPTIONAL = ("task", "taskTarget", "workspaceMember")

_COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'f')
"""


@dataclass
class WorkspaceShape:
    """The physical columns of one workspace schema (table -> column -> type)."""

    schema: str
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # Twenty's field metadata for this schema (a cockpit.db.custom_fields.CustomMeta; None: not read)
    custom: Any = None

    def has(self, table: str, column: str | None = None) -> bool:
        if column is None:
            return table in self.columns
        return column in self.columns.get(table, {})

    def pick(self, table: str, *candidates: str) -> str | None:
        """The first candidate column the table has, or None."""
        for name in candidates:
            if self.has(table, name):
                return name
        return None

    def missing(self) -> list[str]:
        """What the views need and this schema lacks, as readable 'table.column' items."""
        out: list[str] = []
        for table, cols in REQUIRED.items():
            if not self.has(table):
                out.append(f"table {table}")
                continue
            for spellings in cols:
                if self.pick(table, *spellings) is None:
                    out.append(f"{table}.{' or '.join(spellings)}")
        return out

    @property
    def stage_type(self) -> str | None:
        """The type of opportunity.stage as format_type prints it (an enum in Twenty)."""
        return self.columns.get("opportunity", {}).get("stage")


async def read_shapes(conn, schemas: list[str]) -> dict[str, WorkspaceShape]:  # type: ignore[no-untyped-def]
    """The shapes of several schemas in one query, limited to the tables the views read and the custom
    objects' ``_`` tables (a schema that does not exist has no columns)."""
    shapes = {s: WorkspaceShape(s) for s in schemas}
    query = (_COLUMNS_SQL.replace("n.nspname = %s",
                                  "n.nspname = ANY(%s) AND (c.relname = ANY(%s) OR (c.relname LIKE '\\_%%' AND c.relkind IN ('r', 'p')))")
             .replace("SELECT c.relname", "SELECT n.nspname, c.relname"))
    cur = await conn.execute(query, (list(schemas), list(REQUIRED) + list(OPTIONAL)))
    for schema, table, column, typ in await cur.fetchall():
        shapes[schema].columns.setdefault(table, {})[column] = typ
    return shapes


async def read_shape(conn, schema: str) -> WorkspaceShape:  # type: ignore[no-untyped-def]
    """Read the shape of ``schema`` from pg_catalog (one query)."""
    shape = WorkspaceShape(schema)
    cur = await conn.execute(_COLUMNS_SQL, (schema,))
    for table, column, typ in await cur.fetchall():
        shape.columns.setdefault(table, {})[column] = typ
    return shape


def workspace_schema_name(workspace_id: uuid.UUID) -> str:
    """Twenty's schema name for a workspace id: ``workspace_<base36(uuid)>``."""
    n = workspace_id.int
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return "workspace_" + (out or "0")
