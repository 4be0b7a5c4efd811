"""public's write path: the INSTEAD OF triggers of ``public.crm_*`` hand each row to the session's client's
own write function (in its schema, :mod:`cockpit.db.client_schemas`), so public's functions are the same
few lines whatever the number of workspaces and are not regenerated when one is registered.

Every check a write goes through (role, field ownership, stage, the record's client, the change feed) is
the client's function's: a write through ``public.crm_contacts`` and one through
``client_<id>.crm_contacts`` run the same code and fail with the same errors. public's trigger first
checks what it can without the client's schema (a session scoped to a client; the row is that client's),
then looks the schema up in ``redkey.client_schemas``; a client without a workspace has none, so a record
created for it has nowhere to go.
"""

from __future__ import annotations

from cockpit.db.writes import _HEADER, _ROW_CLIENT_CHECK, _SCOPE_CHECK

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


def dispatch_sql() -> list[str]:
    return [dispatch_trigger(view) for view in DISPATCHED]
