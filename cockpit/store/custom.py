"""Twenty's custom fields and custom objects of the client, as Layer 2 reports them.

The generator (:mod:`cockpit.db.custom_fields`) writes ``crm_custom_fields()`` and ``crm_custom_objects()``
into each client's schema from the workspace's real columns and Twenty's field metadata; this repository
reads them, never Layer 1 or the metadata tables.
"""

from __future__ import annotations

from typing import Any

from cockpit.models import CustomField, CustomObject


class CustomRepo:
    def __init__(self, db: Any) -> None:
        self.db = db

    async def fields(self, view: str | None = None) -> list[CustomField]:
        """The keys of ``view``'s ``custom`` column (every record view's when None), in column order."""
        rows = await self.db.fetch_models(CustomField, "SELECT * FROM crm_custom_fields()")
        return [r for r in rows if view is None or r.view_name == view]

    async def keys(self, view: str) -> list[str]:
        """The distinct ``custom`` keys of ``view`` across the client's workspaces, first seen first."""
        return list(dict.fromkeys(f.key for f in await self.fields(view)))

    async def objects(self) -> list[CustomObject]:
        """The client's custom objects (Twenty's ``_`` tables), per workspace, with a row estimate."""
        return await self.db.fetch_models(CustomObject, "SELECT * FROM crm_custom_objects() ORDER BY 1, 2")
