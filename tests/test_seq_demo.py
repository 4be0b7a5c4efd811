"""The demo data has sequences with due enrollments, and one offline step shows the loop working."""

from __future__ import annotations

from datetime import timedelta

from cockpit.config import Settings
from cockpit.sequences.step import sequence_step
from cockpit.sequences.task import run_sequence_step
from cockpit.store import Store
from tests.conftest import FIXED_NOW


async def test_demo_sequences_have_due_enrollments_and_draft_offline(store: Store, settings: Settings) -> None:
    seqs = await store.sequences.sequences()
    assert len(seqs) == 3 and all(s.sender for s in seqs)
    overview = await store.sequences.sequence_overview(now=FIXED_NOW)
    assert sum(c.due for c in overview) >= 10
    assert {c.status for c in overview} == {"active", "paused", "complete"}
    # Northwind has none: demo sequences are BezelIQ's.
    assert await store.scoped("northwind").sequences.sequences() == []
    # Mid-afternoon in Chicago, on a weekday: some contacts are inside their window, others are not.
    now = FIXED_NOW + timedelta(hours=20)
    report = await sequence_step(store, settings, now=now)
    assert report.offline and report.drafted > 0 and report.drafted + report.rescheduled + report.paused == report.due
    assert (await store.sequences.outbox_counts()).draft == report.drafted


class _Ctx:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings

    def now(self):  # type: ignore[no-untyped-def]
        return FIXED_NOW + timedelta(hours=20)


async def test_task_handler_output(store: Store, settings: Settings) -> None:
    out = await run_sequence_step(_Ctx(store, settings))
    assert out["summary"].startswith("offline (no COCKPIT_RESEND_API_KEY)") and out["drafted"] > 0


def test_cli_sequences_list_and_offline_step(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import _no_traceback, cockpit

    env = {"COCKPIT_DATABASE_URL": db_url, "COCKPIT_CLIENT_ID": "bezeliq", "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = cockpit("sequences", "list", env=env)
    _no_traceback(proc)
    assert proc.returncode == 0 and "Cold intro — fleet analytics" in proc.stdout and "step 1" in proc.stdout
    proc = cockpit("sequences", "step", env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("offline (no COCKPIT_RESEND_API_KEY)"), proc.stdout
    proc = cockpit("sequences", "pause", "not-an-id", env=env)
    _no_traceback(proc)
    assert proc.returncode == 1 and "ENROLLMENT_ID must be an id" in proc.stderr
    steps = tmp_path / "steps.json"
    steps.write_text('[{"subject": "Hi {{frist_name}}", "body": "x"}]')
    proc = cockpit("sequences", "create", "Typo", "--steps", str(steps), env=env)
    assert proc.returncode == 1 and "unknown merge field frist_name" in proc.stderr
