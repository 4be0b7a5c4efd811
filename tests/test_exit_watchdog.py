"""The terminal session never hangs on its way out: once it begins to exit, a process still alive after
the grace period writes its threads' stacks to the error log and ends (a real child process each)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cockpit.app import CockpitApp
from cockpit.config import Settings
from cockpit.errorlog import log_path


def _child(data_dir: Path, body: str) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(f"""
        import threading
        from pathlib import Path
        from cockpit import exit_watchdog
        exit_watchdog.arm(Path({str(data_dir)!r}), grace=0.5)
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_process_that_hangs_on_exit_is_ended_with_its_stacks_in_the_error_log(tmp_path: Path) -> None:
    started = time.monotonic()
    # a thread nobody stops: the interpreter waits for it at exit, forever
    proc = _child(tmp_path, """
        def waits_for_a_reply_that_never_comes():
            threading.Event().wait()
        threading.Thread(target=waits_for_a_reply_that_never_comes).start()
    """)
    assert proc.returncode == 1 and time.monotonic() - started < 30
    log = log_path(tmp_path).read_text()
    assert "Timeout (0:00:00.500000)!" in log
    assert "waits_for_a_reply_that_never_comes" in log  # where it hung, for whoever looks next


def test_a_process_that_exits_in_time_writes_nothing(tmp_path: Path) -> None:
    proc = _child(tmp_path, """
        import time
        time.sleep(0.1)
        print("done")
    """)
    assert (proc.returncode, proc.stdout.strip()) == (0, "done")
    time.sleep(0.6)  # past the grace: the watchdog went with the process
    assert "Timeout" not in log_path(tmp_path).read_text()


async def test_every_exit_of_the_app_begins_with_its_exit_hook(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:9/none", client_id="bezeliq",  # type: ignore[call-arg]
                        data_dir=tmp_path, _env_file=None)
    app = CockpitApp(settings)
    begun: list[str] = []
    app.on_exit_begun = lambda: begun.append("exit")
    async with app.run_test() as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert begun and begun[0] == "exit"
