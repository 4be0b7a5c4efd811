"""The client context and the Client360 read model, through crm_client_context(_history)
and the other stable views.

Updates read the current context under a row lock, merge with a pure function supplied by the caller
(:mod:`cockpit.context.policy`), write it and snapshot it to history as arlo (operational role), and
queue contradictions as proposals — all in one transaction, so two updaters never lose each other's facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from cockpit.context.models import ClientContext, ContextSnapshot
from cockpit.models import Contact
from cockpit.store.approvals import RoleConn
from cockpit.store.core import Db
from cockpit.store.crm import CrmRepo

Merge = Callable[[dict[str, Any]], tuple[dict[str, Any], list[dict[str, Any]], list[str]]]


async def _lock_context(rc: RoleConn, contact_id: str) -> dict[str, Any]:
    await rc.as_role("owner")
    row = await rc.one("SELECT context_json FROM redkey.client_context WHERE client_id = redkey.current_client_id() "
                       "AND contact_id = %s FOR UPDATE", (contact_id,))
    return dict(row["context_json"]) if row else {}


async def _write_context(rc: RoleConn, contact_id: str, context: dict[str, Any], *, existed: bool, note: str,
                         changed_by: str) -> None:
    await rc.as_role("operational")
    body = json.dumps(context, default=str)
    if existed:
        await rc.conn.execute("UPDATE crm_client_context SET context_json = %s, last_updated_at = now() "
                              "WHERE contact_id = %s", (body, contact_id))
    else:
        await rc.conn.execute("INSERT INTO crm_client_context (client_id, contact_id, context_json, last_updated_at) "
                              "VALUES (redkey.current_client_id(), %s, %s, now())", (contact_id, body))
    await rc.conn.execute(
        "INSERT INTO crm_client_context_history (client_id, contact_id, context_json, change_note, changed_by) "
        "VALUES (redkey.current_client_id(), %s, %s, %s, %s)", (contact_id, body, note, changed_by))
    await rc.as_role("owner")


async def apply_context_change(rc: RoleConn, contact_id: str, change: Callable[[dict[str, Any]], dict[str, Any]],
                               payload: dict[str, Any], decision_id: str) -> list[dict[str, Any]]:
    """Apply an approved context proposal (a contradicted fact or field, or a writeback): ``change``
    turns the locked current context into the new one."""
    current = await _lock_context(rc, contact_id)
    new = change(current)
    await _write_context(rc, contact_id, new, existed=bool(current), changed_by="approvals",
                         note=f"approved change (decision {decision_id})")
    return [{"op": "update", "entity_type": "client_context", "entity_ref": contact_id,
             "fields": json.loads(json.dumps(payload, default=str))}]


class ContextRepo:
    def __init__(self, db: Db, crm: CrmRepo) -> None:
        self.db = db
        self.crm = crm

    async def client_context(self, contact_id: UUID) -> ClientContext | None:
        return await self.db.fetch_model(
            ClientContext,
            "SELECT contact_id, context_json AS context, last_updated_at FROM crm_client_context "
            "WHERE contact_id = %s", (contact_id,))

    async def context_history(self, contact_id: UUID, limit: int = 10) -> list[ContextSnapshot]:
        """Newest first."""
        return await self.db.fetch_models(
            ContextSnapshot,
            "SELECT id, context_json AS context, change_note, changed_by, recorded_at "
            "FROM crm_client_context_history WHERE contact_id = %s ORDER BY recorded_at DESC, id DESC LIMIT %s",
            (contact_id, limit))

    async def update_context(self, contact_id: UUID, merge: Merge, *, changed_by: str,
                             proposal_rows: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> dict[str, Any]:
        """Lock, merge, write + snapshot (when something changed), queue contradictions; one transaction.
        ``merge(current) -> (new context, contradictions, change notes)``."""
        async with self.db.tx("owner") as conn:
            rc = RoleConn(conn)
            current = await _lock_context(rc, str(contact_id))
            new, contradictions, notes = merge(current)
            if notes:
                await _write_context(rc, str(contact_id), new, existed=bool(current), changed_by=changed_by,
                                     note="; ".join(notes)[:1000])
            for p in proposal_rows(contradictions):
                await conn.execute(
                    "INSERT INTO redkey.proposals (proposal_id, client_id, kind, artifact_type, schema_version, "
                    "entity_type, action, target_id, payload, review_required, confidence, summary, created_by, "
                    "created_at, artifact) VALUES (%s, redkey.current_client_id(), 'context', %s, %s, "
                    "'client_context', 'context_fact', %s, %s, true, %s, %s, %s, %s, %s)",
                    (p["proposal_id"], p["artifact_type"], p["schema_version"], str(contact_id),
                     json.dumps(p["payload"], default=str), p["confidence"], p["summary"], p["created_by"],
                     p["created_at"], json.dumps(p["artifact"], default=str)))
        return new

    async def client360_parts(self, contact_id: UUID, *, recent: int = 10) -> dict[str, Any]:
        """Everything the Client360 snapshot is derived from, read through the stable views and redkey.*."""
        client = self.db.require_scope()
        contact = await self.crm.contact(contact_id)
        merged = [r["loser_id"] for r in await self.db.fetch_dicts(
            "SELECT loser_id FROM redkey.record_merges WHERE client_id = %s AND winner_id = %s", (client, contact_id))]
        ids = [contact_id, *merged]
        company = await self.db.fetch_dicts("SELECT id, name, domain, industry, company_size, priority FROM crm_companies "
                                         "WHERE id = %s", (contact.company_id,)) if contact.company_id else []
        deals = await self.db.fetch_dicts(
            "SELECT d.id, d.name, d.amount, d.currency, d.stage_id, p.label AS stage, d.close_date, d.last_activity_at, "
            "d.priority FROM crm_deals d LEFT JOIN crm_pipeline p ON p.stage_id = d.stage_id "
            "WHERE (d.contact_id = ANY(%s) OR (%s::uuid IS NOT NULL AND d.company_id = %s)) "
            "AND NOT coalesce(p.is_closed, false) ORDER BY d.amount DESC NULLS LAST, d.id LIMIT 20",
            (ids, contact.company_id, contact.company_id))
        activities = await self.db.fetch_dicts(
            "SELECT id, occurred_at, kind, channel, direction, subject, summary, source, deal_id, contact_id "
            "FROM crm_activities WHERE contact_id = ANY(%s) ORDER BY occurred_at DESC, id DESC LIMIT %s", (ids, recent))
        tasks = await self.db.fetch_dicts(
            "SELECT id, task_type, status, brief, created_at FROM redkey.tasks WHERE client_id = %s "
            "AND params->>'contact_id' = %s AND status NOT IN ('complete', 'cancelled') ORDER BY created_at DESC LIMIT 10",
            (client, str(contact_id)))
        signals = await self.db.fetch_dicts(
            "SELECT DISTINCT ON (body->>'score_type') body FROM redkey.artifacts WHERE client_id = %s "
            "AND contact_id = %s AND artifact_type = 'QdSignalBundle' ORDER BY body->>'score_type', created_at DESC",
            (client, contact_id))
        pending = await self.db.fetch_value(
            "SELECT count(*) FROM redkey.proposals WHERE client_id = %s AND status = 'pending' AND target_id = ANY(%s)",
            (client, ids))
        ctx = await self.client_context(contact_id)
        return {"contact": contact, "merged": merged, "company": company, "deals": deals, "activities": activities,
                "tasks": tasks, "signals": [s["body"] for s in signals], "pending": int(pending or 0),
                "context": ctx.context if ctx else {}, "context_at": ctx.last_updated_at if ctx else None}

    async def save_artifact(self, artifact: Any, *, contact_id: UUID | None = None,
                            deal_id: UUID | None = None) -> bool:
        """Append a validated artifact (bundles, signals, deltas). False when it was already stored."""
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "INSERT INTO redkey.artifacts (artifact_id, client_id, artifact_type, schema_version, source_system, "
                "contact_id, deal_id, body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (artifact_id) DO NOTHING",
                (artifact.artifact_id, self.db.require_scope(), artifact.ARTIFACT_TYPE, artifact.schema_version,
                 artifact.source_system, contact_id, deal_id, json.dumps(artifact.to_json(), default=str),
                 artifact.created_at))
            return cur.rowcount == 1

    async def contact_by_email(self, email: str) -> Contact | None:
        return await self.db.fetch_model(Contact, "SELECT * FROM crm_contacts WHERE lower(email) = lower(%s) "
                                               "ORDER BY created_at LIMIT 1", (email.strip(),))
