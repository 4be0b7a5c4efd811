"""The store reads behind the contact detail: client context, its history, enrollments — scoped."""

from __future__ import annotations

import pytest

from cockpit.store import Store


async def _sarah(store: Store):  # type: ignore[no-untyped-def]
    page = await store.crm.contacts_page("sarah chen")
    return next(c for c in page.items if c.full_name == "Sarah Chen")


@pytest.mark.pooled
async def test_client_context_and_history_for_sarah(store: Store) -> None:
    sarah = await _sarah(store)
    ctx = await store.context.client_context(sarah.id)
    assert ctx is not None
    assert ctx.context["relationship_status"] == "warm"
    assert ctx.context["open_threads"][0]["needs_reply"] is True
    history = await store.context.context_history(sarah.id)
    assert [h.change_note for h in history] == ["initial context from demo data"]
    assert await store.sequences.enrollments_of_contact(sarah.id) == []


async def test_context_is_invisible_from_another_client(store: Store) -> None:
    sarah = await _sarah(store)
    other = store.scoped("northwind")
    assert await other.context.client_context(sarah.id) is None
    assert await other.context.context_history(sarah.id) == []


async def test_enrollment_is_read_with_its_sequence(store: Store, conn) -> None:  # type: ignore[no-untyped-def]
    sarah = await _sarah(store)
    await conn.execute("INSERT INTO redkey.sequences (client_id, name, steps) VALUES "
                       "('bezeliq', 'Warm intro', '[{\"day\":0},{\"day\":3},{\"day\":7}]')")
    await conn.execute("INSERT INTO redkey.sequence_enrollments (client_id, sequence_id, contact_id, current_step, status) "
                       "SELECT 'bezeliq', id, %s, 1, 'active' FROM redkey.sequences WHERE name = 'Warm intro'",
                       (sarah.id,))
    [e] = await store.sequences.enrollments_of_contact(sarah.id)
    assert (e.sequence_name, e.current_step, e.total_steps, e.status) == ("Warm intro", 1, 3, "active")
    assert await store.scoped("northwind").sequences.enrollments_of_contact(sarah.id) == []


async def test_ping(store: Store) -> None:
    await store.db.ping()
