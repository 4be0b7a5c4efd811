"""Applying approved proposals to the CRM, through the stable views only, each write under the role
that owns its fields (identity/operational fields as ``operational``, strategic fields as ``strategic``).

Every function runs inside the decision transaction (:meth:`ApprovalsRepo.decide`) and returns the
graph operations it performed, which become the ClientGraphDelta of that decision.
"""

from __future__ import annotations

import json
from typing import Any

from cockpit.db.views import CONTRACT, OPERATIONAL, STRATEGIC
from cockpit.errors import NotFound, ValidationFailed
from cockpit.fields import VIEWS, insertable_by
from cockpit.store.approvals import RoleConn

Op = dict[str, Any]
_ENTITY = {"crm_contacts": "contact", "crm_companies": "company", "crm_deals": "deal"}
_NEVER_FILLED = {"id", "client_id", "created_at", "updated_at", "full_name"}


def _jsonable(row: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(row or {}, default=str))


async def current(rc: RoleConn, view: str, record_id: Any) -> dict[str, Any] | None:
    if view not in ("crm_contacts", "crm_companies", "crm_deals"):
        raise ValidationFailed(f"cannot read {view}")
    return await rc.one(f"SELECT * FROM {view} WHERE id = %s", (str(record_id),))


async def committed_target(rc: RoleConn, proposal_id: str) -> str | None:
    """The record a committed proposal created (to resolve a contact's company_ref)."""
    row = await rc.one("SELECT target_id FROM redkey.proposals WHERE proposal_id = %s AND status = 'committed'",
                       (proposal_id,))
    return str(row["target_id"]) if row else None


async def insert_record(rc: RoleConn, view: str, fields: dict[str, Any]) -> Op:
    """INSERT as the role that creates the view's records, with the fields it may set; then the rest
    as their owners (a contact's strategic fields under the strategic role)."""
    known = {c for c, _ in CONTRACT[view]}
    bad = sorted(set(fields) - known)
    if bad:
        raise ValidationFailed(f"{view} has no field {', '.join(bad)}")
    creator = VIEWS[view].creators[0]
    base = {k: v for k, v in fields.items() if k in insertable_by(creator, view)}
    rest = {k: v for k, v in fields.items() if k not in base}
    await rc.as_role(creator)
    cols = list(base)
    await rc.conn.execute(f"INSERT INTO {view} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                          [base[c] for c in cols])
    if rest:
        await update_fields(rc, view, fields["id"], rest)
    return {"op": "create", "entity_type": _ENTITY[view], "entity_ref": str(fields["id"]),
            "fields": _jsonable(fields)}


async def update_fields(rc: RoleConn, view: str, record_id: Any, fields: dict[str, Any]) -> Op:
    """UPDATE one record through its view: operational fields as operational, strategic as strategic."""
    before = await current(rc, view, record_id)
    if before is None:
        raise NotFound(f"the {_ENTITY[view]} {record_id} no longer exists in this client's scope")
    groups = {"operational": [f for f in fields if f in OPERATIONAL.get(view, [])],
              "strategic": [f for f in fields if f in STRATEGIC.get(view, [])]}
    stray = sorted(set(fields) - set(groups["operational"]) - set(groups["strategic"]))
    if stray:
        raise ValidationFailed(f"{view}: {', '.join(stray)} cannot be written by an approval")
    for role, cols in groups.items():
        if not cols:
            continue
        await rc.as_role(role)
        sets = ", ".join(f"{c} = %s" for c in cols)
        row = await rc.one(f"UPDATE {view} SET {sets} WHERE id = %s RETURNING id",
                           [fields[c] for c in cols] + [str(record_id)])
        if row is None:
            raise NotFound(f"the {_ENTITY[view]} {record_id} no longer exists in this client's scope")
    return {"op": "update", "entity_type": _ENTITY[view], "entity_ref": str(record_id), "fields": _jsonable(fields),
            "before": {k: _jsonable(before).get(k) for k in fields}}


async def merge_contacts(rc: RoleConn, winner_id: str, loser_id: str, decision_id: str) -> list[Op]:
    """Keep both histories: fill the survivor's empty fields from the duplicate, re-point RedKey-recorded
    activities and deals to the survivor, soft-delete the duplicate through the view, and record the
    merge (activities Twenty recorded stay on the duplicate's id and are found through the merge link)."""
    winner = await current(rc, "crm_contacts", winner_id)
    loser = await current(rc, "crm_contacts", loser_id)
    if winner is None or loser is None:
        raise NotFound("one of the two contacts no longer exists (already merged or deleted?)")
    ops: list[Op] = []
    fill = {f: loser[f] for f in OPERATIONAL["crm_contacts"] + STRATEGIC["crm_contacts"]
            if f not in _NEVER_FILLED and loser.get(f) not in (None, "", 0) and winner.get(f) in (None, "", 0)}
    if fill:
        ops.append(await update_fields(rc, "crm_contacts", winner_id, fill))
    await rc.as_role("operational")
    moved = await rc.rows("UPDATE crm_activities SET contact_id = %s WHERE contact_id = %s AND source <> 'twenty' "
                          "RETURNING id", (winner_id, loser_id))
    kept = await rc.one("SELECT count(*) AS n FROM crm_activities WHERE contact_id = %s", (loser_id,))
    ops.append({"op": "repoint", "entity_type": "activity", "entity_ref": loser_id,
                "fields": {"to": winner_id, "moved": len(moved), "kept_by_twenty": kept["n"] if kept else 0}})
    deals = await rc.rows("UPDATE crm_deals SET contact_id = %s WHERE contact_id = %s RETURNING id",
                          (winner_id, loser_id))
    if deals:
        ops.append({"op": "repoint", "entity_type": "deal", "entity_ref": loser_id,
                    "fields": {"to": winner_id, "deals": [str(d["id"]) for d in deals]}})
    gone = await rc.rows("DELETE FROM crm_contacts WHERE id = %s RETURNING id", (loser_id,))
    if not gone:
        raise NotFound(f"contact {loser_id} could not be soft-deleted")
    ops.append({"op": "soft_delete", "entity_type": "contact", "entity_ref": loser_id,
                "before": _jsonable(loser)})
    await rc.as_role("owner")
    await rc.conn.execute(
        "INSERT INTO redkey.record_merges (client_id, entity_type, loser_id, winner_id, decision_id) "
        "VALUES (redkey.current_client_id(), 'contact', %s, %s, %s)", (loser_id, winner_id, decision_id))
    # the duplicate's client context joins the survivor's history (never silently dropped)
    await rc.conn.execute(
        "INSERT INTO redkey.client_context_history (client_id, contact_id, context_json, change_note, changed_by) "
        "SELECT client_id, %s, context_json, 'context of merged duplicate ' || contact_id, 'approvals' "
        "FROM redkey.client_context WHERE client_id = redkey.current_client_id() AND contact_id = %s",
        (winner_id, loser_id))
    await rc.conn.execute(
        "INSERT INTO redkey.client_context (client_id, contact_id, context_json, last_updated_at) "
        "SELECT client_id, %s, context_json || jsonb_build_object('contact_id', %s::text), now() "
        "FROM redkey.client_context WHERE client_id = redkey.current_client_id() AND contact_id = %s "
        "ON CONFLICT (client_id, contact_id) DO NOTHING", (winner_id, winner_id, loser_id))
    ops.append({"op": "merge", "entity_type": "contact", "entity_ref": winner_id, "fields": {"merged": loser_id}})
    return ops
