"""Reads of the schema cache (redkey.system_schema_*) and its refresh.

The explorer reads the cache, never the live catalog: the catalog is read once per refresh by
redkey.refresh_system_schema_cache() (migration 200), in a handful of set-based statements. These
queries run as the read-only browsing role; the refresh function is SECURITY DEFINER so that role can
ask for a refresh without write access to the cache tables.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import class_row, dict_row

from cockpit.db.like import contains_pattern
from cockpit.errors import NotFound, ValidationFailed
from cockpit.schema.models import (
    Column,
    Constraint,
    ForeignKey,
    Index,
    LineageEdge,
    Policy,
    Relation,
    RefreshResult,
    SchemaSnapshot,
    SearchHit,
    TableDetail,
)
from cockpit.store.core import Db

_RELATION_COLS = ("table_oid::bigint AS table_oid, schema_name, table_name, relkind, comment, row_estimate, "
                  "column_count, rls_enabled, rls_forced, is_system, hidden_reason, partition_of, extension, "
                  "owner, browsable")

# One row per FK constraint (pre-aggregated by the refresh: columns paired by position, index coverage).
_FK_QUERY = """
SELECT k.table_oid::bigint AS table_oid, k.constraint_name,
       s.schema_name || '.' || s.table_name AS source, t.schema_name || '.' || t.table_name AS target,
       k.columns, k.ref_columns, k.on_delete, k.on_update, coalesce(k.indexed, false) AS indexed
FROM redkey.system_schema_constraints k
JOIN redkey.system_schema_relations s ON s.table_oid = k.table_oid
JOIN redkey.system_schema_relations t ON t.table_oid = k.ref_table_oid
WHERE k.contype = 'f' {where}
ORDER BY source, k.constraint_name
"""

_LINEAGE_QUERY = """
SELECT v.schema_name || '.' || v.table_name AS view, l.source_schema || '.' || l.source_table AS source,
       l.source_relkind, l.columns
FROM redkey.system_schema_lineage l
JOIN redkey.system_schema_relations v ON v.table_oid = l.view_oid
{where}
ORDER BY view, source
"""


async def schema_clients(db: Db) -> dict[str, str]:
    """Schema -> the label of the client it belongs to: every Twenty workspace schema and every client's own
    schema of views (``client_<id>``). Asked as the owner: the registry is scoped per client for the roles,
    and the explorer is a developer's view of the whole catalog."""
    rows = await db.fetch_dicts(
        "SELECT w.schema_name, c.name FROM redkey.workspaces w JOIN redkey.clients c USING (client_id) "
        "UNION ALL SELECT s.schema_name, c.name FROM redkey.client_schemas s JOIN redkey.clients c USING (client_id)",
        role="owner")
    return {r["schema_name"]: r["name"] for r in rows}


class SchemaRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def cache_is_stale(self) -> bool:
        """True when the catalog holds a relation the cache does not, or the cache one the catalog no longer
        has (a migration, a Twenty upgrade, a table made in psql since the last refresh). The same relations
        the refresh reads; column changes inside a relation are not detected (``r`` refreshes)."""
        rows = await self.db.fetch_dicts(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            "   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
            "     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
            "     AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'"
            "     AND NOT EXISTS (SELECT 1 FROM redkey.system_schema_relations r WHERE r.table_oid = c.oid))"
            " OR EXISTS (SELECT 1 FROM redkey.system_schema_relations r"
            "   WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = r.table_oid)) AS stale",
            role="readonly")
        return bool(rows[0]["stale"])

    async def ensure_fresh(self) -> int | None:
        """Refresh the cache when it was never filled or is stale; the refresh's duration (ms), else None."""
        if await self.cache_is_stale():
            return (await self.refresh_schema_cache()).duration_ms
        return None

    async def refresh_schema_cache(self) -> RefreshResult:
        """Re-read pg_catalog into the cache (one transaction; readers see the old cache until commit)."""
        async with self.db.tx("readonly") as conn:
            cur = conn.cursor(row_factory=class_row(RefreshResult))
            await cur.execute("SELECT * FROM redkey.refresh_system_schema_cache()")
            row = await cur.fetchone()
        assert row is not None
        return row

    async def schema_refreshed_at(self) -> RefreshResult | None:
        return await self.db.fetch_model(RefreshResult, "SELECT refreshed_at, duration_ms::float8 AS duration_ms, "
                                                     "relations, columns, foreign_keys FROM redkey.system_schema_refresh")

    async def schema_snapshot(self) -> SchemaSnapshot:
        """All relations, FKs (with index coverage) and lineage edges: what the relation graph is built from.

        A few set-based reads in one transaction (a refresh committing in between is rare and harmless:
        the next open sees it whole). Rows come from our own cache tables with the models' exact
        shapes, so they are constructed without re-validation (6,000 rows: ~60 ms saved)."""
        async with self.db.tx("readonly") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {_RELATION_COLS} FROM redkey.system_schema_relations "
                              "ORDER BY schema_name, table_name")
            relations = [Relation.model_construct(**r) for r in await cur.fetchall()]
            await cur.execute(_FK_QUERY.format(where=""))
            fks = [ForeignKey.model_construct(**r) for r in await cur.fetchall()]
            await cur.execute(_LINEAGE_QUERY.format(where=""))
            lineage = [LineageEdge.model_construct(**r) for r in await cur.fetchall()]
            rcur = await conn.execute("SELECT refreshed_at FROM redkey.system_schema_refresh")
            refreshed = await rcur.fetchone()
        workspaces = await schema_clients(self.db)
        return SchemaSnapshot.model_construct(relations=relations, foreign_keys=fks, lineage=lineage,
                                              workspaces=workspaces, refreshed_at=refreshed[0] if refreshed else None)

    async def find_relation(self, name: str) -> Relation:
        """Resolve ``schema.table`` or a bare table name (unique, case-insensitive fallback)."""
        name = name.strip()
        if not name:
            raise ValidationFailed("name a table, e.g. public.crm_deals")
        schema, _, table = name.rpartition(".")
        cond = "table_name = %s" + (" AND schema_name = %s" if schema else "")
        params: list[Any] = [table] + ([schema] if schema else [])
        rows = await self.db.fetch_models(Relation, f"SELECT {_RELATION_COLS} FROM redkey.system_schema_relations "
                                                 f"WHERE {cond}", params)
        if not rows:
            icond = "lower(table_name) = lower(%s)" + (" AND lower(schema_name) = lower(%s)" if schema else "")
            rows = await self.db.fetch_models(Relation, f"SELECT {_RELATION_COLS} FROM redkey.system_schema_relations "
                                                     f"WHERE {icond}", params)
        if not rows:
            raise NotFound(f"no table or view named {name} in the schema cache",
                           "run `cockpit schema refresh` if it was created recently")
        if len(rows) > 1:
            names = ", ".join(r.key for r in rows[:5])
            raise ValidationFailed(f"{name} is ambiguous: {names}", "qualify it with its schema")
        return rows[0]

    async def table_detail(self, table_oid: int) -> TableDetail:
        """Columns, constraints, indexes, policies, relations and lineage of one relation."""
        async with self.db.tx("readonly") as conn:
            rcur = conn.cursor(row_factory=dict_row)
            await rcur.execute(f"SELECT {_RELATION_COLS}, view_definition FROM redkey.system_schema_relations "
                               "WHERE table_oid = %s", (table_oid,))
            rel_row = await rcur.fetchone()
            if rel_row is None:
                raise NotFound("that table is no longer in the schema cache", "press R to refresh the cache")
            view_definition = rel_row.pop("view_definition")
            relation = Relation(**rel_row)
            ccur = conn.cursor(row_factory=dict_row)
            await ccur.execute(
                "SELECT column_name AS name, ordinal_position AS position, data_type, is_nullable AS nullable, "
                "column_default AS default_value, bool_or(is_pk) AS is_pk, min(comment) AS comment, "
                "coalesce(array_agg(references_schema || '.' || references_table || '.' || references_column "
                "        || ' via ' || constraint_name ORDER BY constraint_name) FILTER (WHERE is_fk), '{}') AS fks, "
                "(array_agg(raw_metadata))[1] AS metadata "
                "FROM redkey.system_schema_cache WHERE table_oid = %s AND column_name IS NOT NULL "
                "GROUP BY column_name, ordinal_position, data_type, is_nullable, column_default "
                "ORDER BY ordinal_position", (table_oid,))
            columns = [Column(**r) for r in await ccur.fetchall()]
            kcur = conn.cursor(row_factory=class_row(Constraint))
            await kcur.execute("SELECT constraint_name, contype, columns, definition, comment "
                               "FROM redkey.system_schema_constraints WHERE table_oid = %s "
                               "ORDER BY array_position(ARRAY['p','u','f','c','x','n'], contype), constraint_name",
                               (table_oid,))
            constraints = await kcur.fetchall()
            icur = conn.cursor(row_factory=class_row(Index))
            await icur.execute("SELECT index_name, key_columns, is_unique, is_primary, is_partial, is_valid, definition "
                               "FROM redkey.system_schema_indexes WHERE table_oid = %s "
                               "ORDER BY is_primary DESC, index_name", (table_oid,))
            indexes = await icur.fetchall()
            pcur = conn.cursor(row_factory=class_row(Policy))
            await pcur.execute("SELECT policy_name, command, permissive, roles, using_expr, check_expr "
                               "FROM redkey.system_schema_policies WHERE table_oid = %s ORDER BY policy_name",
                               (table_oid,))
            policies = await pcur.fetchall()
            fcur = conn.cursor(row_factory=class_row(ForeignKey))
            await fcur.execute(_FK_QUERY.format(where="AND k.table_oid = %s"), (table_oid,))
            outgoing = await fcur.fetchall()
            await fcur.execute(_FK_QUERY.format(where="AND k.ref_table_oid = %s"), (table_oid,))
            incoming = await fcur.fetchall()
            lcur = conn.cursor(row_factory=class_row(LineageEdge))
            await lcur.execute(_LINEAGE_QUERY.format(where="WHERE l.view_oid = %s"), (table_oid,))
            reads = await lcur.fetchall()
            await lcur.execute(_LINEAGE_QUERY.format(where="WHERE l.source_oid = %s"), (table_oid,))
            read_by = await lcur.fetchall()
        return TableDetail(relation=relation, columns=columns, constraints=constraints, indexes=indexes,
                           policies=policies, outgoing=outgoing, incoming=incoming, reads=reads, read_by=read_by,
                           view_definition=view_definition)

    async def search_schema(self, text: str, *, include_system: bool = False, limit: int = 200) -> list[SearchHit]:
        """Tables and columns whose name contains ``text`` (case-insensitive); tables first."""
        text = text.strip()
        if not text:
            return []
        pattern = contains_pattern(text)
        system = "" if include_system else " AND NOT is_system"
        return await self.db.fetch_models(
            SearchHit,
            "SELECT * FROM ("
            " SELECT schema_name, table_name, NULL::text AS column_name, relkind, is_system, 0 AS rank "
            f" FROM redkey.system_schema_relations WHERE table_name ILIKE %s{system}"
            " UNION ALL"
            " SELECT DISTINCT schema_name, table_name, column_name, relkind, is_system, 1 AS rank "
            f" FROM redkey.system_schema_cache WHERE column_name ILIKE %s{system}"
            ") hits ORDER BY rank, schema_name, table_name, column_name LIMIT %s",
            (pattern, pattern, limit))
