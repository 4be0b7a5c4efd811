"""The enrichment scan task: page through unenriched contacts and companies (enriched_at IS NULL),
ask the provider about each, write what it found to operational fields under the operational role and
log an 'enrichment' activity. A record the provider could not answer for stays unenriched (the next
scan retries it); a record with no match is marked enriched (attempted) so it is not asked about
every hour. One record's failure never loses the others'."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from cockpit.arlo.context import TaskContext
from cockpit.arlo.enrichment import EnrichmentAuthError, EnrichmentError, EnrichmentResult
from cockpit.arlo.registry import ENRICHMENT_SCAN, TaskBlocked, register
from cockpit.models import Company, Contact
from cockpit.arlo.models import EnrichmentWrite

PAGE = 100


def _write(record_id: UUID, result: EnrichmentResult, provider: str, now: Any) -> EnrichmentWrite:
    fields = dict(result.fields) if result.matched else {}
    fields["enriched_at"] = now
    found = ", ".join(f"{k} {v}" for k, v in result.fields.items()) if result.matched else ""
    summary = (f"Enriched via {provider} (likelihood {result.likelihood}): {found}" if result.matched
               else f"{provider} found no match; marked as attempted")
    return EnrichmentWrite(record_id, fields, summary,
                           {"provider": provider, "matched": result.matched, "likelihood": result.likelihood,
                            "fields": sorted(result.fields)})


async def _scan_view(ctx: TaskContext, view: str, stats: dict[str, Any], limit: int | None) -> None:
    provider = ctx.services.enrichment
    after: UUID | None = None
    while limit is None or stats["scanned"] < limit:
        page = await ctx.store.arlo.unenriched_page(view, after=after, limit=PAGE)  # type: ignore[arg-type]
        if not page:
            return
        after = page[-1].id
        companies: dict[UUID, Company] = {}
        if view == "crm_contacts":
            companies = await ctx.store.arlo.companies_by_ids(list({c.company_id for c in page if c.company_id}))
        writes: list[EnrichmentWrite] = []
        for record in page:
            try:
                if isinstance(record, Contact):
                    result = await provider.enrich_person(record, companies.get(record.company_id))  # type: ignore[arg-type]
                else:
                    result = await provider.enrich_company(record)
            except EnrichmentAuthError as exc:
                stats["errors"].append(str(exc))
                raise _Stop from exc
            except EnrichmentError as exc:
                stats["failed"] += 1
                stats["errors"].append(f"{view.removeprefix('crm_')} {record.id}: {exc.message}")
                continue
            stats["matched" if result.matched else "no_match"] += 1
            stats["credits"] += result.credits_used
            writes.append(_write(record.id, result, provider.name, ctx.now()))
        if writes:
            outcome = await ctx.store.arlo.write_enrichment(view, writes)  # type: ignore[arg-type]
            stats["written"] += len(outcome.written)
            stats["failed"] += len(outcome.failed)
            stats["errors"].extend(f"{view.removeprefix('crm_')} {rid}: {msg}" for rid, msg in outcome.failed.items())
        stats["scanned"] += len(page)
        await ctx.checkpoint()      # keep the lease; stop if held or cancelled
        await asyncio.sleep(0)      # let the UI (same event loop) breathe between pages


class _Stop(Exception):
    pass


async def enrichment_scan(ctx: TaskContext) -> dict[str, Any]:
    provider = ctx.services.enrichment
    if not provider.configured:
        counts = await ctx.store.arlo.unenriched_counts()
        return {"summary": f"enrichment not configured (offline): nothing enriched; {counts['contacts']} contacts "
                           f"and {counts['companies']} companies await enrichment — set COCKPIT_ENRICHMENT_URL and "
                           "COCKPIT_ENRICHMENT_API_KEY", "provider": provider.name, "written": 0, **counts}
    limit = ctx.task.params.get("limit")
    stats: dict[str, Any] = {"scanned": 0, "matched": 0, "no_match": 0, "written": 0, "failed": 0, "credits": 0,
                             "errors": []}
    stopped = False
    try:
        for view in ("crm_companies", "crm_contacts"):
            await _scan_view(ctx, view, stats, limit)
    except _Stop:
        stopped = True
    stats["errors"] = stats["errors"][:50]
    waited = getattr(provider, "waited_seconds", 0.0)
    summary = (f"enrichment via {provider.name}: {stats['scanned']} scanned, {stats['matched']} matched, "
               f"{stats['no_match']} without a match, {stats['written']} written, {stats['failed']} failed"
               + (f", {waited:.1f}s waiting on rate limits" if waited else ""))
    if stopped:
        raise TaskBlocked({"error": stats["errors"][-1], "summary": summary, **stats})
    return {"summary": summary, "provider": provider.name, **stats}


register(ENRICHMENT_SCAN, enrichment_scan)
