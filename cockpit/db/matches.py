"""Generate ``public.crm_match_contacts(text)`` / ``crm_match_companies(text)``: the ids of every record the
contacts or companies screen's search matches, without a page limit (what an export of "what the screen
shows" reads). Same predicate as the search functions in :mod:`cockpit.db.writes`: prefix matching on
Twenty's ``searchVector``, a contact also found by its company's name or domain; only the session's client;
a query with nothing searchable matches nothing. Each client's schema has its own, over its workspaces;
public's calls the session's client's (:mod:`cockpit.db.dispatch`)."""

from __future__ import annotations

from cockpit.db import custom_fields
from cockpit.db.views import L1_TABLE, Workspace, lit, named_columns, q
from cockpit.db.writes import _ROLES, COMPANY_MATCHES, SEARCH_PATH

MATCHES = {"crm_contacts": "crm_match_contacts", "crm_companies": "crm_match_companies"}


def match_function(view: str, fn: str, workspaces: list[Workspace], ns: str) -> str:
    """``ns.fn`` over ``workspaces`` (a client's schema, that client's workspaces)."""
    branches = []
    for w in workspaces:
        src = f"{q(w.schema)}.{q(L1_TABLE[view])}"  # type: ignore[arg-type]
        by_company = (f" OR p.\"companyId\" = ANY(ARRAY(SELECT c.id FROM {q(w.schema)}.company c"
                      f" WHERE c.\"searchVector\" @@ $1 AND c.\"deletedAt\" IS NULL LIMIT {COMPANY_MATCHES}))"
                      if view == "crm_contacts" else "")
        custom_text, _cols = custom_fields.search_parts(view, w, named_columns(view))  # as the screen searches
        by_company += f" OR {custom_text} @@ $1" if custom_text else ""
        branches.append(f"SELECT p.id FROM {src} p WHERE (p.\"searchVector\" @@ $1{by_company})"
                        f" AND p.\"deletedAt\" IS NULL AND {lit(w.client_id)} = $2")
    body = "\nUNION ALL\n".join(branches) or "SELECT NULL::uuid WHERE false"
    return f"""
CREATE OR REPLACE FUNCTION {q(ns)}.{fn}(p_query text) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER {SEARCH_PATH} AS $fn$
DECLARE
    v_client text := redkey.current_client_id();
    v_query tsquery := redkey.prefix_tsquery(p_query);
BEGIN
    IF v_client IS NULL OR v_query IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE {lit(body)} USING v_query, v_client;
END
$fn$;
REVOKE ALL ON FUNCTION {q(ns)}.{fn}(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {q(ns)}.{fn}(text) TO {_ROLES};
"""


def matches_sql(workspaces: list[Workspace], ns: str) -> list[str]:
    return [match_function(view, fn, workspaces, ns) for view, fn in MATCHES.items()]
