"""What arlo's task types read and write through Layer 2: unenriched records and their enrichment
(operational role), stale deals for pipeline health, follow-up candidates for ad-hoc queries.

Enrichment writes a page of results in one transaction with a savepoint per record, so one record's
failure (a refused value, a record deleted meanwhile) rolls back that record only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
import psycopg

from cockpit.db.connect import explain_write_error
from cockpit.db.views import CONTRACT
from cockpit.errors import NotFound, ValidationFailed
from cockpit.arlo.models import EnrichmentWrite, WriteOutcome
from cockpit.models import Company, Contact
from cockpit.store.core import Db

EnrichView = Literal["crm_contacts", "crm_companies"]
_COLUMNS = {view: {c for c, _ in CONTRACT[view]} for view in ("crm_contacts", "crm_companies")}


class ArloRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    # --- enrichment -----------------------------------------------------------------------------
    async def unenriched_page(self, view: EnrichView, *, after: UUID | None = None,
                              limit: int = 100) -> list[Any]:
        """Unenriched records (enriched_at IS NULL) in id order, one keyset page after ``after``."""
        model = Contact if view == "crm_contacts" else Company
        cond = " AND id > %s" if after else ""
        params: list[Any] = ([after] if after else []) + [limit]
        return await self.db.fetch_models(
            model, f"SELECT * FROM {view} WHERE enriched_at IS NULL{cond} ORDER BY id LIMIT %s", params)

    async def unenriched_counts(self) -> dict[str, int]:
        rows = await self.db.fetch_dicts(
            "SELECT (SELECT count(*) FROM crm_contacts WHERE enriched_at IS NULL)::int AS contacts,"
            " (SELECT count(*) FROM crm_companies WHERE enriched_at IS NULL)::int AS companies")
        return rows[0]

    async def write_enrichment(self, view: EnrichView, writes: list[EnrichmentWrite]) -> WriteOutcome:
        """Write each record's operational fields and log an 'enrichment' activity, as the operational
        role. A savepoint per record: a refused record is reported, the others are kept. Which fields the
        role may write is Postgres's decision (column privileges): a strategic field is refused there."""
        outcome = WriteOutcome()
        known = _COLUMNS[view]
        link = "contact_id" if view == "crm_contacts" else "company_id"
        async with self.db.tx("operational") as conn:
            for w in writes:
                unknown = sorted(set(w.fields) - known)
                if unknown:
                    outcome.failed[w.record_id] = f"{view} has no field {', '.join(unknown)}"
                    continue
                cols = list(w.fields) or ["enriched_at"]
                values = [w.fields.get(c) for c in cols]
                try:
                    async with conn.transaction():
                        cur = await conn.execute(
                            f"UPDATE {view} SET {', '.join(f'{c} = %s' for c in cols)} WHERE id = %s RETURNING id",
                            values + [w.record_id])
                        if await cur.fetchone() is None:
                            outcome.failed[w.record_id] = "record no longer exists in this client's scope"
                            continue
                        await conn.execute(
                            f"INSERT INTO crm_activities (kind, channel, subject, summary, {link}, source,"
                            " external_id, properties) VALUES ('enrichment', 'enrichment', %s, %s, %s, 'arlo', %s, %s)",
                            ("Enriched" if w.properties.get("matched") else "Enrichment: no match", w.summary,
                             w.record_id, f"enrich:{w.record_id}:{w.fields.get('enriched_at')}", Jsonb(w.properties)))
                    outcome.written.append(w.record_id)
                except psycopg.Error as exc:
                    outcome.failed[w.record_id] = str(explain_write_error(exc, role="redkey_cockpit_operational",
                                                                          columns=cols))
        return outcome

    # --- strategic instructions ------------------------------------------------------------------
    async def apply_strategic(self, view: Literal["crm_contacts", "crm_companies", "crm_deals"], record_id: UUID,
                              fields: dict[str, Any], *, stage_id: str | None = None) -> str | None:
        """One instruction's changes in one transaction as the strategic role: a stage move
        (crm_move_deal, which validates and logs it) and field updates, all or nothing. Returns the
        stage the deal moved from, if it moved."""
        known = {c for c, _ in CONTRACT[view]}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValidationFailed(f"{view} has no field {', '.join(unknown)}")
        cols = list(fields) + (["stage_id"] if stage_id else [])
        from_stage = None
        async with self.db.tx("strategic", columns=cols) as conn:
            if stage_id:
                cur = await conn.execute("SELECT from_stage FROM crm_move_deal(%s, %s)", (record_id, stage_id))
                from_stage = (await cur.fetchone())[0]  # type: ignore[index]
            if fields:
                cur = await conn.execute(
                    f"UPDATE {view} SET {', '.join(f'{c} = %s' for c in fields)} WHERE id = %s RETURNING id",
                    list(fields.values()) + [record_id])
                if await cur.fetchone() is None:
                    raise NotFound(f"no such record {record_id} in this client's scope")
        return from_stage

    # --- pipeline health ------------------------------------------------------------------------
    async def stale_deals(self, thresholds: dict[str, int], default_days: int, *, now: datetime | None = None,
                          limit: int = 25) -> tuple[int, list[dict[str, Any]]]:
        """Open deals idle past their stage's threshold (days since last activity, or creation), most
        idle first; returns (total count, first ``limit`` rows). ``thresholds`` is keyed by stage id or label."""
        base = (
            "FROM crm_deals d JOIN crm_pipeline p ON p.stage_id = d.stage_id "
            "LEFT JOIN crm_companies c ON c.id = d.company_id "
            "WHERE NOT p.is_closed AND coalesce(d.last_activity_at, d.created_at) < "
            "coalesce(%(now)s::timestamptz, now()) - make_interval(days => coalesce((%(t)s::jsonb ->> d.stage_id)::int,"
            " (%(t)s::jsonb ->> p.label)::int, %(d)s))")
        params = {"now": now, "t": Jsonb(thresholds), "d": default_days, "limit": limit}
        async with self.db.tx("readonly") as conn:
            cur = await conn.execute(f"SELECT count(*) {base}", params)
            total = int((await cur.fetchone())[0])  # type: ignore[index]
            dcur = conn.cursor(row_factory=dict_row)
            await dcur.execute(
                "SELECT d.id, d.name, d.amount, d.currency, d.stage_id, p.label AS stage_label, c.name AS company_name,"
                " d.last_activity_at, (coalesce(%(now)s::timestamptz, now())::date - coalesce(d.last_activity_at,"
                f" d.created_at)::date) AS idle_days {base} ORDER BY coalesce(d.last_activity_at, d.created_at), d.id"
                " LIMIT %(limit)s", params)
            return total, await dcur.fetchall()

    # --- ad-hoc queries ---------------------------------------------------------------------------
    async def follow_up_candidates(self, *, today: date, stale_days: int, limit: int = 15) -> list[dict[str, Any]]:
        """Contacts Justin should follow up: a recontact date due within a week, or an open deal idle
        past ``stale_days``. Most urgent first; each row's ``total`` is how many there are in all (SQL).
        Idle days are calendar days from the last activity to ``today`` (as the pipeline health report counts)."""
        return await self._follow_ups(today, stale_days, limit)

    async def _follow_ups(self, today: date, stale_days: int, limit: int) -> list[dict[str, Any]]:
        return await self.db.fetch_dicts(
            "SELECT *, count(*) OVER () AS total FROM ("
            " SELECT DISTINCT ON (contact_id) * FROM ("
            "  SELECT p.id AS contact_id, p.full_name, c.name AS company_name, NULL::text AS deal_name,"
            "   p.recontact_at AS due_on, 'recontact date ' || to_char(p.recontact_at, 'YYYY-MM-DD') AS reason"
            "  FROM crm_contacts p LEFT JOIN crm_companies c ON c.id = p.company_id"
            "  WHERE p.recontact_at <= %(today)s::date + 7"
            "  UNION ALL"
            "  SELECT p.id, p.full_name, c.name, d.name,"
            "   coalesce(d.recontact_at, coalesce(d.last_activity_at, d.created_at)::date),"
            "   CASE WHEN d.recontact_at IS NOT NULL AND d.recontact_at <= %(today)s::date + 7"
            "    THEN 'deal recontact date ' || to_char(d.recontact_at, 'YYYY-MM-DD')"
            "    ELSE 'deal idle ' || (%(today)s::date - coalesce(d.last_activity_at, d.created_at)::date) || ' days'"
            "   END"
            "  FROM crm_deals d JOIN crm_pipeline s ON s.stage_id = d.stage_id"
            "  JOIN crm_contacts p ON p.id = d.contact_id LEFT JOIN crm_companies c ON c.id = d.company_id"
            "  WHERE NOT s.is_closed AND (d.recontact_at <= %(today)s::date + 7"
            "   OR coalesce(d.last_activity_at, d.created_at) < %(today)s::date - %(stale)s)"
            " ) due ORDER BY contact_id, due_on"
            ") x ORDER BY due_on, full_name LIMIT %(limit)s",
            {"today": today, "stale": stale_days, "limit": limit})

    async def last_activity_of(self, contact_id: UUID) -> dict[str, Any] | None:
        rows = await self.db.fetch_dicts(
            "SELECT occurred_at, kind, subject, summary FROM crm_activities WHERE contact_id = %s "
            "ORDER BY occurred_at DESC, id DESC LIMIT 1", (contact_id,))
        return rows[0] if rows else None

    async def companies_by_ids(self, ids: list[UUID]) -> dict[UUID, Company]:
        if not ids:
            return {}
        rows = await self.db.fetch_models(Company, "SELECT * FROM crm_companies WHERE id = ANY(%s)", (ids,))
        return {c.id: c for c in rows}
