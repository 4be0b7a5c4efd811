"""Atlas's way in: the bearer-token HTTP route on the intake server and the SQL functions behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.runner import Arlo
from cockpit.config import Settings
from cockpit.store import Store
from cockpit.webhooks.atlas import atlas_routes
from cockpit.webhooks.server import create_app
from tests.conftest import FIXED_NOW

TOKEN = "atlas-test-token-7f3a"


async def _client(store: Store, settings: Settings, token: str | None) -> httpx.AsyncClient:
    app = create_app(store.scoped(None), settings, extra_routes=atlas_routes(store.scoped(None), token=token))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


@pytest.fixture
async def http(store: Store, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(store, settings, TOKEN) as client:
        yield client


AUTH = {"authorization": f"Bearer {TOKEN}"}


async def test_atlas_files_a_strategic_task_and_reads_the_result(http: httpx.AsyncClient, store: Store,
                                                                 settings: Settings) -> None:
    filed = await http.post("/atlas/tasks", headers=AUTH, json={
        "client_id": "bezeliq", "text": "Move the Volta deal to Negotiation", "kind": "strategic"})
    assert filed.status_code == 201, filed.text
    task_id = filed.json()["task_id"]
    assert filed.json()["result_url"] == f"/atlas/tasks/{task_id}"
    pending = await http.get(f"/atlas/tasks/{task_id}", headers=AUTH)
    assert pending.json()["status"] == "created" and pending.json()["output"] is None
    task = await store.tasks.task(task_id)
    assert task.task_type == "strategic_write" and task.created_by == "atlas" and task.client_id == "bezeliq"
    arlo = Arlo(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser(),
                                          clock=lambda: FIXED_NOW))
    try:
        await arlo.run_task(task_id)
    finally:
        await arlo.aclose()
    done = (await http.get(f"/atlas/tasks/{task_id}", headers=AUTH)).json()
    assert done["status"] == "complete" and done["final"] is True
    assert done["output"]["summary"] == "Volta Energy — Pilot: stage Proposal → Negotiation."
    assert done["output"]["changes"][0]["after"] == "NEGOTIATE"


async def test_auto_kind_files_questions_as_adhoc(http: httpx.AsyncClient, store: Store) -> None:
    filed = await http.post("/atlas/tasks", headers=AUTH, json={"client_id": "bezeliq", "text": "who needs a follow-up?"})
    assert filed.status_code == 201
    assert (await store.tasks.task(filed.json()["task_id"])).task_type == "adhoc_query"


async def test_atlas_route_refuses_without_the_token_and_checks_the_body(http: httpx.AsyncClient, store: Store,
                                                                         settings: Settings) -> None:
    body = {"client_id": "bezeliq", "text": "Move the Volta deal to Negotiation"}
    assert (await http.post("/atlas/tasks", json=body)).status_code == 401
    wrong = await http.post("/atlas/tasks", json=body, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert (await http.get("/atlas/tasks/0.0.1")).status_code == 401
    bad = await http.post("/atlas/tasks", headers=AUTH, json={"client_id": "bezeliq", "kind": "poetry"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"text", "kind"}
    assert (await http.post("/atlas/tasks", headers=AUTH, content=b"{not json")).status_code == 422
    unknown = await http.post("/atlas/tasks", headers=AUTH, json={"client_id": "acme-co", "text": "hi there"})
    assert unknown.status_code == 404 and "no client acme-co" in unknown.json()["error"]
    assert (await http.get("/atlas/tasks/0.0.999999", headers=AUTH)).status_code == 404
    # a task that was not filed through Atlas is not Atlas's to read
    own = await store.tasks.create_task("strategic_write", client_id="bezeliq", brief="x", params={"text": "x"})
    assert (await http.get(f"/atlas/tasks/{own.id}", headers=AUTH)).status_code == 404
    async with await _client(store, settings, None) as off:
        assert (await off.post("/atlas/tasks", json=body, headers=AUTH)).status_code == 503
    assert await store.tasks.tasks_page(limit=10) == [own]


async def test_the_sql_function_as_atlas_s_role(conn: psycopg.AsyncConnection, store: Store) -> None:
    async with conn.transaction():
        await conn.execute("SET LOCAL ROLE redkey_atlas")
        cur = await conn.execute("SELECT redkey.atlas_file_task('bezeliq', %s, 'strategic')",
                                 ("Mark Sarah at Meridian as a priority",))
        task_id = (await cur.fetchone())[0]
        cur = await conn.execute("SELECT status, task_type FROM redkey.atlas_task_result(%s)", (task_id,))
        assert await cur.fetchone() == ("created", "strategic_write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with conn.transaction():
                await conn.execute("SELECT * FROM redkey.tasks")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="empty"):
            async with conn.transaction():
                await conn.execute("SELECT redkey.atlas_file_task('bezeliq', '   ')")
    assert (await store.tasks.task(task_id)).brief == "Mark Sarah at Meridian as a priority"
