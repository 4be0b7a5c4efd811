"""What the data says about who does the CRM's work: Twenty or the cockpit and arlo.

Reads, for the session's client, the writes of a recent window by who made them:

- Twenty's own tables (the client's workspace schemas, found in ``redkey.workspaces`` and the catalog):
  the ACTOR columns (``createdBy*``, ``updatedBy*`` where the release has them) tell a row the cockpit or
  arlo wrote (stamped by the write triggers, see :mod:`cockpit.db.actor`) from one Twenty wrote (its UI
  ``MANUAL``, its import ``IMPORT``, its mail and calendar sync ``EMAIL``/``CALENDAR``, workflows, other
  API clients). ``timelineActivity`` is Twenty's event log: only Twenty writes ``<object>.updated`` rows,
  so they count Twenty's edits where a release has no ``updatedBy*``.
- RedKey's own log and audit tables: activities by source, strategic changes, import batches, the mail
  and calendar sync bookkeeping.
- Twenty's mail and calendar channels (``messageChannel``/``calendarChannel``) and their sync status, and
  the custom objects (tables prefixed ``_``) with their row counts.

Runs as the owner login (Layer 1's actor columns are not part of the stable views); every statement is
limited to the scoped client's workspaces and rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from psycopg import AsyncConnection

from cockpit.db.actor import ARLO_NAME, NAMES, SOURCE
from cockpit.db.views import q
from cockpit.store.core import Db

# Areas whose records live in one Twenty table each.
RECORD_AREAS = {"pipeline": "opportunity", "people": "person", "companies": "company", "notes": "note",
                "tasks": "task"}
VIEW_OF = {"crm_deals": "pipeline", "crm_contacts": "people", "crm_companies": "companies"}
STABLE_VIEWS = ("crm_contacts", "crm_companies", "crm_deals", "crm_pipeline", "crm_activities", "crm_notes",
                "crm_tasks")
FUNCTIONS = ("crm_search_contacts(text, integer, text, uuid)", "crm_search_companies(text, integer, text, uuid)",
             "crm_search_deals(text, integer, text, uuid)", "crm_move_deal(uuid, text)")
# Twenty's ACTOR sources, as the report names them.
TWENTY_SOURCES = {"MANUAL": "Twenty UI", "IMPORT": "Twenty import", "EMAIL": "Twenty mail sync",
                  "CALENDAR": "Twenty calendar sync", "WORKFLOW": "Twenty workflow", "AGENT": "Twenty AI agent",
                  "API": "Twenty API", "SYSTEM": "Twenty system", "WEBHOOK": "Twenty webhook"}


@dataclass
class Channel:
    """One of Twenty's mail or calendar channels."""

    handle: str
    enabled: bool | None
    status: str | None
    synced_at: datetime | None


@dataclass
class CustomObject:
    schema: str
    table: str
    rows: int
    recent_rows: int  # created in the window


@dataclass
class CoverageData:
    since: datetime
    now: datetime
    workspaces: list[str] = field(default_factory=list)
    views: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    twenty: dict[str, Counter[str]] = field(default_factory=dict)  # area -> who in Twenty -> writes
    ours: dict[str, Counter[str]] = field(default_factory=dict)  # area -> cockpit / arlo / source -> writes
    channels: dict[str, list[Channel]] = field(default_factory=dict)  # "email"/"calendar" -> Twenty's channels
    last_sync: dict[str, datetime | None] = field(default_factory=dict)  # the cockpit's own last sync
    custom_objects: list[CustomObject] = field(default_factory=list)

    def add(self, side: str, area: str, who: str, n: int) -> None:
        if n:
            book = self.twenty if side == "twenty" else self.ours
            book.setdefault(area, Counter())[who] += n


_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p')
"""


class CoverageRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def gather(self, *, days: int = 30, now: datetime | None = None) -> CoverageData:
        """Everything the coverage report needs for the scoped client, in one transaction."""
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            if now is None:
                now = (await (await conn.execute("SELECT now()")).fetchone())[0]  # type: ignore[index]
            data = CoverageData(since=now - timedelta(days=days), now=now)
            cur = await conn.execute("SELECT schema_name FROM redkey.workspaces WHERE client_id = %s "
                                     "ORDER BY added_at, schema_name", (client,))
            data.workspaces = [r[0] for r in await cur.fetchall()]
            cur = await conn.execute(
                "SELECT v FROM unnest(%s::text[]) v WHERE to_regclass('public.' || v) IS NOT NULL", (list(STABLE_VIEWS),))
            data.views = {r[0] for r in await cur.fetchall()}
            cur = await conn.execute(
                "SELECT f FROM unnest(%s::text[]) f WHERE to_regprocedure('public.' || f) IS NOT NULL", (list(FUNCTIONS),))
            data.functions = {r[0].split("(")[0] for r in await cur.fetchall()}
            cur = await conn.execute(_COLUMNS, (data.workspaces,))
            tables: dict[str, dict[str, set[str]]] = {}
            for schema, table, column in await cur.fetchall():
                tables.setdefault(schema, {}).setdefault(table, set()).add(column)
            for schema in data.workspaces:
                await self._workspace(conn, data, schema, tables.get(schema, {}))
            await self._redkey(conn, data, client)
        return data

    # --- Twenty's tables --------------------------------------------------------------------------
    async def _workspace(self, conn: AsyncConnection, data: CoverageData, schema: str,
                         tables: dict[str, set[str]]) -> None:
        ws = q(schema)
        since = data.since
        for area, table in RECORD_AREAS.items():
            cols = tables.get(table, set())
            if not cols:
                continue
            src = f"{ws}.{q(table)}"
            for kind, prefix, when in (("created", "createdBy", '"createdAt"'),
                                       ("updated", "updatedBy", '"updatedAt"')):
                if f"{prefix}Source" not in cols or f"{prefix}Name" not in cols:
                    continue
                extra = ' AND "updatedAt" > "createdAt"' if kind == "updated" else ""
                cur = await conn.execute(
                    f'SELECT "{prefix}Source"::text, "{prefix}Name", count(*) FROM {src} '  # type: ignore[arg-type]
                    f"WHERE {when} >= %s{extra} GROUP BY 1, 2", (since,))
                for source, name, n in await cur.fetchall():
                    self._count(data, area, kind, source, name, n)
            if "updatedBySource" not in cols and "timelineActivity" in tables:
                # Twenty logs its own edits in its timeline; the cockpit's writes never pass through it
                cur = await conn.execute(
                    f'SELECT count(*) FROM {ws}."timelineActivity" WHERE name = %s AND "happensAt" >= %s',  # type: ignore[arg-type]
                    (f"{table}.updated", since))
                data.add("twenty", area, "updated in Twenty (timeline)", (await cur.fetchone())[0])  # type: ignore[index]
        if "timelineActivity" in tables:
            await self._timeline(conn, data, ws, tables)
        for kind, channel, item in (("email", "messageChannel", "message"),
                                    ("calendar", "calendarChannel", "calendarEvent")):
            if channel in tables:
                data.channels.setdefault(kind, []).extend(await self._channels(conn, ws, channel, tables[channel]))
            if "createdAt" in tables.get(item, set()):
                cur = await conn.execute(f'SELECT count(*) FROM {ws}.{q(item)} WHERE "createdAt" >= %s', (since,))  # type: ignore[arg-type]
                data.add("twenty", f"{kind} sync", f"{item} rows synced by Twenty", (await cur.fetchone())[0])  # type: ignore[index]
        for table, cols in sorted(tables.items()):
            if table.startswith("_"):
                recent = '"createdAt" >= %s' if "createdAt" in cols else "false"
                deleted = ' WHERE "deletedAt" IS NULL' if "deletedAt" in cols else ""
                cur = await conn.execute(
                    f"SELECT (SELECT count(*) FROM {ws}.{q(table)}{deleted}), "  # type: ignore[arg-type]
                    f"(SELECT count(*) FROM {ws}.{q(table)} WHERE {recent})", (since,) if "createdAt" in cols else ())
                rows, recent_rows = await cur.fetchone()  # type: ignore[misc]
                data.custom_objects.append(CustomObject(schema, table, rows, recent_rows))

    @staticmethod
    def _count(data: CoverageData, area: str, kind: str, source: str | None, name: str | None, n: int) -> None:
        did = "created" if kind == "created" else "last edited"
        if source == SOURCE and name in NAMES:
            data.add("ours", area, f"{did} by {'arlo' if name == ARLO_NAME else 'cockpit'}", n)
            return
        who = TWENTY_SOURCES.get(source or "", f"Twenty ({source})")
        # Twenty's UI names the workspace member; a MANUAL row without a name was written past Twenty (SQL,
        # or the cockpit before it stamped its writes) and is counted as Twenty's: when unsure, Twenty stays
        unnamed = source == "MANUAL" and not name
        data.add("twenty", area, f"{did} by {who}" + (", no author recorded" if unnamed else ""), n)
        if source == "IMPORT":
            data.add("twenty", "import", f"{area} {'imported' if kind == 'created' else 'updated'} by Twenty's import", n)
        elif source in ("EMAIL", "CALENDAR"):
            data.add("twenty", "email sync" if source == "EMAIL" else "calendar sync",
                     f"{area} {did} by {who}", n)

    async def _timeline(self, conn: AsyncConnection, data: CoverageData, ws: str, tables: dict[str, set[str]]) -> None:
        """Twenty's timeline rows of the window, less the linked-note/task rows the cockpit writes beside
        its own notes and tasks (Twenty writes none for a row it did not write itself)."""
        stamped = [f'SELECT id FROM {ws}.{q(t)} WHERE "createdBySource"::text = %(src)s AND "createdByName" = ANY(%(names)s)'
                   for t in ("note", "task") if {"createdBySource", "createdByName"} <= tables.get(t, set())]
        ours = (f"""coalesce(t.name LIKE 'linked-%%' AND t."linkedRecordId" IN ({' UNION ALL '.join(stamped)}), false)"""
                if stamped and "linkedRecordId" in tables["timelineActivity"] else "false")
        cur = await conn.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({ours})), count(*) FILTER (WHERE {ours}) "  # type: ignore[arg-type]
            f'FROM {ws}."timelineActivity" t WHERE t."happensAt" >= %(since)s',
            {"since": data.since, "src": SOURCE, "names": list(NAMES)})
        twenty, cockpit = await cur.fetchone()  # type: ignore[misc]
        data.add("twenty", "timeline", "timeline events written by Twenty", twenty)
        data.add("ours", "timeline", "note/task links by the cockpit", cockpit)

    @staticmethod
    async def _channels(conn: AsyncConnection, ws: str, table: str, cols: set[str]) -> list[Channel]:
        def col(name: str, cast: str = "") -> str:
            return f"{q(name)}{cast}" if name in cols else "NULL"

        where = ' WHERE "deletedAt" IS NULL' if "deletedAt" in cols else ""
        cur = await conn.execute(
            f"SELECT {col('handle')}, {col('isSyncEnabled')}, {col('syncStatus', '::text')}, "  # type: ignore[arg-type]
            f"{col('syncedAt')} FROM {ws}.{q(table)}{where} ORDER BY 1")
        return [Channel(h or "", e, s, t) for h, e, s, t in await cur.fetchall()]

    # --- RedKey's tables ------------------------------------------------------------------------
    async def _redkey(self, conn: AsyncConnection, data: CoverageData, client: str) -> None:
        since = data.since
        cur = await conn.execute("SELECT source, count(*) FROM redkey.activities WHERE client_id = %s "
                                 "AND created_at >= %s GROUP BY 1", (client, since))
        for source, n in await cur.fetchall():
            data.add("ours", "timeline", f"{source} activities", n)
        # every stage change, however made, is logged once as a stage_change activity
        cur = await conn.execute(
            "SELECT source, count(*) FROM redkey.activities WHERE client_id = %s AND created_at >= %s "
            "AND kind = 'stage_change' GROUP BY 1", (client, since))
        for source, n in await cur.fetchall():
            data.add("ours", "pipeline", f"stage moves by {'arlo' if source == 'arlo' else 'cockpit'}", n)
        cur = await conn.execute("SELECT view_name, count(*) FROM redkey.strategic_changes WHERE client_id = %s "
                                 "AND changed_at >= %s AND field <> 'stage_id' GROUP BY 1", (client, since))
        for view, n in await cur.fetchall():
            data.add("ours", VIEW_OF.get(view, view), "fields set by Justin's instructions", n)
        # Justin's decisions on proposals (import rows, mail discoveries, merges, context), made in the cockpit
        cur = await conn.execute(
            "SELECT CASE WHEN p.batch_id IS NOT NULL THEN 'import' WHEN p.entity_type = 'company' THEN 'companies' "
            "WHEN p.entity_type = 'deal' THEN 'pipeline' ELSE 'people' END, count(*) "
            "FROM redkey.approval_decisions d JOIN redkey.proposals p ON p.proposal_id = d.proposal_ref "
            "WHERE d.client_id = %s AND d.decided_at >= %s GROUP BY 1", (client, since))
        for area, n in await cur.fetchall():
            data.add("ours", area, "proposals decided in the cockpit", n)
        cur = await conn.execute("SELECT count(*) FROM redkey.import_batches WHERE client_id = %s AND created_at >= %s",
                                 (client, since))
        data.add("ours", "import", "files imported by the cockpit", (await cur.fetchone())[0])  # type: ignore[index]
        cur = await conn.execute(
            "SELECT (SELECT max(synced_at) FROM redkey.mail_sync_state WHERE client_id = %(c)s), "
            "(SELECT count(*) FROM redkey.mail_messages WHERE client_id = %(c)s AND recorded_at >= %(s)s), "
            "(SELECT max(synced_at) FROM redkey.calendar_occurrences WHERE client_id = %(c)s), "
            "(SELECT count(*) FROM redkey.calendar_occurrences WHERE client_id = %(c)s AND synced_at >= %(s)s), "
            "(SELECT max(updated_at) FROM redkey.tasks WHERE client_id = %(c)s AND task_type = 'calendar_sync' "
            " AND status = 'complete')", {"c": client, "s": since})
        mail_at, mail_n, cal_at, cal_n, cal_task = await cur.fetchone()  # type: ignore[misc]
        data.last_sync["email"] = mail_at
        data.last_sync["calendar"] = max((t for t in (cal_at, cal_task) if t is not None), default=None)
        data.add("ours", "email sync", "messages synced by arlo", mail_n)
        data.add("ours", "calendar sync", "meetings synced by arlo", cal_n)
