"""The pipeline board's first cards by amount, generated per client over Layer 1 (``crm_board_ids``).

Through ``crm_deals`` the board ranks every deal of the client by stage (a window over the whole
view: 5 s at 1M deals). The view's ``stage_id`` cannot be indexed (an enum's text is not immutable),
but Twenty's enum column can: per workspace, an index on ``(stage, amount key, id)`` makes each
stage's first cards an index walk (milliseconds at 1M deals).

The function reads exactly what the view shows (``"deletedAt" IS NULL``, gated on
``redkey.current_client_id()``, the amount as the view rounds it), runs as its owner (SECURITY DEFINER,
like the search functions: the session roles have no privilege on Layer 1) and returns ids only; the
store reads the cards themselves through the view. public's version calls the session's client's own
(none: no rows).
"""

from __future__ import annotations

from cockpit.db.views import Workspace, lit, q

BOARD_INDEX = "redkey_opportunity_stage_amount_idx"
AMOUNT = 'round(p."amountAmountMicros" / 1000000.0, 2)'  # crm_deals.amount
AMOUNT_KEY = f"coalesce({AMOUNT}, -1::numeric)"  # the board's sort key (the store's amount sort)
_DEFINER = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
_ROLES = "redkey_readonly, redkey_operational, redkey_strategic"
FUNCTIONS = ("crm_board_ids(integer)",)


def _is_enum(w: Workspace) -> bool:
    return (w.shape.stage_type or "text") not in ("text", "character varying")


def board_index_sql(w: Workspace) -> list[str]:
    if not _is_enum(w):
        return []
    return [f"CREATE INDEX IF NOT EXISTS {q(BOARD_INDEX)} ON {q(w.schema)}.opportunity "
            f"(stage, ({AMOUNT_KEY.replace('p.', '')}) DESC, id DESC) WHERE \"deletedAt\" IS NULL"]


def _mine(w: Workspace) -> str:
    return f"p.\"deletedAt\" IS NULL AND redkey.current_client_id() = {lit(w.client_id)}"


def _top_branch(w: Workspace) -> str:
    src = f"{q(w.schema)}.opportunity"
    if _is_enum(w):
        stages = f"unnest(enum_range(NULL::{w.shape.stage_type}))"
        return (f"SELECT s.stage::text AS stage_id, t.id, t.k FROM {stages} AS s(stage)\n"
                f"CROSS JOIN LATERAL (SELECT p.id, {AMOUNT_KEY} AS k FROM {src} p\n"
                f"    WHERE p.stage = s.stage AND {_mine(w)}\n"
                f"    ORDER BY {AMOUNT_KEY} DESC, p.id DESC LIMIT $1) t")
    return (f"SELECT w.stage_id, w.id, w.k FROM (SELECT p.stage::text AS stage_id, p.id, {AMOUNT_KEY} AS k,"
            f" row_number() OVER (PARTITION BY p.stage ORDER BY {AMOUNT_KEY} DESC, p.id DESC) AS rn"
            f" FROM {src} p WHERE {_mine(w)}) w WHERE w.rn <= $1")


def board_functions(workspaces: list[Workspace], ns: str) -> list[str]:
    """A client schema's function over that client's workspaces, and its grants."""
    s = q(ns)
    top = "\nUNION ALL\n".join(_top_branch(w) for w in workspaces) or \
        "SELECT NULL::text, NULL::uuid, NULL::numeric WHERE false"
    return [f"""CREATE OR REPLACE FUNCTION {s}.crm_board_ids(p_limit integer)
RETURNS TABLE (stage_id text, id uuid)
{_DEFINER} AS $fn$
SELECT r.stage_id, r.id FROM (
    SELECT b.stage_id, b.id, row_number() OVER (PARTITION BY b.stage_id ORDER BY b.k DESC, b.id DESC) AS rn
    FROM (
{top}
    ) b(stage_id, id, k)) r
WHERE r.rn <= $1
$fn$""", *grants_sql(ns)]


def public_board_functions() -> list[str]:
    """public's: the session's client's own function (nothing for an unscoped session or a client
    without a workspace)."""
    return [f"""CREATE OR REPLACE FUNCTION public.crm_board_ids(p_limit integer)
RETURNS TABLE (stage_id text, id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    v_schema text;
BEGIN
    SELECT c.schema_name INTO v_schema FROM redkey.client_schemas c WHERE c.client_id = redkey.current_client_id();
    IF v_schema IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format('SELECT * FROM %I.crm_board_ids($1)', v_schema) USING p_limit;
END
$fn$""", *grants_sql("public")]


def grants_sql(ns: str) -> list[str]:
    s = q(ns)
    out = []
    for fn in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {s}.{fn} FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION {s}.{fn} TO {_ROLES}")
    return out
