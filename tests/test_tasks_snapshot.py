"""Snapshots of the Tasks screen at 80x24 and 160x48: open tasks of the demo data, soonest due first
(overdue, due today, later, no due date), with their assignees. Regenerate with ``--snapshot-update``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from cockpit.app import CockpitApp
from cockpit.config import Settings
from tests.tui_support import Waiter, fixed_clock, wait_until

SIZES = [(80, 24), (160, 48)]
TASKS = [("Chase the signed NDA", datetime(2026, 11, 17, 12, tzinfo=timezone.utc), "justin"),
         ("Call Priya about the pilot scope", datetime(2026, 11, 20, 12, tzinfo=timezone.utc), "justin"),
         ("Send the security answers to Meridian", datetime(2026, 11, 23, 12, tzinfo=timezone.utc), "maya"),
         ("Quarterly check-in with Volta", datetime(2027, 1, 15, 12, tzinfo=timezone.utc), "justin"),
         ("Read the Acme RFP", None, None)]


def _seed(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('redkey.client_id', 'bezeliq', false)")
        deal = conn.execute("SELECT id FROM crm_deals WHERE name = 'Volta Energy — Pilot'").fetchone()[0]  # type: ignore[index]
        members = dict(conn.execute("SELECT split_part(email, '@', 1), id FROM crm_members").fetchall())
        for title, due, who in TASKS:
            conn.execute("INSERT INTO crm_tasks (title, due_at, deal_id, assignee_id) VALUES (%s, %s, %s, %s)",
                         (title, due, deal, members.get(who)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tasks_snapshot(snap_compare, db_url, tmp_path: Path, size, waiter: Waiter) -> None:  # type: ignore[no-untyped-def]
    _seed(db_url)
    settings = Settings(database_url=db_url, client_id="bezeliq", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]

    async def open_tasks(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection", timeout=10)
        await waiter.worker(pilot, "board")
        app.go("tasks")
        await wait_until(pilot, lambda: len(getattr(app.screen, "tasks", {})) == len(TASKS), what="the tasks")
        await pilot.pause()

    assert snap_compare(CockpitApp(settings, clock=fixed_clock), terminal_size=size, run_before=open_tasks)
