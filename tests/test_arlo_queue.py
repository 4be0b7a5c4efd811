"""arlo's task queue against real Postgres: the log is the source, claims never overlap, leases expire,
control messages are applied by the listener."""

from __future__ import annotations

import asyncio
from collections import Counter

import psycopg
import pytest

from cockpit.arlo.context import Services, TaskContext
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.registry import register
from cockpit.arlo.worker import Worker
from cockpit.errors import ValidationFailed
from cockpit.store import Store

RUNS: Counter[str] = Counter()


async def _count(ctx: TaskContext) -> dict:
    RUNS[ctx.task.id] += 1
    await asyncio.sleep(0)
    return {"summary": f"counted {ctx.task.id} for {ctx.client_id}", "client": ctx.store.client_id}


register("test_count", _count)


def _services() -> Services:
    return Services(enrichment=OfflineProvider(), parser=RuleBasedParser())


async def test_lifecycle_is_logged_first_and_state_follows(store: Store, settings, conn) -> None:
    task = await store.create_task("test_count", brief="count once", params={"n": 1})
    assert task.status == "created" and task.id.startswith("0.0.") and task.client_id == "bezeliq"
    worker = Worker(store, settings, _services(), agent="arlo-a")
    done = await worker.run_one()
    assert done is not None and done.id == task.id and done.status == "complete"
    assert done.output == {"summary": f"counted {task.id} for bezeliq", "client": "bezeliq"}
    assert done.duration_seconds is not None and done.attempts == 1
    log = await store.task_log(task.id)
    assert [m.message_type for m in log] == ["task.created", "task.claimed", "task.started", "task.complete"]
    assert done.last_log_seq == log[-1].seq
    # the role topic announced it
    cur = await conn.execute("SELECT count(*) FROM redkey.topic_log l JOIN redkey.topics t USING (topic_id) "
                             "WHERE t.name = 'roles.crm' AND l.payload->>'task_id' = %s", (task.id,))
    assert (await cur.fetchone())[0] == 1
    # the log is append-only
    with pytest.raises(psycopg.Error):
        await conn.execute("DELETE FROM redkey.topic_log WHERE topic_id = %s", (task.id,))


async def test_two_workers_race_over_1000_tasks(store: Store, settings, conn) -> None:
    RUNS.clear()
    await conn.execute(
        "SELECT redkey.new_topic('task') FROM generate_series(1, 0)")  # warm
    ids = []
    for i in range(1000):
        t = await store.create_task("test_count", client_id="bezeliq" if i % 2 else "northwind",
                                    created_by="test")
        ids.append(t.id)
    other = await Store.open(settings, min_size=0, max_size=2)
    try:
        workers = [Worker(store, settings, _services(), agent="arlo-a"),
                   Worker(other, settings, _services(), agent="arlo-b")]

        async def drain(w: Worker) -> int:
            n = 0
            while await w.run_one() is not None:
                n += 1
            return n

        counts = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        await other.close()
    assert sum(counts) == 1000 and min(counts) > 0, counts  # both workers took part
    assert set(RUNS) == set(ids) and set(RUNS.values()) == {1}  # each run exactly once
    cur = await conn.execute(
        "SELECT count(*) FILTER (WHERE message_type = 'task.complete'), count(DISTINCT topic_id) "
        "FILTER (WHERE message_type = 'task.complete') FROM redkey.topic_log WHERE topic_id = ANY(%s)", (ids,))
    assert await cur.fetchone() == (1000, 1000)
    cur = await conn.execute("SELECT count(*) FROM redkey.tasks WHERE id = ANY(%s) AND status = 'complete'"
                             " AND output->>'client' = client_id", (ids,))
    assert (await cur.fetchone())[0] == 1000  # each ran scoped to its own client


async def test_killed_workers_lease_runs_out_and_task_is_retried(store: Store, settings, conn) -> None:
    RUNS.clear()
    task = await store.create_task("test_count")
    # worker A claims and starts, then "dies" (never finishes)
    claimed = await store.claim_task("arlo-dead", lease_seconds=30)
    assert claimed is not None and claimed.id == task.id
    assert await store.start_task(claimed, "arlo-dead", 30) is not None
    live = Worker(store, settings, _services(), agent="arlo-live")
    assert await live.run_one() is None  # lease still valid: not claimable
    # the lease runs out (moved into the past rather than sleeping)
    await conn.execute("UPDATE redkey.tasks SET lease_until = now() - interval '1 second' WHERE id = %s", (task.id,))
    done = await live.run_one()
    assert done is not None and done.status == "complete" and done.agent == "arlo-live" and done.attempts == 2
    assert RUNS[task.id] == 1
    # the dead worker coming back cannot record a result any more (fencing by agent + attempt)
    assert await store.finish_task(claimed, "arlo-dead", blocked=False, output={"summary": "late"}) is None
    assert (await store.task(task.id)).output["summary"].startswith("counted")


async def test_control_messages_hold_resume_cancel(store: Store, settings) -> None:
    RUNS.clear()
    worker = Worker(store, settings, _services(), agent="arlo-a")
    t1 = await store.create_task("test_count")
    held = await store.control_task(t1.id, "hold", reason="wait for Q3")
    assert held.status == "on_hold"
    assert await worker.run_one() is None  # a held task is not claimable
    resumed = await store.control_task(t1.id, "resume")
    assert resumed.status == "created"
    assert (await worker.run_one()).status == "complete"

    t2 = await store.create_task("test_count")
    assert (await store.control_task(t2.id, "cancel", reason="not needed")).status == "cancelled"
    assert await worker.run_one() is None and RUNS[t2.id] == 0
    with pytest.raises(ValidationFailed):
        await store.control_task(t2.id, "resume")  # a cancelled task stays cancelled
    with pytest.raises(ValidationFailed):
        await store.control_task(t1.id, "cancel")  # complete stays complete
    assert [m.message_type for m in await store.task_log(t2.id)] == ["task.created", "task.cancelled"]

    # held while running: the running worker's result is dropped, the task waits for resume
    t3 = await store.create_task("test_count")
    claimed = await store.claim_task("arlo-x", 60)
    started = await store.start_task(claimed, "arlo-x", 60)
    await store.control_task(t3.id, "hold")
    assert await store.finish_task(started, "arlo-x", blocked=False, output={"summary": "x"}) is None
    assert (await store.task(t3.id)).status == "on_hold"


async def test_listener_applies_messages_appended_by_anyone(store: Store, conn) -> None:
    """A control message written straight to the log (no Python) still changes current state."""
    task = await store.create_task("test_count")
    await conn.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) "
                       "VALUES (%s, 'task.on_hold', '{\"reason\": \"from psql\"}')", (task.id,))
    assert (await store.task(task.id)).status == "on_hold"
    # an impossible transition is refused together with its log entry
    with pytest.raises(psycopg.Error):
        await conn.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) "
                           "VALUES (%s, 'task.complete', '{\"agent\": \"nobody\", \"attempt\": 0}')", (task.id,))
    log = await store.task_log(task.id)
    assert [m.message_type for m in log] == ["task.created", "task.on_hold"]


async def test_engine_creates_no_second_periodic_task_while_one_is_pending(store: Store) -> None:
    first = await store.create_periodic_task("bezeliq", "enrichment_scan", 3600)
    assert first is not None
    assert await store.create_periodic_task("bezeliq", "enrichment_scan", 0.0) is None  # pending
    await store.control_task(first.id, "cancel")
    assert await store.create_periodic_task("bezeliq", "enrichment_scan", 3600) is None  # not due yet
    again = await store.create_periodic_task("bezeliq", "enrichment_scan", 0.0)
    assert again is not None and again.id != first.id
    # racing engines (two processes): exactly one creates
    await store.control_task(again.id, "cancel")
    results = await asyncio.gather(*(store.create_periodic_task("northwind", "pipeline_health", 0.0)
                                     for _ in range(5)))
    assert sum(r is not None for r in results) == 1
