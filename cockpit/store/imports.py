"""Persistence of imports: the raw batch (bytes as received), manifests, row records and proposals,
and the low-risk auto commit — the whole import in one transaction, so nothing is half-committed.

RedKey's bookkeeping tables are written as the owner; CRM records only ever through the stable views'
write path under the operational role (switched inside the same transaction, so one rollback undoes everything).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cockpit.contracts import ImportMappingManifest, NormalizedEntityProposal, RawImportBatch
from cockpit.imports.models import AUTO_RULE, Existing, Progress
from cockpit.store.core import Db

AS_OPERATIONAL = "SELECT set_config('role', 'redkey_cockpit_operational', true)"
AS_OWNER = "SELECT set_config('role', 'none', true)"
IMPORT_TIMEOUT = "10min"
# the views' set-based insert (same checks as their triggers, once per statement): a JSON array of view rows
INSERT_COMPANIES = "SELECT redkey.crm_companies_insert_rows(%s::jsonb)"
INSERT_CONTACTS = "SELECT redkey.crm_contacts_insert_rows(%s::jsonb)"

_CONTACT_COLS = ("first_name", "last_name", "email", "phone", "job_title", "city", "linkedin_url")
_COMPANY_COLS = ("name", "domain", "city", "country", "industry", "linkedin_url", "employees")

ROW_COPY = "COPY redkey.import_rows (batch_id, row_number, client_id, raw_values, status, errors) FROM STDIN"
PROPOSAL_COPY = (
    "COPY redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, batch_id, row_number, "
    "entity_type, action, target_id, payload, merge_candidate_refs, review_required, confidence, summary, "
    "auto_rule, status, committed_at, created_by, created_at, artifact) FROM STDIN")


INSERT_CHUNK = 5000  # rows per set-based insert: bounds the JSON held at once, still one statement per 5,000 rows


async def _insert_rows(conn: Any, statement: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Create ``rows`` (values of ``cols``, one view row each; None: not set) through a set-based insert,
    in chunks of JSON; the number of records the database created."""
    created = 0
    for i in range(0, len(rows), INSERT_CHUNK):
        chunk = [{c: v for c, v in zip(cols, row) if v is not None and v != ""} for row in rows[i:i + INSERT_CHUNK]]
        cur = await conn.execute(statement, (json.dumps(chunk, separators=(",", ":"), ensure_ascii=False),))
        created += (await cur.fetchone())[0]
    return created


def proposal_summary(p: NormalizedEntityProposal) -> str:
    c = p.canonical_payload
    who = " ".join(x for x in (c.get("first_name"), c.get("last_name")) if x) or c.get("name") or ""
    key = c.get("email") or c.get("domain") or ""
    label = f"{who} <{key}>" if who and key else (who or key)
    return f"{p.action} {p.entity_type} {label}".strip()


class ImportsRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def save_raw_batch(self, batch: RawImportBatch, raw: bytes) -> None:
        """Keep the file exactly as received (the database checks the digest, and refuses changes)."""
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.import_batches (batch_id, client_id, uploaded_filename, mime_type, raw_bytes, "
                "sha256, row_count, uploaded_by, schema_version, artifact, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (batch.batch_id, client, batch.uploaded_filename, batch.mime_type, raw, batch.sha256,
                 batch.row_count, batch.uploaded_by, batch.schema_version, json.dumps(batch.to_json()),
                 batch.created_at))

    async def save_manifest(self, manifest: ImportMappingManifest) -> None:
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.import_manifests (manifest_id, batch_id, client_id, schema_version, artifact, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (manifest.manifest_id, manifest.batch_id, client, manifest.schema_version,
                 json.dumps(manifest.to_json()), manifest.created_at))

    async def raw_batch_bytes(self, batch_id: str) -> bytes | None:
        value = await self.db.fetch_value(
            "SELECT raw_bytes FROM redkey.import_batches WHERE batch_id = %s AND client_id = %s",
            (batch_id, self.db.require_scope()))
        return bytes(value) if value is not None else None

    async def existing_for_import(self, emails: list[str], domains: list[str], names: list[str]) -> Existing:
        """What the CRM already holds for these keys, read through the stable views."""
        ex = Existing()
        if emails:
            for r in await self.db.fetch_dicts(
                    "SELECT c.id, lower(c.email) AS email, c.first_name, c.last_name, c.full_name, c.phone, "
                    "c.job_title, c.city, c.linkedin_url, c.company_id FROM crm_contacts c "
                    "JOIN unnest(%s::text[]) AS k(email) ON lower(c.email) = k.email", (emails,)):
                ex.contacts.setdefault(r["email"], r)
        if domains:
            for r in await self.db.fetch_dicts(
                    "SELECT c.id, c.domain FROM crm_companies c JOIN unnest(%s::text[]) AS k(d) ON c.domain = k.d "
                    "ORDER BY c.created_at", (domains,)):
                ex.company_domains.setdefault(r["domain"], str(r["id"]))
        if names:
            for r in await self.db.fetch_dicts(
                    "SELECT c.id, lower(c.name) AS name FROM crm_companies c "
                    "JOIN unnest(%s::text[]) AS k(n) ON lower(c.name) = k.n ORDER BY c.created_at", (names,)):
                ex.company_names.setdefault(r["name"], str(r["id"]))
        return ex

    async def write_import(self, *, manifest: ImportMappingManifest, proposed_manifest_id: str,
                           rows: list[tuple[int, list[str], list[dict[str, Any]]]],
                           proposals: Iterable[NormalizedEntityProposal],
                           progress: Progress | None = None) -> dict[str, int]:
        """Confirm the manifest, record every row and proposal, and commit the low-risk ones — all in one
        transaction. Returns counts (rows, errors, proposals, auto_committed, queued, and the records the
        database created: created_contacts, created_companies).

        Low-risk proposals are recorded already 'committed' under the auto rule (the database checks the
        rule holds) and their records are created in the same transaction, under the operational role,
        through the views' set-based insert (``redkey.crm_*_insert_rows``: the trigger's checks once per
        statement, one INSERT per table): either both happen or neither does. The records are built from
        the same proposal objects as they are copied in, so nothing reads redkey.proposals back under
        row-level security (a self-join there ran a policy call per pair of rows: quadratic)."""
        client = self.db.require_scope()
        batch_id = manifest.batch_id
        tick = progress or (lambda phase, done, total: None)
        async with self.db.tx("owner") as conn:
            # a bulk write of this size is expected to run longer than an interactive statement
            await conn.execute("SELECT set_config('statement_timeout', %s, true)", (IMPORT_TIMEOUT,))
            if manifest.manifest_id == proposed_manifest_id:
                await conn.execute(
                    "UPDATE redkey.import_manifests SET status = 'confirmed', confirmed_at = now() "
                    "WHERE manifest_id = %s AND client_id = %s", (manifest.manifest_id, client))
            else:
                await conn.execute("UPDATE redkey.import_manifests SET status = 'superseded' "
                                   "WHERE batch_id = %s AND status = 'proposed'", (batch_id,))
                await conn.execute(
                    "INSERT INTO redkey.import_manifests (manifest_id, batch_id, client_id, schema_version, "
                    "status, artifact, created_at, confirmed_at) VALUES (%s, %s, %s, %s, 'confirmed', %s, %s, now())",
                    (manifest.manifest_id, batch_id, client, manifest.schema_version,
                     json.dumps(manifest.to_json()), manifest.created_at))
            step = max(1, len(rows) // 50)
            async with conn.cursor().copy(ROW_COPY) as cp:
                for i, (number, values, errors) in enumerate(rows):
                    await cp.write_row((batch_id, number, client, json.dumps(values),
                                        "error" if errors else "ok", json.dumps(errors)))
                    if i % step == 0:
                        tick("recording rows", i, len(rows))
            tick("recording rows", len(rows), len(rows))
            total = len(proposals) if isinstance(proposals, list) else len(rows)  # an iterator: about a row each
            step = max(1, total // 50)
            auto_count = count = 0
            # the records to create: (id, the payload's values for the columns) of the payload's own strings
            companies: list[tuple[Any, ...]] = []
            contacts: list[tuple[Any, ...]] = []
            company_target: dict[str, str] = {}
            async with conn.cursor().copy(PROPOSAL_COPY) as cp:
                for i, p in enumerate(proposals):
                    count += 1
                    auto = AUTO_RULE if (p.action == "create" and not p.review_required
                                         and not p.merge_candidate_refs) else None
                    auto_count += auto is not None
                    if auto:
                        c = p.canonical_payload
                        if p.entity_type == "company":
                            company_target[p.proposal_id] = p.target_id
                            companies.append((p.target_id, *(c.get(k) for k in _COMPANY_COLS)))
                        else:
                            contacts.append((p.target_id, *(c.get(k) for k in _CONTACT_COLS),
                                             c.get("company_id") or company_target.get(c.get("company_ref") or "")))
                    await cp.write_row((
                        p.proposal_id, client, "entity", p.ARTIFACT_TYPE, p.schema_version, batch_id, p.row_number,
                        p.entity_type, p.action, p.target_id, json.dumps(p.canonical_payload),
                        json.dumps(p.merge_candidate_refs), p.review_required, p.confidence, proposal_summary(p),
                        auto, "committed" if auto else "pending", p.created_at if auto else None,
                        p.created_by, p.created_at, p.model_dump_json()))
                    if i % step == 0:
                        tick("recording proposals", i, max(total, i))
            tick("recording proposals", count, count)
            tick("committing low-risk records", 0, 2)
            await conn.execute(AS_OPERATIONAL)
            created_companies = await _insert_rows(conn, INSERT_COMPANIES, ("id", *_COMPANY_COLS), companies)
            tick("committing low-risk records", 1, 2)
            created_contacts = await _insert_rows(conn, INSERT_CONTACTS, ("id", *_CONTACT_COLS, "company_id"), contacts)
            await conn.execute(AS_OWNER)
            auto = auto_count
            tick("committing low-risk records", 2, 2)
        errors = sum(1 for _, _, e in rows if e)
        return {"rows": len(rows), "errors": errors, "proposals": count, "auto_committed": auto,
                "queued": count - auto, "created_contacts": created_contacts, "created_companies": created_companies}
