"""Generate Layer 2 — the stable views, their write triggers and functions — from ``redkey.workspaces``.

Layer 1 has one schema per Twenty workspace, so every view is a ``UNION ALL`` with one branch per
workspace, each carrying its constant ``client_id`` and gated on ``redkey.current_client_id()`` (an
unscoped session sees nothing). The branch bodies come from :class:`WorkspaceShape`, so when a Twenty
upgrade renames a column only this generated SQL changes; the view columns — the contract in
``CONTRACT`` — never do.

Writes: ``crm_contacts``, ``crm_companies``, ``crm_deals`` and ``crm_activities`` have INSTEAD OF
triggers (SECURITY DEFINER) that route each column to where it lives: Twenty's table or RedKey's
extension table. *Who* may write *which* column is decided before the trigger runs, by column
privileges on the view: operational fields to ``redkey_operational``, strategic ones to
``redkey_strategic``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.db.layer1 import WorkspaceShape

# ------------------------------------------------------------------------------------------------
# The contract: view -> ordered (column, type). Column names are the API and never change.

CONTRACT: dict[str, list[tuple[str, str]]] = {
    "crm_contacts": [
        ("id", "uuid"), ("client_id", "text"), ("first_name", "text"), ("last_name", "text"),
        ("full_name", "text"), ("email", "text"), ("phone", "text"), ("job_title", "text"),
        ("city", "text"), ("company_id", "uuid"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("last_activity_at", "timestamptz"), ("enriched_at", "timestamptz"), ("email_thread_count", "integer"),
        ("open_count", "integer"), ("linkedin_url", "text"), ("company_size", "text"), ("industry", "text"),
        ("sequence_step", "integer"), ("sequence_enrolled_at", "timestamptz"),
        ("priority", "text"), ("strategy_note", "text"), ("relationship_note", "text"), ("recontact_at", "date"),
    ],
    "crm_companies": [
        ("id", "uuid"), ("client_id", "text"), ("name", "text"), ("domain", "text"), ("employees", "integer"),
        ("city", "text"), ("country", "text"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("linkedin_url", "text"), ("company_size", "text"), ("industry", "text"), ("enriched_at", "timestamptz"),
        ("last_activity_at", "timestamptz"),
        ("priority", "text"), ("strategy_note", "text"), ("relationship_note", "text"), ("recontact_at", "date"),
    ],
    "crm_deals": [
        ("id", "uuid"), ("client_id", "text"), ("name", "text"), ("amount", "numeric"), ("currency", "text"),
        ("close_date", "date"), ("stage_id", "text"), ("company_id", "uuid"), ("contact_id", "uuid"),
        ("position", "double precision"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("last_activity_at", "timestamptz"),
        ("priority", "text"), ("strategy_note", "text"), ("recontact_at", "date"),
    ],
    "crm_activities": [
        ("id", "uuid"), ("client_id", "text"), ("occurred_at", "timestamptz"), ("kind", "text"),
        ("channel", "text"), ("direction", "text"), ("subject", "text"), ("summary", "text"),
        ("contact_id", "uuid"), ("company_id", "uuid"), ("deal_id", "uuid"), ("source", "text"),
        ("external_id", "text"), ("properties", "jsonb"),
    ],
    "crm_pipeline": [
        ("client_id", "text"), ("stage_id", "text"), ("label", "text"), ("position", "integer"),
        ("color", "text"), ("is_closed", "boolean"),
    ],
}

# Field ownership: who may UPDATE which view column.
OPERATIONAL = {
    "crm_contacts": ["first_name", "last_name", "email", "phone", "job_title", "city", "company_id",
                     "last_activity_at", "enriched_at", "email_thread_count", "open_count", "linkedin_url",
                     "company_size", "industry", "sequence_step", "sequence_enrolled_at"],
    "crm_companies": ["name", "domain", "employees", "city", "country", "linkedin_url", "company_size",
                      "industry", "enriched_at", "last_activity_at"],
    "crm_deals": ["name", "amount", "currency", "close_date", "company_id", "contact_id", "position",
                  "last_activity_at"],
    "crm_activities": ["subject", "summary", "properties", "channel", "direction"],
}
STRATEGIC = {
    "crm_contacts": ["priority", "strategy_note", "relationship_note", "recontact_at"],
    "crm_companies": ["priority", "strategy_note", "relationship_note", "recontact_at"],
    "crm_deals": ["stage_id", "priority", "strategy_note", "recontact_at"],
}
# Columns of RedKey's extension tables per view (everything else lives in Layer 1 or is derived).
EXT_COLUMNS = {
    "crm_contacts": ["last_activity_at", "enriched_at", "email_thread_count", "open_count", "company_size",
                     "industry", "sequence_step", "sequence_enrolled_at", "priority", "strategy_note",
                     "relationship_note", "recontact_at"],
    "crm_companies": ["company_size", "industry", "enriched_at", "last_activity_at", "priority",
                      "strategy_note", "relationship_note", "recontact_at"],
    "crm_deals": ["last_activity_at", "priority", "strategy_note", "recontact_at"],
}
EXT_TABLE = {"crm_contacts": "redkey.contact_ext", "crm_companies": "redkey.company_ext",
             "crm_deals": "redkey.deal_ext"}
L1_TABLE = {"crm_contacts": "person", "crm_companies": "company", "crm_deals": "opportunity"}

DEFAULT_STAGE_COLORS = ["red", "purple", "sky", "turquoise", "yellow", "green", "orange", "blue", "pink", "gray"]


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a literal."""
    return "'" + value.replace("'", "''") + "'"


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


def contact_exprs(w: Workspace) -> dict[str, str]:
    s = w.shape
    phone_num = s.pick("person", "phonesPrimaryPhoneNumber")
    phone_cc = s.pick("person", "phonesPrimaryPhoneCallingCode")
    if phone_num and phone_cc:
        phone = (f"nullif(btrim(p.{q(phone_cc)} || ' ' || p.{q(phone_num)}), '')")
    else:
        phone = _opt(s, "person", "p", "phonesPrimaryPhoneNumber")
    return {
        "id": "p.id",
        "client_id": lit(w.client_id),
        "first_name": """nullif(p."nameFirstName", '')""",
        "last_name": """nullif(p."nameLastName", '')""",
        "full_name": full_name_expr("p"),
        "email": """nullif(p."emailsPrimaryEmail", '')""",
        "phone": phone,
        "job_title": _opt(s, "person", "p", "jobTitle"),
        "city": _opt(s, "person", "p", "city"),
        "company_id": """p."companyId\"""",
        "created_at": """p."createdAt\"""",
        "updated_at": """greatest(p."updatedAt", x.updated_at)""",
        "email_thread_count": "coalesce(x.email_thread_count, 0)",
        "open_count": "coalesce(x.open_count, 0)",
        "linkedin_url": _opt(s, "person", "p", "linkedinLinkPrimaryLinkUrl"),
        **{c: f"x.{c}" for c in EXT_COLUMNS["crm_contacts"] if c not in ("email_thread_count", "open_count")},
    }


def company_exprs(w: Workspace) -> dict[str, str]:
    s = w.shape
    return {
        "id": "p.id",
        "client_id": lit(w.client_id),
        "name": """nullif(p.name, '')""",
        "domain": r"""nullif(regexp_replace(lower(p."domainNamePrimaryLinkUrl"), '^([a-z]+://)?(www\.)?([^/?#]*).*$', '\3'), '')""",
        "employees": ("round(p.employees)::integer" if s.has("company", "employees") else "NULL"),
        "city": _opt(s, "company", "p", "addressAddressCity"),
        "country": _opt(s, "company", "p", "addressAddressCountry"),
        "created_at": """p."createdAt\"""",
        "updated_at": """greatest(p."updatedAt", x.updated_at)""",
        "linkedin_url": _opt(s, "company", "p", "linkedinLinkPrimaryLinkUrl"),
        **{c: f"x.{c}" for c in EXT_COLUMNS["crm_companies"]},
    }


def deal_exprs(w: Workspace) -> dict[str, str]:
    return {
        "id": "p.id",
        "client_id": lit(w.client_id),
        "name": """nullif(p.name, '')""",
        "amount": """round(p."amountAmountMicros" / 1000000.0, 2)""",
        "currency": """nullif(p."amountCurrencyCode", '')""",
        "close_date": """(p."closeDate" AT TIME ZONE 'UTC')::date""",
        "stage_id": "p.stage::text",
        "company_id": """p."companyId\"""",
        "contact_id": """p."pointOfContactId\"""",
        "position": "p.position",
        "created_at": """p."createdAt\"""",
        "updated_at": """greatest(p."updatedAt", x.updated_at)""",
        **{c: f"x.{c}" for c in EXT_COLUMNS["crm_deals"]},
    }


EXPRS = {"crm_contacts": contact_exprs, "crm_companies": company_exprs, "crm_deals": deal_exprs}


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
        f"LEFT JOIN {EXT_TABLE[view]} x ON x.client_id = {lit(w.client_id)} AND x.record_id = p.id\n"
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
        f"WHERE a.attrelid = '{q(w.schema)}.opportunity'::regclass AND a.attname = 'stage' AND {_gate(w)}"
    )


def view_sql(view: str, workspaces: list[Workspace]) -> str:
    if view == "crm_activities":
        branches = [REDKEY_ACTIVITY_BRANCH] + [b for w in workspaces for b in activity_branches(w)]
    elif view == "crm_pipeline":
        branches = [pipeline_branch(w) for w in workspaces] or [_empty(view)]
    else:
        branches = [record_branch(view, w) for w in workspaces] or [_empty(view)]
    body = "\nUNION ALL\n".join(branches)
    return f"CREATE OR REPLACE VIEW public.{view} AS\n{body}"
