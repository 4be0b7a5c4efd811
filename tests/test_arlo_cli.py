"""arlo from the shell, as systemd and Justin run it (real subprocesses, real database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.test_cli import _no_traceback, cockpit


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}


def test_tell_prints_the_result_or_the_question(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    ok = cockpit("tell", "Mark Sarah at Meridian as a priority — strong champion, CFO relationship", env=env)
    _no_traceback(ok)
    assert ok.returncode == 0, ok.stderr
    today = datetime.now(timezone.utc).date().isoformat()   # the shell runs on the real clock
    assert f"Sarah Chen (Meridian Health): relationship note + '{today}: Strong champion, CFO relationship'" \
        in ok.stdout
    assert "already has priority high" in ok.stdout and "undo with: cockpit undo 0.0." in ok.stdout
    asks = cockpit("tell", "Mark", "Sarah", "as", "a", "priority", env=env)
    assert asks.returncode == 3 and asks.stdout.startswith("arlo asks: Which") and "Sarah Okafor" in asks.stdout
    query = cockpit("tell", "summarise the pipeline", env=env)
    assert query.returncode == 0 and query.stdout.startswith("Pipeline:") and "Negotiation" in query.stdout
    empty = cockpit("tell", "   ", env=env)
    assert empty.returncode == 2 and "tell arlo what to do" in empty.stderr
    _no_traceback(empty)
    # two clients and none chosen: it names them and does nothing (a write must not guess the client)
    unscoped = cockpit("tell", "Mark Sarah at Meridian as a priority", env={**env, "COCKPIT_CLIENT_ID": ""})
    assert unscoped.returncode != 0 and "which client is this for? (bezeliq, northwind)" in unscoped.stderr
    assert "--client bezeliq" in unscoped.stderr
    _no_traceback(unscoped)


def test_answer_a_question_and_undo_from_the_shell(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    asks = cockpit("tell", "Move the Volta deal to Closed Lost", env=env)
    assert asks.returncode == 3, asks.stderr
    assert "This client has no lost stage" in asks.stdout and "5. Negotiation" in asks.stdout
    task_id = asks.stdout.split("cockpit tell --answer ")[1].split()[0]
    wrong = cockpit("tell", "--answer", task_id, "Banana", env=env)
    assert wrong.returncode == 1 and "'Banana' is not one of the choices" in wrong.stderr
    _no_traceback(wrong)
    done = cockpit("tell", "--answer", task_id, "5", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Volta Energy — Pilot: stage Proposal → Negotiation.")
    shown = cockpit("task", "show", task_id, env=env)
    assert "arlo.answered" in shown.stdout and "output: Volta Energy — Pilot: stage Proposal → Negotiation." in shown.stdout
    undone = cockpit("undo", task_id, env=env)
    assert undone.returncode == 0 and undone.stdout.strip() == "Undone: Volta Energy — Pilot: stage back to 'Proposal'."
    again = cockpit("undo", task_id, env=env)
    assert again.returncode == 1 and "already undone" in again.stderr
    _no_traceback(again)
    nothing = cockpit("undo", "0.0.424242", env=env)
    assert nothing.returncode == 1 and "no task 0.0.424242" in nothing.stderr


def test_arlo_once_runs_what_is_due_then_nothing(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    first = cockpit("arlo", "--once", env=env)
    _no_traceback(first)
    assert first.returncode == 0, first.stderr
    assert "arlo: ran 8 task(s)" in first.stdout  # 4 periodic types x 2 clients
    assert "enrichment not configured (offline)" in first.stdout
    assert "offline (no COCKPIT_RESEND_API_KEY)" in first.stdout  # the real sequence step ran, sending nothing
    second = cockpit("arlo", "--once", env=env)
    assert "arlo: ran 0 task(s)" in second.stdout


def test_task_control_from_the_shell(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    filed = cockpit("tell", "--no-wait", "Move the Brightline deal to Demo", env=env)
    assert filed.returncode == 0 and filed.stdout.startswith("filed task 0.0.")
    task_id = filed.stdout.split()[2]
    held = cockpit("task", "hold", task_id, "--reason", "not yet", env=env)
    assert held.returncode == 0 and " on_hold " in held.stdout
    again = cockpit("task", "hold", task_id, env=env)
    assert again.returncode == 1 and "is on hold; it cannot be put on hold" in again.stderr
    _no_traceback(again)
    assert " created " in cockpit("task", "resume", task_id, env=env).stdout
    assert " cancelled " in cockpit("task", "cancel", task_id, env=env).stdout
    listed = cockpit("task", "list", env=env)
    assert task_id in listed.stdout and "cancelled" in listed.stdout
    shown = cockpit("task", "show", task_id, env=env)
    types = [line.split()[3] for line in shown.stdout.splitlines() if line.startswith("   ") and line.split()[0].isdigit()]
    assert types == ["task.created", "task.on_hold", "task.resumed", "task.cancelled"], shown.stdout


def test_headless_arlo_stops_cleanly_on_sigterm(db_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(_env(db_url, tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "cockpit", "arlo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert line.startswith("arlo running as arlo@"), line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "arlo stopped" in err and "Traceback" not in err
