"""Generate Layer 2 — the stable views, their write triggers and functions — from ``redkey.workspaces``.

Layer 1 has one schema per Twenty workspace, so every view is a ``UNION ALL`` with one branch per
workspace, each carrying its constant ``client_id`` and gated on ``redkey.current_client_id()`` (an
unscoped session sees nothing). Each client's views live in its own schema
(:mod:`cockpit.db.client_schemas`); ``public``'s read those through groups of clients
(:mod:`cockpit.db.client_groups`). The branch bodies come from :class:`WorkspaceShape`, so when a Twenty
upgrade renames a column only this generated SQL changes; the view columns — the contract, taken
from the field registry (:mod:`cockpit.fields`) — never do. Every identifier and literal is quoted by
``psycopg.sql``.

Writes: ``crm_contacts``, ``crm_companies``, ``crm_deals`` and ``crm_activities`` have INSTEAD OF
triggers (SECURITY DEFINER; public's hand each row to the session's client's schema,
:mod:`cockpit.db.dispatch`) that route each column to where it lives: Twenty's table or RedKey's
extension table. *Who* may write *which* column is decided before the trigger runs, by column
privileges on the view generated from the registry: identity and operational fields to
``redkey_operational``, strategic fields and deal terms to ``redkey_strategic``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from psycopg import sql

from cockpit.db import custom_fields
from cockpit.db.layer1 import WorkspaceShape
from cockpit.fields import VIEWS, Field, ext_columns, fields_of, updatable_by

# ------------------------------------------------------------------------------------------------
# The contract, derived from the field registry: view -> ordered (column, type). Column names are the
# API and never change.

CONTRACT: dict[str, list[tuple[str, str]]] = {
    view: [(f.name, f.type) for f in fields_of(view)] for view in VIEWS}
RECORD_VIEWS = tuple(v.name for v in VIEWS.values() if v.ext_table)
# Who may UPDATE which view column (column privileges are generated from these).
OPERATIONAL = {view: updatable_by("operational", view) for view in VIEWS if updatable_by("operational", view)}
STRATEGIC = {view: updatable_by("strategic", view) for view in VIEWS if updatable_by("strategic", view)}
# Columns of RedKey's extension tables per view (everything else lives in Layer 1 or is derived).
EXT_COLUMNS = {view: ext_columns(view) for view in RECORD_VIEWS}
EXT_TABLE = {view: VIEWS[view].ext_table for view in RECORD_VIEWS}
L1_TABLE = {view: VIEWS[view].l1_table for view in RECORD_VIEWS}

DEFAULT_STAGE_COLORS = ["red", "purple", "sky", "turquoise", "yellow", "green", "orange", "blue", "pink", "gray"]


@functools.lru_cache(maxsize=8192)
def q(name: str) -> str:
    """An identifier, quoted by psycopg (cached: a generation over 200 workspaces quotes the same few
    hundred names tens of thousands of times)."""
    return sql.Identifier(name).as_string()


@functools.lru_cache(maxsize=8192)
def lit(value: str) -> str:
    """A string literal, quoted by psycopg."""
    return sql.Literal(value).as_string()


def ext_table(view: str) -> str:
    schema, table = EXT_TABLE[view].split(".")  # type: ignore[union-attr]
    return f"{q(schema)}.{q(table)}"


def client_schema(client_id: str) -> str:
    """The schema holding a client's single-branch views (same as SQL ``redkey.client_schema``)."""
    if re.fullmatch(r"[a-z0-9_]{1,56}", client_id):
        return "client_" + client_id
    return ("client_" + re.sub(r"[^a-z0-9_]", "_", client_id.lower())[:47] + "_"
            + hashlib.sha256(client_id.encode()).hexdigest()[:8])


@dataclass(frozen=True)
class Workspace:
    schema: str
    client_id: str
    shape: WorkspaceShape


# ------------------------------------------------------------------------------------------------
# Read expressions per view (alias p = Layer 1 row, x = extension row)

def _opt(shape: WorkspaceShape, table: str, alias: str, *candidates: str, blank_is_null: bool = True) -> str:
    col = shape.pick(table, *candidates)
    if col is None:
        return "NULL"
    ref = f"{alias}.{q(col)}"
    return f"nullif({ref}, '')" if blank_is_null else ref


def full_name_expr(alias: str = "p") -> str:
    """The indexable expression behind crm_contacts.full_name (also used by the sort index)."""
    return f"""btrim({alias}."nameFirstName" || ' ' || {alias}."nameLastName")"""


def _phone(w: Workspace) -> str:
    num = w.shape.pick("person", "phonesPrimaryPhoneNumber")
    cc = w.shape.pick("person", "phonesPrimaryPhoneCallingCode")
    if num and cc:
        return f"nullif(btrim(p.{q(cc)} || ' ' || p.{q(num)}), '')"
    return _opt(w.shape, "person", "p", "phonesPrimaryPhoneNumber")


DOMAIN = r"""nullif(regexp_replace(lower(p."domainNamePrimaryLinkUrl"), '^([a-z]+://)?(www\.)?([^/?#]*).*$', '\3'), '')"""

def named_columns(view: str) -> set[str]:
    """The Layer 1 columns the contract reads for ``view`` (everything else may be custom)."""
    return {c for f in fields_of(view) for c in f.l1}  # the phone's calling code is a standard column


# Columns whose read is more than "the Layer 1 column (blank as NULL) or the extension column".
READ_OVERRIDES: dict[tuple[str, str], Callable[[Workspace], str]] = {
    ("crm_contacts", "full_name"): lambda w: full_name_expr("p"),
    ("crm_contacts", "phone"): _phone,
    ("crm_companies", "domain"): lambda w: DOMAIN,
    ("crm_companies", "employees"): lambda w: (
        "round(p.employees)::integer" if w.shape.has("company", "employees") else "NULL"),
    ("crm_deals", "amount"): lambda w: """round(p."amountAmountMicros" / 1000000.0, 2)""",
    ("crm_deals", "close_date"): lambda w: """(p."closeDate" AT TIME ZONE 'UTC')::date""",
    ("crm_deals", "stage_id"): lambda w: "p.stage::text",
    **{(view, "custom"): (lambda w, view=view: custom_fields.custom_expr(view, w, named_columns(view)))
       for view in custom_fields.CUSTOM_TABLES},
}


def read_expr(view: str, f: Field, w: Workspace) -> str:
    """The SQL reading one registry field in one workspace's branch (p = Layer 1 row, x = extension row)."""
    override = READ_OVERRIDES.get((view, f.name))
    if override is not None:
        return override(w)
    if f.name == "client_id":
        return lit(w.client_id)
    if f.name == "updated_at":
        return """greatest(p."updatedAt", x.updated_at)"""
    if f.ext:
        return f"x.{q(f.name)}" if f.default is None else f"coalesce(x.{q(f.name)}, {f.default})"
    if f.l1:
        return _opt(w.shape, L1_TABLE[view], "p", *f.l1, blank_is_null=f.type == "text")  # type: ignore[arg-type]
    raise ValueError(f"{view}.{f.name} has no Layer 1 column, extension column or read expression")


def record_exprs(view: str, w: Workspace) -> dict[str, str]:
    return {f.name: read_expr(view, f, w) for f in fields_of(view)}


EXPRS: dict[str, Callable[[Workspace], dict[str, str]]] = {
    view: (lambda w, view=view: record_exprs(view, w)) for view in RECORD_VIEWS}  # type: ignore[misc]


def _select_list(view: str, exprs: dict[str, str]) -> str:
    return ",\n       ".join(f"({exprs[col]})::{typ} AS {col}" for col, typ in CONTRACT[view])


def _gate(w: Workspace) -> str:
    return f"redkey.current_client_id() = {lit(w.client_id)}"


def record_branch(view: str, w: Workspace, extra_where: str = "") -> str:
    """One workspace's SELECT for a single-record view (contacts, companies, deals)."""
    table = L1_TABLE[view]
    exprs = EXPRS[view](w)
    where = f"""p."deletedAt" IS NULL AND {_gate(w)}"""
    if extra_where:
        where += f" AND {extra_where}"
    return (
        f"SELECT {_select_list(view, exprs)}\n"
        f"FROM {q(w.schema)}.{q(table)} p\n"
        f"LEFT JOIN {ext_table(view)} x ON x.client_id = {lit(w.client_id)} AND x.record_id = p.id\n"
        f"WHERE {where}"
    )


def _empty(view: str) -> str:
    return "SELECT " + ", ".join(f"NULL::{typ} AS {col}" for col, typ in CONTRACT[view]) + " WHERE false"


def activity_branches(w: Workspace) -> list[str]:
    s = w.shape
    ta_person = s.pick("timelineActivity", "targetPersonId", "personId")
    ta_company = s.pick("timelineActivity", "targetCompanyId", "companyId")
    ta_opp = s.pick("timelineActivity", "targetOpportunityId", "opportunityId")
    kind = (
        "CASE WHEN t.name LIKE '%calendarEvent%' THEN 'meeting'"
        " WHEN t.name LIKE '%message%' THEN 'email_received'"
        " WHEN t.name LIKE 'linked-task.%' THEN 'task'"
        " WHEN t.name LIKE '%.created' THEN 'record_created'"
        " WHEN t.name LIKE '%.updated' THEN 'record_updated'"
        " WHEN t.name LIKE '%.deleted' THEN 'record_deleted'"
        " ELSE 'twenty_event' END"
    )
    timeline = {
        "id": "t.id", "client_id": lit(w.client_id), "occurred_at": 't."happensAt"', "kind": kind,
        "channel": "'twenty'", "direction": "'internal'", "subject": "nullif(t.name, '')",
        "summary": """nullif(t."linkedRecordCachedName", '')""" if s.has("timelineActivity", "linkedRecordCachedName") else "NULL",
        "contact_id": f"t.{q(ta_person)}", "company_id": f"t.{q(ta_company)}", "deal_id": f"t.{q(ta_opp)}",
        "source": "'twenty'", "external_id": "NULL", "properties": "coalesce(t.properties, '{}'::jsonb)",
    }
    nt_person = s.pick("noteTarget", "targetPersonId", "personId")
    nt_company = s.pick("noteTarget", "targetCompanyId", "companyId")
    nt_opp = s.pick("noteTarget", "targetOpportunityId", "opportunityId")
    body = s.pick("note", "bodyV2Markdown", "body")
    note = {
        "id": "n.id", "client_id": lit(w.client_id), "occurred_at": 'n."createdAt"', "kind": "'note'",
        "channel": "'note'", "direction": "'internal'", "subject": "nullif(n.title, '')",
        "summary": f"n.{q(body)}" if body else "NULL",
        "contact_id": "nt.person_id", "company_id": "nt.company_id", "deal_id": "nt.deal_id",
        "source": "'twenty'", "external_id": "NULL", "properties": "'{}'::jsonb",
    }
    ws = q(w.schema)
    return [
        f"SELECT {_select_list('crm_activities', timeline)}\n"
        f"FROM {ws}.\"timelineActivity\" t\n"
        f"WHERE t.\"deletedAt\" IS NULL AND t.name NOT LIKE 'linked-note.%' AND {_gate(w)}",
        f"SELECT {_select_list('crm_activities', note)}\n"
        f"FROM {ws}.note n\n"
        f"LEFT JOIN LATERAL (SELECT (array_agg(y.{q(nt_person)}) FILTER (WHERE y.{q(nt_person)} IS NOT NULL))[1] AS person_id,\n"
        f"       (array_agg(y.{q(nt_company)}) FILTER (WHERE y.{q(nt_company)} IS NOT NULL))[1] AS company_id,\n"
        f"       (array_agg(y.{q(nt_opp)}) FILTER (WHERE y.{q(nt_opp)} IS NOT NULL))[1] AS deal_id\n"
        f"    FROM {ws}.\"noteTarget\" y WHERE y.\"noteId\" = n.id AND y.\"deletedAt\" IS NULL) nt ON true\n"
        f"WHERE n.\"deletedAt\" IS NULL AND {_gate(w)}",
    ]


REDKEY_ACTIVITY_BRANCH = (
    "SELECT " + ", ".join(f"a.{c}::{t} AS {c}" for c, t in CONTRACT["crm_activities"])
    + "\nFROM redkey.activities a\nWHERE a.client_id = redkey.current_client_id()"
)


def client_activity_branch(client_id: str) -> str:
    """RedKey's activities of one client, shown only to a session scoped to it."""
    return (REDKEY_ACTIVITY_BRANCH.rsplit("WHERE", 1)[0]
            + f"WHERE a.client_id = {lit(client_id)} AND redkey.current_client_id() = {lit(client_id)}")


def pipeline_branch(w: Workspace) -> str:
    """Stage vocabulary: the opportunity.stage enum of the workspace, in enum order, with RedKey's
    per-client overrides (label, colour, closed) joined in."""
    colors = "ARRAY[" + ", ".join(lit(c) for c in DEFAULT_STAGE_COLORS) + "]"
    return (
        f"SELECT {lit(w.client_id)}::text AS client_id, (e.enumlabel::text COLLATE pg_catalog.default) AS stage_id,\n"
        f"       (coalesce(s.label, initcap(replace(lower(e.enumlabel::text), '_', ' '))) COLLATE pg_catalog.default)::text AS label,\n"
        f"       (row_number() OVER (ORDER BY e.enumsortorder) - 1)::integer AS position,\n"
        f"       coalesce(s.color, ({colors})[1 + ((row_number() OVER (ORDER BY e.enumsortorder) - 1) % {len(DEFAULT_STAGE_COLORS)})::integer])::text AS color,\n"
        f"       coalesce(s.is_closed, false)::boolean AS is_closed\n"
        f"FROM pg_catalog.pg_attribute a\n"
        f"JOIN pg_catalog.pg_enum e ON e.enumtypid = a.atttypid\n"
        f"LEFT JOIN redkey.stage_settings s ON s.client_id = {lit(w.client_id)} AND s.stage_id = e.enumlabel::text\n"
        f"WHERE a.attrelid = {lit(q(w.schema) + '.' + q('opportunity'))}::regclass AND a.attname = 'stage'"
        f" AND {_gate(w)}"
    )


def view_sql(view: str, workspaces: list[Workspace], ns: str = "public") -> str:
    """The view over ``workspaces`` in schema ``ns``: public (every client, a branch per workspace) or
    a client's own schema (that client's workspaces only)."""
    if view == "crm_activities":
        head = REDKEY_ACTIVITY_BRANCH if ns == "public" else client_activity_branch(workspaces[0].client_id)
        branches = [head] + [b for w in workspaces for b in activity_branches(w)]
    elif view == "crm_pipeline":
        branches = [pipeline_branch(w) for w in workspaces] or [_empty(view)]
    elif view not in RECORD_VIEWS:
        from cockpit.db.notes_tasks import branches as object_branches
        branches = object_branches(view, workspaces)
    else:
        branches = [record_branch(view, w) for w in workspaces] or [_empty(view)]
    body = "\nUNION ALL\n".join(branches)
    return f"CREATE OR REPLACE VIEW {q(ns)}.{view} AS\n{body}"
