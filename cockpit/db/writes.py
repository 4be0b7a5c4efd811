"""Generate the write side of Layer 2: INSTEAD OF triggers, crm_move_deal and the search functions.

Each trigger routes a view column to where it lives (Twenty's table or RedKey's extension table) and
touches only the columns the statement changed, so an operational write and a strategic write to the
same record never overwrite each other's fields, even when they race. Stage changes, however they are
made, are validated against crm_pipeline and logged as a ``stage_change`` activity (Twenty does not
log them).

What each column is and who writes it comes from the field registry (:mod:`cockpit.fields`): the routing,
the column privileges and the trigger's own INSERT check are generated from it. A trigger writes a
record under the record's own client (``OLD.client_id``), never under a scope changed since the row was
read.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from cockpit.db import custom_fields
from cockpit.db.actor import insert_actor, update_actor
from cockpit.db.views import (
    CONTRACT,
    EXPRS,
    EXT_COLUMNS,
    L1_TABLE,
    Workspace,
    _select_list,
    ext_table,
    full_name_expr,
    lit,
    q,
)
from cockpit.db.phones import with_phone_parts
from cockpit.fields import VIEWS, WRITE_ROLES, Field, fields_of

# pg_temp last: a session's temporary objects (a temp table named tsquery, say) cannot shadow what a
# SECURITY DEFINER body refers to.
SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_HEADER = f"""LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $fn$"""

_SCOPE_CHECK = """
    IF v_client IS NULL THEN
        RAISE EXCEPTION 'no client scope: this session is not scoped to a client'
            USING ERRCODE = '42501', HINT = 'set redkey.client_id (set_config) or use a JWT with a client_id claim';
    END IF;"""

# The row's own client, checked against the session's scope: a statement that changes its scope midway
# cannot route a write for one client's record into another client.
_ROW_CLIENT_CHECK = """
    IF TG_OP <> 'INSERT' AND OLD.client_id IS DISTINCT FROM v_client THEN
        RAISE EXCEPTION '% is a record of client %, but this session is now scoped to %', OLD.id, OLD.client_id, v_client
            USING ERRCODE = '42501', HINT = 'a statement must not change redkey.client_id while it writes';
    END IF;"""

# Who is writing: the role the session switched to, else the login (a SECURITY DEFINER body runs as its
# owner, so current_user says nothing about the caller).
_INVOKER = "coalesce(nullif(current_setting('role', true), 'none'), session_user)"

# Columns whose Layer 1 write is more than "the value (text: blank for NULL)".
WRITE_OVERRIDES: dict[tuple[str, str], str] = {
    ("crm_contacts", "first_name"): "coalesce(btrim(NEW.first_name), '')",
    ("crm_contacts", "last_name"): "coalesce(btrim(NEW.last_name), '')",
    ("crm_contacts", "email"): "coalesce(lower(btrim(NEW.email)), '')",
    ("crm_contacts", "phone"): "coalesce(btrim(NEW.phone), '')",
    ("crm_companies", "name"): "coalesce(btrim(NEW.name), '')",
    ("crm_companies", "domain"): ("CASE WHEN coalesce(btrim(NEW.domain), '') = '' THEN '' "
                                  "WHEN NEW.domain ~ '^[a-z]+://' THEN lower(btrim(NEW.domain)) "
                                  "ELSE 'https://' || lower(btrim(NEW.domain)) END"),
    ("crm_deals", "name"): "coalesce(btrim(NEW.name), '')",
    ("crm_deals", "amount"): "round(NEW.amount * 1000000)",
    ("crm_deals", "currency"): "coalesce(upper(NEW.currency), '')",
    ("crm_deals", "close_date"): "(NEW.close_date::timestamp AT TIME ZONE 'UTC')",
    ("crm_deals", "position"): "coalesce(NEW.position, 0)",
}


def write_expr(view: str, f: Field, w: Workspace) -> str:
    if (view, f.name) in WRITE_OVERRIDES:
        return WRITE_OVERRIDES[(view, f.name)]
    if view == "crm_deals" and f.name == "stage_id":
        return f"NEW.stage_id::{w.shape.stage_type or 'text'}"
    return f"coalesce(NEW.{f.name}, '')" if f.type == "text" else f"NEW.{f.name}"


@functools.lru_cache(maxsize=None)
def _l1_writable(view: str) -> tuple[Field, ...]:
    return tuple(f for f in fields_of(view) if f.l1 and f.writable)


def _l1_assignments(view: str, w: Workspace) -> dict[str, tuple[str, str]]:
    """Writable view column -> (Layer 1 column, SQL computing its new value from NEW), for the Layer 1
    columns this workspace has."""
    out: dict[str, tuple[str, str]] = {}
    for f in _l1_writable(view):
        l1 = w.shape.pick(L1_TABLE[view], *f.l1)  # type: ignore[arg-type]
        if l1:
            out[f.name] = (l1, write_expr(view, f, w))
    return out


def _l1_writes(view: str, w: Workspace) -> list[tuple[str, str, str]]:
    """(view column, Layer 1 column, SQL from NEW) for every Layer 1 column a write sets."""
    return with_phone_parts(view, w.shape, _l1_assignments(view, w))


def _changed(cols: list[str]) -> str:
    if not cols:
        return "false"
    return "(" + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in cols) + ")"


def _by_client(workspaces: list[Workspace]) -> dict[str, list[Workspace]]:
    grouped: dict[str, list[Workspace]] = defaultdict(list)
    for w in workspaces:
        grouped[w.client_id].append(w)
    return grouped


def _client_blocks(workspaces: list[Workspace], body) -> str:  # type: ignore[no-untyped-def]
    """IF v_client = 'a' THEN <body(a's workspaces)> ELSIF ... END IF; sets v_found."""
    parts = []
    for i, (client, wss) in enumerate(_by_client(workspaces).items()):
        kw = "IF" if i == 0 else "ELSIF"
        parts.append(f"    {kw} v_client = {lit(client)} THEN\n{body(wss)}")
    if not parts:
        return "    NULL;"
    return "\n".join(parts) + "\n    END IF;"


def _may(roles: tuple[str, ...]) -> str:
    return "(v_owner OR " + " OR ".join(f"v_{r}" for r in roles) + ")" if roles else "v_owner"


def insert_role_check(view: str, ns: str = "public") -> str:
    """What column grants cannot express: a role holding table-wide INSERT from elsewhere (a platform's
    default privileges) still sets only the columns the registry gives its role, and only a creator role
    creates records. The view's owner (migrations, the cockpit's owner session) may set anything."""
    creators = VIEWS[view].creators
    lines = [f"""        v_owner := pg_has_role(v_role, (SELECT c.relowner FROM pg_catalog.pg_class c
                                         WHERE c.oid = {lit(q(ns) + '.' + view)}::regclass), 'USAGE');""",
             *(f"        v_{r} := pg_has_role(v_role, 'redkey_{r}', 'USAGE');" for r in WRITE_ROLES),
             f"""        IF NOT {_may(creators)} THEN
            RAISE EXCEPTION '{view}: records are created under the {" or ".join(creators)} role, not as %', v_role
                USING ERRCODE = '42501', HINT = {lit(_creator_hint(view))};
        END IF;"""]
    for f in fields_of(view):
        roles = tuple(r for r in f.insert_roles if r in creators)
        if f.name in ("id", "client_id") or set(roles) == set(creators):
            continue
        what = {"system": "set by the system", "deal_terms": "one of the deal's terms"}.get(
            f.owner, f"an {f.owner} field" if f.owner[0] in "aeiou" else f"a {f.owner} field")
        lines.append(f"""        IF NEW.{f.name} IS NOT NULL AND NOT {_may(roles)} THEN
            RAISE EXCEPTION '{view}.{f.name} is {what}: % may not set it', v_role USING ERRCODE = '42501';
        END IF;""")
    return "\n".join(lines) + "\n"


def _creator_hint(view: str) -> str:
    if view == "crm_deals":
        return "a deal is created with its terms and stage, which are Justin's: create it under the strategic role"
    return "write as the " + " or ".join(VIEWS[view].creators) + " role"


# The change feed's kind for each record view (see redkey.notify_change): announced at commit on the
# client's change channel whatever column the write touched.
CHANGE_KIND = {"crm_deals": "deal", "crm_contacts": "contact", "crm_companies": "company"}


def _own_client_check(ns: str, workspaces: list[Workspace]) -> str:
    """In a client's own schema: the session must be scoped to that client."""
    if ns == "public" or not workspaces:
        return ""
    client = lit(workspaces[0].client_id)
    return f"""
    IF v_client <> {client} THEN
        RAISE EXCEPTION 'schema % holds the views of client %, but this session is scoped to %', {lit(ns)}, {client}, v_client
            USING ERRCODE = '42501';
    END IF;"""


def row_function(ns: str, view: str) -> str:
    """The function in a client's schema holding ``view``'s write logic: called by that schema's trigger
    and by public's (which passes the public row, cast to the client's row type)."""
    return f"{q(ns)}.{view}_write_row"


def trigger_head(ns: str, view: str, workspaces: list[Workspace]) -> str:
    """A client schema's write function's start (:func:`row_function`: the trigger's ``TG_OP``, ``NEW``
    and ``OLD`` as arguments): its declarations and the session's and the row's scope checks."""
    row = f"{q(ns)}.{view}"
    return f"""CREATE OR REPLACE FUNCTION {row_function(ns, view)}(tg_op text, new {row}, old {row}) RETURNS {row}
{_HEADER}
DECLARE
    v_client text := redkey.current_client_id();
    v_role text := {_INVOKER};
    v_owner boolean;
    v_operational boolean;
    v_strategic boolean;
    v_found boolean := false;
BEGIN
{_SCOPE_CHECK}{_own_client_check(ns, workspaces)}
{_ROW_CLIENT_CHECK}"""


def trigger_tail(ns: str, view: str) -> str:
    """After a client schema's write function: the INSTEAD OF trigger of ``ns.view``, which calls it."""
    row = f"{q(ns)}.{view}"
    fn = row_function(ns, view)
    return f"""
CREATE OR REPLACE FUNCTION {q(ns)}.{view}_write() RETURNS trigger
{_HEADER}
BEGIN
    RETURN {fn}(TG_OP, NEW, OLD);
END
$fn$;
REVOKE ALL ON FUNCTION {fn}(text, {row}, {row}) FROM PUBLIC;
REVOKE ALL ON FUNCTION {q(ns)}.{view}_write() FROM PUBLIC;
DROP TRIGGER IF EXISTS {view}_write ON {row};
CREATE TRIGGER {view}_write INSTEAD OF INSERT OR UPDATE OR DELETE ON {row}
    FOR EACH ROW EXECUTE FUNCTION {q(ns)}.{view}_write();
"""


def record_trigger(view: str, workspaces: list[Workspace], ns: str) -> str:
    """The write function and INSTEAD OF trigger of a client's schema's ``view``, over that client's
    workspaces (public's trigger hands its rows to the same function: :mod:`cockpit.db.dispatch`)."""
    table = L1_TABLE[view]
    ext = ext_table(view)
    ext_alias = "e"
    ext_cols = EXT_COLUMNS[view]
    defaults = {f.name: f.default for f in fields_of(view) if f.default is not None}
    derived = [f.name for f in fields_of(view) if f.owner == "system" and not f.l1
               and f.name not in ("client_id", "updated_at")]

    def insert_body(wss: list[Workspace]) -> str:
        w = wss[0]  # a new record goes to the client's first workspace
        assign = [(l1, e) for _, l1, e in _l1_writes(view, w)] + insert_actor(w.shape, table)  # type: ignore[arg-type]
        cols = ", ".join(["id"] + [q(l1) for l1, _ in assign])
        vals = ", ".join(["NEW.id"] + [expr for _, expr in assign])
        stage_check = _stage_check(ns) if view == "crm_deals" else ""
        return (f"{stage_check}"
                f"        INSERT INTO {q(w.schema)}.{q(table)} ({cols}) VALUES ({vals});\n"  # type: ignore[arg-type]
                f"        v_found := true;")

    def update_body(wss: list[Workspace]) -> str:
        lines = []
        for w in wss:
            sets = ",\n                ".join(
                f"{q(l1)} = CASE WHEN NEW.{col} IS DISTINCT FROM OLD.{col} THEN {expr} ELSE {q(l1)} END"
                for col, l1, expr in _l1_writes(view, w))
            sets += "".join(f",\n                {q(c)} = {e}" for c, e in update_actor(w.shape, table))  # type: ignore[arg-type]
            lines.append(
                f"        UPDATE {q(w.schema)}.{q(table)} SET {sets},\n"  # type: ignore[arg-type]
                f"                \"updatedAt\" = now()\n"
                f"        WHERE id = OLD.id AND \"deletedAt\" IS NULL;\n"
                f"        v_found := v_found OR FOUND;")
        return "\n".join(lines)

    def delete_body(wss: list[Workspace]) -> str:
        return "\n".join(
            f"        UPDATE {q(w.schema)}.{q(table)} SET \"deletedAt\" = now() WHERE id = OLD.id;\n"  # type: ignore[arg-type]
            f"        v_found := v_found OR FOUND;" for w in wss)

    # Layer 1 columns are the same set for every workspace of the generator's contract.
    l1_cols = sorted({c for w in workspaces for c in _l1_assignments(view, w)})
    ext_set = ",\n            ".join(
        f"{c} = CASE WHEN NEW.{c} IS DISTINCT FROM OLD.{c} THEN EXCLUDED.{c} ELSE {ext_alias}.{c} END"
        for c in ext_cols)
    ext_insert_cols = ", ".join(ext_cols)
    ext_vals = ", ".join(f"coalesce(NEW.{c}, {defaults[c]})" if c in defaults else f"NEW.{c}" for c in ext_cols)
    fixed = ["id", "client_id", "created_at", "updated_at"] + derived
    stage_log = _stage_log(ns) if view == "crm_deals" else ""
    stage_check = _stage_check(ns) if view == "crm_deals" else ""
    readonly_msg = ", ".join(fixed)
    kind = CHANGE_KIND[view]
    announce_new = f"        PERFORM redkey.notify_change(v_client, '{kind}', NEW.id::text);\n"
    announce_old = f"        PERFORM redkey.notify_change(v_client, '{kind}', OLD.id::text);\n"
    return f"""
{trigger_head(ns, view, workspaces)}
    IF TG_OP = 'INSERT' THEN
        IF NEW.client_id IS NOT NULL AND NEW.client_id <> v_client THEN
            RAISE EXCEPTION 'cannot create a record for client % from a session scoped to %', NEW.client_id, v_client
                USING ERRCODE = '42501';
        END IF;
{custom_fields.refusal(view, "NEW.custom IS NOT NULL AND NEW.custom <> '{}'::jsonb")}
{insert_role_check(view, ns)}
        NEW.client_id := v_client;
        NEW.id := coalesce(NEW.id, gen_random_uuid());
{_client_blocks(workspaces, insert_body)}
        IF NOT v_found THEN
            RAISE EXCEPTION 'client % has no Twenty workspace registered', v_client USING ERRCODE = 'P0002';
        END IF;
        IF {' OR '.join(f'NEW.{c} IS NOT NULL' for c in ext_cols)} THEN
            INSERT INTO {ext} (client_id, record_id, {ext_insert_cols}) VALUES (v_client, NEW.id, {ext_vals});
        END IF;
        NEW.created_at := now();
        NEW.updated_at := now();
{announce_new}        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN\n{custom_fields.refusal(view, "NEW.custom IS DISTINCT FROM OLD.custom")}
        IF {_changed(fixed)} THEN
            RAISE EXCEPTION '{view}: {readonly_msg} cannot be changed' USING ERRCODE = '428C9';
        END IF;
        IF {_changed(l1_cols)} THEN
{stage_check.replace('        ', '            ') if stage_check else ''}
{_client_blocks(workspaces, update_body)}
            IF NOT v_found THEN
                RAISE EXCEPTION 'record % not found in client %', OLD.id, v_client USING ERRCODE = 'P0002';
            END IF;
        END IF;
        IF {_changed(ext_cols)} THEN
            INSERT INTO {ext} AS {ext_alias} (client_id, record_id, {ext_insert_cols}, updated_at)
            VALUES (OLD.client_id, OLD.id, {ext_vals}, now())
            ON CONFLICT (client_id, record_id) DO UPDATE SET
            {ext_set},
            updated_at = now();
        END IF;
{stage_log}
        NEW.updated_at := now();
{announce_new}        RETURN NEW;
    ELSE
{_client_blocks(workspaces, delete_body)}
{announce_old}        RETURN OLD;
    END IF;
END
$fn$;
{trigger_tail(ns, view)}"""


def _stage_check(ns: str = "public") -> str:
    return f"""        IF NEW.stage_id IS NULL OR NOT EXISTS (SELECT 1 FROM {q(ns)}.crm_pipeline p WHERE p.stage_id = NEW.stage_id) THEN
            RAISE EXCEPTION 'unknown stage %', coalesce(NEW.stage_id, 'NULL') USING ERRCODE = '22023',
                HINT = 'stages for ' || v_client || ': ' ||
                    (SELECT string_agg(p.stage_id, ', ' ORDER BY p.position) FROM {q(ns)}.crm_pipeline p);
        END IF;
"""


def _stage_log(ns: str = "public") -> str:
    return f"""        IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
            INSERT INTO redkey.activities (client_id, kind, channel, direction, subject, deal_id, company_id,
                                           contact_id, source, properties)
            VALUES (v_client, 'stage_change', 'cockpit', 'internal',
                    coalesce(OLD.name, 'deal') || ': '
                        || coalesce((SELECT p.label FROM {q(ns)}.crm_pipeline p WHERE p.stage_id = OLD.stage_id), OLD.stage_id)
                        || ' → '
                        || coalesce((SELECT p.label FROM {q(ns)}.crm_pipeline p WHERE p.stage_id = NEW.stage_id), NEW.stage_id),
                    OLD.id, NEW.company_id, NEW.contact_id,
                    coalesce(nullif(current_setting('redkey.source', true), ''), 'cockpit'),
                    jsonb_build_object('from', OLD.stage_id, 'to', NEW.stage_id,
                                       'by', coalesce(nullif(current_setting('redkey.actor', true), ''), session_user)));
        END IF;"""


def activity_trigger_on(ns: str) -> str:
    """crm_activities' INSTEAD OF trigger on ``ns``: one function (RedKey's activity log) for every schema."""
    return f"""
DROP TRIGGER IF EXISTS crm_activities_write ON {q(ns)}.crm_activities;
CREATE TRIGGER crm_activities_write INSTEAD OF INSERT OR UPDATE OR DELETE ON {q(ns)}.crm_activities
    FOR EACH ROW EXECUTE FUNCTION redkey.crm_activities_write();
"""


def move_deal_sql(ns: str = "public") -> str:
    """crm_move_deal in ``ns``, over that schema's crm_deals and crm_pipeline."""
    v = q(ns)
    return f"""
CREATE OR REPLACE FUNCTION {v}.crm_move_deal(p_deal_id uuid, p_stage_id text)
RETURNS TABLE (deal_id uuid, from_stage text, to_stage text)
LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $fn$
DECLARE
    v_client text := redkey.current_client_id();
    v_from text;
BEGIN
{_SCOPE_CHECK}
    SELECT d.stage_id INTO v_from FROM {v}.crm_deals d WHERE d.id = p_deal_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'deal % not found for client %', p_deal_id, v_client USING ERRCODE = 'P0002';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {v}.crm_pipeline p WHERE p.stage_id = p_stage_id) THEN
        RAISE EXCEPTION 'unknown stage %', coalesce(p_stage_id, 'NULL') USING ERRCODE = '22023',
            HINT = 'stages for ' || v_client || ': ' ||
                (SELECT string_agg(p.stage_id, ', ' ORDER BY p.position) FROM {v}.crm_pipeline p);
    END IF;
    IF v_from IS DISTINCT FROM p_stage_id THEN
        UPDATE {v}.crm_deals d SET stage_id = p_stage_id WHERE d.id = p_deal_id;
    END IF;
    RETURN QUERY SELECT p_deal_id, v_from, p_stage_id;
END
$fn$;
"""


MOVE_DEAL = move_deal_sql()

ACTIVITY_TRIGGER = """
CREATE OR REPLACE FUNCTION redkey.crm_activities_write() RETURNS trigger
""" + _HEADER + """
DECLARE
    v_client text := redkey.current_client_id();
    v_role text := """ + _INVOKER + """;
    v_owner boolean;
    v_operational boolean;
    v_strategic boolean;
BEGIN
""" + _SCOPE_CHECK + _ROW_CLIENT_CHECK + """
    IF TG_OP = 'INSERT' THEN
        IF NEW.client_id IS NOT NULL AND NEW.client_id <> v_client THEN
            RAISE EXCEPTION 'cannot log an activity for client % from a session scoped to %', NEW.client_id, v_client
                USING ERRCODE = '42501';
        END IF;
""" + insert_role_check("crm_activities") + """
        IF NEW.source = 'twenty' THEN
            RAISE EXCEPTION 'activities with source twenty are written by Twenty itself' USING ERRCODE = '22023';
        END IF;
        INSERT INTO redkey.activities (id, client_id, occurred_at, kind, channel, direction, subject, summary,
                                       contact_id, company_id, deal_id, source, external_id, properties)
        VALUES (coalesce(NEW.id, gen_random_uuid()), v_client, coalesce(NEW.occurred_at, now()), NEW.kind,
                NEW.channel, NEW.direction, NEW.subject, NEW.summary, NEW.contact_id, NEW.company_id, NEW.deal_id,
                coalesce(NEW.source, nullif(current_setting('redkey.source', true), ''), 'arlo'),
                NEW.external_id, coalesce(NEW.properties, '{}'::jsonb))
        ON CONFLICT (client_id, source, external_id) WHERE external_id IS NOT NULL DO NOTHING
        RETURNING id, client_id, occurred_at, source, properties
        INTO NEW.id, NEW.client_id, NEW.occurred_at, NEW.source, NEW.properties;
        IF NOT FOUND THEN
            RETURN NULL;  -- a duplicate (same source and external_id): already recorded
        END IF;
        -- last_activity_at follows the activity log (never moves backwards)
        IF NEW.contact_id IS NOT NULL THEN
            INSERT INTO redkey.contact_ext AS e (client_id, record_id, last_activity_at) VALUES (v_client, NEW.contact_id, NEW.occurred_at)
            ON CONFLICT (client_id, record_id) DO UPDATE
                SET last_activity_at = greatest(e.last_activity_at, EXCLUDED.last_activity_at), updated_at = now();
        END IF;
        IF NEW.company_id IS NOT NULL THEN
            INSERT INTO redkey.company_ext AS e (client_id, record_id, last_activity_at) VALUES (v_client, NEW.company_id, NEW.occurred_at)
            ON CONFLICT (client_id, record_id) DO UPDATE
                SET last_activity_at = greatest(e.last_activity_at, EXCLUDED.last_activity_at), updated_at = now();
        END IF;
        IF NEW.deal_id IS NOT NULL THEN
            INSERT INTO redkey.deal_ext AS e (client_id, record_id, last_activity_at) VALUES (v_client, NEW.deal_id, NEW.occurred_at)
            ON CONFLICT (client_id, record_id) DO UPDATE
                SET last_activity_at = greatest(e.last_activity_at, EXCLUDED.last_activity_at), updated_at = now();
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.id IS DISTINCT FROM OLD.id OR NEW.client_id IS DISTINCT FROM OLD.client_id
           OR NEW.source IS DISTINCT FROM OLD.source OR NEW.external_id IS DISTINCT FROM OLD.external_id THEN
            RAISE EXCEPTION 'crm_activities: id, client_id, source and external_id cannot be changed' USING ERRCODE = '428C9';
        END IF;
        UPDATE redkey.activities SET occurred_at = NEW.occurred_at, kind = NEW.kind, channel = NEW.channel,
               direction = NEW.direction, subject = NEW.subject, summary = NEW.summary, contact_id = NEW.contact_id,
               company_id = NEW.company_id, deal_id = NEW.deal_id, properties = NEW.properties
        WHERE id = OLD.id AND client_id = OLD.client_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'activity % was recorded by Twenty and is read-only here', OLD.id USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    ELSE
        DELETE FROM redkey.activities WHERE id = OLD.id AND client_id = OLD.client_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'activity % was recorded by Twenty and is read-only here', OLD.id USING ERRCODE = '42501';
        END IF;
        RETURN OLD;
    END IF;
END
$fn$;
""" + activity_trigger_on("public")


PROBE_ROWS = 2000  # name-index entries the cheap first attempt looks at
MAX_WALK = 30_000  # longest second walk before collecting from the GIN index is cheaper
WALK_DENSITY = 3  # walk again only when the probe found at least a page / WALK_DENSITY: sparser, collect
COMPANY_MATCHES = 1000  # companies whose people a contact search includes (a query this broad fills a page anyway)


def search_function(view: str, fn: str, workspaces: list[Workspace], ns: str = "public") -> str:
    """A SECURITY DEFINER list/search over one record view, ordered by the view's sort key (name) with
    keyset paging. With a query: prefix matching on Twenty's ``searchVector`` (GIN).

    The planner cannot estimate how many rows a prefix tsquery matches, and the good plans differ by
    orders of magnitude: for a common prefix ("a") walking the name index finds a page after a few
    hundred rows; for a rarer or clustered one ("sarah", "mich" among 1M) the walk crosses half the
    table, while collecting the matches from the GIN index and sorting their keys is quick. So the
    function first *probes*: it filters the next PROBE_ROWS entries of the name index; if that fills
    the page, done (dense match); if it found at least a page / WALK_DENSITY, a longer walk sized from
    that density, kept only when it fills the page; otherwise (sparse, or clustered near the start) it
    collects (GIN bitmap → top-N by key → fetch the page). Without a query it lists in name order. A
    query with nothing searchable ("!!!") matches nothing. Custom text fields match too (custom_fields).
    """
    order_key = {"crm_contacts": full_name_expr("p"), "crm_companies": "p.name",
                 "crm_deals": "p.name"}[view]
    table = L1_TABLE[view]
    probe, collect, listing, plain = [], [], [], ([], [])  # plain: probe and collect without custom fields
    for w in workspaces:
        exprs = EXPRS[view](w)
        src = f"{q(w.schema)}.{q(table)}"
        join = f" LEFT JOIN {ext_table(view)} x ON x.client_id = {lit(w.client_id)} AND x.record_id = p.id\n"
        mine = f"\"deletedAt\" IS NULL AND {lit(w.client_id)} = $4"
        # people are found by their company's name and domain too ("hawkins" finds Hawkins LLC's people): the
        # matching companies are collected once (an initplan), then their people by the companyId index
        company_col = ', p."companyId"' if view == "crm_contacts" else ""
        by_company = (f" OR p.\"companyId\" = ANY(ARRAY(SELECT c.id FROM {q(w.schema)}.company c"
                      f" WHERE c.\"searchVector\" @@ $1 AND c.\"deletedAt\" IS NULL LIMIT {COMPANY_MATCHES}))"
                      if company_col else "")
        for custom, cols, out_probe, out_collect in (("", "", *plain), (*custom_fields.search_parts(view, w), probe, collect)):
            out_probe.append(  # the walk reads only what it filters on, then fetches the page by id
                f"(WITH t AS (SELECT p.id, p.k FROM (SELECT p.id, {order_key} AS k, p.\"searchVector\"{company_col}{cols}"
                f" FROM {src} p WHERE p.{mine} AND ($2 IS NULL OR ({order_key}, p.id) > ($2, $3))\n"
                f"       ORDER BY {order_key}, p.id LIMIT $6) p\n"
                f"     WHERE p.\"searchVector\" @@ $1{by_company}{f' OR {custom} @@ $1' * bool(custom)} ORDER BY p.k, p.id LIMIT $5)\n"
                f" SELECT {_select_list(view, exprs)}\n FROM t JOIN {src} p ON p.id = t.id\n{join} ORDER BY t.k, t.id)")
            matched = f"SELECT p.id, {order_key} AS k FROM {src} p WHERE p.\"searchVector\" @@ $1 AND p.{mine}" + (
                f"\n UNION SELECT p.id, {order_key} FROM {src} p WHERE p.{mine} AND{by_company[3:]}" if company_col else ""
            ) + f"\n UNION SELECT p.id, {order_key} FROM {src} p WHERE p.{mine} AND {custom} @@ $1" * bool(custom)
            out_collect.append(  # a company's people come index-only from the covering companyId index
                f"(WITH m AS MATERIALIZED ({matched}),\n"
                f"      t AS (SELECT id, k FROM m WHERE $2 IS NULL OR (k, id) > ($2, $3) ORDER BY k, id LIMIT $5)\n"
                f" SELECT {_select_list(view, exprs)}\n FROM t JOIN {src} p ON p.id = t.id\n{join} ORDER BY t.k, t.id)")
        listing.append(
            f"(SELECT {_select_list(view, exprs)}\n FROM {src} p\n{join}"
            f" WHERE p.{mine} AND ($2 IS NULL OR ({order_key}, p.id) > ($2, $3)) AND $1 IS NULL\n"
            f" ORDER BY {order_key}, p.id LIMIT $5)")
    sort_col = "full_name" if view == "crm_contacts" else "name"
    empty = f"SELECT * FROM {q(ns)}.{view} WHERE false"

    def wrap(branches: list[str]) -> str:
        body = "\nUNION ALL\n".join(branches) if branches else empty
        return f"SELECT * FROM (\n{body}\n) s ORDER BY {sort_col}, id LIMIT $5"

    return f"""
CREATE OR REPLACE FUNCTION {q(ns)}.{fn}(p_query text, p_limit integer DEFAULT 50,
                                       p_after text DEFAULT NULL, p_after_id uuid DEFAULT NULL)
RETURNS SETOF {q(ns)}.{view}
LANGUAGE plpgsql STABLE SECURITY DEFINER {SEARCH_PATH} AS $fn$
DECLARE
    v_client text := redkey.current_client_id();
    v_query tsquery := redkey.prefix_tsquery(p_query);
    v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 1000);
    v_rows {q(ns)}.{view}[];
    v_found integer; v_probe text := {lit(wrap(probe))}; v_collect text := {lit(wrap(collect))};
BEGIN
    IF v_client IS NULL OR (v_query IS NULL AND coalesce(btrim(p_query), '') <> '') THEN
        RETURN;
    END IF;
    IF v_query IS NULL THEN  -- plain list: walk the name index
        RETURN QUERY EXECUTE {lit(wrap(listing))}
            USING v_query, p_after, p_after_id, v_client, v_limit;
        RETURN;
    END IF;
{custom_fields.search_retry(wrap(probe) != wrap(plain[0]))}    EXECUTE 'SELECT coalesce(array_agg(r), ''{{}}'') FROM (' || v_probe || ') r'
        INTO v_rows USING v_query, p_after, p_after_id, v_client, v_limit, {PROBE_ROWS};
    v_found := cardinality(v_rows);
    IF v_found >= v_limit THEN
        RETURN QUERY SELECT * FROM unnest(v_rows);
        RETURN;
    END IF;
    -- Dense: a longer walk sized from the density seen, kept only if it fills the page (else collect).
    IF v_found * {WALK_DENSITY} >= v_limit AND {PROBE_ROWS}::bigint * v_limit / v_found * 3 / 2 <= {MAX_WALK} THEN
        EXECUTE 'SELECT coalesce(array_agg(r), ''{{}}'') FROM (' || v_probe || ') r'
            INTO v_rows USING v_query, p_after, p_after_id, v_client, v_limit,
                  ({PROBE_ROWS}::bigint * v_limit / v_found * 3 / 2)::integer;
        IF cardinality(v_rows) >= v_limit THEN
            RETURN QUERY SELECT * FROM unnest(v_rows);
            RETURN;
        END IF;
    END IF;
    RETURN QUERY EXECUTE v_collect
        USING v_query, p_after, p_after_id, v_client, v_limit;
{custom_fields.search_retry_end(wrap(plain[0]), wrap(plain[1]), wrap(probe) != wrap(plain[0]))}END
$fn$;
"""


SEARCHES = {"crm_contacts": "crm_search_contacts", "crm_companies": "crm_search_companies",
            "crm_deals": "crm_search_deals"}


_ROLES = "redkey_readonly, redkey_operational, redkey_strategic"
