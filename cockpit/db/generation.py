"""What a Layer 2 generation is made from, read cheaply: the registered workspaces with their shapes
(:func:`load_workspaces`, which refuses one that is not a usable Twenty workspace) and the fingerprint of
the generator's source and those shapes (:func:`fingerprint`). The migration check of every start
compares fingerprints without importing the generator itself (:mod:`cockpit.db.layer2`).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from psycopg import AsyncConnection

from cockpit.db import custom_fields
from cockpit.db.layer1 import WorkspaceShape, read_shapes
from cockpit.db.views import Workspace
from cockpit.errors import WorkspaceRejected


async def load_workspaces(conn: AsyncConnection) -> list[Workspace]:
    cur = await conn.execute(
        "SELECT schema_name, client_id FROM redkey.workspaces ORDER BY client_id, added_at, schema_name")
    rows = await cur.fetchall()
    shapes = await read_shapes(conn, [schema for schema, _ in rows])
    await custom_fields.read_custom_meta(conn, shapes)
    out = []
    for schema, client in rows:
        shape = shapes[schema]
        check_shape(shape)
        out.append(Workspace(schema, client, shape))
    return out


# The schema names Twenty gives workspaces: "workspace_" and a base-36 id (lowercase letters, digits).
SCHEMA_NAME = re.compile(r"workspace_[a-z0-9]{1,60}")


def check_schema_name(schema: str) -> None:
    """Refuse a schema name Twenty would never create (before it reaches any generated SQL)."""
    if not SCHEMA_NAME.fullmatch(schema or ""):
        raise WorkspaceRejected(
            f"schema {schema!r} is not a usable Twenty workspace: Twenty names them workspace_<id> "
            "(lowercase letters and digits only)",
            "copy the schema name from `cockpit workspace list` or Twenty's database")


def check_shape(shape: WorkspaceShape) -> None:
    check_schema_name(shape.schema)
    if not shape.columns:
        raise WorkspaceRejected(f"schema {shape.schema} does not exist or has no tables",
                                "check the name with `cockpit workspace list` or in Twenty's settings")
    missing = shape.missing()
    if missing:
        raise WorkspaceRejected(
            f"schema {shape.schema} is not a usable Twenty workspace: missing " + ", ".join(missing),
            "register the schema of a Twenty workspace (workspace_<id>), or upgrade Twenty")
    if shape.stage_type is None:
        raise WorkspaceRejected(f"schema {shape.schema}: opportunity.stage has no type")


# What the generated SQL is made from besides the workspaces: the generator's own source.
_SOURCES = ("db/views.py", "db/writes.py", "db/grants.py", "db/notes_tasks.py", "db/actor.py", "db/board.py",
            "db/phones.py", "db/client_schemas.py", "db/layer1.py", "db/layer2.py", "db/words.py", "fields.py",
            "db/custom_fields.py", "db/bulk_writes.py", "db/matches.py", "db/dispatch.py", "db/client_groups.py",
            "db/stage_totals.py", "db/stale_keys.py", "db/change_stamps.py", "db/generation.py")
GENERATOR = hashlib.sha256(b"".join((Path(__file__).resolve().parent.parent / p).read_bytes()
                                    for p in _SOURCES)).hexdigest()


def fingerprint(workspaces: list[Workspace], scope: str = "") -> str:
    """A digest of everything the generated SQL over ``workspaces`` depends on (the generator and the
    workspaces' shapes): equal fingerprints, equal SQL, without generating it."""
    h = hashlib.sha256(f"{GENERATOR}\n{scope}\n".encode())
    for w in workspaces:
        custom = w.shape.custom.digest_part() if w.shape.custom is not None else None
        h.update(json.dumps([w.schema, w.client_id, w.shape.columns, custom], sort_keys=True).encode())
    return h.hexdigest()
