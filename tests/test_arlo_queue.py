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


@pytest.mark.pooled
async def test_lifecycle_is_logged_first_and_state_follows(store: Store, settings, conn) -> None:
    task = await store.tasks.create_task("test_count", brief="count once", params={"n": 1})
    assert task.status == "created" and task.id.startswith("0.0.") and task.client_id == "bezeliq"
    worker = Worker(store, settings, _services(), agent="arlo-a")
    done = await worker.run_one()
    assert done is not None and done.id == task.id and done.status == "complete"
    assert done.output == {"summary": f"counted {task.id} for bezeliq", "client": "bezeliq"}
    assert done.duration_seconds is not None and done.attempts == 1
    log = await store.tasks.task_log(task.id)
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
    created = await store.tasks.create_tasks("test_count", ["bezeliq" if i % 2 else "northwind" for i in range(1000)],
                                       created_by="test")
    ids = [t.id for t in created]
    assert len(set(ids)) == 1000
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


@pytest.mark.pooled
async def test_killed_workers_lease_runs_out_and_task_is_retried(store: Store, settings, conn) -> None:
    RUNS.clear()
    task = await store.tasks.create_task("test_count")
    # worker A claims and starts, then "dies" (never finishes)
    claimed = await store.tasks.claim_task("arlo-dead", lease_seconds=30)
    assert claimed is not None and claimed.id == task.id
    assert await store.tasks.start_task(claimed, "arlo-dead", 30) is not None
    live = Worker(store, settings, _services(), agent="arlo-live")
    assert await live.run_one() is None  # lease still valid: not claimable
    # the lease runs out (moved into the past rather than sleeping)
    await conn.execute("UPDATE redkey.tasks SET lease_until = now() - interval '1 second' WHERE id = %s", (task.id,))
    done = await live.run_one()
    assert done is not None and done.status == "complete" and done.agent == "arlo-live" and done.attempts == 2
    assert RUNS[task.id] == 1
    # the dead worker coming back cannot record a result any more (fencing by agent + attempt)
    assert await store.tasks.finish_task(claimed, "arlo-dead", blocked=False, output={"summary": "late"}) is None
    assert (await store.tasks.task(task.id)).output["summary"].startswith("counted")


@pytest.mark.pooled
async def test_control_messages_hold_resume_cancel(store: Store, settings) -> None:
    RUNS.clear()
    worker = Worker(store, settings, _services(), agent="arlo-a")
    t1 = await store.tasks.create_task("test_count")
    held = await store.tasks.control_task(t1.id, "hold", reason="wait for Q3")
    assert held.status == "on_hold"
    assert await worker.run_one() is None  # a held task is not claimable
    resumed = await store.tasks.control_task(t1.id, "resume")
    assert resumed.status == "created"
    assert (await worker.run_one()).status == "complete"

    t2 = await store.tasks.create_task("test_count")
    assert (await store.tasks.control_task(t2.id, "cancel", reason="not needed")).status == "cancelled"
    assert await worker.run_one() is None and RUNS[t2.id] == 0
    with pytest.raises(ValidationFailed):
        await store.tasks.control_task(t2.id, "resume")  # a cancelled task stays cancelled
    with pytest.raises(ValidationFailed):
        await store.tasks.control_task(t1.id, "cancel")  # complete stays complete
    assert [m.message_type for m in await store.tasks.task_log(t2.id)] == ["task.created", "task.cancelled"]

    # held while running: the running worker's result is dropped, the task waits for resume
    t3 = await store.tasks.create_task("test_count")
    claimed = await store.tasks.claim_task("arlo-x", 60)
    started = await store.tasks.start_task(claimed, "arlo-x", 60)
    await store.tasks.control_task(t3.id, "hold")
    assert await store.tasks.finish_task(started, "arlo-x", blocked=False, output={"summary": "x"}) is None
    assert (await store.tasks.task(t3.id)).status == "on_hold"


async def test_listener_applies_messages_appended_by_anyone(store: Store, conn) -> None:
    """A control message written straight to the log (no Python) still changes current state."""
    task = await store.tasks.create_task("test_count")
    await conn.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) "
                       "VALUES (%s, 'task.on_hold', '{\"reason\": \"from psql\"}')", (task.id,))
    assert (await store.tasks.task(task.id)).status == "on_hold"
    # an impossible transition is refused together with its log entry
    with pytest.raises(psycopg.Error):
        await conn.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) "
                           "VALUES (%s, 'task.complete', '{\"agent\": \"nobody\", \"attempt\": 0}')", (task.id,))
    log = await store.tasks.task_log(task.id)
    assert [m.message_type for m in log] == ["task.created", "task.on_hold"]


@pytest.mark.pooled
async def test_engine_creates_no_second_periodic_task_while_one_is_pending(store: Store) -> None:
    first = await store.tasks.create_periodic_task("bezeliq", "enrichment_scan", 3600)
    assert first is not None
    assert await store.tasks.create_periodic_task("bezeliq", "enrichment_scan", 0.0) is None  # pending
    await store.tasks.control_task(first.id, "cancel")
    assert await store.tasks.create_periodic_task("bezeliq", "enrichment_scan", 3600) is None  # not due yet
    again = await store.tasks.create_periodic_task("bezeliq", "enrichment_scan", 0.0)
    assert again is not None and again.id != first.id
    # racing engines (two processes): exactly one creates
    await store.tasks.control_task(again.id, "cancel")
    results = await asyncio.gather(*(store.tasks.create_periodic_task("northwind", "pipeline_health", 0.0)
                                     for _ in range(5)))
    assert sum(r is not None for r in results) == 1


GATE: dict[str, asyncio.Event] = {}
CONTINUED: list[str] = []


async def _gated(ctx: TaskContext) -> dict:
    GATE["started"].set()
    await asyncio.wait_for(GATE["proceed"].wait(), 30)
    await ctx.checkpoint()          # notices the hold: raises TaskInterrupted
    CONTINUED.append(ctx.task.id)
    return {"summary": "should not be recorded"}


register("test_gated", _gated)


async def test_hold_reaches_a_running_handler_at_its_next_checkpoint(store: Store, settings) -> None:
    GATE.update(started=asyncio.Event(), proceed=asyncio.Event())
    CONTINUED.clear()
    task = await store.tasks.create_task("test_gated")
    worker = Worker(store, settings, _services(), agent="arlo-a")
    running = asyncio.create_task(worker.run_one())
    await asyncio.wait_for(GATE["started"].wait(), 10)
    assert (await store.tasks.task(task.id)).status == "in_progress"
    await store.tasks.control_task(task.id, "hold", reason="wait")
    GATE["proceed"].set()
    result = await asyncio.wait_for(running, 10)
    assert result is not None and result.status == "on_hold" and result.output is None
    assert CONTINUED == []


def test_registry_defaults_never_replace_a_real_handler() -> None:
    from cockpit.arlo import registry
    from cockpit.arlo.registry import TASK_TYPES, is_default

    async def real(ctx: TaskContext) -> dict:
        return {"summary": "real"}

    async def placeholder(ctx: TaskContext) -> dict:
        return {"summary": "placeholder"}

    name = "test_only_task_type"
    try:
        register(name, placeholder, default=True)
        assert TASK_TYPES[name] is placeholder and is_default(name)
        register(name, real)                                 # a feature plugging in
        assert TASK_TYPES[name] is real and not is_default(name)
        register(name, placeholder, default=True)            # a default registered later yields
        assert TASK_TYPES[name] is real
    finally:
        TASK_TYPES.pop(name, None)
        registry._DEFAULTS.discard(name)


def test_the_sequences_feature_provides_the_real_sequence_step() -> None:
    import cockpit.arlo.runner  # noqa: F401 - loads every task type
    from cockpit.arlo.registry import TASK_TYPES, is_default

    assert not is_default("sequence_step")
    assert TASK_TYPES["sequence_step"].__module__ == "cockpit.sequences.task"


KILLED_WORKER = """
import asyncio, sys
from cockpit.arlo.context import Services
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.registry import register
from cockpit.arlo.worker import Worker
from cockpit.config import Settings
from cockpit.store import Store

async def hang(ctx):
    print("started", ctx.task.id, flush=True)
    await asyncio.Event().wait()          # never finishes: killed here

register("test_hang", hang)

async def main():
    settings = Settings(database_url=sys.argv[1], lease_seconds=1.0, _env_file=None)
    store = await Store.open(settings, min_size=0, max_size=2)
    await Worker(store, settings, Services(enrichment=OfflineProvider(), parser=RuleBasedParser()),
                 agent="arlo-doomed").run_one()

asyncio.run(main())
"""


async def test_a_killed_worker_process_is_retried_after_its_lease_runs_out(store: Store, settings, db_url) -> None:
    import signal
    import subprocess
    import sys

    register("test_hang", _count)   # in this process the same task type completes
    RUNS.clear()
    task = await store.tasks.create_task("test_hang")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", KILLED_WORKER, db_url,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
        assert line.decode().split() == ["started", task.id]
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
    held = await store.tasks.task(task.id)
    assert held.status == "in_progress" and held.agent == "arlo-doomed"
    live = Worker(store, settings, _services(), agent="arlo-live")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    done = None
    while done is None and loop.time() < deadline:   # the 1 s lease has to run out first
        done = await live.run_one()
        if done is None:
            await asyncio.sleep(0.1)
    assert done is not None and done.status == "complete" and done.attempts == 2 and RUNS[task.id] == 1
    claims = [m.payload["agent"] for m in await store.tasks.task_log(task.id) if m.message_type == "task.claimed"]
    assert claims == ["arlo-doomed", "arlo-live"]
