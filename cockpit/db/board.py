"""The pipeline board's cards in each order the screen offers, generated per client over Layer 1
(``crm_board_ids*``, ``crm_stage_page_ids*``).

Through ``crm_deals`` the board ranks every deal of the client by stage (a window over the whole
view: 5-10 s at 1M deals). The view's ``stage_id`` cannot be indexed (an enum's text is not immutable),
but Twenty's enum column can: per workspace, an index on ``(stage, sort key, id)`` over the view's own
expression makes each stage's first cards an index walk (milliseconds at 1M deals). By amount and by
close date the key is a column of Twenty's opportunity; by staleness (``coalesce(last_activity_at,
created_at)``) it spans Twenty's table and RedKey's ``deal_ext``, so it is walked in
``redkey.deal_stale_keys``, a copy of both kept exact by triggers (:mod:`cockpit.db.stale_keys`).

The same index continues a column: ``crm_stage_page_ids*(stage, after_key, after_id, limit)`` returns
the ids of the stage's next cards after a keyset cursor (the previous page's last sort key and id).

The functions read exactly what the view shows (``"deletedAt" IS NULL``, gated on
``redkey.current_client_id()``, the key as the view computes it), run as their owner (SECURITY DEFINER,
like the search functions: the session roles have no privilege on Layer 1) and return ids only; the
store reads the cards themselves through the view. public's versions call the session's client's own
(none: no rows). A workspace whose stage is not an enum (or whose close date is not a timestamptz, or
whose staleness keys are not kept) is ranked by a window over its rows instead: slower, same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.db.dispatch import public_reader
from cockpit.db.views import Workspace, lit, q

AMOUNT = 'round(p."amountAmountMicros" / 1000000.0, 2)'  # crm_deals.amount
CLOSE_DATE = """(p."closeDate" AT TIME ZONE 'UTC')::date"""  # crm_deals.close_date
_DEFINER = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
_ROLES = "redkey_readonly, redkey_operational, redkey_strategic"
_TIMESTAMPTZ = "timestamp with time zone"


@dataclass(frozen=True)
class BoardSort:
    """One order of the board: its functions' suffix, the key over Layer 1 (alias p; x = deal_ext) as
    the store's sort key computes it over crm_deals, its direction and type, and its index."""

    name: str
    suffix: str
    key: str
    direction: str
    key_type: str
    index: str

    @property
    def functions(self) -> tuple[str, str]:
        return (f"crm_board_ids{self.suffix}(integer)",
                f"crm_stage_page_ids{self.suffix}(text, {self.key_type}, uuid, integer)")


SORTS = {
    "amount": BoardSort("amount", "", f"coalesce({AMOUNT}, -1::numeric)", "DESC", "numeric",
                        "redkey_opportunity_stage_amount_idx"),
    "close_date": BoardSort("close_date", "_close_date", f"coalesce({CLOSE_DATE}, DATE '9999-12-31')", "ASC",
                            "date", "redkey_opportunity_stage_close_idx"),
    "staleness": BoardSort("staleness", "_staleness", 'coalesce(x.last_activity_at, p."createdAt")', "ASC",
                           "timestamptz", "deal_stale_keys_order_idx"),
}
BOARD_INDEX = SORTS["amount"].index
AMOUNT_KEY = SORTS["amount"].key
FUNCTIONS = tuple(f for s in SORTS.values() for f in s.functions)
STALE_KEY = "coalesce(k.last_activity_at, k.created_at)"  # over redkey.deal_stale_keys k


def _is_enum(w: Workspace) -> bool:
    return (w.shape.stage_type or "text") not in ("text", "character varying")


def _walks(w: Workspace, sort: BoardSort) -> bool:
    """Whether ``w``'s cards in this order are an index walk (else a window ranks them)."""
    if not _is_enum(w):
        return False
    if sort.name == "close_date":
        return w.shape.columns.get("opportunity", {}).get("closeDate") == _TIMESTAMPTZ
    if sort.name == "staleness":
        return w.shape.columns.get("opportunity", {}).get("createdAt") == _TIMESTAMPTZ
    return True


def board_index_sql(w: Workspace) -> list[str]:
    return [f"CREATE INDEX IF NOT EXISTS {q(s.index)} ON {q(w.schema)}.opportunity "
            f"(stage, ({s.key.replace('p.', '')}) {s.direction}, id {s.direction}) WHERE \"deletedAt\" IS NULL"
            for s in SORTS.values() if s.name != "staleness" and _walks(w, s)]


def _mine(w: Workspace) -> str:
    return f"p.\"deletedAt\" IS NULL AND redkey.current_client_id() = {lit(w.client_id)}"


def _source(w: Workspace, sort: BoardSort) -> str:
    src = f"{q(w.schema)}.opportunity p"
    if sort.name == "staleness":
        src += f"\nLEFT JOIN redkey.deal_ext x ON x.client_id = {lit(w.client_id)} AND x.record_id = p.id"
    return src


def _walk(w: Workspace, sort: BoardSort, where: str, limit: str) -> str:
    """One stage's ids and keys (stage ``s.stage``) in the order, from the index."""
    if sort.name == "staleness":
        return (f"SELECT k.id, {STALE_KEY} AS k FROM redkey.deal_stale_keys k\n"
                f"    WHERE k.workspace = {lit(w.schema)} AND k.stage = s.stage::text"
                f" AND redkey.current_client_id() = {lit(w.client_id)}{where.replace('p.id', 'k.id').replace(sort.key, STALE_KEY)}\n"
                f"    ORDER BY {STALE_KEY} {sort.direction}, k.id {sort.direction} LIMIT {limit}")
    return (f"SELECT p.id, {sort.key} AS k FROM {_source(w, sort)}\n"
            f"    WHERE p.stage = s.stage AND {_mine(w)}{where}\n"
            f"    ORDER BY {sort.key} {sort.direction}, p.id {sort.direction} LIMIT {limit}")


def _kept(w: Workspace, sort: BoardSort) -> tuple[str, str]:
    """(condition for the walk, condition for the window): the staleness keys are read only while kept."""
    if sort.name != "staleness":
        return "true", "false"
    ready = f"redkey.deal_stale_keys_ready({lit(w.schema)})"
    return ready, f"NOT {ready}"


def _top_branch(w: Workspace, sort: BoardSort) -> str:
    window = (f"SELECT w.stage_id, w.id, w.k FROM (SELECT p.stage::text AS stage_id, p.id, {sort.key} AS k,"
              f" row_number() OVER (PARTITION BY p.stage ORDER BY {sort.key} {sort.direction}, p.id {sort.direction}) AS rn"
              f" FROM {_source(w, sort)} WHERE {_mine(w)}) w WHERE w.rn <= $1")
    if not _walks(w, sort):
        return window
    walk_if, window_if = _kept(w, sort)
    walk = (f"SELECT s.stage::text AS stage_id, t.id, t.k FROM unnest(enum_range(NULL::{w.shape.stage_type})) AS s(stage)\n"
            f"CROSS JOIN LATERAL ({_walk(w, sort, '', '$1')}) t WHERE {walk_if}")
    if window_if == "false":
        return walk
    return f"{walk}\nUNION ALL\nSELECT * FROM ({window}) f WHERE {window_if}"


def _page_branch(w: Workspace, sort: BoardSort) -> str:
    op = "<" if sort.direction == "DESC" else ">"
    after = f" AND ({sort.key}, p.id) {op} ($2, $3)"
    window = (f"SELECT p.id, {sort.key} AS k FROM {_source(w, sort)} WHERE p.stage::text = $1 AND {_mine(w)}{after}\n"
              f"ORDER BY {sort.key} {sort.direction}, p.id {sort.direction} LIMIT $4")
    if not _walks(w, sort):
        return window
    walk_if, window_if = _kept(w, sort)
    walk = (f"SELECT t.id, t.k FROM unnest(enum_range(NULL::{w.shape.stage_type})) AS s(stage)\n"
            f"CROSS JOIN LATERAL ({_walk(w, sort, after, '$4')}) t\n"
            f"WHERE s.stage::text = $1 AND {walk_if}")
    if window_if == "false":
        return walk
    return f"{walk}\nUNION ALL\nSELECT * FROM ({window}) f WHERE {window_if}"


def _functions(workspaces: list[Workspace], ns: str, sort: BoardSort) -> list[str]:
    s = q(ns)
    d = sort.direction
    top = "\nUNION ALL\n".join(_top_branch(w, sort) for w in workspaces) or \
        f"SELECT NULL::text, NULL::uuid, NULL::{sort.key_type} WHERE false"
    pages = "\nUNION ALL\n".join(f"(SELECT * FROM ({_page_branch(w, sort)}) x)" for w in workspaces) or \
        f"SELECT NULL::uuid, NULL::{sort.key_type} WHERE false"
    return [f"""CREATE OR REPLACE FUNCTION {s}.crm_board_ids{sort.suffix}(p_limit integer)
RETURNS TABLE (stage_id text, id uuid)
{_DEFINER} AS $fn$
SELECT r.stage_id, r.id FROM (
    SELECT b.stage_id, b.id, row_number() OVER (PARTITION BY b.stage_id ORDER BY b.k {d}, b.id {d}) AS rn
    FROM (
{top}
    ) b(stage_id, id, k)) r
WHERE r.rn <= $1
$fn$""", f"""CREATE OR REPLACE FUNCTION {s}.crm_stage_page_ids{sort.suffix}(p_stage text, p_after_key {sort.key_type},
                                                   p_after_id uuid, p_limit integer)
RETURNS TABLE (id uuid)
{_DEFINER} AS $fn$
SELECT b.id FROM (
{pages}
) b(id, k)
ORDER BY b.k {d}, b.id {d} LIMIT $4
$fn$"""]


def board_functions(workspaces: list[Workspace], ns: str) -> list[str]:
    """A client schema's functions over that client's workspaces, and their grants."""
    return [stmt for sort in SORTS.values() for stmt in _functions(workspaces, ns, sort)] + grants_sql(ns)


def public_board_functions() -> list[str]:
    out = []
    for sort in SORTS.values():
        out.append(public_reader(f"crm_board_ids{sort.suffix}", [("p_limit", "integer")], "TABLE (stage_id text, id uuid)"))
        out.append(public_reader(f"crm_stage_page_ids{sort.suffix}",
                                 [("p_stage", "text"), ("p_after_key", sort.key_type), ("p_after_id", "uuid"),
                                  ("p_limit", "integer")], "TABLE (id uuid)"))
    return [*out, *grants_sql("public")]


def grants_sql(ns: str) -> list[str]:
    s = q(ns)
    out = []
    for fn in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {s}.{fn} FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION {s}.{fn} TO {_ROLES}")
    return out
