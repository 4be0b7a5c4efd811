"""Clients and workspace registration (RedKey's own tables, as the login role)."""

from __future__ import annotations

import re


from cockpit.db.generation import check_shape
from cockpit.db.layer1 import read_shape
from cockpit.errors import ValidationFailed, WorkspaceRejected
from cockpit.models import Client, WorkspaceInfo
from cockpit.store.core import Db

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class AdminRepo:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def clients(self) -> list[Client]:
        return await self.db.fetch_models(
            Client,
            "SELECT c.client_id, c.name, coalesce(array_agg(w.schema_name ORDER BY w.schema_name) "
            "FILTER (WHERE w.schema_name IS NOT NULL), '{}') AS workspaces "
            "FROM redkey.clients c LEFT JOIN redkey.workspaces w USING (client_id) "
            "GROUP BY c.client_id, c.name ORDER BY c.name", role="owner")

    async def client(self, client_id: str) -> Client | None:
        for c in await self.clients():
            if c.client_id == client_id:
                return c
        return None

    async def workspaces(self) -> list[WorkspaceInfo]:
        return await self.db.fetch_models(
            WorkspaceInfo,
            "SELECT w.schema_name, w.client_id, c.name AS client_name, w.label, w.is_fixture, w.added_at "
            "FROM redkey.workspaces w JOIN redkey.clients c USING (client_id) ORDER BY c.name, w.schema_name",
            role="owner")

    async def ensure_client(self, client_id: str, name: str | None = None) -> None:
        if not CLIENT_ID.match(client_id):
            raise ValidationFailed(f"client id {client_id!r} is not valid",
                                   "use lowercase letters, digits, '-' or '_' (e.g. bezeliq)")
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.clients (client_id, name) VALUES (%s, %s) "
                "ON CONFLICT (client_id) DO UPDATE SET name = coalesce(%s, redkey.clients.name)",
                (client_id, name or client_id, name))

    async def register_workspace(self, schema: str, client_id: str, *, label: str | None = None,
                                 is_fixture: bool = False) -> WorkspaceInfo:
        """Register a Twenty workspace schema for a client and regenerate Layer 2 over it.

        Refused, with what is missing named, when the schema does not look like a Twenty workspace; in
        that case nothing is changed.
        """
        if not CLIENT_ID.match(client_id):
            raise ValidationFailed(f"client id {client_id!r} is not valid",
                                   "use lowercase letters, digits, '-' or '_' (e.g. bezeliq)")
        async with self.db.tx("owner") as conn:
            shape = await read_shape(conn, schema)
            check_shape(shape)
            cur = await conn.execute("SELECT client_id FROM redkey.workspaces WHERE schema_name = %s", (schema,))
            existing = await cur.fetchone()
            if existing and existing[0] != client_id:
                raise WorkspaceRejected(f"schema {schema} is already registered for client {existing[0]}",
                                        "a workspace belongs to exactly one client")
            await conn.execute(
                "INSERT INTO redkey.clients (client_id, name) VALUES (%s, %s) ON CONFLICT (client_id) DO NOTHING",
                (client_id, label or client_id))
            await conn.execute(
                "INSERT INTO redkey.workspaces (schema_name, client_id, label, is_fixture) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (schema_name) DO UPDATE SET label = coalesce(EXCLUDED.label, redkey.workspaces.label)",
                (schema, client_id, label, is_fixture))
            from cockpit.db import layer2  # the generator: only when a workspace is registered

            await layer2.regenerate(conn, force=False)
        info = [w for w in await self.workspaces() if w.schema_name == schema]
        return info[0]

    async def create_fixture_workspace(self, schema: str, stages: list[str] | None = None, *,
                                       version: str = "1.10") -> None:
        """Create a Twenty-shaped fixture schema (embedded/demo/tests only), in Twenty 1.10's shape or
        1.17's (``target*Id`` columns on noteTarget, taskTarget and timelineActivity)."""
        if version not in ("1.10", "1.17"):
            raise ValidationFailed(f"no fixture for Twenty {version}", "use 1.10 or 1.17")
        fn = "create_twenty_fixture" if version == "1.10" else "create_twenty_fixture_1_17"
        async with self.db.tx("owner") as conn:
            await conn.execute(f"SELECT redkey.{fn}(%s, %s)", (schema, stages))
