"""The structure at work: dependency release with two workers racing, cascading holds with exact resume
(a running task stops at its next heartbeat), stage supersede, and a won deal proposing a project."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from cockpit.arlo.context import Services, TaskContext
from cockpit.arlo.enrichment import OfflineProvider
from cockpit.arlo.instructions import RuleBasedParser
from cockpit.arlo.registry import TaskInterrupted, register
from cockpit.arlo.worker import Worker
from cockpit.store import Store

ORDER: list[str] = []
SEEN: dict[str, dict] = {}


async def _record(ctx: TaskContext) -> dict:
    ORDER.append(ctx.task.id)
    SEEN[ctx.task.id] = ctx.task.model_dump()
    await asyncio.sleep(0.01)
    return {"summary": f"did {ctx.task.brief}"}


register("test_work_step", _record)


def _services() -> Services:
    return Services(enrichment=OfflineProvider(), parser=RuleBasedParser())


async def test_dependencies_release_in_order_with_two_workers_racing(store: Store, settings, conn) -> None:
    """A diamond a -> (b, c) -> d in phase P1, and phase P2 depending on P1: two workers on two stores
    (two pools) never run a task before everything it depends on is complete."""
    ORDER.clear()
    w = store.work
    project = await w.create_project("Diamond")
    stage = await w.create_stage(project.id, "build")
    p1 = await w.create_phase(stage.id, "Phase 1")
    p2 = await w.create_phase(stage.id, "Phase 2", depends_on=[p1.id])
    assert p2.status == "pending" and p2.waiting_on == [p1.id]
    a = await w.create_task("test_work_step", brief="a", phase_id=p1.id)
    b = await w.create_task("test_work_step", brief="b", phase_id=p1.id, depends_on=[a.id])
    c = await w.create_task("test_work_step", brief="c", phase_id=p1.id, depends_on=[a.id])
    d = await w.create_task("test_work_step", brief="d", phase_id=p1.id, depends_on=[b.id, c.id])
    e = await w.create_task("test_work_step", brief="e", phase_id=p2.id)
    assert e.waiting_on == [p1.id]  # its phase waits for P1
    deps = {a.id: set(), b.id: {a.id}, c.id: {a.id}, d.id: {b.id, c.id}, e.id: {a.id, b.id, c.id, d.id}}

    other = await Store.open(settings, min_size=0, max_size=2)
    try:
        workers = [Worker(store, settings, _services(), agent="w1"), Worker(other, settings, _services(), agent="w2")]

        async def drain(worker: Worker) -> None:
            idle = 0
            while idle < 20:
                done = await worker.run_one()
                idle = idle + 1 if done is None else 0
                if done is None:
                    await asyncio.sleep(0.02)

        await asyncio.gather(*(drain(x) for x in workers))
    finally:
        await other.close()

    assert sorted(ORDER) == sorted(deps) and len(ORDER) == 5  # each ran once
    cur = await conn.execute("SELECT topic_id, min(seq) FILTER (WHERE message_type = 'task.claimed'), "
                             "max(seq) FILTER (WHERE message_type = 'task.complete') FROM redkey.topic_log "
                             "WHERE topic_id = ANY(%s) GROUP BY topic_id", (list(deps),))
    seqs = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
    for tid, needs in deps.items():
        for dep in needs:
            assert seqs[dep][1] < seqs[tid][0], f"{tid} was claimed before {dep} completed"
    # the engine completed the phases, then the stage, then the project (its last stage)
    for table, eid in (("phases", p1.id), ("phases", p2.id), ("stages", stage.id), ("projects", project.id)):
        cur = await conn.execute(f"SELECT status FROM redkey.{table} WHERE id = %s", (eid,))
        assert (await cur.fetchone())[0] == "complete", table
    # released tasks were announced on the queue when they became available, once each
    cur = await conn.execute("SELECT l.payload->>'task_id', count(*) FROM redkey.topic_log l JOIN redkey.topics t "
                             "USING (topic_id) WHERE t.name = 'roles.crm' AND l.payload->>'task_id' = ANY(%s) "
                             "GROUP BY 1", (list(deps),))
    assert {r[0]: r[1] for r in await cur.fetchall()} == {t: 1 for t in deps}
    # workers saw tasks only: nothing of the project, stage or phase is on what a handler gets
    assert not {"project_id", "stage_id", "phase_id", "depends_on", "waiting_on"} & set(SEEN[e.id])


async def test_cascading_hold_and_exact_resume(store: Store, settings, conn) -> None:
    w = store.work
    project = await w.create_project("Hold me")
    stage = await w.create_stage(project.id, "build")
    p1 = await w.create_phase(stage.id, "Phase 1")
    p2 = await w.create_phase(stage.id, "Phase 2")
    t_free = await w.create_task("test_work_step", brief="free", phase_id=p1.id)
    t_own = await w.create_task("test_work_step", brief="held on its own", phase_id=p1.id)
    t_run = await w.create_task("test_work_step", brief="running", phase_id=p2.id)
    t_stage = await w.create_task("test_work_step", brief="stage-level", stage_id=stage.id)
    await w.control(t_own.id, "hold", reason="needs a password")           # held before, by itself
    await w.control(p2.id, "hold", reason="phase 2 paused first")         # and a phase held by itself
    await w.control(p2.id, "resume")
    claimed = await store.tasks.claim_task("w1", 60, task_id=t_run.id)
    assert claimed is not None
    started = await store.tasks.start_task(claimed, "w1", 60)
    assert started is not None and started.status == "in_progress"

    await w.control(project.id, "hold", reason="client asked to pause")

    async def status(table: str, eid: str) -> tuple:
        cur = await conn.execute(f"SELECT status, hold_seq FROM redkey.{table} WHERE id = %s", (eid,))
        return await cur.fetchone()

    assert (await status("stages", stage.id))[0] == "paused"
    assert (await status("phases", p1.id))[0] == "on_hold" and (await status("phases", p2.id))[0] == "on_hold"
    assert (await status("tasks", t_free.id))[0] == "on_hold" and (await status("tasks", t_stage.id))[0] == "on_hold"
    own_before = await status("tasks", t_own.id)
    assert own_before[0] == "on_hold"
    # the claimed task keeps running until its next heartbeat, which tells it to stop
    assert (await status("tasks", t_run.id))[0] == "in_progress"
    assert await store.tasks.heartbeat(started, "w1", 60) is None
    assert (await status("tasks", t_run.id))[0] == "on_hold"
    cur = await conn.execute("SELECT message_type FROM redkey.topic_log WHERE topic_id = %s ORDER BY seq", (t_run.id,))
    assert [r[0] for r in await cur.fetchall()][-3:] == ["task.stop_requested", "task.heartbeat", "task.on_hold"]
    # nothing of the held project is claimable
    assert await store.tasks.claim_task("w2", 60, task_id=t_free.id) is None
    # a task held with its project cannot be resumed by itself
    with pytest.raises(Exception, match="held with"):
        await w.control(t_free.id, "resume")

    await w.control(project.id, "resume")
    assert (await status("stages", stage.id))[0] == "active"
    assert (await status("phases", p1.id))[0] == "active" and (await status("phases", p2.id))[0] == "active"
    for t in (t_free, t_stage, t_run):
        assert (await status("tasks", t.id))[0] == "created", t.brief
    assert await status("tasks", t_own.id) == own_before  # its own hold stays


async def test_running_task_resumed_before_heartbeat_keeps_running(store: Store, conn) -> None:
    w = store.work
    project = await w.create_project("Short pause")
    stage = await w.create_stage(project.id, "build")
    t = await w.create_task("test_work_step", brief="long job", stage_id=stage.id)
    claimed = await store.tasks.claim_task("w1", 60, task_id=t.id)
    started = await store.tasks.start_task(claimed, "w1", 60)
    await w.control(project.id, "hold", reason="a moment")
    await w.control(project.id, "resume")
    beat = await store.tasks.heartbeat(started, "w1", 60)
    assert beat is not None and beat.status == "in_progress"
    done = await store.tasks.finish_task(beat, "w1", blocked=False, output={"summary": "ok"})
    assert done is not None and done.status == "complete"


async def test_supersede_stage_and_cancel_with_replacement(store: Store, conn) -> None:
    w = store.work
    project = await w.create_project("Pivot")
    old = await w.create_stage(project.id, "design", title="Design v1")
    t_old = await w.create_task("test_work_step", brief="mockups", stage_id=old.id)
    new = await w.create_stage(project.id, "design", title="Design v2")
    assert (await w.get("project", project.id)).active_stage_id == old.id  # the new one waits its turn
    s = await w.control(old.id, "supersede", reason="new direction", replaced_by=new.id)
    assert s.status == "superseded" and s.replaced_by == new.id
    assert (await w.get("project", project.id)).active_stage_id == new.id
    assert (await w.get("task", t_old.id)).status == "cancelled"
    # cancel a task with a replacement: whatever waited on it waits on the replacement
    a = await w.create_task("test_work_step", brief="draft", stage_id=new.id)
    b = await w.create_task("test_work_step", brief="review", stage_id=new.id, depends_on=[a.id])
    a2 = await w.create_task("test_work_step", brief="draft, take two", stage_id=new.id)
    c = await w.control(a.id, "cancel", reason="wrong brief", replaced_by=a2.id)
    assert c.status == "cancelled" and c.replaced_by == a2.id
    b_now = await w.get("task", b.id)
    assert b_now.depends_on == [a2.id] and b_now.waiting_on == [a2.id]
    tree = await w.tree(project.id)
    assert tree.waits_for(next(t for t in tree.tasks if t.id == b.id)) == f"waits for {a2.id} (created)"


async def test_won_deal_proposes_a_project_through_approvals(store: Store, settings, conn) -> None:
    """Justin moves a deal to the won stage; arlo's loop proposes the onboarding project; approving it
    creates the project linked to deal, company and client, with its first stage and tasks."""
    from cockpit.approvals.service import approve, reject
    from cockpit.arlo.runner import Arlo
    from cockpit.work.won import propose_won_deal_projects

    cur = await conn.execute("SELECT stage_id FROM redkey.stage_settings WHERE client_id = 'bezeliq' "
                             "AND label ILIKE '%%won%%'")
    won = (await cur.fetchone())[0]
    deals = await store.db.fetch_dicts("SELECT id, name, company_id, stage_id FROM crm_deals WHERE stage_id <> %s "
                                    "AND company_id IS NOT NULL ORDER BY name LIMIT 2", (won,))
    deal, other = deals
    assert await store.work.won_deals_to_propose() == []  # deals won before (the demo's history) are not proposed
    await store.crm.move_deal(deal["id"], won)
    arlo = Arlo(store, settings, _services())
    await arlo.run_once()
    pending = await store.approvals.pending_proposals(kind="project", limit=100)
    mine = [p for p in pending.items if p.target_id == deal["id"]]
    assert len(mine) == 1 and mine[0].payload["template"] == "onboarding"
    assert mine[0].payload["company_id"] == str(deal["company_id"])
    # the loop does not propose the same deal twice
    await arlo.run_once()
    again = await store.approvals.pending_proposals(kind="project", limit=100)
    assert len([p for p in again.items if p.target_id == deal["id"]]) == 1
    assert not await store.work.projects()  # nothing exists before approval

    ops = await approve(store, mine[0].proposal_id, reviewer="justin", note="go")
    assert ops[0]["entity_type"] == "project"
    projects = await store.work.projects()
    assert len(projects) == 1
    summary = projects[0]
    p = summary.project
    assert (p.deal_id, p.company_id, p.client_id, p.template) == (deal["id"], deal["company_id"], "bezeliq", "onboarding")
    assert summary.stage is not None and summary.stage.stage_type == "onboard"
    assert summary.stage.steps == ["kickoff", "access", "welcome"]
    tree = await store.work.tree(p.id)
    assert [s.stage_type for s in tree.stages] == ["onboard"]  # later stages start when this one completes
    kickoff, access = tree.tasks
    assert access.waiting_on == [kickoff.id]
    assert "waits for" in " ".join(summary.blockers)
    # a won deal with a project is not proposed again; another client's scope sees none of it
    assert deal["id"] not in {d["deal_id"] for d in await store.work.won_deals_to_propose()}
    assert not await store.scoped("northwind").work.projects()
    # rejecting a proposal leaves no project
    await store.crm.move_deal(other["id"], won)
    made = await propose_won_deal_projects(store)
    targets = {(await store.approvals.get_proposal(pid)).target_id for pid in made}
    assert other["id"] in targets and deal["id"] not in targets
    for pid in made:
        await reject(store, pid, reviewer="justin", note="not this one")
    assert len(await store.work.projects()) == 1
    assert other["id"] not in {d["deal_id"] for d in await store.work.won_deals_to_propose()}  # rejected: not re-asked


async def test_the_clients_won_rule_names_stage_and_template(store: Store) -> None:
    w = store.work
    await w.define("definition.project_template", {"template": "pilot", "title": "Pilot", "stage_sequence": [
        {"stage_type": "demo", "title": "Pilot demo", "tasks": [{"brief": "Run the pilot for two weeks"}]}]})
    await w.define("definition.deal_won", {"stage_id": "NEGOTIATE", "template": "pilot"})
    deals = await store.db.fetch_dicts("SELECT id FROM crm_deals WHERE stage_id <> 'NEGOTIATE' ORDER BY name LIMIT 1")
    await store.crm.move_deal(deals[0]["id"], "NEGOTIATE")
    [found] = await w.won_deals_to_propose()
    assert found["deal_id"] == deals[0]["id"] and found["template"] == "pilot"
    project = await w.create_project("Pilot for them", template="pilot", deal_id=str(found["deal_id"]))
    tree = await w.tree(project.id)
    assert [s.title for s in tree.stages] == ["Pilot demo"] and tree.tasks[0].role == "roles.coordinator"
    assert await w.won_deals_to_propose() == []
    # northwind has no such template
    with pytest.raises(Exception, match="no project template 'pilot'"):
        await store.scoped("northwind").work.create_project("x", template="pilot")
