"""The pipeline board's first paint: the first page of every stage in one round trip.

Seven per-stage queries each scan the whole deals view (a UNION ALL over workspaces, so no index can
serve the sort) and, run together, compete for the same cores. One query ranks every deal once
(``row_number() OVER (PARTITION BY stage_id ...)``; the view's extension join is removed by the planner
when only the id and sort key are read) and then reads the few winning rows by id. The cursors it
returns are the same ``(sort_key, id)`` pairs :meth:`CrmMixin.deal_cards` takes for the next pages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from psycopg.rows import dict_row

from cockpit.models import DealCard, Page
from cockpit.store.crm import _DEAL_SORTS, CrmMixin, DealSort, _page

SORT_WORK_MEM = "64MB"  # rank 100k+ deals in memory rather than in a temp file


class BoardMixin(CrmMixin):
    async def first_pages(self, *, sort: DealSort = "amount", limit: int = 30,
                          text: str | None = None) -> dict[str, Page[DealCard]]:
        """stage_id -> first page of its cards (stages without deals are absent)."""
        key, direction = _DEAL_SORTS[sort]
        where, params = self._deal_filter(text)
        params.append(limit + 1)
        query = (
            "WITH ranked AS MATERIALIZED ("
            " SELECT id FROM (SELECT d.id, row_number() OVER (PARTITION BY d.stage_id"
            f"  ORDER BY {key} {direction}, d.id {direction}) AS rn FROM crm_deals d {where}) r"
            " WHERE rn <= %s) "
            "SELECT d.id, d.name, d.amount, d.currency, d.close_date, d.stage_id, d.company_id,"
            " (SELECT c.name FROM crm_companies c WHERE c.id = d.company_id) AS company_name, d.contact_id,"
            " (SELECT p.full_name FROM crm_contacts p WHERE p.id = d.contact_id) AS contact_name,"
            f" d.last_activity_at, d.priority, d.updated_at, {key} AS sort_key "
            "FROM crm_deals d WHERE d.id = ANY (ARRAY(SELECT id FROM ranked)) "
            f"ORDER BY d.stage_id, {key} {direction}, d.id {direction}")
        async with self.tx("readonly") as conn:
            await conn.execute(f"SET LOCAL work_mem = '{SORT_WORK_MEM}'")
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            rows = await cur.fetchall()
        by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_stage[row["stage_id"]].append(row)
        pages: dict[str, Page[DealCard]] = {}
        for stage_id, stage_rows in by_stage.items():
            page = _page(stage_rows, limit, lambda r: (r["sort_key"], r["id"]))
            pages[stage_id] = Page(items=[DealCard(**r) for r in page.items], next_after=page.next_after)
        return pages
