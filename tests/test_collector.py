"""The garbage collector around the ``cockpit`` start-up: paused by the command, resumed (and the start-up's
objects frozen) once a subcommand starts or the terminal session's first screen has painted its data, or
after a while when no data ever arrives; importing the package never touches it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit import collector, start_up
from cockpit.app import CockpitApp
from cockpit.config import Settings
from tests.tui_support import fixed_clock, wait_until

REPORT = "import atexit, gc; atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0)); "


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", REPORT + code], capture_output=True, text=True, env=full,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_a_subcommand_runs_with_the_collector_back_on(tmp_path: Path) -> None:
    env = {"COCKPIT_DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none", "COCKPIT_DATA_DIR": str(tmp_path)}
    proc = _python("from cockpit import boot, collector; boot.prepare(); assert collector.paused(); "
                   "from cockpit.boot import entry; entry(['migrate'])", env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("error: ")  # still one line
    assert "collector True True" in proc.stdout  # resumed, the start-up's objects frozen


def test_importing_the_cockpit_leaves_the_collector_alone() -> None:
    proc = _python("import cockpit.cli, cockpit.app", {})
    assert proc.returncode == 0, proc.stderr
    assert "collector True False" in proc.stdout


@pytest.fixture
def paused() -> Iterator[None]:
    collector.pause()
    try:
        yield
    finally:
        collector.resume()
        gc.unfreeze()  # this test process's objects go back to the collector


async def test_the_session_resumes_the_collector_once_the_board_painted(paused, settings, store,  # type: ignore[no-untyped-def]
                                                                       monkeypatch) -> None:
    from screens.pipeline import PipelineScreen
    from widgets.stage_column import StageColumn

    monkeypatch.setattr(start_up, "START_UP_WAIT", 60.0)
    monkeypatch.setattr(collector, "RESUME_AFTER", 60.0)
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        assert not gc.isenabled() and collector.paused()
        await wait_until(pilot, lambda: isinstance(app.screen, PipelineScreen) and bool(app.screen.query(StageColumn)),
                         what="board columns")
        await wait_until(pilot, lambda: gc.isenabled(), what="collector resumed", timeout=10)
        assert app.start_up.begun and not collector.paused() and gc.get_freeze_count() > 0


async def test_without_a_database_the_collector_resumes_after_a_while(paused, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(collector, "RESUME_AFTER", 0.3)
    settings = Settings(database_url="postgresql://nobody:pw@127.0.0.1:1/none", data_dir=tmp_path,  # type: ignore[call-arg]
                        _env_file=None)
    app = CockpitApp(settings, clock=fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "lost", what="database unreachable")
        await wait_until(pilot, lambda: gc.isenabled(), what="collector resumed", timeout=5)
        assert not app.start_up.begun


def test_the_command_skips_pydantics_plugin_scan_unless_told_otherwise() -> None:
    code = ("from cockpit import boot; boot.prepare(); import os; from pydantic.plugin import _loader; "
            "print('plugins', list(_loader.get_plugins()), os.environ['PYDANTIC_DISABLE_PLUGINS'])")
    assert "plugins [] __all__" in _python(code, {}).stdout
    proc = _python(code, {"PYDANTIC_DISABLE_PLUGINS": "logfire"})
    assert "plugins [] logfire" in proc.stdout, proc.stdout + proc.stderr  # the user's own setting stays
