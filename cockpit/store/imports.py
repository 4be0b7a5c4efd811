"""Persistence of imports: the raw batch (bytes as received), manifests, row records and proposals,
and the low-risk auto commit — the whole import in one transaction, so nothing is half-committed.

RedKey's bookkeeping tables are written as the owner; CRM records only ever through the stable views'
write path under the operational role (switched inside the same transaction, so one rollback undoes everything).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

# psycopg's own COPY formatter (its C one), used off the event loop; psycopg is pinned exactly
from psycopg import postgres
from psycopg._copy_base import BinaryFormatter
from psycopg.adapt import AdaptersMap, Dumper, Transformer
from psycopg.pq import Format
from psycopg.rows import dict_row
from pydantic_core import to_json

from cockpit.contracts import ImportMappingManifest, RawImportBatch
from cockpit.imports.models import AUTO_RULE, Existing, ImportStep, LookUp, Progress, ProposalRecord
from cockpit.store.core import Db
from cockpit.store.worker_thread import iterate_in_thread

AS_OPERATIONAL = "SELECT set_config('role', 'redkey_cockpit_operational', true)"
AS_OWNER = "SELECT set_config('role', 'none', true)"
AS_READONLY = "SELECT set_config('role', 'redkey_cockpit_readonly', true)"
IMPORT_TIMEOUT = "10min"
# the views' set-based insert (same checks as their triggers, once per statement): a JSON array of view rows
INSERT_COMPANIES = "SELECT redkey.crm_companies_insert_rows(%s::jsonb)"
INSERT_CONTACTS = "SELECT redkey.crm_contacts_insert_rows(%s::jsonb)"

_CONTACT_COLS = ("first_name", "last_name", "email", "phone", "job_title", "city", "linkedin_url")
_COMPANY_COLS = ("name", "domain", "city", "country", "industry", "linkedin_url", "employees")
_CONTACT_ROW = ("id", *_CONTACT_COLS, "company_id")
_COMPANY_ROW = ("id", *_COMPANY_COLS)

# Both in COPY's binary format: the server parses no text for the uuids, timestamps and numbers (for 20k
# proposals 0.78 s of server CPU instead of 0.99). The types, column by column:
ROW_COPY = "COPY redkey.import_rows (batch_id, row_number, client_id, raw_values, status, errors) FROM STDIN (FORMAT binary)"
ROW_TYPES = ("uuid", "int4", "text", "jsonb", "text", "jsonb")
PROPOSAL_COPY = (
    "COPY redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, batch_id, row_number, "
    "entity_type, action, target_id, payload, merge_candidate_refs, review_required, confidence, summary, "
    "auto_rule, status, committed_at, created_by, created_at, artifact) FROM STDIN (FORMAT binary)")
PROPOSAL_TYPES = ("uuid", "text", "text", "text", "text", "uuid", "int4", "text", "text", "uuid", "jsonb", "jsonb",
                  "bool", "float4", "text", "text", "text", "timestamptz", "text", "timestamptz", "jsonb")


class _UuidDumper(Dumper):
    """A uuid given as its canonical text (as the import's ids are), in binary."""

    format = Format.BINARY
    oid = postgres.types["uuid"].oid

    def dump(self, obj: Any) -> bytes:
        return bytes.fromhex(obj.replace("-", "")) if isinstance(obj, str) else obj.bytes


class _JsonTextDumper(Dumper):
    """jsonb given as JSON text already serialized (``_json``), in binary: jsonb's version byte, the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + obj.encode()


class _CopyFormat:
    """Rows -> one COPY's binary data for columns of ``types`` (psycopg's formatter and dumpers, with the
    two above for the import's uuids and JSON)."""

    def __init__(self, adapt: Any, types: tuple[str, ...]) -> None:
        adapters = AdaptersMap(adapt.adapters)
        adapters.register_dumper(None, _UuidDumper)  # None: by their type's oid only, as the columns are typed
        adapters.register_dumper(None, _JsonTextDumper)
        self.transformer = Transformer(adapters)
        self.transformer.set_dumper_types([adapters.types[t].oid for t in types], Format.BINARY)

    def data(self, rows: Iterable[tuple[Any, ...]]) -> bytearray:
        formatter = BinaryFormatter(self.transformer)  # one per COPY: each starts with the signature
        out = bytearray()
        for row in rows:
            out += formatter.write_row(row)
        out += formatter.end()
        return out


@dataclass
class _Step:
    """A step of the write, built off the event loop: the import and proposal rows as COPY data (already
    formatted, so the event loop only streams bytes while the server parses them), and the view rows of
    the records its low-risk proposals create (companies first: the contacts of the step may link to
    them)."""

    rows: bytearray = field(default_factory=bytearray)
    row_count: int = 0
    proposals: bytearray = field(default_factory=bytearray)
    proposal_count: int = 0
    companies: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    auto: int = 0
    errors: int = 0


def _view_row(cols: tuple[str, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    """A view row of the set values (None or '': not set)."""
    return {c: v for c, v in zip(cols, values) if v is not None and v != ""}


def _steps(steps: Iterable[ImportStep], *, client: str, batch_id: str, adapt: Any) -> Iterator[_Step]:
    """Import steps -> what to write for each: the import_rows and proposals COPY data (the artifact
    serialised as the model stores it; formatted with ``adapt``'s adapters, the connection's), and the
    records of the low-risk proposals, built from the same proposal objects (nothing reads
    redkey.proposals back under row-level security: a self-join there ran a policy call per pair of rows)."""
    company_target: dict[str, str] = {}
    row_format, proposal_format = _CopyFormat(adapt, ROW_TYPES), _CopyFormat(adapt, PROPOSAL_TYPES)
    for st in steps:
        step = _Step(row_count=len(st.rows))
        step.rows = row_format.data((batch_id, number, client, _json(values), "error" if errors else "ok",
                                     _json(errors)) for number, values, errors in st.rows)
        proposals: list[tuple[Any, ...]] = []
        for p in st.proposals:
            auto = AUTO_RULE if (p.action == "create" and not p.review_required
                                 and not p.merge_candidate_refs) else None
            c = p.canonical_payload
            if auto:
                step.auto += 1
                if p.entity_type == "company":
                    company_target[p.proposal_id] = p.target_id
                    step.companies.append(_view_row(_COMPANY_ROW, (p.target_id, *(c.get(k) for k in _COMPANY_COLS))))
                else:
                    step.contacts.append(_view_row(_CONTACT_ROW, (
                        p.target_id, *(c.get(k) for k in _CONTACT_COLS),
                        c.get("company_id") or company_target.get(c.get("company_ref") or ""))))
            proposals.append((
                p.proposal_id, client, "entity", p.ARTIFACT_TYPE, p.schema_version, batch_id, p.row_number,
                p.entity_type, p.action, p.target_id, _json(c), _json(p.merge_candidate_refs), p.review_required,
                p.confidence, proposal_summary(p), auto, "committed" if auto else "pending",
                p.created_at if auto else None, p.created_by, p.created_at, p.artifact_json()))
        step.proposals, step.proposal_count = proposal_format.data(proposals), len(proposals)
        step.errors = sum(1 for _, _, e in st.rows if e)
        yield step


def _json(value: Any) -> str:
    if not value and isinstance(value, list):
        return "[]"  # most rows have no errors and most proposals no candidates
    return to_json(value).decode()


async def _insert_rows(conn: Any, statement: str, rows: list[dict[str, Any]]) -> int:
    """Create ``rows`` (view rows) through a set-based insert; the number of records the database created."""
    if not rows:
        return 0
    cur = await conn.execute(statement, (_json(rows),))
    return (await cur.fetchone())[0]


def proposal_summary(p: ProposalRecord) -> str:
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

    async def write_import(self, *, manifest: ImportMappingManifest, proposed_manifest_id: str,
                           steps: Callable[[LookUp], Iterable[ImportStep]], rows: int,
                           progress: Progress | None = None) -> dict[str, int]:
        """Confirm the manifest, record every row and proposal, and commit the low-risk ones — all in one
        transaction. Returns counts (rows, errors, proposals, auto_committed, queued, and the records the
        database created: created_contacts, created_companies).

        ``steps(look_up)`` gives the import a step of rows at a time; it runs in a worker thread, preparing
        the next step while the database writes this one, and calls ``look_up`` (emails, domains, names)
        for what the CRM holds, read through the stable views in a read-only transaction of its own (so a
        look-up runs while this transaction writes; on a pool of one connection, in this transaction).
        ``rows``: how many rows the file has (for progress).

        Low-risk proposals are recorded already 'committed' under the auto rule (the database checks the
        rule holds) and their records are created in the same transaction, under the operational role,
        through the views' set-based insert (``redkey.crm_*_insert_rows``: the trigger's checks once per
        statement, one INSERT per table): either all of it happens or none of it does."""
        client = self.db.require_scope()
        batch_id = manifest.batch_id
        tick = progress or (lambda phase, done, total: None)
        loop = asyncio.get_running_loop()
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

            busy = asyncio.Lock()  # the writes (and look-ups, when they share conn) take turns on conn
            # The look-ups read the CRM as committed, in their own read-only transactions, so they run while
            # this one writes: the planner ignores what this import creates, so they see what it needs.
            # A pool of one connection has none to spare: there they take turns with the writes on conn.
            own_connection = getattr(self.db.pool, "max_size", 1) > 1

            async def existing(emails: list[str], domains: list[str], names: list[str]) -> Existing:
                if own_connection:
                    async with self.db.tx("readonly") as reader:
                        return await _existing_on(reader, emails, domains, names)
                async with busy:
                    await conn.execute(AS_READONLY)
                    try:
                        return await _existing_on(conn, emails, domains, names)
                    finally:
                        await conn.execute(AS_OWNER)

            def look_up(emails: list[str], domains: list[str], names: list[str]) -> Existing:  # worker thread
                if not (emails or domains or names):
                    return Existing()
                return asyncio.run_coroutine_threadsafe(existing(emails, domains, names), loop).result()

            done = errors = count = auto_count = created_companies = created_contacts = 0
            # one step waits while one is written and the next is prepared: bounded memory, full overlap
            prepared = iterate_in_thread(_steps(steps(look_up), client=client, batch_id=batch_id, adapt=conn), depth=1,
                                         name="cockpit-import")
            async with aclosing(prepared):
                tick("normalizing and planning", 0, rows)
                async for s in prepared:
                    async with busy:
                        tick("recording rows", done, rows)
                        companies, contacts = await _write_step(conn, s, lambda phase: tick(phase, done, rows))
                    done += s.row_count
                    errors, count, auto_count = errors + s.errors, count + s.proposal_count, auto_count + s.auto
                    created_companies, created_contacts = created_companies + companies, created_contacts + contacts
                    tick("normalizing and planning", done, rows)
            tick("recorded", done, rows)
        return {"rows": done, "errors": errors, "proposals": count, "auto_committed": auto_count,
                "queued": count - auto_count, "created_contacts": created_contacts,
                "created_companies": created_companies}


async def _write_step(conn: Any, s: _Step, phase: Callable[[str], None]) -> tuple[int, int]:
    """Write one step: its rows, its proposals, then the records of its low-risk proposals (under the
    operational role); the numbers of companies and contacts the database created."""
    async with conn.cursor().copy(ROW_COPY) as cp:
        await cp.write(s.rows)
    phase("recording proposals")
    if s.proposals:
        async with conn.cursor().copy(PROPOSAL_COPY) as cp:
            await cp.write(s.proposals)
    if not (s.companies or s.contacts):
        return 0, 0
    phase("committing low-risk records")
    await conn.execute(AS_OPERATIONAL)
    companies = await _insert_rows(conn, INSERT_COMPANIES, s.companies)
    contacts = await _insert_rows(conn, INSERT_CONTACTS, s.contacts)
    await conn.execute(AS_OWNER)
    return companies, contacts


async def _existing_on(conn: Any, emails: list[str], domains: list[str], names: list[str]) -> Existing:
    """What the CRM holds for these keys, read through the stable views on ``conn``."""
    ex = Existing()
    cur = conn.cursor(row_factory=dict_row)
    if emails:
        await cur.execute(
            "SELECT c.id, lower(c.email) AS email, c.first_name, c.last_name, c.full_name, c.phone, "
            "c.job_title, c.city, c.linkedin_url, c.company_id FROM crm_contacts c "
            "JOIN unnest(%s::text[]) AS k(email) ON lower(c.email) = k.email", (emails,))
        for r in await cur.fetchall():
            ex.contacts.setdefault(r["email"], r)
    if domains:
        await cur.execute("SELECT c.id, c.domain FROM crm_companies c JOIN unnest(%s::text[]) AS k(d) ON c.domain = k.d "
                          "ORDER BY c.created_at", (domains,))
        for r in await cur.fetchall():
            ex.company_domains.setdefault(r["domain"], str(r["id"]))
    if names:
        await cur.execute("SELECT c.id, lower(c.name) AS name FROM crm_companies c "
                          "JOIN unnest(%s::text[]) AS k(n) ON lower(c.name) = k.n ORDER BY c.created_at", (names,))
        for r in await cur.fetchall():
            ex.company_names.setdefault(r["name"], str(r["id"]))
    return ex
