"""Reads for exports: one streamed SELECT over a stable view (the client's scope only), written out by
COPY for CSV or fetched in batches through a server-side cursor for XLSX.

Text cells that a spreadsheet would run as formulas (starting with = + - @, tab or CR) are neutralised
in the query itself, so the CSV path never touches a row in Python. Typed cells (numbers, dates, ids)
are never prefixed: a negative amount stays a number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from psycopg import sql

from cockpit.db.like import contains_pattern
from cockpit.export.models import TRIGGERS, Column, Filter, columns, view_of

_TRIGGER_LIST = sql.SQL(", ").join(sql.Literal(t) for t in TRIGGERS)


def _cell(col: Column, expr: sql.Composable, *, safe: bool) -> sql.Composable:
    if not col.is_text or not safe:
        return expr
    return sql.SQL("CASE WHEN left({e}, 1) IN ({t}) THEN '''' || {e} ELSE {e} END").format(e=expr, t=_TRIGGER_LIST)


def _where(filters: list[Filter], ref: Callable[[Column], sql.Composable]) -> sql.Composable:
    """Filter values are quoted literals (psycopg's sql.Literal): COPY takes no bind parameters."""
    parts: list[sql.Composable] = []
    for f in filters:
        e = ref(f.column)
        if f.op == "=" and f.value == "":
            parts.append(sql.SQL("({e} IS NULL OR {e}::text = '')").format(e=e))
        elif f.op == "~":
            parts.append(sql.SQL("{e} ILIKE {v}").format(e=e, v=sql.Literal(f"%{f.value}%")))
        else:
            op = {"=": "=", "!=": "IS DISTINCT FROM", ">": ">", "<": "<"}[f.op]
            parts.append(sql.SQL("{e} {op} {v}::{t}").format(e=e, op=sql.SQL(op), v=sql.Literal(f.value),
                                                            t=sql.SQL(f.column.sql_type)))
    if not parts:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(parts)


def search_condition(entity: str, search: str | None) -> sql.Composable | None:
    """What the entity's screen shows for its search box: the contacts and companies screens' full-text
    search (``crm_match_*``: the same matches as ``crm_search_*``, without a page limit), the pipeline's
    filter (deal or company name contains the text). None: no search, every record."""
    if search is None or not search.strip():
        return None
    text = search.strip()
    if entity == "deals":
        pattern = sql.Literal(contains_pattern(text))
        return sql.SQL("(t.name ILIKE {p} OR t.company_id IN (SELECT c.id FROM crm_companies c "
                       "WHERE c.name ILIKE {p}))").format(p=pattern)
    fn = {"contacts": "crm_match_contacts", "companies": "crm_match_companies"}[entity]
    return sql.SQL("t.id IN (SELECT m FROM {fn}({q}) m)").format(fn=sql.Identifier(fn), q=sql.Literal(text))


def export_query(entity: str, filters: list[Filter], *, safe: bool = True, as_text: bool = False,
                 search: str | None = None) -> sql.Composed:
    """SELECT of every export column of ``entity`` (extras joined in), filtered, and narrowed to what the
    entity's screen shows for ``search``. No ORDER BY: rows stream out as the server reads them, with no
    sort holding the whole result first."""
    view = view_of(entity)
    cols = columns(entity)
    joins: dict[tuple[str, str], str] = {}
    for c in cols:
        if c.source and (c.source[0], c.source[2]) not in joins:
            joins[(c.source[0], c.source[2])] = f"j{len(joins)}"

    def ref(c: Column) -> sql.Composable:
        if c.source:
            return sql.Identifier(joins[(c.source[0], c.source[2])], c.source[1])
        return sql.Identifier("t", c.name)

    def out(c: Column) -> sql.Composable:
        e = ref(c)
        if as_text and not c.is_text:
            e = sql.SQL("{}::text").format(e)
        return _cell(c, e, safe=safe)

    join_sql = []
    for (jview, key), alias in joins.items():
        target = "stage_id" if jview == "crm_pipeline" else "id"
        join_sql.append(sql.SQL(" LEFT JOIN {v} {a} ON {a}.{k} = t.{key}").format(
            v=sql.Identifier(jview), a=sql.Identifier(alias), k=sql.Identifier(target), key=sql.Identifier(key)))
    where = _where(filters, ref)
    searched = search_condition(entity, search)
    if searched is not None:
        where = (where + sql.SQL(" AND ") if filters else sql.SQL(" WHERE ")) + searched
    query = sql.SQL("SELECT {cols} FROM {view} t{joins}{where}").format(
        cols=sql.SQL(", ").join(out(c) for c in cols), view=sql.Identifier(view),
        joins=sql.SQL("").join(join_sql), where=where)
    return query


# An export streams for as long as the file takes to write; the interactive statement timeout does not apply.
EXPORT_TIMEOUT = "1h"
_NO_SHORT_TIMEOUT = "SELECT set_config('statement_timeout', %s, true)"


class ExportsRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def copy_csv(self, entity: str, filters: list[Filter], write: Callable[[bytes], Any], *,
                       search: str | None = None) -> int:
        """Stream the rows as CSV (no header) into ``write``; returns the row count."""
        self.db.require_scope()
        query = export_query(entity, filters, search=search)
        async with self.db.tx("readonly") as conn:
            await conn.execute(_NO_SHORT_TIMEOUT, (EXPORT_TIMEOUT,))
            cur = conn.cursor()
            async with cur.copy(sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)) as cp:
                async for chunk in cp:
                    write(bytes(chunk))
            return max(cur.rowcount, 0)

    async def rows(self, entity: str, filters: list[Filter], *, batch: int = 2000,
                   search: str | None = None) -> AsyncIterator[tuple[Any, ...]]:
        """The rows as tuples, fetched in batches (a server-side cursor: memory stays flat)."""
        self.db.require_scope()
        query = export_query(entity, filters, search=search)
        async with self.db.tx("readonly") as conn:
            await conn.execute(_NO_SHORT_TIMEOUT, (EXPORT_TIMEOUT,))
            async with conn.cursor(name="cockpit_export") as cur:
                cur.itersize = batch
                await cur.execute(query)
                async for row in cur:
                    yield row

    async def count(self, entity: str, filters: list[Filter], *, search: str | None = None) -> int:
        self.db.require_scope()
        query = export_query(entity, filters, search=search)
        async with self.db.tx("readonly") as conn:
            await conn.execute(_NO_SHORT_TIMEOUT, (EXPORT_TIMEOUT,))
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM ({}) q").format(query))
            row = await cur.fetchone()
        return int(row[0]) if row else 0
