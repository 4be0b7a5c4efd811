"""Proposals and approval decisions: the pending queue (keyset pages, counts in SQL), one proposal with
its evidence, and the decision transaction that records an immutable ApprovalDecision and applies the
change through the stable views under the role that owns the fields.

The database has the last word: a proposal only becomes 'committed' with an approved decision on it
(or the low-risk auto rule), and decisions cannot be changed afterwards.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from cockpit.approvals.models import ProposalRow
from cockpit.contracts import ApprovalDecision, ClientGraphDelta
from cockpit.errors import NotFound
from cockpit.models import Page
from cockpit.store.core import ROLE_NAMES, Db, keyset_page


_COLS = ("proposal_id, kind, artifact_type, entity_type, action, target_id, payload, merge_candidate_refs, "
         "review_required, confidence, summary, status, batch_id, row_number, created_by, created_at, decision_id, "
         "artifact")

Apply = Callable[["RoleConn"], Awaitable[list[dict[str, Any]]]]


class RoleConn:
    """One transaction's connection, switchable between the owner and a field-owning role."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def as_role(self, role: str) -> None:
        name = ROLE_NAMES[role]  # type: ignore[index]
        await self.conn.execute("SELECT set_config('role', %s, true)", (name or "none",))

    async def rows(self, query: str, params: Any = ()) -> list[dict[str, Any]]:
        cur = self.conn.cursor(row_factory=dict_row)
        await cur.execute(query, params)  # type: ignore[arg-type]
        return await cur.fetchall() if cur.description else []

    async def one(self, query: str, params: Any = ()) -> dict[str, Any] | None:
        rows = await self.rows(query, params)
        return rows[0] if rows else None


class ApprovalsRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def pending_count(self, kind: str | None = None) -> int:
        return int(await self.db.fetch_value(
            "SELECT count(*) FROM redkey.proposals WHERE client_id = %s AND status = 'pending' "
            "AND (%s::text IS NULL OR kind = %s)", (self.db.require_scope(), kind, kind)) or 0)

    async def pending_proposals(self, *, after: tuple[datetime, UUID] | None = None, limit: int = 50,
                                kind: str | None = None) -> Page[ProposalRow]:
        """Oldest first, keyset-paginated on (created_at, proposal_id)."""
        params: list[Any] = [self.db.require_scope(), kind, kind]
        cond = ""
        if after is not None:
            cond = " AND (created_at, proposal_id) > (%s, %s)"
            params.extend(after)
        params.append(limit + 1)
        rows = await self.db.fetch_models(
            ProposalRow, f"SELECT {_COLS} FROM redkey.proposals WHERE client_id = %s AND status = 'pending' "
                         f"AND (%s::text IS NULL OR kind = %s){cond} ORDER BY created_at, proposal_id LIMIT %s", params)
        return keyset_page(rows, limit, lambda p: (p.created_at, p.proposal_id))

    async def get_proposal(self, proposal_id: UUID | str) -> ProposalRow:
        row = await self.db.fetch_model(
            ProposalRow, f"SELECT {_COLS} FROM redkey.proposals WHERE client_id = %s AND proposal_id = %s",
            (self.db.require_scope(), str(proposal_id)))
        if row is None:
            raise NotFound(f"no proposal {proposal_id} for this client")
        return row

    async def import_row_evidence(self, batch_id: UUID, row_number: int) -> dict[str, Any] | None:
        """The raw row a proposal came from, with the file's column names."""
        rows = await self.db.fetch_dicts(
            "SELECT r.raw_values, b.uploaded_filename, "
            "  (SELECT m.artifact->'source_columns' FROM redkey.import_manifests m WHERE m.batch_id = r.batch_id "
            "   ORDER BY (m.status = 'confirmed') DESC, m.created_at DESC LIMIT 1) AS columns "
            "FROM redkey.import_rows r JOIN redkey.import_batches b USING (batch_id) "
            "WHERE r.batch_id = %s AND r.row_number = %s AND r.client_id = %s",
            (batch_id, row_number, self.db.require_scope()))
        return rows[0] if rows else None

    async def insert_proposal(self, *, proposal_id: str, kind: str, artifact: dict[str, Any], entity_type: str,
                              action: str, target_id: str | None, payload: dict[str, Any],
                              merge_candidate_refs: list[str], review_required: bool, confidence: float,
                              summary: str, created_by: str, batch_id: str | None = None) -> None:
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, batch_id, "
                "entity_type, action, target_id, payload, merge_candidate_refs, review_required, confidence, summary, "
                "created_by, created_at, artifact) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, %s, %s)",
                (proposal_id, self.db.require_scope(), kind, artifact["artifact_type"], artifact["schema_version"],
                 batch_id, entity_type, action, target_id, json.dumps(payload, default=str),
                 json.dumps(merge_candidate_refs), review_required, confidence, summary, created_by,
                 artifact["created_at"], json.dumps(artifact, default=str)))

    @asynccontextmanager
    async def _owner_tx(self) -> AsyncIterator[RoleConn]:
        async with self.db.tx("owner") as conn:
            yield RoleConn(conn)

    async def decide(self, decision: ApprovalDecision, apply: Apply | None,
                     delta: Callable[[list[dict[str, Any]]], ClientGraphDelta] | None = None) -> list[dict[str, Any]]:
        """Record ``decision``; when approved run ``apply`` (which switches roles as it needs) and mark the
        proposal committed — one transaction: a failed apply records no decision and changes nothing."""
        client = self.db.require_scope()
        async with self._owner_tx() as rc:
            await rc.conn.execute(
                "INSERT INTO redkey.approval_decisions (decision_id, client_id, proposal_ref, reviewer_ref, decision, "
                "decision_notes, decided_at, schema_version, artifact) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (decision.decision_id, client, decision.proposal_ref, decision.reviewer_ref, decision.decision,
                 decision.decision_notes, decision.decided_at, decision.schema_version,
                 json.dumps(decision.to_json())))
            ops: list[dict[str, Any]] = []
            if decision.decision == "approved" and apply is not None:
                ops = await apply(rc)
                await rc.as_role("owner")
            status = "committed" if decision.decision == "approved" else "rejected"
            await rc.conn.execute(
                "UPDATE redkey.proposals SET status = %s, decision_id = %s, "
                "committed_at = CASE WHEN %s = 'committed' THEN now() END WHERE proposal_id = %s AND client_id = %s",
                (status, decision.decision_id, status, decision.proposal_ref, client))
            if ops and delta is not None:
                d = delta(ops)
                await rc.conn.execute(
                    "INSERT INTO redkey.artifacts (artifact_id, client_id, artifact_type, schema_version, source_system, "
                    "body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (d.artifact_id, client, d.ARTIFACT_TYPE, d.schema_version, d.source_system,
                     json.dumps(d.to_json(), default=str), d.created_at))
            return ops

    async def duplicate_contact_pairs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Contacts that look like one person: the same name at the same company (different emails, or
        none). The older record survives. Pairs already waiting as a merge proposal are left out."""
        return await self.db.fetch_dicts(
            "WITH d AS (SELECT id, lower(full_name) AS n, company_id, created_at, "
            "  first_value(id) OVER (PARTITION BY lower(full_name), company_id ORDER BY created_at, id) AS winner "
            "  FROM crm_contacts WHERE btrim(full_name) <> '' AND company_id IS NOT NULL) "
            "SELECT d.winner AS winner_id, d.id AS loser_id FROM d WHERE d.id <> d.winner "
            "AND NOT EXISTS (SELECT 1 FROM redkey.proposals p WHERE p.client_id = %s AND p.kind = 'merge' "
            "  AND p.status = 'pending' AND p.payload->>'loser_id' = d.id::text) "
            "ORDER BY d.created_at, d.id LIMIT %s", (self.db.require_scope(), limit))

    async def merged_into(self, winner_id: UUID) -> list[UUID]:
        """Records merged into ``winner_id`` (their histories belong to it)."""
        rows = await self.db.fetch_dicts(
            "SELECT loser_id FROM redkey.record_merges WHERE client_id = %s AND winner_id = %s",
            (self.db.require_scope(), winner_id))
        return [r["loser_id"] for r in rows]


async def seed_demo_proposals(conn: AsyncConnection, client_id: str, people: list[tuple[Any, ...]],
                              now: datetime) -> int:
    """Demo data: two of arlo's writeback proposals waiting in Approvals (one operational, one strategic,
    from arlo's example instructions). Deterministic ids; written as the demo generator (owner)."""
    import uuid as _uuid
    from datetime import timedelta

    from cockpit.contracts import OracleWritebackProposal, Provenance

    dan, tom = people[0][0], people[2][0]
    specs = [
        (tom, {"job_title": "CIO"}, {"job_title": "Head of IT"},
         "His email signature in the security thread says CIO since October.", ["activity:demo-thread-1"]),
        (dan, {"recontact_at": "2027-07-01", "strategy_note": "Budget freeze until Q3; recontact in July."},
         {"recontact_at": None, "strategy_note": None},
         "Justin: \"The Acme deal is stalled — budget freeze until Q3, recontact in July\".",
         ["instruction:acme-stalled"]),
    ]
    n = 0
    for i, (target, change, current, why, refs) in enumerate(specs):
        pid = str(_uuid.uuid5(_uuid.NAMESPACE_URL, f"redkey-demo/{client_id}/writeback/{i}"))
        p = OracleWritebackProposal(
            proposal_id=pid, target_domain="crm_contacts", target_entity_ref=str(target), proposed_change=change,
            current_values=current, reasoning_summary=why, evidence_refs=refs, approval_required=True,
            source_system="arlo", created_by="arlo", confidence=0.8, created_at=now - timedelta(hours=20 - i),
            provenance=Provenance(method="ai", evidence_refs=refs))
        await conn.execute(
            "INSERT INTO redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, entity_type, "
            "action, target_id, payload, review_required, confidence, summary, created_by, created_at, artifact) "
            "VALUES (%s, %s, 'writeback', %s, %s, 'contact', 'writeback', %s, %s, true, %s, %s, 'arlo', %s, %s)",
            (pid, client_id, p.ARTIFACT_TYPE, p.schema_version, str(target), json.dumps(change), p.confidence,
             f"arlo: {', '.join(change)} on contact — {why[:80]}", p.created_at, json.dumps(p.to_json())))
        n += 1
    return n
