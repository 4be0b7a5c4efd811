"""Column mappings the user edited, remembered per client and file shape (``redkey.import_mapping_memory``)."""

from __future__ import annotations

import json
from typing import Any


class ImportMappingsRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def recall(self, profile_key: str) -> dict[str, str]:
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            cur = await conn.execute(
                "SELECT edits FROM redkey.import_mapping_memory WHERE client_id = %s AND profile_key = %s",
                (client, profile_key))
            row = await cur.fetchone()
        return dict(row[0]) if row else {}

    async def remember(self, profile_key: str, edits: dict[str, str], *, edited_by: str) -> None:
        """Merge ``edits`` into what is remembered for this shape (a later edit of a column wins)."""
        if not edits:
            return
        client = self.db.require_scope()
        async with self.db.tx("owner") as conn:
            await conn.execute(
                "INSERT INTO redkey.import_mapping_memory (client_id, profile_key, edits, edited_by) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (client_id, profile_key) DO UPDATE "
                "SET edits = redkey.import_mapping_memory.edits || EXCLUDED.edits, "
                "edited_by = EXCLUDED.edited_by, updated_at = now()",
                (client, profile_key, json.dumps(edits), edited_by))
