"""Generate crm_notes, crm_tasks and crm_members over Twenty's note/noteTarget, task/taskTarget and
workspaceMember tables, with the INSTEAD OF triggers that write notes and tasks the way Twenty does.

A note or task is linked to records through its target table (``noteTarget``/``taskTarget``), whose
columns Twenty renamed (``personId`` before 1.17, ``targetPersonId`` from 1.17): the generator picks
what the workspace has. The views show the first linked contact, company and deal, and ``target_ids``
lists every linked record (a note written in Twenty's UI may be linked to several people).

A write through the views leaves what Twenty's own UI would: the markdown in ``bodyV2Markdown`` and a
BlockNote document in ``bodyV2Blocknote`` (``redkey.markdown_to_blocknote``), one target row per linked
record, and the ``timelineActivity`` row Twenty writes when a note or task is linked to a record
(``linked-note.created`` / ``linked-task.created``, carrying the title as ``linkedRecordCachedName``).
The author is stamped on Twenty's ACTOR columns (source ``API``, name ``RedKey Cockpit`` or ``arlo``).
Deleting soft-deletes the row and its targets. Each write announces ``note`` / ``crm_task`` on the
client's change feed.
"""

from __future__ import annotations

from cockpit.db.actor import insert_actor, update_actor
from cockpit.db.views import CONTRACT, Workspace, _empty, _gate, _select_list, lit, q
from cockpit.fields import TASK_STATUSES, fields_of

# view -> (Twenty's object table, its target table, the target table's column naming the object)
OBJECTS = {"crm_notes": ("note", "noteTarget", "noteId"), "crm_tasks": ("task", "taskTarget", "taskId")}
CHANGE_KIND = {"crm_notes": "note", "crm_tasks": "crm_task"}
# view column -> (Twenty table it points at, target-column candidates newest first)
TARGETS = {
    "contact_id": ("person", ("targetPersonId", "personId")),
    "company_id": ("company", ("targetCompanyId", "companyId")),
    "deal_id": ("opportunity", ("targetOpportunityId", "opportunityId")),
}
_WHAT = {"contact_id": "contact", "company_id": "company", "deal_id": "deal"}

_CACHED_NAME = "coalesce(btrim(NEW.title), '')"  # the timeline's linkedRecordCachedName (NOT NULL in Twenty)


def _col(w: Workspace, table: str, *candidates: str) -> str | None:
    return w.shape.pick(table, *candidates)


def _body_read(w: Workspace, table: str, alias: str) -> str:
    parts = [f"nullif({alias}.{q(c)}, '')" for c in ("bodyV2Markdown", "body") if w.shape.has(table, c)]
    return f"coalesce({', '.join(parts)})" if parts else "NULL"


def _targets_lateral(w: Workspace, view: str, alias: str) -> str:
    _, ttable, fk = OBJECTS[view]
    cols = {name: _col(w, ttable, *cands) for name, (_, cands) in TARGETS.items()}
    firsts = ",\n           ".join(
        (f"(array_agg(y.{q(c)} ORDER BY y.\"createdAt\", y.id) FILTER (WHERE y.{q(c)} IS NOT NULL))[1] AS {n}"
         if c else f"NULL::uuid AS {n}") for n, c in cols.items())
    present = [f"y.{q(c)}" for c in cols.values() if c]
    ids = (f"coalesce(array_agg(coalesce({', '.join(present)}) ORDER BY y.\"createdAt\", y.id)"
           f" FILTER (WHERE coalesce({', '.join(present)}) IS NOT NULL), '{{}}')" if present else "'{}'::uuid[]")
    return (f"LEFT JOIN LATERAL (SELECT {firsts},\n           {ids} AS target_ids\n"
            f"    FROM {q(w.schema)}.{q(ttable)} y WHERE y.{q(fk)} = {alias}.id AND y.\"deletedAt\" IS NULL) t ON true")


def activity_branch(view: str, w: Workspace) -> str:
    """One workspace's SELECT for crm_notes or crm_tasks."""
    table = OBJECTS[view][0]
    if not w.shape.has(table) or not w.shape.has(OBJECTS[view][1]):
        return _empty(view)
    s = w.shape
    exprs = {
        "id": "p.id", "client_id": lit(w.client_id), "title": "nullif(p.title, '')",
        "body": _body_read(w, table, "p"), "contact_id": "t.contact_id", "company_id": "t.company_id",
        "deal_id": "t.deal_id", "target_ids": "t.target_ids",
        "position": "p.position" if s.has(table, "position") else "NULL",
        "created_by": """nullif(p."createdByName", '')""" if s.has(table, "createdByName") else "NULL",
        "created_at": 'p."createdAt"', "updated_at": 'p."updatedAt"',
    }
    if view == "crm_tasks":
        member = (f"(SELECT nullif(btrim(m.\"nameFirstName\" || ' ' || m.\"nameLastName\"), '')"
                  f" FROM {q(w.schema)}.\"workspaceMember\" m WHERE m.id = p.\"assigneeId\")"
                  if s.has("workspaceMember") else "NULL")
        exprs.update({"status": "p.status::text", "due_at": 'p."dueAt"', "assignee_id": 'p."assigneeId"',
                      "assignee_name": member})
    return (f"SELECT {_select_list(view, exprs)}\n"
            f"FROM {q(w.schema)}.{q(table)} p\n{_targets_lateral(w, view, 'p')}\n"
            f"WHERE p.\"deletedAt\" IS NULL AND {_gate(w)}")


def members_branch(w: Workspace) -> str:
    if not w.shape.has("workspaceMember"):
        return _empty("crm_members")
    exprs = {
        "id": "p.id", "client_id": lit(w.client_id), "first_name": """nullif(p."nameFirstName", '')""",
        "last_name": """nullif(p."nameLastName", '')""",
        "full_name": """nullif(btrim(p."nameFirstName" || ' ' || p."nameLastName"), '')""",
        "email": """nullif(lower(p."userEmail"), '')""", "position": "p.position",
    }
    return (f"SELECT {_select_list('crm_members', exprs)}\nFROM {q(w.schema)}.\"workspaceMember\" p\n"
            f"WHERE p.\"deletedAt\" IS NULL AND {_gate(w)}")


def branches(view: str, workspaces: list[Workspace]) -> list[str]:
    if view == "crm_members":
        return [members_branch(w) for w in workspaces] or [_empty(view)]
    return [activity_branch(view, w) for w in workspaces] or [_empty(view)]


# ------------------------------------------------------------------------------------------------
# Writes

def _link_sql(view: str, w: Workspace, col: str, value: str, title: str) -> str:
    """Link the object NEW.id to the record ``value`` (view column ``col``): its target row and the
    timeline row Twenty writes for a linked note or task."""
    obj, ttable, fk = OBJECTS[view]
    ws = q(w.schema)
    tcol = _col(w, ttable, *TARGETS[col][1])
    if tcol is None:
        return f"            RAISE EXCEPTION '{view}: this workspace cannot link a {_WHAT[col]}' USING ERRCODE = '0A000';\n"
    out = (f"            INSERT INTO {ws}.{q(ttable)} ({q(fk)}, {q(tcol)}) VALUES (NEW.id, {value});\n")
    ta = _col(w, "timelineActivity", *TARGETS[col][1])
    if ta:
        extra_cols, extra_vals = "", ""
        if w.shape.has("timelineActivity", "linkedObjectMetadataId"):
            extra_cols, extra_vals = ', "linkedObjectMetadataId"', f", redkey.twenty_object_metadata_id({lit(w.schema)}, {lit(obj)})"
        out += (f"            INSERT INTO {ws}.\"timelineActivity\" (name, \"happensAt\", properties,"
                f" \"linkedRecordCachedName\", \"linkedRecordId\"{extra_cols}, {q(ta)})\n"
                f"            VALUES ('linked-{obj}.created', now(), '{{}}'::jsonb, {title}, NEW.id{extra_vals}, {value});\n")
    return out


def _exists_check(w: Workspace, col: str, changed: bool = False) -> str:
    table = TARGETS[col][0]
    when = f"NEW.{col} IS DISTINCT FROM OLD.{col} AND " if changed else ""
    return (f"        IF {when}NEW.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {q(w.schema)}.{q(table)} r"
            f" WHERE r.id = NEW.{col} AND r.\"deletedAt\" IS NULL) THEN\n"
            f"            RAISE EXCEPTION '{_WHAT[col]} % not found for client %', NEW.{col}, v_client USING ERRCODE = 'P0002';\n"
            f"        END IF;\n")


def _assignee_check(w: Workspace, changed: bool = False) -> str:
    when = "NEW.assignee_id IS DISTINCT FROM OLD.assignee_id AND " if changed else ""
    return (f"        IF {when}NEW.assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
            f"{q(w.schema)}.\"workspaceMember\" m WHERE m.id = NEW.assignee_id AND m.\"deletedAt\" IS NULL) THEN\n"
            "            RAISE EXCEPTION 'workspace member % not found for client %', NEW.assignee_id, v_client"
            " USING ERRCODE = 'P0002', HINT = 'assign the task to one of the workspace''s members (crm_members)';\n"
            "        END IF;\n")


def _l1_values(view: str, w: Workspace) -> dict[str, str]:
    """Layer 1 column -> its value from NEW, for the content columns this workspace has."""
    table = OBJECTS[view][0]
    s = w.shape
    out = {"title": "coalesce(btrim(NEW.title), '')"}
    if s.has(table, "bodyV2Markdown"):
        out["bodyV2Markdown"] = "NEW.body"
    if s.has(table, "bodyV2Blocknote"):
        out["bodyV2Blocknote"] = "redkey.markdown_to_blocknote(NEW.body)"
    if s.has(table, "body"):
        out["body"] = "coalesce(NEW.body, '')"
    if view == "crm_tasks":
        out.update({"status": f"NEW.status::{s.columns[table].get('status', 'text')}", "dueAt": "NEW.due_at",
                    "assigneeId": "NEW.assignee_id"})
    return out


_SOURCE_OF = {"title": "title", "bodyV2Markdown": "body", "bodyV2Blocknote": "body", "body": "body",
              "status": "status", "dueAt": "due_at", "assigneeId": "assignee_id"}


def activity_trigger(view: str, workspaces: list[Workspace], ns: str) -> str:
    """The write function and INSTEAD OF trigger of a client's schema's ``view`` (crm_notes or crm_tasks)."""
    from cockpit.db.writes import _client_blocks, insert_role_check, trigger_head, trigger_tail

    obj, ttable, fk = OBJECTS[view]
    kind = CHANGE_KIND[view]
    task = view == "crm_tasks"

    def checks(w: Workspace, changed: bool = False) -> str:
        return ("".join(_exists_check(w, c, changed) for c in TARGETS)
                + (_assignee_check(w, changed) if task else ""))

    def insert_body(wss: list[Workspace]) -> str:
        w = wss[0]
        ws, table = q(w.schema), q(obj)
        vals = _l1_values(view, w)
        if w.shape.has(obj, "position"):
            vals["position"] = f"(SELECT coalesce(min(x.position), 0) - 1 FROM {ws}.{table} x)"
        vals.update(dict(insert_actor(w.shape, obj)))
        links = "".join(f"        IF NEW.{c} IS NOT NULL THEN\n{_link_sql(view, w, c, f'NEW.{c}', _CACHED_NAME)}        END IF;\n"
                        for c in TARGETS)
        return (checks(w)
                + f"        INSERT INTO {ws}.{table} (id, {', '.join(q(c) for c in vals)})"
                  f" VALUES (NEW.id, {', '.join(vals.values())});\n"
                + links + "        v_found := true;")

    def update_body(wss: list[Workspace]) -> str:
        out = []
        for w in wss:
            ws, table = q(w.schema), q(obj)
            vals = _l1_values(view, w)
            sets = ",\n                ".join(
                [f"{q(c)} = CASE WHEN NEW.{_SOURCE_OF[c]} IS DISTINCT FROM OLD.{_SOURCE_OF[c]} THEN {e} ELSE {q(c)} END"
                 for c, e in vals.items()] + [f"{q(c)} = {e}" for c, e in update_actor(w.shape, obj)])
            relink = ""
            for c in TARGETS:
                tcol = _col(w, ttable, *TARGETS[c][1])
                if tcol is None:
                    continue
                relink += (f"            IF NEW.{c} IS DISTINCT FROM OLD.{c} THEN\n"
                           f"                UPDATE {ws}.{q(ttable)} SET \"deletedAt\" = now()"
                           f" WHERE {q(fk)} = OLD.id AND {q(tcol)} = OLD.{c} AND \"deletedAt\" IS NULL;\n"
                           f"                IF NEW.{c} IS NOT NULL THEN\n"
                           + _link_sql(view, w, c, f"NEW.{c}", _CACHED_NAME).replace("            ", "                    ")
                           + "                END IF;\n            END IF;\n")
            renamed = (f"            IF NEW.title IS DISTINCT FROM OLD.title THEN\n"
                       f"                UPDATE {ws}.\"timelineActivity\" SET \"linkedRecordCachedName\" = coalesce(btrim(NEW.title), '')"
                       f" WHERE \"linkedRecordId\" = OLD.id;\n            END IF;\n"
                       if w.shape.has("timelineActivity", "linkedRecordId") else "")
            out.append(
                f"        IF EXISTS (SELECT 1 FROM {ws}.{table} WHERE id = OLD.id AND \"deletedAt\" IS NULL) THEN\n"
                + checks(w, changed=True)
                + f"            UPDATE {ws}.{table} SET {sets},\n                \"updatedAt\" = now()\n"
                f"            WHERE id = OLD.id;\n            v_found := true;\n"
                + relink + renamed + "        END IF;")
        return "\n".join(out)

    def delete_body(wss: list[Workspace]) -> str:
        return "\n".join(
            f"        UPDATE {q(w.schema)}.{q(obj)} SET \"deletedAt\" = now() WHERE id = OLD.id AND \"deletedAt\" IS NULL;\n"
            f"        IF FOUND THEN\n            v_found := true;\n"
            f"            UPDATE {q(w.schema)}.{q(ttable)} SET \"deletedAt\" = now() WHERE {q(fk)} = OLD.id AND \"deletedAt\" IS NULL;\n"
            f"        END IF;" for w in wss)

    fixed = [c for c, _ in CONTRACT[view] if c in ("id", "client_id", "target_ids", "position", "created_by",
                                                      "created_at", "updated_at", "assignee_name")]
    changed_fixed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in fixed)
    status_check = (f"""        IF NEW.status IS NOT NULL AND NEW.status <> ALL (ARRAY[{', '.join(lit(s) for s in TASK_STATUSES)}]) THEN
            RAISE EXCEPTION 'task status % is not one of {", ".join(TASK_STATUSES)}', NEW.status USING ERRCODE = '22023';
        END IF;
""" if task else "")
    status_default = "        NEW.status := coalesce(NEW.status, 'TODO');\n" if task else ""
    max_title = next(f.max_length for f in fields_of(view) if f.name == "title")
    return f"""
{trigger_head(ns, view, workspaces)}
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.title IS DISTINCT FROM OLD.title OR NEW.body IS DISTINCT FROM OLD.body)) THEN
        IF coalesce(btrim(NEW.title), '') = '' AND coalesce(btrim(NEW.body), '') = '' THEN
            RAISE EXCEPTION '{view}: a {obj} needs a title or a text' USING ERRCODE = '23502';
        END IF;
        IF char_length(NEW.title) > {max_title} THEN
            RAISE EXCEPTION '{view}: the title is % characters long (at most {max_title})', char_length(NEW.title) USING ERRCODE = '22001';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
{status_check}        NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.client_id IS NOT NULL AND NEW.client_id <> v_client THEN
            RAISE EXCEPTION 'cannot create a {obj} for client % from a session scoped to %', NEW.client_id, v_client
                USING ERRCODE = '42501';
        END IF;
{insert_role_check(view, ns)}
        NEW.client_id := v_client;
        NEW.id := coalesce(NEW.id, gen_random_uuid());
{status_default}{_client_blocks(workspaces, insert_body)}
        IF NOT v_found THEN
            RAISE EXCEPTION 'client % has no Twenty workspace registered', v_client USING ERRCODE = 'P0002';
        END IF;
        NEW.created_at := now();
        NEW.updated_at := now();
        PERFORM redkey.notify_change(v_client, '{kind}', NEW.id::text);
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF {changed_fixed} THEN
            RAISE EXCEPTION '{view}: {", ".join(fixed)} cannot be changed' USING ERRCODE = '428C9';
        END IF;
{_client_blocks(workspaces, update_body)}
        IF NOT v_found THEN
            RAISE EXCEPTION '{obj} % not found in client %', OLD.id, v_client USING ERRCODE = 'P0002';
        END IF;
        NEW.updated_at := now();
        PERFORM redkey.notify_change(v_client, '{kind}', NEW.id::text);
        RETURN NEW;
    ELSE
{_client_blocks(workspaces, delete_body)}
        PERFORM redkey.notify_change(v_client, '{kind}', OLD.id::text);
        RETURN OLD;
    END IF;
END
$fn$;
{trigger_tail(ns, view)}"""


def triggers(workspaces: list[Workspace], ns: str) -> list[str]:
    return [activity_trigger(view, workspaces, ns) for view in OBJECTS]
