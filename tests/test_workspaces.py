"""Registering Twenty workspaces: views regenerate over them; non-Twenty schemas are refused by name."""

from __future__ import annotations

import psycopg
import pytest

from cockpit.errors import ValidationFailed, WorkspaceRejected
from cockpit.store import Store


async def _store(url: str, client: str | None = None) -> Store:
    from cockpit.config import Settings

    return await Store.open(Settings(database_url=url, _env_file=None), client_id=client,  # type: ignore[call-arg]
                            min_size=0, max_size=2)


async def test_register_fixture_workspace_and_see_its_rows(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        await store.admin.create_fixture_workspace("workspace_test1", ["LEAD", "WON"])
        info = await store.admin.register_workspace("workspace_test1", "acme-client", label="Acme Client")
        assert (info.client_id, info.client_name) == ("acme-client", "Acme Client")
        scoped = store.scoped("acme-client")
        assert [s.stage_id for s in await scoped.crm.pipeline()] == ["LEAD", "WON"]
        c = await scoped.crm.insert_record("crm_contacts", {"first_name": "New", "last_name": "Person"})
        assert (await scoped.crm.contacts_page()).items == [c]
        assert [w.schema_name for w in await store.admin.workspaces()] == ["workspace_test1"]
    finally:
        await store.close()


async def test_two_workspaces_for_one_client_are_both_visible(empty_db_url: str) -> None:
    store = await _store(empty_db_url)
    try:
        for ws in ("workspace_a1", "workspace_a2"):
            await store.admin.create_fixture_workspace(ws)
            await store.admin.register_workspace(ws, "multi")
        async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
            for ws, name in (("workspace_a1", "One"), ("workspace_a2", "Two")):
                await conn.execute(f'INSERT INTO "{ws}".person ("nameFirstName") VALUES (%s)', (name,))
        scoped = store.scoped("multi")
        assert [c.first_name for c in (await scoped.crm.contacts_page()).items] == ["One", "Two"]
        two = (await scoped.crm.contacts_page("two")).items[0]
        updated = await scoped.crm.update_strategic("crm_contacts", two.id, priority="high")
        assert updated.priority == "high"
    finally:
        await store.close()


async def test_non_twenty_schema_is_refused_naming_what_is_missing(empty_db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(empty_db_url, autocommit=True) as conn:
        await conn.execute("CREATE SCHEMA workspace_fake")
        await conn.execute('CREATE TABLE workspace_fake.person (id uuid PRIMARY KEY, "nameFirstName" text)')
        await conn.execute('CREATE TABLE workspace_fake.company (id uuid PRIMARY KEY, name text)')
    store = await _store(empty_db_url)
    try:
        with pytest.raises(WorkspaceRejected) as info:
            await store.admin.register_workspace("workspace_fake", "x")
        msg = str(info.value)
        assert "person.emailsPrimaryEmail" in msg and "table opportunity" in msg and "company.domainNamePrimaryLinkUrl" in msg
        with pytest.raises(WorkspaceRejected) as info:
            await store.admin.register_workspace("workspace_nope", "x")
        assert "does not exist" in str(info.value)
        assert await store.admin.workspaces() == [] and await store.admin.clients() == []
        with pytest.raises(ValidationFailed):
            await store.admin.register_workspace("workspace_fake", "Bad Client Id!")
    finally:
        await store.close()


async def test_a_workspace_belongs_to_one_client(db_url: str) -> None:
    store = await _store(db_url)
    try:
        ws = [w for w in await store.admin.workspaces() if w.client_id == "bezeliq"][0].schema_name
        with pytest.raises(WorkspaceRejected):
            await store.admin.register_workspace(ws, "northwind")
    finally:
        await store.close()
