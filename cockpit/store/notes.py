"""Notes on contacts, companies and deals: Twenty's notes, read and written through ``crm_notes``.

A note is linked to one or more records (``target_ids``); a record's notes are the ones linked to it,
newest first, keyset-paginated. Writes run under the strategic role (a note is someone's words: Justin's
in the cockpit, or arlo's on his instruction) and leave in Twenty what its own UI would (markdown,
BlockNote document, target rows, timeline rows; see :mod:`cockpit.db.notes_tasks`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.rows import class_row

from cockpit.errors import NotFound, ValidationFailed
from cockpit.fields import MAX_BODY, MAX_NAME
from cockpit.models import Note, Page, Role
from cockpit.store.core import Db, keyset_page

LINKS = ("contact_id", "company_id", "deal_id")


def clean_text(title: str | None, body: str | None) -> tuple[str | None, str | None]:
    """Trimmed title and body, checked against the registry's limits; one of them is needed."""
    title = (title or "").strip() or None
    body = (body or "").strip() or None
    if title is None and body is None:
        raise ValidationFailed("a note or task needs a title or a text", "type what it is about")
    if title and len(title) > MAX_NAME:
        raise ValidationFailed(f"the title is {len(title)} characters long", f"keep it under {MAX_NAME}")
    if body and len(body) > MAX_BODY:
        raise ValidationFailed(f"the text is {len(body)} characters long", f"keep it under {MAX_BODY}")
    return title, body


def links_of(fields: dict[str, Any]) -> dict[str, UUID]:
    out = {k: fields[k] for k in LINKS if fields.get(k) is not None}
    if not out:
        raise ValidationFailed("a note or task must be linked to a contact, a company or a deal")
    return out


class NotesRepo:
    view = "crm_notes"
    model: type[Note] = Note

    def __init__(self, db: Db) -> None:
        self.db = db

    async def get(self, note_id: UUID) -> Note:
        row = await self.db.fetch_model(self.model, f"SELECT * FROM {self.view} WHERE id = %s", (note_id,))
        if row is None:
            raise NotFound(f"no such {self.view[4:-1]} {note_id} in this client's scope")
        return row

    async def of_record(self, record_id: UUID, *, after: tuple[Any, ...] | None = None,
                        limit: int = 20) -> Page[Note]:
        """The notes linked to a contact, company or deal, newest first."""
        after_at, after_id = after if after else (None, None)
        rows = await self.db.fetch_models(
            self.model,
            f"SELECT * FROM {self.view} WHERE %s = ANY(target_ids)"
            " AND (%s::timestamptz IS NULL OR (created_at, id) < (%s::timestamptz, %s::uuid))"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            (record_id, after_at, after_at, after_id, limit + 1))
        return keyset_page(rows, limit, lambda n: (n.created_at, n.id))

    async def _insert(self, fields: dict[str, Any], role: Role) -> UUID:
        cols = [c for c, v in fields.items() if v is not None]
        async with self.db.tx(role, columns=cols) as conn:
            cur = await conn.execute(
                f"INSERT INTO {self.view} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id",
                [fields[c] for c in cols])
            row = await cur.fetchone()
        return row[0]  # type: ignore[index]

    async def _update(self, record_id: UUID, fields: dict[str, Any], role: Role) -> Any:
        cols = list(fields)
        async with self.db.tx(role, columns=cols) as conn:
            cur = conn.cursor(row_factory=class_row(self.model))
            await cur.execute(f"UPDATE {self.view} SET {', '.join(f'{c} = %s' for c in cols)} WHERE id = %s RETURNING *",
                              [fields[c] for c in cols] + [record_id])
            if await cur.fetchone() is None:
                raise NotFound(f"no such {self.view[4:-1]} {record_id} in this client's scope")
        return await self.get(record_id)

    async def add(self, *, title: str | None = None, body: str | None = None, contact_id: UUID | None = None,
                  company_id: UUID | None = None, deal_id: UUID | None = None,
                  role: Role = "strategic") -> Note:
        title, body = clean_text(title, body)
        links = links_of({"contact_id": contact_id, "company_id": company_id, "deal_id": deal_id})
        new_id = await self._insert({"title": title, "body": body, **links}, role)
        return await self.get(new_id)

    async def edit(self, note_id: UUID, *, title: str | None = None, body: str | None = None,
                   role: Role = "strategic") -> Note:
        title, body = clean_text(title, body)
        return await self._update(note_id, {"title": title, "body": body}, role)  # type: ignore[no-any-return]

    async def delete(self, note_id: UUID, *, role: Role = "strategic") -> None:
        async with self.db.tx(role) as conn:
            cur = await conn.execute(f"DELETE FROM {self.view} WHERE id = %s", (note_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no such {self.view[4:-1]} {note_id} in this client's scope")
