"""Whole-schema reads of the schema cache for diagrams, documentation and snapshots.

The explorer reads one table's detail at a time; a documentation run needs every table's columns,
constraints, indexes, policies and lineage at once. These are the same cache tables read in a few
set-based statements (one per kind), grouped per relation in Python: 2,000 tables cost five queries,
not 10,000.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from psycopg.rows import dict_row

from cockpit.schema.models import (
    Column,
    Constraint,
    ForeignKey,
    Index,
    LineageEdge,
    Policy,
    Relation,
    SchemaSnapshot,
    TableDetail,
)
from cockpit.store.core import Db
from cockpit.store.schema import schema_clients

_RELATION_COLS = ("table_oid::bigint AS table_oid, schema_name, table_name, relkind, comment, row_estimate, "
                  "column_count, rls_enabled, rls_forced, is_system, hidden_reason, partition_of, extension, "
                  "owner, browsable, view_definition")

_COLUMNS = """
SELECT table_oid::bigint AS table_oid, column_name AS name, ordinal_position AS position, data_type,
       is_nullable AS nullable, column_default AS default_value, bool_or(is_pk) AS is_pk, min(comment) AS comment,
       coalesce(array_agg(references_schema || '.' || references_table || '.' || references_column
                          || ' via ' || constraint_name ORDER BY constraint_name) FILTER (WHERE is_fk), '{{}}') AS fks
FROM redkey.system_schema_cache WHERE column_name IS NOT NULL {and_oids}
GROUP BY table_oid, column_name, ordinal_position, data_type, is_nullable, column_default
ORDER BY table_oid, ordinal_position
"""

_CONSTRAINTS = """
SELECT table_oid::bigint AS table_oid, constraint_name, contype, columns, definition, comment
FROM redkey.system_schema_constraints WHERE true {and_oids}
ORDER BY table_oid, array_position(ARRAY['p','u','f','c','x','n'], contype), constraint_name
"""

_INDEXES = """
SELECT table_oid::bigint AS table_oid, index_name, key_columns, is_unique, is_primary, is_partial, is_valid, definition
FROM redkey.system_schema_indexes WHERE true {and_oids} ORDER BY table_oid, is_primary DESC, index_name
"""

_POLICIES = """
SELECT table_oid::bigint AS table_oid, policy_name, command, permissive, roles, using_expr, check_expr
FROM redkey.system_schema_policies WHERE true {and_oids} ORDER BY table_oid, policy_name
"""

_FKS = """
SELECT k.table_oid::bigint AS table_oid, k.constraint_name,
       s.schema_name || '.' || s.table_name AS source, t.schema_name || '.' || t.table_name AS target,
       k.columns, k.ref_columns, k.on_delete, k.on_update, coalesce(k.indexed, false) AS indexed
FROM redkey.system_schema_constraints k
JOIN redkey.system_schema_relations s ON s.table_oid = k.table_oid
JOIN redkey.system_schema_relations t ON t.table_oid = k.ref_table_oid
WHERE k.contype = 'f'
ORDER BY source, k.constraint_name
"""

_LINEAGE = """
SELECT v.schema_name || '.' || v.table_name AS view, l.source_schema || '.' || l.source_table AS source,
       l.source_relkind, l.columns
FROM redkey.system_schema_lineage l
JOIN redkey.system_schema_relations v ON v.table_oid = l.view_oid {lineage_oids}
ORDER BY view, source
"""


class SchemaDocRepo:
    """Every relation of the schema cache with its full detail, for documentation and diagrams."""

    def __init__(self, db: Db) -> None:
        self.db = db

    async def catalog(self, keys: list[str] | None = None) -> tuple[SchemaSnapshot, dict[str, TableDetail]]:
        """The snapshot (relations, FKs, lineage, workspaces) and the detail of every relation, or of
        the relations ``keys`` (``schema.table``) only, by key. A diagram asks for its selection only:
        the detail of 2,000 tables is 60,000 rows to build, the detail of 50 a few hundred."""
        async with self.db.tx("readonly") as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {_RELATION_COLS} FROM redkey.system_schema_relations "
                              "ORDER BY schema_name, table_name")
            rel_rows = await cur.fetchall()
            wanted = None if keys is None else set(keys)
            oids = None if wanted is None else [r["table_oid"] for r in rel_rows
                                                  if f"{r['schema_name']}.{r['table_name']}" in wanted]
            params = () if oids is None else (oids,)
            fill = {"and_oids": "" if oids is None else "AND table_oid = ANY(%s::bigint[]::oid[])",
                    "lineage_oids": "" if oids is None else
                    "WHERE (l.view_oid = ANY(%s::bigint[]::oid[]) OR l.source_oid = ANY(%s::bigint[]::oid[]))"}
            rows: dict[str, list[dict[str, Any]]] = {}
            for name, query in (("columns", _COLUMNS), ("constraints", _CONSTRAINTS), ("indexes", _INDEXES),
                                ("policies", _POLICIES), ("fks", _FKS), ("lineage", _LINEAGE)):
                text = query.format(**fill) if "{" in query else query  # every FK: the graph needs them all
                await cur.execute(text, params * text.count("%s"))
                rows[name] = await cur.fetchall()
            await cur.execute("SELECT refreshed_at FROM redkey.system_schema_refresh")
            refreshed = await cur.fetchone()
        workspaces = await schema_clients(self.db)

        by_oid: dict[str, dict[int, list[Any]]] = {k: defaultdict(list) for k in ("columns", "constraints", "indexes",
                                                                                 "policies")}
        for kind, model in (("columns", Column), ("constraints", Constraint), ("indexes", Index),
                            ("policies", Policy)):
            for r in rows[kind]:
                by_oid[kind][r.pop("table_oid")].append(model.model_construct(**r))
        fks = [ForeignKey.model_construct(**r) for r in rows["fks"]]
        lineage = [LineageEdge.model_construct(**r) for r in rows["lineage"]]
        outgoing: dict[str, list[ForeignKey]] = defaultdict(list)
        incoming: dict[str, list[ForeignKey]] = defaultdict(list)
        for fk in fks:
            outgoing[fk.source].append(fk)
            incoming[fk.target].append(fk)
        reads: dict[str, list[LineageEdge]] = defaultdict(list)
        read_by: dict[str, list[LineageEdge]] = defaultdict(list)
        for edge in lineage:
            reads[edge.view].append(edge)
            read_by[edge.source].append(edge)

        relations: list[Relation] = []
        details: dict[str, TableDetail] = {}
        for r in rel_rows:
            view_definition = r.pop("view_definition")
            rel = Relation.model_construct(**r)
            relations.append(rel)
            oid, key = rel.table_oid, rel.key
            if wanted is not None and key not in wanted:
                continue
            details[key] = TableDetail.model_construct(
                relation=rel, columns=by_oid["columns"].get(oid, []),
                constraints=by_oid["constraints"].get(oid, []), indexes=by_oid["indexes"].get(oid, []),
                policies=by_oid["policies"].get(oid, []), outgoing=outgoing.get(key, []),
                incoming=incoming.get(key, []), reads=reads.get(key, []), read_by=read_by.get(key, []),
                view_definition=view_definition)
        snapshot = SchemaSnapshot.model_construct(relations=relations, foreign_keys=fks, lineage=lineage,
                                                  workspaces=workspaces,
                                                  refreshed_at=refreshed["refreshed_at"] if refreshed else None)
        return snapshot, details
