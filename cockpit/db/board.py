"""The pipeline board's cards by amount, generated per client over Layer 1 (``crm_board_ids``,
``crm_stage_page_ids``).

Through ``crm_deals`` the board ranks every deal of the client by stage (a window over the whole
view: 5 s at 1M deals). The view's ``stage_id`` cannot be indexed (an enum's text is not immutable),
but Twenty's enum column can: per workspace, an index on ``(stage, amount key, id)`` makes each
stage's first cards an index walk (milliseconds at 1M deals).

The same index continues a column: ``crm_stage_page_ids(stage, after_key, after_id, limit)`` returns the
ids of the stage's next cards after a keyset cursor (the previous page's last amount key and id).

The functions read exactly what the view shows (``"deletedAt" IS NULL``, gated on
``redkey.current_client_id()``, the amount as the view rounds it), runs as its owner (SECURITY DEFINER,
like the search functions: the session roles have no privilege on Layer 1) and returns ids only; the
store reads the cards themselves through the view. public's version calls the session's client's own
(none: no rows).
"""

from __future__ import annotations

from cockpit.db.dispatch import public_reader
from cockpit.db.views import Workspace, lit, q

BOARD_INDEX = "redkey_opportunity_stage_amount_idx"
AMOUNT = 'round(p."amountAmountMicros" / 1000000.0, 2)'  # crm_deals.amount
AMOUNT_KEY = f"coalesce({AMOUNT}, -1::numeric)"  # the board's sort key (the store's amount sort)
_DEFINER = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
_ROLES = "redkey_readonly, redkey_operational, redkey_strategic"
FUNCTIONS = ("crm_board_ids(integer)", "crm_stage_page_ids(text, numeric, uuid, integer)")


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


def _page_branch(w: Workspace) -> str:
    src = f"{q(w.schema)}.opportunity"
    after = f"({AMOUNT_KEY}, p.id) < ($2, $3)"
    if _is_enum(w):
        stages = f"unnest(enum_range(NULL::{w.shape.stage_type}))"
        return (f"SELECT t.id, t.k FROM {stages} AS s(stage)\n"
                f"CROSS JOIN LATERAL (SELECT p.id, {AMOUNT_KEY} AS k FROM {src} p\n"
                f"    WHERE p.stage = s.stage AND {_mine(w)} AND {after}\n"
                f"    ORDER BY {AMOUNT_KEY} DESC, p.id DESC LIMIT $4) t\n"
                "WHERE s.stage::text = $1")
    return (f"SELECT p.id, {AMOUNT_KEY} AS k FROM {src} p WHERE p.stage::text = $1 AND {_mine(w)} AND {after}\n"
            f"ORDER BY {AMOUNT_KEY} DESC, p.id DESC LIMIT $4")


def board_functions(workspaces: list[Workspace], ns: str) -> list[str]:
    """A client schema's function over that client's workspaces, and its grants."""
    s = q(ns)
    top = "\nUNION ALL\n".join(_top_branch(w) for w in workspaces) or \
        "SELECT NULL::text, NULL::uuid, NULL::numeric WHERE false"
    pages = "\nUNION ALL\n".join(f"(SELECT * FROM ({_page_branch(w)}) x)" for w in workspaces) or \
        "SELECT NULL::uuid, NULL::numeric WHERE false"
    return [f"""CREATE OR REPLACE FUNCTION {s}.crm_board_ids(p_limit integer)
RETURNS TABLE (stage_id text, id uuid)
{_DEFINER} AS $fn$
SELECT r.stage_id, r.id FROM (
    SELECT b.stage_id, b.id, row_number() OVER (PARTITION BY b.stage_id ORDER BY b.k DESC, b.id DESC) AS rn
    FROM (
{top}
    ) b(stage_id, id, k)) r
WHERE r.rn <= $1
$fn$""", f"""CREATE OR REPLACE FUNCTION {s}.crm_stage_page_ids(p_stage text, p_after_key numeric, p_after_id uuid,
                                                   p_limit integer)
RETURNS TABLE (id uuid)
{_DEFINER} AS $fn$
SELECT b.id FROM (
{pages}
) b(id, k)
ORDER BY b.k DESC, b.id DESC LIMIT $4
$fn$""", *grants_sql(ns)]




def public_board_functions() -> list[str]:
    return [public_reader("crm_board_ids", [("p_limit", "integer")], "TABLE (stage_id text, id uuid)"),
            public_reader("crm_stage_page_ids", [("p_stage", "text"), ("p_after_key", "numeric"),
                                                 ("p_after_id", "uuid"), ("p_limit", "integer")], "TABLE (id uuid)"),
            *grants_sql("public")]


def grants_sql(ns: str) -> list[str]:
    s = q(ns)
    out = []
    for fn in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {s}.{fn} FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION {s}.{fn} TO {_ROLES}")
    return out
