"""A won deal starts work: when a deal reaches the client's won stage, arlo proposes, through the
approvals queue, a client project from the rule's template (onboarding by default: onboard -> build ->
review), linked to the deal, its company and the client. Approving the proposal creates the project
(its project.created message, first stage and tasks) in the decision's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from psycopg import AsyncConnection

from cockpit.arlo.registry import register

WON_DEAL_PROJECTS = "won_deal_projects"


async def propose_won_deal_projects(store: Any, *, created_by: str = "arlo") -> list[str]:
    """One pending 'project' proposal per won deal that has neither a project nor a proposal yet."""
    client = store.db.require_scope()
    made: list[str] = []
    for deal in await store.work.won_deals_to_propose():
        tmpl = deal["template"]
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"redkey/{client}/won-deal/{deal['deal_id']}/{tmpl}"))
        title = f"{tmpl.replace('_', ' ').capitalize()}: {deal['name'] or 'deal ' + str(deal['deal_id'])[:8]}"
        payload = {"template": tmpl, "title": title, "deal_id": str(deal["deal_id"]),
                   "company_id": str(deal["company_id"]) if deal["company_id"] else None}
        why = f"deal {deal['name']!r} reached the won stage"
        now = datetime.now(timezone.utc)
        artifact = {"artifact_type": "OracleWritebackProposal", "schema_version": "1.0.0", "proposal_id": pid,
                    "target_domain": "projects", "target_entity_ref": str(deal["deal_id"]), "proposed_change": payload,
                    "current_values": {}, "reasoning_summary": why, "evidence_refs": [f"deal:{deal['deal_id']}"],
                    "approval_required": True, "source_system": "arlo", "created_by": created_by, "confidence": 0.9,
                    "created_at": now.isoformat()}
        await store.approvals.insert_proposal(
            proposal_id=pid, kind="project", artifact=artifact, entity_type="project", action="create",
            target_id=str(deal["deal_id"]), payload=payload, merge_candidate_refs=[], review_required=True,
            confidence=0.9, summary=f"arlo: start the {tmpl} project for {deal['name']} — {why}", created_by=created_by)
        made.append(pid)
    return made


async def apply_project_proposal(conn: AsyncConnection, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """On approval: the project from its template, in the decision's transaction (scope set by it)."""
    from cockpit.store.work import create_project_in

    cur = await conn.execute("SELECT redkey.current_client_id()")
    client = (await cur.fetchone())[0]  # type: ignore[index]
    project = await create_project_in(conn, client, title=payload["title"], template=payload["template"],
                                      deal_id=payload.get("deal_id"), company_id=payload.get("company_id"),
                                      created_by="arlo", brief=f"Started from won deal {payload.get('deal_id')}")
    return [{"op": "create", "entity_type": "project", "entity_ref": project.id,
             "fields": {"title": project.title, "template": project.template, "deal_id": payload.get("deal_id")}}]


async def run_won_deal_projects(ctx: Any) -> dict[str, Any]:
    made = await propose_won_deal_projects(ctx.store)
    return {"summary": f"{len(made)} won deal(s) proposed as projects" if made else "no new won deals",
            "proposals": made}


register(WON_DEAL_PROJECTS, run_won_deal_projects)
