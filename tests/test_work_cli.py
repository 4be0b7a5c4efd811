"""`cockpit work` from the shell (real subprocesses, real database): list, show, hold, resume, cancel,
supersede; refusals are one line without a traceback."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from tests.test_cli import _no_traceback, cockpit


def _project(db_url: str) -> tuple[str, str, str]:
    """A project appended to the log as any writer may: project.created, its stage started by the engine,
    one task in it."""
    with psycopg.connect(db_url, autocommit=True) as c:
        pid = c.execute("SELECT redkey.new_topic('project')").fetchone()[0]
        c.execute("INSERT INTO redkey.topic_log (topic_id, message_type, payload) VALUES (%s, 'project.created', %s)",
                  (pid, Jsonb({"client_id": "bezeliq", "title": "Café Müller rollout", "created_by": "justin",
                               "stage_sequence": [{"stage_type": "build", "title": "Build",
                                                   "tasks": [{"role": "roles.crm", "task_type": "test_noop",
                                                              "brief": "Set up the tills"}]}]})))
        sid = c.execute("SELECT active_stage_id FROM redkey.projects WHERE id = %s", (pid,)).fetchone()[0]
        tid = c.execute("SELECT id FROM redkey.tasks WHERE stage_id = %s", (sid,)).fetchone()[0]
    return pid, sid, tid


def test_work_commands(db_url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    pid, sid, tid = _project(db_url)
    listed = cockpit("work", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert pid in listed.stdout and "Café Müller rollout" in listed.stdout and "0/1" in listed.stdout
    assert "Build (step 1/3)" in listed.stdout

    held = cockpit("work", "hold", pid, "--reason", "client on holiday", env=env)
    assert held.returncode == 0 and held.stdout.strip() == f"{pid} on hold (client on holiday)"
    shown = cockpit("work", "show", pid, env=env)
    assert f"stage {sid} Build [build]" in shown.stdout and "paused (client on holiday)" in shown.stdout
    assert f"task {tid}" in shown.stdout and f"held with {pid}: client on holiday" in shown.stdout
    assert "project.on_hold" in shown.stdout and "'reason': 'client on holiday'" in shown.stdout

    task_resume = cockpit("work", "resume", tid, env=env)
    assert task_resume.returncode == 1 and f"is held with {pid}; resume that" in task_resume.stderr
    _no_traceback(task_resume)
    again = cockpit("work", "hold", pid, env=env)
    assert again.returncode == 1 and "it cannot be put on hold" in again.stderr
    _no_traceback(again)

    assert cockpit("work", "resume", pid, env=env).stdout.strip() == f"{pid} active"
    task_show = cockpit("work", "show", tid, env=env)
    assert task_show.stdout.startswith(f"task {tid}: Set up the tills — created")
    assert [ln.split()[3] for ln in task_show.stdout.splitlines() if ln.startswith("   ")
            and ln.split()[0].isdigit()] == ["task.created", "task.on_hold", "task.resumed"]

    no_repl = cockpit("work", "supersede", sid, env=env)
    assert no_repl.returncode == 1 and "--replaced-by" in no_repl.stderr
    unknown = cockpit("work", "show", "0.0.99999999", env=env)
    assert unknown.returncode == 1 and "no project, stage, phase or task 0.0.99999999" in unknown.stderr
    _no_traceback(unknown)
    other = cockpit("work", "show", pid, env={**env, "COCKPIT_CLIENT_ID": "northwind"})
    assert other.returncode == 1 and "for this client" in other.stderr

    cancelled = cockpit("work", "cancel", pid, "--reason", "lost the contract", env=env)
    assert cancelled.stdout.strip() == f"{pid} cancelled (lost the contract)"
    assert "cancelled" in cockpit("work", "show", tid, env=env).stdout.splitlines()[0]
