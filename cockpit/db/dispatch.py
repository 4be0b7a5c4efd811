"""public's writes and searches hand off to the session's client's schema (:mod:`cockpit.db.client_schemas`):
the INSTEAD OF triggers of ``public.crm_*`` give each row to the client's own write function, and
``crm_search_*`` / ``crm_match_*`` call the client's own. public's functions are the same few lines
whatever the number of workspaces and are not regenerated when one is registered.

Every check a write goes through (role, field ownership, stage, the record's client, the change feed) is
the client's function's: a write through ``public.crm_contacts`` and one through
``client_<id>.crm_contacts`` run the same code and fail with the same errors. public's trigger first
checks what it can without the client's schema (a session scoped to a client; the row is that client's),
then looks the schema up in ``redkey.client_schemas``; a client without a workspace has none, so a record
created for it has nowhere to go.
"""

from __future__ import annotations

from cockpit.db.matches import MATCHES
from cockpit.db.writes import _HEADER, _ROLES, _ROW_CLIENT_CHECK, _SCOPE_CHECK, SEARCH_PATH, SEARCHES

# The views whose public trigger dispatches (each client schema has <view>_write_row).
DISPATCHED = ("crm_contacts", "crm_companies", "crm_deals", "crm_notes", "crm_tasks")

# The session's client's schema, or an error: nothing of a client without one can be written.
LOOKUP = """
    SELECT c.schema_name INTO v_schema FROM redkey.client_schemas c WHERE c.client_id = v_client;
    IF v_schema IS NULL THEN
        RAISE EXCEPTION 'client % has no Twenty workspace registered', v_client USING ERRCODE = 'P0002';
    END IF;"""


def _call(view: str, op: str, new: str, old: str) -> str:
    """The dynamic SQL calling the client's write function, the public rows cast to its row type."""
    def cast(arg: str) -> str:
        return "NULL" if arg == "NULL" else f"ROW(({arg}).*)::%1$I.{view}"
    return f"format('SELECT * FROM %1$I.{view}_write_row(''{op}'', {cast(new)}, {cast(old)})', v_schema)"


def dispatch_trigger(view: str) -> str:
    """public's INSTEAD OF trigger of ``view``: the session's client's ``<view>_write_row``."""
    name = f"redkey.{view}_write"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
{_HEADER}
DECLARE
    v_client text := redkey.current_client_id();
    v_schema text;
BEGIN
{_SCOPE_CHECK}
{_ROW_CLIENT_CHECK}
{LOOKUP}
    IF TG_OP = 'INSERT' THEN
        EXECUTE {_call(view, 'INSERT', '$1', 'NULL')} INTO NEW USING NEW;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE {_call(view, 'UPDATE', '$1', '$2')} INTO NEW USING NEW, OLD;
        RETURN NEW;
    END IF;
    EXECUTE {_call(view, 'DELETE', 'NULL', '$1')} USING OLD;
    RETURN OLD;
END
$fn$;
REVOKE ALL ON FUNCTION {name}() FROM PUBLIC;
DROP TRIGGER IF EXISTS {view}_write ON public.{view};
CREATE TRIGGER {view}_write INSTEAD OF INSERT OR UPDATE OR DELETE ON public.{view}
    FOR EACH ROW EXECUTE FUNCTION {name}();
"""


def public_search_function(view: str, fn: str) -> str:
    """public's search: the session's client's own search function (its schema holds that client's
    branches only); nothing for an unscoped session or a client without a workspace."""
    return f"""
CREATE OR REPLACE FUNCTION public.{fn}(p_query text, p_limit integer DEFAULT 50,
                                       p_after text DEFAULT NULL, p_after_id uuid DEFAULT NULL)
RETURNS SETOF public.{view}
LANGUAGE plpgsql STABLE SECURITY DEFINER {SEARCH_PATH} AS $fn$
DECLARE
    v_client text := redkey.current_client_id();
    v_schema text;
BEGIN
    SELECT c.schema_name INTO v_schema FROM redkey.client_schemas c WHERE c.client_id = v_client;
    IF v_schema IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format('SELECT * FROM %I.{fn}($1, $2, $3, $4)', v_schema)
        USING p_query, p_limit, p_after, p_after_id;
END
$fn$;
"""


def public_reader(name: str, params: list[tuple[str, str]], returns: str) -> str:
    """public's version of a client schema's read function: the session's client's own (nothing for an
    unscoped session or a client without a workspace). ``params`` are (name, type) pairs; ``returns`` is
    the RETURNS clause ("TABLE (id uuid)", "SETOF uuid")."""
    args = ", ".join(f"{n} {t}" for n, t in params)
    placeholders = ", ".join(f"${i}" for i in range(1, len(params) + 1))
    using = f" USING {', '.join(n for n, _ in params)}" if params else ""
    return f"""CREATE OR REPLACE FUNCTION public.{name}({args})
RETURNS {returns}
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    v_schema text;
BEGIN
    SELECT c.schema_name INTO v_schema FROM redkey.client_schemas c WHERE c.client_id = redkey.current_client_id();
    IF v_schema IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format('SELECT * FROM %I.{name}({placeholders})', v_schema){using};
END
$fn$"""


def public_match_function(fn: str) -> str:
    """public's: the session's client's own (nothing for an unscoped session or a client without a workspace)."""
    return (public_reader(fn, [("p_query", "text")], "SETOF uuid") + ";\n"
            f"REVOKE ALL ON FUNCTION public.{fn}(text) FROM PUBLIC;\n"
            f"GRANT EXECUTE ON FUNCTION public.{fn}(text) TO {_ROLES};\n")


def dispatch_sql() -> list[str]:
    """public's triggers, search and match functions."""
    return ([dispatch_trigger(view) for view in DISPATCHED]
            + [public_search_function(view, fn) for view, fn in SEARCHES.items()]
            + [public_match_function(fn) for fn in MATCHES.values()])
